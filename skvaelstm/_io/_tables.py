"""Reading and checking CSV/Parquet time series for the command line and fleets.

Every problem of the input is raised as ``ValueError`` with one clear line
(``InputError``, a ``ValueError``, for files that cannot be read as a table);
the rows are never re-ordered or dropped unless an explicit option says so.
Rows are numbered as "data rows" from 1, not counting the CSV header.
"""

import difflib
import os
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..exceptions import InputError
from ._table_files import _looks_like_data, _read_table
from ._timestamps import _instant, _parse_times, _show

__all__ = []  # private helper of skvaelstm.cli and skvaelstm.fleet

# A step longer than this multiple of the median step is a gap.
_GAP_FACTOR = 1.5
# Columns taken for the time column or the label column by their names alone
# (lower case), when the command line names none: a time stamp or a 0/1 label read
# as a channel would train the model on it.
_TIME_NAMES = ("time", "timestamp", "date")
_LABEL_NAMES = ("label", "is_anomaly", "anomaly")


@dataclass
class _Table:
    """The checked input: the raw rows, channels as floats, parsed times."""

    frame: object                      # the rows as read (re-ordered only by --sort)
    X: object                          # DataFrame of float channels
    time: object = None                # parsed time values (datetime64 or float) or None
    time_column: object = None         # the name of the time column, or None
    notes: list = field(default_factory=list)   # things the user should be told
    filled: object = None              # with --resample: 1 for slots no row fell in, else 0
    slots: object = None               # with --resample: the grid row of each input row
    gaps: dict = field(default_factory=dict)   # segment's first row: empty slots left out

    def segments(self):
        """The segment (0, 1, ..) of each row, from ``gaps``: one number per row
        of the ``segment`` column of ``--resample``."""
        return np.searchsorted(sorted(self.gaps), np.arange(len(self.X)), side="right")


def _prepare(frame, *, path, time_column=None, columns=None, sort=False,
             allow_duplicates=False, allow_gaps=False, resample=None, max_gap=None,
             missing="error", mask_advice="pass --missing mask"):
    """Check the time column and the channels of ``frame``; see the module docstring.

    With ``resample`` (a frequency or "auto") the rows are put on a regular grid
    (``_resample``) instead of being checked for duplicates and gaps; empty
    cells, and the slots no row falls in, are missing values: refused unless
    ``missing`` is "mask" (``mask_advice`` says how to get there)."""
    if len(frame) == 0:
        raise InputError(f"{path} has no data rows.")
    notes = []
    time = None
    if time_column is not None:
        _check_columns(frame, [time_column], path)
        time = _parse_times(frame[time_column], time_column)
        order = np.argsort(time, kind="stable")
        if sort and np.any(order != np.arange(len(order))):
            moved = int(np.sum(order != np.arange(len(order))))
            frame, time = frame.iloc[order].reset_index(drop=True), time[order]
            notes.append(f"--sort: rows sorted by {time_column!r} ({moved} rows moved).")
        if resample is None:
            notes += _check_steps(time, time_column, allow_duplicates, allow_gaps)
        else:
            _check_sorted(time, time_column)
    elif resample is not None:
        raise InputError(f"--resample {resample} needs a time column (--time-column).")
    if columns is None:
        columns = [c for c in frame.columns if c != time_column]
        if not columns:
            raise InputError(f"{path} has no channel columns besides {time_column!r}.")
    else:
        _check_columns(frame, columns, path)
        if time_column in columns:
            raise InputError(f"the time column {time_column!r} cannot also be a channel.")
    X = frame[list(columns)].copy()
    X.columns = [str(c) for c in X.columns]
    for name in X.columns:
        X[name] = _numeric(X[name], name, missing, mask_advice)
    table = _Table(frame=frame, X=X, time=time, time_column=time_column, notes=notes)
    if resample is not None:
        from ._resample import _resample

        table = _resample(table, resample, max_gap, _fmt)
        added = int(table.filled.sum())
        if added and missing != "mask":
            first = table.time[np.flatnonzero(table.filled)[0]]
            raise InputError(f"--resample {resample}: {added} slot(s) of the grid have no "
                             f"row (first: {_fmt(first)}); they are missing values: "
                             f"{mask_advice} to mask them.")
        notes.append(f"--resample {resample}: {len(table.X)} rows on the grid, {added} of "
                     "them empty slots (missing values, column 'filled' = 1).")
    return table


def _choose_columns(names, *, path, time_column=None, columns=None, label=None):
    """``(time column, channels, label column, notes)`` of a table with the column
    ``names``: those named (by the options or the model), else the columns whose
    names say what they are (``_TIME_NAMES``, ``_LABEL_NAMES``), with a note for
    each such choice, and the other columns as the channels. A column named like
    a label is never a channel unless ``columns`` lists it."""
    notes, chosen = [], list(columns or ())
    if time_column is None:
        time_column = _named_like(names, _TIME_NAMES, path=path, flag="--time-column",
                                  exclude=chosen)
        if time_column is not None:
            notes.append(f"column {time_column!r} is taken as the time column, as its name "
                         "says (--time-column names another).")
    if label is not None:
        if label in chosen or label == time_column:
            raise InputError(f"--label-column {label!r} is also the "
                             f"{'time column' if label == time_column else 'channel'} "
                             f"{label!r}; a column is one or the other.")
    elif columns is None:
        label = _named_like(names, _LABEL_NAMES, path=path, flag="--label-column",
                            exclude=[time_column])
        if label is not None:
            notes.append(f"column {label!r} is taken as the label column, not a channel, "
                         "as its name says (to use it as a channel, list the channels with "
                         "--columns).")
    if columns is None:
        columns = [c for c in names if c not in (time_column, label)]
    return time_column, columns, label, notes


def _named_like(names, kind, *, path, flag, exclude=()):
    """The one column of ``names`` (not in ``exclude``) named like a ``kind``
    column (``_TIME_NAMES``, ``_LABEL_NAMES``: case-insensitive), or None;
    two such columns are refused: ``flag`` names the one to use."""
    found = [n for n in names if n not in exclude and str(n).strip().lower() in kind]
    if len(found) > 1:
        raise InputError(f"{path} has {len(found)} columns named like a {kind[0]} column "
                         f"({', '.join(map(repr, found))}); name the one to use with {flag}.")
    return found[0] if found else None


def _check_columns(frame, wanted, path):
    present = [str(c) for c in frame.columns]
    for name in wanted:
        if name not in frame.columns:
            close = difflib.get_close_matches(str(name), present, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            if all(_looks_like_data(n) for n in present):
                hint += " (the file seems to have no header line: its first line holds values)"
            shown = ", ".join(present[:20]) + (", ..." if len(present) > 20 else "")
            raise InputError(f"{path} has no column {name!r}{hint}; its columns are: {shown}.")
    duplicated = sorted({n for n in wanted if list(wanted).count(n) > 1})
    if duplicated:
        raise InputError(f"column(s) given twice: {', '.join(map(repr, duplicated))}.")


def _check_sorted(time, name):
    back = np.diff(time) < np.diff(time).dtype.type(0)
    if back.any():
        i = np.flatnonzero(back)[0] + 1
        raise InputError(
            f"time column {name!r} is not sorted: data row {_row(i)} ({_fmt(time[i])}) comes "
            f"before data row {_row(i - 1)} ({_fmt(time[i - 1])}); sort the file, or pass "
            "--sort to sort the rows by time.")


def _check_steps(time, name, allow_duplicates, allow_gaps):
    """Refuse unsorted time; refuse duplicates and gaps unless allowed."""
    _check_sorted(time, name)
    step = np.diff(time)
    zero = step == step.dtype.type(0)
    notes = []
    if zero.any():
        i = np.flatnonzero(zero)[0] + 1
        message = (f"time column {name!r} has {int(zero.sum())} duplicated timestamp(s) "
                   f"(first: data row {_row(i)} repeats {_fmt(time[i])})")
        if not allow_duplicates:
            raise InputError(message + "; remove them, or pass --allow-duplicates to keep "
                             "the rows in file order.")
        notes.append(message + "; kept (--allow-duplicates).")
    gaps, usual = _gaps(step)
    if len(gaps):
        i = gaps[0]
        message = (f"time column {name!r} has {len(gaps)} gap(s) longer than "
                   f"{_GAP_FACTOR} x the usual step of {_fmt_step(usual, time)} (first "
                   f"after data row {_row(i)}: {_fmt(time[i])} -> {_fmt(time[i + 1])})")
        if not allow_gaps:
            raise InputError(message + "; the detector assumes regular sampling: pass "
                             "--resample auto to put the rows on a regular grid (gaps "
                             "become missing values), or --allow-gaps to use them as they "
                             "are.")
        notes.append(message + "; used as it is (--allow-gaps).")
    return notes


def _gaps(step):
    """Positions ``i`` of the steps ``time[i] -> time[i + 1]`` that are gaps (longer
    than ``_GAP_FACTOR`` times the median of the non-zero steps), and that median."""
    positive = step[step != step.dtype.type(0)].astype(float)
    if not len(positive):
        return np.array([], dtype=int), None
    usual = np.median(positive)
    return np.flatnonzero(step.astype(float) > _GAP_FACTOR * usual), usual


def _numeric(column, name, missing="error", mask_advice="pass --missing mask"):
    """The channel as float64; non-numbers and infinity are refused, and empty
    cells (NaN) unless ``missing`` is "mask"."""
    values = pd.to_numeric(column, errors="coerce").astype(float)
    bad = values.isna() & column.notna()
    if bad.any():
        first = int(np.flatnonzero(bad.to_numpy())[0])
        n_bad = int(bad.sum())
        if n_bad * 2 < int(column.notna().sum()):
            # a numeric column with a few stray cells: the column choice is right
            advice = "fix or drop the row(s); nothing is guessed for them"
        else:
            advice = ("it is not a channel: choose the channels with --columns and name the "
                      "time column with --time-column")
        raise InputError(f"column {name!r} has {n_bad} non-numeric value(s) (first at data "
                         f"row {_row(first)}: {_show(column.iloc[first])}); {advice}.")
    empty = values.isna().to_numpy()
    if empty.any() and missing != "mask":
        raise InputError(f"column {name!r} has {int(empty.sum())} missing value(s) (first "
                         f"at data row {_row(np.flatnonzero(empty)[0])}); fill or drop "
                         f"them first, or {mask_advice} to mask them.")
    infinite = np.isinf(values.to_numpy())
    if infinite.any():
        raise InputError(f"column {name!r} has infinite values (first at data row "
                         f"{_row(np.flatnonzero(infinite)[0])}).")
    return values


def _train_rows(table, *, train_until=None, train_rows=None):
    """Number of leading rows to train on (all rows by default)."""
    n = len(table.X)
    if train_rows is not None:
        if not 1 <= train_rows <= n:
            raise InputError(f"--train-rows {train_rows} is outside 1..{n} (the data rows).")
        return train_rows
    if train_until is None:
        return n
    if table.time is None:
        raise InputError("--train-until needs --time-column (no column is named time, "
                         "timestamp or date).")
    limit = _train_limit(train_until, table)
    time = table.time
    span = f"the data runs from {_fmt(time[0])} to {_fmt(time[-1])}"
    count = int(np.searchsorted(time, limit, side="left"))
    if count == 0:
        raise InputError(f"--train-until {train_until} leaves no rows to train on: it is "
                         f"not after the first row's time ({span}).")
    if limit > time[-1]:
        # every row would be trained on, without a word: never what was meant
        raise InputError(f"--train-until {train_until} is after the last row's time "
                         f"({span}): every row would be trained on; give a time within "
                         "the data, or leave --train-until out to train on all rows.")
    return count


def _train_limit(text, table):
    """``--train-until`` as a value of the time column: a number, or a stamp read
    as the column's stamps are (``_timestamps._instant``)."""
    name = table.time_column
    if table.time.dtype.kind == "f":
        try:
            limit = float(text)
        except ValueError:
            limit = np.nan
        if not np.isfinite(limit):
            raise InputError(f"--train-until {_show(text)} is not a number, and the time "
                             f"column {name!r} holds numbers.")
        return limit
    return _instant(text, "--train-until", table.frame[name].iloc[0])


def _row(index):
    return int(index) + 1


def _fmt(value):
    if isinstance(value, np.datetime64):
        return str(np.datetime_as_string(value, unit="s")).replace("T", " ")
    return f"{value:g}"


def _fmt_step(step, time):
    if not np.issubdtype(time.dtype, np.datetime64):
        return f"{step:g}"
    seconds = step / 1e9
    for unit, size in (("day", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g} {unit}"
    return f"{seconds:g} s"


def _load_series(source, *, time_column=None, columns=None):
    """A fleet's series (array, DataFrame or Series, path, or a callable returning
    one) as a 2-D array or DataFrame; tables get their channels selected."""
    label = "the series"
    if callable(source) and not hasattr(source, "shape"):
        source = source()
    if isinstance(source, (str, os.PathLike)):
        label = os.fspath(source)
        source = _read_table(source)
    if hasattr(source, "to_frame") and not hasattr(source, "columns"):   # pandas Series
        source = source.to_frame()
    if hasattr(source, "columns"):
        return _channels(source, time_column, columns, label)
    X = np.asarray(source)
    return X.reshape(-1, 1) if X.ndim == 1 else X


def _channels(frame, time_column, columns, label):
    """The channels of a table, after the command line's checks: the time column
    sorted, without duplicates or gaps; channels numeric and finite."""
    return _prepare(frame, path=label, time_column=time_column,
                    columns=None if columns is None else list(columns)).X
