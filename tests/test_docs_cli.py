"""The shell examples of the docs run: the command line on a small data.csv.

Apart from tests/test_docs.py (the Python blocks) so that the two halves run in
the two test processes at once.
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from .test_docs import ROOT, page_blocks, page_id, pages_with

pytestmark = pytest.mark.slow   # subprocesses that fit models


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    return tmp_path


def cli_data(where):
    """The files the command-line examples read: data.csv (timestamp, cpu,
    latency; 5-minute rows from 2024-02-26: 1,152 before 2024-03-01, the
    examples' --train-until; an incident on 2024-03-02 at 05:00), and old.csv /
    new.csv, its rows before and from 2024-03-01 12:00."""
    n = 1750
    rng = np.random.default_rng(0)
    daily = np.sin(np.arange(n) * 2 * np.pi / 288)
    frame = pd.DataFrame({
        "timestamp": pd.date_range("2024-02-26", periods=n, freq="5min"),
        "cpu": 50 + 20 * daily + rng.normal(0, 2, n),
        "latency": 120 + 30 * daily + rng.normal(0, 4, n),
    })
    frame.loc[1500:1509, "latency"] += 150.0
    frame.to_csv(where / "data.csv", index=False)
    split = int(np.searchsorted(frame["timestamp"], pd.Timestamp("2024-03-01 12:00")))
    frame.iloc[:split].to_csv(where / "old.csv", index=False)
    frame.iloc[split:].to_csv(where / "new.csv", index=False)


@pytest.mark.parametrize("page", pages_with("bash"), ids=page_id)
def test_docs_bash_blocks_run_in_order(page, in_tmp):
    cli_data(in_tmp)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p))
    # the `skvaelstm` and `python` of this interpreter's environment
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env["PATH"]])
    outputs = []
    for code in [code for lang, code in page_blocks(page) if lang == "bash"]:
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", code], cwd=in_tmp, env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, (code, done.stdout, done.stderr)
        outputs.append(done)
    if page_id(page) == "user_guide/cli.md":
        new = pd.read_csv(in_tmp / "new-scores.csv")
        assert len(new) == len(pd.read_csv(in_tmp / "new.csv"))
        flagged = new[new["predicted"] == -1]
        assert "latency" in set(flagged["channel_1"])       # the incident's channel
        assert outputs[-2].stdout.split()[-3:] == ["1750", "250", "0"]   # --resample
        found = pd.read_csv(in_tmp / "events.csv")
        assert len(found) >= 1 and found["channels"].str.startswith("latency").any()
        assert "exit code 2" in outputs[-1].stdout
        assert outputs[-1].stdout.count("skvaelstm: error:") == 1
    if page_id(page) == "user_guide/streaming.md":
        live = pd.read_csv(in_tmp / "live.csv")
        assert list(live.columns) == ["timestamp", "score", "decision", "label", "status"]
        assert "anomaly starts" in outputs[-1].stderr
        assert "scores are final 47 rows" in outputs[-1].stderr
        assert "scored without the model's full past" not in outputs[-1].stderr  # --context
        assert (live["status"] == "final").all()
