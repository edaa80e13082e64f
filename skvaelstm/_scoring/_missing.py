"""Missing values (NaN) in the scoring engine: ``missing="mask"``.

Donut (Xu et al., WWW 2018), the reference VAE for KPI monitoring, feeds missing
points as 0 (the channel's mean in standardised units) and leaves them out of
the likelihood. The engine does the same, driven by the NaN in its rows alone
(with ``missing="error"`` validation refuses NaN, so none arrives and nothing
here changes a bit of the scores):

* a window with more than ``_MAX_MISSING_SHARE`` of its values missing is
  *skipped*: its code is NaN, so it is neither reconstructed, nor predicted from,
  nor scored (and ``fit`` trains neither the VAE nor the LSTM on it);
* a predicted window whose context holds a skipped window has no prediction
  (NaN): the LSTM never reads codes made mostly of fill values;
* a row's error in a window combines its observed channels only; a row with
  no observed channel has no error there (NaN), and pooling skips NaN.

Every function here gives, for values that are not NaN, the bits of the plain
computation (adding 0.0 and dividing by a count equal to the plain divisor are
exact), so an element's bits never depend on NaN elsewhere in its array: the
live scorer and batch scoring agree bit for bit with NaN too.
"""

import numpy as np
import torch

# A window with more than this share of missing values is skipped. Half: the
# encoder then reads more fill (the channel mean) than data, and its code (and
# every prediction read from it) says more about the gap than about the series;
# at most half, a window still holds as many observed values as filled ones.
_MAX_MISSING_SHARE = 0.5


def _has_nan(values):
    if isinstance(values, torch.Tensor):
        return bool(torch.isnan(values).any())
    return bool(np.isnan(values).any())


def _skipped(windows):
    """Which windows of a (n, channels, W) tensor are skipped (bool tensor)."""
    missing = torch.isnan(windows).flatten(1).sum(dim=1)
    return missing > _MAX_MISSING_SHARE * windows.shape[1] * windows.shape[2]


def _skipped_starts(rows, window_size):
    """``_skipped`` of every stride-1 window of the rows (n, channels), from the
    rows' missing counts (no window is materialised)."""
    missing = torch.isnan(rows).sum(dim=1)
    running = torch.cat([missing.new_zeros(1), missing.cumsum(0)])
    in_window = running[window_size:] - running[:-window_size]
    return in_window > _MAX_MISSING_SHARE * rows.shape[1] * window_size


def _filled(values):
    """``values`` with NaN replaced by 0 (standardised units: the channel mean).

    A copy with the standard strides: ``nan_to_num`` of windows (one channel)
    gives strides that torch counts as contiguous but under which the
    convolutions round differently (measured: other bits than the same windows
    without NaN); with the standard strides they get the bits of the windows."""
    if not _has_nan(values):
        return values
    filled = values.new_empty(values.shape)
    filled.copy_(values)
    return filled.nan_to_num_(nan=0.0)


def _nan_where(network, inputs, bad):
    """``network(inputs)`` with the outputs of the inputs ``bad`` set to NaN."""
    outputs = network(inputs)
    if bool(bad.any()):
        outputs = outputs.clone()
        outputs[bad] = float("nan")
    return outputs


def _observed_sum(terms):
    """Sum over channels (axis 1), in order, of the terms that are not NaN, and
    how many there are (float, same type as ``terms``); 0 terms: sum 0, count 0."""
    if isinstance(terms, torch.Tensor):
        observed = ~torch.isnan(terms)
        values = torch.where(observed, terms, torch.zeros((), dtype=terms.dtype))
        counts = observed.to(terms.dtype)
    else:
        observed = ~np.isnan(terms)
        values = np.where(observed, terms, 0.0)
        counts = observed.astype(terms.dtype)
    total, count = values[:, 0], counts[:, 0]
    for c in range(1, terms.shape[1]):
        total = total + values[:, c]
        count = count + counts[:, c]
    return total, count


def _no_error_rows(errors):
    """Rows (axis 1 of (n, W, K) errors) without an error: column 0 is NaN."""
    return np.isnan(errors[:, :, 0])
