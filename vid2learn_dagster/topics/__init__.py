"""Topics: consecutive slides grouped while they stay on one subject (embeddings)."""
