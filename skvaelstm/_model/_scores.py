"""The scoring methods of ``VAELSTMDetector``: ``score_samples``, ``channel_scores``,
``decision_function`` and ``predict``, each a call of the scoring engine.

A mixin, as scikit-learn's ``OutlierMixin`` is: the estimator's module keeps its
parameters and ``fit``; every method here reads only fitted attributes.
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .._scoring._engine import _score_rows, _Spec
from .._scoring._options import _check_scoring_options, _min_score_rows
from ..exceptions import InputError
from ._scaling import _standardise
from ._threads import _torch_threads
from ._validation import _validate

__all__ = []  # private helper of skvaelstm._model._detector


class _OutlierScores:
    """``score_samples`` and the methods built on it, for a fitted detector."""

    def score_samples(self, X):
        """Score of each row: the opposite of its prediction error.

        The lower, the more abnormal. See ``score_aggregation`` for how the
        errors of the predicted windows covering a row are combined.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows in time order; at least ``window_size + 1`` rows.

        Returns
        -------
        scores : ndarray of shape (n_samples,), dtype float64
            With ``missing="mask"``, NaN for the rows that have no score (no
            observed value in any window around them; see ``missing``).
        """
        check_is_fitted(self)
        self._validate_params()  # parameters may have been set after fit
        X = _validate(self, X, reset=False)
        return self._score_samples(X)

    def _score_samples(self, X):
        """Scores of already validated ``X``."""
        return -self._engine_scores(X, parts=False)[:, 0]

    def channel_scores(self, X):
        """Each channel's part of the score of each row: which KPI is to blame.

        Same rows, scale and semantics (``score_aggregation``, causality) as
        ``score_samples``, and the channels add up to it: ``channel_scores(X)
        .sum(axis=1)`` equals ``score_samples(X)`` up to floating-point
        rounding. A row's error in a window is split over the channels in
        proportion to their terms in the geometric combination (``log(1 + e_c)``,
        ``e_c`` the channel's error in units of its typical error), and every
        later step of the score is applied to the parts alike (a window's
        maximum is taken at the row where the combined error is largest).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples, n_features_in_), dtype float64
            The lower, the more a channel made the row abnormal. With one
            channel, the column is ``score_samples(X)``. With ``missing="mask"``
            a channel missing in a row has no part of that row's error in a
            window (parts of rows without a score are NaN).
        """
        check_is_fitted(self)
        self._validate_params()
        X = _validate(self, X, reset=False)
        return -self._engine_scores(X, parts=True)[:, 1:]

    def _engine_scores(self, X, parts):
        """The scoring engine's error columns for validated ``X`` (column 0 the
        row's error, then with ``parts`` the channels' parts)."""
        self._check_score_rows(X)
        with _torch_threads(self.n_threads):
            errors = _score_rows(_Spec.of(self, parts=parts), X,
                                 lambda part: _standardise(part, self.mean_, self.scale_))
        return _finite(errors, getattr(self, "missing", "error") == "mask")

    def _check_score_rows(self, X):
        _check_scoring_options(self.score_aggregation, self.error_source)
        min_rows = _min_score_rows(self.score_aggregation, self.window_size_)
        if X.shape[0] < min_rows:
            raise InputError(
                f"n_samples={X.shape[0]} is too few to score: VAELSTMDetector with "
                f"window_size={self.window_size_} and "
                f"score_aggregation={self.score_aggregation!r} needs at least {min_rows} rows."
            )

    def _scored(self, X):
        """``score_samples``, ``decision_function`` and ``predict`` of ``X`` from one
        pass of the networks (for callers that report all three)."""
        check_is_fitted(self)
        self._check_offset()
        scores = self.score_samples(X)
        decision = scores - self.offset_
        return scores, decision, np.where(decision < 0, -1, 1)

    def decision_function(self, X):
        """``score_samples(X) - offset_``: negative values are anomalies.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,), dtype float64

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If ``set_params`` changed a scoring option or the threshold rule
            after ``offset_`` was derived: call ``set_threshold`` (or refit).
        """
        return self._scored(X)[1]

    def predict(self, X):
        """Label each row: +1 normal, -1 anomaly (``decision_function < 0``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        labels : ndarray of shape (n_samples,), dtype int

        Raises
        ------
        sklearn.exceptions.NotFittedError
            As ``decision_function``.
        """
        return self._scored(X)[2]


def _finite(scores, missing_allowed=False):
    """``scores``, refusing infinite ones, and NaN unless ``missing="mask"``,
    where NaN says that a row has no score (no observed value in the windows
    around it: ``_scoring._missing``)."""
    if not np.all(np.isfinite(scores) | (np.isnan(scores) & missing_allowed)):
        raise InputError(
            "the scores of X are not finite: the networks overflow on it (X is far "
            "outside the training data, or the model's weights are damaged).")
    return scores


def _scores_finite(detector, *arrays):
    """Whether every value of ``arrays`` is a score ``_finite`` would hand out."""
    allowed = getattr(detector, "missing", "error") == "mask"
    return all(np.all(np.isfinite(a) | (np.isnan(a) & allowed)) for a in arrays)
