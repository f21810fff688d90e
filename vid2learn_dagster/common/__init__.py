"""What several areas share: settings, lineage (code versions), model-file errors, batching."""
