"""The sentence embedder used for topic segmentation."""
