"""LagWindows: the like-for-like input for row-wise baselines."""

import numpy as np
import pytest
from sklearn.ensemble import IsolationForest
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from skvaelstm.preprocessing import LagWindows

EXPECTED_FAILED = {
    "check_methods_sample_order_invariance":
        "time-series transformer: a row's window holds the rows before it",
    "check_methods_subset_invariance":
        "time-series transformer: a single row has no window",
}


@parametrize_with_checks([LagWindows(window_size=2)],
                         expected_failed_checks=lambda est: EXPECTED_FAILED)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_windows_end_at_each_row_and_warmup_uses_the_first_full_window():
    X = np.arange(10.0).reshape(5, 2)  # rows [0,1], [2,3], ...
    out = LagWindows(window_size=3).fit_transform(X)
    assert out.shape == (5, 6)
    np.testing.assert_array_equal(out[4], [4, 5, 6, 7, 8, 9])
    np.testing.assert_array_equal(out[0], out[2])
    np.testing.assert_array_equal(out[1], [0, 1, 2, 3, 4, 5])


def test_feature_names():
    lag = LagWindows(window_size=2).fit(np.zeros((4, 2)))
    assert list(lag.get_feature_names_out()) == ["x0_lag1", "x1_lag1", "x0_lag0", "x1_lag0"]


def test_pipeline_with_isolation_forest_scores_every_row():
    X = np.sin(np.arange(300) / 5.0)[:, None]
    X[200:203] += 3
    pipe = make_pipeline(LagWindows(10), IsolationForest(random_state=0)).fit(X)
    scores = pipe.decision_function(X)
    assert scores.shape == (300,)
    assert np.argmin(scores) in range(200, 213)


def test_too_short():
    lag = LagWindows(window_size=5).fit(np.zeros((10, 1)))
    with pytest.raises(ValueError, match="n_samples=4 .* at least 5 rows"):
        lag.transform(np.zeros((4, 1)))
