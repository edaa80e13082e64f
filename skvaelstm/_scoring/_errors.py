"""A window's errors: squared differences in units of each channel's typical error,
combined over channels, and each channel's additive part of the combination.

A row's error in a window is its squared difference from the decoded window,
divided per channel by that channel's typical error on the validation tail
(``error_scale``), and combined over channels by a geometric mean
(``_channel_errors``), so that no channel counts more because its errors are
larger by nature, nor decides a row on its own.

Which KPI is to blame: the combined error ``e = exp(mean_c log(1 + e_c)) - 1``
is split into additive parts in proportion to the channels' terms
``log(1 + e_c)``: the part of channel ``c`` is ``e * log(1 + e_c) / sum_k log(1 +
e_k)`` (equal parts when every ``e_c`` is 0), so the parts add up to ``e``.
Every later step of the score treats the parts as it treats ``e``
(``_pooling``), so a row's parts add up to its score.
"""

import numpy as np
import torch

from ._passes import _decode, _predict_codes

# Validation windows behind ``error_scale``: evenly spaced, at most this many
# (a robust median needs no more, and memory stays bounded on long series).
_SCALE_WINDOWS = 4096
# error_scale_ floor, as a share of the median channel's level (see _error_scale)
_SCALE_FLOOR = 0.1


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
    return _combined((windows - decoded).square(), error_scale)


def _combined(errors, error_scale):
    """``_channel_errors`` of the squared differences ``errors`` (n, channels, W)."""
    scale = torch.as_tensor(error_scale, dtype=errors.dtype, device=errors.device)
    if errors.shape[1] == 1:
        return (errors[:, 0] / scale[0]).cpu().double().numpy()
    logs = torch.log1p(errors / scale[:, None])
    # channels added one at a time, in order: a reduction kernel's summation
    # order depends on the tensor's shape, and the live scorer combines the same
    # elements in tensors of other shapes
    total = logs[:, 0]
    for c in range(1, logs.shape[1]):
        total = total + logs[:, c]
    return torch.expm1(total / logs.shape[1]).cpu().double().numpy()


def _window_errors(windows, decoded, error_scale, parts):
    """Errors of the rows of each window, (n, W, K) float64: column 0 the combined
    error (``_channel_errors``), and with ``parts`` the channels' parts after it.

    The combined error is ``_channel_errors``' own (the float32 arithmetic of
    ``score_samples``); the shares are computed in float64, so parts and scores
    differ only by float64 rounding.
    """
    squared = (windows - decoded).square()
    total = _combined(squared, error_scale)
    if not parts:
        return total[:, :, None]
    scaled = (squared.cpu().double()
              / torch.as_tensor(error_scale, dtype=torch.float64)[:, None])
    logs = torch.log1p(scaled).numpy()
    sums = logs.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = np.where(sums > 0, logs / sums, 1.0 / logs.shape[1])
    return np.concatenate([total[:, :, None],
                           (total[:, None, :] * shares).transpose(0, 2, 1)], axis=2)


def _source_errors(windows, predicted, reconstructed, error_scale, parts):
    """``_window_errors`` against the prediction, the reconstruction, or the mean
    of the two (whichever is not None); each in units of its own typical error."""
    errors = None
    if predicted is not None:
        errors = _window_errors(windows, predicted, error_scale[0], parts)
    if reconstructed is not None:
        rebuilt = _window_errors(windows, reconstructed, error_scale[1], parts)
        if errors is None:
            return rebuilt
        errors += rebuilt
        errors /= 2.0
    return errors


def _error_scale(vae, lstm, series, codes, *, window_size, n_windows, first_row):
    """Typical squared error of each channel on the rows ``first_row ..``.

    ``series`` is the standardised training series (a tensor) and ``codes`` the
    VAE means of all its windows (computed once in ``fit``). The median over the
    (evenly thinned) complete predicted windows there, per source: row 0
    prediction, row 1 reconstruction. Channels whose median is below
    ``_SCALE_FLOOR`` times the median over channels get that floor: a channel
    that was (nearly) constant in training is reconstructed almost exactly, and
    an error level near zero would let its first change decide every score.

    Returns
    -------
    error_scale : ndarray of shape (2, n_channels), float64
    """
    n_rows, W = len(series), window_size
    first = max(first_row, W)
    n_windows_there = n_rows - W + 1 - first
    if n_windows_there < 1:
        raise ValueError("no complete predicted window lies in the rows for error_scale_")
    step = max(1, -(-n_windows_there // _SCALE_WINDOWS))
    starts = np.arange(first, n_rows - W + 1, step)
    windows = series.unfold(0, W, 1)[torch.from_numpy(starts).to(series.device)]
    with torch.inference_mode():
        predicted = _decode(vae, _predict_codes(lstm, codes, starts, 0, W, n_windows))
        reconstructed = _decode(vae, codes[torch.from_numpy(starts).to(codes.device)])
        levels = []
        for decoded in (predicted, reconstructed):
            squared = (windows - decoded).square()
            levels.append(squared.transpose(0, 1).reshape(squared.shape[1], -1)
                          .cpu().double().median(dim=1).values.numpy())
    levels = np.stack(levels)
    floor = _SCALE_FLOOR * np.median(levels, axis=1, keepdims=True)
    return np.maximum(levels, np.maximum(floor, np.finfo(np.float32).tiny))
