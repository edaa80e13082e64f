"""Internal standardisation: raw KPI values must just work."""

import numpy as np

from ..exceptions import InputError

# Standardised values beyond this cannot be represented safely in float32
# (squared errors would overflow to inf).
_MAX_STANDARDISED = 1e15
# Standard deviations below this are recomputed without squaring tiny numbers.
_UNDERFLOW_SCALE = 1e-100
# A channel whose standard deviation is at most this share of its mean's size is
# (nearly) constant. float32, the networks' precision and a usual storage type of
# measurements, resolves about 1.2e-7 of a value: variation within a few float32
# steps of the level is rounding or quantisation noise (5.0 read back as
# 5.000000001), no pattern to learn. Scaled by that noise, a later ordinary change
# of the channel (by 1 in its units) would be 1e6 to 1e9 "standard deviations"
# and every row's score about -1e13. Series in tiny units (1e-20 +- 1e-21) vary
# by a large share of their level and keep their own scale.
_FLAT_SHARE = 1e-6


def _standardisation(X):
    """Per-channel mean and scale, and the mask of the (nearly) constant channels
    whose scale was raised to 1 (or more, see below).

    The unit of the data must not matter at either end of float64's range:

    - a channel is (nearly) constant when its standard deviation is at most
      ``_FLAT_SHARE`` of its mean's size (relative: an absolute floor would
      flatten a series measured in units of 1e-20); its scale is then raised
      to 1, as scikit-learn's ``StandardScaler`` does for constant features:
      the data's own unit is the only scale left, and a later change by an
      ordinary amount standardises to an ordinary value instead of 1e9
      (scales above 1 are kept); or to float64's rounding error of the mean
      when that is larger, so that 1e30 +- a few ulps does not standardise to
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
    floor = np.maximum(10 * np.finfo(np.float64).eps * np.abs(mean), 1.0)
    flat = (scale <= _FLAT_SHARE * np.abs(mean)) & (scale < floor)
    scale[flat] = floor[flat]
    return mean, scale, flat


def _flat_message(flat, names=None):
    """The warning about the channels of the mask ``flat`` (``_standardisation``),
    named by ``names`` when given, else by index."""
    indices = np.flatnonzero(flat)
    shown = [repr(str(names[i])) if names is not None else str(i) for i in indices]
    what = "channel(s) " + ("" if names is not None else "with index ") + ", ".join(shown)
    return (f"{what} of the training data are constant or nearly so (standard deviation "
            f"at most {_FLAT_SHARE:g} of the mean): they hold nothing to learn, and are "
            "standardised with scale 1 in their own units (as scikit-learn's "
            "StandardScaler does for constant features), so that a later change of "
            "them is scored by its size in those units. Drop them, or train on rows "
            "in which they vary.")


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
