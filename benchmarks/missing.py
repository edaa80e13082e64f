"""Missing data: VAELSTMDetector(missing="mask") vs interpolation + defaults vs the full data.

Tuning data only (issue 23): the 43 labelled NAB series other than the paper's five
(``tune_defaults.nab_tuning_series``: fitted on the rows before NAB's first anomaly
window, evaluated on the rest) and, with ``--asd``, the 12 ASD entities (fitted on
the training rows, training and test rows scored as one series, metrics on the test
rows).

Missing-data conditions: a share ``rate`` (``--rates``) of the VALUES (cells) set to
NaN, in the training and the scored rows alike, with one of two patterns:

* ``random``: independent cells;
* ``burst``: runs of consecutive rows, per channel (each channel of a multivariate
  series gets its own runs), run lengths geometric with mean ``BURST_MEAN`` (10) rows,
  run starts uniform, runs added until the channel's share of NaN reaches ``rate``.

The holes are drawn from a generator seeded by (series, seed, rate, pattern)
(``zlib.crc32`` of their text), so every run of the script removes the same cells.

Detectors per condition, each with ``random_state=seed``:

1. ``masked``: ``VAELSTMDetector(missing="mask")`` on the holed data;
2. ``interpolated``: the holed data linearly interpolated (pandas ``interpolate``,
   ``limit_direction="both"``), then ``VAELSTMDetector()`` (defaults);
3. ``iforest``: IsolationForest on lag windows (``nab_paper.DETECTORS``) of the
   interpolated data;

plus ``full``: the defaults on the complete data (once per series and seed, shared by
every condition).

Metric: VUS-PR with the sliding window of the other benchmarks
(``estimate_sliding_window`` of the complete series; first channel for ASD) on the
evaluated rows. The masked detector may leave rows without a score (NaN, no observed
neighbour); its **headline is VUS-PR on observed rows** (rows with a score; the number
of evaluated rows without one is reported); it is also reported with NaN scores
replaced by the series' median score so that every row counts.

Optional ``--cli-resample``: a NAB tuning file with 5 % of its rows deleted
(irregular time stamps) through ``skvaelstm detect --resample auto``, against the
complete file (``cli_resample``); skipped with a message when the installed CLI has
no such flag. ``--only-cli-resample`` runs that check alone (default results stem
``missing_cli_resample``).

Usage:  python benchmarks/missing.py [--seeds 0 1 2] [--rates 0.01 0.05 0.1]
        [--patterns random burst] [--limit N] [--asd [--no-nab]] [--jobs 2] [--cache DIR]
        [--cli-resample | --only-cli-resample] [--out missing]
Needs NAB ($SKVAELSTM_NAB_HOME or a download); ASD ($SKVAELSTM_ASD_HOME) with --asd.
Writes benchmarks/results/<--out>.md and .json. Tasks are ordered so that the must
condition (5 % at random, NAB) with all its seeds runs first.
"""

import argparse
import json
import logging
import re
import shlex
import subprocess
import sys
import time
import warnings
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
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
from asd import asd_home
from joblib import Parallel, delayed
from nab_paper import DETECTORS, WINDOW
from sklearn.exceptions import ConvergenceWarning
from tune_defaults import _asd_task, _nab_task, nab_tuning_series

from skvaelstm import VAELSTMDetector
from skvaelstm.metrics import vus_pr

log = logging.getLogger("missing")
BURST_MEAN = 10
IFOREST = f"IsolationForest on LagWindows({WINDOW})"
DETECTOR_NAMES = ("masked", "interpolated", "iforest")
MUST = (0.05, "random")


def holes(shape, rate, pattern, key):
    """Boolean mask of the cells set to NaN, seeded by ``key`` (series, seed, rate, pattern)."""
    rng = np.random.default_rng(zlib.crc32(key.encode()))
    n, d = shape
    mask = np.zeros(shape, bool)
    if pattern == "random":
        mask.flat[rng.choice(n * d, size=int(round(rate * n * d)), replace=False)] = True
        return mask
    target = int(round(rate * n))
    for j in range(d):
        while mask[:, j].sum() < target:
            length = min(int(rng.geometric(1 / BURST_MEAN)), target - mask[:, j].sum())
            start = int(rng.integers(0, n - length + 1))
            mask[start:start + length, j] = True
    return mask


def interpolate(X):
    return pd.DataFrame(X).interpolate(method="linear", limit_direction="both").to_numpy()


def _load(kind, name):
    if kind == "nab":
        task = _nab_task(name, nab_home())
    else:
        task = _asd_task(int(name.split("-")[1]), asd_home())
    return task   # (X, train_end, labels, sliding window of the complete data) or None


def _fit_score(model, X, train_end):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        model.fit(X[:train_end])
        fit_s = time.perf_counter() - start
    return model.score_samples(X)[train_end:], fit_s


def run_one(det, kind, name, seed, rate, pattern):
    """One (detector, series, seed, condition) result."""
    torch.set_num_threads(1)
    task = _load(kind, name)
    if task is None:
        return None
    X, train_end, y, window = task
    X = np.asarray(X, float).reshape(len(X), -1)
    y_test = y[train_end:]
    if det == "full":
        score, fit_s = _fit_score(VAELSTMDetector(random_state=seed), X, train_end)
        return {"fit_s": fit_s, "vus_pr": vus_pr(y_test, score, sliding_window=window)}
    holed = X.copy()
    holed[holes(X.shape, rate, pattern, f"{kind}:{name}|{seed}|{rate}|{pattern}")] = np.nan
    if det == "masked":
        try:
            score, fit_s = _fit_score(VAELSTMDetector(missing="mask", random_state=seed),
                                      holed, train_end)
        except ValueError as exc:   # a named refusal (e.g. too few observed windows)
            return {"refused": str(exc), "vus_pr": None}
        observed = ~np.isnan(score)
        out = {"fit_s": fit_s, "rows": int(len(score)), "unscored": int((~observed).sum())}
        # observed rows: a VUS-PR needs both classes among them
        ys = y_test[observed]
        out["vus_pr"] = (vus_pr(ys, score[observed], sliding_window=window)
                         if ys.min() != ys.max() else None)
        filled = np.where(observed, score, np.nanmedian(score))
        out["vus_pr_median_filled"] = vus_pr(y_test, filled, sliding_window=window)
        return out
    model = (VAELSTMDetector(random_state=seed) if det == "interpolated"
             else DETECTORS[IFOREST](seed))
    score, fit_s = _fit_score(model, interpolate(holed), train_end)
    return {"fit_s": fit_s, "vus_pr": vus_pr(y_test, score, sliding_window=window)}


def _cached(cache, task):
    det, kind, name, seed, rate, pattern = task
    if not logging.getLogger().handlers:   # joblib workers: log to stderr too
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    path = None
    if cache is not None:
        path = Path(cache) / (re.sub(r"[^\w.-]", "_",
                                     f"{det}__{kind}_{name}__{seed}__{rate}__{pattern}")
                              + ".json")
        if path.exists():
            return json.loads(path.read_text())
        path.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    result = run_one(*task)
    log.info("%s %s:%s seed %s %s %s: %s (%.0f s)", det, kind, name, seed, rate, pattern,
             "skipped (one class)" if result is None else
             fmt(result["vus_pr"]) if result["vus_pr"] is not None else "no VUS-PR",
             time.perf_counter() - start)
    if path is not None:
        path.write_text(json.dumps(result))
    return result


def _tasks(series, seeds, conditions):
    """The must condition (5 % random, NAB) with its full-data references first."""
    def order(condition):
        return (condition != MUST, conditions.index(condition))
    tasks = []
    for kinds in (("nab",), ("asd",)):
        for i, condition in enumerate(sorted(conditions, key=order)):
            for seed in seeds:
                for kind, name in series:
                    if kind not in kinds:
                        continue
                    if i == 0:
                        tasks.append(("full", kind, name, seed, None, None))
                    tasks += [(det, kind, name, seed, *condition) for det in DETECTOR_NAMES]
    return tasks


CLI_SERIES = "realAWSCloudwatch/ec2_cpu_utilization_5f5533"   # a tuning series, 5-min rows
CLI_SHARE, CLI_SEED = 0.05, 0


def cli_resample(name=CLI_SERIES, share=CLI_SHARE, seed=CLI_SEED):
    """A NAB tuning file with ``share`` of its rows deleted (irregular time stamps),
    through ``skvaelstm detect --resample auto`` (a subprocess, as a user runs it).

    The rows deleted are drawn with ``numpy.random.default_rng(seed)``, never the
    first nor the last (the grid spans the same time). The complete and the gapped
    file are detected with the same flags: ``--missing mask`` (the masked
    detector's option), ``--random-state seed``, one torch thread, and
    ``--train-until`` the time of the row where the script's NAB runs end training
    (``_nab_task``); VUS-PR on the test rows with the complete series' sliding
    window: the complete file on all of them and on the rows kept in the gapped
    file, the gapped file on the kept rows with a score (its filled slots hold no
    value to rank).
    """
    import tempfile

    cli = [sys.executable, "-m", "skvaelstm"]
    help_text = subprocess.run(cli + ["detect", "--help"], capture_output=True,
                               text=True).stdout
    if "--resample" not in help_text:
        return {"skipped": "`skvaelstm detect` has no --resample flag in this checkout"}
    X, train_end, y, window = _load("nab", name)
    bunch_frame = pd.read_csv(Path(nab_home()) / "data" / f"{name}.csv")
    if len(bunch_frame) != len(y):
        raise SystemExit(f"{name}: {len(bunch_frame)} CSV rows, {len(y)} labels")
    rng = np.random.default_rng(seed)
    gone = np.sort(rng.choice(np.arange(1, len(y) - 1), size=int(share * len(y)),
                              replace=False))
    kept = np.setdiff1d(np.arange(len(y)), gone)
    flags = ["--resample", "auto", "--missing", "mask", "--random-state", str(seed),
             "--n-threads", "1", "--train-until", str(bunch_frame["timestamp"][train_end]),
             "-q"]
    out = {"series": name, "rows": int(len(y)), "deleted": int(len(gone)),
           "train_rows": int(train_end), "sliding_window": int(window),
           "flags": shlex.join(flags), "seed": seed}
    test = np.arange(len(y)) >= train_end
    with tempfile.TemporaryDirectory() as folder:
        for kind, frame in (("complete", bunch_frame),
                            ("gapped", bunch_frame.iloc[kept])):
            data, scores_path = Path(folder) / f"{kind}.csv", Path(folder) / f"{kind}-out.csv"
            frame.to_csv(data, index=False)
            start = time.perf_counter()
            run = subprocess.run(cli + ["detect", str(data), *flags, "-o", str(scores_path)],
                                 capture_output=True, text=True)
            wall_s = time.perf_counter() - start
            if run.returncode:
                raise SystemExit(f"skvaelstm detect failed on the {kind} file:\n{run.stderr}")
            scores = pd.read_csv(scores_path)
            if len(scores) != len(y):   # one grid row per row of the complete file
                raise SystemExit(f"{kind}: {len(scores)} grid rows, expected {len(y)}")
            score = scores["score"].to_numpy()
            observed = (scores["filled"].to_numpy() == 0) & ~np.isnan(score)
            out[kind] = {
                "input_rows": int(len(frame)), "grid_rows": int(len(scores)),
                "filled": int(scores["filled"].sum()),
                "filled_are_deleted": bool(np.array_equal(
                    np.flatnonzero(scores["filled"]), gone if kind == "gapped" else [])),
                "segments": int(scores["segment"].max() + 1),
                "unscored_test_rows": int((test & np.isnan(score)).sum()),
                "vus_pr_observed": vus_pr(y[test & observed], score[test & observed],
                                          sliding_window=window),
                "wall_s": wall_s}
            if kind == "complete":
                both = test & np.isin(np.arange(len(y)), kept)
                out[kind]["vus_pr_on_kept_rows"] = vus_pr(y[both], score[both],
                                                          sliding_window=window)
    out["drop_on_kept_rows"] = (out["complete"]["vus_pr_on_kept_rows"]
                                - out["gapped"]["vus_pr_observed"])
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--rates", type=float, nargs="+", default=[0.01, 0.05, 0.1])
    parser.add_argument("--patterns", nargs="+", default=["random", "burst"],
                        choices=["random", "burst"])
    parser.add_argument("--limit", type=int, default=0,
                        help="only the first N series of each kind (a smoke test)")
    parser.add_argument("--asd", action="store_true", help="also the 12 ASD entities")
    parser.add_argument("--no-nab", action="store_true",
                        help="leave out the NAB series (with --asd: ASD alone)")
    parser.add_argument("--jobs", type=int, default=2,
                        help="parallel runs, each with one torch thread")
    parser.add_argument("--cache", type=Path, default=None,
                        help="folder of per-run JSON results, reused when present")
    parser.add_argument("--cli-resample", action="store_true",
                        help="also the optional `skvaelstm detect --resample auto` check")
    parser.add_argument("--only-cli-resample", action="store_true",
                        help="run only the `skvaelstm detect --resample auto` check")
    parser.add_argument("--out", default=None, help="results file stem (default: missing, "
                        "with --only-cli-resample missing_cli_resample)")
    args = parser.parse_args()
    args.out = args.out or ("missing_cli_resample" if args.only_cli_resample else "missing")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    source, load = git_state(), machine_load()   # the code measured: read before the run
    if args.only_cli_resample:
        start = time.perf_counter()
        cli = cli_resample()
        payload = {"command": _command(args), **source, "machine": machine(),
                   "load_before": load, "wall_s": time.perf_counter() - start,
                   "cli_resample": cli}
        path = write_results(args.out, payload, _cli_report(payload))
        print(f"written: {path}")
        return
    if args.no_nab and not args.asd:
        raise SystemExit("--no-nab leaves no series: add --asd.")
    limit = slice(None, args.limit or None)
    series = [] if args.no_nab else [("nab", n) for n in nab_tuning_series(nab_home())[limit]]
    if args.asd:
        if asd_home() is None:
            raise SystemExit("ASD not found: set SKVAELSTM_ASD_HOME.")
        series += [("asd", f"omi-{k}") for k in range(1, 13)[limit]]
    conditions = [(r, p) for r in args.rates for p in args.patterns]
    tasks = _tasks(series, args.seeds, conditions)
    log.info("%d series, %d runs", len(series), len(tasks))
    start = time.perf_counter()
    runs = Parallel(n_jobs=args.jobs)(delayed(_cached)(args.cache, t) for t in tasks)
    wall_s = time.perf_counter() - start
    results = {}
    for (det, kind, name, seed, rate, pattern), r in zip(tasks, runs):
        if r is None:
            continue
        condition = "full" if det == "full" else f"{rate}|{pattern}"
        results.setdefault(kind, {}).setdefault(condition, {}).setdefault(det, {}) \
            .setdefault(name, {})[str(seed)] = r
    payload = {"command": _command(args), **source, "machine": machine(),
               "load_before": load, "wall_s": wall_s, "seeds": args.seeds,
               "rates": args.rates, "patterns": args.patterns, "burst_mean": BURST_MEAN,
               "jobs": args.jobs,
               "cache": "reused per-run results of earlier runs" if args.cache else None,
               "defaults": VAELSTMDetector().get_params(), "results": results,
               "cli_resample": cli_resample() if args.cli_resample else None}
    path = write_results(args.out, payload, _report(payload, conditions))
    print(f"written: {path}")


def _command(args):
    if args.only_cli_resample:
        return f"python benchmarks/missing.py --only-cli-resample --out {args.out}"
    flags = f" --limit {args.limit}" if args.limit else ""
    flags += " --asd" if args.asd else ""
    flags += " --no-nab" if args.no_nab else ""
    flags += " --cache CACHE" if args.cache else ""
    flags += " --cli-resample" if args.cli_resample else ""
    return (f"python benchmarks/missing.py --seeds {' '.join(map(str, args.seeds))} "
            f"--rates {' '.join(map(str, args.rates))} --patterns {' '.join(args.patterns)} "
            f"--jobs {args.jobs} --out {args.out}{flags}")


def _seed_means(by_series, metric="vus_pr", names=None):
    """For each seed, the mean over series (only ``names`` when given)."""
    names = sorted(by_series) if names is None else names
    seeds = sorted({s for name in names for s in by_series.get(name, {})})
    return [float(np.mean([by_series[n][s][metric] for n in names])) for s in seeds]


def _common_names(*groups):
    """Series present in every group, each seed with a VUS-PR."""
    names = set.intersection(*(set(g) for g in groups))
    return sorted(n for n in names if all(
        r.get("vus_pr") is not None for g in groups for r in g[n].values()))


def _cell(values):
    return "-" if not values else fmt(float(np.mean(values)), float(np.std(values)))


def _report(payload, conditions):
    sections = []
    must_lines = []
    for kind, by_condition in payload["results"].items():
        full = by_condition.get("full", {}).get("full", {})
        rows = []
        for rate, pattern in conditions:
            dets = by_condition.get(f"{rate}|{pattern}", {})
            if not dets:
                continue
            masked, interp, iforest = (dets.get(d, {}) for d in DETECTOR_NAMES)
            names = _common_names(full, masked, interp, iforest)
            if not names:
                continue
            m = {"full": _seed_means(full, names=names),
                 "masked": _seed_means(masked, names=names),
                 "filled": _seed_means(masked, "vus_pr_median_filled", names),
                 "interp": _seed_means(interp, names=names),
                 "iforest": _seed_means(iforest, names=names)}
            drop = [a - b for a, b in zip(m["full"], m["masked"])]
            vs_interp = [a - b for a, b in zip(m["masked"], m["interp"])]
            refused = sum("refused" in r for runs in masked.values() for r in runs.values())
            unscored = sum(r["unscored"] for n in names for r in masked[n].values())
            total = sum(r["rows"] for n in names for r in masked[n].values())
            rows.append([f"{rate:.0%}", pattern, len(names), _cell(m["full"]),
                         _cell(m["masked"]), _cell(m["filled"]), _cell(m["interp"]),
                         _cell(m["iforest"]), _cell(drop), _cell(vs_interp),
                         f"{unscored} / {total}", refused])
            # a refused masked fit is a series the option does not handle: the
            # criterion is not met on the series that fitted alone
            n_series = len({n for d in (full, masked) for n in d})
            fitted_all = len(names) == n_series and refused == 0
            if kind == "nab" and (rate, pattern) == MUST:
                met = np.mean(drop) <= 0.02 and np.mean(vs_interp) >= 0 and fitted_all
                must_lines.append(
                    f"* **Must** (5 % missing at random, NAB tuning series: drop ≤ 0.02 and "
                    f"not below interpolation + defaults): drop {_cell(drop)}, masked minus "
                    f"interpolation {_cell(vs_interp)} → **{'met' if met else 'not met'}** "
                    f"(on the means over seeds; {len(names)} of {n_series} series, "
                    f"{refused} masked fits refused).")
            if kind == "nab" and (rate, pattern) == (0.1, "burst"):
                must_lines.append(
                    f"* **Should** (10 % missing in bursts, NAB: drop ≤ 0.05): drop "
                    f"{_cell(drop)} → **{'met' if np.mean(drop) <= 0.05 and fitted_all else 'not met'}**"
                    f" ({len(names)} of {n_series} series, {refused} masked fits refused).")
        label = {"nab": "NAB tuning series", "asd": "ASD (12 entities, test rows)"}[kind]
        sections.append(f"## {label}\n\n" + markdown_table(
            ["rate", "pattern", "series", "full data", "masked (observed rows)",
             "masked (NaN → median)", "interpolation + defaults",
             "IsolationForest (interpolated)", "drop: full − masked",
             "masked − interpolation", "unscored rows / evaluated",
             "masked fits refused"], rows))
    fits = {d: [r["fit_s"] for k in payload["results"].values() for c in k.values()
                for name in c.get(d, {}).values() for r in name.values()
                if r and "fit_s" in r]     # refused masked fits have no fit time
            for d in ("full",) + DETECTOR_NAMES}
    fit_line = ", ".join(f"{d} {np.mean(v):.1f} s" for d, v in fits.items() if v)
    cli = payload["cli_resample"]
    cli_text = "not run (no --cli-resample)" if cli is None else _cli_text(cli)
    return f"""# Missing data: masked VAE-LSTM vs interpolation vs the full data

Written by `benchmarks/missing.py`; do not edit by hand.
Command: `{payload['command']}`
{git_line(payload)}
Measured on: {payload['machine']}; load average before the run: {payload['load_before']}.
Seeds: {payload['seeds']}; rates: {payload['rates']}; patterns: {payload['patterns']};
parallel runs: {payload['jobs']} (one torch thread each); wall time {payload['wall_s'] / 60:.1f} min{
    " (with --cache: runs of earlier invocations were reused)" if payload['cache'] else ""};
mean fit time: {fit_line}.

A share `rate` of the values (cells) is set to NaN in training and scored rows:
`random` = independent cells; `burst` = runs of consecutive rows per channel, geometric
lengths with mean {payload['burst_mean']} rows. Holes seeded by (series, seed, rate,
pattern). VUS-PR on the evaluated rows, sliding window of the complete series.
**Per data set: mean over series for each seed, then mean ± std over seeds**; the drop
and the difference are paired per series and seed (mean over series, ± std over seeds).
Headline for the masked detector: **VUS-PR on observed rows** (rows with a score);
"NaN → median": unscored rows given the series' median score so that every row counts.
Series where some seed's observed rows hold a single class are left out of that
condition's row (see "series"), as are series where the masked fit was refused (a
named `ValueError`, counted in "masked fits refused").

{chr(10).join(must_lines) or "No must/should condition in this run."}

{chr(10).join(sections)}

## Optional: irregular time stamps through `skvaelstm detect --resample auto`

{cli_text}
"""



def _cli_text(cli):
    """The section of the ``--resample`` check: a table, or why it was skipped."""
    if "skipped" in cli:
        return cli["skipped"]
    c, g = cli["complete"], cli["gapped"]
    rows = [
        ["input rows", c["input_rows"], g["input_rows"]],
        ["rows on the grid", c["grid_rows"], g["grid_rows"]],
        ["filled slots found", c["filled"], g["filled"]],
        ["filled slots = rows deleted", c["filled_are_deleted"], g["filled_are_deleted"]],
        ["segments", c["segments"], g["segments"]],
        ["test rows without a score", c["unscored_test_rows"], g["unscored_test_rows"]],
        ["VUS-PR, test rows observed in the file", fmt(c["vus_pr_observed"]),
         fmt(g["vus_pr_observed"])],
        ["VUS-PR, test rows kept in the gapped file", fmt(c["vus_pr_on_kept_rows"]),
         fmt(g["vus_pr_observed"])],
        ["wall time of `detect` (s)", f"{c['wall_s']:.1f}", f"{g['wall_s']:.1f}"],
    ]
    return (f"`{cli['series']}` ({cli['rows']} rows, 5-minute stamps): {cli['deleted']} rows "
            f"({cli['deleted'] / cli['rows']:.0%}, never the first or last) deleted at random "
            f"(`numpy.random.default_rng({cli['seed']})`), both files run through "
            f"`python -m skvaelstm detect FILE {cli['flags']}` (training on the first "
            f"{cli['train_rows']} rows, before NAB's first anomaly window, as the script's "
            f"NAB runs). VUS-PR on the test rows, sliding window {cli['sliding_window']} "
            "(of the complete series); the gapped file's filled slots hold no value and are "
            "left out of its VUS-PR.\n\n"
            + markdown_table(["", "complete file", f"{cli['deleted']} rows deleted"], rows)
            + f"\n\nVUS-PR drop on the kept test rows (complete − gapped): "
            f"{fmt(cli['drop_on_kept_rows'])}.")


def _cli_report(payload):
    return f"""# Missing rows through the command line: `skvaelstm detect --resample auto`

Written by `benchmarks/missing.py --only-cli-resample`; do not edit by hand.
Command: `{payload['command']}`
{git_line(payload)}
Measured on: {payload['machine']}; load average before the run: {payload['load_before']};
wall time {payload['wall_s']:.0f} s.

{_cli_text(payload['cli_resample'])}
"""

if __name__ == "__main__":
    main()
