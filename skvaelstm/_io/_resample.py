"""Putting the rows of a table on a regular time grid (``--resample``).

The grid starts at the first stamp and steps by the frequency (``auto``: the
median of the positive steps). Each row goes to the nearest slot (every stamp is
within half a step of one; a tie goes to the later slot); the rule is the same
for the rows ``watch`` reads one by one (``_slot``). Two rows in one slot are
refused, not averaged: an average would make up a value no sensor read, and two
rows a step apart usually mean the frequency is wrong. Slots no row falls in
become missing values (NaN in every channel), masked by ``missing="mask"``. A
run of empty slots longer than ``max_gap`` (see ``_cli._data._max_gap`` for the
default and why) splits the series into segments: its slots are not put on the
grid (they would be rows without a value nor a score), and the command line
scores each segment with fresh context (``_cli._segments``).
"""

import numpy as np
import pandas as pd

from ..exceptions import InputError

__all__ = []  # private helper of skvaelstm._io._tables and skvaelstm._cli

_AUTO = "auto"


def _step(freq, time, name):
    """The grid step of ``freq`` for the time values ``time``: nanoseconds (int)
    for stamps, a float for numeric time columns."""
    stamps = np.issubdtype(time.dtype, np.datetime64)
    if freq == _AUTO:
        steps = np.diff(time.view("int64") if stamps else time)
        steps = steps[steps > 0]
        if not len(steps):
            raise InputError(f"--resample auto needs two rows with different times in "
                             f"the time column {name!r}.")
        usual = np.median(steps)
        return int(round(usual)) if stamps else float(usual)
    return _parse_freq(freq, stamps, name)


def _parse_freq(freq, stamps, name):
    if not stamps:
        try:
            step = float(freq)
        except ValueError:
            step = np.nan
        if not (np.isfinite(step) and step > 0):
            raise InputError(f"--resample {freq!r}: the time column {name!r} holds numbers: "
                             "give the step as a positive number, or auto.")
        return step
    try:
        nanos = pd.to_timedelta(pd.tseries.frequencies.to_offset(freq)).value
    except (ValueError, TypeError):
        nanos = 0
    if nanos <= 0:
        raise InputError(f"--resample {freq!r} is not a fixed frequency such as 30s, 5min, "
                         "1h or 1D (or auto: the median step).")
    return int(nanos)


def _slot(offset, step):
    """The slot of a time ``offset`` from the grid's origin: the nearest one."""
    return int(np.floor(offset / step + 0.5))


def _offsets(time):
    """Time values as numbers of the grid's unit (nanoseconds for stamps)."""
    if np.issubdtype(time.dtype, np.datetime64):
        return (time.view("int64") - time.view("int64")[0]).astype(float)
    return time - time[0]


def _resample(table, freq, max_gap, fmt):
    """``table`` on the grid, with ``filled`` (1 for the slots no row fell in),
    ``slots`` (``slots[i]``: the grid row of the table's row ``i``), ``segment``
    (the 0-based segment of each grid row) and ``gaps`` (the first grid row of
    each segment after the first: the empty slots left out before it) set;
    ``fmt`` formats a time value for messages."""
    time, name = table.time, table.time_column
    step = _step(freq, time, name)
    slots = np.floor(_offsets(time) / step + 0.5).astype(np.int64)
    moves = np.diff(slots)
    same = np.flatnonzero(moves == 0)
    if len(same):
        i = same[0]
        raise InputError(
            f"--resample {freq}: data rows {i + 1} and {i + 2} ({fmt(time[i])}, "
            f"{fmt(time[i + 1])}) fall in the same slot of the grid ({len(same)} such "
            "pair(s)); rows are not averaged: remove one, or give a shorter step.")
    # a gap longer than max_gap ends a segment: the slots of the gap are left out
    long = np.flatnonzero(moves - 1 > max_gap)
    firsts = np.concatenate([slots[:1], slots[long + 1]])
    lasts = np.concatenate([slots[long], slots[-1:]])
    kept = np.concatenate([np.arange(a, b + 1) for a, b in zip(firsts, lasts)])
    rows = np.searchsorted(kept, slots)
    n = len(kept)
    filled = np.ones(n, dtype=np.int64)
    filled[rows] = 0
    X = table.X.set_axis(slots).reindex(kept)
    frame = table.frame.set_axis(slots).reindex(kept)
    if np.issubdtype(time.dtype, np.datetime64):
        grid = time[0] + (kept * step).astype("timedelta64[ns]")
        text = pd.DatetimeIndex(grid).strftime(
            "%Y-%m-%d %H:%M:%S" if step % 10**9 == 0 else "%Y-%m-%d %H:%M:%S.%f")
        frame[name] = np.asarray(text, dtype=object)
    else:
        grid = time[0] + kept * step
        frame[name] = grid
    table.frame, table.X, table.time = frame.reset_index(drop=True), X.reset_index(
        drop=True), grid
    table.filled, table.slots = filled, rows
    table.gaps = {int(rows[i + 1]): int(moves[i] - 1) for i in long}
    if len(long):
        table.notes.append(_segments_note(table, freq, max_gap, fmt))
    return table


def _segments_note(table, freq, max_gap, fmt, shown=5):
    """Where the segments start (the first ``shown``), for the notes on stderr."""
    # gaps are in row order: the i-th gap starts segment i + 1
    starts = [f"segment {i + 1} at {fmt(table.time[row])} (after {empty} empty slots)"
              for i, (row, empty) in enumerate(list(table.gaps.items())[:shown])]
    more = f", and {len(table.gaps) - shown} more" if len(table.gaps) > shown else ""
    return (f"--resample {freq}: {len(table.gaps)} gap(s) longer than --max-gap {max_gap} "
            f"empty slots split the series into {len(table.gaps) + 1} segments (column "
            f"'segment'), each scored with fresh context; their slots are left out. "
            f"Segment 0 starts at {fmt(table.time[0])}, {', '.join(starts)}{more}.")
