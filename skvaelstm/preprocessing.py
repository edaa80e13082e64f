"""Lag features that let row-wise detectors see the same windows as VAELSTMDetector."""

from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from ._model._compat import Interval, _fit_context
from ._scoring._windows import _sliding_windows

__all__ = ["LagWindows"]


class LagWindows(TransformerMixin, BaseEstimator):
    """Replace each row by the window of ``window_size`` rows ending at it.

    ``make_pipeline(LagWindows(48), IsolationForest())`` scores every row of a
    series from the same 48-row context as ``VAELSTMDetector(window_size=48)``,
    with one output row per input row, so the two can be compared on the same
    rows with the same labels.

    Parameters
    ----------
    window_size : int, default=48
        Rows per window; at least 1.

    Attributes
    ----------
    n_features_in_ : int
        Number of channels seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Channel names, when ``X`` has string column names.

    See Also
    --------
    VAELSTMDetector : The detector whose windows this reproduces.

    Notes
    -----
    Output row ``r`` holds rows ``r - window_size + 1 .. r`` flattened time-major
    (all channels of the oldest row first). The first ``window_size - 1`` rows
    have no full window ending at them (warm-up); they get the first full window
    (rows ``0 .. window_size - 1``): nothing is padded or invented, but these rows
    share one feature vector, so a row-wise detector gives them one score.
    ``transform`` needs at least ``window_size`` rows.

    Examples
    --------
    >>> import numpy as np
    >>> from skvaelstm.preprocessing import LagWindows
    >>> LagWindows(window_size=2).fit_transform(np.arange(4.0)[:, None])
    array([[0., 1.],
           [0., 1.],
           [1., 2.],
           [2., 3.]])
    """

    _parameter_constraints: dict = {
        "window_size": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, window_size=48):
        self.window_size = window_size

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Record the number of channels (and their names).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : Ignored

        Returns
        -------
        self : object
        """
        validate_data(self, X, dtype=[np.float64, np.float32])
        return self

    def transform(self, X):
        """Windows ending at each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            At least ``window_size`` rows, in time order.

        Returns
        -------
        X_windows : ndarray of shape (n_samples, window_size * n_features)
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        if X.shape[0] < self.window_size:
            raise ValueError(
                f"n_samples={X.shape[0]} is too few: LagWindows(window_size="
                f"{self.window_size}) needs at least {self.window_size} rows."
            )
        windows = _sliding_windows(X, self.window_size)  # (n - W + 1, channels, W)
        flat = windows.transpose(0, 2, 1).reshape(len(windows), -1)
        head = np.repeat(flat[:1], self.window_size - 1, axis=0)
        return np.concatenate([head, flat])

    def get_feature_names_out(self, input_features=None):
        """Names ``"<channel>_lag<k>"``, ``k`` rows before the current one.

        Parameters
        ----------
        input_features : array-like of str or None, default=None

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self)
        if input_features is None:
            input_features = getattr(self, "feature_names_in_",
                                     [f"x{i}" for i in range(self.n_features_in_)])
        return np.asarray([f"{name}_lag{lag}" for lag in range(self.window_size - 1, -1, -1)
                           for name in input_features], dtype=object)
