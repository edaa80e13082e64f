"""Vectorised range-based metrics: VUS-ROC / VUS-PR and point-adjusted F1.

Private helper of :mod:`skvaelstm.metrics`. It reproduces, in plain numpy,
``basic_metricor.RangeAUC_volume_opt`` of TSB-AD 1.5 (``TSB_AD/evaluation/
basic_metrics.py``, called by ``get_metrics(score, labels, slidingWindow=L)``),
which implements Paparrizos et al., "Volume Under the Surface: A New Accuracy
Evaluation Measure for Time-Series Anomaly Detection", PVLDB 15(11), 2022.

The reference loops over ``L + 1`` buffer lengths x 250 thresholds x segments
in Python. Every quantity it needs is, however, a cumulative count over the
thresholds, so here each point gets the index of the first threshold at which
it is predicted and all counts become cumulative sums. Only points inside an
anomaly or its largest buffer carry soft-label mass, which keeps the work at
``O(n log n + L * m)`` with ``m`` the number of such buffer points.

Everything here works on the *anomaly* score (higher = more anomalous) and a
boolean "is anomaly" mask; sign conventions are handled by the public module.
"""

import numpy as np

from .._model._window_size import _dominant_period

# TSB-AD evaluates the range-AUC curves at 250 score quantiles (``thre=250``).
_N_THRESHOLDS = 250

# Upper bound on the number of float64 cells of one (windows x buffer points)
# block; larger problems are processed in chunks of buffer lengths.
_MAX_BLOCK_CELLS = 2_000_000


def _segments(is_anomaly):
    """Return start and inclusive end indices of the runs of True.

    Same ranges as TSB-AD's ``range_convers_new``.
    """
    padded = np.concatenate(([0], is_anomaly.astype(np.int8), [0]))
    edges = np.flatnonzero(np.diff(padded))
    return edges[::2], edges[1::2] - 1


def _first_threshold_index(anomaly_score, n_thresholds):
    """Thresholds of the reference and, per point, the first one that fires.

    TSB-AD takes ``thresholds = sorted_desc[linspace(0, n - 1, thre).astype(int)]``
    and predicts ``score >= threshold``. Thresholds are non-increasing, so a
    point predicted at threshold ``k`` is predicted at every later one; we
    return ``first[i]`` = smallest ``k`` with ``score[i] >= thresholds[k]``
    (``n_thresholds`` if never).
    """
    n = anomaly_score.shape[0]
    sorted_desc = -np.sort(-anomaly_score)
    idx = np.linspace(0, n - 1, n_thresholds).astype(int)
    neg_thresholds = -sorted_desc[idx]  # non-decreasing
    return np.searchsorted(neg_thresholds, -anomaly_score, side="left")


def _cumulative_count(first, n_thresholds):
    """Number of points predicted at each threshold index."""
    counts = np.bincount(first, minlength=n_thresholds + 1)[:n_thresholds]
    return np.cumsum(counts).astype(float)


def _buffer_values(dist_prev, dist_prev2, dist_next, dist_next2, windows):
    """Soft labels of buffer points for several buffer lengths at once.

    TSB-AD's ``sequencing`` adds ``sqrt(1 - d / w)`` to every normal point at
    distance ``1 <= d <= w // 2`` after the end or before the start of an
    anomaly range, then clips the sum at 1. Each such term is at least
    ``sqrt(1/2)``, so two or more contributions always clip to exactly 1; with
    one contribution it comes from the nearest previous end or next start.

    Returns an array of shape ``(len(windows), n_points)``.
    """
    w = windows[:, None].astype(float)
    h = (windows // 2)[:, None]
    in_prev = dist_prev[None, :] <= h
    in_next = dist_next[None, :] <= h
    n_contrib = (
        in_prev.astype(np.int8)
        + (dist_prev2[None, :] <= h)
        + in_next
        + (dist_next2[None, :] <= h)
    )
    safe_w = np.maximum(w, 1.0)  # w in {0, 1} has h == 0: no contribution
    with np.errstate(invalid="ignore"):
        c_prev = np.where(in_prev, np.sqrt(np.clip(1.0 - dist_prev / safe_w, 0, None)), 0.0)
        c_next = np.where(in_next, np.sqrt(np.clip(1.0 - dist_next / safe_w, 0, None)), 0.0)
    return np.where(n_contrib >= 2, 1.0, np.minimum(1.0, c_prev + c_next))


def _existence(first, starts, ends, half, n, n_thresholds):
    """Existence counts of the merged extended ranges for one ``w // 2``.

    TSB-AD's ``new_sequence`` widens every range by ``half`` on both sides
    (clipped to the series) and merges neighbours unless
    ``end_i + half < start_{i+1} - half``. A merged range "exists" at a
    threshold once any of its points is predicted (the existence reward of
    Tatbul et al., NeurIPS 2018, used by Range-AUC).

    Returns ``(counts, n_ranges)`` where ``counts[k]`` is the number of ranges
    with a prediction at threshold index ``k``.
    """
    new_group = np.concatenate(([True], ends[:-1] + half < starts[1:] - half))
    group_starts = np.maximum(starts[new_group] - half, 0)
    last = np.concatenate((np.flatnonzero(new_group)[1:] - 1, [len(ends) - 1]))
    group_ends = np.minimum(ends[last] + half, n - 1)
    bounds = np.empty(2 * len(group_starts), dtype=np.intp)
    bounds[0::2] = group_starts
    bounds[1::2] = group_ends + 1
    if bounds[-1] >= n:
        bounds = bounds[:-1]
    group_min = np.minimum.reduceat(first, bounds)[0::2]
    counts = np.searchsorted(np.sort(group_min), np.arange(n_thresholds), side="right")
    return counts.astype(float), float(len(group_starts))


def range_auc_volume(is_anomaly, anomaly_score, window_size, n_thresholds=_N_THRESHOLDS):
    """VUS-ROC and VUS-PR exactly as TSB-AD's ``RangeAUC_volume_opt``.

    Parameters
    ----------
    is_anomaly : ndarray of bool, shape (n_samples,)
        Ground truth; must contain both classes (checked by the caller).
    anomaly_score : ndarray of float, shape (n_samples,)
        Higher means more anomalous; finite (checked by the caller).
    window_size : int
        Maximum buffer length ``L``; buffers ``0, 1, ..., L`` are averaged.
    n_thresholds : int, default=250
        Number of score quantiles used as thresholds (TSB-AD's ``thre``).

    Returns
    -------
    vus_roc, vus_pr : float
    """
    n = anomaly_score.shape[0]
    starts, ends = _segments(is_anomaly)
    n_anomalous = float(is_anomaly.sum())
    first = _first_threshold_index(anomaly_score, n_thresholds)
    thr_index = np.arange(n_thresholds)

    n_pred = _cumulative_count(first, n_thresholds)
    anomalous_pred = _cumulative_count(first[is_anomaly], n_thresholds)

    # Normal points within the largest buffer, with their distances to the
    # nearest and second-nearest previous range end and next range start.
    positions = np.flatnonzero(~is_anomaly)
    j_prev = np.searchsorted(ends, positions)  # number of ends before the point
    j_next = np.searchsorted(starts, positions)  # index of the next start
    big = np.iinfo(np.int64).max // 4
    ends_pad = np.concatenate(([-big, -big], ends))
    starts_pad = np.concatenate((starts, [big, big]))
    dist_prev = positions - ends_pad[j_prev + 1]
    dist_prev2 = positions - ends_pad[j_prev]
    dist_next = starts_pad[j_next] - positions
    dist_next2 = starts_pad[j_next + 1] - positions
    keep = np.minimum(dist_prev, dist_next) <= window_size // 2
    order = np.argsort(first[positions[keep]], kind="stable")
    buf_first = first[positions[keep]][order]
    dists = [d[keep][order] for d in (dist_prev, dist_prev2, dist_next, dist_next2)]
    # column of the cumulative sum holding the mass predicted at threshold k
    n_buf_pred = np.searchsorted(buf_first, thr_index, side="right")

    windows = np.arange(window_size + 1)
    tp = np.empty((len(windows), n_thresholds))
    chunk = max(1, _MAX_BLOCK_CELLS // max(1, len(buf_first)))
    for lo in range(0, len(windows), chunk):
        block = windows[lo:lo + chunk]
        values = _buffer_values(*dists, block)
        csum = np.zeros((len(block), values.shape[1] + 1))
        np.cumsum(values, axis=1, out=csum[:, 1:])
        # soft-label mass of predicted buffer points
        tp[lo:lo + chunk] = csum[:, n_buf_pred]

    exist = np.empty_like(tp)
    n_ranges = np.empty(len(windows))
    cache = {}
    for i, w in enumerate(windows):
        half = int(w) // 2
        if half not in cache:
            cache[half] = _existence(first, starts, ends, half, n, n_thresholds)
        exist[i], n_ranges[i] = cache[half]

    # Range-AUC of the reference: TP counts soft labels of predicted points,
    # the positives are the mean of the hard and the (predicted) soft mass.
    p_new = n_anomalous + tp / 2.0
    tp = tp + anomalous_pred
    tpr = np.minimum(tp / p_new, 1.0) * exist / n_ranges[:, None]
    fpr = (n_pred - tp) / (n - p_new)
    precision = tp / n_pred

    zeros = np.zeros((len(windows), 1))
    ones = np.ones((len(windows), 1))
    tpr_full = np.hstack((zeros, tpr, ones))
    fpr_full = np.hstack((zeros, fpr, ones))
    auc = np.sum(np.diff(fpr_full, axis=1) * (tpr_full[:, 1:] + tpr_full[:, :-1]) / 2.0, axis=1)
    ap = np.sum(np.diff(tpr_full[:, :-1], axis=1) * precision, axis=1)
    return float(np.mean(auc)), float(np.mean(ap))


def point_adjusted_f1_max(is_anomaly, anomaly_score, n_thresholds):
    """Best point-adjusted F1 over evenly spaced thresholds (TSB-AD's PA-F1).

    A labelled range counts as fully detected at threshold ``t`` as soon as its
    highest anomaly score exceeds ``t`` (point adjustment, Xu et al., WWW
    2018); predictions are ``anomaly_score > t`` for ``n_thresholds`` values
    of ``t`` evenly spaced between the lowest and highest score.
    """
    thresholds = np.linspace(anomaly_score.min(), anomaly_score.max(), n_thresholds)
    starts, ends = _segments(is_anomaly)
    range_len = (ends - starts + 1).astype(float)
    offsets = np.concatenate(([0], np.cumsum(ends - starts + 1)[:-1]))
    range_max = np.maximum.reduceat(anomaly_score[is_anomaly], offsets)
    order = np.argsort(range_max)
    # len_above[j]: total length of the ranges whose maximum is above the j
    # smallest range maxima
    len_above = np.concatenate((np.cumsum(range_len[order][::-1])[::-1], [0.0]))
    tp = len_above[np.searchsorted(range_max[order], thresholds, side="right")]
    normal_sorted = np.sort(anomaly_score[~is_anomaly])
    fp = normal_sorted.size - np.searchsorted(normal_sorted, thresholds, side="right")
    fn = is_anomaly.sum() - tp
    return float(np.max(2 * tp / (2 * tp + fp + fn)))


def estimate_sliding_window(x, *, default=125, max_lag=400, max_points=20000):
    """Dominant period of a series from its autocorrelation, for VUS buffers.

    The rule of TSB-AD's ``find_length_rank(x, rank=1)``, so that VUS values are
    comparable with its published tables: the autocorrelation (FFT, lags up to
    ``max_lag``, first ``max_points`` points) is searched for strict local maxima
    from lag 3 on; the highest one is the period. If there is none, or it lies
    outside lags 6 .. 303, ``default`` is returned.

    Parameters
    ----------
    x : array-like of shape (n_samples,) or (n_samples, 1)
    default : int, default=125
    max_lag : int, default=400
    max_points : int, default=20000

    Returns
    -------
    sliding_window : int
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 2 and x.shape[1] == 1:
        x = x[:, 0]
    if x.ndim != 1:
        raise ValueError(f"expected a univariate series, got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError("x contains NaN or infinity")
    period = _dominant_period(x, max_lag=max_lag, max_points=max_points)
    return default if period is None else period
