"""Reading CSV and Parquet files into DataFrames, with one clear error per bad file.

The first step of :mod:`skvaelstm._io._tables`: a file that cannot be read as a
table raises ``InputError`` naming it; a header line that holds values is refused
(its first row would silently become column names).
"""

import lzma
import os
import re
import zipfile

import pandas as pd

from .._model._validation import _first_line
from ..exceptions import InputError
from ._timestamps import _show

__all__ = []  # private helper of skvaelstm._io._tables

_PARQUET_SUFFIXES = (".parquet", ".pq")


def _read_table(path):
    """A DataFrame from a CSV (possibly compressed) or a Parquet file.

    A file that cannot be read as a table raises ``InputError`` naming it (the
    parser's own first line in the message); the operating system's errors
    that name the file (missing, permission denied) stay ``OSError``.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(2, "no such file", path)
    if path.lower().endswith(_PARQUET_SUFFIXES):
        return _read_parquet(path)
    try:
        frame = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise InputError(f"{path} is empty.") from None
    except (pd.errors.ParserError, UnicodeDecodeError, EOFError, zipfile.BadZipFile,
            lzma.LZMAError) as exc:  # EOFError etc.: damaged .gz/.zip/.xz files
        raise _unreadable(path, "CSV", exc) from exc
    except OSError as exc:
        if exc.filename is not None:  # e.g. permission denied: the OS names the file
            raise
        # gzip and bz2 report a damaged file as an OSError without its name
        raise _unreadable(path, "CSV", exc) from exc
    if len(frame.columns) == 1:
        name = str(frame.columns[0])
        separator = next((sep for sep in (";", "\t", "|") if sep in name), None)
        if separator is not None:
            raise InputError(
                f"{path} has a single column {_show(name)}: its fields seem to be separated by "
                f"{separator!r}, but only comma-separated files are read; convert the file.")
    return frame


def _read_parquet(path):
    try:
        return pd.read_parquet(path)
    except ImportError as exc:  # a missing optional dependency, not a bad file
        raise ImportError(f"reading {path} needs pyarrow: pip install "
                          '"skvaelstm[parquet]" (or pip install pyarrow).') from exc
    except OSError as exc:
        if exc.filename is not None:
            raise
        raise _unreadable(path, "Parquet", exc) from exc  # e.g. corrupt compressed pages
    except _parquet_errors() as exc:
        raise _unreadable(path, "Parquet", exc) from exc


def _parquet_errors():
    """What reading a damaged Parquet file raises: pyarrow's ArrowInvalid (a
    ValueError) for a truncated or foreign file, other Arrow errors, and pandas'
    ValueErrors for damaged metadata."""
    try:
        from pyarrow import ArrowException
    except ImportError:  # another engine (fastparquet) read the file
        return (ValueError, EOFError)
    return (ValueError, EOFError, ArrowException)


def _unreadable(path, kind, exc):
    # pyarrow starts with "Could not open Parquet input source '<path>': "
    reason = re.sub(r"^Could not open .*? input source '.*?': ", "", _first_line(exc))
    return InputError(f"{path} is not a readable {kind} file: {reason}")


def _check_header(frame, path):
    """Refuse a CSV whose header line holds values: its first row would become names."""
    names = [str(c) for c in frame.columns]
    if names and all(_looks_like_data(name) for name in names):
        shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
        raise InputError(
            f"{path} seems to have no header line: its first line ({_show(shown)}) holds "
            "values, not column names; add a header line (or, if these are the names, "
            "choose the channels with --columns).")


def _looks_like_data(name):
    """A number or an ISO date/time (pandas renames a repeated name "x" to "x.1")."""
    text = re.sub(r"\.[0-9]+$", "", name.strip())
    try:
        float(text)
        return True
    except ValueError:
        return bool(re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9:.]+)?", text))
