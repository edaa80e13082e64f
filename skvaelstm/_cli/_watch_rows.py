"""What ``skvaelstm watch`` does with rows once they are scored: the CSV lines
with their status, alerts once per event, the rows of ``--context`` (scored as
history, never written) and the note on how late scores are final.

A row's status is ``warmup`` while it lies in the first ``window_size *
n_windows_`` rows of the stream (its windows are predicted from a shorter past
than the model's, or scored with the shared warm-up score), ``final`` after.
``watch`` writes only final scores, so no row is ``provisional``.
"""

from ..exceptions import InputError

__all__ = []  # private helper of skvaelstm._cli._watch


def _warmup_rows(detector):
    """Rows scored without the model's full past at the start of a stream."""
    return int(detector.window_size_) * int(getattr(detector, "n_windows_",
                                                    detector.n_windows))


def _delay_note(scorer, clock):
    """How late a row's score is final, in rows and, when the usual step is
    known, in time (a pooled ``window_*`` score waits for the windows after it)."""
    rows = scorer.look_ahead
    aggregation = scorer.detector.score_aggregation
    if rows == 0:
        return f"scores are final as soon as a row arrives ({aggregation})."
    duration = clock.duration(rows)
    return (f"scores are final {rows} rows{f' (≈ {duration})' if duration else ''} after "
            f"a row arrives: score_aggregation {aggregation!r} pools the windows after "
            "it; a model fitted with --score-aggregation trailing_max scores each row "
            "as it arrives.")


def _read_context(path, scorer, clock, pending, header_type):
    """Feed the rows of ``path`` (a CSV with the live rows' columns) to the scorer as
    history, through the time checks; their stamps go to ``pending`` so that the
    rows can be told apart (and left out) when their scores come out. Returns the
    number of rows fed."""
    with open(path, encoding="utf-8", newline="") as file:
        lines = [line.rstrip("\r\n") for line in file]
    header, rows = None, []
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        if header is None:
            header = header_type(text)
            clock.name = header.time_column   # it may be found by its name
            continue
        try:
            values, stamp, moment = header.parse(text, clock)
        except ValueError as exc:
            raise InputError(f"line {number} of --context {path}: {exc}") from None
        if moment is not None:
            clock.advance(moment)
        rows.append(values)
        pending.append(stamp)
    if header is None:
        raise InputError(f"--context {path} has no header line.")
    if rows:
        try:
            result = scorer.update(_frame(scorer, rows))
        except ValueError as exc:
            raise InputError(f"--context {path}: {exc}") from None
        for _ in result.positions:   # history: scores never written
            pending.popleft()
    return len(rows), header


def _frame(scorer, rows):
    """The rows as the model was fitted: with its column names, if it has them."""
    import numpy as np

    names = getattr(scorer.detector, "feature_names_in_", None)
    if names is None:
        return np.asarray(rows, dtype=float)
    import pandas as pd

    return pd.DataFrame(rows, columns=names, dtype=float)


def _number(value):
    # a row without a score (no observed value in its windows): an empty cell
    return "" if value != value else repr(float(value))


def _emit(result, pending, labels, out, args, warn, counts):
    """Write the final rows of ``result`` (leaving out the rows of --context);
    ``pending`` holds the time labels of rows not written yet (oldest first).
    With --alert, one stderr line when an event starts and one when it is over
    (a line per row would flood a terminal or a pager during a long incident)."""
    pending.extend(labels)
    events = _Events(counts["alert"], args.merge_gap, args.min_length)
    lines = []
    for position, score, decision, label in zip(result.positions, result.scores,
                                                result.decisions, result.labels):
        stamp, filled = pending.popleft(), ""
        if position < counts["context"]:
            continue   # history: scored so that the live rows have their past
        if isinstance(stamp, list):   # --resample: a filled slot is never flagged
            # (states written before segments hold [time, filled])
            stamp, was_filled, segment = [*stamp, 0][:3]
            filled, label = f",{was_filled},{segment}", 1 if was_filled else label
        stamp = position if stamp is None else stamp   # no time column: the row number
        status = "warmup" if position < counts["warmup"] else "final"
        lines.append(f"{stamp},{_number(score)},{_number(decision)},{label}{filled},"
                     f"{status}\n")
        counts["written"] += 1
        counts["flagged"] += int(label == -1)
        message = events.feed(int(position), stamp, float(score), float(decision),
                              label == -1)
        if message and args.alert:
            warn(message, kind="alert")
    counts["alert"] = events.state
    out.write("".join(lines))


class _Events:
    """The event being built from final rows, as ``explain.events`` builds them:
    runs of flagged rows at most ``merge_gap`` normal rows apart are one event; it
    starts (is announced) once it spans ``min_length`` rows and is over once more
    than ``merge_gap`` normal rows follow its last flagged row. ``state`` (a dict
    of JSON values, or None) is kept with --state."""

    def __init__(self, state, merge_gap, min_length):
        self.state = None if state is None else dict(state)
        self.merge_gap, self.min_length = merge_gap, min_length

    def feed(self, position, stamp, score, decision, flagged):
        """The alert line this row causes, if any."""
        event = self.state
        if event is not None and event.get("last_row") is None:
            # a state of an earlier version (one run, announced): its last
            # flagged row was the previous one
            event.update(last_row=position - 1, last=None, announced=True,
                         start_row=position - event["rows"], peak=event["lowest"])
        if flagged:
            if event is None:
                self.state = event = {"start": stamp, "start_row": position,
                                      "rows": 0, "peak": score, "announced": False}
            event.update(last=stamp, last_row=position, rows=event["rows"] + 1,
                         peak=min(event["peak"], score))
            if not event["announced"] and (position - event["start_row"] + 1
                                           >= self.min_length):
                event["announced"] = True
                since = (f", {event['rows']} flagged row(s) by {stamp}"
                         if stamp != event["start"] else "")
                return (f"{event['start']}: anomaly starts (score {score:.4g}, below the "
                        f"threshold by {-decision:.4g}{since}).")
            return None
        if event is None or position - event["last_row"] <= self.merge_gap:
            return None
        return self.close(stamp)

    def close(self, stamp, why=""):
        """The alert line of the event open now, over at ``stamp`` (``why``: words
        after 'anomaly over'), if it was announced; no event is open after."""
        event, self.state = self.state, None
        if event is None or not event.get("announced", True):
            return None   # none, or shorter than min_length: not an event
        last = "" if event.get("last") is None else f" to {event['last']}"
        return (f"{stamp}: anomaly over{why}: {event['rows']} flagged row(s) from "
                f"{event['start']}{last}, lowest score "
                f"{event.get('peak', event.get('lowest')):.4g}.")
