"""Scores of this checkout vs an earlier one, for the same fitted models: are they equal?

Fits two small models with this checkout (one channel, three channels; window 16,
4 windows, 3 epochs, seed 0), saves them as model files, and scores a 3,000-row
series with every score option (``score_samples``; ``channel_scores`` too for three
channels) in this checkout and, from the same files, in the other one (a fresh
process whose ``skvaelstm`` is imported from it). Written to check that a rewrite
of the scoring code kept the scores bit for bit.

Usage:  python benchmarks/engine_equivalence.py --baseline PATH
PATH is a checkout of the earlier commit (e.g. ``git worktree add ../old <commit>``).
Writes benchmarks/results/engine_equivalence.md and .json.
"""

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from _common import git_line, git_state, machine, markdown_table, write_results

HERE = Path(__file__).resolve().parents[1]

_CHILD = r"""
import sys, warnings
import numpy as np
warnings.simplefilter("ignore")
from skvaelstm import VAELSTMDetector
from skvaelstm.persistence import load_model, save_model
fit, folder = sys.argv[1] == "fit", sys.argv[2]
rng = np.random.default_rng(0)
t = np.arange(3000)
X1 = (np.sin(t / 7.0) + 0.1 * rng.standard_normal(3000))[:, None]
X3 = np.column_stack([X1[:, 0], np.cos(t / 5.0), rng.standard_normal(3000)])
X3[2000:2010, 1] += 4
options = [(a, "prediction") for a in ("newest", "mean", "max")] + [
    (a, s) for a in ("window_mean", "window_max", "trailing_mean", "trailing_max")
    for s in ("prediction", "reconstruction", "both")]
out = {}
for name, X in (("1 channel", X1), ("3 channels", X3)):
    path = f"{folder}/{name.replace(' ', '_')}.skv"
    if fit:
        save_model(VAELSTMDetector(window_size=16, n_windows=4, max_iter=3,
                                   random_state=0).fit(X[:1500]), path)
    det = load_model(path)
    for a, s in options:
        det.set_params(score_aggregation=a, error_source=s)
        out[f"{name}|{a}|{s}|score_samples"] = det.score_samples(X)
        if X.shape[1] > 1:
            out[f"{name}|{a}|{s}|channel_scores"] = det.channel_scores(X)
np.savez(f"{folder}/{'this' if fit else 'baseline'}.npz", **out)
"""


def _run(tree, *args):
    env = {**os.environ, "PYTHONPATH": str(tree)}
    subprocess.run([sys.executable, "-c", _CHILD, *args], env=env, cwd=tree, check=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", required=True, type=Path)
    args = parser.parse_args()
    state = git_state()                      # read when the run starts
    baseline = args.baseline.resolve()
    baseline_commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=baseline,
                                     capture_output=True, text=True, check=True).stdout.strip()
    with tempfile.TemporaryDirectory() as folder:
        _run(HERE, "fit", folder)
        _run(baseline, "score", folder)
        this, base = np.load(f"{folder}/this.npz"), np.load(f"{folder}/baseline.npz")
        rows, payload = [], {}
        for key in this.files:
            model, aggregation, source, method = key.split("|")
            a, b = this[key], base[key]
            same = bool(np.array_equal(a, b))
            worst = float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))
            rows.append([model, method, aggregation, source,
                         "yes" if same else "no", "0" if same else f"{worst:.1e}"])
            payload[key] = {"identical": same, "max_relative_difference": worst}
    n_same = sum(v["identical"] for v in payload.values())
    markdown = "\n".join([
        "# Scores of this checkout vs an earlier one, same model files",
        "",
        "Written by `benchmarks/engine_equivalence.py`; do not edit by hand.",
        f"Command: `python benchmarks/engine_equivalence.py --baseline {args.baseline}`",
        f"This checkout: {git_line(state)}.",
        f"Baseline: git commit {baseline_commit}.",
        f"Measured on: {machine()}.",
        "Parameters: VAELSTMDetector(window_size=16, n_windows=4, max_iter=3, "
        "random_state=0) fitted by this checkout on 1,500 rows (1 and 3 channels, numpy "
        "seed 0), both checkouts scoring the same 3,000 rows from the same model files.",
        "",
        f"{n_same} of {len(payload)} score arrays are bit-identical.",
        "",
        markdown_table(["model", "method", "score_aggregation", "error_source",
                        "bit-identical", "max relative difference"], rows),
    ])
    path = write_results("engine_equivalence", {**state, "baseline_commit": baseline_commit,
                                                "arrays": payload}, markdown)
    print(path.read_text())


if __name__ == "__main__":
    main()
