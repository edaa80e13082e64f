"""``skvaelstm watch`` on awkward inputs: restarts after a refused row, followed
files that are rotated or truncated, and time stamps read as ``score`` reads them."""

import signal

import numpy as np
import pandas as pd
import pytest

from skvaelstm._cli._watch import _Clock
from skvaelstm._io._line_reader import _Lines, _Reopened
from skvaelstm._io._tables import _GAP_FACTOR, _prepare
from skvaelstm.cli import main

from ._helpers import Child, within
from .test_cli import assert_user_error
from .test_watch import (
    _set_load,
    model,  # noqa: F401 - a fixture
    table,
    watch,
)

# Bad rows at data row 31 (line 32 of the input): refused for a value (its time
# is in order), by the scorer (inside a read of many rows: the rows after it in
# the read were looked at before the scorer refused it) and for its time.
BAD_ROWS = {
    "value": _set_load("abc"),
    "scorer": _set_load("1e300"),
    "repeated time": lambda rows: rows.insert(30, rows[29]),
}


def _csv(header, rows):
    return "\n".join([header, *rows]) + "\n"


@pytest.mark.parametrize("skip", [False, True], ids=["mended", "skipped"])
@pytest.mark.parametrize("bad", list(BAD_ROWS))
def test_a_restart_after_a_refused_row_resumes_exactly(tmp_path, model,  # noqa: F811
                                                       monkeypatch, capsys, bad, skip):
    header, *good = (tmp_path / "live.csv").read_text().splitlines()
    rows = list(good)
    BAD_ROWS[bad](rows)
    feed, state = tmp_path / "feed.csv", tmp_path / "s.skv"
    feed.write_text(_csv(header, rows))
    code, out1, err = watch(monkeypatch, capsys, "", feed, "-m", model, "--state", state)
    assert code == 2 and "line 32 of the input" in err, err
    if skip:   # going on past the row: as a run that skipped it from the start
        code, out2, err = watch(monkeypatch, capsys, "", feed, "-m", model, "--state", state,
                                "--skip-bad-rows")
        _, whole, _ = watch(monkeypatch, capsys, _csv(header, rows), "-m", model,
                            "--skip-bad-rows")
        assert code == 0 and err.count("skipped (--skip-bad-rows)") == 1, err
    else:      # the row mended in the file: as a run over the good rows
        feed.write_text(_csv(header, good))
        code, out2, err = watch(monkeypatch, capsys, "", feed, "-m", model, "--state", state)
        _, whole, _ = watch(monkeypatch, capsys, _csv(header, good), "-m", model)
        assert code == 0 and "0 rows skipped" in err, err
    assert f"going on in {feed} after line 31" in err
    joined = pd.concat([table(out1), table(out2)], ignore_index=True)
    assert len(table(out1)) == 30 - 3 and len(joined) > 100
    pd.testing.assert_frame_equal(joined, table(whole))   # the CSV values, exactly


def _following(batches):
    return within(30, lambda: next(batches), "the followed file")


def test_a_truncated_or_replaced_file_is_read_again_from_its_start(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("t,x\n1,1\n2,2\n")
    batches = _Lines(str(path), follow=True).batches()
    try:
        assert _following(batches) == [("t,x", 4), ("1,1", 8), ("2,2", 12)]
        path.write_text("t,x\n3,3\n")   # truncated, then written again (same inode)
        event = _following(batches)
        assert isinstance(event, _Reopened)
        assert event.message == f"{path} was truncated: reading it again from its start."
        assert _following(batches) == [("t,x", 4), ("3,3", 8)]
        # rotated: moved away (and written to once more), a new file under the name
        with open(path, "a") as handle:
            handle.write("4,4\n5,")
        path.rename(tmp_path / "log.csv.1")
        with open(tmp_path / "log.csv.1", "a") as handle:
            handle.write("5\n6,")   # its unfinished last line is a line: the file is over
        path.write_text("t,x\n7,7\n")
        assert _following(batches) == [("4,4", 12), ("5,5", 16)]
        assert _following(batches) == [("6,", 18)]
        event = _following(batches)
        assert isinstance(event, _Reopened)
        assert event.message == (f"{path} was replaced (rotated or re-created): reading the "
                                 "new file from its start.")
        assert _following(batches) == [("t,x", 4), ("7,7", 8)]
    finally:
        batches.close()


@pytest.mark.slow
def test_follow_goes_on_in_a_rotated_then_truncated_file(tmp_path, model,  # noqa: F811
                                                          monkeypatch, capsys):
    header, *rows = (tmp_path / "live.csv").read_text().splitlines()
    grow, old = tmp_path / "grow.csv", tmp_path / "grow.csv.1"
    grow.write_text(_csv(header, rows[:40]))
    with Child(["watch", grow, "--follow", "-m", model], tmp_path) as child:
        out = child.stdout.lines(1 + 37)   # window_size - 1 rows wait for later rows
        grow.rename(old)   # rotated; the old file gets rows once more
        with open(old, "a") as handle:
            handle.write("\n".join(rows[40:50]) + "\n")
        grow.write_text(_csv(header, rows[50:70]))   # the new file starts with its header
        out += child.stdout.lines(30)
        # logrotate's copytruncate: the same file emptied, the rows go on without header
        grow.write_text("\n".join(rows[70:80]) + "\n")
        out += child.stdout.lines(10)
        child.process.send_signal(signal.SIGINT)
        assert child.wait() == 0
        err = child.stderr.rest()
    assert f"skvaelstm: note: {grow} was replaced (rotated or re-created)" in err
    assert f"skvaelstm: note: {grow} was truncated: reading it again" in err
    assert "80 rows read, 77 scores written" in err
    code, whole, _ = watch(monkeypatch, capsys, _csv(header, rows[:80]), "-m", model)
    assert code == 0 and "".join(out) == whole


def test_score_and_watch_read_day_first_stamps_alike(tmp_path, model,  # noqa: F811
                                                     monkeypatch, capsys):
    frame = pd.read_csv(tmp_path / "live.csv")
    # 13/01/2024 can only be day-first: then 01/02/2024 is the 1st of February
    stamps = pd.date_range("2024-01-13", periods=len(frame), freq="D")
    frame["timestamp"] = stamps.strftime("%d/%m/%Y")
    daily, scores = tmp_path / "daily.csv", tmp_path / "scores.csv"
    frame.to_csv(daily, index=False)
    assert main(["score", str(daily), "-m", str(model), "-o", str(scores), "-q"]) == 0
    capsys.readouterr()
    code, out, err = watch(monkeypatch, capsys, daily.read_text(), "-m", model)
    assert code == 0, err
    got, expected = table(out), pd.read_csv(scores)
    assert len(got) == len(frame) - 3
    np.testing.assert_array_equal(got.timestamp, expected.timestamp[:len(got)])
    np.testing.assert_array_equal(got.score, expected.score[:len(got)])
    # the instants themselves: score's time column and watch's clock
    batch = _prepare(frame, path="daily.csv", time_column="timestamp").time
    clock, live = _Clock("timestamp", False, False, _GAP_FACTOR, {}), []
    for stamp in frame.timestamp:
        moment = clock.check(stamp)
        clock.advance(moment)
        live.append(moment[0])
    assert batch[19] == np.datetime64("2024-02-01")
    np.testing.assert_array_equal(np.array(live) * 1e9, batch.astype(np.int64))


@pytest.mark.parametrize("first,then,words", [
    ("+01:00", "+02:00", "mixes stamps at UTC+01:00 and at UTC+02:00"),
    ("", "+02:00", "mixes stamps without UTC offset and at UTC+02:00"),
    ("+01:00", "", "mixes stamps at UTC+01:00 and without UTC offset"),
])
def test_mixed_utc_offsets_are_refused_naming_the_rows(tmp_path, model,  # noqa: F811
                                                       monkeypatch, capsys, first, then,
                                                       words):
    # Paris time across the switch to summer time: regular in UTC, offsets mixed
    frame = pd.read_csv(tmp_path / "live.csv")
    utc = pd.date_range("2024-03-31 00:00", periods=len(frame), freq="5min", tz="UTC")
    local = utc.tz_convert("Europe/Paris").strftime("%Y-%m-%d %H:%M:%S")
    frame["timestamp"] = [f"{stamp}{first if i < 12 else then}"
                          for i, stamp in enumerate(local)]
    mixed = tmp_path / "mixed.csv"
    frame.to_csv(mixed, index=False)
    code = main(["score", str(mixed), "-m", str(model), "-o", str(tmp_path / "s.csv")])
    assert_user_error(code, capsys.readouterr().err, words, "data row 1 (", "then data row 13",
                      "convert the stamps to one UTC offset")
    code, out, err = watch(monkeypatch, capsys, mixed.read_text(), "-m", model)
    assert_user_error(code, err, "line 14 of the input", words, "the rows before, then this row")
    assert len(table(out)) == 12 - 3   # the rows before it, less the look-ahead
