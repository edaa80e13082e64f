"""Traps of the command line (issue 21, item 7): what it once did silently or
in the wrong order. A label column trained on as a channel; constant channels
blowing scores up; ``--train-until`` outside the data; an option error reported
only after a data error; messages naming Python parameters; time columns not
found by their names."""

import re

import pandas as pd
import pytest

from skvaelstm import VAELSTMDetector
from skvaelstm.cli import main
from skvaelstm.persistence import load_model, read_model_info, save_model

from .conftest import N_ROWS, TINY, seasonal
from .test_cli import TINY_ARGS, assert_user_error
from .test_watch import watch


def _csv(tmp_path, name, frame):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def _renamed(data, tmp_path, **names):
    return _csv(tmp_path, "renamed.csv", pd.read_csv(data).rename(columns=names))


def _notes(err):
    return [line for line in err.splitlines() if line.startswith("skvaelstm: note: ")]


# --------------------------------------------------------------------------
# 1. a label column is never silently a channel
# --------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["label", "Is_Anomaly", "ANOMALY"])
def test_fit_does_not_train_on_a_column_named_like_a_label(tmp_path, data, capsys, name):
    path = _renamed(data, tmp_path, label=name)
    code = main(["fit", str(path), "--time-column", "timestamp", *TINY_ARGS,
                 "-o", str(tmp_path / "m.skv")])
    err = capsys.readouterr().err
    assert code == 0, err
    assert list(load_model(tmp_path / "m.skv").feature_names_in_) == ["load", "temp"]
    assert _notes(err) == [f"skvaelstm: note: column {name!r} is taken as the label column, "
                           "not a channel, as its name says (to use it as a channel, list "
                           "the channels with --columns)."]


def test_fit_has_label_column_and_columns_can_still_name_a_label_as_channel(
        tmp_path, data, capsys):
    path = _renamed(data, tmp_path, label="incident")
    code = main(["fit", str(path), "--time-column", "timestamp", "--label-column",
                 "incident", *TINY_ARGS, "-o", str(tmp_path / "m.skv")])
    err = capsys.readouterr().err
    assert code == 0 and _notes(err) == [], err
    assert list(load_model(tmp_path / "m.skv").feature_names_in_) == ["load", "temp"]
    # asked for explicitly, a label is a channel, without a note
    code = main(["fit", str(data), "--time-column", "timestamp", "--columns",
                 "load,label", *TINY_ARGS, "-o", str(tmp_path / "m2.skv")])
    err = capsys.readouterr().err
    assert code == 0 and _notes(err) == [], err
    assert list(load_model(tmp_path / "m2.skv").feature_names_in_) == ["load", "label"]


@pytest.mark.parametrize("command, extra, fragments", [
    ("fit", ["--label-column", "load", "--columns", "load,temp"],
     ["--label-column 'load' is also the channel 'load'"]),
    ("detect", ["--label-column", "timestamp"],
     ["--label-column 'timestamp' is also the time column"]),
    ("fit", ["--label-column", "lable"], ["no column 'lable'", "did you mean 'label'?"]),
])
def test_a_label_column_that_is_also_something_else_is_refused(tmp_path, data, capsys,
                                                               command, extra, fragments):
    code = main([command, str(data), "--time-column", "timestamp", *extra, *TINY_ARGS,
                 "-o", str(tmp_path / "out")])
    assert_user_error(code, capsys.readouterr().err, *fragments)


def test_two_columns_named_like_labels_are_refused_naming_the_flag(tmp_path, data, capsys):
    path = _csv(tmp_path, "two.csv", pd.read_csv(data).assign(anomaly=0))
    code = main(["fit", str(path), "--time-column", "timestamp", *TINY_ARGS,
                 "-o", str(tmp_path / "m.skv")])
    assert_user_error(code, capsys.readouterr().err, "2 columns named like a label column",
                      "'label', 'anomaly'", "--label-column")


def test_detect_copies_a_label_found_by_its_name_to_the_output(tmp_path, data, capsys):
    code = main(["detect", str(data), "--time-column", "timestamp", *TINY_ARGS,
                 "-o", str(tmp_path / "s.csv"), "--save-model", str(tmp_path / "m.skv")])
    assert code == 0, capsys.readouterr().err
    assert list(load_model(tmp_path / "m.skv").feature_names_in_) == ["load", "temp"]
    assert list(pd.read_csv(tmp_path / "s.csv").columns) == [
        "timestamp", "load", "temp", "label", "score", "decision", "predicted"]


def test_labels_the_plot_cannot_shade_are_refused_before_the_fit(tmp_path, data, capsys):
    # a column found by its name may hold anything: the plot reads 0/1 or +1/-1
    frame = pd.read_csv(data)
    frame["label"] = frame["label"].map({0: "no", 1: "yes"})
    path = _csv(tmp_path, "words.csv", frame)
    out = tmp_path / "out"
    out.mkdir()
    code = main(["detect", str(path), *TINY_ARGS, "-o", str(out / "s.csv"), "--plot",
                 str(out / "p.png")])
    assert_user_error(code, capsys.readouterr().err,
                      "--label-column 'label' must hold +1/-1 or 0/1 labels")
    assert list(out.iterdir()) == []


def test_watch_with_a_model_without_names_skips_a_label_column(tmp_path, monkeypatch,
                                                              capsys):
    save_model(VAELSTMDetector(**TINY).fit(seasonal(300)), tmp_path / "m.skv")
    rows = [f"{v:.4f},0" for v in seasonal(40)[:, 0]]
    code, out, err = watch(monkeypatch, capsys, "\n".join(["value,label", *rows]) + "\n",
                           "-m", tmp_path / "m.skv")
    assert code == 0, err
    assert "column 'label' is taken as the label column" in err
    assert len(out.splitlines()) > 1


# --------------------------------------------------------------------------
# 2. constant training channels: warned about, scores stay finite
# --------------------------------------------------------------------------
def test_fit_warns_on_stderr_about_a_constant_channel(tmp_path, data, capsys):
    path = _csv(tmp_path, "flat.csv", pd.read_csv(data).assign(valve=5.0))
    code = main(["fit", str(path), "--time-column", "timestamp", *TINY_ARGS,
                 "-o", str(tmp_path / "m.skv")])
    err = capsys.readouterr().err
    assert code == 0, err
    warning = [line for line in err.splitlines() if line.startswith("skvaelstm: warning: ")]
    assert len(warning) == 1 and "channel(s) 'valve' of the training data are constant" in (
        warning[0]), err


# --------------------------------------------------------------------------
# 3. --train-until outside the data
# --------------------------------------------------------------------------
@pytest.mark.parametrize("until, fragment", [
    ("2030-01-01", "--train-until 2030-01-01 is after the last row's time"),
    ("2024-03-02 01:00", "--train-until 2024-03-02 01:00 is after the last row's time"),
    ("2024-03-01", "--train-until 2024-03-01 leaves no rows to train on"),
])
def test_train_until_outside_the_data_is_an_error_naming_its_range(tmp_path, data, capsys,
                                                                  until, fragment):
    code = main(["fit", str(data), "--time-column", "timestamp", "--train-until", until,
                 *TINY_ARGS, "-o", str(tmp_path / "m.skv")])
    assert_user_error(code, capsys.readouterr().err, fragment,
                      "the data runs from 2024-03-01 00:00:00 to 2024-03-02 00:55:00")
    assert not (tmp_path / "m.skv").exists()


def test_train_until_is_read_as_the_time_column_is(tmp_path, capsys):
    # day-first stamps (13/01/2024 first): 01/02/2024 is the 1st of February, as
    # the column's own stamps are read, not the 2nd of January
    stamps = pd.date_range("2024-01-13", periods=600, freq="h").strftime("%d/%m/%Y %H:%M")
    path = _csv(tmp_path, "dayfirst.csv", pd.DataFrame({"when": stamps,
                                                        "value": seasonal(600)[:, 0]}))
    code = main(["fit", str(path), "--time-column", "when", "--train-until",
                 "01/02/2024 00:00", *TINY_ARGS, "-o", str(tmp_path / "m.skv")])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "fitted on 456 rows" in captured.out   # 19 days of hours
    assert read_model_info(tmp_path / "m.skv")["metadata"]["n_train_rows"] == 456


# --------------------------------------------------------------------------
# 4. options are checked before the data are read
# --------------------------------------------------------------------------
@pytest.mark.parametrize("command, flags, fragment", [
    ("fit", ["--window-size", "0"], "--window-size 0: expected an integer >= 2"),
    ("fit", ["--contamination", "0.9"], "--contamination 0.9: expected"),
    ("detect", ["--score-aggregation", "newest"], "--score-aggregation newest"),
    ("fit", ["--device", "cuda:99"], "--device cuda:99"),
    ("fit", ["--train-rows", "0"], "--train-rows 0: expected an integer >= 1"),
    ("fit", ["--train-until", "yesterday"], "--train-until 'yesterday' is neither"),
    ("detect", ["--explain", "0"], "--explain 0: expected an integer >= 1"),
])
@pytest.mark.parametrize("problem", ["missing", "bad"])
def test_a_bad_option_is_reported_before_a_data_problem(tmp_path, capsys, command, flags,
                                                        fragment, problem):
    path = tmp_path / "data.csv"
    if problem == "bad":
        path.write_text("timestamp,value\n2024-01-01,abc\n")
    code = main([command, str(path), *flags, "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert_user_error(code, err, fragment)
    assert "data.csv" not in err


def test_score_checks_its_options_before_the_data(tmp_path, capsys):
    code = main(["score", str(tmp_path / "none.csv"), "-m", str(tmp_path / "none.skv"),
                 "--explain", "0", "-o", str(tmp_path / "s.csv")])
    assert_user_error(code, capsys.readouterr().err, "--explain 0: expected")


# --------------------------------------------------------------------------
# 5. messages name the flags, not the Python parameters
# --------------------------------------------------------------------------
@pytest.mark.parametrize("flags, expected", [
    (["--window-size", "1"], "--window-size 1: expected an integer >= 2 or one of 'auto'."),
    (["--validation-fraction", "1.5"], "--validation-fraction 1.5: expected a number in "
                                       "(0, 1)."),
    (["--error-source", "reconstruction", "--score-aggregation", "max"],
     "--score-aggregation max scores rows by their own errors in predicted windows and "
     "needs --error-source prediction (got 'reconstruction')"),
])
def test_option_errors_name_the_flags(tmp_path, data, capsys, flags, expected):
    code = main(["fit", str(data), *flags, "-o", str(tmp_path / "m.skv")])
    err = capsys.readouterr().err
    assert_user_error(code, err, expected)
    assert "VAELSTMDetector" not in err
    assert not re.search(r"(window_size|validation_fraction|error_source|score_aggregation)",
                         err), err


def test_parameters_in_messages_become_flags():
    from skvaelstm._cli._options import _in_flags

    assert _in_flags("The 'window_size' parameter of VAELSTMDetector must be") == (
        "--window-size must be")
    assert _in_flags("window_size=4, n_windows=12 and validation_fraction=0.1 need") == (
        "--window-size 4, --n-windows 12 and --validation-fraction 0.1 need")
    assert _in_flags("lower learning_rate_init; device='cuda:7' is absent.") == (
        "lower --learning-rate-init; --device cuda:7 is absent.")
    # attributes, paths and plain words stay
    assert _in_flags("n_windows_ in /tmp/window_size.csv, my window_size.csv: a device, "
                     "tol") == ("n_windows_ in /tmp/window_size.csv, my window_size.csv: "
                                "a device, tol")


def test_warnings_name_the_flags(tmp_path, data, capsys):
    # 300 rows are too few for --n-windows 100: fit shrinks it and warns
    code = main(["fit", str(data), "--time-column", "timestamp", "--label-column", "label",
                 *TINY_ARGS, "--n-windows", "100", "-o", str(tmp_path / "m.skv")])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "--window-size 4, --n-windows 100" in err and "n_windows=" not in err, err


# --------------------------------------------------------------------------
# 6. a time column found by its name, the same in fit, score, detect and watch
# --------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["timestamp", "Time", "DATE"])
def test_detect_takes_a_column_named_like_time_as_the_time_column(tmp_path, data, capsys,
                                                                  name):
    path = _renamed(data, tmp_path, timestamp=name)
    code = main(["detect", str(path), *TINY_ARGS, "-o", str(tmp_path / "s.csv")])
    err = capsys.readouterr().err
    assert code == 0, err
    assert (f"skvaelstm: note: column {name!r} is taken as the time column, as its name "
            "says (--time-column names another).") in _notes(err)
    out = pd.read_csv(tmp_path / "s.csv")
    assert list(out.columns)[:3] == [name, "load", "temp"] and len(out) == N_ROWS


def test_a_time_column_found_by_its_name_is_checked_and_kept_by_the_model(tmp_path, data,
                                                                         capsys):
    gappy = _csv(tmp_path, "gappy.csv", pd.read_csv(data).drop(index=range(50, 60)))
    code = main(["fit", str(gappy), *TINY_ARGS, "-o", str(tmp_path / "m.skv")])
    assert_user_error(code, capsys.readouterr().err, "time column 'timestamp' has 1 gap(s)")
    assert main(["fit", str(data), "--train-until", "2024-03-01 16:00", *TINY_ARGS,
                 "-o", str(tmp_path / "m.skv")]) == 0
    assert "fitted on 192 rows" in capsys.readouterr().out
    assert read_model_info(tmp_path / "m.skv")["metadata"]["time_column"] == "timestamp"


def test_score_of_a_model_without_a_time_column_finds_it_by_its_name(tmp_path, data,
                                                                     capsys, fitted):
    save_model(fitted, tmp_path / "m.skv")   # one unnamed channel, no metadata
    code = main(["score", str(data), "-m", str(tmp_path / "m.skv"), "--columns", "load",
                 "-o", str(tmp_path / "s.csv")])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "column 'timestamp' is taken as the time column" in err
    assert list(pd.read_csv(tmp_path / "s.csv").columns)[:2] == ["timestamp", "load"]


def test_two_columns_named_like_time_are_refused_naming_the_flag(tmp_path, data, capsys):
    path = _csv(tmp_path, "two.csv", pd.read_csv(data).assign(date="2024-03-01"))
    code = main(["fit", str(path), *TINY_ARGS, "-o", str(tmp_path / "m.skv")])
    assert_user_error(code, capsys.readouterr().err, "2 columns named like a time column",
                      "--time-column")


def test_watch_finds_the_time_column_by_its_name(tmp_path, monkeypatch, capsys):
    save_model(VAELSTMDetector(**TINY).fit(seasonal(300)), tmp_path / "m.skv")
    stamps = pd.date_range("2024-03-01", periods=40, freq="min").strftime("%Y-%m-%d %H:%M")
    rows = [f"{s},{v:.4f}" for s, v in zip(stamps, seasonal(40)[:, 0])]
    code, out, err = watch(monkeypatch, capsys, "\n".join(["Time,value", *rows]) + "\n",
                           "-m", tmp_path / "m.skv")
    assert code == 0, err
    assert "column 'Time' is taken as the time column" in err
    lines = out.splitlines()
    assert lines[0] == "Time,score,decision,label,status"
    assert lines[1].startswith("2024-03-01 00:00")
    # and its stamps are checked as score checks them
    rows[20] = rows[10]
    code, _, err = watch(monkeypatch, capsys, "\n".join(["Time,value", *rows]) + "\n",
                         "-m", tmp_path / "m.skv")
    assert code == 2 and "comes before the previous row's" in err, err
