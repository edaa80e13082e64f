"""Alerts as events, and which channels to blame for them (``VAELSTMDetector.channel_scores``).

Examples
--------
>>> import numpy as np
>>> from skvaelstm.explain import top_channels
>>> parts = np.zeros((6, 3))
>>> parts[2:4] = [[-0.1, -2.0, -0.4], [-0.2, -1.0, -0.3]]   # rows 2-3: channel "b"
>>> flagged = np.array([1, 1, -1, -1, 1, 1])                  # predict() output
>>> top_channels(parts, flagged, k=2, channel_names=["a", "b", "c"])
[{'start': 2, 'stop': 3, 'channels': [('b', 0.75), ('c', 0.175)]}]
"""

import numpy as np

from ._metrics._events import _event_spans
from ._metrics._labels import _anomaly_mask
from ._metrics._vus import _segments

__all__ = ["events", "rank_channels", "top_channels"]


def events(labels, scores=None, *, merge_gap=0, min_length=1, channel_scores=None, k=3,
           channel_names=None, timestamps=None):
    """The incidents in flagged rows: runs merged across short gaps, short ones dropped.

    Runs of flagged rows separated by at most ``merge_gap`` normal rows are one
    event, from its first to its last flagged row; events spanning fewer than
    ``min_length`` rows are dropped. ``skvaelstm watch --alert`` applies the
    same rule to a live stream, and the ``--events`` file of ``score`` and
    ``detect`` lists these events.

    Parameters
    ----------
    labels : array-like of shape (n_samples,)
        ``predict`` output (-1 = anomaly), or 0/1 / bool (1 = flagged).
    scores : array-like of shape (n_samples,) or None, default=None
        ``score_samples`` (or ``decision_function``) of the rows, for each
        event's peak (its lowest score: the most abnormal row).
    merge_gap : int, default=0
        Most normal rows between two runs that still makes them one event.
    min_length : int, default=1
        Fewest rows an event spans (first to last flagged row, inclusive).
    channel_scores : array-like of shape (n_samples, n_channels) or None, default=None
        ``VAELSTMDetector.channel_scores``: adds the ``k`` channels most to
        blame for each event (the rule of :func:`rank_channels`).
    k : int, default=3
        Channels per event, with ``channel_scores``.
    channel_names : list of str or None, default=None
        Names of the channels; their indices if None.
    timestamps : array-like of shape (n_samples,) or None, default=None
        Times of the rows: adds each event's ``start_time`` and ``end_time``.

    Returns
    -------
    events : list of dict
        In time order: ``start`` and ``end`` (row numbers, inclusive),
        ``rows`` (the flagged rows in it), with ``scores`` also ``peak_row``
        and ``peak_score`` (None where every score is NaN), with
        ``channel_scores`` ``channels`` (a list of ``(name, share)``), with
        ``timestamps`` ``start_time`` and ``end_time``.

    Raises
    ------
    ValueError
        For labels that are not +1/-1 or 0/1, arrays of other lengths, or a
        ``merge_gap`` or ``min_length`` that is not a count.

    See Also
    --------
    skvaelstm.metrics.event_precision, skvaelstm.metrics.event_recall,
    skvaelstm.metrics.false_alarms_per_10k : Events scored against labels.

    Examples
    --------
    >>> from skvaelstm.explain import events
    >>> flagged = [1, -1, -1, 1, -1, 1, 1, 1, -1, 1]
    >>> scores = [0.0, -3.0, -2.0, 0.0, -5.0, 0.0, 0.0, 0.0, -1.0, 0.0]
    >>> for event in events(flagged, scores, merge_gap=1, min_length=2):
    ...     print(event)
    {'start': 1, 'end': 4, 'rows': 3, 'peak_row': 4, 'peak_score': -5.0}
    """
    mask = _anomaly_mask(np.asarray(labels), name="labels", only_ones="normal")
    n = len(mask)
    columns = {}
    for name, values in (("scores", scores), ("timestamps", timestamps)):
        if values is not None:
            values = np.asarray(values)
            if values.shape != (n,):
                raise ValueError(f"{name} must have shape ({n},) like labels; got "
                                 f"{values.shape}.")
            columns[name] = values
    if "scores" in columns:
        try:
            columns["scores"] = columns["scores"].astype(float)
        except (TypeError, ValueError):
            raise ValueError("scores must be numbers.") from None
    if channel_scores is not None:
        parts = np.asarray(channel_scores, dtype=float)
        if parts.ndim != 2 or len(parts) != n:
            raise ValueError(f"channel_scores must have shape ({n}, n_channels); got "
                             f"{parts.shape}.")
        names = list(range(parts.shape[1])) if channel_names is None else channel_names
        if len(names) != parts.shape[1]:
            raise ValueError(f"channel_names has {len(names)} names for "
                             f"{parts.shape[1]} channels.")
        if not (isinstance(k, (int, np.integer)) and k >= 1):
            raise ValueError(f"k must be a positive int, got {k!r}.")
    found = []
    for start, end in zip(*_event_spans(mask, merge_gap, min_length)):
        event = {"start": int(start), "end": int(end),
                 "rows": int(mask[start:end + 1].sum())}
        if "scores" in columns:
            span = columns["scores"][start:end + 1]
            peak = None if np.isnan(span).all() else int(start + np.nanargmin(span))
            event["peak_row"] = peak
            event["peak_score"] = None if peak is None else float(span[peak - start])
        if channel_scores is not None:
            order, shares = rank_channels(parts, start, end)
            event["channels"] = [(names[i], round(float(shares[i]), 6)) for i in order[:k]]
        if "timestamps" in columns:
            event["start_time"] = columns["timestamps"][start]
            event["end_time"] = columns["timestamps"][end]
        found.append(event)
    return found


def rank_channels(channel_scores, start, stop):
    """Channels ordered from most to least to blame over rows ``start`` to ``stop`` (inclusive).

    A channel is ranked by how many times its usual part of the error it
    carries in the segment: its mean part over the segment's rows divided by
    its median part over all other rows. Ranking by the raw parts favours the
    channels that are always hard to predict; on the ASD tuning servers (12
    entities, 77 segments with labelled causes) the relative rule found more of
    the labelled KPIs (HitRate@150% 0.84 against 0.78 on seed 0, chosen there
    among four rules; benchmarks/results/asd_explain.md has both).

    Parameters
    ----------
    channel_scores : array-like of shape (n_samples, n_channels)
        ``VAELSTMDetector.channel_scores`` (lower = more abnormal).
    start, stop : int
        First and last row (inclusive) of the segment.

    Returns
    -------
    order : ndarray of shape (n_channels,)
        Channel indices, the one most to blame first (ties: the lower index).
    shares : ndarray of shape (n_channels,)
        Each channel's share of the segment's error (in channel order; they sum
        to 1, or are all 0 when the segment has no error at all).
    """
    parts = -np.asarray(channel_scores, dtype=float)
    segment = parts[start:stop + 1]
    ratio = _relative(segment.mean(axis=0), np.delete(parts, np.s_[start:stop + 1], axis=0))
    total = segment.sum()
    shares = segment.sum(axis=0) / total if total > 0 else np.zeros(parts.shape[1])
    return np.argsort(-ratio, kind="stable"), shares


def _relative(errors, others):
    """The ranking rule: ``errors`` (positive parts, channels last) over each
    channel's median part in the rows ``others`` (1 without such rows)."""
    usual = np.median(others, axis=0) if len(others) else np.ones(others.shape[1])
    return errors / np.maximum(usual, np.finfo(float).tiny)


def top_channels(channel_scores, flagged, *, k=3, channel_names=None):
    """The ``k`` channels most to blame for each run of flagged rows.

    Parameters
    ----------
    channel_scores : array-like of shape (n_samples, n_channels)
        ``VAELSTMDetector.channel_scores`` of the rows.
    flagged : array-like of shape (n_samples,)
        ``predict`` output (-1 = anomaly), or 0/1 / bool (1 = flagged); every
        run of consecutive flagged rows is one segment.
    k : int, default=3
        Channels per segment (all when there are fewer).
    channel_names : list of str or None, default=None
        Names to report; channel indices if None.

    Returns
    -------
    segments : list of dict
        One per segment, in time order: ``start`` and ``stop`` (inclusive row
        numbers) and ``channels``, a list of ``(name, share)``: the channels in
        the order of :func:`rank_channels` with their shares of the segment's
        error.
    """
    scores = np.asarray(channel_scores, dtype=float)
    if scores.ndim != 2:
        raise ValueError(f"channel_scores must be 2-D (rows, channels); got shape "
                         f"{scores.shape}.")
    mask = _anomaly_mask(np.asarray(flagged), name="flagged", only_ones="normal")
    if len(mask) != len(scores):
        raise ValueError(f"flagged has {len(mask)} values; channel_scores has "
                         f"{len(scores)} rows.")
    if channel_names is None:
        channel_names = list(range(scores.shape[1]))
    if len(channel_names) != scores.shape[1]:
        raise ValueError(f"channel_names has {len(channel_names)} names for "
                         f"{scores.shape[1]} channels.")
    if not (isinstance(k, (int, np.integer)) and k >= 1):
        raise ValueError(f"k must be a positive int, got {k!r}.")
    segments = []
    for start, stop in zip(*_segments(mask)):
        order, shares = rank_channels(scores, start, stop)
        segments.append({"start": int(start), "stop": int(stop),
                         "channels": [(channel_names[i], round(float(shares[i]), 6))
                                      for i in order[:k]]})
    return segments
