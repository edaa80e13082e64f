"""Model files: format compatibility and what loading refuses."""

import json
import sys
from pathlib import Path

import joblib
import numpy as np
import pytest
import torch

from skvaelstm import VAELSTMDetector, _model_format, _serialization
from skvaelstm.persistence import ModelFileError, load_model, read_model_info, save_model

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
                                             | {"window_size_", "error_scale_"} | extra)


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


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_files_of_skvaelstm_0_1_load_and_score_as_they_did(tmp_path, series):
    # a 0.1 file: per-row "newest" scores, no error_source / learning_rate / n_threads
    # parameters, no window_size_ / error_scale_ attributes
    det = VAELSTMDetector(**{**TINY, "score_aggregation": "newest",
                             "error_source": "prediction", "learning_rate": "constant"})
    det.fit(series)
    det.error_scale_ = np.ones_like(det.error_scale_)
    expected = det.score_samples(series)
    save_model(det, tmp_path / "new.skv")

    def as_0_1(document):
        for name in ("error_source", "learning_rate", "n_threads"):
            document["params"].pop(name)
        for name in ("window_size_", "error_scale_"):
            document["attributes"].pop(name)

    old = load_model(_rewrite(tmp_path / "new.skv", tmp_path / "old.skv", as_0_1))
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
