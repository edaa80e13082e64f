"""_cli (private)."""
