"""skvaelstm.fleet: one detector per series, errors reported per series, any joblib backend."""

import os

import numpy as np
import pandas as pd
import pytest
import torch

from skvaelstm import VAELSTMDetector
from skvaelstm._fleet._runner import _task_threads
from skvaelstm.fleet import (
    FleetResult,
    detect_fleet,
    fit_fleet,
    model_filename,
    score_fleet,
    torch_threads,
)
from skvaelstm.persistence import load_model, read_model_info

from .conftest import TINY, seasonal


@pytest.fixture(scope="module")
def fleet():
    """Four good series (arrays, 1-D, DataFrame) and two bad ones."""
    nan = seasonal(200, seed=4)
    nan[50, 0] = np.nan
    return {
        "a": seasonal(200, seed=0),
        "b": seasonal(220, period=20, seed=1)[:, 0],            # 1-D: one channel
        "c": pd.DataFrame(seasonal(200, n_channels=2, seed=2), columns=["x", "y"]),
        "web-01/cpu": seasonal(210, seed=3),
        "nan": nan,
        "short": seasonal(8),
    }


@pytest.fixture(scope="module")
def detected(fleet):
    return detect_fleet(VAELSTMDetector(**TINY), fleet)


def test_each_series_gets_its_own_fit(fleet, detected):
    assert isinstance(detected, FleetResult)
    assert list(detected) == list(fleet)
    assert detected.succeeded == ["a", "b", "c", "web-01/cpu"]
    for name in detected.succeeded:
        r = detected[name]
        X = fleet[name].reshape(-1, 1) if name == "b" else fleet[name]
        direct = VAELSTMDetector(**TINY).fit(X)
        np.testing.assert_array_equal(r.scores, direct.score_samples(X))
        np.testing.assert_array_equal(r.labels, direct.predict(X))
        np.testing.assert_allclose(r.decision, direct.decision_function(X))
        assert r.n_samples == len(X) and r.fit_seconds > 0 and r.score_seconds > 0
        assert r.model_path is None and r.error is None and r.ok
    assert list(detected["c"].estimator.feature_names_in_) == ["x", "y"]


def test_bad_series_are_reported_not_raised(detected):
    errors = detected.errors
    assert set(errors) == {"nan", "short"}
    assert errors["nan"].startswith("InputError: ") and "NaN" in errors["nan"]
    assert errors["short"].startswith("InputError: ") and "too few" in errors["short"]
    for name in errors:
        r = detected[name]
        assert r.stage == "fit" and not r.ok
        assert r.estimator is None and r.scores is None
        assert "Traceback" in r.traceback
    frame = detected.to_frame()
    assert frame.loc["nan", "stage"] == "fit"
    assert frame.loc["a", "n_anomalies"] == int(np.sum(detected["a"].labels == -1))


@pytest.mark.slow
def test_loky_processes_give_the_same_results(fleet, detected):
    parallel = detect_fleet(VAELSTMDetector(**TINY), fleet, n_jobs=2)
    assert parallel.errors == detected.errors
    for name in detected.succeeded:
        # workers use one torch thread: the same numbers up to float reordering
        np.testing.assert_allclose(parallel[name].scores, detected[name].scores,
                                   rtol=1e-6, atol=1e-9)


def test_model_dir_holds_one_file_per_fitted_series(tmp_path, fleet, detected):
    fitted = fit_fleet(VAELSTMDetector(**TINY), fleet, model_dir=tmp_path / "models")
    assert fitted.errors.keys() == {"nan", "short"}
    files = sorted(os.listdir(tmp_path / "models"))
    assert files == sorted(model_filename(n) for n in fitted.succeeded)
    assert "web-01%2Fcpu.skv" in files       # no path separator in a file name
    r = fitted["web-01/cpu"]
    assert r.estimator is None and os.path.isabs(r.model_path)
    assert read_model_info(r.model_path)["metadata"] == {"series": "web-01/cpu"}
    X = fleet["web-01/cpu"]
    np.testing.assert_array_equal(load_model(r.model_path).score_samples(X),
                                  detected["web-01/cpu"].scores)
    # a FleetResult is a valid `models` mapping: paths are loaded on the worker
    scored = score_fleet(fitted, fleet)
    assert scored.succeeded == fitted.succeeded
    assert scored["nan"].stage == "model" and "fit failed" in scored["nan"].error
    for name in scored.succeeded:
        np.testing.assert_array_equal(scored[name].scores, detected[name].scores)
        assert scored[name].estimator is None


def test_colliding_model_file_names_are_refused(tmp_path):
    with pytest.raises(ValueError, match="share the model file"):
        fit_fleet(VAELSTMDetector(**TINY), {1: seasonal(100), "1": seasonal(100)},
                  model_dir=tmp_path)


def test_files_and_callables_are_read_by_the_task(tmp_path):
    X = seasonal(200, n_channels=2)
    frame = pd.DataFrame(X, columns=["load", "temp"])
    frame.insert(0, "timestamp", pd.date_range("2024-01-01", periods=200, freq="5min"))
    frame.to_csv(tmp_path / "kpi.csv.gz", index=False)
    frame.iloc[:, :2].to_csv(tmp_path / "dated.csv", index=False)
    series = {"csv": tmp_path / "kpi.csv.gz", "str": str(tmp_path / "kpi.csv.gz"),
              "callable": lambda: frame, "missing": tmp_path / "nope.csv",
              "no-column": tmp_path / "dated.csv"}
    result = detect_fleet(VAELSTMDetector(**TINY), series, time_column="timestamp",
                          columns=["load", "temp"])
    expected = VAELSTMDetector(**TINY).fit(frame[["load", "temp"]])
    for name in ("csv", "str", "callable"):
        np.testing.assert_array_equal(result[name].scores,
                                      expected.score_samples(frame[["load", "temp"]]))
    assert result["missing"].stage == "load"
    assert result["missing"].error.startswith("FileNotFoundError")
    assert result["no-column"].stage == "load" and "no column 'temp'" in result["no-column"].error


def test_time_column_alone_drops_only_that_column(tmp_path):
    frame = pd.DataFrame({"t": np.arange(200.0), "v": seasonal(200)[:, 0]})
    result = detect_fleet(VAELSTMDetector(**TINY), {"s": frame}, time_column="t")
    assert list(result["s"].estimator.feature_names_in_) == ["v"]


def test_train_size_fits_on_the_first_rows():
    X = seasonal(300)
    result = detect_fleet(VAELSTMDetector(**TINY), {"int": X, "share": X},
                          train_size=150)
    share = detect_fleet(VAELSTMDetector(**TINY), {"share": X}, train_size=0.5)
    direct = VAELSTMDetector(**TINY).fit(X[:150])
    for r in (result["int"], result["share"], share["share"]):
        np.testing.assert_array_equal(r.scores, direct.score_samples(X))
        assert len(r.scores) == 300
    for bad in (0, 1.0, True, "half"):
        with pytest.raises((TypeError, ValueError)):
            fit_fleet(VAELSTMDetector(**TINY), {"x": X}, train_size=bad)


def test_a_missing_model_is_reported():
    X = seasonal(200)
    models = {"a": VAELSTMDetector(**TINY).fit(X)}
    result = score_fleet(models, {"a": X, "b": X})
    assert result["a"].ok and result["b"].stage == "model"
    assert result["b"].error.startswith("KeyError")


def test_interrupts_are_not_reported_as_series_errors():
    def interrupted():
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fit_fleet(VAELSTMDetector(**TINY), {"x": interrupted})


def test_torch_threads_set_each_task_detectors_n_threads():
    before = torch.get_num_threads()
    model = VAELSTMDetector(**TINY)
    result = fit_fleet(model, {"x": seasonal(100)}, torch_threads=2)
    assert result["x"].estimator.n_threads == 2 and model.n_threads == 1
    assert fit_fleet(model, {"x": seasonal(100)})["x"].estimator.n_threads == 1   # "auto"
    fitted = result["x"].estimator
    scored = score_fleet({"x": fitted}, {"x": seasonal(100)}, torch_threads=None)
    assert scored["x"].ok and fitted.n_threads == 2   # the caller's model is not changed
    assert torch.get_num_threads() == before
    with torch_threads(None):
        assert torch.get_num_threads() == before


def test_torch_threads_values_are_checked():
    assert _task_threads("auto") == "auto" and _task_threads(None) is None
    assert _task_threads(3) == 3
    for bad in ("all", 0, 1.5, True):
        with pytest.raises(ValueError):
            _task_threads(bad)


def test_series_must_be_a_mapping():
    with pytest.raises(TypeError, match="mapping"):
        fit_fleet(VAELSTMDetector(**TINY), [seasonal(100)])


def _worker_torch_threads():
    import torch

    return torch.get_num_threads()


@pytest.mark.slow
def test_loky_workers_cap_torch_threads():
    # the README promises that GridSearchCV(n_jobs=k) does not oversubscribe:
    # loky sets OMP_NUM_THREADS = cores // k in its workers and torch follows it
    from joblib import Parallel, cpu_count, delayed

    threads = Parallel(n_jobs=2)(delayed(_worker_torch_threads)() for _ in range(2))
    assert threads == [max(1, cpu_count() // 2)] * 2


def test_tables_get_the_command_lines_time_checks():
    stamps = pd.date_range("2024-01-01", periods=120, freq="5min")
    good = pd.DataFrame({"t": stamps, "load": seasonal(120)[:, 0]})
    unsorted = good.iloc[[*range(10), 11, 10, *range(12, 120)]]
    duplicated = pd.concat([good.iloc[:50], good.iloc[49:]], ignore_index=True)
    gapped = good.drop(index=range(60, 70))
    result = fit_fleet(VAELSTMDetector(**TINY), {"good": good, "unsorted": unsorted,
                                                 "duplicated": duplicated, "gapped": gapped},
                       time_column="t")
    assert result["good"].ok
    assert "not sorted" in result["unsorted"].error
    assert "duplicated timestamp" in result["duplicated"].error
    assert "gap" in result["gapped"].error
    assert {result[k].stage for k in ("unsorted", "duplicated", "gapped")} == {"load"}
