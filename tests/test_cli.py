"""The command line: end to end in subprocesses, and every user error's exit code.

Each subprocess pays the torch import (seconds on a small machine), so the
runs that exercise the whole program (demo, fit -> score, detect, a few
errors) are subprocesses, and the full error matrix calls ``main`` in-process,
which checks the same exit codes and messages.
"""

import os
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from skvaelstm import VAELSTMDetector
from skvaelstm.cli import main
from skvaelstm.persistence import load_model, save_model

from .conftest import N_ROWS

TINY_ARGS = ["--window-size", "4", "--n-windows", "3", "--code-size", "2",
             "--vae-hidden-size", "16", "--lstm-hidden-size", "8", "--max-iter", "2",
             "--no-early-stopping", "--random-state", "0"]



def run(*args, cwd):
    """``python -m skvaelstm ARGS`` -> CompletedProcess (text)."""
    env = dict(os.environ, MPLBACKEND="Agg")
    return subprocess.run([sys.executable, "-m", "skvaelstm", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, env=env, timeout=300,
                          check=False)


def assert_user_error(code, err, *fragments):
    """Exit code 2, one ``skvaelstm: error:`` line naming the problem, no traceback."""
    assert code == 2, err
    lines = [line for line in err.splitlines() if "error" in line]
    assert len(lines) == 1 and lines[0].startswith("skvaelstm: error: "), err
    for fragment in fragments:
        assert fragment in lines[0], err
    assert "Traceback" not in err


# --------------------------------------------------------------------------
# end to end, in subprocesses
# --------------------------------------------------------------------------
@pytest.mark.slow
def test_demo_reduced(tmp_path):
    result = run("demo", "--max-iter", "2", "-o", tmp_path / "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "VUS-PR" in result.stdout and "AUC-PR" in result.stdout
    assert "IsolationForest" in result.stdout
    for name in ("scores.csv", "nyc_taxi.png", "model.skv"):
        assert str(tmp_path / "out" / name) in result.stdout
        assert (tmp_path / "out" / name).stat().st_size > 0
    scores = pd.read_csv(tmp_path / "out" / "scores.csv")
    assert list(scores.columns) == ["timestamp", "value", "label", "score", "decision",
                                    "predicted"]
    assert len(scores) == 10320 and set(scores["predicted"]) == {-1, 1}
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_fit_then_score_with_plot(tmp_path, data):
    model = tmp_path / "model.skv"
    fit = run("fit", data, "--time-column", "timestamp", "--columns", "load,temp",
              "--train-until", "2024-03-01 16:00", *TINY_ARGS, "-o", model, cwd=tmp_path)
    assert fit.returncode == 0, fit.stderr
    assert "fitted on 192 rows x 2 channel(s)" in fit.stdout  # 16 h of 5-min rows
    # the model remembers the time column and the channels
    score = run("score", data, "-m", model, "-o", tmp_path / "scores.csv", "--plot",
                tmp_path / "plot.png", "--label-column", "label", cwd=tmp_path)
    assert score.returncode == 0, score.stderr
    out = pd.read_csv(tmp_path / "scores.csv")
    source = pd.read_csv(data)
    assert list(out.columns) == ["timestamp", "load", "temp", "label", "score", "decision",
                                 "predicted"]
    pd.testing.assert_series_equal(out["timestamp"], source["timestamp"])  # kept as written
    detector = load_model(model)
    expected = detector.score_samples(source[["load", "temp"]])
    np.testing.assert_allclose(out["score"], expected, rtol=1e-12)
    np.testing.assert_allclose(out["decision"], expected - detector.offset_, rtol=1e-12)
    np.testing.assert_array_equal(out["predicted"], detector.predict(source[["load", "temp"]]))
    assert (tmp_path / "plot.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow
def test_detect_and_subprocess_errors(tmp_path, data):
    result = run("detect", data, "--time-column", "timestamp", "--label-column", "label",
                 *TINY_ARGS, "-o", tmp_path / "scores.csv", "--save-model",
                 tmp_path / "m.skv", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = pd.read_csv(tmp_path / "scores.csv")
    assert len(out) == N_ROWS and list(out.columns)[:3] == ["timestamp", "load", "temp"]
    assert (tmp_path / "m.skv").exists()

    missing = run("fit", tmp_path / "nope.csv", "-o", tmp_path / "x.skv", cwd=tmp_path)
    assert_user_error(missing.returncode, missing.stderr, "nope.csv")
    column = run("fit", data, "--columns", "lod", "-o", "x.skv", cwd=tmp_path)
    assert_user_error(column.returncode, column.stderr, "no column 'lod'", "'load'")
    load_model(tmp_path / "m.skv")  # the pickle below is made from it
    import joblib

    joblib.dump(load_model(tmp_path / "m.skv"), tmp_path / "m.joblib")
    untrusted = run("score", data, "-m", tmp_path / "m.joblib", "-o", "s.csv", cwd=tmp_path)
    assert_user_error(untrusted.returncode, untrusted.stderr, "pickle", "--trusted")
    assert not (tmp_path / "s.csv").exists()


# --------------------------------------------------------------------------
# the error matrix, in-process
# --------------------------------------------------------------------------
def _edit(data, tmp_path, name, change):
    frame = pd.read_csv(data)
    frame = change(frame)
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def _non_numeric(frame):
    frame["load"] = frame["load"].astype(object)
    frame.loc[5, "load"] = "n/a?"
    return frame


def _nan(frame):
    frame.loc[7, "temp"] = np.nan
    return frame


def _swap(frame):
    frame.iloc[[10, 11]] = frame.iloc[[11, 10]].to_numpy()
    return frame


def _duplicate(frame):
    return pd.concat([frame.iloc[:21], frame.iloc[20:]], ignore_index=True)


def _gap(frame):
    return frame.drop(index=range(50, 60))


def _bad_time(frame):
    frame.loc[3, "timestamp"] = "yesterday"
    return frame


CASES = {
    "non-numeric": (_non_numeric, [], ["column 'load' has 1 non-numeric value(s)",
                                       "data row 6", "'n/a?'", "fix or drop the row"]),
    "nan": (_nan, [], ["column 'temp' has 1 missing value", "data row 8"]),
    "unsorted": (_swap, [], ["not sorted", "data row 12", "--sort"]),
    "duplicated": (_duplicate, [], ["1 duplicated timestamp", "data row 22",
                                    "--allow-duplicates"]),
    "gaps": (_gap, [], ["1 gap(s)", "5 min", "data row 50", "--allow-gaps"]),
    "bad-time": (_bad_time, [], ["not timestamps", "data row 4", "'yesterday'"]),
    "too-few-rows": (lambda f: f.head(12), [], ["12 training rows are too few",
                                                "--window-size 2", "--no-early-stopping"]),
    "too-few-rows-for-this-window": (lambda f: f.head(30), ["--window-size", "12"],
                                     ["30 training rows are too few",
                                      "--window-size 10 (the largest that fits)"]),
    "bad-parameter": (lambda f: f, ["--window-size", "1"],
                      ["--window-size 1: expected an integer >= 2"]),
    "train-until": (lambda f: f, ["--train-until", "2020-01-01"],
                    ["--train-until 2020-01-01 leaves no rows to train on",
                     "the data runs from 2024-03-01 00:00:00 to 2024-03-02 00:55:00"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_user_errors(tmp_path, data, capsys, case):
    change, extra, fragments = CASES[case]
    path = _edit(data, tmp_path, f"{case}.csv", change)
    args = ["fit", str(path), "--time-column", "timestamp", "--columns", "load,temp",
            *TINY_ARGS, *extra, "-o", str(tmp_path / "m.skv")]
    if case == "too-few-rows":
        args.remove("--no-early-stopping")
    code = main(args)
    err = capsys.readouterr().err
    assert_user_error(code, err, *fragments)
    assert "early_stopping=False" not in err   # the command line's flags, not Python's
    assert not (tmp_path / "m.skv").exists()


@pytest.mark.parametrize("case, flag, note", [
    ("unsorted", "--sort", "rows sorted by 'timestamp'"),
    ("duplicated", "--allow-duplicates", "kept (--allow-duplicates)"),
    ("gaps", "--allow-gaps", "used as it is (--allow-gaps)"),
])
def test_explicit_options_accept_irregular_time(tmp_path, data, capsys, case, flag, note):
    path = _edit(data, tmp_path, f"{case}.csv", CASES[case][0])
    code = main(["detect", str(path), "--time-column", "timestamp", "--columns", "load,temp",
                 flag, *TINY_ARGS, "-o", str(tmp_path / "s.csv")])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "skvaelstm: note: " in captured.err and note in captured.err
    times = pd.to_datetime(pd.read_csv(tmp_path / "s.csv")["timestamp"])
    assert times.is_monotonic_increasing


def test_model_and_file_errors(tmp_path, data, capsys):
    (tmp_path / "empty.csv").write_text("")
    # time stamps in a column whose name does not say so: taken as a channel
    pd.read_csv(data).rename(columns={"timestamp": "when"}).to_csv(tmp_path / "when.csv",
                                                                  index=False)
    (tmp_path / "junk.skv").write_bytes(os.urandom(500))
    cases = [
        (["score", str(data), "-m", str(tmp_path / "none.skv"), "-o", "s.csv"],
         ["none.skv", "No such file"]),
        (["score", str(data), "-m", str(tmp_path / "junk.skv"), "-o", "s.csv"],
         ["junk.skv", "not a skvaelstm model file"]),
        (["fit", str(tmp_path / "empty.csv"), "-o", str(tmp_path / "m.skv")], ["is empty"]),
        (["fit", str(data), "-o", str(tmp_path / "no" / "m.skv")],
         ["output folder does not exist"]),
        (["fit", str(tmp_path / "when.csv"), "-o", str(tmp_path / "m.skv")],
         ["column 'when' has", "non-numeric value(s)", "--time-column"]),
        (["fit", str(tmp_path / "when.csv"), "--columns", "load,temp", "--train-until",
          "2024", "-o", str(tmp_path / "m.skv")],
         ["--train-until needs --time-column"]),
        (["detect", str(data), "--time-column", "timestamp", "-o", str(data)],
         ["refusing to overwrite"]),
        (["detect", str(tmp_path / "d.parquet"), "-o", "s.csv"], ["d.parquet"]),
    ]
    for args, fragments in cases:
        code = main(args)
        assert_user_error(code, capsys.readouterr().err, *fragments)


def test_corrupted_model_and_trusted_pickle(tmp_path, data, capsys, fitted):
    # fitted (conftest) has one unnamed channel; score one column of the CSV with it
    save_model(fitted, tmp_path / "m.skv")
    good = (tmp_path / "m.skv").read_bytes()
    (tmp_path / "cut.skv").write_bytes(good[: len(good) // 2])
    code = main(["score", str(data), "-m", str(tmp_path / "cut.skv"), "-o", "s.csv"])
    assert_user_error(code, capsys.readouterr().err, "cut.skv", "truncated or corrupted")
    import joblib

    joblib.dump(fitted, tmp_path / "m.pkl")
    code = main(["score", str(data), "-m", str(tmp_path / "m.pkl"), "--trusted",
                 "--time-column", "timestamp", "--columns", "load",
                 "-o", str(tmp_path / "s.csv")])
    assert code == 0, capsys.readouterr().err
    assert len(pd.read_csv(tmp_path / "s.csv")) == N_ROWS


def test_parquet_input(tmp_path, data, capsys):
    pytest.importorskip("pyarrow")
    pd.read_csv(data).to_parquet(tmp_path / "data.parquet")
    code = main(["detect", str(tmp_path / "data.parquet"), "--time-column", "timestamp",
                 "--columns", "load,temp", *TINY_ARGS, "-o", str(tmp_path / "s.csv")])
    assert code == 0, capsys.readouterr().err
    assert len(pd.read_csv(tmp_path / "s.csv")) == N_ROWS


def test_verbose_shows_traceback_and_internal_errors_exit_1(tmp_path, data, capsys,
                                                            monkeypatch):
    code = main(["fit", str(tmp_path / "nope.csv"), "-o", "m.skv", "--verbose"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" in err and "skvaelstm: error:" in err

    from skvaelstm._io import _tables

    def broken(path):
        raise RuntimeError("boom")

    monkeypatch.setattr(_tables, "_read_table", broken)
    code = main(["fit", str(data), "-o", str(tmp_path / "m.skv")])
    err = capsys.readouterr().err
    assert code == 1 and "internal error: RuntimeError: boom" in err
    assert "Traceback" not in err


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["fit", "data.csv"])  # -o missing
    assert info.value.code == 2
    assert "required: -o/--output" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main([])
    assert info.value.code == 2


def test_help_shows_the_estimators_current_defaults(capsys):
    with pytest.raises(SystemExit):
        main(["fit", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    defaults = VAELSTMDetector().get_params()
    for flag, param in [("--window-size", "window_size"), ("--code-size", "code_size"),
                        ("--n-windows", "n_windows"), ("--vae-hidden-size", "vae_hidden_size"),
                        ("--lstm-hidden-size", "lstm_hidden_size"), ("--max-iter", "max_iter"),
                        ("--batch-size", "batch_size"),
                        ("--learning-rate-init X", "learning_rate_init"),
                        ("--learning-rate NAME", "learning_rate"),
                        ("--sigma", "sigma"), ("--tol", "tol"),
                        ("--score-aggregation", "score_aggregation"),
                        ("--error-source", "error_source"),
                        ("--validation-fraction", "validation_fraction"),
                        ("--n-iter-no-change", "n_iter_no_change"),
                        ("--n-threads N, --threads", "n_threads")]:
        shown = re.search(re.escape(flag) + r"\b.*?\(([^()]*)\)", text).group(1)
        assert shown == f"{defaults[param]:g}" if isinstance(defaults[param], float) \
            else shown == str(defaults[param]), (flag, shown, defaults[param])
