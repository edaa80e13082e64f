"""Internal standardisation: raw KPI values must just work."""

import numpy as np

from ..exceptions import InputError

# Standardised values beyond this cannot be represented safely in float32
# (squared errors would overflow to inf).
_MAX_STANDARDISED = 1e15
# Standard deviations below this are recomputed without squaring tiny numbers.
_UNDERFLOW_SCALE = 1e-100


def _standardisation(X):
    """Per-channel mean and scale; constant channels get scale 1 (or more, see below).

    The unit of the data must not matter at either end of float64's range:

    - a channel is constant when its standard deviation is within float64's
      rounding error of its mean (no absolute floor, which would flatten a
      series measured in units of 1e-20); its scale is then 1, or that rounding
      error when larger, so that 1e30 +- a few ulps does not standardise to
      values of 1e14;
    - deviations below ~1e-154 underflow when squared, so tiny channels are
      measured in units of their largest deviation.

    Missing values (NaN, ``missing="mask"``): the statistics of the observed
    values (``nanmean``, ``nanstd``); a channel without any is refused.
    """
    missing = np.isnan(X).any()
    if missing and np.isnan(X).all(axis=0).any():
        empty = np.flatnonzero(np.isnan(X).all(axis=0)).tolist()
        raise InputError(f"X has no observed value in channel(s) {empty} (all NaN): "
                         "nothing to standardise or learn them with.")
    mean_of, std_of, max_of = ((np.nanmean, np.nanstd, np.nanmax) if missing
                               else (np.mean, np.std, np.max))
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):  # reported below
        mean = mean_of(X, axis=0, dtype=np.float64)
        scale = std_of(X, axis=0, dtype=np.float64)
    if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(scale))):
        raise InputError(
            "X has values too large to standardise (the mean or standard deviation "
            "overflows float64); rescale the data."
        )
    tiny = scale < _UNDERFLOW_SCALE
    if np.any(tiny):
        with np.errstate(under="ignore"):
            centred = np.asarray(X[:, tiny], dtype=np.float64) - mean[tiny]
            peak = max_of(np.abs(centred), axis=0)
            unit = np.where(peak > 0, peak, 1.0)
            scale[tiny] = unit * std_of(centred / unit, axis=0)
    resolution = 10 * np.finfo(np.float64).eps * np.abs(mean)
    constant = scale <= resolution
    scale[constant] = np.maximum(resolution[constant], 1.0)
    return mean, scale


def _standardise(X, mean, scale):
    """``(X - mean) / scale`` as float32, refusing values float32 cannot hold
    (NaN, missing values, stay NaN: the scoring engine masks them)."""
    with np.errstate(over="ignore"):  # overflow gives inf, refused below
        Z = (np.asarray(X, dtype=np.float64) - mean) / scale
    if np.any(np.abs(Z) >= _MAX_STANDARDISED):
        raise InputError(
            f"X has values more than {_MAX_STANDARDISED:.0e} training standard deviations "
            "from the training mean; they cannot be scored reliably."
        )
    return Z.astype(np.float32)
