"""Safe model files for :class:`~skvaelstm.VAELSTMDetector`.

A model file is a PyTorch archive (``torch.save``) holding **only** tensors,
strings and numbers: the network weights, the numeric fitted attributes as
tensors, and a JSON document with the format version, the package versions,
the estimator parameters and the other fitted attributes. It is read back with
``torch.load(..., weights_only=True)``, which cannot run code, and the networks
are rebuilt from the parameters, so a file from an unknown source is safe to
load.

Pickle and joblib files (``pickle.dump(detector)``, ``joblib.dump(detector)``)
can run arbitrary code while they are read. :func:`load_model` recognises
them and refuses them unless the caller passes ``trusted=True``.

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

import gzip
import json
import lzma
import os
import pickle
import platform
import struct
import zipfile
import zlib

import numpy as np
import sklearn
import torch
from sklearn.utils.validation import check_is_fitted

from ._compat import InvalidParameterError
from ._detector import VAELSTMDetector
from ._device import _available_or_cpu
from ._networks import _build_networks
from ._serialization import (
    _atomic_write,
    _cpu_state,
    _decode,
    _digest,
    _encode,
    _json_param,
)
from ._validation import _first_line

__all__ = ["ModelFileError", "UntrustedModelFileError", "load_model", "read_model_info",
           "save_model"]

# Written into every file; bump when old readers could misread new files.
_FORMAT_VERSION = 1
_FORMAT_NAME = "skvaelstm-model"
# First bytes of files that only unpickling can read: pickle protocols 2-5
# and the compressors joblib uses (zlib, gzip, bz2, xz, lzma, lz4).
_PICKLE_SIGNATURES = (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05", b"\x78\x01",
                      b"\x78\x5e", b"\x78\x9c", b"\x78\xda", b"\x1f\x8b", b"BZh",
                      b"\xfd7zXZ\x00", b"\x5d\x00\x00", b"\x04\x22\x4d\x18")
_ZIP_SIGNATURE = b"PK\x03\x04"
# Attributes rebuilt from the parameters and the weights, not stored as values.
_NETWORKS = ("vae_", "lstm_")
# The fitted attributes a file may set (tests/test_persistence.py checks that a
# fit makes exactly these); anything else in a file is refused, not set.
_REQUIRED_ATTRIBUTES = frozenset({
    "offset_", "mean_", "scale_", "device_", "n_iter_", "loss_curve_",
    "validation_loss_curve_", "best_validation_loss_", "n_features_in_"})
_OPTIONAL_ATTRIBUTES = frozenset({
    "feature_names_in_",                 # only for DataFrames with string column names
    "window_size_", "error_scale_"})     # absent from skvaelstm 0.1 files: upgraded
# Parameters added after skvaelstm 0.1, with the values that reproduce 0.1 when
# a 0.1 file lacks them (the current defaults would not: "both" cannot score
# with 0.1's per-row aggregations).
_ADDED_PARAMETERS = {"error_source": "prediction", "learning_rate": "constant",
                     "n_threads": None}
# What a damaged pickle raises while being read; failures to import what it
# refers to (version skew) and MemoryError are reported as what they are.
_DAMAGED_PICKLE = (pickle.UnpicklingError, EOFError, ValueError, TypeError, KeyError,
                   IndexError, struct.error, zlib.error, lzma.LZMAError, gzip.BadGzipFile)


class ModelFileError(ValueError):
    """A model file is missing parts, corrupted, truncated or of another format."""


class UntrustedModelFileError(ModelFileError):
    """A model file can only be read by unpickling, and ``trusted`` was not set."""


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
    arrays = {}
    params = {name: _json_param(name, value)
              for name, value in estimator.get_params(deep=False).items()}
    attributes = {name: _encode(value, name, arrays) for name, value in vars(estimator).items()
                  if name.endswith("_") and not name.startswith("_") and name not in _NETWORKS}
    document = {
        "format": _FORMAT_NAME,
        "format_version": _FORMAT_VERSION,
        "estimator": type(estimator).__name__,
        "versions": _versions(),
        "params": params,
        "attributes": attributes,
        "metadata": metadata if metadata is not None else {},
    }
    if stream is not None:   # older readers ignore this key and load the detector
        document["stream"] = stream._to_document(arrays)
    try:
        text = json.dumps(document)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"metadata must be JSON-serialisable: {exc}") from None
    payload = {
        "format": _FORMAT_NAME,
        "format_version": _FORMAT_VERSION,
        "document": text,
        "arrays": arrays,
        "vae_state": _cpu_state(estimator.vae_),
        "lstm_state": _cpu_state(estimator.lstm_),
    }
    payload["sha256"] = _digest(text, arrays, payload["vae_state"], payload["lstm_state"])
    _atomic_write(path, lambda handle: torch.save(payload, handle))


def load_model(path, *, trusted=False):
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
        by a newer skvaelstm with a format this version cannot read.
    """
    path = os.fspath(path)
    kind = _file_kind(path)
    if kind == "zip":
        payload = _torch_load_safely(path, trusted)
        if not isinstance(payload, dict):  # a trusted full dump of a detector
            return _check_unpickled(payload, path)
        return _from_payload(payload, path)
    if not trusted:
        raise UntrustedModelFileError(
            f"{path} is a pickle/joblib file: reading it runs code stored in the file. "
            "Pass trusted=True (command line: --trusted) only if you trust its source, "
            "or re-save the model with save_model() to get a safe file.")
    import joblib  # a scikit-learn dependency; also reads plain pickles

    try:
        estimator = joblib.load(path)
    except (*_DAMAGED_PICKLE, ImportError, AttributeError) as exc:
        raise _unpickling_failed(path, exc) from exc
    return _check_unpickled(estimator, path)


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


# --------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------
def _versions():
    from . import __version__

    return {"skvaelstm": __version__, "torch": torch.__version__, "numpy": np.__version__,
            "scikit-learn": sklearn.__version__, "python": platform.python_version()}


# --------------------------------------------------------------------------
# reading
# --------------------------------------------------------------------------
def _file_kind(path):
    """``"zip"`` (torch archive) or ``"pickle"``; other content raises."""
    with open(path, "rb") as handle:  # FileNotFoundError etc. propagate as they are
        head = handle.read(8)
    if head.startswith(_ZIP_SIGNATURE):
        return "zip"
    if head.startswith(_PICKLE_SIGNATURES):
        return "pickle"
    what = "is empty" if not head else "is not a skvaelstm model file (unrecognised content)"
    raise ModelFileError(f"{path} {what}.")


def _torch_load_safely(path, trusted):
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        unsafe = _unsafe_globals(path)
        if not unsafe:
            raise _corrupted(path) from exc
        if not trusted:
            raise UntrustedModelFileError(
                f"{path} is a full PyTorch dump that needs unpickling ({', '.join(unsafe[:3])}"
                f"{', ...' if len(unsafe) > 3 else ''}): reading it runs code stored in the "
                "file. Pass trusted=True (command line: --trusted) only if you trust its "
                "source, or re-save the model with save_model().") from None
        try:
            return torch.load(path, map_location="cpu", weights_only=False)
        except (*_DAMAGED_PICKLE, RuntimeError, ImportError, AttributeError) as inner:
            raise _unpickling_failed(path, inner) from inner
    except (RuntimeError, OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        # what torch raises for damaged archives; a missing file was found earlier
        raise _corrupted(path) from exc


def _unpickling_failed(path, exc):
    if isinstance(exc, (ImportError, AttributeError)):
        return ModelFileError(
            f"{path} refers to code this installation does not have ({_first_line(exc)}): "
            "it was written with other versions of skvaelstm or its dependencies (see "
            "read_model_info of a model file); load it there and re-save it with save_model().")
    return ModelFileError(
        f"{path} could not be unpickled (truncated or corrupted?): {_first_line(exc)}")


def _corrupted(path, detail="the archive cannot be read"):
    # torch's own messages are long and sometimes misleading (an "Unsupported
    # operand" blurb about weights_only); they stay in the exception chain.
    return ModelFileError(f"{path} is truncated or corrupted ({detail}); it is not a valid "
                          "skvaelstm model file.")


def _unsafe_globals(path):
    """Classes the archive's pickle would import; [] if it cannot be read at all."""
    try:
        return torch.serialization.get_unsafe_globals_in_checkpoint(path)
    except (RuntimeError, OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile,
            pickle.UnpicklingError):   # unreadable: corrupted, reported by the caller
        return []


def _document(payload, path):
    if (not isinstance(payload, dict) or payload.get("format") != _FORMAT_NAME
            or not isinstance(payload.get("format_version"), int)):
        raise ModelFileError(f"{path} is a PyTorch file but not a skvaelstm model file.")
    version = payload["format_version"]
    if version > _FORMAT_VERSION:
        from . import __version__

        raise ModelFileError(
            f"{path} uses model format version {version}, but this skvaelstm "
            f"({__version__}) reads versions up to {_FORMAT_VERSION}; upgrade skvaelstm "
            "(pip install -U skvaelstm) to load it.")
    try:
        intact = payload["sha256"] == _digest(payload["document"], payload["arrays"],
                                              payload["vae_state"], payload["lstm_state"])
        document = json.loads(payload["document"]) if intact else None
    except (KeyError, TypeError, ValueError, AttributeError, RuntimeError) as exc:
        raise _corrupted(path, "parts are missing or unreadable") from exc
    if document is None:
        raise _corrupted(path, "its checksum does not match its content")
    return document


def _from_payload(payload, path):

    document = _document(payload, path)
    try:
        params, arrays = document["params"], payload["arrays"]
        unknown = set(params) - set(VAELSTMDetector().get_params())
        if unknown:
            raise ModelFileError(
                f"{path} has parameters unknown to this skvaelstm ({', '.join(sorted(unknown))});"
                " upgrade skvaelstm to load it.")
        estimator = VAELSTMDetector(**{**_ADDED_PARAMETERS, **params})
        try:
            estimator._validate_params()
        except InvalidParameterError as exc:
            raise ModelFileError(f"{path} holds invalid parameters: {exc}") from None
        names = set(document["attributes"])
        strange = names - _REQUIRED_ATTRIBUTES - _OPTIONAL_ATTRIBUTES
        missing = _REQUIRED_ATTRIBUTES - names
        if strange or missing:
            raise ModelFileError(
                f"{path} is not a model file this skvaelstm wrote: "
                + "; ".join(text for text in (
                    strange and f"unknown attributes {', '.join(sorted(strange))}",
                    missing and f"missing attributes {', '.join(sorted(missing))}") if text)
                + ".")
        for name, value in document["attributes"].items():
            setattr(estimator, name, _decode(value, arrays))
        _upgrade_attributes(estimator)
        vae, lstm = _build_networks(estimator.n_features_in_, estimator.window_size_,
                                    estimator.code_size, estimator.vae_hidden_size,
                                    estimator.lstm_hidden_size)
        vae.load_state_dict(payload["vae_state"])
        lstm.load_state_dict(payload["lstm_state"])
    except ModelFileError:
        raise
    except (KeyError, TypeError, ValueError, RuntimeError, AttributeError) as exc:
        raise ModelFileError(f"{path} is corrupted or incomplete: {_first_line(exc)}") from None
    device = _available_or_cpu(estimator.device_, stacklevel=4)
    estimator.device_ = device
    estimator.vae_, estimator.lstm_ = vae.to(device).eval(), lstm.to(device).eval()
    if "stream" not in document:
        return estimator
    from .streaming import StreamScorer

    try:
        return StreamScorer._from_document(estimator, document["stream"], arrays)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ModelFileError(f"{path} has a damaged stream state: {_first_line(exc)}") from None


def _upgrade_attributes(estimator):
    """Parameters and fitted attributes that files of skvaelstm 0.1 lack, with the
    values that keep their behaviour: the given window, no per-channel error
    scaling, 0.1's error source and schedule, torch's thread setting. Scores stay
    the same for one channel; over several channels they are now combined by the
    geometric mean (0.1: the arithmetic mean)."""
    for name, value in _ADDED_PARAMETERS.items():
        if name not in vars(estimator):            # a trusted 0.1 pickle
            setattr(estimator, name, value)
    if not hasattr(estimator, "window_size_"):
        estimator.window_size_ = estimator.window_size
    if not hasattr(estimator, "error_scale_"):
        estimator.error_scale_ = np.ones((2, estimator.n_features_in_))


def _check_unpickled(estimator, path):
    from .streaming import StreamScorer

    if isinstance(estimator, StreamScorer):
        _check_unpickled(estimator.detector, path)
        return estimator
    if not isinstance(estimator, VAELSTMDetector):
        raise ModelFileError(f"{path} holds a {type(estimator).__name__}, "
                             "not a VAELSTMDetector.")
    if hasattr(estimator, "offset_"):
        _upgrade_attributes(estimator)
    return estimator
