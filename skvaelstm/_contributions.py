"""Each channel's share of a row's error: which KPI is to blame.

A row's error in a window combines the channels' errors ``e_c`` (in units of
each channel's typical error) as ``e = exp(mean_c log(1 + e_c)) - 1``
(``_scoring._channel_errors``). That number is split into additive parts in
proportion to the channels' terms ``log(1 + e_c)``: the part of channel ``c`` is
``e * log(1 + e_c) / sum_k log(1 + e_k)`` (equal parts when every ``e_c`` is 0),
so the parts add up to ``e``. Every later step of ``score_samples`` — the mean of
the two error sources, a window's mean or maximum over its rows (the maximum
taken at the row where the *combined* error is largest), the mean over the
windows covering a row, the per-row options and the warm-up rows — is applied to
the parts in the same way, so a row's parts add up to its error: the channel
contributions of ``VAELSTMDetector.channel_scores`` sum to ``score_samples`` up
to floating-point rounding.
"""

import numpy as np
import torch

from ._scoring import POOLED, _channel_errors, _window_chunks
from ._windowing import _coverage, _covering_mean

__all__ = []  # private helper of skvaelstm._detector


def _channel_parts(windows, decoded, error_scale):
    """Combined error ``e`` (n, W) and its per-channel parts (n, C, W), float64.

    ``e`` is computed by ``_channel_errors`` itself (the same float32 arithmetic as
    ``score_samples``), so parts and scores differ only by float64 rounding; the
    shares are computed in float64.
    """
    total = _channel_errors(windows, decoded, error_scale)
    scaled = ((windows - decoded).square().cpu().double()
              / torch.as_tensor(error_scale, dtype=torch.float64)[:, None])
    logs = torch.log1p(scaled).numpy()
    sums = logs.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = np.where(sums > 0, logs / sums, 1.0 / logs.shape[1])
    return total, total[:, None, :] * shares


def _source_parts(windows, predicted, reconstructed, error_scale, predict, reconstruct):
    if predict and reconstruct:
        e_p, parts_p = _channel_parts(windows, predicted, error_scale[0])
        e_r, parts_r = _channel_parts(windows, reconstructed, error_scale[1])
        return (e_p + e_r) / 2.0, (parts_p + parts_r) / 2.0
    if predict:
        return _channel_parts(windows, predicted, error_scale[0])
    return _channel_parts(windows, reconstructed, error_scale[1])


def _pool(total, parts, how):
    """One error per window and its parts: the mean over rows, or the parts of
    the row with the largest combined error."""
    if how == "mean":
        return parts.mean(axis=2)
    at = total.argmax(axis=1)
    return parts[np.arange(len(parts)), :, at]


def _row_contributions(vae, lstm, X, mean, scale, *, window_size, n_windows, aggregation,
                       error_source, error_scale, device):
    """Per-channel parts of every row's error: (n_samples, n_channels) float64,
    summing over channels to ``_scoring._row_errors`` of the same arguments."""
    n_rows, n_channels, W = len(X), X.shape[1], window_size
    pooled = aggregation in POOLED
    reconstruct = error_source != "prediction"
    predict = error_source != "reconstruction"
    first = W if predict else 0
    stop = n_rows - W + 1 if pooled else n_rows
    out = np.zeros((n_rows, n_channels))
    best = np.full(n_rows, -np.inf)        # "max": the largest combined error so far
    common = dict(window_size=W, n_windows=n_windows, device=device)
    with torch.inference_mode():
        _, first_window, _, warm = next(_window_chunks(
            vae, lstm, X[:W], mean, scale, first=0, stop=1, predict=False,
            reconstruct=True, **common))
        warm_total, warm_parts = _channel_parts(first_window, warm, error_scale[1])
        for a, windows, predicted, reconstructed in _window_chunks(
                vae, lstm, X, mean, scale, first=first, stop=stop, predict=predict,
                reconstruct=reconstruct, **common):
            total, parts = _source_parts(windows, predicted, reconstructed, error_scale,
                                         predict, reconstruct)
            if pooled:
                pooled_parts = _pool(total, parts, aggregation.split("_")[1])
                at = a + W - 1 if aggregation.startswith("trailing_") else a
                out[at:at + len(pooled_parts)] = pooled_parts
            else:
                _accumulate_parts(total, parts, a, aggregation, out, best)
    if not pooled:
        if aggregation == "mean":
            out[W:] /= _coverage(np.arange(W, n_rows), W)[:, None]
        out[:W] = warm_parts[0].T
        return out
    if aggregation.startswith("window_"):
        for c in range(n_channels):
            column = np.ascontiguousarray(out[:, c])
            _covering_mean(column, first, stop - 1, W)
            out[:, c] = column
        scored_from = first
    else:
        scored_from = first + W - 1
    out[:scored_from] = _pool(warm_total, warm_parts, aggregation.split("_")[1])[0]
    return out


def _accumulate_parts(total, parts, first_start, aggregation, out, best):
    """``_windowing._accumulate_row_errors`` for the parts of the per-row options."""
    n_pred, W = total.shape
    if aggregation == "newest":
        out[first_start:first_start + n_pred] = parts[:, :, 0]
        return
    for t in range(W):
        lo = first_start + t
        hi = min(first_start + n_pred + t, len(out))
        if hi <= lo:
            continue
        if aggregation == "mean":
            out[lo:hi] += parts[:hi - lo, :, t]
        else:
            larger = total[:hi - lo, t] > best[lo:hi]
            rows = np.flatnonzero(larger) + lo
            best[rows] = total[:hi - lo, t][larger]
            out[rows] = parts[:hi - lo, :, t][larger]
