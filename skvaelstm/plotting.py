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

from ._io._tables import _gaps
from ._metrics._labels import _anomaly_mask
from ._metrics._vus import _segments
from .explain import rank_channels

__all__ = ["plot_anomalies"]

# Panel height in inches; the score panel gets the same height as a channel.
_PANEL_HEIGHT = 1.8
_FLAG_COLOR = "tab:red"
_LABEL_COLOR = "tab:orange"


def plot_anomalies(X, scores, *, threshold=None, flagged=None, labels=None, timestamps=None,
                   channel_names=None, title=None, train_end=None, score_scale="symlog",
                   channel_scores=None, top_k=3, figsize=None):
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
        Steps longer than 1.5 times the median step are gaps: lines are not
        drawn across them.
    channel_names : list of str or None, default=None
        Panel titles; the DataFrame's columns, else ``"channel 0"``, ...
    title : str or None, default=None
        Title of the figure.
    train_end : int or None, default=None
        Number of leading rows the detector was fitted on: a vertical line
        marks where they end.
    score_scale : {"symlog", "linear"}, default="symlog"
        Axis of the score panel. ``"symlog"``: linear within the median
        absolute score around 0 and logarithmic beyond, so that one extreme
        row does not flatten all the others (stated on the axis label).
    channel_scores : array-like of shape (n_samples, n_channels) or None, default=None
        ``VAELSTMDetector.channel_scores`` of the rows: each flagged segment is
        then labelled with its ``top_k`` channels and their shares of its error.
    top_k : int, default=3
        Channels named per flagged segment.
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
    n_panels = _channels(X, channel_names)[0].shape[1] + 1
    fig = plt.figure(figsize=figsize or _figsize(n_panels), constrained_layout=True)
    _draw(fig, X, scores, threshold=threshold, flagged=flagged, labels=labels,
          timestamps=timestamps, channel_names=channel_names, title=title,
          train_end=train_end, score_scale=score_scale, channel_scores=channel_scores,
          top_k=top_k)
    return fig


def _figsize(n_panels):
    return (11, _PANEL_HEIGHT * n_panels + 0.6)


def _draw(fig, X, scores, *, threshold, flagged, labels, timestamps, channel_names, title,
          train_end, score_scale, channel_scores=None, top_k=3):
    """Draw the panels into ``fig`` (a pyplot figure, or a plain ``Figure`` with an
    Agg canvas: the command line must not switch the caller's backend)."""
    if score_scale not in ("symlog", "linear"):
        raise ValueError(f"score_scale must be 'symlog' or 'linear', got {score_scale!r}.")
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
    runs = (list(zip(*_segments(_anomaly_mask(_column(labels, "labels", n_samples),
                                              name="labels"))))
            if labels is not None else [])
    if train_end is not None and not 0 < int(train_end) <= n_samples:
        raise ValueError(f"train_end={train_end} is outside 1..{n_samples} (the rows).")
    axes = fig.subplots(values.shape[1] + 1, 1, sharex=True, squeeze=False)[:, 0]
    left, right = _edges(x)
    breaks = _gap_breaks(x) if timestamps is not None else np.array([], dtype=int)
    for ax, column, name in zip(axes, values.T, names):
        ax.plot(*_broken(x, column, breaks), lw=0.7, color="tab:blue")
        ax.scatter(x[flags], column[flags], s=9, color=_FLAG_COLOR, zorder=3,
                   label="flagged")
        ax.set_ylabel(name)
    score_ax = axes[-1]
    score_ax.plot(*_broken(x, scores, breaks), lw=0.7, color="0.25")
    score_ax.scatter(x[flags], scores[flags], s=9, color=_FLAG_COLOR, zorder=3,
                     label=f"flagged ({int(flags.sum())} rows)")
    if threshold is not None:
        score_ax.axhline(threshold, color=_FLAG_COLOR, lw=0.9, ls="--", label="threshold")
    label = "score\n(low = anomalous)"
    if score_scale == "symlog":
        finite = np.abs(scores[np.isfinite(scores)])
        linear = float(np.median(finite)) if finite.size and np.median(finite) > 0 else 1.0
        score_ax.set_yscale("symlog", linthresh=linear)
        label += f"\nsymlog: linear within ±{linear:.3g}"
    score_ax.set_ylabel(label)
    for ax in axes:
        for i, (start, stop) in enumerate(runs):
            ax.axvspan(left[start], right[stop], color=_LABEL_COLOR, alpha=0.25, lw=0,
                       label="known anomaly" if i == 0 else None)
        if train_end is not None:
            ax.axvline(right[int(train_end) - 1], color="tab:green", lw=1.0, ls=":",
                       label="end of training rows" if ax is score_ax else None)
    if channel_scores is not None:
        _name_the_blamed(score_ax, x, flags, channel_scores, names, top_k)
    handles, texts = score_ax.get_legend_handles_labels()
    if handles:   # beside the panel, never over the data
        score_ax.legend(handles, texts, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                        borderaxespad=0, fontsize="small")
    score_ax.set_xlabel("row" if timestamps is None else "time")
    if title:
        fig.suptitle(title)
    return fig


def _name_the_blamed(ax, x, flags, channel_scores, names, top_k):
    """At each flagged segment, along the top of the score panel (flagged scores
    sit at its bottom), its ``top_k`` channels and their shares of its error."""
    parts = np.asarray(channel_scores, dtype=float)
    if parts.shape != (len(x), len(names)):
        raise ValueError(f"channel_scores has shape {parts.shape}; expected "
                         f"{(len(x), len(names))}.")
    for start, stop in zip(*_segments(flags)):
        order, shares = rank_channels(parts, start, stop)
        text = "\n".join(f"{names[i]} {shares[i]:.0%}" for i in order[:top_k])
        ax.annotate(text, (x[start], 1), xycoords=("data", "axes fraction"),
                    xytext=(2, -2), textcoords="offset points", va="top", ha="left",
                    fontsize="x-small", color=_FLAG_COLOR)


def _gap_breaks(x):
    """Positions ``i`` where the step from row ``i - 1`` to row ``i`` is a gap (the
    command line's rule, ``_tables._gaps``): lines must not be drawn across them."""
    if len(x) < 2:
        return np.array([], dtype=int)
    return _gaps(np.diff(x))[0] + 1


def _broken(x, y, breaks):
    """``x`` and ``y`` with a NaN point inserted at each break (matplotlib leaves
    a hole there instead of a straight line across the gap)."""
    if len(breaks) == 0:
        return x, y
    if not np.issubdtype(x.dtype, np.datetime64):
        x = x.astype(float)
    hole = x[breaks - 1] + (x[breaks] - x[breaks - 1]) / 2
    return np.insert(x, breaks, hole), np.insert(y.astype(float), breaks, np.nan)


def _require_matplotlib(purpose="plotting"):
    """The one check for the optional matplotlib (plots, the CLI's --plot, the demo)."""
    try:
        import matplotlib
    except ImportError as exc:
        raise ImportError(f'{purpose} needs matplotlib: pip install "skvaelstm[plot]" '
                          "(or pip install matplotlib).") from exc
    return matplotlib


def _pyplot():
    _require_matplotlib()
    import matplotlib.pyplot as plt

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
