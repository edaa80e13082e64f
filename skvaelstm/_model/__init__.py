"""_model (private)."""
