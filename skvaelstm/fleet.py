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

from ._fleet._results import FleetResult, SeriesResult, model_filename
from ._fleet._runner import _run
from ._model._threads import _torch_threads

__all__ = ["FleetResult", "SeriesResult", "detect_fleet", "fit_fleet",
           "limit_worker_threads", "model_filename", "score_fleet", "torch_threads"]

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
