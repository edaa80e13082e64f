"""Input validation shared by the estimator's fit and scoring methods."""

import numpy as np
from sklearn.utils.validation import validate_data

from ..exceptions import InputError


def _first_line(exc):
    """The first line of an exception's message (torch's and pandas' can span many)."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _validate(estimator, X, *, reset):
    """``validate_data`` to float, with the failures scikit-learn leaves obscure made clear."""
    if hasattr(X, "columns") and X.shape[1] == 0:
        # numpy fails on a DataFrame without columns ("at least one array or dtype
        # is required"); an empty array gets the usual "0 feature(s)" message.
        X = np.empty(X.shape)
    # missing="mask": NaN are missing values (masked by the engine, ``_scoring.
    # _missing``); infinities are refused either way
    mask = getattr(estimator, "missing", "error") == "mask"
    try:
        # scikit-learn's finiteness check sums X first: finite values near 1e308
        # overflow that sum and warn before the element-wise check passes them.
        with np.errstate(over="ignore", invalid="ignore"):
            return validate_data(estimator, X, dtype=[np.float64, np.float32], reset=reset,
                                 ensure_all_finite="allow-nan" if mask else True)
    except OverflowError as exc:  # a Python int of hundreds of digits in an object array
        raise InputError(f"X has a value too large for float64 ({exc}).") from None
    except ValueError as exc:
        # raised again as the package's input error, so that callers (the
        # command line's exit codes) can tell input refused by validation from
        # failures deeper inside; TypeError (sparse input) stays what sklearn says
        if "contains NaN" in str(exc) and not mask:
            raise InputError(f"{_first_line(exc)} Set missing='mask' to mask missing values "
                             "(NaN) in fit and scoring, as Donut does.") from exc
        raise InputError(str(exc)) from exc
    except TypeError as exc:
        raise TypeError(str(exc)) from exc
