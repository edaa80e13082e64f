"""Fit time and scoring throughput of this checkout vs an earlier one, in one run.

Both versions run in the same process, alternating (the earlier one imported
from a copy of its package under the name ``skvaelstm_baseline``): measured in
separate processes, the same code differed by up to 10-15 % from process to
process on this machine (memory layout, core placement), which hides a
difference of that size between versions. The order alternates from seed to
seed. Measured:
- the default fit (``n_threads=1``, early stopping included) on 10,000 NYC-taxi rows;
- scoring throughput (rows/s) of that fitted model on 100,000 rows of a noisy
  daily-like series (median of 3 calls, after one warm-up call);
first on the machine as it is, then next to one CPU-bound process (a busy loop
on one of the cores), as users' machines rarely are idle.

Usage:  python benchmarks/versions.py --baseline PATH [--repeats 6] [--busy-repeats 3]
PATH is a checkout of the earlier commit (e.g. ``git worktree add ../old <commit>``).
Writes benchmarks/results/versions.md and .json.
"""

import argparse
import importlib
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from _common import git_line, git_state, machine, machine_load, markdown_table, write_results
from sklearn.exceptions import ConvergenceWarning

from skvaelstm.datasets import load_nab

SEEDS = tuple(range(8))


def _series():
    rng = np.random.default_rng(0)
    t = np.arange(100_000)
    return (np.sin(2 * np.pi * t / 288) + 0.1 * rng.standard_normal(len(t)))[:, None]


def _measure(detector_class, X, S, seed):
    start = time.perf_counter()
    det = detector_class(random_state=seed, n_threads=1).fit(X)
    fit_s = time.perf_counter() - start
    det.score_samples(S[:2000])             # first call's one-off costs
    times = []
    for _ in range(3):
        start = time.perf_counter()
        det.score_samples(S)
        times.append(time.perf_counter() - start)
    return {"fit_s": fit_s, "epochs": det.n_iter_.tolist(),
            "score_rows_per_s": len(S) / float(np.median(times)), "offset": det.offset_}


def _commit_of(tree):
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=tree, capture_output=True,
                          text=True, check=True).stdout.strip()


def _round(classes, X, S, repeats):
    runs = {name: [] for name in classes}
    for seed in SEEDS[:repeats]:
        # the order alternates (ABBA...): a drift within a pair favours neither
        order = list(classes) if seed % 2 == 0 else list(classes)[::-1]
        for name in order:
            runs[name].append(_measure(classes[name], X, S, seed))
            print(name, seed, runs[name][-1], file=sys.stderr, flush=True)
    return runs


def _summary(runs):
    rows, payload = [], {}
    base, this = runs["baseline"], runs["this"]
    fit = {k: float(np.median([r["fit_s"] for r in v])) for k, v in runs.items()}
    speed = {k: float(np.median([r["score_rows_per_s"] for r in v])) for k, v in runs.items()}
    ratios = [t["fit_s"] / b["fit_s"] for b, t in zip(base, this)]
    rows.append(["default fit on 10,000 rows, s (median)", f"{fit['baseline']:.2f}",
                 f"{fit['this']:.2f}", f"{fit['this'] / fit['baseline']:.2f}"])
    rows.append(["per-seed fit ratio this / baseline (median; min-max)", "", "",
                 f"{np.median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f})"])
    rows.append(["scoring 100,000 rows, rows/s (median)", f"{speed['baseline']:,.0f}",
                 f"{speed['this']:,.0f}", f"{speed['this'] / speed['baseline']:.2f}"])
    same = sum(b["offset"] == t["offset"] for b, t in zip(base, this))
    rows.append(["fits of the same seed with the same offset_ (bit for bit)", "", "",
                 f"{same} of {len(base)}"])
    payload.update(fit_s=fit, score_rows_per_s=speed, fit_ratios=ratios, runs=runs)
    return rows, payload


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", required=True, type=Path)
    parser.add_argument("--repeats", type=int, default=6)
    parser.add_argument("--busy-repeats", type=int, default=3)
    args = parser.parse_args()
    state = git_state()                        # read when the run starts
    baseline = args.baseline.resolve()
    baseline_commit = _commit_of(baseline)
    warnings.simplefilter("ignore", ConvergenceWarning)
    with tempfile.TemporaryDirectory() as folder:
        shutil.copytree(baseline / "skvaelstm", Path(folder) / "skvaelstm_baseline")
        sys.path.insert(0, folder)
        old = importlib.import_module("skvaelstm_baseline").VAELSTMDetector
        from skvaelstm import VAELSTMDetector

        classes = {"baseline": old, "this": VAELSTMDetector}
        X = load_nab("nyc_taxi").data[:10000]
        S = _series() * X.std() + X.mean()
        load_before = machine_load()
        quiet = _round(classes, X, S, args.repeats)
        load_quiet = machine_load()
        busy_loop = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        try:
            busy = _round(classes, X, S, args.busy_repeats)
        finally:
            busy_loop.kill()
        load_after = machine_load()
    quiet_rows, quiet_payload = _summary(quiet)
    busy_rows, busy_payload = _summary(busy)
    header = ["measure", "baseline", "this", "this / baseline"]
    markdown = "\n".join([
        "# This checkout vs an earlier one: fit time and scoring throughput",
        "",
        "Written by `benchmarks/versions.py`; do not edit by hand.",
        f"Command: `python benchmarks/versions.py --baseline {args.baseline} "
        f"--repeats {args.repeats} --busy-repeats {args.busy_repeats}`",
        f"This checkout: {git_line(state)}.",
        f"Baseline: git commit {baseline_commit}.",
        f"Measured on: {machine()}.",
        f"Load average (1/5/15 min) before / after the quiet runs / after the busy runs: "
        f"{load_before} | {load_quiet} | {load_after}.",
        "Both versions in one process, alternating; the baseline imported from a copy of "
        "its package. Parameters: VAELSTMDetector defaults with n_threads=1 and "
        "random_state = seed; "
        f"seeds {list(SEEDS[:args.repeats])} (quiet), {list(SEEDS[:args.busy_repeats])} "
        "(busy); fit on the first 10,000 rows of NYC taxi; scoring on 100,000 rows of "
        "sin(2 pi t / 288) + 0.1 N(0, 1) (numpy seed 0) in the data's units, median of 3 "
        "calls after a warm-up call; the order of the two checkouts alternates from seed to "
        "seed.",
        "",
        "## On the machine as it is",
        "",
        markdown_table(header, quiet_rows),
        "",
        "## Next to one CPU-bound process (a busy loop on one core)",
        "",
        markdown_table(header, busy_rows),
    ])
    path = write_results("versions", {**state, "baseline_commit": baseline_commit,
                                      "quiet": quiet_payload, "busy": busy_payload},
                         markdown)
    print(path.read_text())


if __name__ == "__main__":
    main()
