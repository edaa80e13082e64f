"""Anomaly-detection metrics and scikit-learn scorers that score the anomaly class.

Conventions
-----------
* ``score`` follows scikit-learn's outlier convention: **higher = more normal**,
  i.e. the output of ``decision_function`` or ``score_samples``. Every ranking
  metric here scores the *anomaly* class, so internally it uses
  ``anomaly_score = -score``. If you hold an anomaly score instead (PyOD,
  TSB-AD, "reconstruction error"), pass its negation.
* ``y_true`` may use scikit-learn labels (``+1`` normal, ``-1`` anomaly) or the
  KPI convention (``0`` normal, ``1`` anomaly; ``True`` = anomaly for booleans).
  The convention is inferred from the values. An array holding only the value
  ``1`` is ambiguous (all normal in one convention, all anomalous in the other)
  and a single class leaves every metric here undefined, so it raises
  ``ValueError`` instead of being guessed. Mixed conventions or other values
  raise ``ValueError`` as well.

Which metric to report
----------------------
Following TSB-AD (Liu & Paparrizos, NeurIPS 2024 D&B), the primary metric is
:func:`vus_pr` (Paparrizos et al., PVLDB 2022), then
:func:`average_precision_anomaly`, :func:`vus_roc` and
:func:`roc_auc_anomaly`. :func:`best_f1_oracle` picks its threshold on the test
labels (an upper bound), and :func:`point_adjusted_f1` is inflated so much
that random scores look good (Kim et al., AAAI 2022); use it only to compare
with papers that report it. :func:`nab_score` and :func:`nab_optimize_threshold`
compute the Numenta Anomaly Benchmark's score (Lavin & Ahmad, ICMLA 2015), to
compare with NAB's scoreboard; they take an anomaly score (higher = more
anomalous) and windows of rows rather than labels. :func:`event_precision`,
:func:`event_recall` and :func:`false_alarms_per_10k` count alerts, not rows:
predicted events (:func:`skvaelstm.explain.events`) against labelled segments.

The GridSearchCV trap
---------------------
Scikit-learn's scorers do not know that an outlier detector's positive class
is the anomaly. Inside ``GridSearchCV`` they receive ``decision_function`` or
``predict`` output unchanged, with ``pos_label=1``:

* ``scoring="average_precision"`` and ``scoring="f1"`` silently score the
  **normal** class (+1) when labels are +1/-1: the numbers look excellent
  and say nothing about anomalies.
* ``scoring="roc_auc"`` is correct with +1/-1 labels (AUC is symmetric), but
  with 0/1 labels (1 = anomaly) it returns ``1 - AUC``: it is inverted.

Use the scorers of this module instead (:func:`anomaly_scorers`), which accept
both label conventions and always score the anomaly class.

Examples
--------
>>> import numpy as np
>>> from sklearn.ensemble import IsolationForest
>>> from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
>>> from skvaelstm.metrics import anomaly_scorers
>>> rng = np.random.default_rng(0)
>>> X = rng.normal(size=(300, 1))
>>> X[[50, 120, 200, 280]] += 6
>>> y = np.where(np.abs(X[:, 0]) > 4, -1, 1)
>>> search = GridSearchCV(IsolationForest(random_state=0),
...                       {"n_estimators": [20, 50]},
...                       scoring=anomaly_scorers(),
...                       refit="average_precision_anomaly",
...                       cv=TimeSeriesSplit(n_splits=2)).fit(X, y)
>>> sorted(search.best_params_)
['n_estimators']
"""


from sklearn.metrics import make_scorer

from ._metrics._events import event_precision, event_recall, false_alarms_per_10k
from ._metrics._labels import _check_sliding_window
from ._metrics._nab import (
    nab_optimize_threshold,
    nab_raw_score,
    nab_score,
    nab_windows_to_rows,
)
from ._metrics._nab_input import _NAB_PROFILES
from ._metrics._ranking import (
    anomaly_f1,
    average_precision_anomaly,
    best_f1_oracle,
    point_adjusted_f1,
    roc_auc_anomaly,
    vus_pr,
    vus_roc,
)
from ._metrics._vus import estimate_sliding_window

__all__ = [
    "estimate_sliding_window",
    "roc_auc_anomaly",
    "average_precision_anomaly",
    "vus_pr",
    "vus_roc",
    "best_f1_oracle",
    "point_adjusted_f1",
    "anomaly_f1",
    "event_precision",
    "event_recall",
    "false_alarms_per_10k",
    "nab_score",
    "nab_optimize_threshold",
    "nab_raw_score",
    "nab_windows_to_rows",
    "NAB_PROFILES",
    "roc_auc_anomaly_scorer",
    "average_precision_anomaly_scorer",
    "f1_anomaly_scorer",
    "make_vus_pr_scorer",
    "make_vus_roc_scorer",
    "anomaly_scorers",
]

# Ranking scorers ask for decision_function first; score_samples differs only
# by the constant offset_ and gives the same ranking, so it is a safe fallback.
_RANKING_RESPONSE = ("decision_function", "score_samples")


#: The Numenta Anomaly Benchmark's application profiles (NAB's ``config/profiles.json``):
#: the weights of a detected window (``"tp"``), a missed window (``"fn"``) and a
#: false positive (``"fp"``) for ``"standard"``, ``"reward_low_FP_rate"`` and
#: ``"reward_low_FN_rate"``. Read-only; pass a name, or a mapping with the same
#: keys, as ``profile`` of :func:`nab_score`.
NAB_PROFILES = _NAB_PROFILES

# --------------------------------------------------------------------------
# scorers for GridSearchCV / cross_validate
# --------------------------------------------------------------------------
#: Scorer of :func:`roc_auc_anomaly` on ``decision_function`` (higher = better).
roc_auc_anomaly_scorer = make_scorer(roc_auc_anomaly, response_method=_RANKING_RESPONSE)

#: Scorer of :func:`average_precision_anomaly` on ``decision_function``.
average_precision_anomaly_scorer = make_scorer(
    average_precision_anomaly, response_method=_RANKING_RESPONSE
)

#: Scorer of :func:`anomaly_f1` on ``predict`` (the anomaly class's F1).
f1_anomaly_scorer = make_scorer(anomaly_f1, response_method="predict")


def make_vus_pr_scorer(sliding_window):
    """Build a scorer computing :func:`vus_pr` on ``decision_function``.

    Each test fold is scored as one contiguous series, so use it with a
    time-ordered splitter such as ``TimeSeriesSplit``.

    Parameters
    ----------
    sliding_window : int
        Largest VUS buffer length (>= 0), see :func:`vus_pr`.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y)`` as made by ``sklearn.metrics.make_scorer``.

    Examples
    --------
    >>> from skvaelstm.metrics import make_vus_pr_scorer
    >>> scorer = make_vus_pr_scorer(sliding_window=48)
    """
    sliding_window = _check_sliding_window(sliding_window)
    return make_scorer(vus_pr, response_method=_RANKING_RESPONSE, sliding_window=sliding_window)


def make_vus_roc_scorer(sliding_window):
    """Build a scorer computing :func:`vus_roc` on ``decision_function``.

    Parameters
    ----------
    sliding_window : int
        Largest VUS buffer length (>= 0), see :func:`vus_pr`.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y)`` as made by ``sklearn.metrics.make_scorer``.

    Examples
    --------
    >>> from skvaelstm.metrics import make_vus_roc_scorer
    >>> scorer = make_vus_roc_scorer(sliding_window=48)
    """
    sliding_window = _check_sliding_window(sliding_window)
    return make_scorer(vus_roc, response_method=_RANKING_RESPONSE, sliding_window=sliding_window)


def anomaly_scorers(sliding_window=None):
    """Scorers that score the anomaly class, for ``GridSearchCV(scoring=...)``.

    Parameters
    ----------
    sliding_window : int or None, default=None
        If given, ``"vus_pr"`` and ``"vus_roc"`` scorers with this buffer
        length are included.

    Returns
    -------
    dict of str to scorer
        Keys ``"roc_auc_anomaly"``, ``"average_precision_anomaly"``,
        ``"f1_anomaly"`` (uses ``predict``, so it depends on the detector's
        threshold/``contamination``) and, with ``sliding_window``,
        ``"vus_pr"`` and ``"vus_roc"``. Pass one key as ``refit``.

    Examples
    --------
    >>> from skvaelstm.metrics import anomaly_scorers
    >>> sorted(anomaly_scorers(sliding_window=48))
    ['average_precision_anomaly', 'f1_anomaly', 'roc_auc_anomaly', 'vus_pr', 'vus_roc']
    """
    scorers = {
        "roc_auc_anomaly": roc_auc_anomaly_scorer,
        "average_precision_anomaly": average_precision_anomaly_scorer,
        "f1_anomaly": f1_anomaly_scorer,
    }
    if sliding_window is not None:
        scorers["vus_pr"] = make_vus_pr_scorer(sliding_window)
        scorers["vus_roc"] = make_vus_roc_scorer(sliding_window)
    return scorers
