"""Safe model files for :class:`~skvaelstm.VAELSTMDetector`.

A model file is a PyTorch archive (``torch.save``) holding **only** tensors,
strings and numbers: the network weights, the numeric fitted attributes as
tensors, and a JSON document with the format version, the package versions,
the estimator parameters and the other fitted attributes. It is read back with
``torch.load(..., weights_only=True)``, which cannot run code (torch 2.6 or
later: an older torch is refused), and the networks are rebuilt from the
parameters, so a file from an unknown source is safe to load.

Pickle and joblib files (``pickle.dump(detector)``, ``joblib.dump(detector)``)
can run arbitrary code while they are read. :func:`load_model` recognises
them and refuses them unless the caller passes ``trusted=True``.

Models saved by skvaelstm 0.1 keep loading. Those of several channels now score
on another scale than their threshold, which the file cannot restore: they are
refused unless the training rows are given to derive it again
(``load_model(path, threshold_data=X_train)``, with a
:class:`ModelUpgradeWarning`).

Examples
--------
>>> import numpy as np, tempfile, os
>>> from skvaelstm import VAELSTMDetector
>>> from skvaelstm.persistence import load_model, save_model
>>> X = np.sin(np.arange(300) / 4.0)[:, None]
>>> det = VAELSTMDetector(window_size=4, n_windows=3, max_iter=2,
...                       early_stopping=False, random_state=0).fit(X)
>>> path = os.path.join(tempfile.mkdtemp(), "model.skv")
>>> save_model(det, path)
>>> restored = load_model(path)
>>> bool(np.array_equal(restored.score_samples(X), det.score_samples(X)))
True
"""

import os

from sklearn.utils.validation import check_is_fitted

# The public entry points; the parts live in private modules: the file format
# (_model_format), the upgrade of 0.1 models (_upgrade), which files are read how
# and torch's safe loading (_trust), the exceptions (_model_errors).
from ._io._model_errors import ModelFileError, ModelUpgradeWarning, UntrustedModelFileError
from ._io._model_format import _document, _from_payload, _write
from ._io._trust import _file_kind, _load_pickle, _torch_load_safely, _unpickled_model

__all__ = ["ModelFileError", "ModelUpgradeWarning", "UntrustedModelFileError", "load_model",
           "read_model_info", "save_model"]


def save_model(estimator, path, *, metadata=None):
    """Write a fitted ``VAELSTMDetector`` (or a live scorer) to a safe, versioned model file.

    The file is written to a temporary name next to ``path`` and renamed, so
    an interrupted save never leaves a half-written model at ``path``.

    Parameters
    ----------
    estimator : VAELSTMDetector or StreamScorer
        A fitted detector (on any device; the weights are stored CPU-side),
        or a :class:`~skvaelstm.streaming.StreamScorer`: its detector and the
        state of its stream, which :func:`load_model` resumes exactly.
    path : str or path-like
        Destination; by convention with the suffix ``.skv``.
    metadata : dict or None, default=None
        Extra JSON-serialisable information stored with the model (the
        command line records the time column and the channels here); read it
        back with :func:`read_model_info`.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If ``estimator`` is not fitted.
    TypeError
        If ``metadata`` or a fitted attribute cannot be stored.
    """
    from .streaming import StreamScorer

    stream = None
    if isinstance(estimator, StreamScorer):
        stream, estimator = estimator, estimator.detector
    check_is_fitted(estimator)
    _write(path, estimator, stream, metadata)


def load_model(path, *, trusted=False, threshold_data=None):
    """Read a detector written by :func:`save_model` (or, if trusted, a pickle).

    Parameters
    ----------
    path : str or path-like
        A model file. Files of :func:`save_model` are read with
        ``torch.load(weights_only=True)`` and are safe from any source.
    trusted : bool, default=False
        Allow files that need unpickling (``pickle``/``joblib``/full
        ``torch.save`` dumps of a detector). Unpickling runs code stored in the
        file: set this only for files you created or fully trust.
    threshold_data : array-like of shape (n_samples, n_features) or None, default=None
        Only for a model of skvaelstm 0.1 with several channels: the rows it
        was fitted on. Its channels are now combined by a geometric mean (0.1:
        the arithmetic mean), so its stored threshold ``offset_`` no longer fits
        its scores; it is derived again from these rows as ``fit`` derives it
        (``set_threshold(threshold_data)``, which also keeps their scores in
        ``train_scores_``), with a
        :class:`ModelUpgradeWarning`. Save the result with :func:`save_model`
        to keep the new threshold.

    Returns
    -------
    estimator : VAELSTMDetector or StreamScorer
        The fitted detector, on its recorded device when that exists here,
        else on the CPU (with a ``UserWarning``); a ``StreamScorer``, ready to
        go on with its stream, when the file was saved from one.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    UntrustedModelFileError
        If the file needs unpickling and ``trusted`` is False.
    ModelFileError
        If the file is truncated, corrupted, not a model file, or was written
        by a newer skvaelstm with a format this version cannot read; if torch
        is older than 2.6, whose ``weights_only`` loading is not safe; if it
        holds a multi-channel model of skvaelstm 0.1 and ``threshold_data``
        is None.
    ValueError
        If ``threshold_data`` is given for any other model, or does not fit the
        model (number of channels, too few rows).
    """
    path = os.fspath(path)
    if _file_kind(path) == "zip":
        payload = _torch_load_safely(path, trusted)
        if isinstance(payload, dict):
            return _from_payload(payload, path, threshold_data)
        estimator = payload           # a trusted full torch dump of a detector
    else:
        estimator = _load_pickle(path, trusted)
    return _unpickled_model(estimator, path, threshold_data)


def read_model_info(path):
    """Format version, package versions, parameters and metadata of a model file.

    Reads only the JSON part of a :func:`save_model` file (safely); the
    networks are not built.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    info : dict
        Keys ``"format_version"``, ``"estimator"``, ``"versions"`` (skvaelstm,
        torch, numpy, scikit-learn, python), ``"params"``, ``"attributes"``
        (the fitted attributes other than the networks and arrays) and
        ``"metadata"``.
    """
    path = os.fspath(path)
    if _file_kind(path) != "zip":
        raise UntrustedModelFileError(
            f"{path} is a pickle/joblib file, not a skvaelstm model file; "
            "its information cannot be read without unpickling it.")
    document = _document(_torch_load_safely(path, trusted=False), path)
    return {key: document[key] for key in ("format_version", "estimator", "versions",
                                           "params", "attributes", "metadata")}
