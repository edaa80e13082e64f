"""How large the windows are and how many rows ``fit`` needs: the model's sizes.

``window_size="auto"`` takes the training data's dominant period (TSB-AD's
autocorrelation rule, shared with ``skvaelstm.metrics.estimate_sliding_window``,
which imports it from here: the model never imports the metrics).
"""

import math

import numpy as np

# window_size="auto": the dominant period times _AUTO_FACTOR, within these
# bounds; _AUTO_FALLBACK without a period (the paper's window).
_AUTO_FACTOR = 1.0
_AUTO_BOUNDS = (16, 96)
_AUTO_FALLBACK = 48
# Short training data: fit shrinks n_windows (see _fit_plan), to no fewer than
# this many windows per LSTM sequence (two windows of context for a prediction).
_MIN_WINDOWS = 3

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

def _fit_plan(n_rows, window_size, n_windows, early_stopping, validation_fraction):
    """How ``fit`` uses ``n_rows`` rows: ``(n_windows_, split)``, or None if too few.

    With enough rows for the parameters (``_min_fit_rows``) nothing changes:
    ``n_windows`` and the split of ``validation_fraction``. With fewer, the
    training data are short (a new KPI often has a few hundred rows), and fit
    shrinks within these bounds rather than refuse:

    * the validation tail gets its minimum, ``2 * window_size`` rows (what the
      LSTM's validation loss needs: one window of context and one predicted),
      when ``validation_fraction`` would give it fewer;
    * ``n_windows`` shrinks to the most windows the remaining rows hold, but
      never below ``_MIN_WINDOWS`` (nor below the parameter, when it is lower).

    With the defaults (``window_size=48``) this is ``5 * 48 = 240`` rows:
    300 rows give ``n_windows_ = 4`` and a validation tail of 96 rows.
    """
    W = window_size
    if n_rows >= _min_fit_rows(W, n_windows, early_stopping, validation_fraction):
        split = _chronological_split(n_rows, validation_fraction) if early_stopping else n_rows
        return n_windows, split
    tail = max(n_rows - _chronological_split(n_rows, validation_fraction), 2 * W) \
        if early_stopping else 0
    windows = min(n_windows, (n_rows - tail) // W)
    if windows < min(_MIN_WINDOWS, n_windows):
        return None
    return windows, n_rows - tail


def _min_shrunk_rows(window_size, n_windows, early_stopping, validation_fraction):
    """Fewest rows ``fit`` accepts when it may shrink (``_fit_plan``)."""
    n = window_size * min(_MIN_WINDOWS, n_windows)
    while _fit_plan(n, window_size, n_windows, early_stopping, validation_fraction) is None:
        n += 1
    return n


def _auto_fits(params, n_rows):
    """Whether ``window_size="auto"`` would fit ``n_rows`` rows where the given
    window does not: the cold-start hint of the too-few-rows errors (API and
    command line). "auto" shrinks the window down to ``_AUTO_BOUNDS[0]``."""
    return params["window_size"] != "auto" and _min_shrunk_rows(
        _AUTO_BOUNDS[0], params["n_windows"], params["early_stopping"],
        params["validation_fraction"]) <= n_rows


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


def _dominant_period(x, *, max_lag=400, max_points=20000):
    """The period of TSB-AD's ``find_length_rank(x, rank=1)`` rule, or None.

    ``x`` is a finite 1-D float array. None when the autocorrelation has no strict
    local maximum from lag 3 on, or the highest one lies outside lags 6 .. 303.
    """
    x = x[:max_points] - x[:max_points].mean()
    n = len(x)
    denominator = np.dot(x, x)
    if n < 5 or denominator == 0:
        return None
    spectrum = np.fft.rfft(x, n=2 * n)
    acf = np.fft.irfft(spectrum * np.conj(spectrum))[: min(max_lag, n - 1) + 1] / denominator
    base = 3
    acf = acf[base:]
    peaks = np.flatnonzero((acf[1:-1] > acf[:-2]) & (acf[1:-1] > acf[2:])) + 1
    if len(peaks) == 0:
        return None
    best = peaks[np.argmax(acf[peaks])]
    if best < 3 or best > 300:
        return None
    return int(best + base)
