"""Multivariate benchmark on ASD: VAE-LSTM vs IsolationForest, PyOD's AutoEncoder and random.

ASD (Application Server Dataset; Li et al., "Multivariate Time Series Anomaly
Detection and Interpretation using Hierarchical Inter-Metric and Temporal
Embedding", KDD 2021, published with InterFusion, MIT licence): 12 server entities,
19 KPIs each, 5-minute rows, min-max scaled on the training part. Every detector is
fitted on an entity's training rows; the training and test rows are scored as one
series (the test part follows the training part in time, so windowed detectors see
real history) and evaluated on the test rows. VUS sliding window: TSB-AD's rule on
the first channel (as TSB-AD does for multivariate series).

Usage:  python benchmarks/asd.py [--seeds 0 1 2] [--entities 1 2 ...] [--jobs 2]
Needs the ASD files in $SKVAELSTM_ASD_HOME (with train/, test/, test_label/). Writes benchmarks/results/asd.md and .json.
"""

import argparse
import os
from pathlib import Path

import numpy as np
import torch
from _common import (
    fmt,
    git_line,
    git_state,
    machine,
    machine_load,
    markdown_table,
    mean_std,
    write_results,
)
from joblib import Parallel, delayed
from nab_paper import RESCORED, detector_entries, fit_and_evaluate

from skvaelstm.metrics import estimate_sliding_window


def asd_home():
    """$SKVAELSTM_ASD_HOME, else None."""
    home = os.environ.get("SKVAELSTM_ASD_HOME")
    return Path(home) if home else None


def load_entity(home, k):
    """``(train, test, labels)`` of entity ``omi-k``."""
    train, test = (np.loadtxt(home / part / f"omi-{k}.txt.gz", delimiter=",", ndmin=2)
                   for part in ("train", "test"))
    labels = np.loadtxt(home / "test_label" / f"omi-{k}.txt", ndmin=1).astype(int)
    return train, test, labels


# ASD is not the place for the previous defaults (fits 3x longer, same networks as NAB's row)
SKIP = ("VAELSTMDetector (previous defaults: newest row error)",)


def run(det_name, k, seed, home, threads):
    torch.set_num_threads(threads)
    train, test, labels = load_entity(home, k)
    X = np.vstack([train, test])
    return fit_and_evaluate(det_name, X, slice(0, len(train)), seed, labels,
                            slice(len(train), None), estimate_sliding_window(X[:, 0]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--entities", type=int, nargs="+", default=list(range(1, 13)))
    parser.add_argument("--jobs", type=int, default=2,
                        help="parallel runs, each with one torch thread")
    args = parser.parse_args()
    home = asd_home()
    if home is None:
        raise SystemExit("ASD not found: set SKVAELSTM_ASD_HOME to a folder with train/, "
                         "test/ and test_label/.")
    source, load = git_state(), machine_load()   # the code measured: read before the run
    entries = [(name, causal) for name, causal in detector_entries() if name not in SKIP]
    tasks = [(name, k, seed) for name, _ in entries if name not in RESCORED
             for k in args.entities for seed in args.seeds]
    threads = 1 if args.jobs > 1 else torch.get_num_threads()
    runs = Parallel(n_jobs=args.jobs)(delayed(run)(name, k, seed, home, threads)
                                      for name, k, seed in tasks)
    results = {name: {} for name, _ in entries}
    for (name, k, seed), by_detector in zip(tasks, runs):
        if isinstance(by_detector, str):
            results[name]["skipped"] = by_detector
            continue
        for det, r in by_detector.items():
            results[det].setdefault(f"omi-{k}", []).append(r)
            print(f"{det:56s} omi-{k:<3d} seed {seed}: VUS-PR {r['vus_pr']:.3f} "
                  f"fit {r['fit_s']:.1f}s", flush=True)
    markdown = _report(results, args, entries, load, source)
    path = write_results("asd", {"command": _command(args), **source,
                                 "machine": machine(), "load_before": load,
                                 "seeds": args.seeds, "entities": args.entities,
                                 "results": results}, markdown)
    print(markdown)
    print(f"written: {path}")


def _command(args):
    return (f"python benchmarks/asd.py --seeds {' '.join(map(str, args.seeds))} "
            f"--entities {' '.join(map(str, args.entities))} --jobs {args.jobs}")


def _report(results, args, entries, load, source):
    causal = dict(entries)
    header = ["detector", "causal", "VUS-PR", "AUC-PR", "AUC-ROC", "VUS-ROC", "best-F1 (oracle)",
              "fit s", "score s"]
    rows, per_entity = [], []
    for name, by_entity in results.items():
        if "skipped" in by_entity:
            rows.append([name, causal[name], by_entity["skipped"]] + [""] * 6)
            continue
        per_seed = {m: [np.mean([by_entity[e][i][m] for e in by_entity])
                        for i in range(len(args.seeds))]
                    for m in ("vus_pr", "auc_pr", "auc_roc", "vus_roc", "best_f1_oracle",
                              "fit_s", "score_s")}
        rows.append([name, causal[name]]
                    + [fmt(*mean_std(per_seed[m])) for m in ("vus_pr", "auc_pr", "auc_roc",
                                                            "vus_roc", "best_f1_oracle")]
                    + [f"{np.mean(per_seed['fit_s']):.1f}", f"{np.mean(per_seed['score_s']):.2f}"])
        for e, runs in by_entity.items():
            per_entity.append([e, name, fmt(*mean_std([r["vus_pr"] for r in runs])),
                               fmt(*mean_std([r["auc_pr"] for r in runs]))])
    per_entity.sort(key=lambda row: int(row[0].split("-")[1]))
    return f"""# ASD multivariate benchmark (12 server entities x 19 KPIs)

Written by `benchmarks/asd.py`; do not edit by hand.
Command: `{_command(args)}`
{git_line(source)}
Measured on: {machine()}; load average before the run: {load}.
Seeds: {args.seeds}; parallel runs: {args.jobs} (one torch thread each).

Each detector is fitted on an entity's training rows; training and test rows are scored
as one series and the test rows evaluated. VUS sliding window: `estimate_sliding_window`
of the first channel. **VUS-PR etc.: mean over the {len(args.entities)} entities for each
seed, then mean ± std of that mean over the seeds.** "causal": whether a row's score reads
only rows up to it (windowed AutoEncoder with mean aggregation reads up to 47 later rows).

## Mean over entities

{markdown_table(header, rows)}

## Per entity (mean ± std over seeds)

{markdown_table(["entity", "detector", "VUS-PR", "AUC-PR"], per_entity)}
"""


if __name__ == "__main__":
    main()
