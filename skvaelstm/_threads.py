"""Torch's intra-op thread count for one fit or scoring call, safe under threads.

``torch.set_num_threads`` is process state: the calling thread's OpenMP and MKL
settings plus the default that new threads start with. A fit that changed it
for good would slow down (or speed up) the caller's own torch code, and two
fits in threads that each set and later restore it would change the other's
count halfway through a fit, which changes its floating-point results.

:func:`_torch_threads` therefore lets fits with the *same* count run together
and makes a fit that wants a different count wait until they are done; each
thread restores its own previous setting when it leaves. Nested use in one
thread (``fit`` scores its training rows) keeps the outer setting.
"""

import threading
from contextlib import contextmanager

import torch

__all__ = []

_condition = threading.Condition()
_active = {"count": 0, "n_threads": None}
_local = threading.local()


@contextmanager
def _torch_threads(n_threads):
    """Run the block with ``n_threads`` torch threads (None: leave torch alone)."""
    if n_threads is None or getattr(_local, "depth", 0) > 0:
        _local.depth = getattr(_local, "depth", 0) + 1
        try:
            yield
        finally:
            _local.depth -= 1
        return
    n_threads = int(n_threads)
    with _condition:
        _condition.wait_for(lambda: _active["count"] == 0
                            or _active["n_threads"] == n_threads)
        _active["count"] += 1
        _active["n_threads"] = n_threads
        previous = torch.get_num_threads()
        if previous != n_threads:
            torch.set_num_threads(n_threads)
    _local.depth = 1
    try:
        yield
    finally:
        _local.depth = 0
        with _condition:
            if torch.get_num_threads() != previous:
                torch.set_num_threads(previous)
            _active["count"] -= 1
            if _active["count"] == 0:
                _active["n_threads"] = None
                _condition.notify_all()
