"""_io (private)."""
