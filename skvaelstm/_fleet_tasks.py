"""What a fleet task does on a worker: read one series, fit, save, score.

Private helper of :mod:`skvaelstm.fleet` (its public names are re-exported there).
"""

import copy
import os
import time
import traceback
from dataclasses import dataclass
from urllib.parse import quote

import numpy as np
from sklearn.base import clone

from ._tables import _check_columns, _read_table
from ._threads import _torch_threads
from .persistence import load_model, save_model

__all__ = []  # private helper of skvaelstm.fleet

_MODEL_SUFFIX = ".skv"


@dataclass
class SeriesResult:
    """What happened to one series of a fleet.

    Fields are filled up to the stage that failed: a series whose scoring
    failed still carries its fitted ``estimator`` (or ``model_path``).

    Attributes
    ----------
    name : hashable
        The series' key in the input mapping.
    estimator : VAELSTMDetector or None
        The fitted detector (fit and detect without ``model_dir``).
    model_path : str or None
        The model file written (with ``model_dir``); read it with
        :func:`skvaelstm.persistence.load_model`.
    scores, decision : ndarray of shape (n_samples,) or None
        ``score_samples`` and ``decision_function`` of every row (score and detect).
    labels : ndarray of shape (n_samples,) or None
        ``predict``: +1 normal, -1 anomaly.
    n_samples : int or None
        Rows of the series as read.
    fit_seconds, score_seconds : float or None
        Wall time of fitting and of scoring, measured on the worker.
    error : str or None
        ``"ExceptionType: message"`` if the series failed, else None.
    stage : str or None
        Where it failed: ``"load"``, ``"model"``, ``"fit"``, ``"save"`` or ``"score"``.
    traceback : str or None
        The formatted traceback of the failure (it happened on a worker).
    """

    name: object
    estimator: object = None
    model_path: str = None
    scores: object = None
    decision: object = None
    labels: object = None
    n_samples: int = None
    fit_seconds: float = None
    score_seconds: float = None
    error: str = None
    stage: str = None
    traceback: str = None

    @property
    def ok(self):
        """True when no stage failed."""
        return self.error is None


def torch_threads(n_threads):
    """Run a block with ``n_threads`` torch threads, then restore the previous number.

    Safe in threads: blocks (and fits, see ``VAELSTMDetector``'s ``n_threads``)
    that want another number wait until the running ones are done, and each
    thread gets its own previous setting back. Inside the block, fits keep
    this setting.

    Parameters
    ----------
    n_threads : int or None
        Threads for torch's intra-op parallelism; None changes nothing.
    """
    return _torch_threads(n_threads)


def model_filename(name):
    """The model file name used for series ``name`` in ``model_dir``.

    ``str(name)`` percent-encoded (no path separators survive) plus ``.skv``:
    ``"web-01/cpu"`` becomes ``"web-01%2Fcpu.skv"``.
    """
    return quote(str(name), safe="") + _MODEL_SUFFIX


def _task(name, source, model, *, fit, score, train_size, model_dir, threads, read):
    """Everything done for one series on a worker; failures are returned, not raised."""
    result = SeriesResult(name=name)
    stage = "load"
    try:
        X = _load(source, **read)
        result.n_samples = len(X)
        if fit:
            stage = "fit"
            detector = clone(model)
            if threads != "auto":
                detector.set_params(n_threads=threads)
            start = time.perf_counter()
            detector.fit(X[:_train_rows(len(X), train_size)])
            result.fit_seconds = time.perf_counter() - start
            if model_dir is None:
                result.estimator = detector
            else:
                stage = "save"
                path = os.path.join(model_dir, model_filename(name))
                os.makedirs(model_dir, exist_ok=True)   # on this worker's machine
                save_model(detector, path, metadata={"series": str(name)})
                result.model_path = path
        else:
            stage = "model"
            if isinstance(model, Exception):
                raise model
            detector = (load_model(model) if isinstance(model, (str, os.PathLike))
                        else copy.copy(model))   # set_params below: not the caller's
            if threads != "auto":
                detector.set_params(n_threads=threads)
        if score:
            stage = "score"
            start = time.perf_counter()
            result.scores, result.decision, result.labels = detector._scored(X)
            result.score_seconds = time.perf_counter() - start
    except Exception as exc:  # noqa: BLE001 - reported per series, see the module notes
        result.error = f"{type(exc).__name__}: {exc}"
        result.stage = stage
        result.traceback = traceback.format_exc()
    return result


def _train_rows(n, train_size):
    if train_size is None:
        return n
    if isinstance(train_size, (float, np.floating)):
        return max(1, int(n * train_size))
    return min(int(train_size), n)


def _load(source, *, time_column=None, columns=None):
    """The series as a 2-D array or DataFrame; tables get their channels selected."""
    label = "the series"
    if callable(source) and not hasattr(source, "shape"):
        source = source()
    if isinstance(source, (str, os.PathLike)):
        label = os.fspath(source)
        source = _read_table(source)
    if hasattr(source, "to_frame") and not hasattr(source, "columns"):   # pandas Series
        source = source.to_frame()
    if hasattr(source, "columns"):
        return _channels(source, time_column, columns, label)
    X = np.asarray(source)
    return X.reshape(-1, 1) if X.ndim == 1 else X


def _channels(frame, time_column, columns, label):
    if columns is not None:
        _check_columns(frame, list(columns), label)
        if time_column is not None and time_column in columns:
            raise ValueError(f"the time column {time_column!r} cannot also be a channel.")
        return frame[list(columns)]
    if time_column is not None:
        _check_columns(frame, [time_column], label)
        return frame.drop(columns=[time_column])
    return frame
