"""Resolution of the ``device`` parameter to a ``torch.device``."""

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
        raise ValueError(f"device={device!r} is not supported; use 'auto', 'cpu', 'cuda[:N]' or 'mps'.")
    return resolved


def _device_available(device):
    """Whether a stored device exists on this machine (used when unpickling)."""
    if device.type == "cuda":
        return torch.cuda.is_available() and (device.index or 0) < torch.cuda.device_count()
    if device.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        return mps is not None and mps.is_available()
    return True
