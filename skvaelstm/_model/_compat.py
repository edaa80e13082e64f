"""The scikit-learn developer utilities we rely on, imported in one place.

``_fit_context`` and ``sklearn.utils._param_validation`` are private in
scikit-learn; keeping their imports here limits the blast radius when a release
moves them (scikit-learn >= 1.6 keeps both in private modules).
"""

from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval, InvalidParameterError, StrOptions

__all__ = ["Interval", "InvalidParameterError", "StrOptions", "_fit_context"]
