"""The model file format: what :func:`skvaelstm.persistence.save_model` writes and
how a read file becomes a detector again.

A file is a torch archive of one dict (the *payload*): the format name and
version, a JSON *document* (package versions, parameters, fitted attributes,
metadata, and a live scorer's state), the numeric arrays the document refers to
(``_serialization``), the two networks' weights and a SHA-256 checksum over all
of them. Only tensors, strings and numbers: ``torch.load(weights_only=True)``
reads it without running code.
"""

import json
import platform

import numpy as np
import sklearn
import torch

from .._model._compat import InvalidParameterError
from .._model._detector import VAELSTMDetector
from .._model._device import _available_or_cpu
from .._model._networks import _build_networks
from .._model._validation import _first_line
from ._model_errors import ModelFileError, _corrupted
from ._serialization import _atomic_write, _cpu_state, _decode, _digest, _encode, _json_param
from ._upgrade import (
    _ADDED_PARAMETERS,
    _derive_threshold,
    _new_threshold_needed,
    _upgrade_attributes,
)

__all__ = []

# Written into every file; bump when old readers could misread new files.
_FORMAT_VERSION = 1
_FORMAT_NAME = "skvaelstm-model"
# Attributes rebuilt from the parameters and the weights, not stored as values.
_NETWORKS = ("vae_", "lstm_")
# The fitted attributes a file may set (tests/test_model_files.py checks that a
# fit makes exactly these); anything else in a file is refused, not set.
_REQUIRED_ATTRIBUTES = frozenset({
    "offset_", "mean_", "scale_", "device_", "n_iter_", "loss_curve_",
    "validation_loss_curve_", "best_validation_loss_", "n_features_in_"})
_OPTIONAL_ATTRIBUTES = frozenset({
    "feature_names_in_",                 # only for DataFrames with string column names
    "window_size_", "error_scale_",      # absent from skvaelstm 0.1 files: upgraded
    "n_windows_", "validation_rows_", "error_tail_",  # absent from files of 0.2.0
    "train_scores_", "threshold_params_"})             # absent from files before 0.3


# --------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------
def _write(path, estimator, stream, metadata):
    """Write the fitted ``estimator`` (and the state of ``stream``, a scorer of it,
    or None) to ``path``."""
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


def _versions():
    """The versions a file records (``read_model_info(path)["versions"]``)."""
    from .. import __version__

    return {"skvaelstm": __version__, "torch": torch.__version__, "numpy": np.__version__,
            "scikit-learn": sklearn.__version__, "python": platform.python_version()}


# --------------------------------------------------------------------------
# reading
# --------------------------------------------------------------------------
def _document(payload, path):
    """The checked JSON document of a loaded payload."""
    if (not isinstance(payload, dict) or payload.get("format") != _FORMAT_NAME
            or not isinstance(payload.get("format_version"), int)):
        raise ModelFileError(f"{path} is a PyTorch file but not a skvaelstm model file.")
    version = payload["format_version"]
    if version > _FORMAT_VERSION:
        from .. import __version__

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


def _from_payload(payload, path, threshold_data):
    """The detector (or live scorer) of a loaded payload, on its device."""
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
        _set_attributes(estimator, document["attributes"], arrays, path)
        from_0_1 = _upgrade_attributes(estimator)
        vae, lstm = _build(estimator, payload)
    except ModelFileError:
        raise
    except (KeyError, TypeError, ValueError, RuntimeError, AttributeError) as exc:
        raise ModelFileError(f"{path} is corrupted or incomplete: {_first_line(exc)}") from None
    new_threshold = _new_threshold_needed(estimator, from_0_1, path, threshold_data)
    device = _available_or_cpu(estimator.device_, stacklevel=4)
    estimator.device_ = device
    estimator.vae_, estimator.lstm_ = vae.to(device).eval(), lstm.to(device).eval()
    if new_threshold:
        _derive_threshold(estimator, path, threshold_data, stacklevel=4)
    if "stream" not in document:
        return estimator
    from ..streaming import StreamScorer

    try:
        return StreamScorer._from_document(estimator, document["stream"], arrays)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ModelFileError(f"{path} has a damaged stream state: {_first_line(exc)}") from None


def _set_attributes(estimator, attributes, arrays, path):
    """Set the stored fitted attributes: the known ones, all required ones."""
    names = set(attributes)
    strange = names - _REQUIRED_ATTRIBUTES - _OPTIONAL_ATTRIBUTES
    missing = _REQUIRED_ATTRIBUTES - names
    if strange or missing:
        raise ModelFileError(
            f"{path} is not a model file this skvaelstm wrote: "
            + "; ".join(text for text in (
                strange and f"unknown attributes {', '.join(sorted(strange))}",
                missing and f"missing attributes {', '.join(sorted(missing))}") if text)
            + ".")
    for name, value in attributes.items():
        setattr(estimator, name, _decode(value, arrays))


def _build(estimator, payload):
    """The networks of ``estimator``'s shape with the stored weights (CPU)."""
    vae, lstm = _build_networks(estimator.n_features_in_, estimator.window_size_,
                                estimator.code_size, estimator.vae_hidden_size,
                                estimator.lstm_hidden_size)
    vae.load_state_dict(payload["vae_state"])
    lstm.load_state_dict(payload["lstm_state"])
    return vae, lstm
