"""Resolution of the ``device`` parameter to a ``torch.device``."""

import copy
import warnings

import torch

from ..exceptions import InputError


def _resolve_device(device):
    """Map ``"auto"``, ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"mps"`` to a device.

    ``"auto"`` picks CUDA, then Apple's MPS, then the CPU. An explicit device
    that is not available raises ``ValueError`` instead of silently falling back.
    """
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        resolved = torch.device(device)
    except RuntimeError as exc:
        raise InputError(f"device={device!r} is not a valid torch device: {exc}") from None
    if resolved.type == "cuda":
        if not torch.cuda.is_available():
            raise InputError(f"device={device!r} was requested but CUDA is not available.")
        if resolved.index is not None and resolved.index >= torch.cuda.device_count():
            raise InputError(
                f"device={device!r}: only {torch.cuda.device_count()} CUDA device(s) exist."
            )
    elif resolved.type == "mps":
        if not _mps_available():
            raise InputError(f"device={device!r} was requested but MPS is not available.")
    elif resolved.type != "cpu":
        raise InputError(
            f"device={device!r} is not supported; use 'auto', 'cpu', 'cuda[:N]' or 'mps'.")
    return resolved


def _device_available(device):
    """Whether a stored device exists on this machine (used when unpickling)."""
    if device.type == "cuda":
        return torch.cuda.is_available() and (device.index or 0) < torch.cuda.device_count()
    if device.type == "mps":
        return _mps_available()
    return True


def _mps_available():
    mps = getattr(torch.backends, "mps", None)   # absent from some torch builds
    return mps is not None and mps.is_available()


def _available_or_cpu(device, stacklevel=3):
    """``device`` if it exists on this machine, else the CPU with a warning.

    A model fitted on a GPU must still load on a CPU-only machine (pickles and
    model files alike).
    """
    if device.type != "cpu" and not _device_available(device):
        warnings.warn(f"model was fitted on {device}, which is not available here; "
                      "it is loaded on the CPU.", UserWarning, stacklevel=stacklevel)
        return torch.device("cpu")
    return device


class _DevicePortablePickle:
    """Pickles that load anywhere: networks are stored on the CPU and moved back
    to the fitted device on load, or to the CPU with a warning if it is missing
    (a GPU-trained model must unpickle on a CPU-only machine)."""

    def __getstate__(self):
        # a copy: on Python >= 3.11 object.__getstate__ returns the live __dict__
        state = dict(super().__getstate__())
        for name in ("vae_", "lstm_"):
            if name in state:
                state[name] = copy.deepcopy(state[name]).cpu()
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        if "device_" in state:
            self.device_ = _available_or_cpu(state["device_"])
            self.vae_ = self.vae_.to(self.device_)
            self.lstm_ = self.lstm_.to(self.device_)
