"""Torch's intra-op thread count for one fit or scoring call.

``torch.set_num_threads`` sets the calling thread's OpenMP and MKL thread
counts (and the count new threads start with). A fit that changed it for good
would slow down, or speed up, the caller's own torch code afterwards; so each
call sets the count in its own thread and gives that thread its previous
setting back. Another thread's running fit keeps its own count (measured on
torch's OpenMP build: ``tests/test_threads.py`` fits with 1 and 2 threads side
by side, each bit-identical to its run alone). Nested use in one thread (``fit``
scores its training rows) keeps the outer setting.
"""

import threading
from contextlib import contextmanager
from numbers import Integral

import torch

__all__ = []

_local = threading.local()


@contextmanager
def _torch_threads(n_threads):
    """Run the block with ``n_threads`` torch threads (None: leave torch alone)."""
    if n_threads is not None and (isinstance(n_threads, bool)
                                  or not isinstance(n_threads, Integral) or n_threads < 1):
        raise ValueError(f"n_threads must be an int >= 1 or None, got {n_threads!r}.")
    depth = getattr(_local, "depth", 0)
    previous = torch.get_num_threads()
    change = n_threads is not None and depth == 0 and previous != n_threads
    if change:
        torch.set_num_threads(int(n_threads))
    _local.depth = depth + 1
    try:
        yield
    finally:
        _local.depth = depth
        if change:
            torch.set_num_threads(previous)
