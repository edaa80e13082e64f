"""Windows over a time series: which rows a window holds, which windows a prediction reads.

Conventions used throughout the package (rows are time steps, columns channels):

* a *window* ``s`` holds rows ``s .. s + window_size - 1`` (it *starts* at ``s``);
* the *context* of a predicted window ``s`` are the non-overlapping windows that
  end right before it: ``s - k * window_size`` for ``k = K, ..., 1`` with
  ``K = min(n_windows - 1, s // window_size)`` (oldest first), i.e. the paper's
  ``l_seq - 1`` preceding windows, fewer at the start of a series;
* a predicted window may run past the end of the input: only its rows that exist
  are compared with the data, so the score of a row never depends on later rows.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


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
