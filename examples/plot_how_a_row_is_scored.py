"""
How a row gets its score
========================

A picture of what :class:`~skvaelstm.VAELSTMDetector` does with a series:
windows, the LSTM's prediction of a window from the windows before it, and how
``score_aggregation`` pools the errors of windows into row scores. The user
guide page :ref:`scoring` explains each step; this example draws them on a
short synthetic series with a 10-row spike.
"""

# %%
# A periodic series with a short spike
# ------------------------------------
import matplotlib.pyplot as plt
import numpy as np

from skvaelstm import VAELSTMDetector

rng = np.random.default_rng(0)
t = np.arange(3000)
X = (np.sin(2 * np.pi * t / 48) + 0.05 * rng.normal(size=t.size))[:, None]
X[2500:2510] += 1.5

W, N = 24, 6  # window_size, n_windows: the LSTM reads N - 1 = 5 windows
det = VAELSTMDetector(window_size=W, n_windows=N, max_iter=5, random_state=0).fit(X[:2000])

# %%
# Row scores under three pooling options
# --------------------------------------
# The fitted networks are the same for every option; ``score_aggregation`` and
# ``error_source`` only change how errors become row scores, so ``set_params``
# between scorings is enough here (refit before ``predict``: the threshold
# ``offset_`` belongs to the options of ``fit``).
options = {
    "newest (prediction error of the row itself; causal)":
        dict(score_aggregation="newest", error_source="prediction"),
    "trailing_max (max error of the window ending at the row; causal)":
        dict(score_aggregation="trailing_max", error_source="both"),
    "window_max, the default (mean over the windows covering the row; reads W-1 later rows)":
        dict(score_aggregation="window_max", error_source="both"),
}
scores = {}
for name, params in options.items():
    scores[name] = det.set_params(**params).score_samples(X)

# %%
# The picture
# -----------
# Top: to score the window that starts at row ``s`` (orange), the VAE encodes the
# ``N - 1`` non-overlapping windows before it (blue), the LSTM predicts the code
# of the next window from those codes, and the decoder turns the predicted code
# into a window. The dashed line is the series without the spike: what a good
# prediction of that window looks like (a sketch, not the model's output). Each
# row's error in that window is its squared
# difference from the data in units of the typical validation error. Below: the
# three options turn those errors into one score per row (higher = more normal).
s = 2496
view = slice(s - (N - 1) * W - 10, s + 3 * W)
rows = t[view]
fig, axes = plt.subplots(1 + len(scores), 1, figsize=(10, 7.5), sharex=True,
                         constrained_layout=True)
axes[0].plot(rows, X[view, 0], color="k", lw=0.8)
for k in range(1, N):
    start = s - k * W
    axes[0].axvspan(start, start + W, color="tab:blue", alpha=0.12 if k % 2 else 0.22, lw=0)
axes[0].axvspan(s, s + W, color="tab:orange", alpha=0.3, lw=0)
axes[0].annotate(f"{N - 1} windows of {W} rows: encoded, read by the LSTM",
                 xy=(s - (N - 1) * W + 5, 2.5), fontsize=9, color="tab:blue")
axes[0].annotate("predicted window", xy=(s + 2, 2.5), fontsize=9, color="tab:orange")
# a sketch of a good prediction: the same series without the spike
expected = np.sin(2 * np.pi * rows / 48)
inside = (rows >= s) & (rows < s + W)
axes[0].plot(rows[inside], expected[inside], color="tab:orange", ls="--", lw=1.2)
axes[0].set_ylim(-1.6, 3.0)
axes[0].set_ylabel("value")
for ax, (name, sc) in zip(axes[1:], scores.items()):
    ax.plot(rows, sc[view], lw=1)
    ax.set_ylabel("score")
    ax.set_title(name, fontsize=9, loc="left")
    ax.axvspan(2500, 2510, color="tab:red", alpha=0.15, lw=0)
axes[-1].set_xlabel("row (the spike: rows 2500-2509, shaded red)")
plt.show()
