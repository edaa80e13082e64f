"""What ``VAELSTMDetector.fit`` does once the input is validated.

The training rows are standardised once and every window is encoded once: the
LSTM trains on those codes, and the error scale and the training scores (behind
``offset_``) reuse them. Only the thinned validation windows behind
``error_scale_`` are predicted and decoded twice (once for the scale, once
when the training rows are scored with it).
"""

import warnings

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning

from .._scoring._engine import _score_rows, _Spec
from .._scoring._errors import _error_scale
from .._scoring._options import _check_scoring_options
from .._scoring._passes import _encode
from ..exceptions import InputError
from ._compat import _fit_context
from ._device import _resolve_device
from ._networks import _build_networks
from ._scaling import _flat_message, _standardisation, _standardise
from ._threads import _torch_threads
from ._threshold import _check_peaks
from ._training import _fit_lstm, _fit_vae, _make_generators, _seed
from ._validation import _validate
from ._window_size import (
    _AUTO_BOUNDS,
    _MIN_WINDOWS,
    _auto_fits,
    _auto_window_size,
    _chronological_split,
    _fit_plan,
    _min_fit_rows,
    _min_shrunk_rows,
)

__all__ = []  # private helper of skvaelstm._detector


class _Fitting:
    """``fit_predict`` and the work behind ``fit`` (a mixin of the estimator, as
    ``_OutlierScores`` is): a failed fit leaves the estimator as it was."""

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_predict(self, X, y=None):
        """Fit on ``X`` and label its rows: the same labels as ``fit(X).predict(X)``,
        from the training scores that ``fit`` computes for ``offset_`` (no second
        pass of the networks, as ``LocalOutlierFactor`` does).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : Ignored
            Not used, present for API consistency.

        Returns
        -------
        labels : ndarray of shape (n_samples,), dtype int
            +1 normal, -1 anomaly.
        """
        scores = self._fit_or_restore(X)
        return np.where(scores - self.offset_ < 0, -1, 1)

    def _fit_or_restore(self, X):
        """``_fit`` and its warnings; the training scores."""
        # A failed or interrupted fit (including KeyboardInterrupt) leaves the
        # estimator exactly as it was before the call: no half-fitted state.
        previous = self.__dict__.copy()
        try:
            with _torch_threads(self.n_threads):
                scores, not_converged, notes = self._fit(X)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(previous)
            raise
        for message in not_converged:
            # stacklevel 4: past this helper, fit (or fit_predict) and
            # scikit-learn's _fit_context wrapper, to the line that called fit
            warnings.warn(message, ConvergenceWarning, stacklevel=4)
        for message in notes:   # short training data, constant channels
            warnings.warn(message, UserWarning, stacklevel=4)
        return scores

    def _fit(self, X):
        X = _validate(self, X, reset=True)
        _check_scoring_options(self.score_aggregation, self.error_source)
        if self.contamination == "pot":   # before the long training, not after it
            _check_peaks(X.shape[0], self.pot_level)
        fitted, scores, not_converged, notes = _fit_model(
            self.get_params(), X, getattr(self, "feature_names_in_", None))
        for name, value in fitted.items():
            setattr(self, name, value)
        # as IsolationForest: offset_ comes from the training scores, computed by
        # the engine behind score_samples (check_outliers_train)
        self._derive_offset(scores)
        return scores, not_converged, notes


def _window_for(params, X):
    """The window ``fit`` uses with ``params`` on the rows ``X``."""
    if params["window_size"] != "auto":
        return params["window_size"]
    observed = ~np.isnan(X)
    if not observed.all():  # missing values: the period of the series filled with the mean
        # (a channel without any observed value: 0; _standardisation refuses it)
        count = observed.sum(axis=0)
        fill = np.where(observed, X, 0.0).sum(axis=0) / np.maximum(count, 1)
        X = np.where(observed, X, fill)
    return _auto_window_size(X, params["n_windows"], params["early_stopping"],
                             params["validation_fraction"])


def _fit_model(params, X, names=None):
    """Fit the networks with the estimator's ``params`` on validated ``X``
    (``names``: its channels' names, for warnings, or None).

    Returns
    -------
    fitted : dict
        The fitted attributes (``window_size_``, ``n_windows_``,
        ``validation_rows_``, ``error_scale_``, ``error_tail_``, ``mean_``,
        ``scale_``, ``vae_``, ``lstm_``, ``device_``, ``n_iter_``,
        ``loss_curve_``, ``validation_loss_curve_``, ``best_validation_loss_``).
    scores : ndarray of shape (n_samples,)
        ``score_samples`` of the training rows.
    not_converged : list of str
        The messages of stages that stopped at ``max_iter`` still improving.
    notes : list of str
        Warnings for the user: what was shrunk for short training data
        (``_fit_plan``), the (nearly) constant channels.
    """
    p = params
    n_samples = X.shape[0]
    W = _window_for(p, X)
    plan = _fit_plan(n_samples, W, p["n_windows"], p["early_stopping"],
                     p["validation_fraction"])
    if plan is None:
        min_rows = _min_shrunk_rows(W, p["n_windows"], p["early_stopping"],
                                    p["validation_fraction"])
        detail = (f" and a validation tail of >= {2 * W} rows; set early_stopping=False "
                  "to train on all rows" if p["early_stopping"] else "")
        raise InputError(
            f"n_samples={n_samples} is too few to fit VAELSTMDetector: it needs at least "
            f"{min_rows} rows (window_size * n_windows = {W} * "
            f"{min(_MIN_WINDOWS, p['n_windows'])} for training, n_windows shrunk to its minimum"
            f"{detail}){_auto_advice(p, n_samples)}."
        )
    n_windows, split = plan
    notes = [m for m in [_shrink_message(n_samples, W, p, n_windows, split)] if m]
    device = _resolve_device(p["device"])
    mean, scale, flat = _standardisation(X)
    if flat.any():
        notes.append(_flat_message(flat, names))
    Z = _standardise(X, mean, scale)
    # private generators only: torch's global RNG is neither read nor
    # changed, so concurrent fits in threads cannot take each other's draws
    shuffle_gen, sample_gen = _make_generators(_seed(p["random_state"]), device)
    vae, lstm = _build_networks(X.shape[1], W, p["code_size"], p["vae_hidden_size"],
                                p["lstm_hidden_size"], generator=shuffle_gen)
    vae, lstm = vae.to(device), lstm.to(device)
    series = torch.from_numpy(Z).to(device)
    common = dict(max_iter=p["max_iter"], batch_size=p["batch_size"],
                  learning_rate=p["learning_rate_init"], schedule=p["learning_rate"],
                  n_iter_no_change=p["n_iter_no_change"], tol=p["tol"],
                  shuffle_generator=shuffle_gen, device=device, verbose=p["verbose"])
    vae_history = _fit_vae(vae, series, split, W, p["sigma"], sample_gen, common)
    with torch.no_grad():
        codes = _encode(vae, series.unfold(0, W, 1))
    lstm_history = _fit_lstm(lstm, codes, split, W, n_windows, common)
    # the typical error of each channel and source, measured where the
    # networks did not train (the validation tail; without early stopping,
    # in-sample on all training rows)
    error_scale, error_tail = _error_scale(vae, lstm, series, codes, window_size=W,
                                           n_windows=n_windows,
                                           first_row=split if split < n_samples else 0)
    spec = _Spec(vae, lstm, device, W, n_windows, p["score_aggregation"],
                 p["error_source"], error_scale, combination=p["channel_combination"],
                 error_tail=error_tail)
    scores = -_score_rows(spec, Z, _already_standardised, codes)[:, 0]
    # NaN: rows without a score for missing values (missing="mask" only)
    if not np.all(np.isfinite(scores) | (np.isnan(scores) & (p["missing"] == "mask"))):
        raise FloatingPointError(
            "the trained networks give non-finite scores on the training data; lower "
            "learning_rate_init or check the input for extreme values.")
    if np.isnan(scores).all():
        raise InputError("too many missing values: no training row has a score (no "
                         "window around any row holds enough observed values).")
    histories = {"vae": vae_history, "lstm": lstm_history}
    fitted = {
        "window_size_": W, "n_windows_": n_windows, "validation_rows_": n_samples - split,
        "error_scale_": error_scale, "error_tail_": error_tail, "mean_": mean, "scale_": scale,
        "vae_": vae, "lstm_": lstm, "device_": device,
        "n_iter_": np.array([h["n_iter"] for h in histories.values()]),
        "loss_curve_": {k: h["loss"] for k, h in histories.items()},
        "validation_loss_curve_": {k: h["validation_loss"] for k, h in histories.items()},
        "best_validation_loss_": ({k: h["best_validation_loss"] for k, h in histories.items()}
                                  if p["early_stopping"] else None),
    }
    return fitted, scores, [h["not_converged"] for h in histories.values()
                            if h["not_converged"]], notes


def _shrink_message(n_samples, W, p, n_windows, split):
    """What ``fit`` shrank for short training data (``_fit_plan``), or None."""
    needed = _min_fit_rows(W, p["n_windows"], p["early_stopping"], p["validation_fraction"])
    if n_samples >= needed:
        return None
    changes = []
    if n_windows < p["n_windows"]:
        changes.append(f"n_windows from {p['n_windows']} to {n_windows} (n_windows_)")
    tail = n_samples - split
    if p["early_stopping"] and split < _chronological_split(n_samples,
                                                             p["validation_fraction"]):
        changes.append(f"a validation tail of {tail} rows, its minimum of 2 * window_size "
                       f"(validation_fraction={p['validation_fraction']} gives fewer)")
    return (f"{n_samples} training rows are fewer than the {needed} that window_size={W}, "
            f"n_windows={p['n_windows']} and validation_fraction="
            f"{p['validation_fraction']} need: fit used " + " and ".join(changes)
            + ". Predictions read fewer past windows; with more rows nothing is shrunk.")


def _already_standardised(rows):
    return rows


def _auto_advice(p, n_samples):
    """The cold-start hint of the too-few-rows error."""
    if not _auto_fits(p, n_samples):
        return ""
    return (f'; window_size="auto" fits from these rows (it takes a window of at least '
            f"{_AUTO_BOUNDS[0]} rows that the data can fit)")
