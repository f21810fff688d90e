"""Speech models: faster-whisper, and the diarization backends."""
