"""
Choosing window and code size with a grid search
================================================

:class:`~skvaelstm.VAELSTMDetector` is a scikit-learn estimator, so
``GridSearchCV`` tunes it. Two things need care with time series:

* the folds must keep time order: ``TimeSeriesSplit`` trains on the past and
  tests on the rows after it;
* scikit-learn's built-in ``"average_precision"`` scorer scores the *normal*
  class of an outlier detector; :func:`~skvaelstm.metrics.anomaly_scorers`
  gives scorers of the anomaly class, with ``y`` in either label convention.

Every test fold must contain anomalies (ranking metrics are undefined without
them) and every training fold enough rows for the largest window
(``window_size * n_windows`` plus a validation tail). The search below is
small (3 epochs per fit) to keep the gallery quick; the full search is
``benchmarks/grid_search.py`` (``benchmarks/results/grid_search.md``).
"""

# %%
# The search
# ----------
import numpy as np
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit

from skvaelstm import VAELSTMDetector
from skvaelstm.datasets import load_nab
from skvaelstm.metrics import anomaly_scorers

taxi = load_nab("nyc_taxi")
X = taxi.data
y = -2 * taxi.labels + 1  # used by the scorers only

search = GridSearchCV(
    VAELSTMDetector(max_iter=3, random_state=0),
    param_grid={"window_size": [24, 48], "code_size": [3, 6]},
    scoring=anomaly_scorers(),
    refit="average_precision_anomaly",
    cv=TimeSeriesSplit(n_splits=2),
    error_score="raise",
)
search.fit(X, y)
print("best:", search.best_params_,
      f"mean AUC-PR over folds {search.best_score_:.3f}")

# %%
# Every configuration, every metric
# ---------------------------------
import matplotlib.pyplot as plt

res = search.cv_results_
metrics = ["average_precision_anomaly", "roc_auc_anomaly"]
labels = [f"w{p['window_size']} c{p['code_size']}" for p in res["params"]]
fig, ax = plt.subplots(figsize=(7, 3.5), constrained_layout=True)
x = np.arange(len(labels))
for i, m in enumerate(metrics):
    ax.bar(x + (i - 0.5) * 0.38, res[f"mean_test_{m}"], width=0.38,
           yerr=res[f"std_test_{m}"], capsize=3, label=m)
ax.set_xticks(x, labels)
ax.set_ylim(0, 1)
ax.set_ylabel("mean over 2 test folds")
ax.set_title("GridSearchCV with TimeSeriesSplit on NYC taxi (3-epoch fits)")
ax.legend(loc="upper left")
plt.show()
