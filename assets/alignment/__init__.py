"""Wiring of `chunks`: speech aligned to the keyframe on screen."""
