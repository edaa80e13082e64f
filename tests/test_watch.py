"""``skvaelstm watch``: live scores equal to ``score``'s, time checks, bad rows,
alerts, restarts, following a growing file and Ctrl-C."""

import io
import os
import signal
import sys

import numpy as np
import pandas as pd
import pytest

from skvaelstm import VAELSTMDetector
from skvaelstm.cli import main
from skvaelstm.persistence import save_model

from ._helpers import Child
from .conftest import TINY, seasonal
from .test_cli import TINY_ARGS

N_TRAIN = 150


@pytest.fixture
def model(tmp_path, data):
    """A model fitted on the first rows of ``data`` (timestamp; load, temp)."""
    frame = pd.read_csv(data)
    frame.iloc[:N_TRAIN].to_csv(tmp_path / "train.csv", index=False)
    frame.iloc[N_TRAIN:, :3].to_csv(tmp_path / "live.csv", index=False)
    path = tmp_path / "model.skv"
    assert main(["fit", str(tmp_path / "train.csv"), "--time-column", "timestamp",
                 "--columns", "load,temp", "-o", str(path), "-q", *TINY_ARGS]) == 0
    return path


def watch(monkeypatch, capsys, text, *args):
    """Run ``skvaelstm watch`` in-process on ``text`` as standard input."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    code = main(["watch", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def table(text):
    return pd.read_csv(io.StringIO(text))


def batch_scores(tmp_path, model, capsys):
    out = tmp_path / "batch.csv"
    assert main(["score", str(tmp_path / "live.csv"), "-m", str(model), "-o", str(out),
                 "-q"]) == 0
    capsys.readouterr()
    return pd.read_csv(out)


def test_watch_writes_the_scores_of_score(tmp_path, model, monkeypatch, capsys):
    text = (tmp_path / "live.csv").read_text()
    code, out, err = watch(monkeypatch, capsys, text, "-m", model)
    assert code == 0, err
    assert out.splitlines()[0] == "timestamp,score,decision,label,status"
    got, expected = table(out), batch_scores(tmp_path, model, capsys)
    W = 4   # window_max waits for window_size - 1 later rows
    assert len(got) == len(expected) - (W - 1)
    np.testing.assert_array_equal(got.timestamp, expected.timestamp[:len(got)])
    # repr in the output: the floats read back are the batch scores, bit for bit
    np.testing.assert_array_equal(got.score, expected.score[:len(got)])
    np.testing.assert_array_equal(got.decision, expected.decision[:len(got)])
    np.testing.assert_array_equal(got.label, expected.predicted[:len(got)])
    assert f"{len(expected)} rows read, {len(got)} scores written" in err
    assert "the last 3 wait for later rows" in err


def test_alerts_mark_where_flagged_runs_start_and_end(tmp_path, model, monkeypatch, capsys):
    text = (tmp_path / "live.csv").read_text()
    code, out, err = watch(monkeypatch, capsys, text, "-m", model, "--alert")
    got = table(out)
    flagged = (got.label == -1).to_numpy()
    starts = np.flatnonzero(flagged & ~np.r_[False, flagged[:-1]])
    ends = np.flatnonzero(~flagged & np.r_[False, flagged[:-1]])
    assert code == 0 and len(starts) > 0
    begun = [line for line in err.splitlines() if "anomaly starts" in line]
    over = [line for line in err.splitlines() if "anomaly over" in line]
    assert len(begun) == len(starts) and len(over) == len(ends)
    assert begun[0].startswith(f"skvaelstm: alert: {got.timestamp[starts[0]]}: anomaly starts")
    run = got.iloc[starts[0]:ends[0]]
    assert over[0] == (f"skvaelstm: alert: {got.timestamp[ends[0]]}: anomaly over: "
                       f"{len(run)} flagged row(s) from {run.timestamp.iloc[0]} to "
                       f"{run.timestamp.iloc[-1]}, lowest score {run.score.min():.4g}.")


def _set_load(value):
    def change(rows):
        stamp, _, temp = rows[30].split(",")
        rows[30] = f"{stamp},{value},{temp}"
    return change


@pytest.mark.parametrize("change,message", [
    (lambda rows: rows.insert(30, rows[29]), "repeats the previous row's"),
    (lambda rows: rows.insert(30, rows[10]), "comes before the previous row's"),
    (lambda rows: rows.__delitem__(slice(30, 33)), "leaves a gap of 1200 s"),
    (_set_load("abc"), "holds 'abc', not a number"),
    (_set_load("nan"), "values must be finite"),
    (lambda rows: rows.__setitem__(30, rows[30] + ",7"), "it has 4 fields, the header 3"),
    (_set_load("1e300"), "standard deviations"),
])
def test_a_bad_row_stops_after_the_final_rows_or_is_skipped(tmp_path, model, monkeypatch,
                                                            capsys, change, message):
    lines = (tmp_path / "live.csv").read_text().splitlines()
    header, rows = lines[0], lines[1:]
    change(rows)
    text = "\n".join([header, *rows]) + "\n"
    code, out, err = watch(monkeypatch, capsys, text, "-m", model)
    assert code == 2 and message in err and "line 32 of the input" in err, err
    stopped = table(out)
    assert len(stopped) == 30 - 3   # the rows before it, less the look-ahead
    allow = {"gap": "--allow-gaps", "repeats": "--allow-duplicates"}
    flag = next((f for key, f in allow.items() if key in message), None)
    if flag is not None:   # the rows are fine once the flag allows them
        code, out, err = watch(monkeypatch, capsys, text, "-m", model, flag)
        assert code == 0 and len(table(out)) == len(rows) - 3
        return
    code, out, err = watch(monkeypatch, capsys, text, "-m", model, "--skip-bad-rows")
    assert code == 0 and message in err and "skipped (--skip-bad-rows)" in err
    skipped = table(out)
    assert len(skipped) == len(rows) - 1 - 3
    np.testing.assert_array_equal(skipped.score[:27], stopped.score)


def test_a_restart_with_state_resumes_exactly(tmp_path, model, monkeypatch, capsys):
    lines = (tmp_path / "live.csv").read_text().splitlines()
    state = tmp_path / "live-state.skv"
    first = "\n".join(lines[:61]) + "\n"
    second = "\n".join([lines[0], *lines[61:]]) + "\n"   # a new input: header first
    code, out1, err = watch(monkeypatch, capsys, first, "-m", model, "--state", state)
    assert code == 0 and state.exists() and "state written" in err
    code, out2, err = watch(monkeypatch, capsys, second, "-m", model, "--state", state)
    assert code == 0 and "resuming from" in err and "60 rows seen before" in err
    code, whole, _ = watch(monkeypatch, capsys, "\n".join(lines) + "\n", "-m", model)
    joined = pd.concat([table(out1), table(out2)], ignore_index=True)
    pd.testing.assert_frame_equal(joined, table(whole))
    # a state written with another model is refused
    other = tmp_path / "other.skv"
    save_model(VAELSTMDetector(**TINY).fit(seasonal(200, n_channels=2)), other)
    code, _, err = watch(monkeypatch, capsys, second, "-m", other, "--state", state)
    assert code == 2 and "was not written by 'skvaelstm watch' with the model" in err


def test_a_model_without_time_column_numbers_the_rows(tmp_path, monkeypatch, capsys):
    X = seasonal(260, n_channels=2)
    path = tmp_path / "plain.skv"
    save_model(VAELSTMDetector(**TINY).fit(X[:200]), path)
    text = "a,b\n" + "".join(f"{a!r},{b!r}\n" for a, b in X[200:].tolist())
    code, out, err = watch(monkeypatch, capsys, text, "-m", path)
    got = table(out)
    assert code == 0 and list(got.columns) == ["row", "score", "decision", "label", "status"]
    np.testing.assert_array_equal(got.row, np.arange(len(got)))
    # a skipped row is not a row of the stream: the numbers stay consecutive
    lines = text.splitlines()
    lines[20] = "1e300,0"   # refused by the scorer itself (far outside the training data)
    code, out, err = watch(monkeypatch, capsys, "\n".join(lines) + "\n", "-m", path,
                           "--skip-bad-rows")
    skipped = table(out)
    assert code == 0 and "line 21 of the input" in err and len(skipped) == len(got) - 1
    np.testing.assert_array_equal(skipped.row, np.arange(len(skipped)))


def test_usage_errors(tmp_path, model, monkeypatch, capsys):
    code, _, err = watch(monkeypatch, capsys, "", "-m", model, "--follow")
    assert code == 2 and "--follow needs a file" in err
    code, _, err = watch(monkeypatch, capsys, "", "-m", model)
    assert code == 2 and "standard input has no header line" in err
    code, _, err = watch(monkeypatch, capsys, "time,load,temp\n", "-m", model)
    assert code == 2 and "standard input has no column 'timestamp'" in err


@pytest.mark.slow
def test_rows_come_out_as_soon_as_they_are_final_in_a_pipe(tmp_path, model):
    lines = (tmp_path / "live.csv").read_text().splitlines()
    with Child(["watch", "-m", model], tmp_path) as child:
        child.stdin.write(lines[0] + "\n")
        for line in lines[1:20]:
            child.stdin.write(line + "\n")
        child.stdin.flush()
        # 19 rows in, the input still open: rows 0 .. 15 are final and written now
        out = child.stdout.lines(17)
        assert out[0].startswith("timestamp,score") and out[-1].startswith(lines[16][:19])
        child.stdin.close()
        assert child.wait() == 0


@pytest.mark.slow
def test_follow_a_growing_file_and_stop_with_ctrl_c(tmp_path, model):
    lines = (tmp_path / "live.csv").read_text().splitlines()
    grow = tmp_path / "grow.csv"
    grow.write_text("\n".join(lines[:41]) + "\n")
    with Child(["watch", grow, "--follow", "-m", model, "--state", tmp_path / "s.skv"],
               tmp_path) as child:
        first = child.stdout.lines(38)   # header + 40 - 3 rows
        with open(grow, "a") as handle:
            handle.write("\n".join(lines[41:81]) + "\n")
        more = child.stdout.lines(40)
        child.process.send_signal(signal.SIGINT)
        assert child.wait() == 0
        err = child.stderr.rest()
    assert "stopped (Ctrl-C)" in err and "80 rows read, 77 scores written" in err
    assert first[1].startswith(lines[1].split(",")[0])
    assert more[-1].startswith(lines[77].split(",")[0])
    assert (tmp_path / "s.skv").exists()


def test_a_followed_file_resumes_after_its_last_line(tmp_path, model, monkeypatch, capsys):
    # the usual restart: the same (grown) file again, with --state
    lines = (tmp_path / "live.csv").read_text().splitlines()
    grow, state = tmp_path / "grow.csv", tmp_path / "s.skv"
    grow.write_text("\n".join(lines[:61]) + "\n")
    code, out1, _ = watch(monkeypatch, capsys, "", grow, "-m", model, "--state", state)
    with open(grow, "a") as handle:
        handle.write("\n".join(lines[61:]) + "\n")
    code, out2, err = watch(monkeypatch, capsys, "", grow, "-m", model, "--state", state)
    assert code == 0 and f"going on in {grow} after line 61" in err, err
    code, whole, _ = watch(monkeypatch, capsys, "\n".join(lines) + "\n", "-m", model)
    joined = pd.concat([table(out1), table(out2)], ignore_index=True)
    pd.testing.assert_frame_equal(joined, table(whole))


def test_line_numbers_count_every_line_of_the_input(tmp_path, model, monkeypatch, capsys):
    lines = (tmp_path / "live.csv").read_text().splitlines()
    lines[30] = lines[30].rsplit(",", 1)[0] + ",oops"
    text = "\n" + "\n".join(lines[:20] + [""] + lines[20:]) + "\n"   # blank lines too
    code, _, err = watch(monkeypatch, capsys, text, "-m", model)
    assert code == 2 and "line 33 of the input" in err, err   # 1 blank + 31 + 1 blank


def test_ctrl_c_waits_for_the_rows_being_scored(tmp_path, model, monkeypatch, capsys):
    # SIGINT arriving while a batch is scored: the batch is written and saved first,
    # so that a restart loses and repeats nothing
    from skvaelstm.streaming import StreamScorer

    lines = (tmp_path / "live.csv").read_text().splitlines()
    live, state = tmp_path / "live.csv", tmp_path / "s.skv"
    update, calls = StreamScorer.update, []

    def interrupted(self, rows, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            os.kill(os.getpid(), signal.SIGINT)   # arrives inside the batch
        return update(self, rows, **kwargs)

    monkeypatch.setattr(StreamScorer, "update", interrupted)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert main(["watch", str(live), "-m", str(model), "--state", str(state)]) == 0
    out1, err = capsys.readouterr()
    assert "stopped (Ctrl-C)" in err
    monkeypatch.setattr(StreamScorer, "update", update)
    code, out2, _ = watch(monkeypatch, capsys, "", live, "-m", model, "--state", state)
    code, whole, _ = watch(monkeypatch, capsys, "\n".join(lines) + "\n", "-m", model)
    # the file came in one read: its batch was finished before stopping, and the
    # restart finds nothing left to do
    pd.testing.assert_frame_equal(table(out1), table(whole))
    assert code == 0 and len(table(out2)) == 0
