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
"""

import numpy as np
import torch

from ._windowing import _accumulate_row_errors, _context_indices, _context_length

# Predicted windows handled per chunk: bounds memory independently of the input
# length (each chunk re-encodes up to (n_windows - 1) * window_size context windows).
_CHUNK_WINDOWS = 4096


def _encode_means(vae, windows):
    """VAE latent means of a (n, channels, window) tensor, in chunks."""
    return torch.cat([vae.encoder(windows[i:i + _CHUNK_WINDOWS])[0]
                      for i in range(0, len(windows), _CHUNK_WINDOWS)])


def _row_errors(vae, lstm, Z, *, window_size, n_windows, aggregation, device):
    """Error of every row of the standardised series ``Z``.

    Parameters
    ----------
    vae, lstm : torch.nn.Module
        Fitted networks in eval mode, on ``device``.
    Z : ndarray of shape (n_samples, n_channels), float32
        Standardised input with ``n_samples > window_size``.

    Returns
    -------
    errors : ndarray of shape (n_samples,), float64
        Higher = more anomalous.
    """
    n_rows = len(Z)
    W = window_size
    out = np.zeros(n_rows)
    out_max = np.full(n_rows, -np.inf) if aggregation == "max" else None
    count = np.zeros(n_rows) if aggregation == "mean" else None
    history = (n_windows - 1) * W
    with torch.inference_mode():
        first = torch.from_numpy(Z[:W].T.copy()).to(device)[None]
        warmup = (vae.decoder(vae.encoder(first)[0]) - first).square().mean(dim=1)
        for a in range(W, n_rows, _CHUNK_WINDOWS):
            b = min(a + _CHUNK_WINDOWS, n_rows)
            lo = max(a - history, 0)
            # rows lo .. b + W - 2 cover the context windows and the predicted ones
            rows = torch.from_numpy(Z[lo:b + W - 1]).to(device)
            n_missing = (b - lo) + W - 1 - len(rows)
            if n_missing:
                # rows past the end: the positions they feed are never read
                # (_accumulate_row_errors stops at n_rows).
                rows = torch.cat([rows, rows.new_zeros(n_missing, rows.shape[1])])
            windows = rows.unfold(0, W, 1)  # (n_windows_in_chunk, channels, W)
            means = _encode_means(vae, windows[: b - W - lo + 1])
            codes = _predict_codes(lstm, means, np.arange(a, b), lo, W, n_windows)
            predicted = vae.decoder(codes)
            errors = (windows[a - lo:b - lo] - predicted).square().mean(dim=1)
            _accumulate_row_errors(errors.cpu().double().numpy(), a, n_rows, aggregation,
                                   out, out_max, count, out)
    if aggregation == "mean":
        out[W:] /= count[W:]
    elif aggregation == "max":
        out[W:] = out_max[W:]
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
