"""The time checks of ``skvaelstm watch`` for rows arriving one by one: the
rules of ``score`` (time order, duplicates, gaps) and, with ``--resample``, the
regular grid of ``_io._resample`` (the nearest slot; one row a slot; the slots a
gap skips come back as missing rows, up to ``--max-gap``; a longer gap starts a
new segment, which ``watch`` scores with fresh context)."""

import collections

import numpy as np

from .._io._resample import _slot
from .._io._timestamps import _NUMBER, _UNKNOWN, _instants, _time_format
from ..exceptions import InputError

__all__ = []  # private helper of skvaelstm._cli._watch

# Latest steps between time stamps whose median is the usual step (gap rule).
_STEPS_KEPT = 1000


class _Refused(InputError):
    """A bad row; ``moment`` is its time when that time was in order (a row
    skipped with --skip-bad-rows then marks its moment as passed, so that the
    row after it is not taken for a gap)."""

    def __init__(self, message, moment=None):
        super().__init__(message)
        self.moment = moment


class _Clock:
    """The time checks of ``score`` for rows arriving one by one.

    ``check`` reads a stamp and refuses it or returns its moment without changing
    the clock; ``advance`` makes a moment the last one once its row has been dealt
    with (scored, or skipped with --skip-bad-rows). A row that stops the command is
    never dealt with: the clock, like the place saved with --state, stays before it,
    and a restart reads it again. The stamps' format (inferred from the first row,
    the rule of ``score``) and UTC offset are kept with the clock.

    ``grid`` (``--resample``): ``{"freq", "max_gap", "mask"}``; the grid starts
    at the first row, its step is the frequency (seconds or a number), or with
    auto the first positive step (the median of ``score`` needs rows not read
    yet). A moment is ``(value, format, offset, step, slot, grid step)``, the last
    two None without a grid. ``segment`` counts the gaps longer than ``max_gap``
    passed (0 before the first)."""

    def __init__(self, name, allow_duplicates, allow_gaps, gap_factor, resumed, grid=None):
        self.name, self.gap_factor = name, gap_factor
        self.allow_duplicates, self.allow_gaps = allow_duplicates, allow_gaps
        self.grid = grid
        self.restore(resumed, [])

    def state(self):
        return {"format": self.format, "offset": self.offset, "last": self.last,
                "steps": list(self.steps), "origin": self.origin, "slot": self.slot,
                "grid_step": self.grid_step, "segment": self.segment}

    def restore(self, state, moments):
        """The clock of ``state`` (from ``state()``) moved on by ``moments``."""
        # states of earlier versions knew whether stamps were numbers, not their format
        numeric = _NUMBER if state.get("numeric") else _UNKNOWN
        self.format = state.get("format", numeric)
        self.offset = state.get("offset", _UNKNOWN)
        self.last = state.get("last")
        self.steps = collections.deque(state.get("steps", []), maxlen=_STEPS_KEPT)
        self.origin, self.slot = state.get("origin"), state.get("slot")
        self.grid_step = state.get("grid_step")
        self.segment = state.get("segment", 0)
        for moment in moments:
            self.advance(moment)

    def check(self, stamp):
        """The moment of ``stamp``; ``_Refused`` unless it may follow the last one
        (a gap's moment is in the error: a skipped row ends the gap, the rows after
        it are regular)."""
        moment = self._read(stamp)
        if self.last is None:
            if not self.grid:
                return (*moment, None, None)
            return (*moment, 0, self._first_step(moment[1]))
        step = moment[0] - self.last
        if step < 0:
            raise _Refused(f"time {stamp!r} comes before the previous row's; rows must "
                           "arrive in time order")
        if self.grid:
            return self._on_grid(stamp, moment, step)
        if step == 0:
            if not self.allow_duplicates:
                raise _Refused(f"time {stamp!r} repeats the previous row's (pass "
                               "--allow-duplicates to keep such rows)")
            return (*moment, None, None)
        if self.steps and not self.allow_gaps and step > self.gap_factor * float(
                np.median(self.steps)):
            raise _Refused(
                f"time {stamp!r} leaves a gap of {step:g} {self._unit} after the "
                f"previous row (over {self.gap_factor} x the usual step of "
                f"{np.median(self.steps):g}); pass --resample to fill gaps with missing "
                "rows, or --allow-gaps to accept them", (*moment, None, None))
        return (*moment[:3], step, None, None)

    def _on_grid(self, stamp, moment, step):
        grid_step = self.grid_step or (step if step > 0 else None)
        slot = None if grid_step is None else _slot(moment[0] - self.origin, grid_step)
        if slot is None or slot <= self.slot:
            raise _Refused(f"time {stamp!r} falls in the same slot of the --resample "
                           f"{self.grid['freq']} grid as the previous row; rows are not "
                           "averaged")
        moment = (*moment[:3], step, slot, grid_step)
        skipped = slot - self.slot - 1
        # a gap over --max-gap is not filled (it starts a new segment): no missing rows
        if skipped and skipped <= self.grid["max_gap"] and not self.grid["mask"]:
            raise _Refused(f"time {stamp!r} leaves {skipped} empty slot(s) of the "
                           f"--resample {self.grid['freq']} grid: missing rows, which the "
                           "model does not mask (refit it with --missing mask)", moment)
        return moment

    def _first_step(self, time_format):
        from .._io._resample import _AUTO, _parse_freq

        if self.grid["freq"] == _AUTO:
            return None
        stamps = time_format != _NUMBER
        step = _parse_freq(self.grid["freq"], stamps, self.name)
        return step / 1e9 if stamps else step

    def advance(self, moment):
        self.last, self.format, self.offset, step, slot, grid_step = moment
        if step is not None:
            self.steps.append(step)
        if self.grid:
            if self.origin is None:
                self.origin = self.last
            elif self.long_gap(slot):
                self.segment += 1
            self.slot, self.grid_step = slot, grid_step

    def long_gap(self, slot, previous=None):
        """Whether the empty slots between ``previous`` (default: the last row's
        slot) and ``slot`` are more than ``--max-gap``: a new segment."""
        previous = self.slot if previous is None else previous
        return previous is not None and slot - previous - 1 > self.grid["max_gap"]

    def slot_text(self, slot):
        """The time of a grid slot as the output writes it (stamps in UTC)."""
        # slot 0 is the first row's: with auto its step is not known yet
        value = self.origin + (slot * self.grid_step if slot else 0)
        if self.format == _NUMBER:
            return repr(float(value))
        stamp = np.datetime64(int(round(value * 1e6)), "us")
        return str(np.datetime_as_string(stamp, unit="s" if value % 1 == 0 else "us")
                   ).replace("T", " ")

    def duration(self, rows):
        """``rows`` usual steps in words; None without a time or a step yet."""
        if self.format == _NUMBER or not self.steps:
            return None
        seconds = rows * float(np.median(self.steps))
        for unit, size in (("days", 86400), ("h", 3600), ("min", 60)):
            if seconds >= 2 * size:
                return f"{seconds / size:.3g} {unit}"
        return f"{seconds:.3g} s"

    @property
    def _unit(self):
        return "" if self.format == _NUMBER else "s"

    def _read(self, stamp):
        """The moment of ``stamp`` without a step: seconds since 1970 in UTC, or
        the number itself; the format and offset of the stamps from now on."""
        if not stamp:
            raise _Refused(f"time {stamp!r} is empty")
        time_format = _time_format(stamp) if self.format == _UNKNOWN else self.format
        if time_format == _NUMBER:
            try:
                value = float(stamp)
            except ValueError:
                value = np.nan
            if not np.isfinite(value):
                raise _Refused(f"time {stamp!r} is not a number")
            return value, time_format, None, None
        (nanoseconds,), offset = _instants(
            np.array([stamp], dtype=object), time_format, self.offset,
            what=f"time column {self.name!r}", row=lambda _: "this row",
            earlier="the rows before")
        return nanoseconds / 1e9, time_format, offset, None
