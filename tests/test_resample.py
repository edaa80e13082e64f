"""``--resample``: irregular time stamps put on a regular grid by the command line
(fit, score, detect, watch); empty slots are missing values masked by
``--missing mask`` and marked in the output (column ``filled``); gaps longer than
``--max-gap`` split the series into segments (``test_segments``)."""

import numpy as np
import pandas as pd
import pytest

from skvaelstm.cli import main

from .test_cli import TINY_ARGS, assert_user_error
from .test_watch import watch

START = pd.Timestamp("2024-01-01")
STEP = pd.Timedelta("5min")


def nab_series(n=2500, spike=2000, seed=0):
    """A NAB-format series (``timestamp,value``, 5-minute stamps): a daily season,
    noise and one spike; returns the frame and its grid of stamps."""
    rng = np.random.default_rng(seed)
    stamps = pd.date_range(START, periods=n, freq=STEP)
    value = 50 + 10 * np.sin(np.arange(n) * 2 * np.pi / 288) + rng.normal(0, 0.5, n)
    value[spike] += 40
    return pd.DataFrame({"timestamp": stamps.strftime("%Y-%m-%d %H:%M:%S"), "value": value})


def delete_rows(frame, share, seed=0, keep=()):
    """``frame`` less a ``share`` of its rows drawn at random (never the first, the
    last or those of ``keep``) and the positions deleted."""
    rng = np.random.default_rng(seed)
    allowed = np.setdiff1d(np.arange(1, len(frame) - 1), list(keep))
    gone = np.sort(rng.choice(allowed, size=int(share * len(frame)), replace=False))
    return frame.drop(index=gone).reset_index(drop=True), gone


SMALL = ["--window-size", "24", "--n-windows", "4", "--max-iter", "3", "--random-state",
         "0", "-q"]


def test_nab_file_with_deleted_rows_end_to_end(tmp_path):
    frame, gone = delete_rows(nab_series(), 0.05, keep=[2000])
    frame.to_csv(tmp_path / "data.csv", index=False)
    out = tmp_path / "out.csv"
    assert main(["detect", str(tmp_path / "data.csv"), "--resample", "auto", "--missing",
                 "mask", "-o", str(out), *SMALL]) == 0
    scores = pd.read_csv(out)
    grid = pd.date_range(START, periods=2500, freq=STEP).strftime("%Y-%m-%d %H:%M:%S")
    assert list(scores["timestamp"]) == list(grid)           # one row per grid slot
    assert list(np.flatnonzero(scores["filled"])) == list(gone)   # exactly the deleted
    assert (scores["segment"] == 0).all()                       # no gap over --max-gap
    assert scores["value"].isna().sum() == len(gone)
    flagged = scores["predicted"] == -1
    assert flagged[2000]                                        # the spike
    assert not (flagged & (scores["filled"] == 1)).any()        # no filled slot


def test_explicit_step_snaps_stamps_to_the_nearest_slot(tmp_path, capsys):
    frame, gone = delete_rows(nab_series(400, spike=300), 0.05)
    stamps = pd.to_datetime(frame["timestamp"])
    # off the grid by up to a minute (under half a step): each row keeps its slot
    jitter = pd.to_timedelta(np.random.default_rng(1).integers(-60, 61, len(frame)), "s")
    jitter = jitter.where(np.arange(len(frame)) > 0, pd.Timedelta(0))   # not the origin
    frame["timestamp"] = (stamps + jitter).astype(str)
    frame.to_csv(tmp_path / "data.csv", index=False)
    model, out = tmp_path / "m.skv", tmp_path / "out.csv"
    assert main(["fit", str(tmp_path / "data.csv"), "--resample", "5min", "--missing",
                 "mask", "-o", str(model), *TINY_ARGS, "-q"]) == 0
    assert main(["score", str(tmp_path / "data.csv"), "-m", str(model), "--resample",
                 "5min", "-o", str(out), "-q"]) == 0
    scores = pd.read_csv(out)
    grid = pd.date_range(START, periods=400, freq=STEP).strftime("%Y-%m-%d %H:%M:%S")
    assert list(scores["timestamp"]) == list(grid)
    assert list(np.flatnonzero(scores["filled"])) == list(gone)
    assert np.allclose(scores["value"].dropna(), frame["value"])
    # a model fitted without masking cannot score the empty slots
    assert main(["fit", str(tmp_path / "data.csv"), "--allow-gaps", "-o", str(model),
                 *TINY_ARGS, "-q"]) == 0
    capsys.readouterr()
    code = main(["score", str(tmp_path / "data.csv"), "-m", str(model), "--resample",
                 "5min", "-o", str(out)])
    assert_user_error(code, capsys.readouterr().err, f"{len(gone)} slot(s)",
                      "refit the model with --missing mask")


def gapped(tmp_path, n=120, hole=range(50, 70)):
    frame = nab_series(n, spike=100).drop(index=hole)
    frame.to_csv(tmp_path / "gap.csv", index=False)
    return tmp_path / "gap.csv"


def test_max_gap_decides_whether_a_gap_is_masked(tmp_path, capsys):
    path = gapped(tmp_path)   # 20 empty slots; the default is window 4 x n_windows 3
    for extra, limit in (([], "12"), (["--max-gap", "19"], "19")):
        # a longer gap splits the series: a fit across it is refused
        code = main(["detect", str(path), "--resample", "auto", "--missing", "mask",
                     *extra, *TINY_ARGS, "-o", str(tmp_path / "out.csv")])
        assert_user_error(code, capsys.readouterr().err, "span 1 gap(s) longer than "
                          f"--max-gap {limit}", "20 empty slots between 2024-01-01 04:05:00 "
                          "and 2024-01-01 05:50:00")
    assert main(["detect", str(path), "--resample", "auto", "--missing", "mask",
                 "--max-gap", "20", *TINY_ARGS, "-q", "-o", str(tmp_path / "out.csv")]) == 0
    scores = pd.read_csv(tmp_path / "out.csv")
    assert len(scores) == 120 and scores["filled"].sum() == 20
    assert not ((scores["filled"] == 1) & (scores["predicted"] == -1)).any()
    # rows without a score are written with empty score cells, never flagged
    empty = scores["score"].isna()
    assert empty.any() and (scores.loc[empty, "filled"] == 1).all()
    assert (scores.loc[empty, "predicted"] == 1).all()


def test_two_rows_in_one_slot_are_refused(tmp_path, capsys):
    frame = nab_series(120, spike=100)
    frame.loc[11, "timestamp"] = "2024-01-01 00:51:00"   # the slot of 00:50 (row 10)
    frame.drop(index=12).to_csv(tmp_path / "dup.csv", index=False)
    code = main(["detect", str(tmp_path / "dup.csv"), "--resample", "5min", "--missing",
                 "mask", *TINY_ARGS, "-o", str(tmp_path / "out.csv")])
    assert_user_error(code, capsys.readouterr().err, "data rows 11 and 12",
                      "fall in the same slot", "not averaged")


def test_gaps_without_resample_suggest_it_and_masking_is_needed(tmp_path, capsys):
    path = gapped(tmp_path, hole=range(50, 53))
    out = str(tmp_path / "out.csv")
    code = main(["detect", str(path), *TINY_ARGS, "-o", out])
    assert_user_error(code, capsys.readouterr().err, "1 gap(s)", "--resample auto",
                      "--allow-gaps")
    code = main(["detect", str(path), "--resample", "auto", *TINY_ARGS, "-o", out])
    assert_user_error(code, capsys.readouterr().err, "3 slot(s) of the grid have no row",
                      "2024-01-01 04:10:00", "pass --missing mask")
    code = main(["detect", str(path), "--max-gap", "3", *TINY_ARGS, "-o", out])
    assert_user_error(code, capsys.readouterr().err, "--max-gap", "add --resample")


def test_empty_cells_are_missing_values_with_missing_mask(tmp_path, capsys):
    frame = nab_series(120, spike=100)
    frame["value"] = frame["value"].astype(object)
    frame.loc[[30, 31, 80], "value"] = ""
    frame.to_csv(tmp_path / "holes.csv", index=False)
    out = tmp_path / "out.csv"
    code = main(["detect", str(tmp_path / "holes.csv"), *TINY_ARGS, "-o", str(out)])
    assert_user_error(code, capsys.readouterr().err, "3 missing value(s)", "data row 31",
                      "--missing mask")
    assert main(["detect", str(tmp_path / "holes.csv"), "--missing", "mask", *TINY_ARGS,
                 "-q", "-o", str(out)]) == 0
    scores = pd.read_csv(out)
    assert len(scores) == 120 and "filled" not in scores
    assert scores["value"].isna().sum() == 3 and scores["score"].notna().all()


@pytest.fixture
def masked_model(tmp_path):
    frame = nab_series(300, spike=250)
    frame.iloc[:150].to_csv(tmp_path / "train.csv", index=False)
    live = frame.iloc[150:].drop(index=[170, 171, 172, 200])
    live.to_csv(tmp_path / "live.csv", index=False)
    path = tmp_path / "model.skv"
    assert main(["fit", str(tmp_path / "train.csv"), "--missing", "mask", "-o", str(path),
                 "-q", *TINY_ARGS]) == 0
    return path


def test_watch_fills_the_slots_a_gap_skips(tmp_path, masked_model, monkeypatch, capsys):
    text = (tmp_path / "live.csv").read_text()
    code, out, err = watch(monkeypatch, capsys, text, "-m", masked_model, "--resample",
                           "5min")
    assert code == 0, err
    lines = pd.read_csv(pd.io.common.StringIO(out))
    assert list(lines.columns) == ["timestamp", "score", "decision", "label", "filled",
                                   "segment", "status"]
    grid = pd.date_range(START + 150 * STEP, periods=len(lines), freq=STEP)
    assert list(lines["timestamp"]) == list(grid.strftime("%Y-%m-%d %H:%M:%S"))
    assert list(np.flatnonzero(lines["filled"]) + 150) == [170, 171, 172, 200]
    assert not ((lines["filled"] == 1) & (lines["label"] == -1)).any()
    assert "(4 of them empty slots)" in err
    # the scores of 'score --resample' on the same rows, bit for bit
    assert main(["score", str(tmp_path / "live.csv"), "-m", str(masked_model),
                 "--resample", "5min", "-o", str(tmp_path / "batch.csv"), "-q"]) == 0
    capsys.readouterr()
    batch = pd.read_csv(tmp_path / "batch.csv").iloc[:len(lines)]
    assert np.array_equal(batch["score"], lines["score"], equal_nan=True)
    assert list(batch["filled"]) == list(lines["filled"])
    # a gap over --max-gap is not filled: the live context restarts after it
    code, out, err = watch(monkeypatch, capsys, text, "-m", masked_model, "--resample",
                           "auto", "--max-gap", "2")
    assert code == 0, err
    lines = pd.read_csv(pd.io.common.StringIO(out))
    assert "2024-01-01 14:25:00: a gap of more than --max-gap 2 empty slots ends segment 0" \
           in err
    assert list(lines["segment"].value_counts().sort_index()) == [20, len(lines) - 20]
    assert list(np.flatnonzero(lines["filled"])) == [200 - 153]   # the 1-slot gap only


def test_watch_refuses_context_with_resample(tmp_path, masked_model, monkeypatch, capsys):
    text = (tmp_path / "live.csv").read_text()
    code, out, err = watch(monkeypatch, capsys, text, "-m", masked_model, "--resample",
                           "5min", "--context", str(tmp_path / "train.csv"))
    assert_user_error(code, err, "--context cannot be combined with --resample")
    assert out == ""
