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


def test_missing_matplotlib_names_the_extra(no_matplotlib):
    with pytest.raises(ImportError, match=r"skvaelstm\[plot\]"):
        plot_anomalies(np.zeros(10), np.zeros(10))


def test_one_extreme_score_does_not_flatten_the_others():
    scores = -np.abs(np.random.default_rng(0).normal(size=300))
    scores[100] = -1e6
    fig = plot_anomalies(np.zeros(300), scores)
    score_ax = fig.axes[-1]
    assert score_ax.get_yscale() == "symlog" and "symlog" in score_ax.get_ylabel()
    linear = plot_anomalies(np.zeros(300), scores, score_scale="linear").axes[-1]
    assert linear.get_yscale() == "linear"
    with pytest.raises(ValueError, match="score_scale"):
        plot_anomalies(np.zeros(300), scores, score_scale="log")


def test_end_of_training_is_marked_and_the_legend_is_beside_the_data():
    fig = plot_anomalies(np.zeros(100), np.zeros(100), threshold=-1.0, train_end=60)
    score_ax = fig.axes[-1]
    texts = [t.get_text() for t in score_ax.get_legend().get_texts()]
    assert "end of training rows" in texts
    assert [line.get_xdata()[0] for line in score_ax.lines if line.get_linestyle() == ":"] == [
        59.5]
    assert score_ax.get_legend().get_bbox_to_anchor().x0 > score_ax.bbox.x1  # right of it
    with pytest.raises(ValueError, match="train_end"):
        plot_anomalies(np.zeros(100), np.zeros(100), train_end=101)


def test_gaps_in_time_are_not_drawn_as_lines():
    stamps = np.concatenate([np.arange(50), np.arange(80, 130)]).astype(float)
    fig = plot_anomalies(np.arange(100.0), np.zeros(100), timestamps=stamps)
    y = fig.axes[0].lines[0].get_ydata()
    assert len(y) == 101 and np.isnan(y[50])    # one hole, between 49 and 80
    regular = plot_anomalies(np.arange(100.0), np.zeros(100), timestamps=np.arange(100.0))
    assert not np.isnan(regular.axes[0].lines[0].get_ydata()).any()


def test_drawing_into_a_figure_without_pyplot(tmp_path):
    # what the command line does: no backend switch, nothing registered with pyplot
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from skvaelstm.plotting import _draw

    before = plt.get_fignums()
    fig = Figure(constrained_layout=True)
    FigureCanvasAgg(fig)
    _draw(fig, np.zeros(50), np.zeros(50), threshold=None, flagged=None, labels=None,
          timestamps=None, channel_names=None, title=None, train_end=None,
          score_scale="symlog")
    fig.savefig(tmp_path / "p.png")
    assert (tmp_path / "p.png").read_bytes()[:4] == b"\x89PNG"
    assert plt.get_fignums() == before


def test_gaps_follow_the_command_lines_rule_with_duplicated_times():
    # steps 0, 1, 2 repeated: no gap for the table checks (median of the non-zero
    # steps), so none in the plot either
    stamps = np.cumsum(np.tile([0.0, 1.0, 2.0], 33))
    fig = plot_anomalies(np.arange(99.0), np.zeros(99), timestamps=stamps)
    assert not np.isnan(fig.axes[0].lines[0].get_ydata()).any()


def test_flagged_segments_are_labelled_with_their_top_channels():
    parts = np.zeros((60, 3))
    parts[20:25] = [-0.1, -2.0, -0.5]
    flagged = np.ones(60, dtype=int)
    flagged[20:25] = -1
    fig = plot_anomalies(np.zeros((60, 3)), parts.sum(axis=1), flagged=flagged,
                         channel_names=["a", "b", "c"], channel_scores=parts, top_k=2)
    (text,) = [t.get_text() for t in fig.axes[-1].texts]
    assert text == "b 77%\nc 19%"   # 2.0 and 0.5 of 2.6
    with pytest.raises(ValueError, match="channel_scores has shape"):
        plot_anomalies(np.zeros((60, 3)), np.zeros(60), flagged=flagged,
                       channel_scores=np.zeros((60, 2)))
