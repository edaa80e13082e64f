"""Windows over a time series and the mapping of window errors back onto rows.

Conventions used throughout the package (rows are time steps, columns channels):

* a *window* ``s`` holds rows ``s .. s + window_size - 1`` (it *starts* at ``s``);
* the *context* of a predicted window ``s`` are the non-overlapping windows that
  end right before it: ``s - k * window_size`` for ``k = K, ..., 1`` with
  ``K = min(n_windows - 1, s // window_size)`` (oldest first), i.e. the paper's
  ``l_seq - 1`` preceding windows, fewer at the start of a series;
* a predicted window may run past the end of the input: only its rows that exist
  are compared with the data, so the score of a row never depends on later rows.
"""

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._vus import _dominant_period

# window_size="auto": the dominant period times _AUTO_FACTOR, within these
# bounds; _AUTO_FALLBACK without a period (the paper's window).
_AUTO_FACTOR = 1.0
_AUTO_BOUNDS = (16, 96)
_AUTO_FALLBACK = 48


def _sliding_windows(Z, window_size):
    """All stride-1 windows of ``Z`` as a read-only view.

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_channels)
    window_size : int

    Returns
    -------
    windows : ndarray of shape (n_samples - window_size + 1, n_channels, window_size)
        A strided view (no copy); the layout is what ``torch.nn.Conv1d`` expects.
    """
    return sliding_window_view(Z, window_size, axis=0)


def _context_length(starts, window_size, n_windows):
    """Number of context windows available for predicted windows ``starts``."""
    return np.minimum(n_windows - 1, starts // window_size)


def _context_indices(starts, context_length, window_size):
    """Window indices of the context of each predicted window, oldest first.

    Parameters
    ----------
    starts : ndarray of int, shape (n,)
        Start rows of the predicted windows; all must have the same context length.
    context_length : int
    window_size : int

    Returns
    -------
    indices : ndarray of int, shape (n, context_length)
    """
    offsets = np.arange(context_length, 0, -1) * window_size
    return starts[:, None] - offsets[None, :]


def _sequence_indices(n_rows, window_size, n_windows):
    """Window indices of every LSTM training sequence in ``n_rows`` rows.

    A sequence is ``n_windows`` consecutive non-overlapping windows; sequences
    start at every row (stride 1), as in the reference implementation, so there
    are ``n_rows - window_size * n_windows + 1`` of them.

    Returns
    -------
    indices : ndarray of int, shape (n_sequences, n_windows)
    """
    n_sequences = n_rows - window_size * n_windows + 1
    if n_sequences < 1:
        return np.empty((0, n_windows), dtype=np.intp)
    starts = np.arange(n_sequences)
    return starts[:, None] + np.arange(n_windows)[None, :] * window_size


def _chronological_split(n_rows, validation_fraction):
    """Row index where the validation tail starts.

    Early stopping uses the *last* rows of the training series, never a random
    subset of overlapping windows: in the reference code random validation
    windows were near-copies of training windows (the reference code's random
    split of overlapping windows, ``codes/data_loader.py``).
    Training windows lie entirely before this row and validation windows
    entirely after it, so the two sets share no rows.
    """
    return n_rows - int(np.floor(validation_fraction * n_rows))


def _accumulate_row_errors(errors, first_start, aggregation, out):
    """Fold per-position errors of predicted windows into per-row statistics.

    Parameters
    ----------
    errors : ndarray of shape (n_pred, window_size)
        ``errors[i, t]`` is the error of row ``first_start + i + t`` in the
        predicted window starting at ``first_start + i``; entries for rows past
        the end of ``out`` are ignored.
    first_start : int
    aggregation : {"mean", "max", "newest"}
        ``"mean"`` adds to ``out`` (divide by ``_coverage`` afterwards),
        ``"max"`` takes the maximum with ``out`` (start from ``-inf``),
        ``"newest"`` writes position 0 of each window: the prediction made from
        the most recent context.
    out : ndarray of shape (n_rows,)
        Updated in place.
    """
    n_pred, window_size = errors.shape
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
            out[lo:hi] += column
        else:
            np.maximum(out[lo:hi], column, out=out[lo:hi])


def _covering_mean(values, first, last, window_size, block=1 << 16):
    """Replace window errors by row scores: the mean over the windows covering each row.

    On entry ``values[s]`` is the error of the window starting at ``s`` for
    ``s = first .. last``; on return ``values[r]``, for ``r = first .. last +
    window_size - 1``, is the mean of ``values[s]`` over the windows covering
    ``r``, i.e. ``s`` in ``max(first, r - window_size + 1) .. min(r, last)``.

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
        padded = np.zeros(hi - lo + W - 1)
        offset = s_lo - (lo - W + 1)
        padded[offset:offset + s_hi - s_lo + 1] = values[s_lo:s_hi + 1]
        total = np.zeros(hi - lo)
        for k in range(W):
            total += padded[k:k + hi - lo]
        rows = np.arange(lo, hi)
        count = np.minimum(rows, last) - np.maximum(rows - W + 1, first) + 1
        values[lo:hi] = total / count


def _coverage(rows, window_size):
    """Number of predicted windows covering each row ``>= window_size``.

    Windows start at ``window_size`` or later and cover ``window_size`` rows, so
    row ``r`` is covered by ``min(window_size, r - window_size + 1)`` of them.
    """
    return np.minimum(window_size, rows - window_size + 1)


def _auto_window_size(X, n_windows, early_stopping, validation_fraction):
    """``window_size="auto"``: the training data's dominant period, bounded.

    The period is TSB-AD's autocorrelation rule (``_dominant_period``) per
    channel, the median over channels that have one. The window is that period
    times ``_AUTO_FACTOR`` within ``_AUTO_BOUNDS``, ``_AUTO_FALLBACK`` without
    a period, and no larger than what ``len(X)`` rows can fit (down to the
    lower bound; below it ``fit`` reports the rows missing).
    """
    periods = [p for p in (_dominant_period(np.asarray(X[:, c], dtype=np.float64))
                           for c in range(X.shape[1])) if p is not None]
    window = round(_AUTO_FACTOR * np.median(periods)) if periods else _AUTO_FALLBACK
    low, high = _AUTO_BOUNDS
    window = int(min(max(window, low), high))
    while window > low and _min_fit_rows(window, n_windows, early_stopping,
                                         validation_fraction) > len(X):
        window -= 1
    return window


def _min_fit_rows(window_size, n_windows, early_stopping, validation_fraction):
    """Fewest rows ``fit`` accepts (see the Notes of ``VAELSTMDetector``)."""
    need_train = window_size * n_windows
    if not early_stopping:
        return need_train
    n = max(need_train + 2 * window_size, math.ceil(2 * window_size / validation_fraction) - 1)
    while (_chronological_split(n, validation_fraction) < need_train
           or n - _chronological_split(n, validation_fraction) < 2 * window_size):
        n += 1
    return n
