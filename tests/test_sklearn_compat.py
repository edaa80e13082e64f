"""scikit-learn's estimator checks and the tools users combine the detector with."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.metrics import average_precision_score, make_scorer
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV, TimeSeriesSplit
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from skvaelstm import VAELSTMDetector

from .conftest import TINY, seasonal

# A row's score depends on the rows before it, so reordering rows or scoring
# them one at a time legitimately changes scores (sklearn.utils.estimator_checks).
EXPECTED_FAILED = {
    "check_methods_sample_order_invariance":
        "time-series model: a row's score depends on the rows before it",
    "check_methods_subset_invariance":
        "time-series model: scoring rows one at a time removes their temporal context",
}

CHECKED = VAELSTMDetector(window_size=2, n_windows=2, code_size=2, vae_hidden_size=8,
                          lstm_hidden_size=4, max_iter=2, early_stopping=False,
                          random_state=0)


@parametrize_with_checks([CHECKED], expected_failed_checks=lambda est: EXPECTED_FAILED)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


# missing="mask" declares allow_nan (scikit-learn then leaves out its check that NaN
# is refused): every other check holds as well
@parametrize_with_checks([clone(CHECKED).set_params(missing="mask")],
                         expected_failed_checks=lambda est: EXPECTED_FAILED)
def test_sklearn_estimator_checks_with_missing_values_masked(estimator, check):
    check(estimator)


def _anomaly_ap(y_true, score):
    return average_precision_score(np.asarray(y_true) == -1, -np.asarray(score))


def _labelled_series():
    X = seasonal(600, period=20)
    y = np.ones(len(X), dtype=int)
    for start in (250, 430, 560):
        X[start:start + 5] += 3.0
        y[start:start + 5] = -1
    return X, y


def test_grid_search_over_window_and_code_size_with_time_series_split():
    X, y = _labelled_series()
    search = GridSearchCV(
        VAELSTMDetector(**{**TINY, "max_iter": 2}),
        param_grid={"window_size": [4, 5], "code_size": [2, 3]},
        scoring={"roc_auc": "roc_auc",
                 "ap": make_scorer(_anomaly_ap, response_method="decision_function")},
        refit="ap", cv=TimeSeriesSplit(n_splits=3), error_score="raise",
    )
    search.fit(X, y)
    cv = search.cv_results_
    assert sorted((p["window_size"], p["code_size"]) for p in cv["params"]) == [
        (4, 2), (4, 3), (5, 2), (5, 3)]
    assert np.all(np.isfinite(cv["mean_test_ap"])) and np.all(np.isfinite(cv["mean_test_roc_auc"]))
    # the grid really varied the model (the clear anomalies tie some candidates' ranks)
    assert np.unique(cv["mean_test_ap"]).size > 1
    # refit="ap": the best candidate is the one with the best mean AP, refitted on all rows
    best = int(np.argmax(cv["mean_test_ap"]))
    assert search.best_index_ == best and search.best_params_ == cv["params"][best]
    assert search.best_score_ == cv["mean_test_ap"][best]
    direct = VAELSTMDetector(**{**TINY, "max_iter": 2, **search.best_params_}).fit(X)
    np.testing.assert_array_equal(search.best_estimator_.decision_function(X),
                                  direct.decision_function(X))
    # a split's AP is the anomaly class's AP of a fit on that fold's training rows
    train, test = list(TimeSeriesSplit(n_splits=3).split(X))[0]
    fold = VAELSTMDetector(**{**TINY, "max_iter": 2, **search.best_params_}).fit(X[train])
    assert cv["split0_test_ap"][best] == pytest.approx(
        _anomaly_ap(y[test], fold.decision_function(X[test])), abs=1e-12)


def test_randomized_search_in_a_pipeline():
    X, y = _labelled_series()
    pipe = make_pipeline(StandardScaler(), VAELSTMDetector(**{**TINY, "max_iter": 2}))
    search = RandomizedSearchCV(
        pipe, {"vaelstmdetector__window_size": [3, 4, 5]}, n_iter=2, random_state=0,
        scoring="roc_auc", cv=TimeSeriesSplit(n_splits=2), error_score="raise",
    )
    search.fit(X, y)
    tried = [p["vaelstmdetector__window_size"] for p in search.cv_results_["params"]]
    assert len(set(tried)) == 2 and set(tried) <= {3, 4, 5}
    best = int(np.argmax(search.cv_results_["mean_test_score"]))
    assert search.best_params_ == search.cv_results_["params"][best]
    # the refitted pipeline scales, then scores with the best window
    detector = search.best_estimator_[-1]
    assert detector.window_size_ == search.best_params_["vaelstmdetector__window_size"]
    labels = search.best_estimator_.predict(X)
    assert labels.dtype.kind == "i" and labels.shape == (len(X),)
    np.testing.assert_array_equal(
        labels, detector.predict(search.best_estimator_[0].transform(X)))
    assert set(np.unique(labels)) == {-1, 1}


def test_pipeline_and_clone(series):
    pipe = make_pipeline(StandardScaler(), VAELSTMDetector(**TINY)).fit(series)
    direct = VAELSTMDetector(**TINY).fit(StandardScaler().fit_transform(series))
    np.testing.assert_array_equal(pipe.decision_function(series),
                                  direct.decision_function(StandardScaler().fit_transform(series)))
    cloned = clone(pipe)
    assert not hasattr(cloned[-1], "offset_")
    assert cloned.get_params()["vaelstmdetector__window_size"] == TINY["window_size"]
