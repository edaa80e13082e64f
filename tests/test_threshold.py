"""Label-free thresholds: ``train_scores_``, ``set_threshold``, peaks over threshold
(``contamination="pot"``), the refusal of a stale ``offset_``, the adaptive
threshold of ``StreamScorer`` and the command line's ``--contamination`` on a
loaded model."""

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import genpareto
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from skvaelstm import VAELSTMDetector
from skvaelstm._model._compat import InvalidParameterError
from skvaelstm._model._threshold import _offset, _PeaksOverThreshold
from skvaelstm.cli import main
from skvaelstm.exceptions import InputError
from skvaelstm.persistence import load_model, save_model
from skvaelstm.streaming import StreamScorer

from .conftest import TINY, seasonal
from .test_cli import TINY_ARGS, assert_user_error

DATA = Path(__file__).parent / "data"


@pytest.fixture
def det(fitted):
    return copy.deepcopy(fitted)   # the session's fitted detector stays as it is


def _hand_pot(errors, risk, level):
    """SPOT's threshold computed step by step with scipy (Siffer et al., eq. 1)."""
    t = np.quantile(errors, level)
    peaks = errors[errors > t] - t
    shape, _, scale = genpareto.fit(peaks, floc=0)
    return t + scale / shape * ((risk * len(errors) / len(peaks)) ** -shape - 1)


# --------------------------------------------------------------------------
# train_scores_ and set_threshold
# --------------------------------------------------------------------------
def test_train_scores_are_the_scores_of_the_training_rows(fitted, series):
    assert fitted.train_scores_.dtype == np.float64
    np.testing.assert_array_equal(fitted.train_scores_, fitted.score_samples(series))
    assert fitted.offset_ == np.percentile(fitted.train_scores_, 1.0)   # "auto" = 0.01
    assert fitted.threshold_params_ == {
        "score_aggregation": "window_max", "error_source": "both",
        "channel_combination": "geometric", "contamination": "auto", "pot_risk": 1e-4,
        "pot_level": 0.98}


@pytest.mark.parametrize("contamination", [0.05, 0.2])
def test_set_threshold_gives_the_offset_of_a_fit_with_that_contamination(det, series,
                                                                         contamination):
    refitted = VAELSTMDetector(**TINY, contamination=contamination).fit(series)
    assert det.set_threshold(contamination=contamination) is det
    assert det.offset_ == refitted.offset_                       # bit for bit
    assert det.contamination == contamination
    np.testing.assert_array_equal(det.predict(series), refitted.predict(series))


def test_pot_threshold_is_the_hand_computation_with_scipy(det):
    rng = np.random.default_rng(3)
    errors = rng.exponential(size=2000) + rng.normal(scale=0.01, size=2000)
    expected = _hand_pot(errors, 1e-3, 0.95)
    assert _offset(-errors, "pot", 1e-3, 0.95) == -expected
    assert abs(expected - np.log(1e3)) < 0.5   # near the exponential's 1e-3 quantile
    det.set_threshold(contamination="pot", pot_level=0.95)
    assert det.offset_ == -_hand_pot(-det.train_scores_, 1e-4, 0.95)
    assert (det.pot_risk, det.pot_level) == (1e-4, 0.95)


def test_pot_on_a_fit(series):
    det = VAELSTMDetector(**TINY, contamination="pot", pot_level=0.95,
                          pot_risk=1e-3).fit(series)
    assert det.offset_ == -_hand_pot(-det.train_scores_, 1e-3, 0.95)
    assert det.threshold_params_["contamination"] == "pot"


def test_pot_with_too_few_excesses_is_refused_before_training():
    det = VAELSTMDetector(**TINY, contamination="pot")   # 0.98: 8 excesses of 400 rows
    with pytest.raises(InputError, match="at least 10 training scores above their "
                       "pot_level=0.98 quantile.*400 rows give 8"):
        det.fit(seasonal(400))
    assert not hasattr(det, "offset_")


def test_a_degenerate_tail_leaves_the_detector_unchanged(det):
    before = (det.offset_, det.contamination, det.threshold_params_)
    with pytest.raises(InputError, match="400 rows give 8: lower pot_level"):
        det.set_threshold(contamination="pot")
    with pytest.raises(InputError, match="pot_risk=0.2 is not below the share"):
        det.set_threshold(contamination="pot", pot_level=0.95, pot_risk=0.2)
    assert (det.offset_, det.contamination, det.threshold_params_) == before
    with pytest.raises(InvalidParameterError, match="pot_risk"):
        det.set_threshold(pot_risk=0.0)
    assert det.pot_risk == 1e-4


def test_a_failed_gpd_fit_is_an_error_not_a_constant(monkeypatch):
    import scipy.stats

    monkeypatch.setattr(scipy.stats.genpareto, "fit", lambda *a, **k: (np.nan, 0.0, 1.0))
    with pytest.raises(InputError, match="generalised Pareto fit of .* failed"):
        _offset(-np.arange(1000.0), "pot", 1e-4, 0.95)


def test_the_rule_parameters_are_validated_and_searchable(series):
    for bad in ({"pot_risk": 1.0}, {"pot_level": 0.0}, {"contamination": "evt"}):
        with pytest.raises(InvalidParameterError):
            VAELSTMDetector(**bad).fit(series)
    grid = clone(VAELSTMDetector(contamination="pot")).set_params(pot_risk=1e-3,
                                                                   pot_level=0.9)
    assert grid.get_params()["pot_risk"] == 1e-3


# --------------------------------------------------------------------------
# a stale offset_ is refused
# --------------------------------------------------------------------------
def test_changed_scoring_options_need_the_training_rows(det, series):
    det.set_params(score_aggregation="trailing_max")
    with pytest.raises(NotFittedError, match="score_aggregation='window_max' \\(now "
                       "'trailing_max'\\).*set_threshold"):
        det.predict(series)
    with pytest.raises(NotFittedError, match="set_threshold"):
        det.decision_function(series)
    with pytest.raises(NotFittedError, match="set_threshold"):
        StreamScorer(det)
    with pytest.raises(NotFittedError, match="pass the training rows"):
        det.set_threshold()
    det.score_samples(series)      # the scores follow the new option at once
    det.set_threshold(series)
    refitted = VAELSTMDetector(**TINY, score_aggregation="trailing_max").fit(series)
    np.testing.assert_array_equal(det.train_scores_, refitted.train_scores_)
    assert det.offset_ == refitted.offset_
    assert det.predict(series).shape == (len(series),)


def test_a_changed_rule_needs_set_threshold_but_no_rows(det, series):
    det.set_params(contamination=0.1)
    with pytest.raises(NotFittedError, match="contamination='auto' \\(now 0.1\\)"):
        det.predict(series)
    det.set_threshold()
    assert det.offset_ == np.percentile(det.train_scores_, 10.0)
    det.set_params(n_threads=None, verbose=0)     # not scoring or threshold options
    det.predict(series)


# --------------------------------------------------------------------------
# model files
# --------------------------------------------------------------------------
def test_model_files_keep_the_training_scores(tmp_path, det, series):
    det.set_threshold(contamination="pot", pot_level=0.95)
    save_model(det, tmp_path / "m.skv")
    loaded = load_model(tmp_path / "m.skv")
    np.testing.assert_array_equal(loaded.train_scores_, det.train_scores_)
    assert loaded.threshold_params_ == det.threshold_params_
    assert loaded.offset_ == det.offset_
    assert loaded.set_threshold(contamination=0.05).offset_ == np.percentile(
        det.train_scores_, 5.0)


def test_older_model_files_without_training_scores(tmp_path):
    det = load_model(DATA / "model_format1.skv")
    assert det.train_scores_ is None and det.threshold_params_ is None
    with pytest.raises(NotFittedError, match="older skvaelstm.*set_threshold\\(X_train\\)"):
        det.set_threshold(contamination=0.05)
    assert det.contamination != 0.05                  # unchanged
    X = seasonal(400, n_channels=det.n_features_in_)
    det.set_threshold(X, contamination=0.05)
    assert det.offset_ == np.percentile(det.score_samples(X), 5.0)
    save_model(det, tmp_path / "again.skv")
    assert load_model(tmp_path / "again.skv").threshold_params_["contamination"] == 0.05


# --------------------------------------------------------------------------
# the adaptive threshold of StreamScorer (SPOT's update)
# --------------------------------------------------------------------------
def test_the_tail_learns_from_normal_rows_and_the_threshold_moves():
    rng = np.random.default_rng(0)
    train = rng.exponential(1.0, size=2000)
    pot = _PeaksOverThreshold(train, 1e-3, 0.9, 10, 10_000)
    assert pot.threshold == _hand_pot(train, 1e-3, 0.9)
    start, n_peaks = pot.threshold, pot.n_peaks
    wider = rng.exponential(1.5, size=3000)          # normal errors spread wider
    thresholds = pot.update(wider)
    assert thresholds[0] == start and thresholds[-1] > start + 0.2
    normal = wider <= thresholds
    assert pot.n == 2000 + normal.sum()              # flagged rows are not counted
    # only rows below the threshold of their moment enter the tail
    assert pot.n_peaks == n_peaks + (normal & (wider > pot.initial)).sum()
    assert list(pot.peaks)[n_peaks:] == (wider[normal & (wider > pot.initial)]
                                         - pot.initial).tolist()


def test_flagged_rows_do_not_enter_the_tail():
    train = np.random.default_rng(1).exponential(size=1000)
    pot = _PeaksOverThreshold(train, 1e-3, 0.9, 1, 10_000)
    before = (pot.threshold, list(pot.peaks), pot.n)
    assert pot.update(np.full(50, 1e6)).tolist() == [before[0]] * 50
    assert (pot.threshold, list(pot.peaks), pot.n) == before


def test_stream_scorer_adapts_deterministically_and_resumes(tmp_path):
    X = seasonal(1400, noise=0.05, seed=2)
    X[700:] = seasonal(700, noise=0.1, seed=3)       # the normal noise doubles
    det = VAELSTMDetector(**{**TINY, "score_aggregation": "trailing_max"},
                          contamination="pot", pot_level=0.9, pot_risk=1e-3).fit(X[:500])
    whole = StreamScorer(det, adapt_threshold=True, refit_every=2).update(X[500:])
    assert whole.offsets[0] == det.offset_ and whole.offsets[-1] != det.offset_
    np.testing.assert_array_equal(whole.decisions, whole.scores - whole.offsets)
    np.testing.assert_array_equal(whole.labels, np.where(whole.decisions < 0, -1, 1))
    live = StreamScorer(det, adapt_threshold=True, refit_every=2)
    first = live.update(X[500:900])
    save_model(live, tmp_path / "live.skv")
    resumed = load_model(tmp_path / "live.skv")
    assert resumed.adapt_threshold and resumed.offset_ == live.offset_
    rest = resumed.update(X[900:])
    np.testing.assert_array_equal(np.concatenate([first.offsets, rest.offsets]),
                                  whole.offsets)
    fixed = StreamScorer(det).update(X[500:])
    assert (fixed.offsets == det.offset_).all()


def test_scorers_pickled_before_the_adaptive_threshold_resume(fitted, series):
    import pickle

    old = StreamScorer(fitted)
    for name in ("adapt_threshold", "refit_every", "_pot"):
        del old.__dict__[name]                       # as pickled by skvaelstm 0.2.0
    resumed = pickle.loads(pickle.dumps(old))
    result = resumed.update(series[:50])
    assert not resumed.adapt_threshold and (result.offsets == fitted.offset_).all()


def test_adapting_needs_a_pot_detector(fitted):
    with pytest.raises(InputError, match="contamination='pot'"):
        StreamScorer(fitted, adapt_threshold=True)


# --------------------------------------------------------------------------
# the command line
# --------------------------------------------------------------------------
@pytest.fixture
def model(tmp_path, data):
    path = tmp_path / "model.skv"
    assert main(["fit", str(data), "--time-column", "timestamp", "--columns", "load,temp",
                 "-o", str(path), "-q", *TINY_ARGS]) == 0
    return path


def test_score_takes_a_new_threshold_without_refitting(tmp_path, data, model, capsys):
    out = tmp_path / "out.csv"
    assert main(["score", str(data), "-m", str(model), "-o", str(out), "-q",
                 "--contamination", "0.1"]) == 0
    scores = pd.read_csv(out)
    offset = np.percentile(load_model(model).train_scores_, 10.0)
    np.testing.assert_allclose(scores.decision, scores.score - offset, rtol=0, atol=1e-12)
    assert (scores.predicted == -1).sum() == 30            # 10% of the 300 training rows
    assert load_model(model).contamination == "auto"       # the file is unchanged
    capsys.readouterr()
    code = main(["score", str(data), "-m", str(model), "-o", str(out), "-q",
                 "--contamination", "pot"])
    assert_user_error(code, capsys.readouterr().err, "300 rows give 6", "lower --pot-level")
    assert main(["score", str(data), "-m", str(model), "-o", str(out), "-q",
                 "--contamination", "pot", "--pot-level", "0.9"]) == 0
    code = main(["score", str(data), "-m", str(model), "-o", str(out), "-q",
                 "--pot-risk", "2"])
    assert_user_error(code, capsys.readouterr().err, "--pot-risk 2", "range (0.0, 1.0)")


def test_score_refuses_a_new_threshold_for_older_files(tmp_path, data, capsys):
    code = main(["score", str(data), "-m", str(DATA / "model_format1.skv"), "-o",
                 str(tmp_path / "o.csv"), "-q", "--contamination", "0.1"])
    assert_user_error(code, capsys.readouterr().err, "cannot take a new threshold",
                      "skvaelstm fit")


def test_watch_adapts_the_threshold(tmp_path, data, model, monkeypatch, capsys):
    import io
    import sys

    text = pd.read_csv(data).iloc[:, :3].to_csv(index=False)
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    args = ["watch", "-m", str(model), "--contamination", "pot", "--pot-level", "0.9",
            "--adapt-threshold", "--state", str(tmp_path / "state.skv")]
    assert main(args) == 0, capsys.readouterr().err
    out = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert len(out) > 250
    monkeypatch.setattr(sys, "stdin", io.StringIO(text.splitlines()[0] + "\n"))
    code = main(args[:-3] + ["--state", str(tmp_path / "state.skv")])   # no --adapt...
    assert_user_error(code, capsys.readouterr().err, "another threshold", "--adapt-threshold")
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    code = main(["watch", "-m", str(model), "--adapt-threshold"])
    assert_user_error(code, capsys.readouterr().err, "add --contamination pot")
