"""Per-row anomaly errors from a fitted VAE and LSTM.

The paper scores a whole span of ``l_seq * l_win`` rows with one number
(original_model.md, 4.2). Here every window ``s >= window_size`` is *predicted*:
the LSTM reads the VAE means of the non-overlapping windows before it (up to
``n_windows - 1`` of them) and the decoder turns the predicted code into a window.
A row's error in a predicted window is its squared difference from the data,
averaged over channels; ``aggregation`` combines the predicted windows covering a
row (see ``VAELSTMDetector``). Predicted windows read only rows before their start,
so a row's error never depends on later rows. The first ``window_size`` rows
(warm-up) have no earlier window to predict them from; they get the VAE's
reconstruction error of the first window instead.

Long inputs are processed in chunks of predicted windows: each window is
standardised and encoded once (the encodings a chunk needs as context are
carried over from the previous one), so memory beyond the output array does not
grow with the number of rows.
"""

import numpy as np
import torch

from ._scaling import _standardise
from ._windowing import (
    _accumulate_row_errors,
    _context_indices,
    _context_length,
    _coverage,
)

# Predicted windows per chunk: large enough for efficient batches, small enough
# to bound memory (activations of a few thousand windows).
_CHUNK_WINDOWS = 8192
# Rows per step when dividing sums by coverage counts.
_DIVIDE_ROWS = 1 << 20


def _encode_means(vae, windows):
    """VAE latent means of a (n, channels, window) tensor, in chunks."""
    if len(windows) == 0:
        return windows.new_empty(0, vae.encoder.mean.out_features)
    return torch.cat([vae.encoder(windows[i:i + _CHUNK_WINDOWS])[0]
                      for i in range(0, len(windows), _CHUNK_WINDOWS)])


def _row_errors(vae, lstm, X, mean, scale, *, window_size, n_windows, aggregation, device):
    """Error of every row of ``X`` (raw values, standardised here chunk by chunk).

    Parameters
    ----------
    vae, lstm : torch.nn.Module
        Fitted networks in eval mode, on ``device``.
    X : ndarray of shape (n_samples, n_channels)
        Validated input with ``n_samples > window_size``.
    mean, scale : ndarray of shape (n_channels,)
        Standardisation learned in ``fit``.

    Returns
    -------
    errors : ndarray of shape (n_samples,), float64
        Higher = more anomalous.
    """
    n_rows, W = len(X), window_size
    out = np.full(n_rows, -np.inf if aggregation == "max" else 0.0)
    history = (n_windows - 1) * W
    cache, cache_start = None, 0  # VAE means of windows cache_start, cache_start + 1, ...
    with torch.inference_mode():
        first = torch.from_numpy(_standardise(X[:W], mean, scale).T.copy()).to(device)[None]
        warmup = (vae.decoder(vae.encoder(first)[0]) - first).square().mean(dim=1)
        for a in range(W, n_rows, _CHUNK_WINDOWS):
            b = min(a + _CHUNK_WINDOWS, n_rows)
            lo = max(a - history, 0)  # oldest context window of this chunk
            # rows lo .. b + W - 2 hold the context windows and the predicted ones
            rows = torch.from_numpy(_standardise(X[lo:b + W - 1], mean, scale)).to(device)
            n_missing = (b - lo) + W - 1 - len(rows)
            if n_missing:
                # rows past the end: the positions they feed are never read
                # (_accumulate_row_errors stops at the last row).
                rows = torch.cat([rows, rows.new_zeros(n_missing, rows.shape[1])])
            windows = rows.unfold(0, W, 1)  # windows starting at lo .. b - 1
            first_new = lo if cache is None else cache_start + len(cache)
            new = _encode_means(vae, windows[first_new - lo:b - W - lo + 1])
            means = new if cache is None else torch.cat([cache[lo - cache_start:], new])
            cache, cache_start = means, lo
            codes = _predict_codes(lstm, means, np.arange(a, b), lo, W, n_windows)
            errors = (windows[a - lo:b - lo] - vae.decoder(codes)).square().mean(dim=1)
            _accumulate_row_errors(errors.cpu().double().numpy(), a, aggregation, out)
    if aggregation == "mean":
        for start in range(W, n_rows, _DIVIDE_ROWS):
            stop = min(start + _DIVIDE_ROWS, n_rows)
            out[start:stop] /= _coverage(np.arange(start, stop), W)
    out[:W] = warmup[0].cpu().double().numpy()
    return out


def _predict_codes(lstm, means, starts, offset, window_size, n_windows):
    """LSTM-predicted codes of the windows starting at ``starts``.

    ``means[i]`` is the VAE mean of the window starting at row ``offset + i``.
    Windows are grouped by context length, which is shorter than
    ``n_windows - 1`` only near the start of the series.
    """
    lengths = _context_length(starts, window_size, n_windows)
    codes = means.new_empty(len(starts), means.shape[1])
    for k in np.unique(lengths):
        selected = np.flatnonzero(lengths == k)
        index = _context_indices(starts[selected], int(k), window_size) - offset
        context = means[torch.from_numpy(index).to(means.device)]
        codes[torch.from_numpy(selected).to(means.device)] = lstm(context)[:, -1]
    return codes
