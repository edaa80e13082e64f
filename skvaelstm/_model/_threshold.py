"""Thresholds of ``VAELSTMDetector``: ``offset_`` from the training rows' scores.

Two rules, chosen by ``contamination``:

- a share (``"auto"``: 1 %, or a float): ``offset_`` is that percentile of the
  training scores, as ``IsolationForest`` sets it for a float;
- ``"pot"``: peaks over threshold (Siffer et al., KDD 2017): a generalised
  Pareto distribution (GPD) is fitted to the excesses of the training rows'
  *anomaly* scores (``-score_samples``) over their ``pot_level`` quantile, and
  the threshold is the anomaly score exceeded with probability ``pot_risk``.

The GPD is fitted by maximum likelihood with ``scipy.stats.genpareto.fit``
(location fixed at 0). SPOT's reference code finds the same maximum-likelihood
estimate by Grimshaw's root search; scipy's optimiser is deterministic, already
a dependency of scikit-learn, and tested; too few excesses or a failed fit
raise ``InputError`` (never a silent fallback).

The mixin ``_Threshold`` gives the estimator ``set_threshold`` and the check
that ``offset_`` still belongs to the current parameters; ``_PeaksOverThreshold``
is the streaming variant (SPOT's update) used by ``StreamScorer``.
"""

import warnings
from collections import deque

import numpy as np
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from ..exceptions import InputError

__all__ = []  # private helper of skvaelstm._model._detector and skvaelstm.streaming

# contamination="auto" flags this share of the training rows (see the docstring).
_AUTO_CONTAMINATION = 0.01
# Fewest excesses over the initial threshold a GPD is fitted to.
_MIN_PEAKS = 10
# Parameters that change the scores (train_scores_ belong to them) and the rule.
_SCORING = ("score_aggregation", "error_source", "channel_combination")
_RULE = ("contamination", "pot_risk", "pot_level")


def _offset(scores, contamination, pot_risk, pot_level):
    """``offset_`` of the training ``scores`` (higher = more normal) by the rule;
    rows without a score (NaN: missing values, ``missing="mask"``) do not count."""
    scores = np.asarray(scores, dtype=np.float64)
    scores = scores[~np.isnan(scores)]
    if scores.size == 0:
        raise InputError("no training row has a score (every row lies in missing values): "
                         "no threshold can be derived.")
    if contamination == "pot":
        return -_pot(-scores, pot_risk, pot_level)["threshold"]
    share = _AUTO_CONTAMINATION if contamination == "auto" else contamination
    return float(np.percentile(scores, 100.0 * share))


def _pot(errors, risk, level):
    """Peaks over threshold of anomaly scores ``errors`` (higher = more abnormal).

    Returns a dict: ``initial`` (the ``level`` quantile ``t``), ``peaks`` (the
    excesses ``errors - t`` of the errors above ``t``), ``n`` (rows), ``shape``,
    ``scale`` (the GPD) and ``threshold`` (``z_q``, exceeded with probability
    ``risk``).
    """
    initial = float(np.quantile(errors, level))
    peaks = errors[errors > initial] - initial
    if len(peaks) < _MIN_PEAKS:
        raise InputError(
            f"contamination='pot' needs at least {_MIN_PEAKS} scores above their "
            f"pot_level={level} quantile to fit the tail; {len(errors)} rows give "
            f"{len(peaks)}: lower pot_level, score more rows, or use a contamination share.")
    shape, scale = _gpd(peaks)
    return {"initial": initial, "peaks": peaks, "n": len(errors), "shape": shape,
            "scale": scale,
            "threshold": _quantile(initial, shape, scale, risk, len(errors), len(peaks))}


def _check_peaks(n, level):
    """Refuse ``n`` training rows too few for a tail of ``_MIN_PEAKS`` excesses
    over their ``level`` quantile (distinct scores: ``n - 1 - floor(level (n - 1))``
    of them), before ``fit`` trains."""
    expected = n - 1 - int(np.floor(level * (n - 1)))
    if expected < _MIN_PEAKS:
        raise InputError(
            f"contamination='pot' needs at least {_MIN_PEAKS} training scores above their "
            f"pot_level={level} quantile to fit the tail; {n} rows give {expected}: lower "
            "pot_level, train on more rows, or use a contamination share.")


def _gpd(peaks):
    """Shape and scale of the GPD fitted to ``peaks`` by maximum likelihood."""
    from scipy.stats import genpareto

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # the optimiser's steps
        shape, _, scale = genpareto.fit(peaks, floc=0)
    if not (np.isfinite(shape) and np.isfinite(scale) and scale > 0):
        raise InputError(
            f"the generalised Pareto fit of {len(peaks)} tail excesses failed (shape="
            f"{shape}, scale={scale}); use a contamination share instead of 'pot'.")
    return float(shape), float(scale)


def _quantile(initial, shape, scale, risk, n, n_peaks):
    """SPOT's threshold ``z_q = t + scale / shape * ((q n / N_t) ** -shape - 1)``."""
    ratio = risk * n / n_peaks
    if ratio >= 1:
        raise InputError(
            f"pot_risk={risk} is not below the share of rows over the initial threshold "
            f"({n_peaks} of {n}): lower pot_risk or pot_level.")
    if abs(shape) < 1e-12:           # the exponential limit
        return float(initial - scale * np.log(ratio))
    return float(initial + scale / shape * (ratio ** -shape - 1.0))


class _Threshold:
    """``set_threshold`` and the check that ``offset_`` is current."""

    def set_threshold(self, X=None, *, contamination=None, pot_risk=None, pot_level=None):
        """Derive ``offset_`` again, without refitting the networks.

        By default from the training rows' scores kept in ``train_scores_``:
        ``set_threshold(contamination=c)`` gives the ``offset_`` that fitting
        with ``contamination=c`` gives, bit for bit. The rule parameters given
        are set (as ``set_params`` does); the others keep their values.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), default=None
            Rows to take the threshold from instead of ``train_scores_``
            (normally the training rows): they are scored with the current
            scoring options, and their scores replace ``train_scores_``. Needed
            after ``set_params`` changed ``score_aggregation``, ``error_source``
            or ``channel_combination`` (the kept scores belong to the old
            options), and for models loaded from files written before
            ``train_scores_`` existed.
        contamination : "auto", float or "pot", default=None
            The new ``contamination`` (None: keep it).
        pot_risk, pot_level : float, default=None
            The new ``pot_risk`` and ``pot_level`` (None: keep them).

        Returns
        -------
        self : object
            The detector, with ``offset_``, ``train_scores_`` and
            ``threshold_params_`` derived again.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Unfitted, or without ``X`` when the kept scores do not belong to the
            current scoring options (or are absent).
        skvaelstm.exceptions.InputError
            A ``"pot"`` tail that cannot be fitted (too few excesses, a failed
            fit, a ``pot_risk`` too large for the excesses). The detector is
            then unchanged.
        """
        check_is_fitted(self)
        given = {name: value for name, value in (("contamination", contamination),
                                                 ("pot_risk", pot_risk),
                                                 ("pot_level", pot_level))
                 if value is not None}
        previous = self.__dict__.copy()
        try:
            self.set_params(**given)
            self._validate_params()
            if X is not None:
                scores = self.score_samples(X)
            else:
                scores = self._kept_scores()
            self._derive_offset(scores)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(previous)
            raise
        return self

    def _derive_offset(self, scores):
        """Set ``offset_``, ``train_scores_`` and ``threshold_params_`` from the
        training ``scores`` with the current parameters."""
        params = self.get_params()
        self.offset_ = _offset(scores, params["contamination"], params["pot_risk"],
                               params["pot_level"])
        self.train_scores_ = np.asarray(scores, dtype=np.float64)
        self.threshold_params_ = {name: params[name] for name in _SCORING + _RULE}

    def _kept_scores(self):
        scores = getattr(self, "train_scores_", None)
        if scores is None:
            raise NotFittedError(
                "this model has no train_scores_ (it was saved by an older skvaelstm): pass "
                "the rows it was fitted on, set_threshold(X_train), or refit it.")
        changed = self._changed(_SCORING)
        if changed:
            raise NotFittedError(
                f"train_scores_ were computed with {changed}: pass the training rows, "
                "set_threshold(X_train), to score them with the current options, or refit.")
        return scores

    def _changed(self, names):
        """The parameters among ``names`` that differ from those of ``offset_``,
        as text ('' if none, or if the model does not record them)."""
        fitted = getattr(self, "threshold_params_", None)
        if fitted is None:                 # files of skvaelstm 0.2.0 and older
            return ""
        params = self.get_params()
        return ", ".join(f"{name}={fitted[name]!r} (now {params[name]!r})" for name in names
                         if name in fitted and fitted[name] != params[name])

    def _check_offset(self):
        """Refuse an ``offset_`` that belongs to other parameters than the current."""
        changed = self._changed(_SCORING + _RULE)
        if changed:
            raise NotFittedError(
                f"offset_ was derived with {changed}: call set_threshold() (with the "
                "training rows, set_threshold(X_train), when a scoring option changed) "
                "or refit before decision_function or predict.")


class _PeaksOverThreshold:
    """SPOT's streaming update of a peaks-over-threshold threshold.

    Starts from the POT fit of the training anomaly scores; every row is labelled
    with the threshold of the moment before it; a row below the threshold and
    above the initial one adds its excess to the tail, and the GPD is refitted
    after every ``refit_every`` new excesses. Rows over the threshold (flagged)
    neither join the tail nor count as rows, as in SPOT. The tail keeps the
    latest ``max_peaks`` excesses (bounded memory); the share of rows over the
    initial threshold counts all rows.
    """

    def __init__(self, errors, risk, level, refit_every, max_peaks):
        fit = _pot(errors, risk, level)
        self.risk, self.refit_every = risk, refit_every
        self.initial, self.n, self.n_peaks = fit["initial"], fit["n"], len(fit["peaks"])
        self.peaks = deque(fit["peaks"].tolist()[-max_peaks:], maxlen=max_peaks)
        self.shape, self.scale, self.threshold = fit["shape"], fit["scale"], fit["threshold"]
        self.new_peaks = 0

    def update(self, errors):
        """The threshold each of ``errors`` (in order) was compared with."""
        thresholds = np.empty(len(errors))
        for i, error in enumerate(errors.tolist()):
            thresholds[i] = self.threshold
            if error > self.threshold:
                continue
            self.n += 1
            if error > self.initial:
                self.peaks.append(error - self.initial)
                self.n_peaks += 1
                self.new_peaks += 1
                if self.new_peaks >= self.refit_every:
                    self._refit()
        return thresholds

    def _refit(self):
        # a tail that cannot be fitted now (rare with >= _MIN_PEAKS excesses)
        # keeps the previous fit until the next excess: a stream must go on
        try:
            shape, scale = _gpd(np.asarray(self.peaks))
            threshold = _quantile(self.initial, shape, scale, self.risk, self.n, self.n_peaks)
        except InputError:
            return
        self.new_peaks = 0
        self.shape, self.scale, self.threshold = shape, scale, threshold

    def state(self):
        """The state as plain values (``peaks`` an array) for a model file."""
        return {"risk": self.risk, "refit_every": self.refit_every, "initial": self.initial,
                "n": self.n, "n_peaks": self.n_peaks, "max_peaks": self.peaks.maxlen,
                "peaks": np.asarray(self.peaks, dtype=np.float64), "shape": self.shape,
                "scale": self.scale, "threshold": self.threshold, "new_peaks": self.new_peaks}

    @classmethod
    def from_state(cls, state):
        pot = cls.__new__(cls)
        for name, value in state.items():
            if name not in ("peaks", "max_peaks"):
                setattr(pot, name, value)
        pot.peaks = deque(np.asarray(state["peaks"], dtype=np.float64).tolist(),
                          maxlen=state["max_peaks"])
        return pot
