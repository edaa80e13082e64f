"""Per-row anomaly errors from a fitted VAE and LSTM.

The paper scores a whole span of ``l_seq * l_win`` rows with one number (Lin et
al., 2020, Sec. 2.3). Here every window ``s >= window_size`` is *predicted*: the
LSTM reads the VAE means of the non-overlapping windows before it (up to
``n_windows - 1`` of them) and the decoder turns the predicted code into a window.
The VAE also *reconstructs* every window from its own code. A row's error in a
window is its squared difference from the data, divided per channel by that
channel's typical error on the validation tail (``error_scale``) and combined
over channels by a geometric mean (``_channel_errors``), so that no channel counts
more because its errors are larger by nature, nor decides a row on its own.

Two families of row scores (see ``VAELSTMDetector``):

* per row (``"newest"``, ``"mean"``, ``"max"``): a row's own errors in the
  predicted windows covering it; causal;
* pooled (``"window_*"``, ``"trailing_*"``): each window first gets one error,
  the mean or max over its rows; a row then gets the mean over the windows
  covering it (``window_*``, reads up to ``window_size - 1`` later rows) or the
  error of the window ending at it (``trailing_*``, causal). Wide labelled
  anomaly windows around short spikes are found this way: a row's own error is
  often ordinary noise, the window around it is not.

Long inputs are processed in chunks of windows: each window is standardised and
encoded once (the encodings a chunk needs as context are carried over from the
previous one), so memory beyond the output array does not grow with the number
of rows. Every network pass holds exactly ``_BATCH`` windows and every sum adds
its terms in a fixed order (channels in order, a row's windows oldest first), so
a row's score does not depend on how the windows were split into chunks: the
live scorer (``skvaelstm.streaming``) repeats these steps window by window and
gets the same bits.
"""

import numpy as np
import torch

from ._scaling import _standardise
from ._windowing import (
    _accumulate_row_errors,
    _context_indices,
    _context_length,
    _coverage,
    _covering_mean,
)

# Windows per chunk: large enough for efficient batches, small enough to bound
# memory (activations of a few thousand windows).
_CHUNK_WINDOWS = 8192
# Rows per step when dividing sums by coverage counts.
_DIVIDE_ROWS = 1 << 20
# Validation windows behind ``error_scale``: evenly spaced, at most this many
# (a robust median needs no more, and memory stays bounded on long series).
_SCALE_WINDOWS = 4096
# error_scale_ floor, as a share of the median channel's level (see _error_scale)
_SCALE_FLOOR = 0.1
# Every network pass in scoring is made on exactly this many windows (the last
# group of a call padded with copies, their outputs dropped). Measured with
# torch 2.13's CPU build, 1 and 2 threads: a window's code, decoded window and
# LSTM prediction change in the last bits with the size of the batch it is in
# (batches below 3 to 11 windows, depending on the networks' shapes, take other
# kernels), but not with its place in a batch of a given size nor with the other
# windows there. So a window gets the same bits however many windows a call
# holds, and the live scorer (skvaelstm.streaming), which sees one new window
# per update, equals batch scoring bit for bit (tests/test_streaming.py checks
# both). The size trades batch speed against the cost of one live update; a
# one-off measurement while choosing it (defaults, 1 thread, 2 cores): 100,000
# rows scored at ~50k rows/s with 128 (~66k with 256, ~85k with whole chunks of
# 8192 before), a one-row live update in ~3.2 ms (p50) of which the network
# passes are ~2 ms with 128, ~3 ms with 256. benchmarks/results/speed.md and
# streaming.md hold the committed measurements.
_BATCH = 128

PER_ROW = ("newest", "mean", "max")
POOLED = ("window_mean", "window_max", "trailing_mean", "trailing_max")
SOURCES = ("prediction", "reconstruction", "both")


def _look_ahead(aggregation, window_size):
    """How many rows after a row its score reads (0 = causal)."""
    return window_size - 1 if aggregation.startswith("window_") else 0


def _min_score_rows(aggregation, window_size):
    """Fewest rows a score needs: one predicted window (pooled: a complete one)."""
    return 2 * window_size if aggregation in POOLED else window_size + 1


def _window_chunks(vae, lstm, X, mean, scale, *, window_size, n_windows, first, stop,
                   predict, reconstruct, device):
    """Windows ``first .. stop - 1`` in chunks, with their predictions and reconstructions.

    Yields ``(a, windows, predicted, reconstructed)``: ``windows[i]`` is the
    standardised window starting at row ``a + i`` (channels, window_size), rows
    past the end of ``X`` zero-filled (never compared: callers ignore them);
    ``predicted`` and ``reconstructed`` are the decoded LSTM prediction and VAE
    reconstruction of the same windows, or None when not asked for. Predicted
    windows must start at ``window_size`` or later; reconstructed ones must lie
    inside ``X``.
    """
    W = window_size
    history = (n_windows - 1) * W if predict else 0
    cache, cache_start = None, 0  # VAE means of windows cache_start, cache_start + 1, ...
    for a in range(first, stop, _CHUNK_WINDOWS):
        b = min(a + _CHUNK_WINDOWS, stop)
        lo = max(a - history, 0)  # oldest context window of this chunk
        # rows lo .. b + W - 2 hold the context windows and the chunk's windows
        rows = torch.from_numpy(_standardise(X[lo:b + W - 1], mean, scale)).to(device)
        n_missing = (b - lo) + W - 1 - len(rows)
        if n_missing:
            rows = torch.cat([rows, rows.new_zeros(n_missing, rows.shape[1])])
        windows = rows.unfold(0, W, 1)  # windows starting at lo .. b - 1
        # context windows end before b - 1; reconstruction needs the chunk's own
        last = b - 1 if reconstruct else b - W
        first_new = lo if cache is None else cache_start + len(cache)
        new = _encode(vae, windows[max(first_new - lo, 0):max(last - lo + 1, 0)])
        means = new if cache is None else torch.cat([cache[lo - cache_start:], new])
        cache, cache_start = means, lo
        predicted = reconstructed = None
        if predict:
            codes = _predict_codes(lstm, means, np.arange(a, b), lo, W, n_windows)
            predicted = _batch_invariant(vae.decoder, codes)
        if reconstruct:
            reconstructed = _batch_invariant(vae.decoder, means[a - lo:b - lo])
        yield a, windows[a - lo:b - lo], predicted, reconstructed


def _channel_errors(windows, decoded, error_scale):
    """Squared errors in units of each channel's typical error ``e``, combined
    over channels as ``exp(mean(log(1 + e))) - 1``: (n, channels, W) -> (n, W)
    float64 numpy.

    For one channel this is ``e`` itself. Over many channels it is a geometric
    mean, so a single channel far off its normal level raises the row's error
    much less than several channels off at once: on the ASD tuning servers (19
    KPIs) the arithmetic mean let one channel decide the score and reached
    VUS-PR 0.32, this combination 0.54 (benchmarks/results/tune_defaults.md).
    """
    errors = (windows - decoded).square()
    scale = torch.as_tensor(error_scale, dtype=errors.dtype, device=errors.device)
    if errors.shape[1] == 1:
        return (errors[:, 0] / scale[0]).cpu().double().numpy()
    logs = torch.log1p(errors / scale[:, None])
    # channels added one at a time, in order: a reduction kernel's summation
    # order depends on the tensor's shape, and the live scorer combines the same
    # elements in (rows, channels, 1) tensors
    total = logs[:, 0]
    for c in range(1, logs.shape[1]):
        total = total + logs[:, c]
    return torch.expm1(total / logs.shape[1]).cpu().double().numpy()


def _row_errors(vae, lstm, X, mean, scale, *, window_size, n_windows, aggregation,
                error_source, error_scale, device):
    """Error of every row of ``X`` (raw values, standardised here chunk by chunk).

    Parameters
    ----------
    vae, lstm : torch.nn.Module
        Fitted networks in eval mode, on ``device``.
    X : ndarray of shape (n_samples, n_channels)
        Validated input with at least ``_min_score_rows`` rows.
    mean, scale : ndarray of shape (n_channels,)
        Standardisation learned in ``fit``.
    error_scale : ndarray of shape (2, n_channels)
        Typical squared error of each channel, prediction (row 0) and
        reconstruction (row 1).

    Returns
    -------
    errors : ndarray of shape (n_samples,), float64
        Higher = more anomalous.
    """
    n_rows, W = len(X), window_size
    pooled = aggregation in POOLED
    reconstruct = error_source != "prediction"
    predict = error_source != "reconstruction"
    first = W if predict else 0
    stop = n_rows - W + 1 if pooled else n_rows  # pooled: complete windows only
    out = np.full(n_rows, -np.inf if aggregation == "max" else 0.0)
    common = dict(window_size=W, n_windows=n_windows, device=device)
    with torch.inference_mode():
        # warm-up rows, which no window of the option scores: the VAE's
        # reconstruction error of the first window (a measured value)
        _, first_window, _, warm = next(_window_chunks(
            vae, lstm, X[:W], mean, scale, first=0, stop=1, predict=False,
            reconstruct=True, **common))
        warmup = _channel_errors(first_window, warm, error_scale[1])[0]
        chunks = _window_chunks(vae, lstm, X, mean, scale, first=first, stop=stop,
                                predict=predict, reconstruct=reconstruct, **common)
        for a, windows, predicted, reconstructed in chunks:
            if predict:
                errors = _channel_errors(windows, predicted, error_scale[0])
                if reconstruct:
                    errors += _channel_errors(windows, reconstructed, error_scale[1])
                    errors /= 2.0
            else:
                errors = _channel_errors(windows, reconstructed, error_scale[1])
            if not pooled:
                _accumulate_row_errors(errors, a, aggregation, out)
                continue
            window_errors = _pool(errors, aggregation)
            if aggregation.startswith("trailing_"):
                out[a + W - 1:a + W - 1 + len(window_errors)] = window_errors
            else:
                out[a:a + len(window_errors)] = window_errors
    if not pooled:
        if aggregation == "mean":
            for start in range(W, n_rows, _DIVIDE_ROWS):
                end = min(start + _DIVIDE_ROWS, n_rows)
                out[start:end] /= _coverage(np.arange(start, end), W)
        out[:W] = warmup
        return out
    if aggregation.startswith("window_"):
        _covering_mean(out, first, stop - 1, W)
        scored_from = first
    else:
        scored_from = first + W - 1
    out[:scored_from] = _pool(warmup[None, :], aggregation)[0]
    return out


def _pool(errors, aggregation):
    """One error per window, (n, W) -> (n,): the mean or the maximum over its rows.

    The mean adds the rows in order (numpy's pairwise sum would depend on the
    array's memory layout, and the live scorer pools one window at a time).
    """
    if aggregation.endswith("_max"):
        return errors.max(axis=1)
    total = errors[:, 0].copy()
    for t in range(1, errors.shape[1]):
        total += errors[:, t]
    return total / errors.shape[1]


def _error_scale(vae, lstm, X, mean, scale, *, window_size, n_windows, first_row, device):
    """Typical squared error of each channel on the rows ``first_row ..``.

    The median over the (evenly thinned) complete windows there, per source:
    row 0 prediction, row 1 reconstruction. Channels whose median is below
    ``_SCALE_FLOOR`` times the median over channels get that floor: a channel
    that was (nearly) constant in training is reconstructed almost exactly, and
    an error level near zero would let its first change decide every score.

    Returns
    -------
    error_scale : ndarray of shape (2, n_channels), float64
    """
    n_rows, W = len(X), window_size
    first = max(first_row, W)
    n_windows_there = n_rows - W + 1 - first
    if n_windows_there < 1:
        raise ValueError("no complete predicted window lies in the rows for error_scale_")
    step = max(1, -(-n_windows_there // _SCALE_WINDOWS))
    prediction, reconstruction = [], []
    with torch.inference_mode():
        for a, windows, predicted, reconstructed in _window_chunks(
                vae, lstm, X, mean, scale, window_size=W, n_windows=n_windows, first=first,
                stop=n_rows - W + 1, predict=True, reconstruct=True, device=device):
            keep = torch.arange((first - a) % step, len(windows), step, device=windows.device)
            for errors, decoded in ((prediction, predicted), (reconstruction, reconstructed)):
                squared = (windows[keep] - decoded[keep]).square()
                errors.append(squared.transpose(0, 1).reshape(squared.shape[1], -1)
                              .cpu().double())
    levels = np.stack([torch.cat(e, dim=1).median(dim=1).values.numpy()
                       for e in (prediction, reconstruction)])
    floor = _SCALE_FLOOR * np.median(levels, axis=1, keepdims=True)
    return np.maximum(levels, np.maximum(floor, np.finfo(np.float32).tiny))


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
        codes[torch.from_numpy(selected).to(means.device)] = \
            _batch_invariant(lstm, context)[:, -1]
    return codes


def _batch_invariant(network, inputs):
    """``network(inputs)`` evaluated in groups of exactly ``_BATCH`` inputs; a
    short last group is filled up with copies of its first input (their outputs
    are dropped). ``network`` returns a tensor."""
    n = len(inputs)
    if n == 0:
        return network(inputs)
    outputs = []
    for start in range(0, n, _BATCH):
        group = inputs[start:start + _BATCH]
        if len(group) < _BATCH:
            filler = group[:1].expand(_BATCH - len(group), *group.shape[1:])
            group = torch.cat([group, filler])
        outputs.append(network(group))
    return torch.cat(outputs)[:n]


def _encode(vae, windows):
    """VAE latent means of a (n, channels, window) tensor, in chunks; a window's
    code does not depend on the other windows (``_batch_invariant``)."""
    if len(windows) == 0:
        return windows.new_empty(0, vae.encoder.mean.out_features)
    means = lambda x: vae.encoder(x)[0]  # noqa: E731
    return torch.cat([_batch_invariant(means, windows[i:i + _CHUNK_WINDOWS])
                      for i in range(0, len(windows), _CHUNK_WINDOWS)])
