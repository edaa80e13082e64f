"""Input checks and constants of the NAB score (:mod:`skvaelstm._metrics._nab`)."""

import math
import numbers
from collections.abc import Mapping
from types import MappingProxyType

import numpy as np
from sklearn.utils import column_or_1d

# NAB's application profiles (config/profiles.json), public as
# skvaelstm.metrics.NAB_PROFILES: weights of a detected window, a missed one, a
# false positive.
_NAB_PROFILES = MappingProxyType({
    "standard": MappingProxyType({"tp": 1.0, "fn": 1.0, "fp": 0.11}),
    "reward_low_FP_rate": MappingProxyType({"tp": 1.0, "fn": 1.0, "fp": 0.22}),
    "reward_low_FN_rate": MappingProxyType({"tp": 1.0, "fn": 2.0, "fp": 0.11}),
})

# NAB's probationary period: the first 15% of a file's rows, at most 0.15 * 5000.
_PROBATION_FRACTION = 0.15
_PROBATION_MAX = 750


def _probationary_rows(n_rows):
    """Number of leading rows NAB ignores: min(floor(0.15 n), 750)."""
    return min(math.floor(_PROBATION_FRACTION * n_rows), _PROBATION_MAX)


def _check_profile(profile):
    """Return the (tp, fn, fp) weights of a profile name or mapping."""
    if isinstance(profile, str):
        if profile not in _NAB_PROFILES:
            raise ValueError(
                f"profile must be one of {sorted(_NAB_PROFILES)} or a mapping with keys "
                f"'tp', 'fn', 'fp'; got {profile!r}."
            )
        profile = _NAB_PROFILES[profile]
    if not isinstance(profile, Mapping) or not {"tp", "fn", "fp"} <= set(profile):
        raise ValueError(
            f"profile must be one of {sorted(_NAB_PROFILES)} or a mapping with keys "
            f"'tp', 'fn', 'fp'; got {profile!r}."
        )
    weights = []
    for key in ("tp", "fn", "fp"):
        value = profile[key]
        if (isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real)
                or not np.isfinite(value) or value < 0):
            raise ValueError(f"profile weight {key!r} must be a finite number >= 0; "
                             f"got {value!r}.")
        weights.append(float(value))
    if weights[0] == 0 and weights[1] == 0:
        raise ValueError("profile weights 'tp' and 'fn' are both 0: the normalised "
                         "NAB score is undefined.")
    return tuple(weights)


def _check_threshold(threshold):
    if (isinstance(threshold, (bool, np.bool_)) or not isinstance(threshold, numbers.Real)
            or np.isnan(threshold)):
        raise ValueError(f"threshold must be a number; got {threshold!r}.")
    return float(threshold)


def _check_anomaly_score(anomaly_score, where):
    try:
        score = column_or_1d(anomaly_score, input_name="anomaly_score").astype(float)
    except (TypeError, ValueError):
        raise ValueError(f"anomaly_score{where} must be a 1-d array of numbers.") from None
    if score.shape[0] == 0:
        raise ValueError(f"anomaly_score{where} is empty.")
    if not np.all(np.isfinite(score)):
        raise ValueError(f"anomaly_score{where} contains NaN or infinity.")
    return score


def _check_windows(windows, n_rows, where):
    """Validate windows as an int array of shape (k, 2) of inclusive row ranges."""
    try:
        as_float = np.asarray(windows, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"windows{where} must be a sequence of (first_row, last_row) "
                         "pairs of integer row positions.") from None
    if as_float.size == 0:
        as_float = as_float.reshape(0, 2)
    if as_float.ndim != 2 or as_float.shape[1] != 2:
        raise ValueError(
            f"windows{where} must be a sequence of (first_row, last_row) pairs; got an "
            f"array of shape {as_float.shape}."
        )
    if not np.all(np.isfinite(as_float)) or np.any(as_float != np.round(as_float)):
        raise ValueError(f"windows{where} must hold integer row positions.")
    rows = as_float.astype(np.int64)
    probation = _probationary_rows(n_rows)
    for j, (first, last) in enumerate(rows):
        if first < 0 or last >= n_rows:
            raise ValueError(
                f"window {j} ({first}, {last}){where} is out of range: the file has "
                f"{n_rows} rows (0 to {n_rows - 1})."
            )
        if last - first < 1:
            raise ValueError(
                f"window {j} ({first}, {last}){where} spans fewer than 2 rows; NAB's "
                "false-positive scale (window width - 1) needs at least 2."
            )
        if j and first <= rows[j - 1, 1]:
            raise ValueError(
                f"windows{where} must be sorted and must not overlap: window {j} "
                f"({first}, {last}) starts at or before the end of window {j - 1}."
            )
        if last < probation:
            raise ValueError(
                f"window {j} ({first}, {last}){where} lies inside the probationary period "
                f"(the first {probation} of {n_rows} rows), where NAB scores nothing."
            )
    return rows


def _iter_files(files):
    """``(where, anomaly_score, windows)`` of each file; ``where`` names it in errors."""
    if isinstance(files, Mapping):
        items = [(f"file {name!r}", pair) for name, pair in files.items()]
    else:
        try:
            items = [(f"file {i}", pair) for i, pair in enumerate(files)]
        except TypeError:
            raise ValueError("files must be a sequence or a mapping of "
                             "(anomaly_score, windows) pairs.") from None
    if not items:
        raise ValueError("files is empty.")
    for name, pair in items:
        if isinstance(pair, (str, bytes)) or not hasattr(pair, "__len__") or len(pair) != 2:
            raise ValueError(f"each file must be an (anomaly_score, windows) pair; {name} "
                             "is not.")
        yield f" of {name}", pair[0], pair[1]
