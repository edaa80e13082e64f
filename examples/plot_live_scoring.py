"""
Live scoring with a flagged incident
====================================

:class:`~skvaelstm.streaming.StreamScorer` takes the rows of a live series as
they arrive and hands out each row's score as soon as it is *final*: equal,
bit for bit on the CPU, to what ``score_samples`` gives that row on the whole
series. It keeps only the state later rows need, never the history.

Here a detector is fitted on 4,000 rows of a noisy daily cycle, then the next
2,000 rows arrive in pieces of 10 with a 10-row incident at rows 5,000 to
5,009. ``score_aggregation="trailing_max"`` is causal (a row's score is final
as soon as it arrives and never reads later rows), which is what an alert wants.
"""

# %%
# Fit on the past, then stream
# ----------------------------
import numpy as np

from skvaelstm import VAELSTMDetector
from skvaelstm.streaming import StreamScorer

t = np.arange(6000)
X = (np.sin(2 * np.pi * t / 288) + 0.05 * np.random.default_rng(0).normal(size=6000))[:, None]
X[5000:5010] += 2.0
det = VAELSTMDetector(score_aggregation="trailing_max", max_iter=5, random_state=0)
det.fit(X[:4000])

# %%
# A scorer knows only the rows it was given. A row's score depends on the
# ``window_size * n_windows`` rows before it (576 here), so the scorer first
# reads the recent history (the training rows, whose scores are not needed);
# without it, the first rows of the stream would be scored without their past.
live = StreamScorer(det)
print("look-ahead:", live.look_ahead, "rows; rows before the first score:", live.min_rows)
live.update(X[:4000])
positions, scores, labels = [], [], []
for start in range(4000, 6000, 10):  # whatever arrived since the last update
    final = live.update(X[start:start + 10])
    positions.extend(final.positions)  # row numbers in the stream: here, in X
    scores.extend(final.scores)
    labels.extend(final.labels)
positions, scores, labels = map(np.asarray, (positions, scores, labels))

# %%
# Alerts: runs of flagged rows
# ----------------------------
# One alert per run of flagged rows (``skvaelstm watch --alert`` does the same
# on the command line), not one per row. A row's ``trailing_max`` score is the
# largest error in the window ending at it, so the run starts with the incident
# and lasts ``window_size - 1`` = 47 rows beyond its end.
flag = labels == -1
edges = np.flatnonzero(np.diff(np.r_[0, flag.astype(int), 0]))
for a, b in zip(edges[::2], edges[1::2]):
    print(f"anomaly from row {positions[a]} to {positions[b - 1]}, "
          f"lowest score {scores[a:b].min():.1f}")

# The streamed scores are the batch scores of the same rows:
assert np.array_equal(scores, det.score_samples(X)[4000:])

# %%
# The stream
# ----------
import matplotlib.pyplot as plt

fig, axes = plt.subplots(2, 1, figsize=(10, 5), sharex=True, constrained_layout=True)
axes[0].plot(t[4000:], X[4000:, 0], color="k", lw=0.6)
axes[0].set_ylabel("value")
axes[1].plot(positions, scores, lw=0.8)
axes[1].axhline(det.offset_, color="tab:red", ls="--", lw=0.8, label="threshold offset_")
axes[1].set_yscale("symlog")
axes[1].set_ylabel("streamed score")
for ax in axes:
    ax.fill_between(positions, 0, 1, where=flag, transform=ax.get_xaxis_transform(),
                    color="tab:red", alpha=0.25, lw=0, label="flagged")
axes[1].legend(loc="lower left")
axes[1].set_xlabel("row")
plt.show()
