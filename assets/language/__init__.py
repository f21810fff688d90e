"""Wiring of the language-model stages: `rewritten_chunks`, `blended_chunks`, batched calls."""
