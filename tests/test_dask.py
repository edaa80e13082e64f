"""The dask backend: GridSearchCV and fleets on a LocalCluster of 2 worker processes."""

import joblib
import numpy as np
import pytest
import torch
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit

from skvaelstm import VAELSTMDetector
from skvaelstm.fleet import detect_fleet, limit_worker_threads, torch_threads
from skvaelstm.metrics import anomaly_scorers

from .conftest import TINY, seasonal

distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.slow   # starts a local cluster


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None)
    client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def _search():
    return GridSearchCV(
        VAELSTMDetector(**TINY),
        param_grid={"window_size": [4, 5], "code_size": [1, 2]},
        scoring=anomaly_scorers(), refit="average_precision_anomaly",
        cv=TimeSeriesSplit(n_splits=2), error_score="raise",
    )


def test_grid_search_on_dask_matches_the_sequential_run(client):
    X = seasonal(300)
    y = np.ones(300, dtype=int)
    for row in (130, 170, 240, 280):   # anomalies in both test folds
        X[row] += 3.0
        y[row] = -1
    # the same torch threads as the workers (1): bit-for-bit comparable numbers
    with torch_threads(1):
        sequential = _search().fit(X, y)
    with joblib.parallel_backend("dask"):
        on_dask = _search().fit(X, y)
    assert on_dask.best_params_ == sequential.best_params_
    assert on_dask.best_score_ == pytest.approx(sequential.best_score_, rel=1e-9)
    for key, values in sequential.cv_results_.items():
        if key.startswith(("mean_test", "std_test", "split", "rank")):
            np.testing.assert_allclose(on_dask.cv_results_[key], values, rtol=1e-9)
    np.testing.assert_allclose(on_dask.best_estimator_.score_samples(X),
                               sequential.best_estimator_.score_samples(X), rtol=1e-6)


def test_fleet_on_dask_reports_the_bad_series(client, tmp_path):
    series = {f"kpi-{i:02d}": seasonal(150 + 5 * i, period=15 + i, seed=i) for i in range(20)}
    series["kpi-07"][40, 0] = np.nan
    with joblib.parallel_backend("dask"):
        result = detect_fleet(VAELSTMDetector(**TINY), series, model_dir=tmp_path)
    assert list(result.errors) == ["kpi-07"]
    assert "NaN" in result["kpi-07"].error and result["kpi-07"].stage == "fit"
    assert len(result.succeeded) == 19
    assert len(list(tmp_path.iterdir())) == 19     # one model file per fitted series
    sequential = detect_fleet(VAELSTMDetector(**TINY), {"kpi-03": series["kpi-03"]},
                              torch_threads=1)
    np.testing.assert_allclose(result["kpi-03"].scores, sequential["kpi-03"].scores,
                               rtol=1e-6, atol=1e-9)


def test_workers_use_the_torch_threads_they_are_given(client):
    try:
        limit_worker_threads(client, 2)
        assert set(client.run(torch.get_num_threads).values()) == {2}
    finally:
        limit_worker_threads(client, 1)
    assert set(client.run(torch.get_num_threads).values()) == {1}
    # inside tasks too (the executor thread, not only the event loop)
    futures = client.map(lambda i: torch.get_num_threads(), range(4), pure=False)
    assert set(client.gather(futures)) == {1}
