"""Private helpers of :mod:`skvaelstm.persistence` (also used by the command line).

Fitted attributes are stored as JSON with small tagged objects for what JSON
cannot hold: ``{"__array__": name}`` for numeric arrays (kept as tensors next
to the JSON), ``{"__strings__": [...]}`` for string arrays, ``{"__device__":
"cuda:0"}`` and ``{"__dict__": {...}}``.
"""

import contextlib
import hashlib
import numbers
import os
import secrets
import warnings

import numpy as np
import torch

__all__ = []


def _json_param(name, value):
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if value is None or isinstance(value, str):
        return value
    if name == "random_state":
        # a RandomState instance cannot be stored; it only seeded the fit,
        # whose result (the weights) is stored exactly.
        warnings.warn("random_state is a RandomState instance, which a model file cannot "
                      "store; the loaded model has random_state=None.", UserWarning,
                      stacklevel=3)
        return None
    raise TypeError(f"parameter {name}={value!r} cannot be stored in a model file.")


def _encode(value, name, arrays):
    """JSON-able form of a fitted attribute; numeric arrays go to ``arrays``."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if value is None or isinstance(value, (str, int, float)):
        return value
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, torch.device):
        return {"__device__": str(value)}
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "biuf":
            arrays[name] = torch.from_numpy(np.ascontiguousarray(value).copy())
            return {"__array__": name}
        if value.dtype.kind in "OUS" and all(isinstance(v, str) for v in value.ravel()):
            return {"__strings__": value.tolist(), "dtype": value.dtype.str}
    if isinstance(value, (list, tuple)):
        return [_encode(v, f"{name}[{i}]", arrays) for i, v in enumerate(value)]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"__dict__": {k: _encode(v, f"{name}.{k}", arrays) for k, v in value.items()}}
    raise TypeError(f"fitted attribute {name} of type {type(value).__name__} cannot be "
                    "stored in a model file.")


def _decode(value, arrays):
    if isinstance(value, list):
        return [_decode(v, arrays) for v in value]
    if not isinstance(value, dict):
        return value
    if "__array__" in value:
        return arrays[value["__array__"]].numpy()
    if "__strings__" in value:
        return np.asarray(value["__strings__"], dtype=np.dtype(value["dtype"]))
    if "__device__" in value:
        return torch.device(value["__device__"])
    return {k: _decode(v, arrays) for k, v in value["__dict__"].items()}


def _cpu_state(module):
    return {key: tensor.detach().cpu().clone() for key, tensor in module.state_dict().items()}


def _digest(document, arrays, vae_state, lstm_state):
    """SHA-256 of the description and every tensor: torch does not check data."""
    sha = hashlib.sha256(document.encode())
    for group, tensors in (("arrays", arrays), ("vae", vae_state), ("lstm", lstm_state)):
        for key in sorted(tensors):
            tensor = tensors[key].detach().cpu().contiguous()
            sha.update(f"{group}/{key}/{tensor.dtype}/{tuple(tensor.shape)}".encode())
            sha.update(tensor.view(-1).view(torch.uint8).numpy().tobytes()
                       if tensor.numel() else b"")
    return sha.hexdigest()


def _atomic_write(path, write):
    """Write via ``write(binary_handle)`` to a temporary file, then rename onto ``path``.

    An interrupted write never leaves a partial file at ``path``. The temporary
    file is created with mode 0o666 so that the umask applies, as for a plain
    ``open`` (``tempfile`` would make it private to the user).
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    temporary = os.path.join(directory, f".{os.path.basename(path)}.{secrets.token_hex(6)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise
