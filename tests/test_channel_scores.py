"""channel_scores: each channel's part of score_samples."""

import copy

import numpy as np
import pandas as pd
import pytest

from skvaelstm import VAELSTMDetector

from .conftest import TINY, seasonal

OPTIONS = [(agg, "prediction") for agg in ("newest", "mean", "max")] + [
    (agg, source) for agg in ("window_max", "window_mean", "trailing_max", "trailing_mean")
    for source in ("prediction", "reconstruction", "both")]
CAUSAL = {"newest", "mean", "max", "trailing_max", "trailing_mean"}


def _spiked(n=500, channels=3):
    X = seasonal(n, n_channels=channels)
    X[380:384, min(1, channels - 1)] += 3.0
    return X


@pytest.fixture(scope="module")
def fitted3():
    return VAELSTMDetector(**TINY).fit(_spiked()[:300])


@pytest.fixture(scope="module")
def fitted_by_channels(fitted3):
    # the networks do not depend on the scoring options: one fit per channel count
    return {1: VAELSTMDetector(**TINY).fit(_spiked(channels=1)[:300]), 3: fitted3}


@pytest.mark.parametrize("aggregation, source", OPTIONS)
@pytest.mark.parametrize("channels", [1, 3])
def test_channels_add_up_to_the_row_score(aggregation, source, channels, fitted_by_channels,
                                          monkeypatch):
    from skvaelstm._scoring import _engine

    X = _spiked(channels=channels)
    det = copy.deepcopy(fitted_by_channels[channels]).set_params(
        score_aggregation=aggregation, error_source=source)
    parts = det.channel_scores(X)
    assert parts.shape == (500, channels) and parts.dtype == np.float64
    np.testing.assert_allclose(parts.sum(axis=1), det.score_samples(X), rtol=1e-12, atol=1e-12)
    if aggregation in CAUSAL:   # a prefix gets the same parts for its rows (up to the
        # float32 rounding of batches of another size)
        np.testing.assert_allclose(det.channel_scores(X[:420]), parts[:420], rtol=1e-5,
                                   atol=1e-6)
    # many chunks: the parts still add up (batches of another size change the
    # networks' float32 sums in the last bits, so scores move by ~1e-7 too)
    monkeypatch.setattr(_engine, "_STEP_ROWS", 37)
    chunked = det.channel_scores(X)
    np.testing.assert_allclose(chunked.sum(axis=1), det.score_samples(X), rtol=1e-12,
                               atol=1e-12)
    np.testing.assert_allclose(chunked, parts, rtol=1e-5, atol=1e-6)


def test_the_disturbed_channel_is_blamed(fitted3):
    parts = fitted3.channel_scores(_spiked())
    assert np.argmin(parts[376:390].sum(axis=0)) == 1
    assert np.all(parts <= 0)      # errors are never negative: parts only lower a score


def test_dataframes_and_bad_input(fitted3):
    X = _spiked()
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    det = VAELSTMDetector(**TINY).fit(frame.iloc[:300])
    np.testing.assert_array_equal(det.channel_scores(frame),
                                  det.channel_scores(pd.DataFrame(X, columns=frame.columns)))
    with pytest.raises(ValueError, match="too few to score"):
        fitted3.channel_scores(X[:5])
    with pytest.raises(ValueError, match="features"):
        fitted3.channel_scores(X[:, :2])
    with pytest.raises(ValueError, match="NaN"):
        fitted3.channel_scores(np.where(np.arange(500)[:, None] == 3, np.nan, X))


def test_top_channels_names_the_disturbed_channel(fitted3):
    from skvaelstm.explain import rank_channels, top_channels

    X = _spiked()
    parts = fitted3.channel_scores(X)
    flagged = np.ones(500, dtype=int)
    flagged[378:388] = -1
    (segment,) = top_channels(parts, flagged, k=2, channel_names=["a", "b", "c"])
    assert (segment["start"], segment["stop"]) == (378, 387)
    assert segment["channels"][0][0] == "b" and len(segment["channels"]) == 2
    order, shares = rank_channels(parts, 378, 387)
    assert order[0] == 1 and shares.sum() == pytest.approx(1.0)
    assert top_channels(parts, np.ones(500)) == []          # nothing flagged
    for bad, match in [(dict(k=0), "k must"), (dict(channel_names=["a"]), "channel_names")]:
        with pytest.raises(ValueError, match=match):
            top_channels(parts, flagged, **bad)
    with pytest.raises(ValueError, match="rows"):
        top_channels(parts, flagged[:10])
