"""Exceptions raised by skvaelstm."""

__all__ = ["InputError"]


class InputError(ValueError):
    """A problem with the user's input (data, file, option): the command line exits with 2."""
