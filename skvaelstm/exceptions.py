"""The exceptions skvaelstm raises on purpose.

Importing this module is cheap (no torch, no scikit-learn): the command line
decides its exit code with it.
"""

__all__ = ["InputError"]


class InputError(ValueError):
    """The user's input was refused: a file, a column, a value or an option.

    Raised by skvaelstm's own input checks, for example when a CSV or Parquet
    file cannot be read (the message names the file), when a column is missing
    or holds non-numeric values, when the time column is not sorted, or when a
    command-line option is invalid (the message names the flag). The message
    is one line that says what to change.

    It subclasses ``ValueError``, so code that catches ``ValueError`` for bad
    input keeps working. The ``skvaelstm`` command exits with code 2 and prints
    the message as ``skvaelstm: error: ...`` for it; other exceptions from
    skvaelstm's own code are bugs (exit code 1).

    See Also
    --------
    skvaelstm.persistence.ModelFileError : A model file is damaged, of another
        format, or unsafe to read.

    Examples
    --------
    >>> from skvaelstm.exceptions import InputError
    >>> issubclass(InputError, ValueError)
    True
    >>> try:
    ...     raise InputError("data.csv has no data rows.")
    ... except ValueError as exc:
    ...     print(exc)
    data.csv has no data rows.
    """
