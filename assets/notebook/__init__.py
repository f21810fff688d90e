"""Wiring of `notebook`: the Jupyter notebook that teaches the video."""
