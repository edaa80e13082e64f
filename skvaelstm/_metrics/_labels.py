"""Validation of labels (either convention) and scores for the metrics."""

import numbers

import numpy as np
from sklearn.utils import column_or_1d


def _anomaly_mask(y, *, name="y_true", only_ones="raise"):
    """Convert labels of either convention to a boolean "is anomaly" array.

    ``{-1, 1}`` -> anomaly where -1; ``{0, 1}`` or bool -> anomaly where 1/True.
    An array of only 1s is ambiguous; ``only_ones="raise"`` raises, and
    ``only_ones="normal"`` reads it as ``predict`` output (all inliers).
    """
    y = column_or_1d(y, input_name=name)
    if y.shape[0] == 0:
        raise ValueError(f"{name} is empty.")
    if y.dtype == bool:
        return y.copy()
    try:
        if not (np.issubdtype(y.dtype, np.number) or y.dtype == object):
            raise TypeError
        values = np.unique(y.astype(float))
    except (TypeError, ValueError):
        shown = np.unique(y.astype(str))[:10].tolist()
        raise ValueError(f"{name} must hold +1/-1 or 0/1 labels; got values {shown}.") from None
    bad = values[~np.isin(values, (-1.0, 0.0, 1.0))]
    if bad.size:
        raise ValueError(
            f"{name} must hold +1/-1 (normal/anomaly) or 0/1 (normal/anomaly) labels; "
            f"got unexpected values {bad[:10].tolist()}."
        )
    if -1.0 in values and 0.0 in values:
        raise ValueError(
            f"{name} mixes label conventions (contains both -1 and 0); use +1/-1 "
            "(scikit-learn: -1 = anomaly) or 0/1 (KPI: 1 = anomaly)."
        )
    if -1.0 in values:
        return y.astype(float) == -1.0
    if 0.0 in values:
        return y.astype(float) == 1.0
    if only_ones == "normal":
        return np.zeros(y.shape[0], dtype=bool)
    raise ValueError(
        f"{name} contains only the label 1, which is ambiguous (all normal with "
        "+1/-1 labels, all anomalous with 0/1 labels) and holds a single class, "
        "so the metric is undefined. Evaluate on data that contains both normal "
        "points and anomalies."
    )


def _check_score(score, n_samples):
    score = column_or_1d(score, input_name="score")
    try:
        score = score.astype(float)
    except (TypeError, ValueError):
        raise ValueError("score must be numeric.") from None
    if score.shape[0] != n_samples:
        raise ValueError(
            f"y_true and score have different lengths ({n_samples} and {score.shape[0]})."
        )
    if not np.all(np.isfinite(score)):
        raise ValueError("score contains NaN or infinity.")
    return score


def _check_ranking_inputs(y_true, score):
    """Validate inputs of ranking metrics; return (is_anomaly, anomaly_score)."""
    is_anomaly = _anomaly_mask(y_true)
    score = _check_score(score, is_anomaly.shape[0])
    if not is_anomaly.any():
        raise ValueError(
            "y_true contains no anomaly (all labels normal); the metric is "
            "undefined without at least one anomaly."
        )
    if is_anomaly.all():
        raise ValueError(
            "y_true contains only anomalies; the metric is undefined without "
            "at least one normal point."
        )
    # higher = more normal -> flip so that the anomaly class is ranked first
    return is_anomaly, -score


def _check_sliding_window(sliding_window):
    if isinstance(sliding_window, (bool, np.bool_)) or not isinstance(
        sliding_window, numbers.Integral
    ):
        raise ValueError(
            f"sliding_window must be a non-negative int; got {sliding_window!r}."
        )
    if sliding_window < 0:
        raise ValueError(f"sliding_window must be >= 0; got {sliding_window}.")
    return int(sliding_window)
