"""channel_combination: the rules' values, their parts, one channel, streaming, files."""

import copy

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import ParameterGrid

from skvaelstm import VAELSTMDetector
from skvaelstm._scoring import _engine, _errors
from skvaelstm._scoring._options import COMBINATIONS
from skvaelstm.persistence import load_model, save_model
from skvaelstm.streaming import StreamScorer

from .conftest import TINY, seasonal

RULES = list(COMBINATIONS)


def _spiked(n=400, channels=4, seed=1):
    X = seasonal(n, n_channels=channels, seed=seed)
    X[330:334, min(1, channels - 1)] += 3.0
    return X


@pytest.fixture(scope="module")
def fitted():
    return {c: VAELSTMDetector(**TINY).fit(_spiked(channels=c)[:250]) for c in (1, 4)}


def _errors_of(rule, squared, scale, tail=None):
    """The combined error and the parts of one window of squared differences
    (channels, rows), through the engine's functions."""
    rows = torch.tensor(squared, dtype=torch.float32)[None].sqrt()   # squared again there
    combination = _errors._Combination(rule, np.asarray(scale, float),
                                       None if tail is None else np.asarray(tail, float))
    out = _errors._window_errors(rows, torch.zeros_like(rows), combination, parts=True)
    return out[0, :, 0], out[0, :, 1:]


def test_each_rule_gives_its_stated_value_and_parts():
    # squared differences of 4 channels in 2 rows (squares of exact float32
    # differences); typical errors 1, 1, 4, 4
    squared = [[4.0, 0.0], [1.0, 0.0], [16.0, 4.0], [4.0, 0.0]]
    scale = [1.0, 1.0, 4.0, 4.0]          # scaled errors: (4, 1, 4, 1) and (0, 0, 1, 0)
    expected = {
        "mean": ([2.5, 0.25], [[1.0, 0.25, 1.0, 0.25], [0, 0, 0.25, 0]]),
        "max": ([4.0, 1.0], [[4.0, 0, 0, 0], [0, 0, 1.0, 0]]),     # ties: the first
        "top3": ([3.0, 1 / 3], [[4 / 3, 1 / 3, 4 / 3, 0], [0, 0, 1 / 3, 0]]),  # ties: first
        "common_scale": ([2.5, 0.4], [[0.4, 0.1, 1.6, 0.4], [0, 0, 0.4, 0]]),
    }
    for rule, (total, parts) in expected.items():
        got_total, got_parts = _errors_of(rule, squared, scale)
        np.testing.assert_allclose(got_total, total, rtol=1e-12, err_msg=rule)
        np.testing.assert_allclose(got_parts, np.array(parts), rtol=1e-12, atol=1e-15,
                                   err_msg=rule)
    # geometric: exp(mean(log(1 + e))) - 1, split by the shares of log(1 + e)
    total, parts = _errors_of("geometric", squared, scale)
    logs = np.log1p([4.0, 1.0, 4.0, 1.0])
    np.testing.assert_allclose(total[0], np.expm1(logs.mean()), rtol=1e-6)
    np.testing.assert_allclose(parts[0], total[0] * logs / logs.sum(), rtol=1e-12)
    # tail: surprises max(0, e - m) / b, combined geometrically
    tail = [[1.0, 1.0, 1.0, 0.5], [0.5, 1.0, 2.0, 1.0]]    # medians, e-folding lengths
    total, parts = _errors_of("tail", squared, scale, tail)
    surprise = np.array([6.0, 0.0, 1.5, 0.5])
    logs = np.log1p(surprise)
    np.testing.assert_allclose(total[0], np.expm1(logs.mean()), rtol=1e-12)
    np.testing.assert_allclose(parts[0], total[0] * logs / logs.sum(), rtol=1e-12)
    assert total[1] == 0.0 and np.all(parts[1] == 0.0)   # every channel below its median


@pytest.mark.parametrize("aggregation, source", [("window_max", "both"),
                                                 ("newest", "prediction"),
                                                 ("trailing_mean", "reconstruction")])
def test_one_channel_scores_the_same_with_every_rule(fitted, aggregation, source):
    det = copy.deepcopy(fitted[1]).set_params(score_aggregation=aggregation,
                                              error_source=source)
    X = _spiked(channels=1)
    reference = det.score_samples(X)
    for rule in RULES:
        det.set_params(channel_combination=rule)
        np.testing.assert_array_equal(det.score_samples(X), reference)
        np.testing.assert_array_equal(det.channel_scores(X)[:, 0], reference)


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("aggregation, source", [("window_max", "both"), ("max", "prediction"),
                                                 ("trailing_mean", "reconstruction")])
def test_parts_add_up_and_streaming_equals_batch(fitted, rule, aggregation, source,
                                                 monkeypatch):
    det = copy.deepcopy(fitted[4]).set_params(score_aggregation=aggregation,
                                              error_source=source, channel_combination=rule)
    X = _spiked()
    scores, parts = det.score_samples(X), det.channel_scores(X)
    np.testing.assert_allclose(parts.sum(axis=1), scores, rtol=1e-12, atol=1e-12)
    # the disturbed channel carries the most of the spike's error (the least score)
    assert np.argmin(parts[326:338].sum(axis=0)) == 1
    scorer = StreamScorer(det.set_threshold(X[:250]))   # the options' own threshold
    final = [scorer.update(X[start:start + size]).scores
             for start, size in zip(range(0, 400, 37), [37] * 11)]
    streamed = np.concatenate(final)
    np.testing.assert_array_equal(streamed, scores[:len(streamed)])
    monkeypatch.setattr(_engine, "_STEP_ROWS", 29)
    np.testing.assert_allclose(det.channel_scores(X).sum(axis=1), scores, rtol=1e-12,
                               atol=1e-12)


def test_rules_differ_on_several_channels(fitted):
    X = _spiked()
    det = copy.deepcopy(fitted[4])
    scores = {rule: det.set_params(channel_combination=rule).score_samples(X)
              for rule in RULES}
    for a in RULES:
        for b in RULES:
            if a < b:
                assert not np.allclose(scores[a], scores[b]), (a, b)


def test_tail_is_fitted_per_source_and_channel(fitted):
    det = fitted[4]
    assert det.error_tail_.shape == (2, 2, 4) and np.all(det.error_tail_[:, 1] > 0)
    assert np.all(np.isfinite(det.error_tail_))


def test_the_rule_survives_model_files_and_clone(fitted, tmp_path):
    det = copy.deepcopy(fitted[4]).set_params(channel_combination="tail")
    X = _spiked()
    save_model(det, tmp_path / "m.skv")
    loaded = load_model(tmp_path / "m.skv")
    assert loaded.channel_combination == "tail"
    np.testing.assert_array_equal(loaded.error_tail_, det.error_tail_)
    np.testing.assert_array_equal(loaded.score_samples(X), det.score_samples(X))
    assert clone(det).get_params()["channel_combination"] == "tail"
    assert len(ParameterGrid({"channel_combination": RULES})) == len(RULES)


def test_a_model_without_tails_refuses_only_the_tail_rule(fitted):
    det = copy.deepcopy(fitted[4])
    det.error_tail_ = None      # what a file of an older skvaelstm loads as
    X = _spiked()
    det.set_params(channel_combination="mean").score_samples(X)
    with pytest.raises(ValueError, match="error_tail_.*refit"):
        det.set_params(channel_combination="tail").score_samples(X)


def test_bad_rules_are_refused():
    with pytest.raises(ValueError, match="channel_combination"):
        VAELSTMDetector(channel_combination="median").fit(seasonal(300))
