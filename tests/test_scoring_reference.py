"""The optimised scoring path equals a direct, unoptimised reading of the score definition.

The production code encodes every window once, gathers LSTM contexts by indexing,
works in chunks and accumulates along anti-diagonals; this reference does none of
that: one predicted window at a time, exactly as the README defines the score.
"""

import numpy as np
import pytest
import torch

from skvaelstm import VAELSTMDetector, _scoring

from .conftest import TINY, seasonal

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _reference_scores(det, X):
    W, n_windows = det.window_size, det.n_windows
    Z = torch.from_numpy(((X - det.mean_) / det.scale_).astype(np.float32))
    n = len(Z)

    def window(start):  # (1, channels, W)
        return Z[start:start + W].T[None]

    errors = {r: [] for r in range(n)}  # row -> [(start, error)]
    with torch.no_grad():
        for s in range(W, n):
            k = min(n_windows - 1, s // W)
            context = torch.cat([det.vae_.encoder(window(s - j * W))[0]
                                 for j in range(k, 0, -1)])[None]
            predicted = det.vae_.decoder(det.lstm_(context)[:, -1])[0]  # (channels, W)
            for t in range(W):
                if s + t < n:
                    err = (Z[s + t] - predicted[:, t]).square().mean().item()
                    errors[s + t].append((s, err))
        first = window(0)
        warmup = (det.vae_.decoder(det.vae_.encoder(first)[0]) - first).square().mean(dim=1)[0]
    out = np.empty(n)
    out[:W] = warmup.double().numpy()
    for r in range(W, n):
        values = [e for _, e in errors[r]]
        if det.score_aggregation == "mean":
            out[r] = np.mean(values)
        elif det.score_aggregation == "max":
            out[r] = np.max(values)
        else:
            out[r] = dict(errors[r])[r]  # the window that starts at the row
    return -out


@pytest.mark.parametrize("aggregation", ["newest", "mean", "max"])
@pytest.mark.parametrize("n_channels", [1, 2])
def test_optimised_scores_equal_the_reference(aggregation, n_channels, monkeypatch):
    X_train = seasonal(200, n_channels=n_channels)
    det = VAELSTMDetector(**{**TINY, "score_aggregation": aggregation}).fit(X_train)
    X = seasonal(150, n_channels=n_channels, seed=5)
    expected = _reference_scores(det, X)
    np.testing.assert_allclose(det.score_samples(X), expected, rtol=1e-5, atol=1e-7)
    monkeypatch.setattr(_scoring, "_CHUNK_WINDOWS", 7)  # many chunks, carried-over encodings
    np.testing.assert_allclose(det.score_samples(X), expected, rtol=1e-5, atol=1e-7)
