"""GridSearchCV over window_size x code_size with TimeSeriesSplit on one NAB series.

The recipe users follow: anomaly-class scorers (skvaelstm.metrics.anomaly_scorers),
chronological folds, refit on the best VUS-PR. Test folds without any anomaly would
make ranking metrics undefined, so the folds are placed over the labelled part.

Usage:  python benchmarks/grid_search.py [--series nyc_taxi] [--max-iter 30]
Prints the ranking and writes benchmarks/results/grid_search.md.
"""

import argparse
import time

import numpy as np
from _common import git_line, git_state, machine, machine_load, markdown_table, write_results
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit

from skvaelstm import VAELSTMDetector
from skvaelstm.datasets import load_nab
from skvaelstm.metrics import anomaly_scorers, estimate_sliding_window


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", default="nyc_taxi")
    parser.add_argument("--window-sizes", type=int, nargs="+", default=[24, 48])
    parser.add_argument("--code-sizes", type=int, nargs="+", default=[3, 6])
    parser.add_argument("--n-splits", type=int, default=2)
    parser.add_argument("--max-iter", type=int, default=None,
                        help="epochs per stage (default: the estimator's)")
    args = parser.parse_args()
    source, load = git_state(), machine_load()   # the code measured: read before the run
    options = {} if args.max_iter is None else {"max_iter": args.max_iter}

    bunch = load_nab(args.series)
    X, y = bunch.data, np.where(bunch.labels == 1, -1, 1)
    window = estimate_sliding_window(X)
    search = GridSearchCV(
        VAELSTMDetector(**options, random_state=0),
        param_grid={"window_size": args.window_sizes, "code_size": args.code_sizes},
        scoring=anomaly_scorers(sliding_window=window), refit="vus_pr",
        cv=TimeSeriesSplit(n_splits=args.n_splits), error_score="raise",
    )
    start = time.perf_counter()
    search.fit(X, y)
    seconds = time.perf_counter() - start

    cv = search.cv_results_
    order = np.argsort(cv["rank_test_vus_pr"])
    rows = [[cv["rank_test_vus_pr"][i], cv["params"][i]["window_size"],
             cv["params"][i]["code_size"],
             f"{cv['mean_test_vus_pr'][i]:.3f} ± {cv['std_test_vus_pr'][i]:.3f}",
             f"{cv['mean_test_average_precision_anomaly'][i]:.3f}",
             f"{cv['mean_test_roc_auc_anomaly'][i]:.3f}",
             f"{cv['mean_fit_time'][i]:.1f}"] for i in order]
    table = markdown_table(["rank", "window_size", "code_size", "VUS-PR", "AUC-PR",
                            "AUC-ROC", "fit s / fold"], rows)
    markdown = f"""# GridSearchCV over window_size x code_size

Written by `benchmarks/grid_search.py`; do not edit by hand.
Command: `{_command(args)}`
{git_line(source)}
Measured on: {machine()}; load average before the run: {load}.
Estimator: `VAELSTMDetector(random_state=0{"".join(f", {k}={v!r}" for k, v in options.items())})`
with every other parameter at its default ({VAELSTMDetector().get_params()}).

Series `{args.series}` ({len(X)} rows), `TimeSeriesSplit(n_splits={args.n_splits})`, scorers
from `skvaelstm.metrics.anomaly_scorers(sliding_window={window})` (anomaly class, labels
+1/-1), refit on VUS-PR. Training folds contain anomalies here (the unsupervised setting),
unlike the paper's clean training segment. Total wall time {seconds:.0f} s.
Best: {search.best_params_} (VUS-PR {search.best_score_:.3f}).

{table}
"""
    path = write_results("grid_search", {"command": _command(args), **source,
                                         "machine": machine(), "load_before": load,
                                         "best_params": search.best_params_,
                                         "best_vus_pr": search.best_score_,
                                         "cv_results": {k: np.asarray(v).tolist()
                                                        for k, v in cv.items()
                                                        if k.startswith(("mean_", "std_", "rank_"))},
                                         "params": cv["params"]}, markdown)
    print(markdown)
    print(f"written: {path}")


def _command(args):
    return (f"python benchmarks/grid_search.py --series {args.series} --window-sizes "
            f"{' '.join(map(str, args.window_sizes))} --code-sizes "
            f"{' '.join(map(str, args.code_sizes))} --n-splits {args.n_splits}"
            + ("" if args.max_iter is None else f" --max-iter {args.max_iter}"))


if __name__ == "__main__":
    main()
