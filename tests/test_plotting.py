"""plot_anomalies renders headless and writes a PNG."""

import numpy as np
import pandas as pd
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt

from skvaelstm.plotting import plot_anomalies

from .conftest import seasonal


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_panels_png_and_highlights(tmp_path):
    X = pd.DataFrame(seasonal(200, n_channels=2), columns=["load", "temp"])
    scores = -np.abs(np.random.default_rng(0).normal(size=200))
    labels = np.zeros(200, dtype=int)
    labels[[50, 120, 121, 122]] = 1  # a single-row window and a 3-row window
    stamps = pd.date_range("2024-01-01", periods=200, freq="h").to_numpy()
    fig = plot_anomalies(X, scores, threshold=-1.5, labels=labels, timestamps=stamps,
                         title="test")
    assert isinstance(fig, matplotlib.figure.Figure)
    assert len(fig.axes) == 3  # two channels and the score
    assert [ax.get_ylabel() for ax in fig.axes[:2]] == ["load", "temp"]
    score_ax = fig.axes[-1]
    n_flagged = int((scores < -1.5).sum())
    assert score_ax.collections[0].get_offsets().shape[0] == n_flagged
    assert len(score_ax.patches) == 2  # both label windows shaded, even the 1-row one
    assert any(text.get_text() == "threshold" for text in score_ax.get_legend().get_texts())
    path = tmp_path / "plot.png"
    fig.savefig(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size > 10_000


def test_univariate_flagged_as_predict_output_and_pm1_labels():
    X = np.arange(30.0)
    flagged = np.ones(30, dtype=int)
    flagged[[3, 4]] = -1
    labels = np.ones(30, dtype=int)
    labels[10:12] = -1
    fig = plot_anomalies(X, np.zeros(30), flagged=flagged, labels=labels)
    assert len(fig.axes) == 2
    assert fig.axes[0].get_ylabel() == "channel 0"
    assert fig.axes[-1].collections[0].get_offsets().shape[0] == 2
    assert len(fig.axes[0].patches) == 1


def test_bad_inputs():
    with pytest.raises(ValueError, match="scores has 5 values"):
        plot_anomalies(np.zeros((10, 1)), np.zeros(5))
    with pytest.raises(ValueError, match="channel_names"):
        plot_anomalies(np.zeros((10, 2)), np.zeros(10), channel_names=["a"])
    with pytest.raises(ValueError, match="labels"):
        plot_anomalies(np.zeros(10), np.zeros(10), labels=np.full(10, 7))


def test_missing_matplotlib_names_the_extra(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError("no matplotlib")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(ImportError, match=r"skvaelstm\[plot\]"):
        plot_anomalies(np.zeros(10), np.zeros(10))
