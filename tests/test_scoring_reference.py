"""The optimised scoring path equals a direct, unoptimised reading of the score definition.

The production code encodes every window once, gathers LSTM contexts by indexing,
works in chunks, accumulates along anti-diagonals and pools in place; this reference
does none of that: one window at a time, exactly as the README defines the score.
"""

import copy

import numpy as np
import pytest
import torch

from skvaelstm import VAELSTMDetector
from skvaelstm._scoring import _engine

from .conftest import TINY, seasonal


def _reference_scores(det, X):
    W, n_windows = det.window_size_, det.n_windows_
    aggregation, source = det.score_aggregation, det.error_source
    Z = torch.from_numpy(((X - det.mean_) / det.scale_).astype(np.float32))
    n = len(Z)
    level = {"prediction": torch.tensor(det.error_scale_[0], dtype=torch.float32),
             "reconstruction": torch.tensor(det.error_scale_[1], dtype=torch.float32)}

    def window(start):  # (1, channels, W)
        return Z[start:start + W].T[None]

    codes = {}

    def code(start):  # each window encoded once: the windows recur as LSTM context
        if start not in codes:
            codes[start] = det.vae_.encoder(window(start))[0]
        return codes[start]

    def row_errors(start, kind):  # normalised, channel-mean error of each row of a window
        if kind == "prediction":
            k = min(n_windows - 1, start // W)
            context = torch.cat([code(start - j * W) for j in range(k, 0, -1)])[None]
            decoded = det.vae_.decoder(det.lstm_(context)[:, -1])[0]
        else:
            decoded = det.vae_.decoder(code(start))[0]
        rows = Z[start:start + W].T  # may be shorter than W at the end
        squared = (rows - decoded[:, :rows.shape[1]]).square()
        errors = squared / level[kind][:, None]
        return _combine(det, kind, squared.double(), errors.double()).numpy()

    def window_rows(start):
        if source == "both":
            return (row_errors(start, "prediction") + row_errors(start, "reconstruction")) / 2
        return row_errors(start, source)

    with torch.no_grad():
        warmup = row_errors(0, "reconstruction")
        out = np.empty(n)
        if aggregation in ("newest", "mean", "max"):
            errors = {r: [] for r in range(n)}  # row -> [(start, error)]
            for s in range(W, n):
                for t, e in enumerate(window_rows(s)):
                    errors[s + t].append((s, e))
            out[:W] = warmup
            for r in range(W, n):
                values = [e for _, e in errors[r]]
                out[r] = {"mean": np.mean, "max": np.max}.get(
                    aggregation, lambda v, r=r: dict(errors[r])[r])(values)
            return -out
        pool = np.mean if aggregation.endswith("_mean") else np.max
        first = 0 if source == "reconstruction" else W
        pooled = {s: pool(window_rows(s)) for s in range(first, n - W + 1)}
        for r in range(n):
            if aggregation.startswith("window_"):
                covering = [pooled[s] for s in range(r - W + 1, r + 1) if s in pooled]
            else:
                covering = [pooled[r - W + 1]] if r - W + 1 in pooled else []
            out[r] = np.mean(covering) if covering else pool(warmup)
    return -out


def _combine(det, kind, squared, errors):
    """The README's channel rules, written out (channels, rows) -> (rows,)."""
    rule = det.channel_combination
    if len(errors) == 1:
        return errors[0]
    if rule == "geometric":
        return torch.expm1(torch.log1p(errors).mean(dim=0))
    if rule == "mean":
        return errors.mean(dim=0)
    if rule == "max":
        return errors.max(dim=0).values
    if rule == "top3":
        return errors.sort(dim=0, descending=True).values[:3].mean(dim=0)
    if rule == "common_scale":
        return squared.sum(dim=0) / float(det.error_scale_[int(kind == "reconstruction")].sum())
    median, length = (torch.tensor(v)[:, None]
                      for v in det.error_tail_[int(kind == "reconstruction")])
    surprise = (errors - median).clamp(min=0) / length
    return torch.expm1(torch.log1p(surprise).mean(dim=0))


AGGREGATIONS = ["newest", "mean", "max", "window_mean", "window_max", "trailing_mean",
                "trailing_max"]


@pytest.fixture(scope="module")
def networks():
    """Fitted detectors by channel count: the networks do not depend on the scoring
    options, which ``set_params`` may change after ``fit``."""
    return {n: VAELSTMDetector(**TINY).fit(seasonal(200, n_channels=n)) for n in (1, 3)}


@pytest.mark.parametrize("aggregation", AGGREGATIONS)
@pytest.mark.parametrize("n_channels", [1, 3])
def test_optimised_scores_equal_the_reference(networks, aggregation, n_channels, monkeypatch):
    sources = (["prediction"] if aggregation in ("newest", "mean", "max")
               else ["prediction", "reconstruction", "both"])
    det = copy.deepcopy(networks[n_channels]).set_params(score_aggregation=aggregation)
    X = seasonal(100, n_channels=n_channels, seed=5)
    for source in sources:
        det.set_params(error_source=source)
        expected = _reference_scores(det, X)
        monkeypatch.setattr(_engine, "_STEP_ROWS", 8192)
        np.testing.assert_allclose(det.score_samples(X), expected, rtol=1e-5, atol=1e-7)
        monkeypatch.setattr(_engine, "_STEP_ROWS", 7)  # many steps, carried encodings
        np.testing.assert_allclose(det.score_samples(X), expected, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("rule", ["mean", "max", "top3", "common_scale", "tail"])
@pytest.mark.parametrize("aggregation", ["newest", "window_max", "trailing_mean"])
def test_every_channel_rule_equals_the_reference(networks, rule, aggregation, monkeypatch):
    det = copy.deepcopy(networks[3]).set_params(score_aggregation=aggregation,
                                                channel_combination=rule)
    X = seasonal(100, n_channels=3, seed=5)
    X[60:63, 2] += 2.0
    for source in (["prediction"] if aggregation == "newest" else ["prediction", "both"]):
        det.set_params(error_source=source)
        expected = _reference_scores(det, X)
        np.testing.assert_allclose(det.score_samples(X), expected, rtol=1e-5, atol=1e-7)
        monkeypatch.setattr(_engine, "_STEP_ROWS", 7)
        np.testing.assert_allclose(det.score_samples(X), expected, rtol=1e-5, atol=1e-7)
        monkeypatch.setattr(_engine, "_STEP_ROWS", 8192)
