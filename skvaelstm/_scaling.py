"""Internal standardisation: raw KPI values must just work."""

import numpy as np

# Standardised values beyond this cannot be represented safely in float32
# (squared errors would overflow to inf).
_MAX_STANDARDISED = 1e15


def _standardisation(X):
    """Per-channel mean and scale; constant channels get scale 1."""
    with np.errstate(over="ignore", invalid="ignore"):  # reported below instead
        mean = X.mean(axis=0, dtype=np.float64)
        scale = X.std(axis=0, dtype=np.float64)
    if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(scale))):
        raise ValueError(
            "X has values too large to standardise (the mean or standard deviation "
            "overflows float64); rescale the data."
        )
    scale[scale < 10 * np.finfo(np.float64).eps * np.maximum(np.abs(mean), 1.0)] = 1.0
    return mean, scale


def _standardise(X, mean, scale):
    """``(X - mean) / scale`` as float32, refusing values float32 cannot hold."""
    Z = (np.asarray(X, dtype=np.float64) - mean) / scale
    if not np.all(np.abs(Z) < _MAX_STANDARDISED):
        raise ValueError(
            f"X has values more than {_MAX_STANDARDISED:.0e} training standard deviations "
            "from the training mean; they cannot be scored reliably."
        )
    return Z.astype(np.float32)
