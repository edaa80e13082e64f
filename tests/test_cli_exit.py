"""The command line's exit codes are decided by the exception's type: 2 for the
user's input (``InputError`` and the few other types of ``_cli_errors``), 1 for
bugs, whatever file raised them."""

import os

import pandas as pd
import pytest

from skvaelstm._cli import _data as _cli_data
from skvaelstm._cli import _errors as _cli_errors
from skvaelstm._io._tables import _read_table
from skvaelstm._model._compat import InvalidParameterError
from skvaelstm.cli import main
from skvaelstm.exceptions import InputError
from skvaelstm.persistence import ModelFileError, UntrustedModelFileError, save_model

from .test_cli import TINY_ARGS, assert_user_error


def one_error_line(err):
    """stderr holds exactly one line: ``skvaelstm: error: ...``; that line."""
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("skvaelstm: error: "), err
    return lines[0]


def test_input_error_is_a_value_error():
    assert issubclass(InputError, ValueError)
    assert InputError.__module__ == "skvaelstm.exceptions"


@pytest.mark.parametrize("exc, expected", [
    (InputError("x"), True),
    (ModelFileError("m.skv is corrupted"), True),
    (UntrustedModelFileError("m.skv needs --trusted"), True),
    (InvalidParameterError("The 'window_size' parameter ..."), True),
    (FileNotFoundError(2, "No such file", "d.csv"), True),
    (ValueError("an invariant broke"), False),
    (FloatingPointError("overflow"), False),     # an input error only from the estimator
    (TypeError("x"), False),
    (RuntimeError("x"), False),
    (ImportError("No module named 'torch'"), False),
])
def test_exit_policy_is_by_type(exc, expected):
    assert _cli_errors._is_input_error(exc) is expected


def _parquet_files(tmp_path, data):
    """A Parquet file cut in half, random bytes named .parquet, an empty one."""
    pytest.importorskip("pyarrow")
    good = tmp_path / "good.parquet"
    pd.read_csv(data).to_parquet(good)
    content = good.read_bytes()
    files = {"truncated": content[: len(content) // 2], "random": os.urandom(3000),
             "empty": b""}
    paths = []
    for name, raw in files.items():
        path = tmp_path / f"{name}.parquet"
        path.write_bytes(raw)
        paths.append(path)
    return paths


def test_a_corrupt_parquet_file_is_an_input_error_naming_it(tmp_path, data):
    for path in _parquet_files(tmp_path, data):
        with pytest.raises(InputError, match=rf"^{path} is not a readable Parquet file: "):
            _read_table(path)


@pytest.mark.parametrize("command", ["detect", "score"])
def test_corrupt_parquet_exits_2_with_one_line(tmp_path, data, capsys, fitted, command):
    save_model(fitted, tmp_path / "m.skv")
    for path in _parquet_files(tmp_path, data):
        args = ([command, str(path), *TINY_ARGS] if command == "detect"
                else [command, str(path), "-m", str(tmp_path / "m.skv")])
        code = main([*args, "-o", str(tmp_path / "s.csv")])
        line = one_error_line(capsys.readouterr().err)
        assert code == 2
        assert f"{path} is not a readable Parquet file: " in line
        assert "Could not open" not in line   # pyarrow's prefix would repeat the path
        assert not (tmp_path / "s.csv").exists()


def test_parquet_without_pyarrow_exits_2(tmp_path, data, capsys, monkeypatch):
    def no_pyarrow(path, **kwargs):
        raise ImportError("Unable to find a usable engine")

    monkeypatch.setattr(pd, "read_parquet", no_pyarrow)
    (tmp_path / "d.parquet").write_bytes(b"PAR1")
    code = main(["fit", str(tmp_path / "d.parquet"), "-o", str(tmp_path / "m.skv")])
    line = one_error_line(capsys.readouterr().err)
    assert code == 2 and "needs pyarrow" in line and "d.parquet" in line


@pytest.mark.parametrize("exc", [ValueError("an invariant broke"),
                                 RuntimeError("an invariant broke")])
def test_an_internal_error_exits_1_whatever_its_type(tmp_path, data, capsys, monkeypatch,
                                                     exc):
    def broken(args):
        raise exc

    monkeypatch.setattr(_cli_data, "_check_outputs", broken)  # code of the command line
    code = main(["fit", str(data), "-o", str(tmp_path / "m.skv")])
    line = one_error_line(capsys.readouterr().err)
    assert code == 1
    assert line == (f"skvaelstm: error: internal error: {type(exc).__name__}: an invariant "
                    "broke (run with --verbose for the traceback)")


@pytest.mark.parametrize("exc, code", [
    # the data and options passed the estimator's checks: its fit's ValueError is a bug
    (ValueError("operands could not be broadcast together"), 1),
    (FloatingPointError("training diverged"), 2),
    (RuntimeError("CUDA error: an illegal memory access"), 1),
    (IndexError("index 5 is out of bounds"), 1),
])
def test_only_the_estimators_checks_say_the_input_is_wrong(tmp_path, data, capsys,
                                                          monkeypatch, exc, code):
    from skvaelstm import VAELSTMDetector

    def fit(self, X, y=None):
        raise exc

    monkeypatch.setattr(VAELSTMDetector, "fit", fit)
    assert main(["fit", str(data), "--time-column", "timestamp", "--label-column", "label",
                 *TINY_ARGS, "-o", str(tmp_path / "m.skv")]) == code
    line = one_error_line(capsys.readouterr().err)
    assert line.endswith(str(exc) if code == 2 else
                         f"{str(exc)} (run with --verbose for the traceback)")


@pytest.mark.parametrize("flags, fragment", [
    # in the command line's words: flags, not Python parameters
    (["--score-aggregation", "newest"], "needs --error-source prediction"),
    (["--device", "cuda:7"], "--device cuda:7"),
])
def test_the_estimators_own_refusals_of_the_options_exit_2(tmp_path, data, capsys, flags,
                                                           fragment):
    code = main(["fit", str(data), "--time-column", "timestamp", "--label-column", "label",
                 *TINY_ARGS, *flags, "-o", str(tmp_path / "m.skv")])
    line = one_error_line(capsys.readouterr().err)
    assert code == 2 and fragment in line and "internal error" not in line
    assert not (tmp_path / "m.skv").exists()


def test_too_few_rows_to_score_exit_2(tmp_path, data, capsys, fitted):
    save_model(fitted, tmp_path / "m.skv")   # window_size 4, pooled scores: 8 rows
    pd.read_csv(data).head(5).to_csv(tmp_path / "short.csv", index=False)
    code = main(["score", str(tmp_path / "short.csv"), "-m", str(tmp_path / "m.skv"),
                 "--columns", "load", "-o", str(tmp_path / "s.csv")])
    assert_user_error(code, capsys.readouterr().err, "n_samples=5 is too few to score")


def test_scoring_other_channels_than_the_model_exits_2(tmp_path, data, capsys, fitted):
    # fitted (conftest) has one channel; scikit-learn's validate_data refuses two
    save_model(fitted, tmp_path / "m.skv")
    code = main(["score", str(data), "-m", str(tmp_path / "m.skv"), "--time-column",
                 "timestamp", "--columns", "load,temp", "-o", str(tmp_path / "s.csv")])
    # (stderr also warns that the model has no column names)
    assert_user_error(code, capsys.readouterr().err,
                      "X has 2 features, but VAELSTMDetector is expecting 1")


def test_a_bad_model_file_exits_2(tmp_path, data, capsys):
    (tmp_path / "m.skv").write_bytes(b"not a model")
    code = main(["score", str(data), "-m", str(tmp_path / "m.skv"), "-o",
                 str(tmp_path / "s.csv")])
    line = one_error_line(capsys.readouterr().err)
    assert code == 2 and "m.skv" in line and "internal error" not in line
