"""Language-model stages: prompts, generation settings, parsing and grounding answers."""
