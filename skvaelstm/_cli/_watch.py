"""``skvaelstm watch``: score CSV rows as they arrive (standard input or a growing file).

Reads a CSV header line, then rows; writes ``TIME,score,decision,label,status``
lines (``row`` instead of ``TIME`` without a time column) as soon as a row's score
is final (``streaming.StreamScorer``), flushed after every read, so it works in a
pipe; what is written for final rows (status, alerts per event, the rows of
``--context`` left out) is ``_watch_rows``'. Time stamps must increase; duplicated
stamps and gaps follow ``score``'s rules (``--allow-duplicates``, ``--allow-gaps``),
the usual step being the median of the latest steps; stamps are read as ``score``
reads them (``_timestamps``). With ``--resample`` a gap longer than ``--max-gap``
starts a new segment: the scorer goes on with fresh context (``_segments``).
A bad row stops the command (exit 2) after what was final has been written,
leaving the scorer, the clock and the saved place before it (a restart reads it
again), or, with ``--skip-bad-rows``, is reported on stderr and skipped (the
scorer is unchanged by it). A followed file that is truncated or replaced is read
again from its start (``_line_reader``). Ctrl-C, the end of the input or a closed
output pipe end the command cleanly (exit 0), with every final row written and,
with ``--state``, the scorer saved to resume later (in the same file: after the
last line dealt with). Each read's rows are dealt with whole: Ctrl-C waits for them.
"""

import collections
import contextlib
import csv
import os
import signal
import sys
import threading

import numpy as np

from .._io._line_reader import _file_digest, _file_place, _Lines, _Reopened, _resume_place
from ..exceptions import InputError
from ._watch_clock import _Clock, _Refused
from ._watch_rows import _delay_note, _emit, _frame, _read_context, _warmup_rows

__all__ = []  # private helper of skvaelstm.cli


def _watch(args, *, note, warn):
    from .._io._tables import _GAP_FACTOR
    from ..persistence import load_model, read_model_info, save_model
    from ..streaming import StreamScorer
    from ._model import _model_columns  # shared with 'score'
    from ._options import _set_threshold

    model_digest = _file_digest(args.model)
    scorer, resumed = None, None
    if args.state and os.path.exists(args.state):
        scorer = load_model(args.state)
        resumed = read_model_info(args.state)["metadata"].get("watch", {})
        if not isinstance(scorer, StreamScorer) or resumed.get("model") != model_digest:
            raise InputError(f"--state {args.state} was not written by 'skvaelstm watch' "
                             f"with the model {args.model}; remove it to start afresh.")
        note(f"resuming from {args.state}: {scorer.n_rows_seen_} rows seen before.")
    detector = load_model(args.model, trusted=args.trusted)
    if not hasattr(detector, "offset_"):
        raise InputError(f"{args.model} holds a live scorer's state, not a model; pass it "
                         "as --state.")
    time_column, columns = _model_columns(args, detector)
    detector = _set_threshold(args, detector)
    if args.adapt_threshold and detector.contamination != "pot":
        raise InputError("--adapt-threshold keeps fitting the tail of --contamination pot; "
                         f"the model's rule is {detector.contamination!r}: add "
                         "--contamination pot.")
    if scorer is None:
        scorer = StreamScorer(detector, adapt_threshold=args.adapt_threshold)
    else:
        _check_resumed_threshold(args, scorer, detector)
    clock = _Clock(time_column, args.allow_duplicates, args.allow_gaps, _GAP_FACTOR,
                   resumed or {}, grid=_grid(args, detector))
    pending = collections.deque(resumed.get("pending", []) if resumed else [])
    if len(pending) != scorer.n_rows_seen_ - scorer.n_rows_final_:
        raise InputError(f"--state {args.state} is damaged (its rows waiting for a score do "
                         "not match the scorer); remove it to start afresh.")
    counts = {"read": 0, "written": 0, "skipped": 0, "flagged": 0, "filled": 0,
              "alert": resumed.get("alert") if resumed else None,   # the event now
              "context": resumed.get("context", 0) if resumed else 0,   # rows not written
              "warmup": _warmup_rows(detector),
              # --resample: the segment the scorer is in (a gap over --max-gap restarts it)
              "segment": resumed.get("scoring_segment", 0) if resumed else 0}
    if args.context:
        if clock.grid:   # context rows would need the grid too: not built yet
            raise InputError("--context cannot be combined with --resample yet: put the "
                             "history in front of the live rows instead.")
        if resumed is not None:
            raise InputError(f"--context gives a new stream its history; --state "
                             f"{args.state} already holds one: leave out --context.")
        counts["context"], _ = _read_context(
            args.context, scorer, clock, pending,
            lambda text: _Header(text, columns, time_column, args.context))
    note(_delay_note(scorer, clock))
    if scorer.n_rows_seen_ < counts["warmup"]:
        note(f"the first {counts['warmup']} rows of the stream are scored without the "
             "model's full past (status warmup); --context FILE gives them history.")
    out = sys.stdout
    header, stop = None, None
    place = _resume_place(args.data, (resumed or {}).get("place"))
    if place is not None:
        note(f"going on in {args.data} after line {place['line']}.")
    where = dict(place or {"line": 0, "offset": 0})   # the last line dealt with
    source = _Lines(args.data, args.follow, place)
    again = False   # a followed file read again from its start: its header comes again
    try:
        for lines in source.batches():
            if isinstance(lines, _Reopened):
                note(lines.message)
                where, again = {"line": 0, "offset": 0}, True
                continue
            # a batch is dealt with whole or not at all: Ctrl-C waits for its end,
            # so the state saved never holds rows whose scores were not written
            with _interrupts_deferred():
                rows, labels, numbers, ends = [], [], [], []
                before, moments = clock.state(), []   # to undo rows the scorer refuses
                for raw, end in lines:
                    text = raw.rstrip("\r")
                    number = where["line"] + len(ends) + 1
                    if (header is None or again) and text.strip():
                        again, counted = False, header is None and place is not None
                        if header is None or header.is_header(text):
                            first = header is None
                            header = _Header(text, columns, time_column, args.data,
                                             mask=detector.missing == "mask")
                            if first:   # the time column may be found by its name
                                clock.name = header.time_column
                                if clock.grid and clock.name is None:
                                    raise InputError(f"--resample {args.resample} needs a "
                                                     "time column (--time-column).")
                                for line in header.notes:
                                    note(line)
                                out.write(f"{header.time_column or 'row'},score,decision,"
                                          "label" + (",filled,segment" if clock.grid
                                                     else "")
                                          + ",status\n")
                            if not counted:   # a resumed file's header was counted before
                                ends.append(end)
                            continue
                    if header is not None and text.strip():
                        try:
                            values, label, moment = header.parse(text, clock)
                        except ValueError as exc:
                            stop = _bad_row(number, exc, args.skip_bad_rows, warn, counts)
                            if stop is not None:
                                break   # not dealt with: the clock has not moved
                            moment = getattr(exc, "moment", None)
                            new = []
                        else:
                            new, previous = [(values, label)], clock.slot
                        if moment is not None:
                            clock.advance(moment)
                            moments.append((number, moment))
                        if clock.grid and new:
                            new = _on_grid(clock, previous, values)
                            counts["filled"] += len(new) - 1
                        for values, label in new:
                            rows.append(values)
                            labels.append(label)
                            numbers.append(number)
                    ends.append(end)
                failed, at = _score_segments(scorer, rows, labels, numbers, pending, out,
                                             args, note, warn, counts)
                if at is not None:   # the row the scorer refused and the rows after it
                    clock.restore(before, [m for n, m in moments if n < at])
                done = ends if at is None else ends[:at - where["line"] - 1]
                if done:   # the lines dealt with, up to a row the scorer refused
                    where = {"line": where["line"] + len(done), "offset": done[-1]}
                out.flush()
            stop = stop if failed is None else failed
            if stop is not None:
                raise stop
    except KeyboardInterrupt:
        note("stopped (Ctrl-C).")
    except BrokenPipeError:
        # the reader went away (e.g. '| head'): stop quietly, as Unix tools do;
        # stdout now points at devnull, so that the interpreter's last flush at
        # exit does not fail again (the recipe of Python's signal docs)
        with contextlib.suppress(AttributeError, ValueError, OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    finally:
        if args.state and header is not None:
            save_model(scorer, args.state, metadata={"watch": {
                "model": model_digest, "pending": list(pending),
                "alert": counts["alert"], "context": counts["context"],
                "scoring_segment": counts["segment"],
                "place": _file_place(source.identity, where),
                **clock.state()}})
    if header is None and stop is None:
        source = "standard input" if args.data in (None, "-") else args.data
        raise InputError(f"{source} has no header line.")
    waiting = scorer.n_rows_seen_ - scorer.n_rows_final_
    filled = f" ({counts['filled']} of them empty slots)" if counts["filled"] else ""
    if counts["segment"]:
        filled += f" in {counts['segment'] + 1} segments"
    note(f"{counts['read']} rows read{filled}, {counts['written']} scores written "
         f"({counts['flagged']} flagged), {counts['skipped']} rows skipped"
         + (f"; the last {waiting} wait for later rows" if waiting else "") + ".")
    if args.state and header is not None:
        note(f"state written to {args.state}")


def _check_resumed_threshold(args, scorer, detector):
    """A resumed ``--state`` keeps its threshold: refuse flags that ask for another
    (the same flags as when it was written are fine)."""
    from .._model._threshold import _RULE

    resumed = scorer.detector.get_params()
    wanted = detector.get_params()
    changed = [f"--{name.replace('_', '-')}" for name in _RULE if resumed[name] != wanted[name]]
    if scorer.adapt_threshold != args.adapt_threshold:
        changed.append("--adapt-threshold")
    if changed:
        raise InputError(f"--state {args.state} was written with another threshold "
                         f"({', '.join(changed)}); give the options it was written with, "
                         "or remove it to start afresh.")


@contextlib.contextmanager
def _interrupts_deferred():
    """Hold back Ctrl-C (SIGINT) until the block has finished, then raise it."""
    previous = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or previous is None:
        yield   # signals can only be handled in the main thread
        return
    caught = []
    signal.signal(signal.SIGINT, lambda *_: caught.append(True))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt


def _bad_row(line_number, exc, skip, warn, counts):
    """The error that stops the command, or None when the row is skipped."""
    message = f"line {line_number} of the input: {exc}"
    if not skip:
        return InputError(message)
    warn(f"{message}; skipped (--skip-bad-rows).")
    counts["skipped"] += 1
    return None


def _score_rows(scorer, rows, labels, numbers, pending, out, args, warn, counts):
    """Update ``scorer`` with the parsed rows and write what became final; the
    error that stops the command and the line number of its row, if any. Rows
    the scorer refuses (values too extreme to standardise, overflowing networks)
    are found by retrying them one by one."""
    if not rows:
        return None, None
    try:
        result = scorer.update(_frame(scorer, rows))
    except ValueError:   # the scorer is unchanged; find the row(s) it refuses
        result = None
    if result is not None:
        counts["read"] += len(rows)
        _emit(result, pending, labels, out, args, warn, counts)
        return None, None
    for values, label, number in zip(rows, labels, numbers):
        try:
            result = scorer.update(_frame(scorer, [values]))
        except ValueError as exc:   # the scorer is unchanged: skip the row or stop
            stop = _bad_row(number, exc, args.skip_bad_rows, warn, counts)
            if stop is not None:
                return stop, number
            continue
        counts["read"] += 1
        _emit(result, pending, [label], out, args, warn, counts)
    return None, None


def _score_segments(scorer, rows, labels, numbers, pending, out, args, note, warn, counts):
    """``_score_rows`` for the rows of each ``--resample`` segment in turn: before
    the first row of a new one the scorer ends its segment (``_segments._restart``).
    ``_score_rows``' error and line number."""
    from ._segments import _restart

    start = 0
    while start < len(rows):
        # a row's label is [time, filled, segment] on the grid, else its time
        segment = labels[start][2] if isinstance(labels[start], list) else counts["segment"]
        stop = start + 1
        while stop < len(rows) and (not isinstance(labels[stop], list)
                                    or labels[stop][2] == segment):
            stop += 1
        if segment != counts["segment"]:
            _restart(scorer, segment, labels[start][0], pending, out, args, note, warn,
                     counts)
        failed, at = _score_rows(scorer, rows[start:stop], labels[start:stop],
                                 numbers[start:stop], pending, out, args, warn, counts)
        if at is not None:
            return failed, at
        start = stop
    return None, None


def _grid(args, detector):
    """The clock's ``--resample`` grid, or None."""
    from .._io._resample import _AUTO, _parse_freq

    if args.resample is None:
        if args.max_gap is not None:
            raise InputError("--max-gap is the longest gap --resample fills: add --resample.")
        return None
    if args.resample != _AUTO:   # stamps or numbers: known at the first row
        try:
            _parse_freq(args.resample, True, None)
        except InputError:
            _parse_freq(args.resample, False, "of the input")
    params = {**detector.get_params(), "window_size_": detector.window_size_,
              "n_windows_": getattr(detector, "n_windows_", detector.n_windows)}
    from ._data import _max_gap

    args.max_gap = _max_gap(args, params)   # the limit itself, for the notes
    return {"freq": args.resample, "max_gap": args.max_gap,
            "mask": detector.missing == "mask"}


def _on_grid(clock, previous, values):
    """The rows of a row read on the ``--resample`` grid: the slots skipped since
    the ``previous`` one (missing values; none after a gap over --max-gap, which
    starts a new segment), then the row, each labelled with ``[its slot's time,
    filled, segment]``."""
    slot = clock.slot
    first = slot if previous is None or clock.long_gap(slot, previous) else previous + 1
    missing = [np.nan] * len(values)
    return [(missing, [clock.slot_text(s), 1, clock.segment]) for s in range(first, slot)
            ] + [(values, [clock.slot_text(slot), 0, clock.segment])]


class _Header:
    """Where the channels and the time stamp are in a row of the CSV."""

    def __init__(self, text, columns, time_column, source, mask=False):
        import pandas as pd

        from .._io._tables import _check_columns, _choose_columns

        names = next(csv.reader([text]))
        frame = pd.DataFrame(columns=names)
        label = "standard input" if source in (None, "-") else source
        time_column, columns, _, self.notes = _choose_columns(
            names, path=label, time_column=time_column, columns=columns)
        self.time_column = time_column
        self.wanted = [c for c in [time_column, *columns] if c is not None]
        _check_columns(frame, self.wanted, label)
        self.width = len(names)
        self.channels = [names.index(c) for c in columns]
        self.names = list(columns)
        self.time = None if time_column is None else names.index(time_column)
        self.mask = mask   # the model masks missing values: empty cells are NaN

    def is_header(self, text):
        """Whether the line names columns (the first line of a file read again:
        a header, or already a row; a row holds numbers where the names are)."""
        fields = [field.strip() for field in next(csv.reader([text]))]
        return any(name in fields for name in self.wanted)

    def parse(self, text, clock):
        """The channel values, the time stamp and its moment (None without a time
        column) of a row; ``_Refused`` for a bad row. The clock is left unchanged."""
        fields = next(csv.reader([text]))
        stamp = moment = None
        if self.time is not None and len(fields) > self.time:
            stamp = fields[self.time].strip()
            moment = clock.check(stamp)
        if len(fields) != self.width:
            raise _Refused(f"it has {len(fields)} fields, the header {self.width}", moment)
        values = []
        for index, name in zip(self.channels, self.names):
            try:
                value = np.nan if self.mask and not fields[index].strip() else float(
                    fields[index])
            except ValueError:
                raise _Refused(f"column {name!r} holds {fields[index]!r}, not a "
                               "number", moment) from None
            if np.isinf(value) or (np.isnan(value) and not self.mask):
                raise _Refused(f"column {name!r} holds {fields[index]!r}; values must "
                               "be finite", moment)
            values.append(value)
        return values, stamp, moment
