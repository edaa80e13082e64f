"""One task per series on a joblib backend: what :mod:`skvaelstm.fleet` runs."""

import copy
import os
import time
import traceback

import joblib
import numpy as np
from sklearn.base import clone

from .._io._tables import _load_series
from ..persistence import load_model, save_model
from ._results import FleetResult, SeriesResult, model_filename

__all__ = []  # private helper of skvaelstm.fleet


def _run(series, *, fit, score, model_dir, train_size, n_jobs, threads, read, verbose,
         estimator=None, models=None):
    """Check the arguments here, run one task per series through joblib."""
    if not hasattr(series, "items"):
        raise TypeError(f"series must be a mapping name -> series, got {type(series).__name__}.")
    _check_train_size(train_size)
    threads = _task_threads(threads)
    if model_dir is not None:
        # absolute: workers may run in another directory
        model_dir = os.path.abspath(os.fspath(model_dir))
        files = {}
        for name in series:
            other = files.setdefault(model_filename(name), name)
            if other is not name and other != name:
                raise ValueError(f"series {other!r} and {name!r} would share the model file "
                                 f"{model_filename(name)!r}; give them distinct names.")
        os.makedirs(model_dir, exist_ok=True)
    tasks = (joblib.delayed(_task)(name, _portable(source),
                                   estimator if fit else _model_of(models, name),
                                   fit=fit, score=score, train_size=train_size,
                                   model_dir=model_dir, threads=threads, read=read)
             for name, source in series.items())
    results = joblib.Parallel(n_jobs=n_jobs, verbose=verbose)(tasks)
    return FleetResult(zip(series.keys(), results))


def _check_train_size(train_size):
    if train_size is None:
        return
    if isinstance(train_size, (bool, np.bool_)):
        raise TypeError("train_size must be an int, a float or None, not a bool.")
    if isinstance(train_size, (int, np.integer)):
        if train_size < 1:
            raise ValueError(f"train_size={train_size} must be at least 1 row.")
    elif isinstance(train_size, (float, np.floating)):
        if not 0 < train_size < 1:
            raise ValueError(f"train_size={train_size} must be in (0, 1) as a share of rows.")
    else:
        raise TypeError(f"train_size must be an int, a float or None, got {train_size!r}.")


def _task_threads(threads):
    """Checked ``torch_threads``: "auto" (keep each detector's ``n_threads``), an
    int >= 1 or None."""
    if threads is None or (isinstance(threads, str) and threads == "auto"):
        return threads
    if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)) or threads < 1:
        raise ValueError(f"torch_threads must be 'auto', an int >= 1 or None, got {threads!r}.")
    return int(threads)


def _portable(source):
    """Paths made absolute, so workers in another directory find the same file."""
    if isinstance(source, (str, os.PathLike)):
        return os.path.abspath(os.fspath(source))
    return source


def _model_of(models, name):
    """The model for ``name`` as sent to the worker, or an exception to report there."""
    if name not in models:
        return KeyError(f"no model for series {name!r}.")
    model = models[name]
    if isinstance(model, SeriesResult):
        if model.model_path is not None:
            return model.model_path
        if model.estimator is not None:
            return model.estimator
        return ValueError(f"series {name!r} has no fitted model (its fit failed: "
                          f"{model.error}).")
    return _portable(model)


def _task(name, source, model, *, fit, score, train_size, model_dir, threads, read):
    """Everything done for one series on a worker; failures are returned, not raised."""
    result = SeriesResult(name=name)
    stage = "load"
    try:
        X = _load_series(source, **read)
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
