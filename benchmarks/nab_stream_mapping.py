"""How ``nab_stream.py`` turns errors into NAB scores: the candidates, on tuning files.

``benchmarks/nab_stream.py`` maps each row's error to NAB's [0, 1] output with a
z-score against all earlier errors and a suppression of rows that do not top the
previous ``SUPPRESS`` rows. This script measures the candidates of that choice on
the 53 NAB files outside the paper's five (the paper's five are reported, never
used to choose), with the protocol of ``nab_stream.py``: each file fitted on its
probationary rows with ``window_size="auto"``; the errors come from
``score_samples`` of the whole file with a causal option (a row's score reads no
later row, so these are the scores ``StreamScorer`` hands out row by row; the
streaming run checks that equality on every file).

The criterion, fixed before this run: the candidate with the highest mean
standard-profile NAB score (optimised threshold) over the seeds on the 53 files
wins, among one score stream per file (what one ``StreamScorer`` gives); the other
profiles and IsolationForest under each candidate are reported beside it.

Run::

    SKVAELSTM_NAB_HOME=/path/to/NAB python benchmarks/nab_stream_mapping.py \
        --seeds 0 1 2 --jobs 2
"""

import argparse
import logging
import time
import warnings

import numpy as np
from _common import (
    fmt,
    git_line,
    git_state,
    machine,
    machine_load,
    markdown_table,
    mean_std,
    nab_home,
    write_results,
)
from _nab_stream_report import PROFILES
from joblib import Parallel, delayed
from nab_stream import PAPER, REESTIMATE, SUPPRESS, suppressed, tail_z, windows_of
from sklearn.ensemble import IsolationForest
from sklearn.pipeline import make_pipeline

from skvaelstm import VAELSTMDetector
from skvaelstm._metrics._nab_input import _probationary_rows
from skvaelstm.datasets import fetch_nab, list_nab
from skvaelstm.metrics import nab_optimize_threshold
from skvaelstm.preprocessing import LagWindows

log = logging.getLogger("nab_stream_mapping")

# causal score options: (error_source, score_aggregation)
OPTIONS = (("prediction", "newest"), ("prediction", "mean"), ("both", "trailing_mean"),
           ("reconstruction", "trailing_mean"))
SUPPRESSIONS = (0, 50, 100, 200)


def errors_of(name, seed):
    """Causal errors of every option, and IsolationForest's, for one file."""
    X = fetch_nab(name, data_home=nab_home()).data.astype(np.float64)
    start = _probationary_rows(len(X))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        det = VAELSTMDetector(window_size="auto", early_stopping=False, random_state=seed,
                              n_threads=1).fit(X[:start])
    out = {}
    for source, aggregation in OPTIONS:
        det.set_params(error_source=source, score_aggregation=aggregation)
        out[f"{source}/{aggregation}"] = -det.score_samples(X)
    forest = make_pipeline(LagWindows(det.window_size_),
                           IsolationForest(random_state=seed)).fit(X[:start])
    out["IsolationForest"] = -forest.score_samples(X)
    return start, out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", default="nab_stream_mapping")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    source, load = git_state(), machine_load()
    names = list_nab()
    tasks = [(nm, s) for s in args.seeds for nm in names]
    begin = time.perf_counter()
    runs = Parallel(n_jobs=args.jobs, verbose=5)(delayed(errors_of)(nm, s) for nm, s in tasks)
    wall_s = time.perf_counter() - begin
    info = {nm: windows_of(nm) for nm in names}
    subsets = {"tuning": [n for n in names if n not in PAPER],
               "paper": [n for n in names if n in PAPER]}
    keys = [f"{s}/{a}" for s, a in OPTIONS] + ["IsolationForest"]
    results = {}
    for key in keys:
        for seed in args.seeds:
            # the z-scores do not depend on the suppression: once per file
            z = {nm: (tail_z(errors[key], start, REESTIMATE), start)
                 for (nm, s), (start, errors) in zip(tasks, runs) if s == seed}
            for k in SUPPRESSIONS:
                cell = results.setdefault(f"{key}|{k}", {})
                outputs = {nm: (suppressed(zs, start, k), info[nm][1])
                           for nm, (zs, start) in z.items()}
                for sub, members in subsets.items():
                    files = [outputs[nm] for nm in members]
                    for profile in PROFILES:
                        cell.setdefault(f"{sub}|{profile}", []).append(
                            nab_optimize_threshold(files, profile=profile)[0])
    payload = {"command": f"python benchmarks/nab_stream_mapping.py --seeds "
                          f"{' '.join(map(str, args.seeds))} --jobs {args.jobs} --out {args.out}",
               **source, "machine": machine(), "load_before": load, "wall_s": wall_s,
               "seeds": args.seeds, "reestimate": REESTIMATE, "chosen_suppress": SUPPRESS,
               "results": results}
    path = write_results(args.out, payload, report(payload, keys))
    print(f"written: {path}")


def report(p, keys):
    res = p["results"]
    lines = ["# NAB streaming: choosing the mapping of errors to NAB scores", "",
             f"Command: `{p['command']}`  ", git_line(p) + "  ",
             f"Machine: {p['machine']}; load before the run: {p['load_before']}; wall time "
             f"{p['wall_s'] / 60:.1f} min; seeds {p['seeds']}; z-scores re-estimated every "
             f"{p['reestimate']} rows.", "",
             "NAB score at NAB's optimised threshold, mean ± std over seeds. Criterion "
             "(fixed before the run): the highest standard score on the 53 tuning files, "
             "one score stream per file.", ""]
    for sub, title in (("tuning", "53 tuning files (the choice is made here)"),
                       ("paper", "The paper's five files (reported, not used)")):
        rows = []
        for key in keys:
            for k in SUPPRESSIONS:
                rows.append([key, k] + [fmt(*mean_std(res[f"{key}|{k}"][f"{sub}|{prof}"]),
                                            digits=2) for prof in PROFILES])
        lines += [f"## {title}", "", markdown_table(
            ["errors", "suppress rows", "standard", "reward low FP", "reward low FN"], rows),
            ""]
    streams = [k for k in keys if k != "IsolationForest"]
    best = max(((key, k) for key in streams for k in SUPPRESSIONS),
               key=lambda c: np.mean(res[f"{c[0]}|{c[1]}"]["tuning|standard"]))
    lines += [f"Best by the criterion: `{best[0]}` with suppression over {best[1]} rows "
              f"(nab_stream.py uses suppression over {p['chosen_suppress']} rows).", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
