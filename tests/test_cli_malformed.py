"""The command line on malformed files, failed writes and untrusted models.

Every failure must end with exit code 2 (130 if interrupted), one
``skvaelstm: error:`` line, no traceback, and no output file: outputs are
written to a temporary name and renamed only when complete, so neither a
partial file nor a leftover temporary file may remain, and a previous output
is left as it was. ``test_cli.py`` covers the other user errors.
"""

import errno
import gzip
import os
import pickle

import numpy as np
import pandas as pd
import pytest
import torch

from skvaelstm.cli import main

from .conftest import Exploit
from .test_cli import TINY_ARGS, assert_user_error, run

N_ROWS = 120


def _rows(separator=",", header=("timestamp", "load", "temp")):
    t = np.arange(N_ROWS)
    stamps = pd.date_range("2024-03-01", periods=N_ROWS, freq="5min").strftime(
        "%Y-%m-%d %H:%M:%S")
    lines = [separator.join(header)] if header else []
    lines += [separator.join((s, f"{np.sin(i / 4):.5f}", f"{np.cos(i / 7):.5f}"))
              for s, i in zip(stamps, t)]
    return "\n".join(lines) + "\n"


def _garbage(n, seed=0, prefix=b""):
    return prefix + np.random.default_rng(seed).integers(0, 256, n, dtype=np.uint8).tobytes()


_GZIPPED = gzip.compress(_rows().encode())
_NAMES = "zeit,température,負荷\n"
# name -> (file name, content, extra options, fragments of the error line)
MALFORMED = {
    "semicolon-delimiter": ("d.csv", _rows(";"), [], ["separated by ';'", "comma-separated"]),
    "tab-delimiter": ("d.csv", _rows("\t"), [], ["separated by '\\t'"]),
    "missing-header": ("d.csv", _rows(header=None), [], ["no header line"]),
    "missing-header-with-time-column": ("d.csv", _rows(header=None),
                                        ["--time-column", "timestamp"],
                                        ["no column 'timestamp'", "no header line"]),
    "text-column": ("d.csv", _rows().replace("\n", ",ok\n").replace(",ok\n", ",status\n", 1),
                    ["--time-column", "timestamp"],
                    ["column 'status' has", "non-numeric value(s)", "'ok'", "--columns"]),
    "thousands-separator": ("d.csv", 'load\n"1,234"\n' * 2, [], ["non-numeric", "'1,234'"]),
    "empty-file": ("d.csv", "", [], ["is empty"]),
    "whitespace-only": ("d.csv", "\n \n\t\n", [], ["is empty"]),
    "header-only": ("d.csv", "timestamp,load\n", [], ["has no data rows"]),
    "binary-garbage": ("d.csv", _garbage(4000), [], ["is not a readable CSV file"]),
    "png-named-csv": ("d.csv", _garbage(500, prefix=b"\x89PNG\r\n\x1a\n"), [],
                      ["is not a readable CSV file"]),
    "utf-16": ("d.csv", _rows().encode("utf-16"), [], ["is not a readable CSV file"]),
    "latin-1-names": ("d.csv", _rows().replace("temp", "température").encode("latin-1"), [],
                      ["is not a readable CSV file"]),
    "ragged-rows": ("d.csv", _rows().replace("\n2024-03-01 01:00", ",9\n2024-03-01 01:00"),
                    [], ["is not a readable CSV file", "Expected 3 fields"]),
    "unterminated-quote": ("d.csv", _rows().replace("\n2024-03-01 01:00", '\n"2024-03-01 01:00'),
                           [], ["is not a readable CSV file"]),
    "truncated-gzip": ("d.csv.gz", _GZIPPED[: len(_GZIPPED) // 2], [],
                       ["d.csv.gz is not a readable CSV file"]),
    "garbage-gzip": ("d.csv.gz", _garbage(2000), [], ["d.csv.gz is not a readable CSV file"]),
    "garbage-bz2": ("d.csv.bz2", _garbage(300, prefix=b"BZh9"), [],
                    ["d.csv.bz2 is not a readable CSV file"]),
    "garbage-xz": ("d.csv.xz", _garbage(300), [], ["d.csv.xz is not a readable CSV file"]),
    "garbage-zip": ("d.csv.zip", _garbage(300, prefix=b"PK\x03\x04"), [],
                    ["d.csv.zip is not a readable CSV file"]),
    "unicode-column-misspelled": ("d.csv", _NAMES + "1,2,3\n" * N_ROWS,
                                  ["--columns", "temperature"],
                                  ["no column 'temperature'", "did you mean 'température'"]),
}


def _write(path, content):
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


@pytest.fixture
def out(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_input_files(tmp_path, out, capsys, case):
    name, content, extra, fragments = MALFORMED[case]
    path = _write(tmp_path / name, content)
    code = main(["detect", str(path), *extra, *TINY_ARGS, "-o", str(out / "scores.csv"),
                 "--save-model", str(out / "model.skv")])
    assert_user_error(code, capsys.readouterr().err, *fragments)
    assert os.listdir(out) == []  # no output, complete or partial, and no temporary file


def test_unicode_column_names_and_a_byte_order_mark_work(tmp_path, out, capsys):
    values = np.sin(np.arange(N_ROWS) / 4)
    body = "".join(f"{i},{v:.5f},{-v:.5f}\n" for i, v in enumerate(values))
    path = tmp_path / "d.csv"
    path.write_text(_NAMES + body, encoding="utf-8-sig")  # Excel's "CSV UTF-8"
    code = main(["detect", str(path), "--time-column", "zeit", *TINY_ARGS,
                 "-o", str(out / "scores.csv")])
    assert code == 0, capsys.readouterr().err
    scores = pd.read_csv(out / "scores.csv")
    assert list(scores.columns) == ["zeit", "température", "負荷", "score", "decision",
                                    "predicted"]
    assert np.all(np.isfinite(scores["score"])) and len(scores) == N_ROWS


def test_numbers_as_column_names_are_accepted_when_named(tmp_path, out, capsys):
    # the escape from the no-header check: sensors named 101, 102
    path = _write(tmp_path / "d.csv", _rows(header=("101", "102", "103")).replace(
        "2024-03-01 ", "").replace(":", ""))
    code = main(["detect", str(path), "--columns", "102,103", *TINY_ARGS,
                 "-o", str(out / "scores.csv")])
    assert code == 0, capsys.readouterr().err
    assert list(pd.read_csv(out / "scores.csv").columns)[:2] == ["102", "103"]


def test_checks_of_the_output_columns_come_before_the_fit(tmp_path, out, capsys):
    # a missing label column or a clash with the output columns used to be found
    # after the fit, when the --save-model file had already been written
    data = _write(tmp_path / "d.csv", _rows(header=("timestamp", "load", "score")))
    for extra, fragment in (([], "would clash with the output columns"),
                            (["--label-column", "nolabel"], "no column 'nolabel'")):
        code = main(["detect", str(data), "--time-column", "timestamp", *extra, *TINY_ARGS,
                     "-o", str(out / "s.csv"), "--save-model", str(out / "m.skv")])
        assert_user_error(code, capsys.readouterr().err, fragment)
        assert os.listdir(out) == []


def test_missing_matplotlib_is_reported_before_the_fit(tmp_path, out, capsys, no_matplotlib):
    data = _write(tmp_path / "d.csv", _rows())
    code = main(["detect", str(data), "--time-column", "timestamp", *TINY_ARGS,
                 "--plot", str(out / "p.png"), "-o", str(out / "s.csv"),
                 "--save-model", str(out / "m.skv")])
    assert_user_error(code, capsys.readouterr().err, "--plot needs matplotlib")
    assert os.listdir(out) == []  # used to fit and write the model first


def test_diverging_training_is_a_user_error_without_outputs(tmp_path, out, capsys):
    data = _write(tmp_path / "d.csv", _rows())
    code = main(["detect", str(data), "--time-column", "timestamp", *TINY_ARGS,
                 "--learning-rate-init", "1e4", "-o", str(out / "s.csv"),
                 "--save-model", str(out / "m.skv")])
    assert_user_error(code, capsys.readouterr().err, "training diverged",
                      "lower --learning-rate-init")
    assert os.listdir(out) == []


@pytest.fixture
def model(tmp_path):
    path = tmp_path / "model.skv"
    data = _write(tmp_path / "train.csv", _rows())
    assert main(["fit", str(data), "--time-column", "timestamp", *TINY_ARGS,
                 "-o", str(path)]) == 0
    return path


@pytest.mark.parametrize("failure, code, fragment", [
    (OSError(errno.ENOSPC, "No space left on device"), 2, "No space left on device"),
    (KeyboardInterrupt(), 130, "interrupted"),
])
def test_failed_write_leaves_no_partial_file_and_keeps_the_old_one(
        tmp_path, out, capsys, monkeypatch, model, failure, code, fragment):
    data = _write(tmp_path / "d.csv", _rows())
    previous = b"timestamp,load,temp,score,decision,predicted\n(previous run)\n"
    (out / "scores.csv").write_bytes(previous)
    capsys.readouterr()

    def fail(descriptor):  # the data is written; flushing it to disk fails
        raise failure

    monkeypatch.setattr(os, "fsync", fail)
    for command in (["score", str(data), "-m", str(model), "-o", str(out / "scores.csv")],
                    ["fit", str(data), "--time-column", "timestamp", *TINY_ARGS,
                     "-o", str(out / "new.skv")]):
        assert main(command) == code
        err = capsys.readouterr().err
        assert err.count("skvaelstm: error:") == 1 and fragment in err, err
        assert "Traceback" not in err
        assert os.listdir(out) == ["scores.csv"]  # no new.skv, no temporary file
        assert (out / "scores.csv").read_bytes() == previous


@pytest.mark.parametrize("kind", ["pickle", "torch-archive"])
def test_score_refuses_a_malicious_model_without_running_it(tmp_path, out, capsys, kind):
    marker = tmp_path / "pwned"
    path = tmp_path / "model.skv"
    if kind == "pickle":
        path.write_bytes(pickle.dumps(Exploit(marker), protocol=4))
    else:
        torch.save(Exploit(marker), path)
    data = _write(tmp_path / "d.csv", _rows())
    code = main(["score", str(data), "-m", str(path), "-o", str(out / "scores.csv")])
    assert_user_error(code, capsys.readouterr().err, "model.skv", "--trusted")
    assert not marker.exists()
    assert os.listdir(out) == []


# --------------------------------------------------------------------------
# the same through the real program
# --------------------------------------------------------------------------
@pytest.mark.slow
def test_subprocess_binary_garbage_and_malicious_model(tmp_path, out):
    garbage = _write(tmp_path / "d.csv", _garbage(4000))
    result = run("detect", garbage, *TINY_ARGS, "-o", out / "scores.csv", cwd=tmp_path)
    assert_user_error(result.returncode, result.stderr, "is not a readable CSV file")
    assert result.stdout == ""

    marker = tmp_path / "pwned"
    model = tmp_path / "model.skv"
    model.write_bytes(pickle.dumps(Exploit(marker), protocol=4))
    data = _write(tmp_path / "ok.csv", _rows())
    result = run("score", data, "-m", model, "-o", out / "scores.csv", cwd=tmp_path)
    assert_user_error(result.returncode, result.stderr, "pickle", "--trusted")
    assert not marker.exists()
    assert os.listdir(out) == []
