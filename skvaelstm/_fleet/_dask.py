"""Dask worker plugin of :func:`skvaelstm.fleet.limit_worker_threads` (needs ``distributed``)."""

from distributed.diagnostics.plugin import WorkerPlugin

__all__ = []  # private helper of skvaelstm.fleet


class _TorchThreads(WorkerPlugin):
    """Set torch's intra-op threads on every worker, including later ones."""

    # one registration per cluster: registering again replaces it
    name = "skvaelstm-torch-threads"

    def __init__(self, n_threads):
        self.n_threads = n_threads

    def setup(self, worker):
        import torch

        torch.set_num_threads(self.n_threads)
