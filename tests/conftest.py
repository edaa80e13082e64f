import signal

import numpy as np
import pandas as pd
import pytest
import torch

from skvaelstm import VAELSTMDetector

# A test run started in the background by a non-interactive shell (`cmd &`) inherits
# an ignored SIGINT, and exec'd children keep it ignored: the tests that stop
# `skvaelstm watch` with Ctrl-C would then wait for ever. A Python handler is reset
# to the default in children, whose interpreter then raises KeyboardInterrupt.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

# Small networks and few epochs: the tests check behaviour, not accuracy.
TINY = dict(window_size=4, n_windows=3, code_size=2, vae_hidden_size=16, lstm_hidden_size=8,
            max_iter=3, early_stopping=False, random_state=0)


# Rows of the ``data`` CSV fixture of the command-line tests.
N_ROWS = 300


def seasonal(n, period=25, noise=0.05, n_channels=1, seed=0):
    """Noisy sine waves (one phase-shifted per channel)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)[:, None]
    phase = np.arange(n_channels)[None, :]
    return np.sin(2 * np.pi * t / period + phase) + noise * rng.standard_normal((n, n_channels))


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    """Torch code of the tests themselves (reference computations, direct network calls)
    on one thread, like the detector's default ``n_threads=1``: on 2 shared cores a
    second thread makes each of their many tiny operations wait for the other (see
    benchmarks/results/threads.md). Tests of thread counts set their own."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def tiny():
    return VAELSTMDetector(**TINY)


@pytest.fixture(scope="session")
def series():
    return seasonal(400)


@pytest.fixture(scope="session")
def fitted(series):
    return VAELSTMDetector(**TINY).fit(series)


@pytest.fixture
def data(tmp_path):
    """A small CSV: timestamp, two channels, a 0/1 label column with one anomaly."""
    X = seasonal(N_ROWS, n_channels=2)
    X[200:204, 0] += 3.0
    label = np.zeros(N_ROWS, dtype=int)
    label[200:204] = 1
    stamps = pd.date_range("2024-03-01", periods=N_ROWS, freq="5min")
    frame = pd.DataFrame({"timestamp": stamps.strftime("%Y-%m-%d %H:%M:%S"),
                          "load": X[:, 0], "temp": X[:, 1], "label": label})
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    return path


class Exploit:
    """Unpickling this creates ``marker``: a stand-in for arbitrary code."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.fixture
def no_matplotlib(monkeypatch):
    """Make every ``import matplotlib...`` fail, as on a machine without it."""
    import builtins

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError("no matplotlib")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
