"""One reading of time stamps, for ``score`` and ``detect`` (a whole time column)
and ``watch`` (one row at a time), so that the same text is the same instant in both.

The format is inferred from the first stamp, as pandas does (``"13/01/2024"``
makes the stamps day-first, and ``"01/02/2024"`` after it is then the 1st of
February), and every stamp is read with that format; when none can be inferred,
each stamp is read on its own. ``watch`` infers it from its first row and keeps it
with ``--state``, so a resumed run reads its rows as the first run did.

Stamps with a UTC offset become UTC instants. All stamps must carry the same
offset, or none: a mix is refused, naming the rows, rather than guessed (naive
stamps are not taken for UTC, and stamps with several offsets, e.g. across a
daylight-saving change, are to be converted to one offset first).
"""

import warnings

import numpy as np

from ..exceptions import InputError

__all__ = []  # private helper of skvaelstm._io._tables and skvaelstm._cli._watch

# Values shown in messages are cut to this many characters.
_SHOW = 40

# The format of numeric time columns (seconds, row counters, ...): read as floats.
_NUMBER = "number"
# An offset not known yet (no stamp read so far).
_UNKNOWN = "unknown"
# Stamps per block when looking for the first bad one (read one by one inside it).
_BLOCK = 4096


def _time_format(first):
    """The format of the stamps whose first is the text ``first``: ``_NUMBER``, a
    ``strftime`` format, or None (each stamp read on its own)."""
    try:
        float(first)
        return _NUMBER
    except ValueError:
        return _guessed_format(first)


def _guessed_format(first):
    from pandas.tseries.api import guess_datetime_format

    with warnings.catch_warnings():
        # "Parsing dates in %d/%m/%Y format when dayfirst=False": day-first is
        # what the first stamp says, the same for score and watch
        warnings.simplefilter("ignore", UserWarning)
        return guess_datetime_format(first)


def _parse_times(values, name):
    """The time column ``values`` (a Series) of ``score``/``detect``: floats, or
    naive ``datetime64[ns]`` in UTC."""
    import pandas as pd

    missing = values.isna().to_numpy()
    if missing.any():
        raise InputError(f"time column {name!r} has {int(missing.sum())} empty value(s) "
                         f"(first at data row {np.flatnonzero(missing)[0] + 1}).")
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.to_numpy(dtype=float)
    texts = values.astype(str).str.strip().to_numpy(dtype=object)
    time_format = _time_format(texts[0])
    if time_format == _NUMBER:   # a text column whose first value is a number
        numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(numbers)
        if bad.any():
            first = np.flatnonzero(bad)[0]
            raise InputError(f"time column {name!r} has values that are not numbers "
                             f"(first at data row {first + 1}: {texts[first]!r}).")
        return numbers
    instants, _ = _instants(texts, time_format, _UNKNOWN,
                            what=f"time column {name!r}", row=lambda i: f"data row {i + 1}")
    return instants.view("datetime64[ns]")


def _instant(text, what, first):
    """A time stamp given as an option (``--train-until``): naive datetime64[ns] in
    UTC, read as the stamps of a time column whose first stamp is ``first`` are,
    with their format when it reads ``text`` (after day-first stamps "01/02/2024"
    is the 1st of February), else with the format of ``text`` itself ("2024-03"
    before stamps with seconds)."""
    text = str(text).strip()
    for time_format in dict.fromkeys([_time_format(str(first).strip()),
                                      _guessed_format(text)]):
        if time_format != _NUMBER:
            parsed, offset = _read_alike(np.array([text], dtype=object), time_format)
            if parsed is not None:
                if offset is not None:
                    parsed = parsed.tz_convert("UTC").tz_localize(None)
                return parsed.as_unit("ns").asi8.view("datetime64[ns]")[0]
    raise InputError(f"{what} {_show(text)} is not a time stamp (the time column holds "
                     f"stamps such as {_show(str(first))}).")


def _instants(texts, time_format, offset, *, what, row, earlier=None):
    """Nanoseconds since 1970, UTC (int64), of the stamps ``texts`` read with
    ``time_format``, and their UTC offset in seconds (None: no offset).

    ``offset`` is the offset of earlier stamps (``_UNKNOWN``: none read yet);
    ``what`` names the stamps, ``row(i)`` the i-th and ``earlier`` the earlier
    stamps in messages."""
    parsed, found = _read_alike(texts, time_format)
    if parsed is not None and offset in (_UNKNOWN, found):
        if found is not None:
            parsed = parsed.tz_convert("UTC").tz_localize(None)
        return parsed.as_unit("ns").asi8, found
    _refuse(texts, time_format, offset, what, row, earlier)


def _read_alike(texts, time_format):
    """``(stamps, offset in seconds or None)`` when every text reads with
    ``time_format`` and one offset; ``(None, None)`` otherwise."""
    import pandas as pd

    try:
        parsed = pd.to_datetime(texts, format=time_format or "mixed", errors="coerce")
    except ValueError:   # pandas refuses stamps with several offsets
        return None, None
    if parsed.isna().any():
        return None, None
    return parsed, None if parsed.tz is None else _seconds(parsed[0].utcoffset())


def _refuse(texts, time_format, offset, what, row, earlier):
    """Raise the error about the first stamp that is not a time stamp or whose
    offset differs from the earlier ones: the blocks of stamps without one are
    passed over whole, the stamps of the first block with one read one by one."""
    import pandas as pd

    first = None   # the position of the first stamp whose offset is known
    for start in range(0, len(texts), _BLOCK):
        block = texts[start:start + _BLOCK]
        parsed, found = _read_alike(block, time_format)
        if parsed is not None:
            if offset == _UNKNOWN:
                offset, first = found, start
            if found == offset:
                continue
        for i, text in enumerate(block, start):
            stamp = pd.to_datetime([text], format=time_format or "mixed", errors="coerce")[0]
            alone = pd.to_datetime([text], format="mixed", errors="coerce")[0]
            if stamp is pd.NaT and alone is pd.NaT:
                raise InputError(f"{what} has values that are not timestamps (first at "
                                 f"{row(i)}: {_show(text)}).")
            found = _seconds((stamp if stamp is not pd.NaT else alone).utcoffset())
            if offset == _UNKNOWN:
                offset, first = found, i
            if found != offset:
                before = earlier if first is None else f"{row(first)} ({_show(texts[first])})"
                raise InputError(
                    f"{what} mixes stamps {_offset_text(offset)} and {_offset_text(found)}: "
                    f"{before}, then {row(i)} ({_show(text)}); nothing is guessed: "
                    "convert the stamps to one UTC offset (e.g. UTC) first.")
            if stamp is pd.NaT:   # read alone, it has the offset of the others
                raise InputError(f"{what} has values that are not timestamps of the format "
                                 f"{time_format!r} of the first (first at {row(i)}: "
                                 f"{_show(text)}).")
    raise InputError(f"{what} cannot be read as timestamps.")


def _seconds(delta):
    return None if delta is None else int(delta.total_seconds())


def _offset_text(seconds):
    if seconds is None:
        return "without UTC offset"
    sign, seconds = ("-" if seconds < 0 else "+"), abs(seconds)
    return f"at UTC{sign}{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def _show(value):
    """A value in a message: quoted if text, shortened to ``_SHOW`` characters."""
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= _SHOW else text[: _SHOW - 3] + "..."
