"""Segments of a series that ``--resample`` split at gaps longer than ``--max-gap``.

After such a gap no window holds anything of the rows before it, so each
segment is a series of its own: ``score`` and ``detect`` score each one alone,
with fresh context, through the detector's own scoring (``_scored``,
``channel_scores``: once per segment, never a copy of the computation), so a
segment's scores are ``score_samples`` of its rows alone, bit for bit. Events
never span two segments. A fit takes one contiguous series: training rows that
span such a gap are refused, naming the flags that fix it. ``watch --resample``
restarts its scorer at such a gap (``_restart``).
"""

import numpy as np

from ..exceptions import InputError
from ._errors import _estimator_errors

__all__ = []  # private helper of skvaelstm._cli._output, _model and _watch


def _segments(table):
    """``(start, stop)`` rows of each segment of ``table`` (one without
    ``--resample`` or long gaps)."""
    starts = [0, *sorted(table.gaps)]
    return list(zip(starts, [*starts[1:], len(table.X)]))


def _bounds(table, first_row=0):
    """The segments' ``(start, stop)`` in the written rows, those from
    ``first_row`` on (the earlier rows are context: a segment that ends before
    it is left out)."""
    return [(max(a, first_row) - first_row, b - first_row)
            for a, b in _segments(table) if b > first_row]


def _scored_segments(args, detector, table, first_row=0):
    """``score_samples``, ``decision_function`` and ``predict`` of each segment
    alone (``VAELSTMDetector._scored``), joined; a segment is scored whole, also
    when its first rows are context, and one that ends before ``first_row``
    (context only, never written) is not scored: its rows are NaN, +1."""
    from .._scoring._options import _min_score_rows

    if not table.gaps:
        with _estimator_errors():
            return detector._scored(table.X)
    n = len(table.X)
    scores, decision = np.full(n, np.nan), np.full(n, np.nan)
    predicted = np.ones(n, dtype=np.int64)
    needed = _min_score_rows(detector.score_aggregation, int(detector.window_size_))
    for start, stop in _segments(table):
        if stop <= first_row:
            continue
        if stop - start < needed:
            raise InputError(_too_short(args, table, start, stop, needed))
        with _estimator_errors():
            part = detector._scored(table.X.iloc[start:stop])
        scores[start:stop], decision[start:stop], predicted[start:stop] = part
    return scores, decision, predicted


def _channel_segments(detector, table, first_row=0):
    """``channel_scores`` of each segment alone, joined, from ``first_row`` on
    (as ``_scored_segments``)."""
    if not table.gaps:
        with _estimator_errors():
            return detector.channel_scores(table.X)[first_row:]
    parts = np.full(table.X.shape, np.nan)
    for start, stop in _segments(table):
        if stop > first_row:
            with _estimator_errors():
                parts[start:stop] = detector.channel_scores(table.X.iloc[start:stop])
    return parts[first_row:]


def _too_short(args, table, start, stop, needed):
    from .._io._tables import _fmt

    where = [f"after a gap of {table.gaps[start]} empty slots"] if start in table.gaps else []
    if stop in table.gaps:
        where.append(f"before a gap of {table.gaps[stop]}")
    return (f"--resample {args.resample}: segment {table.segment[start]} "
            f"({_fmt(table.time[start])} to {_fmt(table.time[stop - 1])}, "
            f"{' and '.join(where)}) has {stop - start} rows on the grid; a segment is "
            f"scored alone, with fresh context, and the model needs at least {needed} "
            f"rows to score one. Raise --max-gap (now {args.max_gap}) to mask the gap "
            "and join the segment to its neighbours, or remove its rows.")


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
    raise InputError(
        f"--resample {args.resample}: the {n_train} training rows on the grid span "
        f"{len(inside)} gap(s) longer than --max-gap {args.max_gap} (the first: "
        f"{table.gaps[row]} empty slots between {_fmt(table.time[row - 1])} and "
        f"{_fmt(table.time[row])}); a model is fitted on one contiguous series: train on "
        f"the rows before the gap (--train-until {_fmt(table.time[row])}, or --train-rows "
        f"{row}), or raise --max-gap to {table.gaps[row]} to mask it.")


def _restart(scorer, segment, stamp, pending, out, args, note, warn, counts):
    """``watch --resample`` after a gap longer than ``--max-gap``: the rows of the
    segment that waited for later rows are written with the scores the segment
    ends with (``score_samples`` of the segment alone: the provisional scores
    of ``StreamScorer.update`` with no rows), an open event ends, and a new
    scorer of the same detector starts the next segment (``segment``, whose
    first row is at ``stamp``) with fresh context: its first rows are warm-up
    rows again. With --adapt-threshold the tail learnt so far is kept (the gap
    restarts the context, not the threshold)."""
    from sklearn.utils import Bunch

    from ..streaming import StreamScorer
    from ._watch_rows import _emit, _Events, _frame

    detector = scorer.detector
    waiting = scorer.n_rows_seen_ - scorer.n_rows_final_
    if waiting:
        end = scorer.update(_frame(scorer, np.empty((0, detector.n_features_in_))),
                            provisional=True)
        positions, scores = end.provisional_positions, end.provisional_scores
        if scorer.n_rows_seen_ < scorer.min_rows:   # too short for any score
            positions = np.arange(scorer.n_rows_final_, scorer.n_rows_seen_)
            scores = np.full(len(positions), np.nan)
            warn(f"segment {counts['segment']} ends after {scorer.n_rows_seen_} rows, "
                 f"fewer than the {scorer.min_rows} a score needs: they are written "
                 "without a score (raise --max-gap to join it to the next segment).")
        decisions = scores - scorer.offset_
        _emit(Bunch(positions=positions, scores=scores, decisions=decisions,
                    labels=np.where(decisions < 0, -1, 1)), pending, [], out, args, warn,
              counts)
    message = _Events(counts["alert"], args.merge_gap, args.min_length).close(
        stamp, " (a gap over --max-gap ends the segment)")
    if message and args.alert:
        warn(message, kind="alert")
    fresh = StreamScorer(detector, adapt_threshold=scorer.adapt_threshold,
                         refit_every=scorer.refit_every)
    fresh._pot = scorer._pot
    ended = counts["segment"]
    counts.update(segment=segment, context=0, alert=None)
    note(f"{stamp}: a gap of more than --max-gap {args.max_gap} empty slots ends segment "
         f"{ended}: the live context restarts (segment {segment}); its first "
         f"{counts['warmup']} rows are scored without the model's full past (status "
         "warmup).")
    return fresh
