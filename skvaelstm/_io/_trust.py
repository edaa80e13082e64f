"""How a model file is opened: safe torch archives for anyone, pickles only when trusted.

A file of :func:`skvaelstm.persistence.save_model` is a torch archive that
``torch.load(weights_only=True)`` reads without running code, provided torch is
at least ``_MIN_TORCH``: before torch 2.6 a crafted file could run code even
then (CVE-2025-32434), so an older torch is refused here, not trusted. Files that
only unpickling can read (pickle, joblib, full ``torch.save`` dumps) run code
stored in them and are read only when the caller trusts them.
"""

import gzip
import lzma
import pickle
import re
import struct
import zipfile
import zlib

import torch

from .._model._validation import _first_line
from ._model_errors import ModelFileError, UntrustedModelFileError, _corrupted
from ._upgrade import _derive_threshold, _new_threshold_needed, _upgrade_attributes

__all__ = []

# The first torch whose weights_only loading is safe (CVE-2025-32434 was fixed in
# 2.6.0); setup.cfg requires the same (tests/test_model_files.py checks both agree).
_MIN_TORCH = (2, 6)
# First bytes of files that only unpickling can read: pickle protocols 2-5
# and the compressors joblib uses (zlib, gzip, bz2, xz, lzma, lz4).
_PICKLE_SIGNATURES = (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05", b"\x78\x01",
                      b"\x78\x5e", b"\x78\x9c", b"\x78\xda", b"\x1f\x8b", b"BZh",
                      b"\xfd7zXZ\x00", b"\x5d\x00\x00", b"\x04\x22\x4d\x18")
_ZIP_SIGNATURE = b"PK\x03\x04"
# What a damaged pickle raises while being read; failures to import what it
# refers to (version skew) and MemoryError are reported as what they are.
_DAMAGED_PICKLE = (pickle.UnpicklingError, EOFError, ValueError, TypeError, KeyError,
                   IndexError, struct.error, zlib.error, lzma.LZMAError, gzip.BadGzipFile)
_TRUST_ADVICE = ("Pass trusted=True (command line: --trusted) only if you trust its source, "
                 "or re-save the model with save_model() to get a safe file.")


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


def _check_torch(path):
    """Refuse to open ``path`` with a torch whose safe loading is not safe."""
    version = str(torch.__version__)
    match = re.match(r"(\d+)\.(\d+)", version)
    too_old = match is None or (int(match[1]), int(match[2])) < _MIN_TORCH
    # older torch lacks the inspection of full dumps (_unsafe_globals), without
    # which a dump cannot be told from a damaged file
    inspection = hasattr(torch.serialization, "get_unsafe_globals_in_checkpoint")
    if too_old or not inspection:
        minimum = ".".join(map(str, _MIN_TORCH))
        raise ModelFileError(
            f"{path} cannot be read safely with torch {version}: skvaelstm needs torch >= "
            f"{minimum} to load model files (before {minimum}, torch.load(weights_only=True) "
            "can run code stored in a file, CVE-2025-32434"
            + ("" if too_old else "; this build lacks "
               "torch.serialization.get_unsafe_globals_in_checkpoint")
            + f"). Upgrade torch: pip install -U 'torch>={minimum}'.")


def _torch_load_safely(path, trusted):
    """The object in the torch archive ``path``: read without running code, or,
    when it is a full dump and ``trusted``, unpickled."""
    _check_torch(path)
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
                f"file. {_TRUST_ADVICE}") from None
        try:
            return torch.load(path, map_location="cpu", weights_only=False)
        except (*_DAMAGED_PICKLE, RuntimeError, ImportError, AttributeError) as inner:
            raise _unpickling_failed(path, inner) from inner
    except (RuntimeError, OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        # what torch raises for damaged archives; a missing file was found earlier
        raise _corrupted(path) from exc


def _load_pickle(path, trusted):
    """The object in a pickle or joblib file, only if ``trusted``."""
    if not trusted:
        raise UntrustedModelFileError(
            f"{path} is a pickle/joblib file: reading it runs code stored in the file. "
            + _TRUST_ADVICE)
    import joblib  # a scikit-learn dependency; also reads plain pickles

    try:
        return joblib.load(path)
    except (*_DAMAGED_PICKLE, ImportError, AttributeError) as exc:
        raise _unpickling_failed(path, exc) from exc


def _unpickling_failed(path, exc):
    if isinstance(exc, (ImportError, AttributeError)):
        return ModelFileError(
            f"{path} refers to code this installation does not have ({_first_line(exc)}): "
            "it was written with other versions of skvaelstm or its dependencies (see "
            "read_model_info of a model file); load it there and re-save it with save_model().")
    return ModelFileError(
        f"{path} could not be unpickled (truncated or corrupted?): {_first_line(exc)}")


def _unsafe_globals(path):
    """Classes the archive's pickle would import; [] if it cannot be read at all."""
    try:
        return torch.serialization.get_unsafe_globals_in_checkpoint(path)
    except (RuntimeError, OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile,
            pickle.UnpicklingError):   # unreadable: corrupted, reported by the caller
        return []


def _unpickled_model(estimator, path, threshold_data):
    """A trusted unpickled object, checked to be a detector (or a live scorer of
    one) and upgraded from skvaelstm 0.1 like a model file."""
    from .._model._detector import VAELSTMDetector
    from ..streaming import StreamScorer

    detector = estimator.detector if isinstance(estimator, StreamScorer) else estimator
    if not isinstance(detector, VAELSTMDetector):
        raise ModelFileError(f"{path} holds a {type(detector).__name__}, "
                             "not a VAELSTMDetector.")
    fitted = hasattr(detector, "offset_")
    from_0_1 = fitted and _upgrade_attributes(detector)
    if _new_threshold_needed(detector, from_0_1, path, threshold_data):
        _derive_threshold(detector, path, threshold_data, stacklevel=4)
    return estimator
