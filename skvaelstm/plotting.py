"""Plots of a series with its anomaly scores (needs matplotlib: ``skvaelstm[plot]``).

Examples
--------
>>> import numpy as np
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> from skvaelstm import VAELSTMDetector
>>> from skvaelstm.plotting import plot_anomalies
>>> X = np.sin(np.arange(400) / 4.0)[:, None]
>>> det = VAELSTMDetector(window_size=4, n_windows=3, max_iter=2,
...                       early_stopping=False, random_state=0).fit(X)
>>> fig = plot_anomalies(X, det.score_samples(X), threshold=det.offset_)
>>> len(fig.axes)  # one panel per channel, then the score panel
2
"""

import numpy as np
from sklearn.utils import column_or_1d

from .metrics import _anomaly_mask

__all__ = ["plot_anomalies"]

# Panel height in inches; the score panel gets the same height as a channel.
_PANEL_HEIGHT = 1.8
_FLAG_COLOR = "tab:red"
_LABEL_COLOR = "tab:orange"


def plot_anomalies(X, scores, *, threshold=None, flagged=None, labels=None, timestamps=None,
                   channel_names=None, title=None, figsize=None):
    """Plot each channel, the anomaly score and its threshold, flagged rows and labels.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_channels) or (n_samples,)
        The series, rows in time order. A DataFrame's column names are used
        as channel names.
    scores : array-like of shape (n_samples,)
        Higher means more normal (``score_samples`` or ``decision_function``).
    threshold : float or None, default=None
        Drawn as a horizontal line on the score panel: ``offset_`` for
        ``score_samples``, ``0`` for ``decision_function``.
    flagged : array-like of shape (n_samples,) or None, default=None
        Rows to highlight: ``predict`` output (-1 = anomaly), 0/1 or bool.
        If None and ``threshold`` is given, the rows with
        ``scores < threshold`` (what ``predict`` flags).
    labels : array-like of shape (n_samples,) or None, default=None
        Known anomalies, +1/-1 (-1 = anomaly) or 0/1 (1 = anomaly); their
        contiguous runs are shaded on every panel.
    timestamps : array-like of shape (n_samples,) or None, default=None
        Values of the x axis (datetimes or numbers); row numbers if None.
    channel_names : list of str or None, default=None
        Panel titles; the DataFrame's columns, else ``"channel 0"``, ...
    title : str or None, default=None
        Title of the figure.
    figsize : (float, float) or None, default=None
        Figure size in inches; by default 11 wide, 1.8 per panel.

    Returns
    -------
    fig : matplotlib.figure.Figure
        Created with ``matplotlib.pyplot``; close it (``plt.close(fig)``)
        when drawing many figures.

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    """
    plt = _pyplot()
    values, names = _channels(X, channel_names)
    n_samples = values.shape[0]
    scores = _column(scores, "scores", n_samples).astype(float)
    x = np.arange(n_samples) if timestamps is None else _time_axis(timestamps, n_samples)
    if flagged is not None:
        flags = _anomaly_mask(_column(flagged, "flagged", n_samples), name="flagged",
                              only_ones="normal")
    elif threshold is not None:
        flags = scores < threshold
    else:
        flags = np.zeros(n_samples, dtype=bool)
    runs = (_runs(_anomaly_mask(_column(labels, "labels", n_samples), name="labels"))
            if labels is not None else [])
    n_panels = values.shape[1] + 1
    fig, axes = plt.subplots(n_panels, 1, sharex=True, squeeze=False,
                             figsize=figsize or (11, _PANEL_HEIGHT * n_panels + 0.6))
    axes = axes[:, 0]
    left, right = _edges(x)
    for ax, column, name in zip(axes, values.T, names):
        ax.plot(x, column, lw=0.7, color="tab:blue")
        ax.scatter(x[flags], column[flags], s=9, color=_FLAG_COLOR, zorder=3,
                   label="flagged")
        ax.set_ylabel(name)
    score_ax = axes[-1]
    score_ax.plot(x, scores, lw=0.7, color="0.25")
    score_ax.scatter(x[flags], scores[flags], s=9, color=_FLAG_COLOR, zorder=3,
                     label=f"flagged ({int(flags.sum())} rows)")
    if threshold is not None:
        score_ax.axhline(threshold, color=_FLAG_COLOR, lw=0.9, ls="--", label="threshold")
    score_ax.set_ylabel("score\n(low = anomalous)")
    for ax in axes:
        for i, (start, stop) in enumerate(runs):
            ax.axvspan(left[start], right[stop], color=_LABEL_COLOR, alpha=0.25, lw=0,
                       label="known anomaly" if i == 0 else None)
    handles, texts = score_ax.get_legend_handles_labels()
    if handles:
        score_ax.legend(handles, texts, loc="lower left", fontsize="small", ncol=3)
    score_ax.set_xlabel("row" if timestamps is None else "time")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError('plotting needs matplotlib: pip install "skvaelstm[plot]" '
                          "(or pip install matplotlib).") from exc
    return plt


def _channels(X, channel_names):
    """(n, c) float array and one name per channel."""
    columns = getattr(X, "columns", None)
    values = np.asarray(X, dtype=float)
    if values.ndim == 1:
        values = values[:, None]
    if values.ndim != 2 or values.shape[0] == 0:
        raise ValueError(f"X must be a non-empty 1D or 2D array; got shape {values.shape}.")
    if channel_names is None:
        channel_names = ([str(c) for c in columns] if columns is not None
                         else [f"channel {i}" for i in range(values.shape[1])])
    if len(channel_names) != values.shape[1]:
        raise ValueError(f"channel_names has {len(channel_names)} names for "
                         f"{values.shape[1]} channels.")
    return values, list(channel_names)


def _column(values, name, n_samples):
    values = column_or_1d(np.asarray(values), input_name=name)
    if values.shape[0] != n_samples:
        raise ValueError(f"{name} has {values.shape[0]} values; X has {n_samples} rows.")
    return values


def _runs(mask):
    """(start, stop) row indices of the runs of True, ``stop`` inclusive."""
    padded = np.concatenate(([False], mask, [False])).astype(np.int8)
    change = np.flatnonzero(np.diff(padded))
    return list(zip(change[::2], change[1::2] - 1))


def _edges(x):
    """Left and right boundaries of each row, half-way to its neighbours, so
    that a single shaded row still has a width."""
    if np.issubdtype(x.dtype, np.datetime64):
        left, right = _edges(x.astype("datetime64[ns]").astype(np.int64).astype(float))
        return tuple(e.astype(np.int64).astype("datetime64[ns]") for e in (left, right))
    x = x.astype(float)
    if len(x) == 1:
        return x - 0.5, x + 0.5
    middle = (x[:-1] + x[1:]) / 2
    return (np.concatenate(([2 * x[0] - middle[0]], middle)),
            np.concatenate((middle, [2 * x[-1] - middle[-1]])))


def _time_axis(timestamps, n_samples):
    """Timestamps as datetime64 or float values; anything else is refused."""
    x = _column(timestamps, "timestamps", n_samples)
    if x.dtype.kind in "iuf" or np.issubdtype(x.dtype, np.datetime64):
        return x
    try:
        return x.astype("datetime64[ns]")
    except (TypeError, ValueError):
        raise ValueError("timestamps must be datetimes or numbers.") from None
