"""Which channels to blame for flagged rows, from ``VAELSTMDetector.channel_scores``.

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

from ._metrics._labels import _anomaly_mask
from ._metrics._vus import _segments

__all__ = ["rank_channels", "top_channels"]


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
