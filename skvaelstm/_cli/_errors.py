"""The command line's exit policy: which failures are the user's (exit code 2)
and which are bugs (exit code 1), decided by the exception's type.

The user's input was refused (exit 2, one ``skvaelstm: error: ...`` line) for:

- ``skvaelstm.exceptions.InputError``: the package's own input checks (files
  that cannot be read as a table, columns, values, options);
- ``skvaelstm.persistence.ModelFileError`` (an ``InputError``): a damaged,
  foreign or unsafe model file;
- scikit-learn's ``InvalidParameterError``: an option out of its range;
- ``OSError``: the operating system refused a file (missing, permission
  denied, disk full), and names it.

The estimator's own input checks (scikit-learn's ``validate_data``: non-finite
values, other channels; too few rows; values too extreme to standardise;
options that cannot work together; a device that is not available) raise
``InputError`` themselves, as do the checks of tables, time stamps and the rows
and state files of ``watch``. A plain ``ValueError`` means a broken invariant,
so it is never trusted by itself. Around ``fit`` and scoring
``FloatingPointError`` (training diverged with the chosen options) is the
user's too. Every other exception, ``ValueError`` included, is a bug: exit code
1, with the advice to rerun with ``--verbose`` for the traceback.
"""

import contextlib
import sys
import traceback

from ..exceptions import InputError

__all__ = []  # private helper of skvaelstm.cli

_EXIT_OK = 0
_EXIT_INPUT_ERROR = 2
_EXIT_INTERNAL_ERROR = 1
_EXIT_INTERRUPTED = 130

# Exceptions of the user's input besides InputError and OSError, named by module
# and class: their modules import torch or scikit-learn, and an exception of
# them can only exist once its module is loaded, so they are never imported here.
_INPUT_ERROR_CLASSES = (
    ("sklearn.utils._param_validation", "InvalidParameterError"),
)


def _is_input_error(exc):
    """True for the exceptions that say the user's input was refused (see above)."""
    if isinstance(exc, (InputError, OSError)):
        return True
    for module, name in _INPUT_ERROR_CLASSES:
        loaded = sys.modules.get(module)
        if loaded is not None and isinstance(exc, getattr(loaded, name)):
            return True
    return False


@contextlib.contextmanager
def _input_errors(*types):
    """Inside the block, exceptions of ``types`` refuse the user's input: raised
    again as ``InputError`` with the same one-line message (the original stays
    in the chain, for ``--verbose``)."""
    try:
        yield
    except InputError:
        raise
    except types as exc:
        raise InputError(_describe(exc)) from exc


def _estimator_errors():
    """Around the estimator's ``fit`` and scoring: ``FloatingPointError``, its
    signal that training diverged with the chosen options, as ``InputError``.
    Its refusals of the data and the options are ``InputError`` already; a
    plain ``ValueError`` of the call is a bug."""
    return _input_errors(FloatingPointError)


def _exit_code(exc, *, show_traceback, in_words=str):
    """Report ``exc`` on stderr; the exit code. ``in_words`` puts the message of
    a user's error in the command line's words (flags for parameters)."""
    if show_traceback:
        traceback.print_exception(type(exc), exc, exc.__traceback__)
    if _is_input_error(exc):
        _error(in_words(_describe(exc)))
        return _EXIT_INPUT_ERROR
    _error(f"internal error: {type(exc).__name__}: {_describe(exc)}"
           + ("" if show_traceback else " (run with --verbose for the traceback)"))
    return _EXIT_INTERNAL_ERROR


def _describe(exc):
    """The message of ``exc`` on one line."""
    if isinstance(exc, OSError) and exc.strerror and exc.filename:
        return f"{exc.filename}: {exc.strerror}"
    text = " ".join(str(exc).split())  # one line, whatever the message
    return text or type(exc).__name__


def _error(message):
    print(f"skvaelstm: error: {message}", file=sys.stderr, flush=True)
