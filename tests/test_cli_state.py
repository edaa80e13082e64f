"""The command line called in-process (a notebook, a script): the caller's state
is left alone, exit codes tell input errors from bugs, outputs are complete."""

import logging
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from skvaelstm.cli import main
from skvaelstm.persistence import load_model, read_model_info

from .test_cli import TINY_ARGS


@pytest.mark.slow
def test_help_and_version_do_not_import_torch():
    # what makes `skvaelstm --help` answer at once (benchmarks/startup.py times it)
    code = ("import sys\nfrom skvaelstm.cli import main\n"
            "for argv in (['--help'], ['--version'], ['fit']):\n"
            "    try:\n        main(argv)\n    except SystemExit:\n        pass\n"
            "assert 'torch' not in sys.modules and 'sklearn' not in sys.modules\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr


def test_logger_and_matplotlib_backend_are_left_as_they_were(tmp_path, data, capsys):
    matplotlib = pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    logger = logging.getLogger("skvaelstm")
    logger.setLevel(logging.WARNING)
    backend, figures = matplotlib.get_backend(), plt.get_fignums()
    code = main(["detect", str(data), "--time-column", "timestamp", "--columns", "load,temp",
                 *TINY_ARGS, "-vv", "--plot", str(tmp_path / "p.png"),
                 "-o", str(tmp_path / "s.csv")])
    assert code == 0, capsys.readouterr().err
    assert logger.level == logging.WARNING and not logger.handlers
    assert matplotlib.get_backend() == backend and plt.get_fignums() == figures
    assert (tmp_path / "p.png").read_bytes()[:4] == b"\x89PNG"


def test_an_error_not_raised_by_the_package_is_an_internal_error(tmp_path, data, capsys,
                                                                      monkeypatch):
    from skvaelstm import VAELSTMDetector

    def scored(self, X):
        # a ValueError whose raise is not in the package: not one of its input checks
        return np.zeros(3) + np.zeros(4)

    monkeypatch.setattr(VAELSTMDetector, "_scored", scored)
    code = main(["detect", str(data), "--time-column", "timestamp", "--columns", "load,temp",
                 *TINY_ARGS, "-o", str(tmp_path / "s.csv")])
    err = capsys.readouterr().err
    assert code == 1 and "internal error: ValueError" in err


def test_scores_csv_is_written_block_by_block_with_the_same_content(tmp_path, data, capsys,
                                                                    monkeypatch):
    from skvaelstm._cli import _output as _cli_output

    args = ["detect", str(data), "--time-column", "timestamp", "--columns", "load,temp",
            "--label-column", "label", *TINY_ARGS]
    assert main(args + ["-o", str(tmp_path / "whole.csv")]) == 0
    monkeypatch.setattr(_cli_output, "_CSV_BLOCK", 7)    # 300 rows: 43 blocks, the last one short
    assert main(args + ["-o", str(tmp_path / "blocks.csv")]) == 0
    whole, blocks = (tmp_path / "whole.csv").read_text(), (tmp_path / "blocks.csv").read_text()
    assert blocks == whole
    assert whole.splitlines()[0] == "timestamp,load,temp,label,score,decision,predicted"
    assert len(whole.splitlines()) == 301


def test_detect_save_model_stores_what_fit_stores(tmp_path, data, capsys):
    code = main(["detect", str(data), "--time-column", "timestamp", "--columns", "load,temp",
                 *TINY_ARGS, "--threads", "2", "-o", str(tmp_path / "s.csv"),
                 "--save-model", str(tmp_path / "m.skv")])
    assert code == 0, capsys.readouterr().err
    metadata = read_model_info(tmp_path / "m.skv")["metadata"]
    assert metadata == {"time_column": "timestamp", "columns": ["load", "temp"],
                        "n_train_rows": 300, "source": "data.csv"}
    assert load_model(tmp_path / "m.skv").n_threads == 2
    # so `score` applies the timestamp checks and writes the time column
    shuffled = pd.read_csv(data).sample(frac=1.0, random_state=0)
    shuffled.to_csv(tmp_path / "shuffled.csv", index=False)
    capsys.readouterr()
    code = main(["score", str(tmp_path / "shuffled.csv"), "-m", str(tmp_path / "m.skv"),
                 "-o", str(tmp_path / "t.csv")])
    assert code == 2 and "not sorted" in capsys.readouterr().err
    code = main(["score", str(data), "-m", str(tmp_path / "m.skv"), "-o", str(tmp_path / "t.csv")])
    assert code == 0
    assert pd.read_csv(tmp_path / "t.csv").columns[0] == "timestamp"


def test_score_with_context_gives_the_rows_the_scores_of_the_whole_file(tmp_path, data,
                                                                        capsys):
    assert main(["fit", str(data), "--time-column", "timestamp", "--columns", "load,temp",
                 *TINY_ARGS, "-o", str(tmp_path / "m.skv")]) == 0
    frame = pd.read_csv(data)
    frame.iloc[:180].to_csv(tmp_path / "old.csv", index=False)
    frame.iloc[180:].to_csv(tmp_path / "new.csv", index=False)
    model = ["-m", str(tmp_path / "m.skv")]
    assert main(["score", str(data), *model, "-o", str(tmp_path / "all.csv")]) == 0
    assert main(["score", str(tmp_path / "new.csv"), *model, "--context",
                 str(tmp_path / "old.csv"), "-o", str(tmp_path / "ctx.csv")]) == 0
    assert main(["score", str(tmp_path / "new.csv"), *model,
                 "-o", str(tmp_path / "alone.csv")]) == 0
    whole = pd.read_csv(tmp_path / "all.csv").iloc[180:].reset_index(drop=True)
    with_context = pd.read_csv(tmp_path / "ctx.csv")
    pd.testing.assert_frame_equal(with_context, whole)
    alone = pd.read_csv(tmp_path / "alone.csv")
    assert not np.allclose(alone["score"], whole["score"])    # why --context exists
    # labels are copied with their type (also when the context has none); an
    # empty data file is refused
    frame.iloc[:180].drop(columns="label").to_csv(tmp_path / "old_unlabelled.csv", index=False)
    assert main(["score", str(tmp_path / "new.csv"), *model, "--context",
                 str(tmp_path / "old_unlabelled.csv"), "--label-column", "label",
                 "-o", str(tmp_path / "lab.csv")]) == 0
    assert pd.read_csv(tmp_path / "lab.csv")["label"].dtype == np.int64
    frame.iloc[:0].to_csv(tmp_path / "empty.csv", index=False)
    capsys.readouterr()
    assert main(["score", str(tmp_path / "empty.csv"), *model, "--context",
                 str(tmp_path / "old.csv"), "-o", str(tmp_path / "e.csv")]) == 2
    assert "no data rows" in capsys.readouterr().err
    # the seam is checked like any other step: overlapping files are refused
    capsys.readouterr()
    code = main(["score", str(data), *model, "--context", str(tmp_path / "old.csv"),
                 "-o", str(tmp_path / "x.csv")])
    err = capsys.readouterr().err
    assert code == 2 and "not sorted" in err and "followed by" in err


@pytest.mark.parametrize("watched, flags, bars", [
    (True, [], True), (True, ["-q"], False), (False, [], False), (False, ["-v"], True)])
def test_progress_is_shown_where_a_person_watches(tmp_path, data, capsys, monkeypatch,
                                                  watched, flags, bars):
    from skvaelstm import cli

    monkeypatch.setattr(cli, "_watched", lambda: watched)
    code = main(["fit", str(data), "--time-column", "timestamp", "--columns", "load,temp",
                 *TINY_ARGS, *flags, "-o", str(tmp_path / "m.skv")])
    err = capsys.readouterr().err
    assert code == 0
    assert ("VAE epochs" in err) == bars
    assert load_model(tmp_path / "m.skv").verbose == 0   # the terminal is not saved


def test_explain_names_the_channels_to_blame(tmp_path, data, capsys):
    frame = pd.read_csv(data)
    frame.loc[200:203, "temp"] += 5.0          # the data fixture's anomaly is in "load"
    frame.to_csv(tmp_path / "d.csv", index=False)
    code = main(["detect", str(tmp_path / "d.csv"), "--time-column", "timestamp",
                 "--columns", "load,temp", *TINY_ARGS, "--train-rows", "150",
                 "--explain", "2", "--plot", str(tmp_path / "p.png"),
                 "-o", str(tmp_path / "s.csv")])
    assert code == 0, capsys.readouterr().err
    out = pd.read_csv(tmp_path / "s.csv")
    assert list(out.columns[-4:]) == ["channel_1", "share_1", "channel_2", "share_2"]
    flagged = out["predicted"] == -1
    assert flagged.any()
    assert out.loc[~flagged, "channel_1"].isna().all()
    assert set(out.loc[flagged, "channel_1"]) <= {"load", "temp"}
    np.testing.assert_allclose(out.loc[flagged, ["share_1", "share_2"]].sum(axis=1), 1.0)
    assert (out.loc[flagged, "channel_1"] != out.loc[flagged, "channel_2"]).all()
    assert (tmp_path / "p.png").read_bytes()[:4] == b"\x89PNG"
    capsys.readouterr()
    assert main(["detect", str(data), "--time-column", "timestamp", "--columns", "load,temp",
                 *TINY_ARGS, "--explain", "3", "-o", str(tmp_path / "x.csv")]) == 2
    assert "--explain 3 is outside 1..2" in capsys.readouterr().err
