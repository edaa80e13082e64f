"""``--resample`` with gaps longer than ``--max-gap``: the series is split into
segments, each scored alone with fresh context (``score``, ``detect``) or with
a restarted live scorer (``watch``); the output marks them (column ``segment``)."""

import numpy as np
import pandas as pd
import pytest

from skvaelstm.cli import main
from skvaelstm.persistence import load_model

from .test_cli import TINY_ARGS, assert_user_error
from .test_resample import START, STEP, nab_series
from .test_watch import watch

GRID = "%Y-%m-%d %H:%M:%S"


def on_grid(frame, rows):
    """The values of ``frame`` (a ``nab_series`` less some rows) on the grid rows
    ``rows`` of the complete series: NaN where a row was deleted."""
    stamps = pd.date_range(START, periods=rows.stop, freq=STEP).strftime(GRID)[rows]
    return frame.set_index("timestamp")[["value"]].reindex(stamps).reset_index(drop=True)


@pytest.fixture
def gapped(tmp_path):
    """400 rows, 20 deleted at 150..169 (a gap over the default --max-gap 12 of
    TINY_ARGS) and 3 at 250..252 (masked); a model fitted on the first 150 rows."""
    frame = nab_series(400, spike=300).drop(index=[*range(150, 170), 250, 251, 252])
    frame.to_csv(tmp_path / "data.csv", index=False)
    frame.iloc[:150].to_csv(tmp_path / "train.csv", index=False)
    model = tmp_path / "model.skv"
    assert main(["fit", str(tmp_path / "train.csv"), "--missing", "mask", "-o", str(model),
                 "-q", *TINY_ARGS]) == 0
    return frame, model


def test_a_long_gap_splits_the_series_into_segments_scored_alone(tmp_path, gapped, capsys):
    frame, model = gapped
    out = tmp_path / "out.csv"
    assert main(["score", str(tmp_path / "data.csv"), "-m", str(model), "--resample", "auto",
                 "-o", str(out)]) == 0
    captured = capsys.readouterr()
    scores = pd.read_csv(out)
    # the gap's 20 slots are left out; the 3 short ones are filled and masked
    grid = pd.date_range(START, periods=400, freq=STEP).strftime(GRID)
    assert list(scores["timestamp"]) == [*grid[:150], *grid[170:]]
    assert list(scores.columns[-2:]) == ["filled", "segment"]
    assert list(scores["segment"]) == [0] * 150 + [1] * 230
    assert list(np.flatnonzero(scores["filled"])) == [230, 231, 232]
    # each segment's scores are score_samples of its rows alone, bit for bit
    detector = load_model(model)
    expected = np.concatenate([detector.score_samples(on_grid(frame, range(0, 150))),
                               detector.score_samples(on_grid(frame, range(170, 400)))])
    assert np.array_equal(scores["score"].to_numpy(), expected, equal_nan=True)
    assert np.array_equal(scores["decision"].to_numpy(), expected - detector.offset_,
                          equal_nan=True)
    assert "1 gap(s) longer than --max-gap 12 empty slots split the series into 2 " \
           "segments" in captured.err
    assert "segment 1 at 2024-01-01 14:10:00 (after 20 empty slots)" in captured.err
    assert "scored 380 rows in 2 segment(s), each scored alone with fresh context" \
           in captured.out
    # without the gap's split (--max-gap 20) the series is one segment
    assert main(["score", str(tmp_path / "data.csv"), "-m", str(model), "--resample", "auto",
                 "--max-gap", "20", "-o", str(out), "-q"]) == 0
    whole = pd.read_csv(out)
    assert len(whole) == 400 and (whole["segment"] == 0).all()
    assert whole["filled"].sum() == 23


def test_events_never_span_two_segments(tmp_path, gapped, capsys):
    _, model = gapped
    out, events = tmp_path / "out.csv", tmp_path / "events.csv"
    # a threshold flagging half the training rows and a merge gap over the whole
    # series: one event per segment, none across the gap
    assert main(["score", str(tmp_path / "data.csv"), "-m", str(model), "--resample", "auto",
                 "--contamination", "0.5", "--merge-gap", "1000", "--events", str(events),
                 "-o", str(out), "-q"]) == 0
    scores, found = pd.read_csv(out), pd.read_csv(events)
    segment = scores.set_index("timestamp")["segment"]
    assert len(found) == 2
    assert list(segment[found["start"]]) == [0, 1] == list(segment[found["end"]])


def test_a_segment_too_short_to_score_is_written_without_scores(tmp_path, gapped, capsys):
    frame, model = gapped
    # rows 170..174 between two long gaps: 5 rows, window_max needs 2 x window 4;
    # as in watch, its rows get no score (NaN, +1) and a warning names it
    frame = nab_series(400, spike=300).drop(index=[*range(150, 170), *range(175, 200)])
    frame.to_csv(tmp_path / "short.csv", index=False)
    out = tmp_path / "out.csv"
    assert main(["score", str(tmp_path / "short.csv"), "-m", str(model), "--resample",
                 "auto", "-o", str(out)]) == 0
    captured = capsys.readouterr()
    assert "warning: segment 1 (2024-01-01 14:10:00 to 2024-01-01 14:30:00) ends after " \
           "5 rows, fewer than the 8 a score needs" in captured.err
    assert "Raise --max-gap (now 12)" in captured.err
    assert "5 rows without a score" in captured.out
    scores = pd.read_csv(out)
    short = scores[scores["segment"] == 1]
    assert len(short) == 5 and short["score"].isna().all() and short["decision"].isna().all()
    assert (short["predicted"] == 1).all()
    # the other segments are scored alone, as always
    detector = load_model(model)
    expected = np.concatenate([detector.score_samples(on_grid(frame, range(0, 150))),
                               np.full(5, np.nan),
                               detector.score_samples(on_grid(frame, range(200, 400)))])
    assert np.array_equal(scores["score"].to_numpy(), expected, equal_nan=True)


def test_training_rows_across_a_long_gap_are_refused(tmp_path, gapped, capsys):
    out = str(tmp_path / "out.csv")
    code = main(["detect", str(tmp_path / "data.csv"), "--resample", "auto", "--missing",
                 "mask", *TINY_ARGS, "-o", out])
    assert_user_error(code, capsys.readouterr().err, "the 380 training rows on the grid "
                      "span 1 gap(s) longer than --max-gap 12", "20 empty slots between "
                      "2024-01-01 12:25:00 and 2024-01-01 14:10:00", "--train-until "
                      "2024-01-01 14:10:00, or --train-rows 150", "--max-gap to 20")
    # trained on the first segment: both scored, the second with fresh context
    assert main(["detect", str(tmp_path / "data.csv"), "--resample", "auto", "--missing",
                 "mask", "--train-until", "2024-01-01 14:10:00", *TINY_ARGS, "-q", "-o",
                 out]) == 0
    assert list(pd.read_csv(out)["segment"].value_counts().sort_index()) == [150, 230]


def test_fit_across_several_gaps_names_the_max_gap_that_masks_them_all(tmp_path, capsys):
    # gaps of 20 and then 30 empty slots: --max-gap 20 would still split at the second
    frame = nab_series(400, spike=300).drop(index=[*range(150, 170), *range(250, 280)])
    frame.to_csv(tmp_path / "two.csv", index=False)
    code = main(["detect", str(tmp_path / "two.csv"), "--resample", "auto", "--missing",
                 "mask", *TINY_ARGS, "-o", str(tmp_path / "out.csv")])
    assert_user_error(code, capsys.readouterr().err, "span 2 gap(s) longer than --max-gap "
                      "12 (the first: 20 empty slots", "--train-rows 150",
                      "raise --max-gap to 30 to mask them")


def test_watch_restarts_its_context_after_a_long_gap(tmp_path, gapped, monkeypatch, capsys):
    frame, model = gapped
    live = frame[pd.to_datetime(frame["timestamp"]) >= START + 100 * STEP]
    live.to_csv(tmp_path / "live.csv", index=False)
    code, out, err = watch(monkeypatch, capsys, live.to_csv(index=False), "-m", model,
                           "--resample", "5min")
    assert code == 0, err
    lines = pd.read_csv(pd.io.common.StringIO(out))
    assert list(lines.columns) == ["timestamp", "score", "decision", "label", "filled",
                                   "segment", "status"]
    first = lines[lines["segment"] == 0]
    second = lines[lines["segment"] == 1]
    # segment 0 is written whole: its last rows get the scores it ends with
    assert len(first) == 50 and len(second) == 230 - 3   # window_max waits 4 - 1 rows
    detector = load_model(model)
    assert np.array_equal(first["score"], detector.score_samples(
        on_grid(frame, range(100, 150))))
    assert np.array_equal(second["score"], detector.score_samples(
        on_grid(frame, range(170, 400)))[:len(second)], equal_nan=True)
    # warm-up again after the gap: window 4 x n_windows 3 rows
    assert list(second["status"][:13]) == ["warmup"] * 12 + ["final"]
    assert "2024-01-01 14:10:00: a gap of more than --max-gap 12 empty slots ends " \
           "segment 0: the live context restarts (segment 1)" in err
    assert "in 2 segments" in err
    # the rows of 'score --resample' on the same file, segment column included
    assert main(["score", str(tmp_path / "live.csv"), "-m", str(model), "--resample",
                 "5min", "-o", str(tmp_path / "batch.csv"), "-q"]) == 0
    batch = pd.read_csv(tmp_path / "batch.csv").iloc[:len(lines)]
    assert np.array_equal(batch["score"], lines["score"], equal_nan=True)
    assert list(batch["segment"]) == list(lines["segment"])
    assert list(batch["filled"]) == list(lines["filled"])


def test_watch_resumes_in_its_segment(tmp_path, gapped, monkeypatch, capsys):
    frame, model = gapped
    live = frame[pd.to_datetime(frame["timestamp"]) >= START + 100 * STEP]
    state = tmp_path / "state.skv"
    cut = 70   # after the gap: the second run goes on in segment 1
    code, out1, err = watch(monkeypatch, capsys, live.iloc[:cut].to_csv(index=False), "-m",
                            model, "--resample", "5min", "--state", state)
    assert code == 0, err
    code, out2, err = watch(monkeypatch, capsys, live.iloc[cut:].to_csv(index=False), "-m",
                            model, "--resample", "5min", "--state", state)
    assert code == 0, err
    code, whole, err = watch(monkeypatch, capsys, live.to_csv(index=False), "-m", model,
                             "--resample", "5min")
    assert out1 + "".join(out2.splitlines(keepends=True)[1:]) == whole


def test_watch_writes_a_segment_too_short_to_score_without_scores(tmp_path, gapped,
                                                                   monkeypatch, capsys):
    _, model = gapped
    # rows 170..174 between two long gaps: 5 rows, window_max needs 8 for a score
    frame = nab_series(300, spike=250).drop(index=[*range(150, 170), *range(175, 200)])
    code, out, err = watch(monkeypatch, capsys, frame.iloc[100:].to_csv(index=False), "-m",
                           model, "--resample", "5min")
    assert code == 0, err
    lines = pd.read_csv(pd.io.common.StringIO(out))
    short = lines[lines["segment"] == 1]
    assert len(short) == 5 and short["score"].isna().all() and (short["label"] == 1).all()
    assert list(short["status"]) == ["warmup"] * 5
    # the warning of 'score' on the same segment (one rule for both)
    assert "segment 1 (2024-01-01 14:10:00 to 2024-01-01 14:30:00) ends after 5 rows, " \
           "fewer than the 8 a score needs" in err and "--max-gap (now 12)" in err
    assert (lines["segment"] == 2).sum() > 0 and "in 3 segments" in err
