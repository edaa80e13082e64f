"""Events: runs of flagged rows merged across short gaps, and the event-level metrics.

An alert is about an incident, not a row: a run of flagged rows broken by a
normal row or two is one incident, and a single flagged row is often noise. The
rule (the same in ``explain.events`` and ``watch --alert``): runs of flagged rows
separated by at most ``merge_gap`` normal rows are one event, spanning from its
first to its last flagged row; events spanning fewer than ``min_length`` rows are
dropped.
"""

import numbers

import numpy as np

from ._labels import _anomaly_mask
from ._vus import _segments

__all__ = []  # private: skvaelstm.explain.events and skvaelstm.metrics


def _check_count(value, name, low):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) \
            or value < low:
        raise ValueError(f"{name} must be an int >= {low}; got {value!r}.")
    return int(value)


def _event_spans(flagged, merge_gap=0, min_length=1):
    """First and last rows (inclusive) of the events of the boolean ``flagged``."""
    merge_gap = _check_count(merge_gap, "merge_gap", 0)
    min_length = _check_count(min_length, "min_length", 1)
    starts, stops = _segments(np.asarray(flagged, dtype=bool))
    if len(starts) > 1:
        # a run joins the previous one when the normal rows between them are few
        joined = starts[1:] - stops[:-1] - 1 <= merge_gap
        first = np.r_[True, ~joined]
        starts, stops = starts[first], stops[np.r_[~joined, True]]
    keep = stops - starts + 1 >= min_length
    return starts[keep], stops[keep]


def _predicted_spans(events, n_rows):
    """The (start, end) pairs of predicted events: a list of pairs or of
    ``explain.events`` dicts, or a 1-D array of ``n_rows`` labels (its runs)."""
    if isinstance(events, np.ndarray) and events.ndim == 1 or len(events) and all(
            np.ndim(e) == 0 and not isinstance(e, dict) for e in events):
        if len(events) != n_rows:
            raise ValueError(f"events holds {len(events)} labels; y_true {n_rows}.")
        return _segments(_anomaly_mask(np.asarray(events), name="events",
                                       only_ones="normal"))
    pairs = [(e["start"], e["end"]) if isinstance(e, dict) else tuple(e) for e in events]
    spans = np.asarray(pairs, dtype=object).reshape(-1, 2) if pairs else np.empty((0, 2))
    for start, end in spans:
        if not all(isinstance(v, numbers.Integral) and not isinstance(v, bool)
                   for v in (start, end)) or not 0 <= start <= end < n_rows:
            raise ValueError(f"events must be (start, end) row pairs with 0 <= start <= "
                             f"end < {n_rows} (the rows of y_true); got ({start!r}, "
                             f"{end!r}).")
    spans = spans.astype(np.int64)
    return spans[:, 0], spans[:, 1]


def _event_matches(y_true, events):
    """Per predicted event, whether it overlaps a labelled segment; per labelled
    segment, whether a predicted event overlaps it; and the labels' mask."""
    is_anomaly = _anomaly_mask(y_true)
    starts, ends = _predicted_spans(events, len(is_anomaly))
    seg_starts, seg_ends = _segments(is_anomaly)
    # cumulative counts: an event overlaps a segment iff it holds a labelled row
    labelled = np.r_[0, np.cumsum(is_anomaly)]
    hit = labelled[ends + 1] - labelled[starts] > 0
    predicted = np.zeros(len(is_anomaly) + 1, dtype=np.int64)
    np.add.at(predicted, starts, 1)
    np.add.at(predicted, ends + 1, -1)
    covered = np.r_[0, np.cumsum(np.cumsum(predicted)[:-1] > 0)]
    recalled = covered[seg_ends + 1] - covered[seg_starts] > 0
    return hit, recalled, is_anomaly


def event_precision(y_true, events):
    """Share of predicted events that overlap a labelled anomaly segment.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Labels, +1/-1 or 0/1 (see the module's conventions); every run of
        anomalous rows is one labelled segment.
    events : list or array-like
        The predicted events: ``(start, end)`` pairs of rows (both inclusive),
        the dicts of :func:`skvaelstm.explain.events`, or ``predict`` output of
        ``n_samples`` labels (each run of flagged rows one event).

    Returns
    -------
    precision : float
        True-positive events over predicted events; 0.0 without predicted events.

    Examples
    --------
    >>> from skvaelstm.metrics import event_precision
    >>> y = [0, 1, 1, 0, 0, 0, 0, 0]
    >>> event_precision(y, [(2, 3), (6, 6)])
    0.5
    """
    hit, _, _ = _event_matches(y_true, events)
    return float(hit.mean()) if len(hit) else 0.0


def event_recall(y_true, events):
    """Share of labelled anomaly segments that a predicted event overlaps.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Labels, +1/-1 or 0/1; at least one anomalous row.
    events : list or array-like
        The predicted events, as for :func:`event_precision`.

    Returns
    -------
    recall : float
        Recalled segments over labelled segments.

    Examples
    --------
    >>> from skvaelstm.metrics import event_recall
    >>> event_recall([0, 1, 1, 0, 0, 1, 0, 0], [(2, 3)])
    0.5
    """
    _, recalled, _ = _event_matches(y_true, events)
    if not len(recalled):
        raise ValueError("y_true contains no anomaly; event recall is undefined.")
    return float(recalled.mean())


def false_alarms_per_10k(y_true, events):
    """Predicted events overlapping no labelled segment, per 10,000 normal rows.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Labels, +1/-1 or 0/1; at least one normal row.
    events : list or array-like
        The predicted events, as for :func:`event_precision`.

    Returns
    -------
    rate : float
        ``10000 * false events / normal rows``.

    Examples
    --------
    >>> from skvaelstm.metrics import false_alarms_per_10k
    >>> y = [0] * 10_000 + [1]
    >>> false_alarms_per_10k(y, [(10, 12), (500, 500), (10_000, 10_000)])
    2.0
    """
    hit, _, is_anomaly = _event_matches(y_true, events)
    normal = int((~is_anomaly).sum())
    if normal == 0:
        raise ValueError("y_true contains only anomalies; false alarms per normal row "
                         "are undefined.")
    return 1e4 * int((~hit).sum()) / normal
