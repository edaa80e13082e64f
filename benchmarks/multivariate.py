"""Channel rules on multivariate tuning data: ASD and five TSB-AD-M files.

Every ``channel_combination`` of ``VAELSTMDetector`` (and per-channel scale floors)
on ASD (12 server entities, 19 KPIs; $SKVAELSTM_ASD_HOME) and the five TSB-AD-M
files of ``--tsbad`` (spacecraft telemetry, a machine demonstrator, gait sensors),
side by side with PyOD's windowed AutoEncoder and IsolationForest on lag windows
of all channels, fitted in the same run, and TSB-AD's published VUS-PR of the same
files. The detector is fitted once per (file, seed) with its defaults and
re-scored with each rule and floor (no refit: the rules only combine the
channels' errors differently).

* ASD: fit on an entity's training rows; training and test rows scored as one
  series; metrics on the test rows (as ``benchmarks/asd.py``).
* TSB-AD-M: fit on TSB-AD's training part (``_tr_<N>_`` in the file name); all
  rows scored; metrics on **all rows, as TSB-AD evaluates** (so that the published
  numbers compare), and also on the rows after the training part.
* VUS-PR with TSB-AD's sliding window (``estimate_sliding_window`` of the first
  channel, as TSB-AD's ``find_length_rank(data[:, 0], rank=1)``).

Usage:  python benchmarks/multivariate.py --tsbad /path/to/tsbad_m_sample
            [--seeds 0 1 2] [--jobs 2] [--entities 1 2 ...] [--cache DIR]
Writes benchmarks/results/multivariate.md and .json. ``--cache DIR`` keeps each
(detector, file, seed) result as a JSON file there (and each fitted VAE-LSTM as a
pickle) and reuses it: a run stopped part-way (or one with more seeds) redoes only
what is missing, and rules or floors added later re-score the pickled models. Runs are ordered
seed by seed.
"""

import argparse
import csv
import json
import pickle
import re
import time
import warnings
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
    write_results,
)
from asd import asd_home, load_entity
from joblib import Parallel, delayed
from nab_paper import DETECTORS, WINDOW
from sklearn.exceptions import ConvergenceWarning

from skvaelstm import VAELSTMDetector
from skvaelstm._model._scaling import _standardise
from skvaelstm._scoring._errors import _SCALE_FLOOR, _error_scale
from skvaelstm._scoring._options import COMBINATIONS
from skvaelstm._scoring._passes import _encode
from skvaelstm.metrics import estimate_sliding_window, vus_pr

# per-channel error-scale floors compared (share of the median channel's level);
# "common_scale" and "tail" do not depend on per-channel scales, so only the rules
# that divide by them are re-scored with other floors
FLOORS = (_SCALE_FLOOR, 0.0, 1.0)
FLOOR_RULES = ("geometric", "mean")
BASELINES = (f"IsolationForest on LagWindows({WINDOW})",
             f"PyOD TimeSeriesOD(AutoEncoder) w{WINDOW}")
PUBLISHED = ("CNN", "PCA", "KMeansAD", "AutoEncoder", "USAD", "OmniAnomaly")


def _tsbad_files(folder):
    return sorted((Path(folder) / "data").glob("*.csv"))


def _load_tsbad(path):
    """``(X, n_train, labels)`` of a TSB-AD-M file."""
    with open(path) as handle:
        header = next(csv.reader(handle))
    data = np.loadtxt(path, delimiter=",", skiprows=1)
    assert header[-1] == "Label"
    n_train = int(re.search(r"_tr_(\d+)_", path.name).group(1))
    return data[:, :-1], n_train, data[:, -1].astype(int)


def _task(kind, name, tsbad):
    """``(X, n_train, labels of all rows)`` of one file."""
    if kind == "asd":
        train, test, labels = load_entity(asd_home(), int(name.split("-")[1]))
        return (np.vstack([train, test]), len(train),
                np.concatenate([np.zeros(len(train), int), labels]))
    return _load_tsbad(Path(tsbad) / "data" / name)


def _metrics(kind, scores, labels, n_train, window):
    """VUS-PR on the evaluated rows (see the module docstring)."""
    if kind == "asd":
        return {"vus_pr": vus_pr(labels[n_train:], scores[n_train:], sliding_window=window)}
    return {"vus_pr": vus_pr(labels, scores, sliding_window=window),
            "vus_pr_after_train": vus_pr(labels[n_train:], scores[n_train:],
                                         sliding_window=window)}


def _rescaled(det, X_train, floor):
    """``error_scale_`` and ``error_tail_`` of ``det`` with another scale floor."""
    Z = torch.from_numpy(_standardise(X_train, det.mean_, det.scale_)).to(det.device_)
    W = det.window_size_
    with torch.inference_mode():
        codes = _encode(det.vae_, Z.unfold(0, W, 1))
    split = len(X_train) - det.validation_rows_
    return _error_scale(det.vae_, det.lstm_, Z, codes, window_size=W,
                        n_windows=det.n_windows_, first_row=split if split < len(Z) else 0,
                        floor=floor)


def _score_keys():
    return [f"{rule}|{floor}" for floor in FLOORS for rule in COMBINATIONS
            if floor == _SCALE_FLOOR or rule in FLOOR_RULES]


def run_vaelstm(kind, name, seed, tsbad, model_path=None):
    """Fit (or load the model a cached run fitted: rules added later re-score it
    without a refit) and score with every rule and floor."""
    torch.set_num_threads(1)
    X, n_train, labels = _task(kind, name, tsbad)
    window = estimate_sliding_window(X[:, 0])
    if model_path is not None and model_path.exists():
        with open(model_path, "rb") as handle:
            det, fit_s = pickle.load(handle)
    else:
        det = VAELSTMDetector(random_state=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            start = time.perf_counter()
            det.fit(X[:n_train])
            fit_s = time.perf_counter() - start
        if model_path is not None:
            with open(model_path, "wb") as handle:
                pickle.dump((det, fit_s), handle)
    out = {"fit_s": fit_s, "n_windows_": int(det.n_windows_), "scores": {}}
    fitted = det.error_scale_, det.error_tail_
    for floor in FLOORS:
        if floor == _SCALE_FLOOR:
            det.error_scale_, det.error_tail_ = fitted
        else:
            det.error_scale_, det.error_tail_ = _rescaled(det, X[:n_train], floor)
        for rule in COMBINATIONS:
            if floor != _SCALE_FLOOR and rule not in FLOOR_RULES:
                continue
            scores = det.set_params(channel_combination=rule).score_samples(X)
            out["scores"][f"{rule}|{floor}"] = _metrics(kind, scores, labels, n_train, window)
    return out


def run_baseline(detector, kind, name, seed, tsbad):
    torch.set_num_threads(1)
    X, n_train, labels = _task(kind, name, tsbad)
    window = estimate_sliding_window(X[:, 0])
    model = DETECTORS[detector](seed)
    start = time.perf_counter()
    try:
        model.fit(X[:n_train])
    except ImportError as exc:
        return {"skipped": str(exc)}
    fit_s = time.perf_counter() - start
    return {"fit_s": fit_s, **_metrics(kind, model.score_samples(X), labels, n_train, window)}


def _cached(cache, task, tsbad):
    """The result of one (detector, kind, file, seed) run, from ``cache`` if there."""
    det, kind, name, seed = task
    path = None
    if cache is not None:
        path = Path(cache) / (re.sub(r"[^\w.-]", "_", f"{det}__{name}__{seed}") + ".json")
        if path.exists():
            result = json.loads(path.read_text())
            if det != "vaelstm" or list(result["scores"]) == _score_keys():
                return result
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    if det == "vaelstm":
        result = run_vaelstm(kind, name, seed, tsbad,
                             None if path is None else path.with_suffix(".pkl"))
    else:
        result = run_baseline(det, kind, name, seed, tsbad)
    if path is not None:
        path.write_text(json.dumps(result))
    return result


def published(tsbad):
    """``{file: {method: VUS-PR}}`` of TSB-AD's published table."""
    with open(Path(tsbad) / "published_vus_pr.csv") as handle:
        return {row["file"]: {m: float(row[m]) for m in PUBLISHED}
                for row in csv.DictReader(handle)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--entities", type=int, nargs="+", default=list(range(1, 13)))
    parser.add_argument("--tsbad", required=True, help="folder of the TSB-AD-M sample")
    parser.add_argument("--jobs", type=int, default=2,
                        help="parallel runs, each with one torch thread")
    parser.add_argument("--cache", type=Path, default=None,
                        help="folder of per-run results to reuse (see the docstring)")
    args = parser.parse_args()
    if asd_home() is None:
        raise SystemExit("ASD not found: set SKVAELSTM_ASD_HOME.")
    source, load = git_state(), machine_load()   # the code measured: read before the run
    files = ([("asd", f"omi-{k}") for k in args.entities]
             + [("tsbad", p.name) for p in _tsbad_files(args.tsbad)])
    tasks = [(det, kind, name, seed) for seed in args.seeds
             for det in ("vaelstm",) + BASELINES for kind, name in files]
    start = time.perf_counter()
    runs = Parallel(n_jobs=args.jobs)(delayed(_cached)(args.cache, task, args.tsbad)
                                      for task in tasks)
    wall_s = time.perf_counter() - start
    results = {}
    for (det, kind, name, seed), r in zip(tasks, runs):
        results.setdefault(det, {}).setdefault(kind, {}).setdefault(name, {})[str(seed)] = r
    payload = {"command": _command(args), **source, "machine": machine(),
               "load_before": load, "wall_s": wall_s,
               "cache": "reused per-run results of earlier runs" if args.cache else None, "seeds": args.seeds,
               "floors": FLOORS, "rules": COMBINATIONS, "results": results,
               "published": published(args.tsbad)}
    write_results("multivariate", payload, _report(payload))


def _command(args):
    return (f"python benchmarks/multivariate.py --seeds {' '.join(map(str, args.seeds))} "
            f"--entities {' '.join(map(str, args.entities))} --tsbad TSBAD_M_SAMPLE "
            f"--jobs {args.jobs}" + (" --cache CACHE" if args.cache else ""))


def _file_means(by_file, key, metric="vus_pr"):
    """``{file: mean over seeds}`` of one score key (``rule|floor`` or None)."""
    return {f: float(np.mean([(r["scores"][key] if key else r)[metric]
                              for r in seeds.values()]))
            for f, seeds in by_file.items() if all("skipped" not in r for r in seeds.values())}


def _seed_means(by_file, key, metric="vus_pr"):
    """Mean over files for each seed (for mean ± std over seeds)."""
    seeds = next(iter(by_file.values())).keys()
    return [float(np.mean([(by_file[f][s]["scores"][key] if key else by_file[f][s])[metric]
                           for f in by_file])) for s in seeds]


def _report(payload):
    res, kinds = payload["results"], ("asd", "tsbad")
    first = next(iter(next(iter(res["vaelstm"]["asd"].values())).values()))
    keys = list(first["scores"])
    means = {k: {kind: float(np.mean(_seed_means(res["vaelstm"][kind], k))) for kind in kinds}
             for k in keys}
    best = {kind: max(means[k][kind] for k in keys) for kind in kinds}
    rows = []
    for k in keys:
        rule, floor = k.split("|")
        losses = [best[kind] - means[k][kind] for kind in kinds]
        rows.append([rule, floor]
                    + [fmt(*_ms(_seed_means(res["vaelstm"][kind], k))) for kind in kinds]
                    + [fmt(x) for x in losses] + [fmt(max(losses))])
    rows.sort(key=lambda row: float(row[-1]))
    header = ["channel_combination", "scale floor", "ASD VUS-PR (12 entities)",
              "TSB-AD-M VUS-PR (5 files, all rows)", "loss vs best ASD",
              "loss vs best TSB-AD-M", "worst-case loss"]
    baseline_rows = []
    for b in BASELINES:
        cells = []
        for kind in kinds:
            by_file = res.get(b, {}).get(kind, {})
            skipped = [r["skipped"] for s in by_file.values() for r in s.values()
                       if "skipped" in r]
            cells.append(skipped[0] if skipped else fmt(*_ms(_seed_means(by_file, None))))
        baseline_rows.append([b] + cells)
    # per TSB-AD-M file: every rule (default floor), the baselines, the published methods
    default_floor = str(_SCALE_FLOOR)
    per_file_header = ["file"] + list(payload["rules"]) + ["AutoEncoder (this run)",
                                                            "IsolationForest (this run)"] \
        + [f"{m} (TSB-AD)" for m in PUBLISHED]
    per_file = []
    tsb = res["vaelstm"]["tsbad"]
    for f in tsb:
        cells = [fmt(_file_means({f: tsb[f]}, f"{r}|{default_floor}")[f])
                 for r in payload["rules"]]
        for b in (BASELINES[1], BASELINES[0]):
            m = _file_means({f: res.get(b, {}).get("tsbad", {}).get(f, {})}, None) \
                if f in res.get(b, {}).get("tsbad", {}) else {}
            cells.append(fmt(m[f]) if f in m else "-")
        pub = payload["published"].get(f, {})
        cells += [fmt(pub[m]) if m in pub else "-" for m in PUBLISHED]
        per_file.append([f.split("_tr_")[0]] + cells)
    mean_row = ["mean"] + [fmt(np.mean([float(row[i]) for row in per_file]))
                           if all(row[i] != "-" for row in per_file) else "-"
                           for i in range(1, len(per_file_header))]
    after = [[r] + [fmt(*_ms(_seed_means(tsb, f"{r}|{default_floor}", "vus_pr_after_train")))]
             for r in payload["rules"]]
    asd = res["vaelstm"]["asd"]
    per_entity = [[e] + [fmt(_file_means({e: asd[e]}, f"{r}|{default_floor}")[e])
                         for r in payload["rules"]] for e in asd]
    fits = [np.mean([r["fit_s"] for s in res["vaelstm"][kind].values() for r in s.values()])
            for kind in kinds]
    return f"""# Channel rules on multivariate tuning data (ASD, TSB-AD-M)

Written by `benchmarks/multivariate.py`; do not edit by hand.
Command: `{payload['command']}`
{git_line(payload)}
Measured on: {payload['machine']}; load average before the run: {payload['load_before']}.
Seeds: {payload['seeds']}; wall time of the run: {payload['wall_s'] / 60:.1f} min{
    " (with --cache: runs of earlier invocations were reused, see their fit times)"
    if payload['cache'] else ""}; mean VAE-LSTM fit {fits[0]:.1f} s (ASD), {fits[1]:.1f} s
(TSB-AD-M), on a machine shared with other work (load above).

`VAELSTMDetector(random_state=seed)` (its defaults but `channel_combination`) is fitted
once per file and seed and re-scored with every `channel_combination` and per-channel
scale floor (share of the median channel's typical error; {_SCALE_FLOOR} is the
library's). ASD: metrics on the test rows; TSB-AD-M: fit on TSB-AD's training part,
metrics on all rows as TSB-AD evaluates. VUS-PR with TSB-AD's sliding window.
**Per data set: mean over its files for each seed, then mean ± std over seeds.** Loss:
the best row's mean on that data set minus this row's.

## Every rule and floor, by worst-case loss

{markdown_table(header, rows)}

## Baselines fitted in the same run (mean ± std over seeds)

{markdown_table(["detector", "ASD VUS-PR", "TSB-AD-M VUS-PR (all rows)"], baseline_rows)}

## TSB-AD-M per file (VUS-PR, all rows; mean over seeds; scale floor {_SCALE_FLOOR})

TSB-AD's published numbers are from `published_vus_pr.csv` of the sample (TSB-AD's own
runs of those methods), not fitted here.

{markdown_table(per_file_header, per_file + [mean_row])}

## TSB-AD-M on the rows after the training part only (scale floor {_SCALE_FLOOR})

{markdown_table(["channel_combination", "VUS-PR (mean ± std over seeds)"], after)}

## ASD per entity (VUS-PR, mean over seeds; scale floor {_SCALE_FLOOR})

{markdown_table(["entity"] + list(payload["rules"]), per_entity)}
"""


def _ms(values):
    values = np.asarray(values, dtype=float)
    return float(values.mean()), float(values.std())


if __name__ == "__main__":
    main()
