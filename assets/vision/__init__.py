"""Wiring of the vision stages: `keyframes`, `visual_descriptions`."""
