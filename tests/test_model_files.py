"""Model files: format compatibility and what loading refuses."""

import copy
import json
import re
import sys
import warnings
from pathlib import Path

import joblib
import numpy as np
import pytest
import torch
from sklearn.exceptions import ConvergenceWarning

from skvaelstm import VAELSTMDetector
from skvaelstm._io import _model_format, _serialization, _trust
from skvaelstm.exceptions import InputError
from skvaelstm.persistence import (
    ModelFileError,
    ModelUpgradeWarning,
    load_model,
    read_model_info,
    save_model,
)

from .conftest import TINY, seasonal

DATA = Path(__file__).resolve().parent / "data"


def test_the_committed_model_file_keeps_loading_with_identical_scores():
    # written by tests/data/make_model_file.py (skvaelstm 0.1, format 1); if this
    # fails, a change broke files users already have: fix the reader, do not
    # regenerate the file
    det = load_model(DATA / "model_format1.skv")
    X = np.load(DATA / "model_format1_X.npy")
    # equal up to float32 rounding: another CPU's instruction set (the file may be
    # read on any machine) can change the last bits of the networks' sums
    np.testing.assert_allclose(det.score_samples(X), np.load(DATA / "model_format1_scores.npy"),
                               rtol=1e-6, atol=0)
    assert read_model_info(DATA / "model_format1.skv")["format_version"] == 1


def test_a_fit_makes_exactly_the_attributes_a_file_may_hold(fitted):
    import pandas as pd

    named = VAELSTMDetector(**TINY).fit(pd.DataFrame(seasonal(200), columns=["load"]))
    for det, extra in ((fitted, set()), (named, {"feature_names_in_"})):
        made = {n for n in vars(det) if n.endswith("_") and not n.startswith("_")}
        assert made - {"vae_", "lstm_"} == (_model_format._REQUIRED_ATTRIBUTES
                                             | {"window_size_", "error_scale_", "n_windows_",
                                                "validation_rows_", "error_tail_",
                                                "train_scores_", "threshold_params_"} | extra)


def _rewrite(source, target, change):
    """Copy a model file with its JSON document changed and a valid checksum."""
    payload = torch.load(source, weights_only=True)
    document = json.loads(payload["document"])
    change(document)
    payload["document"] = json.dumps(document)
    payload["sha256"] = _serialization._digest(payload["document"], payload["arrays"],
                                            payload["vae_state"], payload["lstm_state"])
    torch.save(payload, target)
    return target


@pytest.mark.parametrize("change, message", [
    (lambda d: d["params"].update(window_size=-3), "invalid parameters.*window_size"),
    (lambda d: d["params"].update(score_aggregation="median"), "invalid parameters"),
    (lambda d: d["attributes"].update(fit=1, __class__=2), "unknown attributes __class__, fit"),
    (lambda d: d["attributes"].pop("offset_"), "missing attributes offset_"),
])
def test_files_with_invalid_parameters_or_strange_attributes_are_refused(tmp_path, fitted,
                                                                         change, message):
    save_model(fitted, tmp_path / "m.skv")
    bad = _rewrite(tmp_path / "m.skv", tmp_path / "bad.skv", change)
    with pytest.raises(ModelFileError, match=message):
        load_model(bad)


def test_unpickling_failures_say_what_failed(tmp_path, monkeypatch):
    skew = tmp_path / "skew.pkl"
    # a pickle that refers to a class this installation lacks (version skew)
    skew.write_bytes(b"\x80\x04cskvaelstm_removed_module\nOldDetector\n.")
    with pytest.raises(ModelFileError, match="refers to code this installation does not have"):
        load_model(skew, trusted=True)
    damaged = tmp_path / "damaged.pkl"
    damaged.write_bytes(b"\x80\x04\x95\x10\x00")
    with pytest.raises(ModelFileError, match="truncated or corrupted"):
        load_model(damaged, trusted=True)

    def out_of_memory(path):
        raise MemoryError

    monkeypatch.setattr(joblib, "load", out_of_memory)
    with pytest.raises(MemoryError):      # not disguised as a damaged file
        load_model(skew, trusted=True)
    assert "skvaelstm_removed_module" not in sys.modules


def _as_0_1(document):
    """A file's document as skvaelstm 0.1 wrote it: without the parameters and
    attributes added since."""
    for name in ("error_source", "learning_rate", "n_threads"):
        document["params"].pop(name)
    for name in ("window_size_", "error_scale_"):
        document["attributes"].pop(name)


@pytest.mark.filterwarnings("error::skvaelstm.persistence.ModelUpgradeWarning")
def test_files_of_skvaelstm_0_1_load_and_score_as_they_did(tmp_path, series):
    # a 0.1 file: per-row "newest" scores, no error_source / learning_rate / n_threads
    # parameters, no window_size_ / error_scale_ attributes
    det = VAELSTMDetector(**{**TINY, "score_aggregation": "newest",
                             "error_source": "prediction", "learning_rate": "constant"})
    det.fit(series)
    det.error_scale_ = np.ones_like(det.error_scale_)
    expected = det.score_samples(series)
    save_model(det, tmp_path / "new.skv")
    old = load_model(_rewrite(tmp_path / "new.skv", tmp_path / "old.skv", _as_0_1))
    assert (old.error_source, old.learning_rate, old.n_threads) == ("prediction", "constant",
                                                                     None)
    np.testing.assert_array_equal(old.score_samples(series), expected)
    # a trusted 0.1 pickle lacks the new parameters as attributes
    for name in ("error_source", "learning_rate", "n_threads", "window_size_",
                 "error_scale_"):
        delattr(det, name)
    joblib.dump(det, tmp_path / "old.joblib")
    np.testing.assert_array_equal(
        load_model(tmp_path / "old.joblib", trusted=True).score_samples(series), expected)


# ---------------------------------------------------------------------------
# multi-channel models of skvaelstm 0.1: their threshold belongs to 0.1's scores
# ---------------------------------------------------------------------------
_STALE_OFFSET = -123.0   # stands for 0.1's threshold, which fits no 0.2 score


@pytest.fixture(scope="module")
def two_channels():
    """A two-channel detector as 0.1 would score it (0.1's options, no error
    scaling), its training rows, and their scores under this version's channel rule."""
    X = seasonal(300, n_channels=2)
    det = VAELSTMDetector(**{**TINY, "score_aggregation": "newest",
                             "error_source": "prediction", "learning_rate": "constant",
                             "contamination": 0.1})
    with pytest.warns(ConvergenceWarning):
        det.fit(X)
    det.error_scale_ = np.ones_like(det.error_scale_)
    return det, X, det.score_samples(X)


@pytest.fixture
def old_file(tmp_path, two_channels):
    det = copy.deepcopy(two_channels[0])
    det.offset_ = _STALE_OFFSET
    save_model(det, tmp_path / "new.skv")
    return _rewrite(tmp_path / "new.skv", tmp_path / "old.skv", _as_0_1)


def test_multi_channel_0_1_files_are_refused_without_their_training_rows(old_file):
    with pytest.raises(ModelFileError, match="skvaelstm 0.1 with 2 channels.*geometric mean"
                       ".*load_model\\(path, threshold_data=X_train\\)"):
        load_model(old_file)


def test_multi_channel_0_1_files_get_their_threshold_derived_from_the_training_rows(
        tmp_path, old_file, two_channels):
    _, X, scores = two_channels
    with pytest.warns(ModelUpgradeWarning, match="2 channels.*geometric mean.*derived again "
                      "from the 300 rows of threshold_data \\(contamination=0.1\\)") as record:
        det = load_model(old_file, threshold_data=X)
    assert record[0].filename == __file__      # the warning points at the caller's line
    assert det.offset_ == np.percentile(scores, 10.0) != _STALE_OFFSET
    np.testing.assert_array_equal(det.score_samples(X), scores)
    assert (det.predict(X) == -1).sum() == 30      # the contamination share of the rows
    # saved again, it is a file of this version: no warning, no data needed
    save_model(det, tmp_path / "upgraded.skv")
    with warnings.catch_warnings():
        warnings.simplefilter("error", ModelUpgradeWarning)
        assert load_model(tmp_path / "upgraded.skv").offset_ == det.offset_


def test_trusted_multi_channel_0_1_pickles_are_upgraded_alike(tmp_path, two_channels):
    det, X, scores = copy.deepcopy(two_channels)
    det.offset_ = _STALE_OFFSET
    for name in ("error_source", "learning_rate", "n_threads", "window_size_",
                 "error_scale_"):
        delattr(det, name)
    joblib.dump(det, tmp_path / "old.joblib")
    with pytest.raises(ModelFileError, match="skvaelstm 0.1 with 2 channels"):
        load_model(tmp_path / "old.joblib", trusted=True)
    with pytest.warns(ModelUpgradeWarning, match="derived again"):
        loaded = load_model(tmp_path / "old.joblib", trusted=True, threshold_data=X)
    assert loaded.offset_ == np.percentile(scores, 10.0)


def test_threshold_data_is_refused_where_the_threshold_needs_none(tmp_path, fitted, series):
    save_model(fitted, tmp_path / "m.skv")
    with pytest.raises(ValueError, match="threshold_data is only for multi-channel models "
                       "of skvaelstm 0.1"):
        load_model(tmp_path / "m.skv", threshold_data=series)
    with pytest.raises(ValueError, match="threshold_data is only"):   # the committed file
        load_model(DATA / "model_format1.skv", threshold_data=np.load(DATA / "model_format1_X.npy"))


def test_threshold_data_that_does_not_fit_the_model_is_refused(old_file):
    with pytest.raises(ValueError, match="3 features.*expecting 2"):
        load_model(old_file, threshold_data=seasonal(300, n_channels=3))


# ---------------------------------------------------------------------------
# torch's safe loading
# ---------------------------------------------------------------------------
def test_model_file_errors_are_input_errors():
    assert issubclass(ModelFileError, InputError) and issubclass(InputError, ValueError)
    assert ModelFileError.__module__ == "skvaelstm.persistence"


@pytest.mark.parametrize("version", ["2.5.1", "2.2.0+cpu", "1.13.1", "nightly"])
def test_a_torch_without_safe_loading_is_refused_by_name(monkeypatch, version):
    monkeypatch.setattr(torch, "__version__", version)
    for read in (load_model, read_model_info):
        with pytest.raises(ModelFileError, match=f"with torch {re.escape(version)}: skvaelstm "
                           "needs torch >= 2.6.*CVE-2025-32434.*pip install -U 'torch>=2.6'"):
            read(DATA / "model_format1.skv")


@pytest.mark.parametrize("version", ["2.6.0", "2.13.0+cu126", "10.0.0"])
def test_a_torch_with_safe_loading_reads_files(monkeypatch, version):
    monkeypatch.setattr(torch, "__version__", version)
    assert load_model(DATA / "model_format1.skv").n_features_in_ == 2


def test_a_torch_lacking_the_dump_inspection_is_refused_not_an_attribute_error(monkeypatch):
    monkeypatch.delattr(torch.serialization, "get_unsafe_globals_in_checkpoint")
    with pytest.raises(ModelFileError, match="lacks torch.serialization."
                       "get_unsafe_globals_in_checkpoint"):
        load_model(DATA / "model_format1.skv")


def test_the_torch_floor_of_the_package_is_the_one_loading_checks():
    import configparser

    setup = configparser.ConfigParser()
    setup.read(Path(__file__).resolve().parents[1] / "setup.cfg")
    torch_requirement, = [line.strip() for line in
                          setup["options"]["install_requires"].splitlines()
                          if line.strip().startswith("torch")]
    assert torch_requirement == "torch>=" + ".".join(map(str, _trust._MIN_TORCH)) == "torch>=2.6"
