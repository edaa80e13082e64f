"""Bad input gets a clear exception: nothing padded, clipped, guessed or swallowed."""

import copy
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import InvalidParameterError

from skvaelstm import VAELSTMDetector

from .conftest import TINY, seasonal


def _with(X, row, value):
    X = X.copy()
    X[row, 0] = value
    return X


@pytest.mark.parametrize("value, message", [(np.nan, "NaN"), (np.inf, "infinity"),
                                            (-np.inf, "infinity")])
def test_non_finite_values(series, fitted, value, message):
    with pytest.raises(ValueError, match=message):
        VAELSTMDetector(**TINY).fit(_with(series, 5, value))
    with pytest.raises(ValueError, match=message):
        fitted.score_samples(_with(series, 100, value))


def test_wrong_dimensionality(series, fitted):
    with pytest.raises(ValueError, match="Expected 2D array"):
        VAELSTMDetector(**TINY).fit(series[:, 0])
    with pytest.raises(ValueError, match="Expected 2D array"):
        fitted.predict(series[:, 0])
    with pytest.raises(ValueError, match="dim 3"):
        VAELSTMDetector(**TINY).fit(series[:, :, None])


def test_wrong_feature_count_at_predict_time(fitted):
    with pytest.raises(ValueError, match="X has 2 features, but VAELSTMDetector is expecting 1"):
        fitted.decision_function(seasonal(100, n_channels=2))


def test_non_numeric(series):
    text = series.astype(str).astype(object)
    text[3, 0] = "high"
    with pytest.raises(ValueError, match="could not convert string to float: 'high'"):
        VAELSTMDetector(**TINY).fit(text)
    with pytest.raises(ValueError, match="[Cc]omplex"):
        VAELSTMDetector(**TINY).fit(series + 1j)


def test_sparse_input(series, fitted):
    with pytest.raises(TypeError, match="[Ss]parse"):
        VAELSTMDetector(**TINY).fit(sp.csr_matrix(series))
    with pytest.raises(TypeError, match="[Ss]parse"):
        fitted.score_samples(sp.csr_matrix(series))


def test_empty_input(fitted):
    with pytest.raises(ValueError, match="0 sample"):
        VAELSTMDetector(**TINY).fit(np.empty((0, 1)))
    with pytest.raises(ValueError, match="0 feature"):
        VAELSTMDetector(**TINY).fit(np.empty((50, 0)))
    with pytest.raises(ValueError, match="0 sample"):
        fitted.score_samples(np.empty((0, 1)))


def test_too_short_to_fit_names_the_minimum(series):
    # window_size * n_windows = 12 rows without early stopping
    VAELSTMDetector(**TINY).fit(series[:12])
    with pytest.raises(ValueError, match=r"n_samples=11 .* at least 12 rows"):
        VAELSTMDetector(**TINY).fit(series[:11])
    # with early stopping the validation tail must hold 2 * window_size = 8 rows:
    # 80 rows with validation_fraction=0.1; fewer, down to 12 + 8, fit with a tail
    # of 8 rows and a warning (tests/test_small_data.py)
    params = {**TINY, "early_stopping": True, "validation_fraction": 0.1}
    with pytest.raises(ValueError, match=r"at least 20 rows .*early_stopping=False"):
        VAELSTMDetector(**params).fit(series[:19])
    with pytest.warns(UserWarning, match="validation tail of 8 rows"):
        VAELSTMDetector(**params).fit(series[:20])
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        VAELSTMDetector(**params).fit(series[:80])


def test_too_short_to_score_names_the_minimum(fitted, series):
    fitted.score_samples(series[:8])  # pooled default: one complete predicted window
    with pytest.raises(ValueError, match=r"n_samples=7 .* at least 8 rows"):
        fitted.score_samples(series[:7])
    per_row = copy.deepcopy(fitted).set_params(score_aggregation="newest",
                                               error_source="prediction")
    per_row.score_samples(series[:5])
    with pytest.raises(ValueError, match=r"n_samples=4 .* at least 5 rows"):
        per_row.score_samples(series[:4])


def test_values_too_large(series, fitted):
    with pytest.raises(ValueError, match="too large to standardise"):
        VAELSTMDetector(**TINY).fit(series * 1e300)
    with pytest.raises(ValueError, match="cannot be scored reliably"):
        fitted.score_samples(_with(series, 50, 1e20))


@pytest.mark.parametrize("params, name", [
    ({"window_size": 1}, "window_size"),
    ({"window_size": 2.5}, "window_size"),
    ({"n_windows": 1}, "n_windows"),
    ({"code_size": 0}, "code_size"),
    ({"contamination": 0.7}, "contamination"),
    ({"contamination": 0.0}, "contamination"),
    ({"score_aggregation": "median"}, "score_aggregation"),
    ({"validation_fraction": 1.0}, "validation_fraction"),
    ({"learning_rate_init": 0.0}, "learning_rate_init"),
    ({"sigma": -1.0}, "sigma"),
    ({"max_iter": 0}, "max_iter"),
    ({"device": 3}, "device"),
])
def test_invalid_parameters(series, params, name):
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter"):
        VAELSTMDetector(**{**TINY, **params}).fit(series)


def test_unfitted(series):
    for method in ("score_samples", "decision_function", "predict"):
        with pytest.raises(NotFittedError):
            getattr(VAELSTMDetector(), method)(series)
