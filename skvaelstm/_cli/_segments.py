"""Segments of a series that ``--resample`` split at gaps longer than ``--max-gap``.

After such a gap no window holds anything of the rows before it, so each
segment is a series of its own: ``score`` and ``detect`` score each one alone,
with fresh context, through the detector's own scoring (``_scored``,
``channel_scores``: once per segment, never a copy of the computation), so a
segment's scores are ``score_samples`` of its rows alone, bit for bit. Events
never span two segments. A segment too short to score (``_too_short``, the one
rule of batch and live scoring) is written without scores (NaN, label +1) with
a warning naming it. A fit takes one contiguous series: training rows that
span such a gap are refused, naming the flags that fix it. ``watch
--resample`` ends the segment in its scorer at such a gap (``_restart``,
``StreamScorer.end_segment``).
"""

import numpy as np

from ..exceptions import InputError
from ._errors import _estimator_errors

__all__ = []  # private helper of skvaelstm._cli._output, _model and _watch


def _segment_bounds(table):
    """``(start, stop)`` rows of each segment of ``table`` (one without
    ``--resample`` or long gaps)."""
    starts = [0, *sorted(table.gaps)]
    return list(zip(starts, [*starts[1:], len(table.X)]))


def _bounds(table, first_row=0):
    """The segments' ``(start, stop)`` in the written rows, those from
    ``first_row`` on (the earlier rows are context: a segment that ends before
    it is left out)."""
    return [(max(a, first_row) - first_row, b - first_row)
            for a, b in _segment_bounds(table) if b > first_row]


def _too_short(detector, n_rows):
    """The rows a segment needs for a score if its ``n_rows`` are fewer, else 0:
    the one rule of ``score``/``detect`` and ``watch`` (the fewest rows
    ``score_samples`` accepts, ``StreamScorer.min_rows``). Such a segment's rows
    are written without a score (NaN, label +1), with ``_short_warning``."""
    from .._scoring._options import _min_score_rows

    needed = _min_score_rows(detector.score_aggregation, int(detector.window_size_))
    return needed if n_rows < needed else 0


def _short_warning(args, segment, first, last, n_rows, needed):
    """The warning on a segment too short to score (``_too_short``)."""
    return (f"segment {segment} ({first} to {last}) ends after {n_rows} rows, fewer than "
            f"the {needed} a score needs (a segment is scored alone, with fresh context): "
            "its rows are written without a score (empty score, label +1). Raise "
            f"--max-gap (now {args.max_gap}) to mask the gap and join it to its "
            "neighbours.")


def _scored_segments(args, detector, table, first_row=0, *, warn):
    """``score_samples``, ``decision_function`` and ``predict`` of each segment
    alone (``VAELSTMDetector._scored``), joined; a segment is scored whole, also
    when its first rows are context, and one that ends before ``first_row``
    (context only, never written) is not scored: its rows are NaN, +1. So are
    the rows of a segment too short to score (``_too_short``), with a warning."""
    from .._io._tables import _fmt

    if not table.gaps:
        with _estimator_errors():
            return detector._scored(table.X)
    n = len(table.X)
    scores, decision = np.full(n, np.nan), np.full(n, np.nan)
    predicted = np.ones(n, dtype=np.int64)
    for number, (start, stop) in enumerate(_segment_bounds(table)):
        if stop <= first_row:
            continue
        needed = _too_short(detector, stop - start)
        if needed:
            warn(_short_warning(args, number, _fmt(table.time[start]),
                                _fmt(table.time[stop - 1]), stop - start, needed))
            continue
        with _estimator_errors():
            part = detector._scored(table.X.iloc[start:stop])
        scores[start:stop], decision[start:stop], predicted[start:stop] = part
    return scores, decision, predicted


def _channel_segments(detector, table, first_row=0):
    """``channel_scores`` of each segment alone, joined, from ``first_row`` on
    (as ``_scored_segments``: NaN for a segment too short to score)."""
    if not table.gaps:
        with _estimator_errors():
            return detector.channel_scores(table.X)[first_row:]
    parts = np.full(table.X.shape, np.nan)
    for start, stop in _segment_bounds(table):
        if stop > first_row and not _too_short(detector, stop - start):
            with _estimator_errors():
                parts[start:stop] = detector.channel_scores(table.X.iloc[start:stop])
    return parts[first_row:]


def _segment_events(predicted, scores, parts, table, first_row, **options):
    """``explain.events`` of the written rows (from ``first_row``), segment by
    segment: an event never spans the gap between two segments."""
    from ..explain import events

    found = []
    for start, stop in _bounds(table, first_row):
        for event in events(predicted[start:stop], scores[start:stop],
                            channel_scores=None if parts is None else parts[start:stop],
                            **options):
            for key in ("start", "end", "peak_row"):
                if event.get(key) is not None:
                    event[key] += start
            found.append(event)
    return found


def _segments_line(table, first_row=0):
    """The summary's words on segments ('' without long gaps)."""
    if not table.gaps:
        return ""
    written = len(_bounds(table, first_row))
    return (f" in {written} segment(s), each scored alone with fresh context (gaps "
            "longer than --max-gap; column segment)")


def _check_one_series(args, table, n_train):
    """A fit takes one contiguous series: refuse training rows that span a gap
    longer than ``--max-gap`` rather than train across it (as if the rows
    after the gap followed the rows before it) or pick a segment silently."""
    from .._io._tables import _fmt

    inside = [row for row in sorted(table.gaps) if row < n_train]
    if not inside:
        return
    row = inside[0]
    widest = max(table.gaps[r] for r in inside)   # masks every gap in the training rows
    raise InputError(
        f"--resample {args.resample}: the {n_train} training rows on the grid span "
        f"{len(inside)} gap(s) longer than --max-gap {args.max_gap} (the first: "
        f"{table.gaps[row]} empty slots between {_fmt(table.time[row - 1])} and "
        f"{_fmt(table.time[row])}); a model is fitted on one contiguous series: train on "
        f"the rows before the gap (--train-until {_fmt(table.time[row])}, or --train-rows "
        f"{row}), or raise --max-gap to {widest} to mask {'it' if len(inside) == 1 else 'them'}.")


def _restart(scorer, segment, stamp, pending, out, args, note, warn, counts):
    """``watch --resample`` after a gap longer than ``--max-gap``: the scorer ends
    its segment (``StreamScorer.end_segment``: the rows that waited for later
    rows get the scores the segment ends with, those of ``score_samples`` on it
    alone; none if it is too short, with ``_short_warning``), they are written,
    an open event ends, and the scorer goes on with the next segment
    (``segment``, whose first row is at ``stamp``) with fresh context: its first
    rows are warm-up rows again. With --adapt-threshold the tail learnt so far is
    kept (the gap restarts the context, not the threshold)."""
    from ._watch_rows import _emit, _Events

    ended, n_rows = counts["segment"], scorer.n_rows_seen_
    needed = _too_short(scorer.detector, n_rows)
    if n_rows and needed:   # every row of the segment waits: their labels are pending
        first, last = (label[0] if isinstance(label, list) else label
                       for label in (pending[0], pending[-1]))
        warn(_short_warning(args, ended, first, last, n_rows, needed))
    _emit(scorer.end_segment(), pending, [], out, args, warn, counts)
    message = _Events(counts["alert"], args.merge_gap, args.min_length).close(
        stamp, " (a gap over --max-gap ends the segment)")
    if message and args.alert:
        warn(message, kind="alert")
    counts.update(segment=segment, context=0, alert=None)
    note(f"{stamp}: a gap of more than --max-gap {args.max_gap} empty slots ends segment "
         f"{ended}: the live context restarts (segment {segment}); its first "
         f"{counts['warmup']} rows are scored without the model's full past (status "
         "warmup).")
