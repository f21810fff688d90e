"""Model files that ship inside wheels, and the model resources this deployment configures."""
