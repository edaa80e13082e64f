"""A window's errors: squared differences in units of each channel's typical error,
combined over channels, and each channel's additive part of the combination.

A row's error in a window starts from its squared differences from the decoded
window, one per channel. ``e_c`` is channel ``c``'s squared difference divided
by its typical error on the validation tail (``error_scale``). The rules of
``channel_combination`` (``_Combination``) turn them into one error; for one
channel every rule gives ``e`` itself, so univariate scores do not depend on
the rule. With ``C`` channels:

* ``"geometric"``: ``exp(mean_c log(1 + e_c)) - 1``; the part of channel ``c``
  is the error times ``log(1 + e_c) / sum_k log(1 + e_k)`` (equal parts when
  every ``e_c`` is 0);
* ``"mean"``: ``mean_c e_c``; part ``e_c / C``;
* ``"max"``: ``max_c e_c``; the whole error is the part of the largest channel
  (the first of equal ones), the others get 0;
* ``"top3"``: the mean of the 3 largest ``e_c`` (of all when ``C < 3``); part
  ``e_c / 3`` for those channels, 0 for the others;
* ``"common_scale"``: the squared differences summed and divided by the sum of
  the channels' typical errors: every channel in one common unit, as skvaelstm
  0.1's arithmetic mean of standardised squared errors (a constant factor
  apart); part: the channel's squared difference over the same sum;
* ``"tail"``: each ``e_c`` turned into the negative log of its tail probability
  on the validation tail, ``t_c = max(0, e_c - m_c) / b_c``, ``m_c`` the
  channel's median there and ``b_c`` the e-folding length of an exponential
  tail through its 90th and 99th percentiles (``error_tail``), then combined
  as the geometric rule combines ``e_c``: ``exp(mean_c log(1 + t_c)) - 1``,
  with the geometric rule's parts. A channel whose normal errors are
  heavy-tailed counts less, one whose normal errors are tight counts more
  (the channels are weighed by the data, without labels), and the logarithm
  keeps one channel from deciding the score.

Every later step of the score treats the parts as it treats the error
(``_pooling``), so a row's parts add up to its score.

Missing values (``missing="mask"``, see ``_missing``): every rule combines a
row's observed channels only, as if the row had only those (``C`` their count;
``"common_scale"`` sums their typical errors); a missing channel's part is 0;
a row with no observed channel has no error (NaN).
"""

from dataclasses import dataclass

import numpy as np
import torch

from ._missing import _has_nan, _observed_sum
from ._passes import _decode, _predict_codes

# Validation windows behind ``error_scale``: evenly spaced, at most this many
# (a robust median needs no more, and memory stays bounded on long series).
_SCALE_WINDOWS = 4096
# error_scale_ floor, as a share of the median channel's level (see _error_scale)
_SCALE_FLOOR = 0.1
# "top3": how many of the largest channel errors are averaged
_TOP_K = 3
# "tail": the e-folding length b_c of a channel's tail is at least this share of
# the median channel's (a channel that never left its median in validation
# would otherwise score any later change as infinitely improbable)
_TAIL_FLOOR = 0.1


@dataclass(frozen=True)
class _Combination:
    """How the channels' errors of one source become one error.

    ``scale`` (n_channels,): the channels' typical squared errors; ``tail``
    (2, n_channels): median and e-folding length of the scaled errors (rule
    ``"tail"`` only; None otherwise accepted)."""

    rule: str
    scale: np.ndarray
    tail: np.ndarray = None


def _combinations(rule, error_scale, error_tail):
    """One ``_Combination`` per source (0 prediction, 1 reconstruction)."""
    if rule == "tail" and error_tail is None and len(error_scale[0]) > 1:
        from ..exceptions import InputError

        raise InputError(
            "channel_combination='tail' needs the fitted error_tail_, which this model "
            "(saved by an older skvaelstm) lacks: refit it, or use another rule.")
    return tuple(_Combination(rule, np.asarray(error_scale[i]),
                              None if error_tail is None else np.asarray(error_tail[i]))
                 for i in range(2))


def _channel_errors(windows, decoded, combination):
    """The combined error of each row of each window, (n, channels, W) -> (n, W)
    float64 numpy (see the module docstring for the rules).

    The default rule (``"geometric"``) lets one channel far off its normal
    level raise the row's error much less than several channels off at once:
    on the ASD tuning servers (19 KPIs) the arithmetic mean let one channel
    decide the score (benchmarks/results/tune_defaults.md). Other data reward
    other rules (benchmarks/results/multivariate.md).
    """
    return _combined((windows - decoded).square(), combination)


def _combined(errors, combination):
    """``_channel_errors`` of the squared differences ``errors`` (n, channels, W)."""
    scale = torch.as_tensor(combination.scale, dtype=errors.dtype, device=errors.device)
    if errors.shape[1] == 1:      # every rule: the one channel's own error
        return (errors[:, 0] / scale[0]).cpu().double().numpy()
    if combination.rule == "tail":
        return _geometric_float64(_surprise(errors, combination))[0]
    if combination.rule != "geometric":
        return _channel_sum(_terms(errors, combination))
    logs = torch.log1p(errors / scale[:, None])
    if _has_nan(logs):            # the mean over the observed channels
        total, count = _observed_sum(logs)
        return torch.expm1(total / count).cpu().double().numpy()
    return torch.expm1(_channel_sum(logs) / logs.shape[1]).cpu().double().numpy()


def _surprise(errors, combination):
    """Rule ``"tail"``: each channel's negative log tail probability, (n, C, W)
    float64, of the squared differences ``errors``."""
    scaled = errors.cpu().double().numpy() / combination.scale[:, None]
    median, length = combination.tail[0][:, None], combination.tail[1][:, None]
    return np.maximum(scaled - median, 0.0) / length


def _geometric_float64(values):
    """``exp(mean_c log(1 + v_c)) - 1`` of (n, C, W) float64 values, (n, W), and
    the logs (the shares of the parts)."""
    logs = np.log1p(values)
    if _has_nan(logs):            # the mean over the observed channels
        total, count = _observed_sum(logs)
        with np.errstate(invalid="ignore"):
            return np.expm1(total / count), np.where(np.isnan(logs), 0.0, logs)
    return np.expm1(_channel_sum(logs) / values.shape[1]), logs


def _terms(errors, combination):
    """Each channel's additive term of the combined error, (n, C, W) float64, for
    the rules whose error is the sum of such terms over channels (``"mean"``,
    ``"max"``, ``"top3"``, ``"common_scale"``).

    Elementwise in the rows and windows, so a row gets the same bits in an
    array of any shape (the live scorer's arrays differ from batch scoring's).
    """
    squared = errors.cpu().double().numpy()
    rule, C = combination.rule, squared.shape[1]
    if _has_nan(squared):
        return _observed_terms(squared, combination)
    if rule == "common_scale":
        return squared / float(np.sum(combination.scale))
    scaled = squared / combination.scale[:, None]
    if rule == "mean":
        return scaled / C
    k = 1 if rule == "max" else min(_TOP_K, C)
    # the k largest channels of each row (ties: the first channels), by a stable sort
    rank = np.argsort(np.argsort(-scaled, axis=1, kind="stable"), axis=1, kind="stable")
    return np.where(rank < k, scaled / k, 0.0)


def _observed_terms(squared, combination):
    """``_terms`` of squared differences with NaN (missing values): the rule over
    each row's observed channels, 0 for the missing ones, NaN for every channel
    of a row without an observed one. The divisors equal ``_terms``' for rows
    with every channel observed, so those rows get ``_terms``' bits."""
    rule, C = combination.rule, squared.shape[1]
    missing = np.isnan(squared)
    count = (~missing).sum(axis=1, keepdims=True).astype(np.float64)   # (n, 1, W)
    with np.errstate(invalid="ignore", divide="ignore"):
        if rule == "common_scale":
            full = float(np.sum(combination.scale))
            partial, _ = _observed_sum(np.where(missing, np.nan, combination.scale[:, None]))
            terms = squared / np.where(count == C, full, partial[:, None])
        else:
            scaled = squared / combination.scale[:, None]
            if rule == "mean":
                terms = scaled / count
            else:
                k = np.minimum(1 if rule == "max" else min(_TOP_K, C), count)
                ranked = np.where(missing, -np.inf, scaled)
                rank = np.argsort(np.argsort(-ranked, axis=1, kind="stable"), axis=1,
                                  kind="stable")
                terms = np.where(rank < k, scaled / k, 0.0)
    terms = np.where(missing, 0.0, terms)
    return np.where(count == 0, np.nan, terms)


def _channel_sum(terms):
    """The sum over channels (axis 1) of a numpy array or a tensor, adding the
    channels one at a time in order: reduction kernels may pair or reorder terms
    depending on the array's shape and layout, and a row must get the same bits
    in any array (the live scorer's arrays differ from batch scoring's)."""
    total = terms[:, 0]
    for c in range(1, terms.shape[1]):
        total = total + terms[:, c]
    return total


def _window_errors(windows, decoded, combination, parts):
    """Errors of the rows of each window, (n, W, K) float64: column 0 the combined
    error (``_channel_errors``), and with ``parts`` the channels' parts after it.

    The geometric error is computed in float32 (as ``score_samples`` always
    did) and split by shares computed in float64, as is the tail rule's (in
    float64); the other rules' errors are the float64 sums of their terms,
    which are the parts. Parts and scores
    differ only by float64 rounding.
    """
    squared = (windows - decoded).square()
    if not parts:
        return _combined(squared, combination)[:, :, None]
    if squared.shape[1] > 1 and combination.rule not in ("geometric", "tail"):
        terms = _terms(squared, combination)
        total = _channel_sum(terms)
        return np.concatenate([total[:, :, None], terms.transpose(0, 2, 1)], axis=2)
    if squared.shape[1] > 1 and combination.rule == "tail":
        total, logs = _geometric_float64(_surprise(squared, combination))
    else:
        total = _combined(squared, combination)
        scaled = (squared.cpu().double()
                  / torch.as_tensor(combination.scale, dtype=torch.float64)[:, None])
        logs = torch.log1p(scaled).numpy()
        logs = np.where(np.isnan(logs), 0.0, logs)   # a missing channel's share: 0
    sums = logs.sum(axis=1, keepdims=True)
    # equal shares when every e_c is 0: over the observed channels
    observed = ~torch.isnan(squared).cpu().numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = np.where(sums > 0, logs / sums,
                          observed / np.maximum(observed.sum(axis=1, keepdims=True), 1))
    return np.concatenate([total[:, :, None],
                           (total[:, None, :] * shares).transpose(0, 2, 1)], axis=2)


def _source_errors(windows, predicted, reconstructed, combinations, parts, stand_in=False):
    """``_window_errors`` against the prediction, the reconstruction, or the mean
    of the two (whichever is not None); each in units of its own typical error.
    ``stand_in``: the reconstruction counts only where the prediction is missing."""
    errors = None
    if predicted is not None:
        errors = _window_errors(windows, predicted, combinations[0], parts)
    if reconstructed is not None:
        rebuilt = _window_errors(windows, reconstructed, combinations[1], parts)
        if errors is None:
            return rebuilt
        no_prediction, no_rebuilt = np.isnan(errors[:, :, :1]), np.isnan(rebuilt[:, :, :1])
        if stand_in:
            return np.where(no_prediction, rebuilt, errors)
        if no_prediction.any() or no_rebuilt.any():
            # missing values: a window without a prediction (its context holds a
            # skipped window) or without a reconstruction (skipped itself) is
            # compared with the other alone
            return np.where(no_prediction, rebuilt,
                            np.where(no_rebuilt, errors, (errors + rebuilt) / 2.0))
        errors += rebuilt
        errors /= 2.0
    return errors


def _error_scale(vae, lstm, series, codes, *, window_size, n_windows, first_row,
                 floor=_SCALE_FLOOR):
    """Typical squared error of each channel on the rows ``first_row ..``, and the
    tail of its errors in those units.

    ``series`` is the standardised training series (a tensor) and ``codes`` the
    VAE means of all its windows (computed once in ``fit``). The median over the
    (evenly thinned) complete predicted windows there, per source: row 0
    prediction, row 1 reconstruction. Channels whose median is below
    ``floor`` times the median over channels get that floor: a channel
    that was (nearly) constant in training is reconstructed almost exactly, and
    an error level near zero would let its first change decide every score.

    Returns
    -------
    error_scale : ndarray of shape (2, n_channels), float64
    error_tail : ndarray of shape (2, 2, n_channels), float64
        Per source, the median ``m_c`` and the e-folding length ``b_c`` of the
        scaled errors (``e_c``) there: ``b_c = (q99 - q90) / log(10)``, the
        length of an exponential tail through the 90th and 99th percentiles,
        at least ``_TAIL_FLOOR`` times the median channel's (rule ``"tail"``).
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
        values = []
        for decoded in (predicted, reconstructed):
            squared = (windows - decoded).square()
            values.append(squared.transpose(0, 1).reshape(squared.shape[1], -1)
                          .cpu().double())
    if any(_has_nan(v) for v in values):  # missing values: the observed errors only
        return _observed_error_scale(values, floor)
    levels = np.stack([v.median(dim=1).values.numpy() for v in values])
    return _scale_and_tails(levels, [v.numpy() for v in values], floor, np.quantile)


def _scale_and_tails(levels, values, floor, quantile):
    """``error_scale`` (the channels' ``levels``, floored) and ``error_tail`` of the
    squared errors ``values`` (per source, (n_channels, n)), with ``quantile``
    (``np.quantile``, or ``np.nanquantile`` when errors are missing)."""
    floored = np.maximum(floor * np.median(levels, axis=1, keepdims=True),
                         np.finfo(np.float32).tiny)
    scale = np.maximum(levels, floored)
    tails = []
    for i, v in enumerate(values):
        q50, q90, q99 = quantile(v / scale[i][:, None], [0.5, 0.9, 0.99], axis=1)
        length = (q99 - q90) / np.log(10.0)
        length = np.maximum(length, max(_TAIL_FLOOR * float(np.median(length)),
                                        np.finfo(np.float32).tiny))
        tails.append(np.stack([q50, length]))
    return scale, np.stack(tails)


def _observed_error_scale(values, floor):
    """``_error_scale``'s levels and tails from the errors that are not NaN (rows
    with a missing value, windows without a prediction or reconstruction)."""
    values = [v.numpy() for v in values]
    empty = [c for c in range(len(values[0]))
             if not all(np.any(~np.isnan(v[c])) for v in values)]
    if empty:
        from ..exceptions import InputError

        raise InputError(
            f"channel(s) {empty} have no observed value in a scored window of the rows "
            "behind error_scale_ (the validation tail; all training rows without early "
            "stopping): too many missing values there to measure the typical error.")
    levels = np.stack([np.nanmedian(v, axis=1) for v in values])
    return _scale_and_tails(levels, values, floor, np.nanquantile)
