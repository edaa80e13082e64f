"""missing="mask": NaN values are masked in fit and scoring (Donut), never scored high."""

import copy
import warnings

import numpy as np
import pytest
from scipy.stats import spearmanr

from skvaelstm import VAELSTMDetector
from skvaelstm.exceptions import InputError
from skvaelstm.persistence import load_model, save_model
from skvaelstm.streaming import StreamScorer

from .conftest import TINY, seasonal

MASK = {**TINY, "missing": "mask"}


@pytest.fixture(scope="module")
def gap_series():
    X = seasonal(1200, period=20)
    X[500:700] = np.nan          # a long outage: 200 rows
    return X


@pytest.fixture(scope="module")
def gap_model(gap_series):
    return VAELSTMDetector(**{**MASK, "max_iter": 5}).fit(gap_series)


def test_a_long_gap_is_not_flagged_and_scores_like_normal_rows(gap_series, gap_model):
    W = gap_model.window_size_
    scores, labels = gap_model.score_samples(gap_series), gap_model.predict(gap_series)
    around = np.arange(500 - 3 * W, 700 + 3 * W)
    assert np.all(labels[around] == 1)
    normal = np.r_[100:400, 800:1100]
    assert np.all(np.isfinite(scores[normal]))
    near = around[np.isfinite(scores[around])]
    # rows next to the gap, and missing rows within reach of observed ones, are scored
    assert {499, 500, 501, 698, 699, 700} <= set(near.tolist())
    # never more anomalous than a normal row; rows at the gap's edges, whose windows
    # hold fewer observed rows, may score more normal than any (a window's maximum
    # over fewer rows): measured -0.08 .. -2.29 there, normal rows -0.80 .. -2.43
    assert np.all(scores[near] >= scores[normal].min())
    assert np.median(scores[near]) <= scores[normal].max()
    # deep inside the gap no window holds an observed value: no score (NaN), not a fill
    assert np.all(np.isnan(scores[500 + 2 * W:700 - 2 * W]))
    assert np.isfinite(gap_model.offset_)


def test_without_nan_mask_gives_the_scores_of_error_bit_for_bit():
    X = seasonal(300, n_channels=2)
    plain = VAELSTMDetector(**TINY).fit(X)
    masked = VAELSTMDetector(**MASK).fit(X)
    assert masked.offset_ == plain.offset_
    np.testing.assert_array_equal(masked.error_scale_, plain.error_scale_)
    for options in ({}, {"score_aggregation": "trailing_mean"},
                    {"score_aggregation": "mean", "error_source": "prediction"},
                    {"channel_combination": "top3"}, {"channel_combination": "tail"}):
        a, b = copy.deepcopy(plain).set_params(**options), copy.deepcopy(masked).set_params(
            **options)
        np.testing.assert_array_equal(b.score_samples(X), a.score_samples(X))
        np.testing.assert_array_equal(b.channel_scores(X), a.channel_scores(X))


def test_an_anomaly_in_one_channel_is_found_while_another_is_missing():
    train = seasonal(900, period=20, n_channels=3)
    det = VAELSTMDetector(**{**MASK, "max_iter": 5}).fit(train)
    X = seasonal(600, period=20, n_channels=3, seed=1)
    X[250:400, 0] = np.nan           # channel 0 missing around the anomaly
    X[300:306, 2] += 4.0             # the anomaly, in channel 2
    scores = det.score_samples(X)
    assert np.all(np.isfinite(scores))
    assert np.all(det.predict(X)[300:306] == -1)
    assert np.argmin(scores) in range(296, 310)


def test_training_with_scattered_nan_is_close_to_the_full_data_model():
    X = seasonal(1000, period=20)
    X[600:606] += 3.0                # something to find
    holes = X.copy()
    holes[np.random.default_rng(0).random(len(X)) < 0.05] = np.nan
    full = VAELSTMDetector(**{**MASK, "max_iter": 5}).fit(X)
    masked = VAELSTMDetector(**{**MASK, "max_iter": 5}).fit(holes)
    assert np.all(np.isfinite(masked.error_scale_)) and np.isfinite(masked.offset_)
    assert np.all(np.isfinite(masked.score_samples(holes)))
    scores = masked.score_samples(X)
    assert np.all(np.isfinite(scores))
    assert spearmanr(scores, full.score_samples(X)).statistic > 0.9


@pytest.fixture(scope="module")
def holed_channels():
    X = seasonal(400, n_channels=3)
    rng = np.random.default_rng(3)
    X[rng.random(X.shape) < 0.1] = np.nan
    X[200:203] = np.nan              # rows missing in every channel
    X[100:160, 1] = np.nan           # a channel missing for a while
    return X


@pytest.fixture(scope="module")
def three_channel_model(holed_channels):
    return VAELSTMDetector(**MASK).fit(holed_channels)


@pytest.mark.parametrize("combination", ["geometric", "mean", "max", "top3", "common_scale",
                                         "tail"])
def test_channel_scores_add_up_with_nan(holed_channels, three_channel_model, combination):
    det = copy.deepcopy(three_channel_model).set_params(channel_combination=combination)
    scores, parts = det.score_samples(holed_channels), det.channel_scores(holed_channels)
    np.testing.assert_allclose(parts.sum(axis=1), scores, rtol=1e-9, atol=1e-12)
    assert np.all(np.isfinite(scores))
    # per-row scores: a missing channel has no part of its row's error
    det.set_params(score_aggregation="newest", error_source="prediction")
    scores, parts = det.score_samples(holed_channels), det.channel_scores(holed_channels)
    scored = np.isfinite(scores)
    np.testing.assert_allclose(parts[scored].sum(axis=1), scores[scored], rtol=1e-9,
                               atol=1e-12)
    missing = np.isnan(holed_channels) & scored[:, None]
    missing[:det.window_size_] = False       # warm-up rows: a reconstruction, pooled
    assert np.all(parts[missing] == 0.0)
    # rows missing in every channel have no error of their own under per-row options
    assert np.all(np.isnan(scores[200:203]))


@pytest.mark.parametrize("options", [{}, {"score_aggregation": "trailing_max"},
                                     {"error_source": "prediction"},
                                     {"error_source": "reconstruction"},
                                     {"score_aggregation": "window_mean"},
                                     {"score_aggregation": "max", "error_source": "prediction"},
                                     {"channel_combination": "top3"}])
def test_stream_equals_batch_with_nan(holed_channels, three_channel_model, options):
    # the model was fitted on these rows: set_threshold gives the new options' offset_
    det = copy.deepcopy(three_channel_model).set_params(**options).set_threshold(
        holed_channels)
    live = StreamScorer(det)
    streamed = np.concatenate([live.update(holed_channels[i:i + 1]).scores
                               for i in range(len(holed_channels))])
    batch = det.score_samples(holed_channels)
    np.testing.assert_array_equal(streamed, batch[:len(streamed)])


def test_nan_is_refused_unless_masked_and_infinity_always(holed_channels):
    with pytest.raises(InputError, match="NaN.*missing='mask'"):
        VAELSTMDetector(**TINY).fit(holed_channels)
    X = seasonal(300)
    X[10, 0] = np.inf
    with pytest.raises(InputError, match="infinity"):
        VAELSTMDetector(**MASK).fit(X)


def test_too_many_missing_values_are_refused_by_name():
    X = seasonal(300, n_channels=2)
    X[:, 1] = np.nan
    for window_size in (4, "auto"):
        with pytest.raises(InputError, match=r"no observed value in channel\(s\) \[1\]"):
            VAELSTMDetector(**{**MASK, "window_size": window_size}).fit(X)
    X = seasonal(300)
    X[::2] = np.nan                  # every window half missing ...
    X[1::4] = np.nan                 # ... and more
    with pytest.raises(InputError, match="too many missing values"):
        VAELSTMDetector(**MASK).fit(X)


def test_allow_nan_tag_follows_the_option():
    assert VAELSTMDetector().__sklearn_tags__().input_tags.allow_nan is False
    assert VAELSTMDetector(missing="mask").__sklearn_tags__().input_tags.allow_nan is True


def test_model_files_keep_the_option(tmp_path, holed_channels, three_channel_model):
    from .test_model_files import _rewrite

    save_model(three_channel_model, tmp_path / "m.skv")
    loaded = load_model(tmp_path / "m.skv")
    assert loaded.missing == "mask"
    np.testing.assert_array_equal(loaded.score_samples(holed_channels),
                                  three_channel_model.score_samples(holed_channels))
    # files written before the option existed hold no "missing": they load with "error"
    old = _rewrite(tmp_path / "m.skv", tmp_path / "old.skv",
                   lambda d: d["params"].pop("missing"))
    assert load_model(old).missing == "error"


def test_a_stream_with_nan_resumes_from_a_model_file(tmp_path, holed_channels,
                                                     three_channel_model):
    live = StreamScorer(three_channel_model)
    first = live.update(holed_channels[:201]).scores     # the state holds NaN rows
    save_model(live, tmp_path / "live.skv")
    resumed = load_model(tmp_path / "live.skv")
    rest = resumed.update(holed_channels[201:]).scores
    batch = three_channel_model.score_samples(holed_channels)
    np.testing.assert_array_equal(np.concatenate([first, rest]),
                                  batch[:len(first) + len(rest)])


def test_pooled_prediction_scores_use_reconstructions_where_no_prediction_exists(
        gap_series, gap_model):
    det = copy.deepcopy(gap_model).set_params(error_source="prediction")
    scores = det.score_samples(gap_series)
    W, K = det.window_size_, det.n_windows_
    # windows whose context holds a skipped window have no prediction: their
    # reconstruction stands in, so the rows after the gap keep their scores
    assert np.all(np.isfinite(scores[700:700 + K * W]))
    # per-row options read a row's own errors in predictions only: none there
    det.set_params(score_aggregation="newest")
    newest = det.score_samples(gap_series)
    assert np.all(np.isnan(newest[700:700 + W]))
    assert np.all(np.isfinite(newest[700 + K * W:]))


def test_statistics_and_the_skip_rule():
    import torch

    from skvaelstm._model._vae import _negative_elbo
    from skvaelstm._scoring._missing import _MAX_MISSING_SHARE, _skipped, _skipped_starts

    X = seasonal(1500, period=20, n_channels=2)
    X[np.random.default_rng(0).random(X.shape) < 0.05] = np.nan
    X[1400:1440] = np.nan            # a gap in the validation tail
    det = VAELSTMDetector(**{**MASK, "early_stopping": True, "window_size": "auto",
                             "max_iter": 2}).fit(X)
    np.testing.assert_array_equal(det.mean_, np.nanmean(X, axis=0))
    np.testing.assert_array_equal(det.scale_, np.nanstd(X, axis=0))
    assert np.all(np.isfinite(det.error_scale_)) and np.all(np.isfinite(det.error_tail_))
    assert all(np.isfinite(v) for v in det.best_validation_loss_.values())
    # a window is skipped with more than half its values missing, not with half
    assert _MAX_MISSING_SHARE == 0.5
    windows = torch.zeros(3, 2, 4)
    windows[1, :, :2] = float("nan")         # half missing: kept
    windows[2, 0, :] = windows[2, 1, :3] = float("nan")
    assert _skipped(windows).tolist() == [False, False, True]
    rows = torch.from_numpy(X[1380:1460].astype(np.float32))    # training counts rows
    np.testing.assert_array_equal(_skipped_starts(rows, 5), _skipped(rows.unfold(0, 5, 1)))
    # the VAE's loss leaves missing values out, whatever they are filled with
    x, rec = torch.randn(1, 2, 4), torch.randn(1, 2, 4)
    observed = torch.ones_like(x, dtype=torch.bool)
    observed[0, 1, 2] = False
    other = x.clone()
    other[0, 1, 2] = 100.0
    mean, std = torch.zeros(1, 2), torch.ones(1, 2)
    assert _negative_elbo(x, rec, mean, std, 0.1, observed) == _negative_elbo(
        other, rec, mean, std, 0.1, observed)


def test_any_pattern_of_missing_values_scores_or_is_refused_by_name():
    # the contract of test_robustness.py, with NaN: scores (NaN for rows without
    # one, never infinite), labels +1/-1 and stream = batch, or a ValueError
    # naming the problem; never another exception
    rng = np.random.default_rng(1)
    refusals = ("too many missing values", "no observed value")
    for _ in range(25):
        n, C = int(rng.integers(20, 200)), int(rng.integers(1, 4))
        X = seasonal(n, period=19, n_channels=C, seed=int(rng.integers(1000)))
        kind = rng.integers(3)
        if kind == 0:
            X[rng.random(X.shape) < rng.random()] = np.nan
        elif kind == 1:
            start = int(rng.integers(n))
            X[start:start + int(rng.integers(1, n))] = np.nan
        else:
            X[rng.random(n) < rng.random(), int(rng.integers(C))] = np.nan
        aggregation = str(rng.choice(["window_max", "trailing_mean", "newest"]))
        params = {**MASK, "max_iter": 1, "early_stopping": bool(rng.integers(2)),
                  "score_aggregation": aggregation,
                  "error_source": "prediction" if aggregation == "newest" else "both"}
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)   # short data shrinks fit
                det = VAELSTMDetector(**params).fit(X)
        except ValueError as exc:
            assert any(text in str(exc) for text in refusals), exc
            continue
        scores = det.score_samples(X)
        assert scores.shape == (n,) and not np.isinf(scores).any()
        assert np.isfinite(det.offset_) and set(det.predict(X).tolist()) <= {-1, 1}
        live = StreamScorer(det)
        streamed = np.concatenate([live.update(X[i:i + 7]).scores for i in range(0, n, 7)])
        np.testing.assert_array_equal(streamed, scores[:len(streamed)])
