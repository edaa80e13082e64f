"""Fit and score one detector per series for fleets of KPIs, on any joblib backend.

Monitoring thousands of KPIs means one :class:`~skvaelstm.VAELSTMDetector` per
series. :func:`fit_fleet`, :func:`score_fleet` and :func:`detect_fleet` (fit,
then score) take a mapping ``name -> series`` and return a :class:`FleetResult`
(a dict ``name -> SeriesResult``, in the input order). The work runs through
``joblib.Parallel``, so the same call runs sequentially (``n_jobs=None``), on
local processes (``n_jobs=2``, joblib's loky backend) or on a Dask cluster::

    from dask.distributed import Client
    import joblib

    client = Client("tcp://scheduler:8786")        # or Client(LocalCluster(...))
    with joblib.parallel_backend("dask"):
        result = detect_fleet(VAELSTMDetector(max_iter=20), series)

A series is an array (1-D: one channel), a pandas DataFrame or Series, a path to
a CSV (possibly compressed) or Parquet file, or a callable without arguments
that returns one of these. Paths and callables are read *on the worker*, so the
data never passes through the calling process; on a multi-node cluster they
must name files every worker can read (a shared file system, or URLs pandas
can open).

Errors of one series (too few rows, NaN, an unreadable file, diverging training)
do not stop the others: each :class:`SeriesResult` reports its ``error`` (the
exception type and message), the ``stage`` that failed and the ``traceback``.
Only :class:`Exception` is reported this way; ``KeyboardInterrupt`` and other
``BaseException`` still stop the whole run. Check ``result.errors`` after every
run: an error here is reported, not hidden.

Torch threads: each task's detector uses its own ``n_threads`` (1 by default),
so tasks running side by side do not oversubscribe the cores. ``torch_threads``
sets ``n_threads`` of every task's detector instead: an int, or None for
torch's current setting on the worker; ``"auto"`` (the default) keeps the
estimator's. The detectors returned carry the ``n_threads`` they ran with.
"""

import copy
import os
import time
import traceback
from dataclasses import dataclass
from urllib.parse import quote

import joblib
import numpy as np
from sklearn.base import clone

from ._io._tables import _load_series
from ._model._threads import _torch_threads
from .persistence import load_model, save_model

__all__ = ["FleetResult", "SeriesResult", "detect_fleet", "fit_fleet",
           "limit_worker_threads", "model_filename", "score_fleet", "torch_threads"]

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

    The setting is the calling thread's (torch's OpenMP threads are per
    thread), and that thread gets its previous setting back. Fits called
    inside the block in the same thread keep this setting.

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


class FleetResult(dict):
    """``name -> SeriesResult`` in the order of the input mapping."""

    @property
    def errors(self):
        """``name -> error message`` of the series that failed."""
        return {name: r.error for name, r in self.items() if r.error is not None}

    @property
    def succeeded(self):
        """Names of the series that did not fail."""
        return [name for name, r in self.items() if r.error is None]

    def to_frame(self):
        """One row per series: rows, timings, anomalies flagged, stage and error.

        Returns
        -------
        pandas.DataFrame
            Indexed by series name.
        """
        import pandas as pd

        rows = [{"n_samples": r.n_samples, "fit_seconds": r.fit_seconds,
                 "score_seconds": r.score_seconds,
                 "n_anomalies": None if r.labels is None else int(np.sum(r.labels == -1)),
                 "model_path": r.model_path, "stage": r.stage, "error": r.error}
                for r in self.values()]
        return pd.DataFrame(rows, index=pd.Index(list(self), name="name"))


def limit_worker_threads(client, n_threads=1):
    """Make every Dask worker of ``client`` use ``n_threads`` torch threads.

    Registers a worker plugin, so workers that join or restart later are set up
    too. Use it for code that does not go through this module, such as
    ``GridSearchCV`` under ``joblib.parallel_backend("dask")``: set
    ``n_threads * threads_per_worker * workers per machine`` to the machine's
    cores. (Dask's nanny already starts worker processes with
    ``OMP_NUM_THREADS=1``; this also covers other setups.)

    Parameters
    ----------
    client : dask.distributed.Client
    n_threads : int, default=1

    Returns
    -------
    dict
        The answer of each worker to the registration.
    """
    from ._fleet._dask import _TorchThreads  # needs distributed: imported only here

    plugin = _TorchThreads(int(n_threads))
    if hasattr(client, "register_plugin"):          # distributed >= 2023.9
        return client.register_plugin(plugin)
    return client.register_worker_plugin(plugin)


def fit_fleet(estimator, series, *, model_dir=None, train_size=None, n_jobs=None,
              torch_threads="auto", time_column=None, columns=None, verbose=0):
    """Fit one clone of ``estimator`` on each series.

    Parameters
    ----------
    estimator : VAELSTMDetector
        The configured (unfitted) detector; each series gets a ``clone`` of it,
        with the same ``random_state``.
    series : mapping
        ``name -> series``: array (1-D arrays are one channel), pandas DataFrame
        or Series, path to a CSV/Parquet file, or a callable returning one of
        these. Paths and callables are evaluated on the worker.
    model_dir : str, path-like or None, default=None
        If given, each fitted model is written there as
        ``model_filename(name)`` and only its path is sent back (no
        ``estimator``); on a cluster this must be a folder all workers share.
    train_size : int, float or None, default=None
        Fit on the first rows only: a number of rows (int) or a share of them
        (float in (0, 1)); None fits on all rows.
    n_jobs : int or None, default=None
        Passed to ``joblib.Parallel``; None follows the active
        ``joblib.parallel_backend`` (sequential without one).
    torch_threads : "auto", int or None, default="auto"
        ``n_threads`` of each task's detector; "auto" keeps the estimator's
        (see the module notes).
    time_column : str or None, default=None
        For tables (DataFrames and files): the column of timestamps (or
        numbers), not a channel. As on the command line, a series whose times
        are unsorted, duplicated or have gaps (a step over 1.5 times the median
        step) fails with an error naming the first such row; rows are never
        sorted or filled.
    columns : list of str or None, default=None
        For tables: the channels; all columns except ``time_column`` if None.
    verbose : int, default=0
        Progress messages of ``joblib.Parallel``.

    Returns
    -------
    FleetResult
        ``name -> SeriesResult`` with ``estimator`` or ``model_path``,
        ``n_samples`` and ``fit_seconds``, or ``error``.
    """
    return _run(series, estimator=estimator, fit=True, score=False, model_dir=model_dir,
                train_size=train_size, n_jobs=n_jobs, threads=torch_threads,
                read={"time_column": time_column, "columns": columns}, verbose=verbose)


def score_fleet(models, series, *, n_jobs=None, torch_threads="auto", time_column=None,
                columns=None, verbose=0):
    """Score each series with its own fitted detector.

    Parameters
    ----------
    models : mapping
        ``name -> model``: a fitted detector, a model file path (read on the
        worker with :func:`skvaelstm.persistence.load_model`), or the
        :class:`SeriesResult` of :func:`fit_fleet` (so a ``FleetResult`` can be
        passed as it is). A series without a usable model is reported as an
        error of stage ``"model"``.
    series : mapping
        ``name -> series`` as in :func:`fit_fleet`.
    n_jobs, torch_threads, time_column, columns, verbose
        As in :func:`fit_fleet`.

    Returns
    -------
    FleetResult
        ``name -> SeriesResult`` with ``scores``, ``decision``, ``labels`` and
        ``score_seconds``, or ``error``. The models are not sent back.
    """
    return _run(series, models=models, fit=False, score=True, model_dir=None,
                train_size=None, n_jobs=n_jobs, threads=torch_threads,
                read={"time_column": time_column, "columns": columns}, verbose=verbose)


def detect_fleet(estimator, series, *, model_dir=None, train_size=None, n_jobs=None,
                 torch_threads="auto", time_column=None, columns=None, verbose=0):
    """Fit a clone of ``estimator`` on each series, then score all its rows.

    One task per series reads it once, fits (on the first ``train_size``
    rows), writes the model if ``model_dir`` is given, and scores every row.
    Parameters are those of :func:`fit_fleet`.

    Returns
    -------
    FleetResult
        ``name -> SeriesResult`` with the fields of both :func:`fit_fleet` and
        :func:`score_fleet`, or ``error``.
    """
    return _run(series, estimator=estimator, fit=True, score=True, model_dir=model_dir,
                train_size=train_size, n_jobs=n_jobs, threads=torch_threads,
                read={"time_column": time_column, "columns": columns}, verbose=verbose)


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
