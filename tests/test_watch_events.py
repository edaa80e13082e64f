"""``skvaelstm watch``: how late scores are final, the status column, --context,
and alerts once per event (--merge-gap, --min-length) as ``explain.events``."""

import numpy as np
import pandas as pd
import pytest

from skvaelstm.cli import main
from skvaelstm.explain import events

from . import test_watch
from .test_cli import TINY_ARGS
from .test_watch import batch_scores, table, watch

model = test_watch.model   # the fixture: a model fitted on the first rows

W, K = 4, 3   # TINY_ARGS: window 4, 3 windows


def test_the_delay_and_the_warmup_rows_are_said_and_marked(tmp_path, model, monkeypatch,
                                                          capsys):
    text = (tmp_path / "live.csv").read_text()
    code, out, err = watch(monkeypatch, capsys, text, "-m", model)
    assert code == 0, err
    assert f"scores are final {W - 1} rows after a row arrives" in err
    assert "--score-aggregation trailing_max" in err
    assert f"the first {W * K} rows of the stream are scored without" in err
    got = table(out)
    assert (got.status[:W * K] == "warmup").all() and (got.status[W * K:] == "final").all()


def test_context_rows_give_history_and_are_not_written(tmp_path, model, monkeypatch,
                                                       capsys):
    lines = (tmp_path / "live.csv").read_text().splitlines()
    n_context = 30
    (tmp_path / "context.csv").write_text("\n".join(lines[:n_context + 1]) + "\n")
    live = "\n".join([lines[0], *lines[n_context + 1:]]) + "\n"
    code, out, err = watch(monkeypatch, capsys, live, "-m", model, "--context",
                           tmp_path / "context.csv")
    assert code == 0, err
    # the context tells the usual step: the delay in time too (5-minute rows)
    assert f"scores are final {W - 1} rows (≈ 15 min) after a row arrives" in err
    assert "without the model's full past" not in err
    got = table(out)
    whole = batch_scores(tmp_path, model, capsys)   # context + live rows, in one batch
    expected = whole.iloc[n_context:n_context + len(got)]
    assert len(got) == len(whole) - n_context - (W - 1)
    np.testing.assert_array_equal(got.timestamp, expected.timestamp)
    np.testing.assert_array_equal(got.score, expected.score)   # bit for bit
    assert (got.status == "final").all()
    # a live row that does not follow the context's last one is refused
    code, _, err = watch(monkeypatch, capsys, "\n".join(lines[:3]) + "\n", "-m", model,
                         "--context", tmp_path / "context.csv")
    assert code == 2 and "comes before the previous row's" in err


def test_context_is_refused_with_a_state_to_resume(tmp_path, model, monkeypatch, capsys):
    lines = (tmp_path / "live.csv").read_text().splitlines()
    state = tmp_path / "state.skv"
    (tmp_path / "context.csv").write_text("\n".join(lines[:20]) + "\n")
    assert watch(monkeypatch, capsys, "\n".join(lines[:40]) + "\n", "-m", model,
                 "--state", state)[0] == 0
    code, _, err = watch(monkeypatch, capsys, "\n".join(lines[:1]) + "\n", "-m", model,
                         "--state", state, "--context", tmp_path / "context.csv")
    assert code == 2 and "already holds one" in err


@pytest.mark.parametrize("gap,length", [(0, 1), (2, 1), (1, 3), (5, 4)])
def test_alerts_fire_once_per_event(tmp_path, model, monkeypatch, capsys, gap, length):
    text = (tmp_path / "live.csv").read_text()
    # a threshold that flags many rows, in runs of several lengths
    code, out, err = watch(monkeypatch, capsys, text, "-m", model, "--alert",
                           "--contamination", "0.3", "--merge-gap", gap,
                           "--min-length", length)
    assert code == 0, err
    got = table(out)
    expected = events(got.label.to_numpy(), merge_gap=gap, min_length=length)
    assert len(expected) > 1
    begun = [line for line in err.splitlines() if "anomaly starts" in line]
    over = [line for line in err.splitlines() if "anomaly over" in line]
    stamps = got.timestamp.to_numpy()
    assert [line.split(": ")[2] for line in begun] == [stamps[e["start"]] for e in expected]
    # every event is over once more than the gap of normal rows follows it
    closed = [e for e in expected if e["end"] + gap + 1 < len(got)]
    assert len(over) == len(closed)
    for line, event in zip(over, closed):
        assert line == (f"skvaelstm: alert: {stamps[event['end'] + gap + 1]}: anomaly "
                        f"over: {event['rows']} flagged row(s) from {stamps[event['start']]}"
                        f" to {stamps[event['end']]}, lowest score "
                        f"{got.score[event['start']:event['end'] + 1].min():.4g}.")


def test_bad_event_flags_are_usage_errors(model, monkeypatch, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["watch", "-m", str(model), "--merge-gap", "-1"])
    assert exc.value.code == 2
    assert "--merge-gap: expected an integer >= 0, got '-1'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["watch", "-m", str(model), "--min-length", "0"])
    assert "--min-length: expected an integer >= 1" in capsys.readouterr().err


def test_a_restarted_watch_keeps_its_open_event(tmp_path, model, monkeypatch, capsys):
    """The event being built is saved with --state: a run split by a restart is
    one event, as in one go."""
    lines = (tmp_path / "live.csv").read_text().splitlines()
    args = ["-m", model, "--alert", "--contamination", "0.3", "--merge-gap", "2"]
    code, out, err = watch(monkeypatch, capsys, "\n".join(lines) + "\n", *args)
    whole = [line for line in err.splitlines() if "alert:" in line]
    got = table(out)
    state = tmp_path / "s.skv"
    flagged = np.flatnonzero(got.label == -1)
    cut = int(flagged[len(flagged) // 2]) + W   # a line inside an event, roughly
    err1 = watch(monkeypatch, capsys, "\n".join(lines[:cut]) + "\n", *args,
                     "--state", state)[2]
    err2 = watch(monkeypatch, capsys, "\n".join([lines[0], *lines[cut:]]) + "\n",
                     *args, "--state", state)[2]
    split = [line for line in (err1 + err2).splitlines() if "alert:" in line]
    assert split == whole


def test_an_event_of_an_older_state_ends_as_before():
    from skvaelstm._cli._watch_rows import _Events

    old = {"start": "t5", "rows": 2, "lowest": -3.0}   # the run a 0.3 state kept
    tracker = _Events(old, merge_gap=0, min_length=1)
    assert tracker.feed(7, "t7", -4.0, -1.0, True) is None   # the run goes on
    assert tracker.feed(8, "t8", 1.0, 0.5, False) == (
        "t8: anomaly over: 3 flagged row(s) from t5 to t7, lowest score -4.")
    tracker = _Events(old, merge_gap=0, min_length=1)
    assert tracker.feed(7, "t7", 1.0, 0.5, False) == (
        "t7: anomaly over: 2 flagged row(s) from t5, lowest score -3.")
    assert tracker.state is None


def test_a_causal_model_says_its_scores_are_final_at_once(tmp_path, data, monkeypatch,
                                                          capsys):
    frame = pd.read_csv(data)
    frame.iloc[:150].to_csv(tmp_path / "train.csv", index=False)
    path = tmp_path / "causal.skv"
    assert main(["fit", str(tmp_path / "train.csv"), "--time-column", "timestamp",
                 "--columns", "load,temp", "-o", str(path), "-q", *TINY_ARGS,
                 "--score-aggregation", "trailing_max"]) == 0
    capsys.readouterr()
    text = frame.iloc[150:, :3].to_csv(index=False)
    code, out, err = watch(monkeypatch, capsys, text, "-m", path)
    assert code == 0 and "scores are final as soon as a row arrives (trailing_max)" in err
    got = table(out)
    assert len(got) == len(frame) - 150 and (got.status[:W * K] == "warmup").all()
