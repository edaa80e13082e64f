"""Window errors onto rows: pooling a window, the per-row statistics, the covering mean.

Errors arrive as arrays whose last axis holds the *columns* of the score: column
0 is the row's combined error, and with ``channel_scores`` columns 1.. are the
channels' additive parts of it (see ``_errors``). Every step here treats the
columns alike, and where a step picks one element (a maximum) it picks it by
column 0, so the parts always add up to the score. Sums add their terms in a
fixed order (a row's windows oldest first, a window's rows in order): a row's
score does not depend on how the windows were split into steps, which is what
makes the live scorer equal batch scoring bit for bit.

Missing values (``missing="mask"``): a row without an error in a window (NaN)
is left out of that window's pool, a window without an error out of the mean
over the windows covering a row; what has nothing left stays NaN. Left out
means 0.0 added and not counted, so the other values keep their bits.
"""

import numpy as np

from ._missing import _no_error_rows


def _pool(errors, aggregation):
    """One error per window, (n, W, K) -> (n, K): the mean over its rows, or the
    row where the combined error (column 0) is largest.

    The mean adds the rows in order (numpy's pairwise sum would depend on the
    array's memory layout, and the live scorer pools one window at a time).
    """
    none = _no_error_rows(errors)
    if aggregation.endswith("_max"):
        at = np.where(none, -np.inf, errors[:, :, 0]).argmax(axis=1)
        return errors[np.arange(len(errors)), at]   # NaN where no row has an error
    if none.any():
        values = np.where(none[:, :, None], 0.0, errors)
        count = (~none).sum(axis=1).astype(np.float64)[:, None]
        total = values[:, 0].copy()
        for t in range(1, errors.shape[1]):
            total += values[:, t]
        with np.errstate(invalid="ignore"):
            return total / count
    total = errors[:, 0].copy()
    for t in range(1, errors.shape[1]):
        total += errors[:, t]
    return total / errors.shape[1]


def _accumulate_row_errors(errors, first_start, aggregation, out, counts=None):
    """Fold per-position errors of predicted windows into per-row statistics.

    Parameters
    ----------
    errors : ndarray of shape (n_pred, window_size, n_columns)
        ``errors[i, t]`` is the error (columns) of row ``first_start + i + t`` in the
        predicted window starting at ``first_start + i``; entries for rows past
        the end of ``out`` are ignored.
    first_start : int
    aggregation : {"mean", "max", "newest"}
        ``"mean"`` adds to ``out`` (divide by ``_coverage`` afterwards),
        ``"max"`` keeps the window where column 0 is largest (start from ``-inf``),
        ``"newest"`` writes position 0 of each window: the prediction made from
        the most recent context.
    out : ndarray of shape (n_rows, n_columns)
        Updated in place.
    counts : ndarray of shape (n_rows,), optional
        ``"mean"``: incremented by the windows that give a row an error (NaN
        errors are then left out of the sum); divide by it instead of
        ``_coverage``.
    """
    n_pred, window_size = errors.shape[:2]
    if aggregation == "newest":
        out[first_start:first_start + n_pred] = errors[:, 0]
        return
    # t from the end: each row receives its windows oldest first, in every
    # chunk and across chunks, so its sum does not depend on how the windows
    # were split into chunks (the live scorer adds them in the same order)
    for t in reversed(range(window_size)):
        lo = first_start + t
        hi = min(first_start + n_pred + t, len(out))
        if hi <= lo:
            continue
        column = errors[: hi - lo, t]
        if aggregation == "mean":
            if counts is not None:
                has = ~np.isnan(column[:, 0])
                counts[lo:hi] += has
                column = np.where(has[:, None], column, 0.0)
            out[lo:hi] += column
        else:
            rows = out[lo:hi]
            larger = column[:, 0] > rows[:, 0]
            rows[larger] = column[larger]


def _covering_mean(values, first, last, window_size, block=1 << 16):
    """Replace window errors by row scores: the mean over the windows covering each row.

    ``values`` has shape (n,) or (n, n_columns). On entry ``values[s]`` is the
    error of the window starting at ``s`` for ``s = first .. last``; on return
    ``values[r]``, for ``r = first .. last + window_size - 1``, is the mean of
    ``values[s]`` over the windows covering ``r``, i.e. ``s`` in ``max(first, r -
    window_size + 1) .. min(r, last)``.

    Works in place, block by block from the end (a row's windows start at or
    before it, so rows are overwritten only after every later row has read
    them); the sum adds the window errors in a fixed order, oldest first, so a
    row's value does not depend on the block layout.
    """
    W = window_size
    for hi in range(last + W, first, -block):
        lo = max(hi - block, first)
        s_lo, s_hi = max(lo - W + 1, first), min(hi - 1, last)
        # window errors s_lo .. s_hi, zero-padded so that row r sums W entries
        padded = np.zeros((hi - lo + W - 1,) + values.shape[1:])
        offset = s_lo - (lo - W + 1)
        padded[offset:offset + s_hi - s_lo + 1] = values[s_lo:s_hi + 1]
        total = np.zeros((hi - lo,) + values.shape[1:])
        rows = np.arange(lo, hi)
        count = np.minimum(rows, last) - np.maximum(rows - W + 1, first) + 1
        none = np.isnan(padded if padded.ndim == 1 else padded[:, 0])
        if none.any():   # windows without an error: left out of sum and count
            padded = np.where(none.reshape((-1,) + (1,) * (padded.ndim - 1)), 0.0, padded)
            has = ~none
            has[:offset] = has[offset + s_hi - s_lo + 1:] = False   # the zero padding
            count = np.zeros(hi - lo)
            for k in range(W):
                count += has[k:k + hi - lo]
        for k in range(W):
            total += padded[k:k + hi - lo]
        with np.errstate(invalid="ignore"):
            values[lo:hi] = total / count.reshape((-1,) + (1,) * (values.ndim - 1))


def _coverage(rows, window_size):
    """Number of predicted windows covering each row ``>= window_size``.

    Windows start at ``window_size`` or later and cover ``window_size`` rows, so
    row ``r`` is covered by ``min(window_size, r - window_size + 1)`` of them.
    """
    return np.minimum(window_size, rows - window_size + 1)
