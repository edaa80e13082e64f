"""The metric functions of :mod:`skvaelstm.metrics` (documented and exported there).

Point-wise ranking metrics, the range-aware VUS and the thresholded ones; the
scikit-learn scorers built on them stay in ``skvaelstm.metrics``.
"""

import numpy as np
from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score

from ._labels import _anomaly_mask, _check_ranking_inputs, _check_sliding_window
from ._vus import point_adjusted_f1_max, range_auc_volume

# TSB-AD's Standard-F1 adds 1e-5 to the denominator of F1 (metric_PointF1);
# we keep it so that our numbers match its leaderboards to 1e-6.
_TSB_F1_EPS = 1e-5

# TSB-AD's PA-F1 sweeps 100 evenly spaced thresholds (metric_PointF1PA).
_PA_N_THRESHOLDS = 100

# --------------------------------------------------------------------------
# point-wise ranking metrics
# --------------------------------------------------------------------------
def roc_auc_anomaly(y_true, score):
    """Point-wise area under the ROC curve of the anomaly class.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Labels, +1/-1 (scikit-learn, -1 = anomaly) or 0/1 (1 = anomaly).
    score : array-like of shape (n_samples,)
        Higher means more normal (``decision_function`` / ``score_samples``).

    Returns
    -------
    float
        ROC AUC with anomalies as the positive class; 0.5 is random.

    Examples
    --------
    >>> from skvaelstm.metrics import roc_auc_anomaly
    >>> roc_auc_anomaly([1, 1, -1, 1], [0.9, 0.8, -0.5, 0.1])
    1.0
    >>> roc_auc_anomaly([0, 0, 1, 0], [0.9, 0.8, -0.5, 0.1])
    1.0
    """
    is_anomaly, anomaly_score = _check_ranking_inputs(y_true, score)
    return float(roc_auc_score(is_anomaly, anomaly_score))


def average_precision_anomaly(y_true, score):
    """Point-wise average precision (AUC-PR) of the anomaly class.

    Same value as TSB-AD's ``AUC-PR`` (``sklearn.metrics.average_precision_score``
    on the anomaly score). Its chance level is the anomaly ratio.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Labels, +1/-1 (scikit-learn, -1 = anomaly) or 0/1 (1 = anomaly).
    score : array-like of shape (n_samples,)
        Higher means more normal (``decision_function`` / ``score_samples``).

    Returns
    -------
    float

    Examples
    --------
    >>> from skvaelstm.metrics import average_precision_anomaly
    >>> round(average_precision_anomaly([1, -1, 1, -1], [0.9, -0.8, 0.5, 0.7]), 4)
    0.8333
    """
    is_anomaly, anomaly_score = _check_ranking_inputs(y_true, score)
    return float(average_precision_score(is_anomaly, anomaly_score))


# --------------------------------------------------------------------------
# range-aware Volume Under the Surface
# --------------------------------------------------------------------------
def _vus(y_true, score, sliding_window):
    sliding_window = _check_sliding_window(sliding_window)
    is_anomaly, anomaly_score = _check_ranking_inputs(y_true, score)
    return range_auc_volume(is_anomaly, anomaly_score, sliding_window)


def vus_pr(y_true, score, *, sliding_window):
    """Range-aware Volume Under the PR Surface (VUS-PR) of the anomaly class.

    Paparrizos et al., "Volume Under the Surface", PVLDB 15(11), 2022, as
    computed by TSB-AD 1.5 ``get_metrics(anomaly_score, labels,
    slidingWindow=sliding_window)["VUS-PR"]`` (``RangeAUC_volume_opt`` with 250
    score quantiles as thresholds). Each anomaly range gets a soft buffer of
    ``w // 2`` points on each side with label ``sqrt(1 - d / w)``, precision
    and an existence-weighted recall are computed against these labels, and
    the range-AUC-PR is averaged over ``w = 0, 1, ..., sliding_window``. The
    buffers forgive small lags; unlike point-adjusted F1 it stays near the
    anomaly ratio for random scores. TSB-AD recommends it as the most reliable
    time-series anomaly metric.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Labels, +1/-1 (scikit-learn, -1 = anomaly) or 0/1 (1 = anomaly), in
        time order.
    score : array-like of shape (n_samples,)
        Higher means more normal (``decision_function`` / ``score_samples``).
    sliding_window : int
        Largest buffer length ``L`` (>= 0). TSB-AD uses the series' period
        estimate ``find_length_rank(x, rank=1)``; ``0`` gives the plain
        range-AUC without buffers.

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> from skvaelstm.metrics import vus_pr
    >>> from skvaelstm.metrics import average_precision_anomaly
    >>> y = np.zeros(200, dtype=int); y[100:110] = 1
    >>> # a detector that fires a few steps before the labelled range
    >>> score = -np.exp(-0.5 * ((np.arange(200) - 97) / 3.0) ** 2)
    >>> round(vus_pr(y, score, sliding_window=10), 3)
    0.468
    >>> round(average_precision_anomaly(y, score), 3)  # no credit for the lag
    0.317
    """
    return _vus(y_true, score, sliding_window)[1]


def vus_roc(y_true, score, *, sliding_window):
    """Range-aware Volume Under the ROC Surface (VUS-ROC) of the anomaly class.

    Companion of :func:`vus_pr` (same buffers and thresholds), equal to
    TSB-AD 1.5 ``get_metrics(...)["VUS-ROC"]``. Like point-wise ROC AUC it is
    inflated by the many normal points, so prefer :func:`vus_pr`.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Labels, +1/-1 (scikit-learn, -1 = anomaly) or 0/1 (1 = anomaly), in
        time order.
    score : array-like of shape (n_samples,)
        Higher means more normal (``decision_function`` / ``score_samples``).
    sliding_window : int
        Largest buffer length ``L`` (>= 0), see :func:`vus_pr`.

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> from skvaelstm.metrics import vus_roc
    >>> y = np.zeros(200, dtype=int); y[100:110] = 1
    >>> score = -np.exp(-0.5 * ((np.arange(200) - 97) / 3.0) ** 2)
    >>> round(vus_roc(y, score, sliding_window=10), 3)
    0.964
    """
    return _vus(y_true, score, sliding_window)[0]


# --------------------------------------------------------------------------
# thresholded metrics
# --------------------------------------------------------------------------
def best_f1_oracle(y_true, score):
    """Point-wise F1 of the anomaly class at the best threshold - an ORACLE.

    The threshold is chosen **on the test labels themselves** (maximum over
    ``sklearn.metrics.precision_recall_curve``), so this is an upper bound that
    no deployed detector attains. It equals TSB-AD's ``Standard-F1``, including
    its ``1e-5`` in the F1 denominator (which lowers the value by < 1e-5).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Labels, +1/-1 (scikit-learn, -1 = anomaly) or 0/1 (1 = anomaly).
    score : array-like of shape (n_samples,)
        Higher means more normal (``decision_function`` / ``score_samples``).

    Returns
    -------
    float

    Examples
    --------
    >>> from skvaelstm.metrics import best_f1_oracle
    >>> round(best_f1_oracle([1, -1, 1, -1], [0.9, -0.8, 0.5, 0.7]), 4)
    0.8
    """
    is_anomaly, anomaly_score = _check_ranking_inputs(y_true, score)
    precision, recall, _ = precision_recall_curve(is_anomaly, anomaly_score)
    f1 = 2 * precision * recall / (precision + recall + _TSB_F1_EPS)
    return float(np.max(f1))


def point_adjusted_f1(y_true, score):
    """Point-adjusted F1 at the best threshold - OPTIMISTIC, do not report alone.

    Point adjustment (Xu et al., WWW 2018, "Donut") marks a whole labelled
    anomaly range as detected as soon as one of its points exceeds the
    threshold; F1 is then maximised over 100 evenly spaced thresholds between
    the lowest and highest anomaly score, chosen on the test labels, as in
    TSB-AD's ``PA-F1``. This is heavily inflated for long anomaly ranges: a
    vector of random scores reaches about 0.9 on NAB ``nyc_taxi`` (Kim et al.,
    "Towards a Rigorous Evaluation of Time-series Anomaly Detection",
    AAAI 2022). It is provided only to compare with the VAE-LSTM paper's
    notebook ("augmented detection"); prefer :func:`vus_pr`.

    Unlike TSB-AD's ``_adjust_predicts``, whose backward loop never revisits
    index 0, a range starting at the first point is adjusted like any other;
    the two agree everywhere else.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Labels, +1/-1 (scikit-learn, -1 = anomaly) or 0/1 (1 = anomaly), in
        time order.
    score : array-like of shape (n_samples,)
        Higher means more normal (``decision_function`` / ``score_samples``).

    Returns
    -------
    float

    Examples
    --------
    >>> from skvaelstm.metrics import point_adjusted_f1
    >>> y = [1, 1, -1, -1, -1, -1, 1, 1]
    >>> point_adjusted_f1(y, [0.9, 0.8, 0.2, 0.9, 0.9, 0.9, 0.6, 0.5])
    1.0
    """
    is_anomaly, anomaly_score = _check_ranking_inputs(y_true, score)
    return point_adjusted_f1_max(is_anomaly, anomaly_score, _PA_N_THRESHOLDS)


def anomaly_f1(y_true, y_pred):
    """F1 of the anomaly class from hard predictions (``predict`` output).

    Unlike ``sklearn.metrics.f1_score`` with its default ``pos_label=1``, this
    always treats the anomaly as the positive class, whatever the label
    convention.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Labels, +1/-1 (scikit-learn, -1 = anomaly) or 0/1 (1 = anomaly).
        Must contain at least one anomaly (otherwise recall is undefined).
    y_pred : array-like of shape (n_samples,)
        Predictions, usually ``predict`` output (+1 inlier, -1 outlier); 0/1
        and bool are accepted too. An all-1 array is read as ``predict``
        output, i.e. no predicted anomaly.

    Returns
    -------
    float
        ``2 TP / (2 TP + FP + FN)``; 0.0 when nothing is predicted.

    Examples
    --------
    >>> from skvaelstm.metrics import anomaly_f1
    >>> anomaly_f1([1, 1, -1, -1], [1, -1, -1, 1])
    0.5
    >>> anomaly_f1([0, 0, 1, 1], [1, -1, -1, 1])
    0.5
    """
    is_anomaly = _anomaly_mask(y_true)
    predicted = _anomaly_mask(y_pred, name="y_pred", only_ones="normal")
    if predicted.shape[0] != is_anomaly.shape[0]:
        raise ValueError(
            f"y_true and y_pred have different lengths ({is_anomaly.shape[0]} "
            f"and {predicted.shape[0]})."
        )
    if not is_anomaly.any():
        raise ValueError(
            "y_true contains no anomaly (all labels normal); the F1 of the "
            "anomaly class is undefined."
        )
    tp = np.sum(is_anomaly & predicted)
    fp = np.sum(~is_anomaly & predicted)
    fn = np.sum(is_anomaly & ~predicted)
    return float(2 * tp / (2 * tp + fp + fn))
