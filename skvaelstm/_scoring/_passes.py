"""The network passes of scoring (and of training's codes): encode, predict, decode.

Every pass is made on exactly ``_BATCH`` windows (the last group of a call
filled with copies, their outputs dropped). Measured with torch 2.13's CPU
build, 1 and 2 threads: a window's code, decoded window and LSTM prediction
change in the last bits with the size of the batch it is in (batches below 3 to
11 windows, depending on the networks' shapes, take other kernels), but not with
its place in a batch of a given size nor with the other windows there. So a
window gets the same bits however many windows a call holds: batch scoring, the
codes ``fit`` trains the LSTM on, and the live scorer (which sees one new window
per update) agree bit for bit (tests/test_streaming.py checks both). The size
trades batch speed against the cost of one live update (a pass costs about as
much for one window as for the whole batch): with 128, default scoring runs at
43-45k rows/s (86-98k with whole chunks of 8,192 windows before;
benchmarks/results/speed.md) and a one-row live update takes a few ms
(benchmarks/results/streaming.md).
"""

import numpy as np
import torch

from ._missing import _filled, _has_nan, _nan_where, _skipped
from ._windows import _context_indices, _context_length

_BATCH = 128


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
    """VAE latent means of a (n, channels, window) tensor: the one encoder of
    training (the LSTM's inputs) and scoring."""
    if len(windows) == 0:
        return windows.new_empty(0, vae.encoder.mean.out_features)
    return _batch_invariant(lambda group: _means(vae, group), windows)


def _means(vae, windows):
    """The encoder's means of one group of windows. Missing values (``_missing``):
    fed as 0, the channel mean, as Donut does; a window with more than half its
    values missing gets no code (NaN). Checked per group, so that a long series
    is never copied whole."""
    if not _has_nan(windows):
        return vae.encoder(windows)[0]
    return _nan_where(lambda x: vae.encoder(x)[0], _filled(windows), _skipped(windows))


def _decode(vae, codes):
    """Decoded windows (n, channels, window) of latent codes (n, code_size); a NaN
    code (a skipped window, a missing prediction) decodes to a NaN window."""
    if not _has_nan(codes):
        return _batch_invariant(vae.decoder, codes)
    return _nan_where(lambda x: _batch_invariant(vae.decoder, x), _filled(codes),
                      torch.isnan(codes).any(dim=1))


def _predict_codes(lstm, codes, starts, offset, window_size, n_windows):
    """LSTM-predicted codes of the windows starting at ``starts``.

    ``codes[i]`` is the VAE mean of the window starting at row ``offset + i``.
    Windows are grouped by context length, which is shorter than
    ``n_windows - 1`` only near the start of the series.
    """
    lengths = _context_length(starts, window_size, n_windows)
    predicted = codes.new_empty(len(starts), codes.shape[1])
    for k in np.unique(lengths):
        selected = np.flatnonzero(lengths == k)
        index = _context_indices(starts[selected], int(k), window_size) - offset
        context = codes[torch.from_numpy(index).to(codes.device)]
        # a context with a skipped window (NaN code) predicts nothing (NaN)
        predicted[torch.from_numpy(selected).to(codes.device)] = _nan_where(
            lambda x: _batch_invariant(lstm, x)[:, -1], _filled(context),
            torch.isnan(context).flatten(1).any(dim=1))
    return predicted
