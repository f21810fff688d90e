"""Vision: scenes and keyframes, and what each keyframe shows (text, code)."""
