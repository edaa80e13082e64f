"""What a fleet run returns: one ``SeriesResult`` per series, in a ``FleetResult``
(documented and exported by :mod:`skvaelstm.fleet`)."""

from dataclasses import dataclass
from urllib.parse import quote

import numpy as np

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
