"""Keyframe readers: OCR, vLLM and OpenAI-compatible vision-language models, behind one resource."""
