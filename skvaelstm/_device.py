"""Resolution of the ``device`` parameter to a ``torch.device``."""

import warnings

import torch


def _resolve_device(device):
    """Map ``"auto"``, ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"mps"`` to a device.

    ``"auto"`` picks CUDA, then Apple's MPS, then the CPU. An explicit device
    that is not available raises ``ValueError`` instead of silently falling back.
    """
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        resolved = torch.device(device)
    except RuntimeError as exc:
        raise ValueError(f"device={device!r} is not a valid torch device: {exc}") from None
    if resolved.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device={device!r} was requested but CUDA is not available.")
        if resolved.index is not None and resolved.index >= torch.cuda.device_count():
            raise ValueError(
                f"device={device!r}: only {torch.cuda.device_count()} CUDA device(s) exist."
            )
    elif resolved.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise ValueError(f"device={device!r} was requested but MPS is not available.")
    elif resolved.type != "cpu":
        raise ValueError(
            f"device={device!r} is not supported; use 'auto', 'cpu', 'cuda[:N]' or 'mps'.")
    return resolved


def _device_available(device):
    """Whether a stored device exists on this machine (used when unpickling)."""
    if device.type == "cuda":
        return torch.cuda.is_available() and (device.index or 0) < torch.cuda.device_count()
    if device.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        return mps is not None and mps.is_available()
    return True


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
