"""Model files: round trip, refusal of pickles, corrupted and future files."""

import os
import pickle

import joblib
import numpy as np
import pandas as pd
import pytest
import torch

import skvaelstm
from skvaelstm import VAELSTMDetector
from skvaelstm.persistence import (
    ModelFileError,
    UntrustedModelFileError,
    load_model,
    read_model_info,
    save_model,
)

from .conftest import TINY, seasonal


@pytest.fixture(scope="module")
def named():
    """A detector fitted with early stopping on named channels (more attributes)."""
    X = pd.DataFrame(seasonal(300, n_channels=2), columns=["load", "temp"])
    params = dict(TINY, early_stopping=True, validation_fraction=0.2)
    return VAELSTMDetector(**params).fit(X), X


@pytest.fixture
def saved(tmp_path, named):
    path = tmp_path / "model.skv"
    save_model(named[0], path)
    return path


def test_round_trip_gives_identical_scores_and_attributes(saved, named):
    detector, X = named
    restored = load_model(saved)
    np.testing.assert_array_equal(restored.score_samples(X), detector.score_samples(X))
    np.testing.assert_array_equal(restored.predict(X), detector.predict(X))
    assert restored.get_params() == detector.get_params()
    assert restored.offset_ == detector.offset_
    np.testing.assert_array_equal(restored.mean_, detector.mean_)
    np.testing.assert_array_equal(restored.n_iter_, detector.n_iter_)
    assert list(restored.feature_names_in_) == ["load", "temp"]
    assert restored.loss_curve_ == detector.loss_curve_
    assert restored.best_validation_loss_ == detector.best_validation_loss_
    assert restored.device_ == torch.device("cpu")
    assert not restored.vae_.training and not restored.lstm_.training


def test_file_is_weights_only_and_records_versions(saved, named):
    payload = torch.load(saved, weights_only=True)  # would raise if it needed unpickling
    assert payload["format_version"] == 1
    info = read_model_info(saved)
    assert set(info["versions"]) == {"skvaelstm", "torch", "numpy", "scikit-learn", "python"}
    assert info["versions"]["skvaelstm"] == skvaelstm.__version__ == "0.2.0"
    assert info["versions"]["torch"] == torch.__version__
    assert info["params"]["window_size"] == TINY["window_size"]
    assert info["estimator"] == "VAELSTMDetector"


def test_metadata_and_atomic_write(tmp_path, fitted):
    path = tmp_path / "m.skv"
    save_model(fitted, path, metadata={"time_column": "t"})
    assert read_model_info(path)["metadata"] == {"time_column": "t"}
    assert os.listdir(tmp_path) == ["m.skv"]  # no temporary file left behind
    with pytest.raises(TypeError, match="JSON"):
        save_model(fitted, tmp_path / "bad.skv", metadata={"x": object()})
    assert os.listdir(tmp_path) == ["m.skv"]


def test_unfitted_detector_cannot_be_saved(tmp_path):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        save_model(VAELSTMDetector(), tmp_path / "m.skv")


@pytest.mark.parametrize("dump", ["pickle", "joblib", "joblib-compressed", "torch"])
def test_pickled_files_need_trusted(tmp_path, fitted, series, dump):
    path = tmp_path / "model.bin"
    if dump == "pickle":
        path.write_bytes(pickle.dumps(fitted))
    elif dump == "torch":
        torch.save(fitted, path)
    else:
        joblib.dump(fitted, path, compress=3 if dump == "joblib-compressed" else 0)
    with pytest.raises(UntrustedModelFileError, match="trusted=True"):
        load_model(path)
    with pytest.raises(UntrustedModelFileError):
        load_model(path)
    restored = load_model(path, trusted=True)
    np.testing.assert_array_equal(restored.score_samples(series), fitted.score_samples(series))


def test_trusted_pickle_of_something_else_is_refused(tmp_path):
    path = tmp_path / "other.pkl"
    path.write_bytes(pickle.dumps({"not": "a model"}))
    with pytest.raises(ModelFileError, match="holds a dict"):
        load_model(path, trusted=True)


def _flip(data, start, stop):
    data = bytearray(data)
    for i in range(start, stop):
        data[i] ^= 0xFF
    return bytes(data)


@pytest.mark.parametrize("damage", ["truncated", "short", "random", "empty", "flipped",
                                    "flipped-weights"])
def test_damaged_files_raise_a_clear_error(tmp_path, saved, damage):
    good = saved.read_bytes()
    bad = tmp_path / "bad.skv"
    rng = np.random.default_rng(0)
    bad.write_bytes({
        "truncated": good[: len(good) // 2],
        "short": good[:100],
        "random": rng.integers(0, 256, 2000, dtype=np.uint8).tobytes(),
        "empty": b"",
        "flipped": _flip(good, 200, 300),           # inside the pickled description
        "flipped-weights": _flip(good, len(good) - 3000, len(good) - 2900),  # tensor data
    }[damage])
    with pytest.raises(ModelFileError, match="bad.skv") as info:
        load_model(bad, trusted=True)  # trusted does not make a damaged file loadable
    assert not isinstance(info.value, UntrustedModelFileError)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "nope.skv")


def test_other_torch_file_and_future_version(tmp_path, saved):
    other = tmp_path / "weights.pt"
    torch.save({"w": torch.zeros(3)}, other)
    with pytest.raises(ModelFileError, match="not a skvaelstm model file"):
        load_model(other)
    payload = torch.load(saved, weights_only=True)
    payload["format_version"] = 99
    future = tmp_path / "future.skv"
    torch.save(payload, future)
    with pytest.raises(ModelFileError, match="version 99.*upgrade skvaelstm"):
        load_model(future)


def test_gpu_trained_model_loads_on_cpu_with_a_warning(tmp_path, fitted, series):
    gpu = VAELSTMDetector(**TINY)
    gpu.__dict__.update(fitted.__dict__)
    gpu.device_ = torch.device("cuda:3")  # networks stay on the CPU: only the record changes
    path = tmp_path / "gpu.skv"
    save_model(gpu, path)
    assert read_model_info(path)["attributes"]["device_"] == {"__device__": "cuda:3"}
    if torch.cuda.device_count() > 3:
        pytest.skip("cuda:3 exists here")
    with pytest.warns(UserWarning, match="cuda:3.*loaded on the CPU"):
        restored = load_model(path)
    assert restored.device_ == torch.device("cpu")
    np.testing.assert_array_equal(restored.score_samples(series), fitted.score_samples(series))


def test_files_without_error_scale_load_with_their_original_scores(tmp_path, series):
    # skvaelstm 0.1 files have no window_size_ / error_scale_: their errors were not
    # scaled per channel, which error_scale_ = 1 reproduces exactly
    det = VAELSTMDetector(**TINY, score_aggregation="newest",
                          error_source="prediction").fit(series)
    det.error_scale_ = np.ones_like(det.error_scale_)
    expected = det.score_samples(series)
    del det.error_scale_, det.window_size_
    save_model(det, tmp_path / "old.skv")
    loaded = load_model(tmp_path / "old.skv")
    assert loaded.window_size_ == det.window_size
    np.testing.assert_array_equal(loaded.score_samples(series), expected)
