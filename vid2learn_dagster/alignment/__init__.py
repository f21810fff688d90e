"""Speech aligned to what was on screen: transcript segments grouped per keyframe."""
