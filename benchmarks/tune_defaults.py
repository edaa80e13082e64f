"""Choose VAELSTMDetector's defaults on NAB series that are NOT the five reported ones.

For every tuning series the model is fitted on the anomaly-free prefix (rows before
NAB's first anomaly window) and evaluated on the rest. Compared: architecture
variants (window, context, width, code size), the row-score aggregation (free: one
fit, three scorings) and the share of training rows behind contamination="auto".
Nothing here looks at the five paper series.

Usage:  python benchmarks/tune_defaults.py [--seeds 0 1] [--configs default w24 ...]
Needs NAB (all 58 series): $SKVAELSTM_NAB_HOME, ../shared/data/nab, or a download.
Writes benchmarks/results/tune_defaults.md and .json.
"""

import argparse
import warnings

import numpy as np
import torch
from _common import (
    evaluate,
    fmt,
    machine,
    markdown_table,
    nab_home,
    timed,
    write_results,
)
from joblib import Parallel, delayed
from sklearn.exceptions import ConvergenceWarning

from skvaelstm import VAELSTMDetector
from skvaelstm._windowing import _chronological_split
from skvaelstm.datasets import fetch_nab
from skvaelstm.metrics import anomaly_f1, estimate_sliding_window

# Labelled NAB series from five groups with an anomaly-free prefix of >= 1,000 rows
# (enough for window 48 x 12 windows plus a validation tail).
TUNING_SERIES = [
    "artificialWithAnomaly/art_daily_flatmiddle",
    "artificialWithAnomaly/art_daily_jumpsdown",
    "artificialWithAnomaly/art_increase_spike_density",
    "realAWSCloudwatch/ec2_cpu_utilization_53ea38",
    "realAWSCloudwatch/ec2_cpu_utilization_77c1ca",
    "realAWSCloudwatch/ec2_network_in_257a54",
    "realAWSCloudwatch/rds_cpu_utilization_cc0c53",
    "realAWSCloudwatch/grok_asg_anomaly",
    "realTraffic/occupancy_6005",
    "realTraffic/speed_t4013",
    "realAdExchange/exchange-3_cpm_results",
]

CONFIGS = {
    "default": {},
    "w24": {"window_size": 24},
    "nw6": {"n_windows": 6},
    "wide": {"vae_hidden_size": 256, "lstm_hidden_size": 64},
    "narrow": {"vae_hidden_size": 64, "lstm_hidden_size": 16},
    "code3": {"code_size": 3},
}
AGGREGATIONS = ("mean", "max", "newest")
AUTO_SHARES = (0.005, 0.01, 0.02)


def _split(bunch):
    first = int(np.argmax(bunch.labels))
    return slice(0, first), np.arange(first, len(bunch.labels))


def run_one(bunch, params, seed, threads=None):
    if threads:
        torch.set_num_threads(threads)
    X = bunch.data
    train, test = _split(bunch)
    window = estimate_sliding_window(X)
    det = VAELSTMDetector(**params, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        _, fit_s = timed(det.fit, X[train])
    out = {"fit_s": fit_s, "n_iter": det.n_iter_.tolist(), "aggregation": {}, "auto": {}}
    y = bunch.labels[test]
    # the validation tail: rows the networks never trained on (early stopping only)
    tail = slice(_chronological_split(train.stop, det.validation_fraction), train.stop)
    for aggregation in AGGREGATIONS:
        det.set_params(score_aggregation=aggregation)
        scores = det.score_samples(X)
        out["aggregation"][aggregation] = evaluate(y, scores[test], window)
        out["auto"][aggregation] = {}
        for source, rows in (("training rows", train), ("validation tail", tail)):
            for share in AUTO_SHARES:
                offset = np.percentile(scores[rows], 100 * share)
                predicted = np.where(scores[test] < offset, -1, 1)
                out["auto"][aggregation][f"{source} {100 * share:g}%"] = {
                    "f1": anomaly_f1(y, predicted),
                    "false_alarm_rate": float(np.mean(predicted[y == 0] == -1)),
                    "recall": float(np.mean(predicted[y == 1] == -1)),
                }
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument("--series", nargs="+", default=TUNING_SERIES)
    parser.add_argument("--out", default="tune_defaults", help="results file stem")
    parser.add_argument("--jobs", type=int, default=1,
                        help="parallel fits, each with one torch thread (2 on 2 cores)")
    args = parser.parse_args()
    home = nab_home()
    data = {name: fetch_nab(name, data_home=home) for name in args.series}
    tasks = [(config, name, seed) for config in args.configs for name in data
             for seed in args.seeds]
    threads = 1 if args.jobs > 1 else None
    runs = Parallel(n_jobs=args.jobs)(
        delayed(run_one)(data[name], CONFIGS[config], seed, threads)
        for config, name, seed in tasks)
    results = {}
    for (config, name, seed), r in zip(tasks, runs):
        results.setdefault(config, {}).setdefault(name, []).append(r)
        print(f"{config:8s} {name:50s} seed {seed}: VUS-PR "
              f"{r['aggregation']['mean']['vus_pr']:.3f}  fit {r['fit_s']:.1f}s")

    rows, summary = [], {}
    for config, per_series in results.items():
        for aggregation in AGGREGATIONS:
            vus = [np.mean([r["aggregation"][aggregation]["vus_pr"] for r in runs])
                   for runs in per_series.values()]
            ap = [np.mean([r["aggregation"][aggregation]["auc_pr"] for r in runs])
                  for runs in per_series.values()]
            fit = np.mean([r["fit_s"] for runs in per_series.values() for r in runs])
            summary[f"{config}/{aggregation}"] = {"vus_pr": float(np.mean(vus)),
                                                  "auc_pr": float(np.mean(ap))}
            rows.append([config, aggregation, fmt(np.mean(vus)), fmt(np.mean(ap)),
                         f"{fit:.1f}"])
    rows.sort(key=lambda row: -float(row[2]))
    table = markdown_table(["config", "aggregation", "mean VUS-PR", "mean AUC-PR",
                            "mean fit s"], rows)

    auto_rows = []
    for config in ("default",) if "default" in results else ():
        rules = next(iter(results[config].values()))[0]["auto"]["mean"]
        for aggregation in AGGREGATIONS:
            for rule in rules:
                runs = [run["auto"][aggregation][rule] for series_runs in results[config].values()
                        for run in series_runs]
                auto_rows.append([aggregation, rule] + [fmt(np.mean([r[k] for r in runs]))
                                                        for k in ("f1", "false_alarm_rate",
                                                                  "recall")])
    auto_table = markdown_table(["aggregation", "offset_ = percentile of", "F1 (anomaly)",
                                 "false-alarm rate on normal test rows", "recall"], auto_rows)

    configs_text = "\n".join(f"- `{k}`: {v or 'the defaults'}" for k, v in CONFIGS.items()
                             if k in args.configs)
    markdown = f"""# Tuning the defaults (not on the reported series)

Measured on: {machine()}.
Command: `python benchmarks/tune_defaults.py --seeds {' '.join(map(str, args.seeds))} --configs {' '.join(args.configs)} --jobs {args.jobs} --out {args.out}`

Series ({len(args.series)}, none of the five paper series): {', '.join(args.series)}.
Each is fitted on the rows before NAB's first anomaly window and evaluated on the rest;
VUS sliding window from `estimate_sliding_window` of the series. Mean over series of the
mean over seeds.

Configurations (changes from the defaults of the time):
{configs_text}

## Architecture x row-score aggregation

{table}

## contamination="auto": which scores the threshold comes from (config `default`)

{auto_table}
"""
    path = write_results(args.out, {"machine": machine(), "seeds": args.seeds,
                                           "series": args.series, "configs": CONFIGS,
                                           "summary": summary, "runs": results}, markdown)
    print(markdown)
    print(f"written: {path}")


if __name__ == "__main__":
    main()
