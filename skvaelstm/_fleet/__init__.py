"""_fleet (private)."""
