"""``score`` and ``detect`` --events: one CSV line per event of ``explain.events``."""

import numpy as np
import pandas as pd

from skvaelstm.cli import main
from skvaelstm.explain import events

from .test_cli import TINY_ARGS


def test_detect_and_score_write_the_events(tmp_path, data, capsys):
    out, found = tmp_path / "scores.csv", tmp_path / "events.csv"
    assert main(["detect", str(data), "--time-column", "timestamp", "--columns",
                 "load,temp", "-o", str(out), "--events", str(found), "--merge-gap", "2",
                 "--min-length", "2", "--contamination", "0.2", "-q", *TINY_ARGS,
                 "--save-model", str(tmp_path / "m.skv")]) == 0
    assert "event(s) (--merge-gap 2, --min-length 2) written to" in capsys.readouterr().out
    scores, got = pd.read_csv(out), pd.read_csv(found)
    expected = events(scores.predicted.to_numpy(), scores.score.to_numpy(), merge_gap=2,
                      min_length=2)
    assert len(expected) > 0 and len(got) == len(expected)
    assert list(got.columns) == ["start", "end", "rows", "peak", "peak_score", "channels"]
    stamps = scores.timestamp.to_numpy()
    np.testing.assert_array_equal(got.start, [stamps[e["start"]] for e in expected])
    np.testing.assert_array_equal(got.end, [stamps[e["end"]] for e in expected])
    np.testing.assert_array_equal(got.peak, [stamps[e["peak_row"]] for e in expected])
    np.testing.assert_array_equal(got.rows, [e["rows"] for e in expected])
    np.testing.assert_array_equal(got.peak_score, [e["peak_score"] for e in expected])
    assert set(";".join(got.channels).split(";")) <= {"load", "temp"}
    # score, one channel, no time column: row numbers and no channels column
    pd.read_csv(data)[["load"]].to_csv(tmp_path / "one.csv", index=False)
    assert main(["fit", str(tmp_path / "one.csv"), "-o", str(tmp_path / "one.skv"), "-q",
                 *TINY_ARGS]) == 0
    assert main(["score", str(tmp_path / "one.csv"), "-m", str(tmp_path / "one.skv"),
                 "-o", str(out), "--events", str(found), "--contamination", "0.2",
                 "-q"]) == 0
    scores, got = pd.read_csv(out), pd.read_csv(found)
    expected = events(scores.predicted.to_numpy(), scores.score.to_numpy())
    assert list(got.columns) == ["start", "end", "rows", "peak", "peak_score"]
    assert got.start.tolist() == [e["start"] for e in expected]
