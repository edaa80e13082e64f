"""Behaviour of VAELSTMDetector: scores, thresholds, determinism, persistence."""

import copy
import io
import logging
import pickle
import random
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.exceptions import ConvergenceWarning

from skvaelstm import VAELSTMDetector
from skvaelstm._scoring import _engine, _errors, _options, _passes

from .conftest import TINY, seasonal


def test_injected_anomalies_get_the_lowest_scores():
    X_train = seasonal(2000, period=25, seed=1)
    X_test = seasonal(1500, period=25, seed=2)
    injected = np.r_[600:606, 1105:1109]
    X_test[600:606] += 1.5           # level shift
    X_test[1105:1109] *= -1.0        # sign flip around a peak
    det = VAELSTMDetector(window_size=10, n_windows=4, code_size=4, vae_hidden_size=32,
                          lstm_hidden_size=16, max_iter=10, random_state=0).fit(X_train)
    scores = det.score_samples(X_test)
    W = det.window_size_
    # every injected row is among the lowest-scored 2% of rows
    rank = np.argsort(np.argsort(scores))
    assert np.all(rank[injected] < 0.02 * len(X_test))
    # pooled scores spread over a window: the lowest rows lie within one of an anomaly
    near = np.zeros(len(X_test), bool)
    for row in injected:
        near[max(row - W + 1, 0):row + W] = True
    assert near[np.argsort(scores)[: 2 * len(injected)]].all()
    # and the threshold flags them, while flagging few rows away from them
    flagged = det.predict(X_test) == -1
    assert flagged[injected].mean() >= 0.8
    assert flagged[~near].mean() < 0.05


def test_output_contract(fitted, series):
    scores = fitted.score_samples(series)
    decision = fitted.decision_function(series)
    labels = fitted.predict(series)
    assert scores.dtype == np.float64 and scores.shape == (len(series),)
    assert np.all(np.isfinite(scores))
    np.testing.assert_array_equal(decision, scores - fitted.offset_)
    assert labels.dtype.kind == "i"
    np.testing.assert_array_equal(labels, np.where(decision < 0, -1, 1))


@pytest.mark.parametrize("contamination", [0.05, 0.1, 0.5])
def test_float_contamination_is_the_training_percentile(series, contamination):
    det = VAELSTMDetector(**TINY, contamination=contamination).fit(series)
    scores = det.score_samples(series)
    assert det.offset_ == np.percentile(scores, 100 * contamination)
    # the percentile interpolates between the k-th and (k+1)-th lowest of the
    # distinct scores, k = contamination * (n - 1): the ceil(k) lowest rows lie below it
    n_flagged = (det.predict(series) == -1).sum()
    assert n_flagged == int(np.ceil(contamination * (len(series) - 1)))


def test_auto_contamination_flags_one_percent_of_training_rows(fitted, series):
    assert fitted.offset_ == np.percentile(fitted.score_samples(series), 1.0)
    assert (fitted.predict(series) == -1).sum() == 4  # 1% of 400 rows


def _first_window_errors(det, X):
    """Normalised reconstruction error of each row of the first window."""
    W = det.window_size_
    Z = torch.from_numpy(((X[:W] - det.mean_) / det.scale_).T.astype(np.float32))[None]
    with torch.no_grad():
        reconstruction = det.vae_.decoder(det.vae_.encoder(Z)[0])
    return ((reconstruction - Z).square()[0, 0] / det.error_scale_[1, 0]).double().numpy()


def test_warmup_rows_get_the_reconstruction_error_of_the_first_window(fitted, series):
    det = copy.deepcopy(fitted).set_params(score_aggregation="newest",
                                           error_source="prediction")
    W = det.window_size_
    scores = det.score_samples(series)
    np.testing.assert_allclose(scores[:W], -_first_window_errors(det, series), rtol=1e-6)
    assert np.unique(scores[:W]).size == W  # honest per-row values, not a fill
    # pooled options pool them the same way as the windows they stand in for
    for aggregation, pool, n_warm in (("window_max", np.max, W), ("window_mean", np.mean, W),
                                      ("trailing_max", np.max, 2 * W - 1)):
        det.set_params(score_aggregation=aggregation, error_source="both")
        scores = det.score_samples(series)
        np.testing.assert_allclose(scores[:n_warm], -pool(_first_window_errors(det, series)),
                                   rtol=1e-6)
        assert scores[n_warm] != scores[n_warm - 1]


CAUSAL = [("mean", "prediction"), ("max", "prediction"), ("newest", "prediction"),
          ("trailing_max", "prediction"), ("trailing_max", "both"),
          ("trailing_mean", "reconstruction"), ("trailing_mean", "both")]


@pytest.mark.parametrize("aggregation, source", CAUSAL)
def test_scores_of_a_prefix_do_not_depend_on_later_rows(fitted, series, aggregation, source):
    # the networks do not depend on the scoring options: one fit serves them all
    det = copy.deepcopy(fitted).set_params(score_aggregation=aggregation, error_source=source)
    full = det.score_samples(series)
    W = TINY["window_size"]
    for k in (_options._min_score_rows(aggregation, W), 57, 300):
        np.testing.assert_allclose(det.score_samples(series[:k]), full[:k], rtol=1e-5,
                                   atol=1e-7)
    changed = series.copy()
    changed[350:] += 5.0
    np.testing.assert_array_equal(det.score_samples(changed)[:350], full[:350])
    assert _options._look_ahead(aggregation, W) == 0


@pytest.mark.parametrize("aggregation", ["window_max", "window_mean"])
@pytest.mark.parametrize("source", ["prediction", "reconstruction", "both"])
def test_window_pooled_scores_read_exactly_window_size_minus_one_later_rows(
        fitted, series, aggregation, source):
    det = copy.deepcopy(fitted).set_params(score_aggregation=aggregation, error_source=source)
    full = det.score_samples(series)
    W = TINY["window_size"]
    assert _options._look_ahead(aggregation, W) == W - 1
    changed = series.copy()
    changed[350:] += 5.0
    scores = det.score_samples(changed)
    # row r reads rows up to r + W - 1: rows up to 350 - W are untouched ...
    np.testing.assert_array_equal(scores[:351 - W], full[:351 - W])
    # ... and the next row already sees the change
    assert scores[351 - W] != full[351 - W]
    # a prefix: the same rows are final, the last W - 1 are provisional
    prefix = det.score_samples(series[:300])
    np.testing.assert_allclose(prefix[:301 - W], full[:301 - W], rtol=1e-5, atol=1e-7)
    assert not np.allclose(prefix[301 - W:], full[301 - W:300], rtol=1e-5, atol=1e-7)


def test_aggregations_order(fitted, series):
    det = copy.deepcopy(fitted).set_params(score_aggregation="mean", error_source="prediction")
    mean = det.score_samples(series)
    worst = det.set_params(score_aggregation="max").score_samples(series)
    newest = det.set_params(score_aggregation="newest").score_samples(series)
    W = TINY["window_size"]
    # same fitted networks: the max error is >= the mean error
    assert np.all(worst[W:] <= mean[W:] + 1e-12)
    np.testing.assert_array_equal(mean[:W], newest[:W])
    assert not np.allclose(mean[W:], newest[W:])
    pooled_max = det.set_params(score_aggregation="window_max").score_samples(series)
    pooled_mean = det.set_params(score_aggregation="window_mean").score_samples(series)
    assert np.all(pooled_max <= pooled_mean + 1e-12)


def test_per_row_aggregations_need_predictions(fitted, series):
    det = VAELSTMDetector(**TINY, score_aggregation="newest", error_source="both")
    with pytest.raises(ValueError, match="error_source='prediction'"):
        det.fit(series)
    with pytest.raises(ValueError, match="error_source='prediction'"):
        copy.deepcopy(fitted).set_params(score_aggregation="mean").score_samples(series)


def test_parameters_set_after_fit_are_validated(fitted, series):
    with pytest.raises(ValueError, match="score_aggregation"):
        copy.deepcopy(fitted).set_params(score_aggregation="median").score_samples(series)


def test_pooled_scores_need_a_complete_predicted_window(fitted, series):
    W = TINY["window_size"]
    assert fitted.score_samples(series[:2 * W]).shape == (2 * W,)
    with pytest.raises(ValueError, match=f"at least {2 * W} rows"):
        fitted.score_samples(series[:2 * W - 1])


def test_chunked_scoring_equals_unchunked(fitted, monkeypatch):
    X = seasonal(3000, seed=3)
    whole = fitted.score_samples(X)
    monkeypatch.setattr(_engine, "_STEP_ROWS", 37)
    np.testing.assert_allclose(fitted.score_samples(X), whole, rtol=1e-5, atol=1e-7)


def test_multivariate_input():
    X = seasonal(500, n_channels=3)
    det = VAELSTMDetector(**TINY).fit(X)
    assert det.n_features_in_ == 3 and det.mean_.shape == (3,)
    anomalous = X.copy()
    anomalous[400:404, 1] += 4.0  # one channel only
    scores = det.score_samples(anomalous)
    assert scores.shape == (500,)
    assert np.argmin(scores) in range(400, 404 + TINY["window_size"])
    with pytest.raises(ValueError, match="X has 2 features"):
        det.score_samples(X[:, :2])


def test_dataframe_input_keeps_feature_names():
    pd = pytest.importorskip("pandas")
    X = seasonal(400, n_channels=2)
    frame = pd.DataFrame(X, columns=["cpu", "latency"])
    det = VAELSTMDetector(**TINY).fit(frame)
    np.testing.assert_array_equal(det.feature_names_in_, ["cpu", "latency"])
    np.testing.assert_array_equal(det.score_samples(frame),
                                  VAELSTMDetector(**TINY).fit(X).score_samples(X))
    with pytest.warns(UserWarning, match="feature names"):
        det.score_samples(X)
    with pytest.raises(ValueError, match="feature names"):
        det.score_samples(frame[["latency", "cpu"]])


def test_constant_channel_does_not_divide_by_zero():
    X = seasonal(400, n_channels=2)
    X[:, 1] = 7.0
    with pytest.warns(UserWarning, match=r"channel\(s\) with index 1 of the training data "
                      "are constant"):
        det = VAELSTMDetector(**TINY).fit(X)
    assert det.scale_[1] == 1.0
    assert np.all(np.isfinite(det.score_samples(X)))


@pytest.mark.parametrize("noise", [0.0, 1e-9])
def test_near_constant_channels_warn_by_name_and_cannot_blow_scores_up(noise):
    # a channel at 5.0 +- rounding noise in training, which later moves by 1.0:
    # scaled by its noise, the move was 1e9 standard deviations (scores ~ -1e15)
    rng = np.random.default_rng(0)
    X = seasonal(400, n_channels=2)
    frame = pd.DataFrame({"load": X[:, 0], "temp": X[:, 1],
                          "valve": 5.0 + noise * rng.standard_normal(400)})
    with pytest.warns(UserWarning, match="channel\\(s\\) 'valve' of the training data") as info:
        det = VAELSTMDetector(**TINY).fit(frame)
    assert "'load'" not in str(info[0].message) and "'temp'" not in str(info[0].message)
    assert det.scale_[2] == 1.0 and det.scale_[0] < 1.0   # varying channels: their std
    moved, spike = frame.copy(), frame.copy()
    moved.loc[300:, "valve"] += 1.0
    spike.loc[300:303, "load"] += 3.0   # an ordinary anomaly, for comparison
    moved_scores, spike_scores = det.score_samples(moved), det.score_samples(spike)
    assert np.all(np.isfinite(moved_scores))
    assert moved_scores.min() > 100 * spike_scores.min()   # scores are negative
    assert moved_scores[300:].max() < np.median(moved_scores[:290])   # still flagged lower


def test_raw_kpi_scale_gives_the_same_model_as_standardised_data(fitted, series):
    raw = 15000.0 + 6000.0 * series
    a = VAELSTMDetector(**TINY).fit(raw).score_samples(raw)
    b = fitted.score_samples(series)
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_same_seed_gives_bit_identical_scores(fitted, series):
    a = fitted.score_samples(series)
    b = VAELSTMDetector(**TINY).fit(series).score_samples(series)
    c = VAELSTMDetector(**{**TINY, "random_state": 1}).fit(series).score_samples(series)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("random_state", [0, None, np.random.RandomState(3)])
def test_fit_leaves_global_rng_state_alone(series, random_state):
    np.random.seed(123)
    random.seed(123)
    torch.manual_seed(123)
    expected = (np.random.random(), random.random(), torch.rand(1).item())
    np.random.seed(123)
    random.seed(123)
    torch.manual_seed(123)
    VAELSTMDetector(**{**TINY, "random_state": random_state}).fit(series)
    assert (np.random.random(), random.random(), torch.rand(1).item()) == expected


def test_pickle_and_joblib_round_trips(fitted, series):
    expected = fitted.decision_function(series)
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.decision_function(series), expected)
    buffer = io.BytesIO()
    joblib.dump(fitted, buffer)
    buffer.seek(0)
    np.testing.assert_array_equal(joblib.load(buffer).decision_function(series), expected)


def test_model_fitted_on_an_unavailable_gpu_loads_on_the_cpu(fitted, series):
    state = fitted.__getstate__()
    state["device_"] = torch.device("cuda", 0)
    restored = VAELSTMDetector.__new__(VAELSTMDetector)
    if torch.cuda.is_available():
        pytest.skip("CUDA is available: nothing to fall back from")
    with pytest.warns(UserWarning, match="loaded on the CPU"):
        restored.__setstate__(state)
    assert restored.device_ == torch.device("cpu")
    np.testing.assert_array_equal(restored.score_samples(series), fitted.score_samples(series))


def test_training_history(series):
    det = VAELSTMDetector(**{**TINY, "early_stopping": True, "max_iter": 4}).fit(series)
    assert det.n_iter_.shape == (2,) and np.all((det.n_iter_ >= 1) & (det.n_iter_ <= 4))
    assert len(det.loss_curve_["vae"]) == det.n_iter_[0]
    assert len(det.validation_loss_curve_["lstm"]) == det.n_iter_[1]
    assert det.best_validation_loss_["vae"] == min(det.validation_loss_curve_["vae"])
    assert VAELSTMDetector(**TINY).fit(series).best_validation_loss_ is None


def test_early_stopping_stops_and_restores_the_best_weights(series):
    det = VAELSTMDetector(**{**TINY, "early_stopping": True, "max_iter": 200,
                             "n_iter_no_change": 2, "learning_rate_init": 0.05}).fit(series)
    assert det.n_iter_[0] < 200
    curve = det.validation_loss_curve_["vae"]
    # the stored weights are those of the best epoch, not the last
    W = det.window_size
    split = len(series) - int(0.1 * len(series))
    held_out = torch.from_numpy(((series[split:] - det.mean_) / det.scale_).astype(np.float32))
    windows = held_out.unfold(0, W, 1)
    from skvaelstm._model._vae import _negative_elbo
    with torch.no_grad():
        mean, std = det.vae_.encoder(windows)
        loss = _negative_elbo(windows, det.vae_.decoder(mean), mean, std, det.sigma).item()
    assert loss == pytest.approx(min(curve), rel=1e-5)


def test_convergence_warning_when_max_iter_is_reached(series):
    with pytest.warns(ConvergenceWarning, match="max_iter") as record:
        VAELSTMDetector(**{**TINY, "max_iter": 1, "learning_rate": "constant"}).fit(series)
    # points at the line that called fit, not at the package's internals
    assert {w.filename for w in record} == {__file__}


def test_convergence_warnings_come_after_the_progress_bars_are_closed(series, monkeypatch):
    # a warning printed while a bar is open runs into the bar's line
    from tqdm.auto import tqdm

    events = []
    close = tqdm.close
    monkeypatch.setattr(tqdm, "close", lambda bar: (events.append("close"), close(bar)))
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = lambda *args, **kwargs: events.append("warn")
        VAELSTMDetector(**{**TINY, "max_iter": 1, "learning_rate": "constant",
                           "verbose": 1}).fit(series)
    assert events.count("warn") == 2 and events.index("warn") > len(events) - 3
    assert events[-2:] == ["warn", "warn"]


def test_cosine_schedule_ends_training_at_max_iter_without_a_warning(series):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        det = VAELSTMDetector(**{**TINY, "max_iter": 2, "learning_rate": "cosine"}).fit(series)
    assert det.n_iter_.tolist() == [2, 2]


def test_cosine_schedule_decays_the_learning_rate_to_zero(series, monkeypatch):
    seen = []
    original = torch.optim.Adam.step

    def step(self, *args, **kwargs):
        seen.append(self.param_groups[0]["lr"])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(torch.optim.Adam, "step", step)
    VAELSTMDetector(**{**TINY, "max_iter": 2, "learning_rate": "cosine",
                       "learning_rate_init": 0.01, "batch_size": 1000}).fit(series)
    # one batch per epoch, two epochs, two stages: lr(0) = 0.01, lr(1 of 2) = 0.005
    np.testing.assert_allclose(seen, [0.01, 0.005, 0.01, 0.005])


def test_verbose_two_logs_one_record_per_epoch(series, caplog):
    with caplog.at_level(logging.INFO, logger="skvaelstm"):
        det = VAELSTMDetector(**{**TINY, "verbose": 2}).fit(series)
    assert len(caplog.records) == det.n_iter_.sum()
    assert "VAE epoch 1/3" in caplog.records[0].getMessage()


def test_silent_by_default(series, caplog, capsys):
    with caplog.at_level(logging.DEBUG, logger="skvaelstm"):
        VAELSTMDetector(**TINY).fit(series)
    assert caplog.records == []
    assert capsys.readouterr() == ("", "")


def test_interrupted_fit_leaves_the_estimator_as_it_was(fitted, series, monkeypatch):
    from skvaelstm._model import _training

    before = fitted.decision_function(series)
    attributes = dict(vars(fitted))

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(_training, "_fit_stage", interrupt)
    with pytest.raises(KeyboardInterrupt):
        fitted.fit(seasonal(500, n_channels=2))
    assert vars(fitted) == attributes
    np.testing.assert_array_equal(fitted.decision_function(series), before)

    fresh = VAELSTMDetector(**TINY)
    with pytest.raises(KeyboardInterrupt):
        fresh.fit(series)
    assert not any(name.endswith("_") for name in vars(fresh))


def test_device_parameter():
    X = seasonal(100)
    assert VAELSTMDetector(**{**TINY, "device": "cpu"}).fit(X).device_ == torch.device("cpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            VAELSTMDetector(**{**TINY, "device": "cuda"}).fit(X)
    with pytest.raises(ValueError, match="device='tpu9'"):
        VAELSTMDetector(**{**TINY, "device": "tpu9"}).fit(X)


def test_channel_errors_combine_geometrically():
    windows = torch.zeros(1, 4, 1)
    scale = np.ones(4)
    def combine(errors, windows, scale):
        return _errors._channel_errors(
            errors, windows, _errors._Combination("geometric", np.asarray(scale, float)))

    # one channel: the normalised error itself; equal channels: that value
    np.testing.assert_allclose(combine(torch.full((1, 1, 1), 3.0), windows[:, :1], [2.0]), [[4.5]])
    np.testing.assert_allclose(combine(torch.full((1, 4, 1), 2.0), windows, scale), [[4.0]],
                               rtol=1e-6)
    # a single channel far off raises the row error as the C-th root, not linearly
    one_off = torch.tensor([[[1e3], [0.0], [0.0], [0.0]]])
    np.testing.assert_allclose(combine(one_off, windows, scale), [[(1 + 1e6) ** 0.25 - 1]],
                               rtol=1e-5)


def test_error_scale_is_the_median_error_on_the_validation_tail(series):
    det = VAELSTMDetector(**{**TINY, "early_stopping": True, "validation_fraction": 0.25})
    det.fit(series)
    W, n = det.window_size_, len(series)
    split = n - int(0.25 * n)
    Z = torch.from_numpy(((series - det.mean_) / det.scale_).astype(np.float32))
    windows = Z.unfold(0, W, 1)  # (n - W + 1, 1, W)
    starts = np.arange(split, n - W + 1)
    with torch.no_grad():
        means = det.vae_.encoder(windows)[0]
        reconstruction = det.vae_.decoder(means[starts])
        codes = _passes._predict_codes(det.lstm_, means, starts, 0, W, det.n_windows)
        prediction = det.vae_.decoder(codes)
    for row, decoded in enumerate((prediction, reconstruction)):
        errors = (windows[starts] - decoded).square().flatten().double()
        assert det.error_scale_[row, 0] == pytest.approx(errors.median().item(), rel=1e-6)


def test_error_scale_floor_for_channels_constant_in_training():
    X = seasonal(400, n_channels=3)
    X[:, 2] = 0.5
    X[200, 2] = 0.5 + 1e-9  # nearly constant: reconstructed almost exactly
    with pytest.warns(UserWarning, match="index 2 of the training data are constant"):
        det = VAELSTMDetector(**TINY).fit(X)
    for row in range(2):
        assert det.error_scale_[row, 2] == pytest.approx(0.1 * np.median(det.error_scale_[row]))
    assert np.all(det.error_scale_[:, :2] > det.error_scale_[:, 2:])


def test_window_size_auto_is_chosen_from_the_period_and_stored():
    X = seasonal(1500, period=20)
    det = VAELSTMDetector(**{**TINY, "window_size": "auto", "n_windows": 3}).fit(X)
    assert det.window_size == "auto" and det.window_size_ == 20
    assert det.vae_.encoder.downs[0].in_channels == 1
    assert det.score_samples(X).shape == (1500,)


def test_fit_predict_reuses_the_training_scores_of_fit(fitted, series, monkeypatch):
    from skvaelstm._model import _fitting

    expected = fitted.predict(series)
    calls = []
    original = _fitting._score_rows

    def counted(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(_fitting, "_score_rows", counted)
    with pytest.warns(ConvergenceWarning) as record:
        VAELSTMDetector(**{**TINY, "learning_rate": "constant"}).fit_predict(series)
    assert calls == [1]                      # fit's own pass; no second one for predict
    assert {w.filename for w in record} == {__file__}
    calls.clear()
    np.testing.assert_array_equal(VAELSTMDetector(**TINY).fit_predict(series), expected)
