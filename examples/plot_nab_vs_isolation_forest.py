"""
VAE-LSTM vs IsolationForest on a NAB series
===========================================

Fit :class:`~skvaelstm.VAELSTMDetector` on the anomaly-free first 5,500 rows of
NAB's NYC-taxi series (bundled with the package, so this runs offline), score
every row, and compare it with ``IsolationForest`` on the same 48-row lag
windows (:class:`~skvaelstm.preprocessing.LagWindows`). Both are scored on the
test rows with metrics of the anomaly class.

The fit here is short (5 epochs instead of the default) so that the gallery
builds quickly; the benchmark with the defaults, 3 seeds and all five of the
paper's series is ``benchmarks/results/nab_paper.md``.
"""

# %%
# Data: the paper's train / test split
# ------------------------------------
from sklearn.ensemble import IsolationForest
from sklearn.pipeline import make_pipeline

from skvaelstm import VAELSTMDetector
from skvaelstm.datasets import load_nab
from skvaelstm.metrics import average_precision_anomaly, estimate_sliding_window, vus_pr
from skvaelstm.preprocessing import LagWindows

taxi = load_nab("nyc_taxi")
X, train, test = taxi.data, taxi.train_slice, taxi.test_slices[0]
y = -2 * taxi.labels + 1  # scikit-learn's convention: -1 anomaly, +1 normal
print(X.shape, "rows x channels; training rows", train, "; test rows", test)

# %%
# Two detectors on the same rows
# -------------------------------
det = VAELSTMDetector(max_iter=5, random_state=0).fit(X[train])
iforest = make_pipeline(LagWindows(48), IsolationForest(random_state=0)).fit(X[train])

scores = {"VAE-LSTM": det.decision_function(X),
          "IsolationForest": iforest.decision_function(X)}
window = estimate_sliding_window(X[train])  # VUS buffer: the series' period
for name, s in scores.items():
    print(f"{name:16s} AUC-PR {average_precision_anomaly(y[test], s[test]):.3f}"
          f"  VUS-PR {vus_pr(y[test], s[test], sliding_window=window):.3f}")

# %%
# The scores over time
# --------------------
# Negative ``decision_function`` values are anomalous (``predict`` gives -1);
# NAB's labelled anomaly windows are shaded. Both scores are drawn on the same
# kind of axis, so the scales differ: only the ranking of rows matters for the
# metrics above.
import matplotlib.pyplot as plt
import numpy as np

fig, axes = plt.subplots(3, 1, figsize=(10, 6.5), sharex=True, constrained_layout=True)
rows = np.arange(len(X))
axes[0].plot(rows, X[:, 0], lw=0.5, color="k")
axes[0].set_ylabel("passengers")
for ax, (name, s) in zip(axes[1:], scores.items()):
    ax.plot(rows, s, lw=0.5)
    ax.axhline(0, color="tab:red", lw=0.8, ls="--")
    ax.set_ylabel(f"{name}\ndecision")
for ax in axes:
    ax.fill_between(rows, 0, 1, where=taxi.labels == 1, transform=ax.get_xaxis_transform(),
                    color="tab:orange", alpha=0.3, lw=0)
    ax.axvline(train.stop, color="grey", ls=":")
axes[0].set_title("NYC taxi: end of training dotted, labelled anomaly windows shaded")
axes[-1].set_xlabel("row (30 minutes each)")
plt.show()
