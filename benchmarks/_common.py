"""Shared pieces of the benchmark scripts: evaluation, NAB access, result files."""

import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from skvaelstm.metrics import (
    average_precision_anomaly,
    best_f1_oracle,
    point_adjusted_f1,
    roc_auc_anomaly,
    vus_pr,
    vus_roc,
)

RESULTS = Path(__file__).resolve().parent / "results"
METRICS = ("vus_pr", "auc_pr", "auc_roc", "vus_roc", "best_f1_oracle", "pa_f1_oracle")


def evaluate(labels01, score, sliding_window):
    """All metrics of one score vector (higher = more normal) on 0/1 labels."""
    y = np.asarray(labels01)
    return {
        "vus_pr": vus_pr(y, score, sliding_window=sliding_window),
        "auc_pr": average_precision_anomaly(y, score),
        "auc_roc": roc_auc_anomaly(y, score),
        "vus_roc": vus_roc(y, score, sliding_window=sliding_window),
        "best_f1_oracle": best_f1_oracle(y, score),
        "pa_f1_oracle": point_adjusted_f1(y, score),
    }


def test_rows(bunch):
    """Row indices of the test segment(s), concatenated in time order."""
    return np.concatenate([np.arange(len(bunch.labels))[s] for s in bunch.test_slices])


def nab_home():
    """A local NAB copy: $SKVAELSTM_NAB_HOME (fetch_nab's own setting), else None
    (fetch_nab downloads the files into its cache)."""
    return os.environ.get("SKVAELSTM_NAB_HOME") or None


def timed(function, *args, **kwargs):
    """``(result, seconds)`` of one call."""
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def machine():
    """A one-line description of where the numbers were measured."""
    import sklearn
    import torch

    return (f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores, "
            f"torch {torch.__version__} ({torch.get_num_threads()} threads), "
            f"scikit-learn {sklearn.__version__}, Python {platform.python_version()}")


def git_state(root=None):
    """The checkout's commit and whether its tree is clean, read when a run STARTS.

    A run takes minutes to hours; a commit or an edit made meanwhile must not be
    credited with numbers measured on the code of before. "Clean" is ``git status
    --porcelain`` (untracked files included) with nothing listed outside
    ``benchmarks/results/``: the results files are what runs write, and a run
    started after another has rewritten them still measures the committed code.
    Returns ``{"git_commit": ..., "git_clean": ...}``: ``"unknown"`` and None
    outside a git checkout.
    """
    import subprocess

    root = Path(__file__).resolve().parents[1] if root is None else Path(root)
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                                text=True, check=True).stdout.strip()
        changes = subprocess.run(["git", "status", "--porcelain", "--", ".",
                                  ":(exclude)benchmarks/results"],
                                 cwd=root, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return {"git_commit": "unknown", "git_clean": None}
    return {"git_commit": commit, "git_clean": not changes.strip()}


def git_line(state):
    """The results header's line for a :func:`git_state` taken at the start."""
    tree = {True: "clean tree", False: "tree with uncommitted changes",
            None: "no git checkout"}[state["git_clean"]]
    return f"Git commit: {state['git_commit']} ({tree} at the start of the run)"


def machine_load():
    """The 1/5/15-minute load averages, as a string."""
    try:
        return " / ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "unknown"


def mean_std(values):
    values = np.asarray(values, dtype=float)
    return float(values.mean()), float(values.std())


def fmt(mean, std=None, digits=3):
    if std is None:
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def markdown_table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def write_results(stem, payload, markdown):
    """Write ``results/<stem>.json`` and ``results/<stem>.md``."""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{stem}.json").write_text(json.dumps(payload, indent=2, default=float) + "\n")
    (RESULTS / f"{stem}.md").write_text(markdown + "\n")
    return RESULTS / f"{stem}.md"
