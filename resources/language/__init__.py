"""Text generation: one backend per file behind `base.Engine`, chosen and cached by `llm`."""
