"""Choose VAELSTMDetector's defaults on tuning data only: NAB minus the paper's five, and ASD.

Tuning data:

* every labelled NAB series except the five series of the paper (which are only
  reported, in nab_paper.py), each fitted on the rows before NAB's first anomaly
  window (at least the rows a window-48 fit needs; series whose remaining rows hold
  a single class are skipped) and evaluated on the rest;
* the 12 ASD server entities (19 KPIs), fitted on their training rows and evaluated
  on their test rows, scored together with the training rows as one series.

For each training configuration (network and schedule parameters) every series is
fitted once per seed; all row-score options are then measured on the same fitted
networks: ``score_aggregation`` x ``error_source``, and for the multivariate series
two ``channel_combination`` rules (the geometric mean and, for comparison, the
arithmetic mean; every rule is compared in ``benchmarks/multivariate.py``).

Usage:  python benchmarks/tune_defaults.py [--seeds 0] [--configs previous default ...]
        [--jobs 2] [--nab-only | --asd-only]
Needs NAB ($SKVAELSTM_NAB_HOME or a download) and ASD ($SKVAELSTM_ASD_HOME). Writes benchmarks/results/<--out>.md/.json.
"""

import argparse
import time
import warnings

import numpy as np
import torch
from _common import (
    fmt,
    git_line,
    git_state,
    machine,
    machine_load,
    markdown_table,
    nab_home,
    write_results,
)
from asd import asd_home, load_entity
from joblib import Parallel, delayed
from nab_paper import SERIES as PAPER_SERIES
from sklearn.exceptions import ConvergenceWarning

from skvaelstm import VAELSTMDetector
from skvaelstm._model._window_size import _min_fit_rows
from skvaelstm._scoring import _options
from skvaelstm.datasets import fetch_nab, list_nab
from skvaelstm.metrics import average_precision_anomaly, estimate_sliding_window, vus_pr

# Training configurations; each is fitted once per series and seed.
CONFIGS = {
    "previous": {"window_size": 48, "learning_rate": "constant", "learning_rate_init": 2e-3,
                 "max_iter": 100},
    "default": {},
    "cosine_5e-3_40": {"learning_rate": "cosine", "learning_rate_init": 5e-3, "max_iter": 40},
    "constant_1e-2_25": {"learning_rate": "constant", "learning_rate_init": 1e-2,
                         "max_iter": 25},
    "auto_window": {"window_size": "auto"},
    "w24": {"window_size": 24},
    # shorter training (issue 19: a default fit at most 0.8x of 1ebda6c's time)
    "epochs_15": {"max_iter": 15},
    "epochs_20": {"max_iter": 20},
    "batch_512": {"batch_size": 512},
}
AGGREGATIONS = ("newest", "mean", "max", "window_mean", "window_max", "trailing_mean",
                "trailing_max")
SOURCES = ("prediction", "reconstruction", "both")
# NAB series train on the rows before their first anomaly window, at least what a
# window-48 fit with early stopping needs
MIN_TRAIN_ROWS = _min_fit_rows(48, 12, True, 0.1)


# channel rules compared on multivariate series: the estimator's own parameter
# (a monkeypatched _errors._channel_errors was no longer called by the engine);
# every rule is compared in benchmarks/multivariate.py
COMBINATIONS = {"geometric": "geometric", "arithmetic": "mean"}


def nab_tuning_series(home):
    """Labelled NAB series other than the paper's five."""
    names = []
    for name in list_nab():
        if any(paper in name for paper in PAPER_SERIES):
            continue
        if fetch_nab(name, data_home=home).labels.any():
            names.append(name)
    return names


def _nab_task(name, home):
    bunch = fetch_nab(name, data_home=home)
    X, y = bunch.data, bunch.labels
    train_end = max(int(np.argmax(y)), MIN_TRAIN_ROWS)
    test = y[train_end:]
    if test.min() == test.max():
        return None
    return X, train_end, y, estimate_sliding_window(X)


def _asd_task(k, home):
    train, test, labels = load_entity(home, k)
    X = np.vstack([train, test])
    return X, len(train), np.concatenate([np.zeros(len(train), int), labels]), \
        estimate_sliding_window(X[:, 0])


def run_one(kind, name, params, seed, nab, asd, all_options=True):
    torch.set_num_threads(1)
    task = _nab_task(name, nab) if kind == "nab" else _asd_task(int(name.split("-")[1]), asd)
    if task is None:
        return None
    X, train_end, y, sliding_window = task
    det = VAELSTMDetector(**params, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        det.fit(X[:train_end])
        fit_s = time.perf_counter() - start
    y_test = y[train_end:]
    out = {"fit_s": fit_s, "n_iter": det.n_iter_.tolist(), "window_size": det.window_size_,
           "scores": {}}
    combinations = COMBINATIONS if X.shape[1] > 1 and all_options else {"geometric": None}
    for combination in combinations:
        det.set_params(channel_combination=COMBINATIONS[combination])
        for aggregation in AGGREGATIONS if all_options else (det.score_aggregation,):
            for source in SOURCES if all_options else (det.error_source,):
                if aggregation in _options.PER_ROW and source != "prediction":
                    continue
                det.set_params(score_aggregation=aggregation, error_source=source)
                score = det.score_samples(X)[train_end:]
                out["scores"][f"{combination}|{aggregation}|{source}"] = [
                    vus_pr(y_test, score, sliding_window=sliding_window),
                    average_precision_anomaly(y_test, score)]
    return out


def _per_series(results, kind, config, key, metric=0):
    """``{series: mean over seeds}`` of the series of ``kind`` that have ``key``."""
    return {name: float(np.mean([run["scores"][key][metric] for run in runs]))
            for name, runs in results[config].items()
            if name.startswith(kind) and all(key in run["scores"] for run in runs)}


def _summary(results, kind, config, key, metric=0):
    """Mean over series of the mean over seeds (None when missing)."""
    values = list(_per_series(results, kind, config, key, metric).values())
    return float(np.mean(values)) if values else None


def _paired(results, this, reference):
    """``this`` minus ``reference``, each a ``(config, row-score key)`` pair, per
    series, for NAB and ASD: 'mean ± standard error (wins/series)'."""
    cells = []
    for kind in ("nab", "asd"):
        a, b = (_per_series(results, kind, *pair) if pair[0] in results else {}
                for pair in (this, reference))
        common = sorted(set(a) & set(b))
        diff = np.array([a[s] - b[s] for s in common])
        cells.append("-" if not common else
                     f"{diff.mean():+.3f} ± {diff.std() / np.sqrt(len(diff)):.3f} "
                     f"({(diff > 0).sum()}/{len(diff)})")
    return cells


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument("--jobs", type=int, default=2,
                        help="parallel fits, each with one torch thread")
    parser.add_argument("--out", default="tune_defaults", help="results file stem")
    parser.add_argument("--limit", type=int, default=0,
                        help="only the first N series of each kind (a smoke test)")
    parser.add_argument("--default-scores", action="store_true",
                        help="score each fit with the default row-score options only (every "
                        "option x combination costs about 45 VUS-PR evaluations per ASD fit)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--nab-only", action="store_true")
    group.add_argument("--asd-only", action="store_true")
    args = parser.parse_args()
    source, load = git_state(), machine_load()   # the code measured: read before the run
    nab, asd = nab_home(), asd_home()
    series = []
    limit = slice(None, args.limit or None)
    if not args.asd_only:
        series += [("nab", name) for name in nab_tuning_series(nab)[limit]]
    if not args.nab_only:
        if asd is None:
            raise SystemExit("ASD not found: set SKVAELSTM_ASD_HOME (or use --nab-only).")
        series += [("asd", f"omi-{k}") for k in range(1, 13)[limit]]
    defaults = VAELSTMDetector().get_params()
    tasks = [(config, kind, name, seed) for config in args.configs for kind, name in series
             for seed in args.seeds]
    runs = Parallel(n_jobs=args.jobs)(
        delayed(run_one)(kind, name, CONFIGS[config], seed, nab, asd,
                         all_options=not args.default_scores)
        for config, kind, name, seed in tasks)
    results = {}
    for (config, kind, name, _seed), run in zip(tasks, runs):
        if run is None:
            continue
        results.setdefault(config, {}).setdefault(f"{kind}:{name}", []).append(run)
    markdown = _report(results, args, series, defaults, load, source)
    payload = {"command": _command(args), **source, "machine": machine(),
               "load_before": load, "seeds": args.seeds, "defaults": defaults,
               "configs": {c: CONFIGS[c] for c in args.configs}, "results": results}
    path = write_results(args.out, payload, markdown)
    print(markdown)
    print(f"written: {path}")


def _command(args):
    flags = " --nab-only" if args.nab_only else " --asd-only" if args.asd_only else ""
    flags += f" --limit {args.limit}" if args.limit else ""
    flags += " --default-scores" if args.default_scores else ""
    return (f"python benchmarks/tune_defaults.py --seeds {' '.join(map(str, args.seeds))} "
            f"--configs {' '.join(args.configs)} --jobs {args.jobs} --out {args.out}{flags}")


def _report(results, args, series, defaults, load, source):
    scoring_config = "default" if "default" in results else next(iter(results))
    keys = sorted({key for runs in results[scoring_config].values() for run in runs
                   for key in run["scores"]})
    default_key = f"geometric|{defaults['score_aggregation']}|{defaults['error_source']}"
    rows = []
    for key in keys:
        combination, aggregation, error_source = key.split("|")
        # one channel: the arithmetic and geometric combinations are the same number
        nab_key = key.replace("arithmetic|", "geometric|")
        nab_s = _per_series(results, "nab", scoring_config, nab_key)
        asd_s = _per_series(results, "asd", scoring_config, key)
        nab_v = float(np.mean(list(nab_s.values()))) if nab_s else None
        asd_v = float(np.mean(list(asd_s.values()))) if asd_s else None
        every = float(np.mean(list(nab_s.values()) + list(asd_s.values())))
        rows.append([aggregation, error_source, combination,
                     "-" if nab_v is None else fmt(nab_v), "-" if asd_v is None else fmt(asd_v),
                     fmt(every) if nab_v is not None and asd_v is not None else "-",
                     "yes" if _options._look_ahead(aggregation, 2) == 0 else "no"]
                    + _paired(results, (scoring_config, key), (scoring_config, default_key)))
    rows.sort(key=lambda row: -float(row[5]) if row[5] != "-" else 1.0)
    config_rows = []
    for config, per_series in results.items():
        runs = [run for series_runs in per_series.values() for run in series_runs]
        values = {kind: _summary(results, kind, config, default_key) for kind in ("nab", "asd")}
        fit = {kind: [run["fit_s"] for name, series_runs in per_series.items()
                      if name.startswith(kind) for run in series_runs] for kind in ("nab", "asd")}
        config_rows.append([config, CONFIGS[config] or "the defaults"]
                           + ["-" if values[k] is None else fmt(values[k]) for k in ("nab", "asd")]
                           + ["-" if not fit[k] else f"{np.mean(fit[k]):.1f}"
                              for k in ("nab", "asd")]
                           + [" / ".join(f"{v:.0f}" for v in np.mean([r["n_iter"] for r in runs],
                                                                      axis=0))]
                           + _paired(results, (config, default_key), ("default", default_key)))
    n_nab = sum(1 for name in results[scoring_config] if name.startswith("nab"))
    n_asd = sum(1 for name in results[scoring_config] if name.startswith("asd"))
    return f"""# Tuning the defaults (never on the five reported NAB series)

Written by `benchmarks/tune_defaults.py`; do not edit by hand.
Command: `{_command(args)}`
{git_line(source)}
Measured on: {machine()}; load average before the run: {load}.
Seeds: {args.seeds}; parallel fits: {args.jobs} (one torch thread each).
Defaults at the time of the run: {defaults}.

Tuning data: {n_nab} labelled NAB series other than the paper's five (fitted on the rows
before the first anomaly window, at least {MIN_TRAIN_ROWS}; series
whose remaining rows hold one class are skipped), and {n_asd} ASD entities (19 KPIs).
Values: VUS-PR (sliding window from `estimate_sliding_window`, on the first channel for
ASD), the mean over series of the mean over seeds.

## Row-score options (training configuration `{scoring_config}`)

"combination": how channel errors are combined (geometric = the library's; the others
only for comparison, measured on ASD: for one channel the arithmetic mean equals the
geometric one, `log` does not and is not measured on NAB). "all series": the mean over
every NAB and ASD series, each counted once. "causal": whether a row's score reads only
rows up to it. "vs default": this option minus the default
(`{default_key}`), per series: mean ± standard error (series where it is higher / series).

{markdown_table(["score_aggregation", "error_source", "combination", "NAB VUS-PR",
                 "ASD VUS-PR", "all series", "causal", "NAB vs default",
                 "ASD vs default"], rows)}

## Training configurations (row scores: `{default_key}`)

"NAB / ASD vs default": this configuration minus `default` per series (both with the
row scores above): mean ± standard error (series where it is higher / series).

{markdown_table(["config", "parameters", "NAB VUS-PR", "ASD VUS-PR", "NAB fit s",
                 "ASD fit s", "epochs VAE / LSTM", "NAB vs default", "ASD vs default"],
                config_rows)}
"""


if __name__ == "__main__":
    main()
