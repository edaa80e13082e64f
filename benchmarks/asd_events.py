"""Event-level benchmark on ASD: precision, recall and false alarms of label-free thresholds.

ASD (Application Server Dataset; Li et al., "Multivariate Time Series Anomaly
Detection and Interpretation using Hierarchical Inter-Metric and Temporal
Embedding", KDD 2021, published with InterFusion, MIT licence): 12 server entities,
19 KPIs each, 5-minute rows, min-max scaled on the training part.

Protocol (issue 21, item 5). For each entity and seed every detector is fitted on the
entity's training rows; the training and test rows are scored as one series (as
``benchmarks/asd.py`` does: the test part follows the training part in time, so
windowed detectors see real history), and ``predict`` labels the test rows with a
threshold chosen without labels:

- ``VAELSTMDetector`` (the plain defaults, which ``benchmarks/asd.py`` reports first,
  and ``error_source="reconstruction"``, which the detector's docstring recommends for
  many-KPI data), each with two rules: its own ``contamination`` (the default
  ``"auto"``: ``offset_`` is the 1st percentile of the training rows' scores) and
  ``set_threshold(contamination="pot")`` (peaks over threshold, Siffer et al., KDD
  2017, on the training rows' errors; where it raises ``InputError`` the entity is
  recorded as failed for that rule, with no fallback);
- ``make_pipeline(LagWindows(w), IsolationForest(random_state=seed))``, ``w`` the
  detector's ``window_size_``, with its own ``predict`` (``contamination="auto"``).

The flagged test rows become events with ``skvaelstm.explain.events(labels, scores,
merge_gap=0, min_length=1)`` (each run of flagged rows one event) and are scored
against the test labels (each run of anomalous rows one labelled segment) with
``event_precision`` (events that overlap a labelled segment; 0 without events),
``event_recall`` (segments that an event overlaps) and ``false_alarms_per_10k``
(events overlapping no segment per 10,000 normal test rows); also the share of test
rows flagged. Reported: the mean over entities for each seed, then mean ± std of that
mean over the seeds (entities where a rule failed are left out of its means, and
counted).

Usage:  python benchmarks/asd_events.py [--seeds 0 1 2] [--entities 1 2 ...] [--jobs 2]
        [--max-iter N]
Needs the ASD files in $SKVAELSTM_ASD_HOME (with train/, test/, test_label/). Writes
benchmarks/results/asd_events.md and .json.
"""

import argparse
import logging
import time

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
from asd import asd_home, load_entity
from joblib import Parallel, delayed
from sklearn.ensemble import IsolationForest
from sklearn.pipeline import make_pipeline

from skvaelstm import VAELSTMDetector
from skvaelstm.exceptions import InputError
from skvaelstm.explain import events
from skvaelstm.metrics import event_precision, event_recall, false_alarms_per_10k
from skvaelstm.preprocessing import LagWindows

log = logging.getLogger("asd_events")

CONFIGS = {"VAELSTMDetector (defaults)": {},
           'VAELSTMDetector (error_source="reconstruction")': {"error_source": "reconstruction"}}
IFOREST = "IsolationForest on LagWindows(window_size_)"
METRICS = ("event_precision", "event_recall", "false_alarms_per_10k", "flagged_share")
HEADS = ("event precision", "event recall", "false alarms / 10k normal rows",
         "test rows flagged")


def event_metrics(labels, scores, y_test):
    """Event metrics of ``predict`` labels (-1 = anomaly) of the test rows."""
    found = events(labels, scores, merge_gap=0, min_length=1)
    return {"event_precision": event_precision(y_test, found),
            "event_recall": event_recall(y_test, found),
            "false_alarms_per_10k": false_alarms_per_10k(y_test, found),
            "flagged_share": float(np.mean(labels == -1)),
            "n_events": len(found)}


def run(config, k, seed, home, threads, max_iter):
    """``{(detector, rule): metrics or {"failed": message}}`` of one entity and seed."""
    torch.set_num_threads(threads)
    train, test, y_test = load_entity(home, k)
    X = np.vstack([train, test])
    test_part = slice(len(train), None)
    extra = {} if max_iter is None else {"max_iter": max_iter}
    detector = VAELSTMDetector(**CONFIGS[config], **extra, random_state=seed, n_threads=1)
    start = time.perf_counter()
    detector.fit(train)
    fit_s = time.perf_counter() - start
    scores = detector.score_samples(X)[test_part]
    out = {(config, "contamination"): {**event_metrics(detector.predict(X)[test_part],
                                                       scores, y_test),
                                       "offset": float(detector.offset_), "fit_s": fit_s}}
    try:
        detector.set_threshold(contamination="pot")
    except InputError as error:
        out[(config, "pot")] = {"failed": f"InputError: {error}"}
    else:
        out[(config, "pot")] = {**event_metrics(detector.predict(X)[test_part], scores, y_test),
                                "offset": float(detector.offset_), "fit_s": fit_s}
    if config == next(iter(CONFIGS)):   # one IsolationForest per entity and seed
        forest = make_pipeline(LagWindows(detector.window_size_),
                               IsolationForest(random_state=seed))
        start = time.perf_counter()
        forest.fit(train)
        fit_s = time.perf_counter() - start
        out[(IFOREST, "contamination")] = {
            **event_metrics(forest.predict(X)[test_part], forest.score_samples(X)[test_part],
                            y_test),
            "window_size": int(detector.window_size_), "fit_s": fit_s}
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--entities", type=int, nargs="+", default=list(range(1, 13)))
    parser.add_argument("--jobs", type=int, default=2,
                        help="parallel runs, each with one torch thread")
    parser.add_argument("--max-iter", type=int, default=None,
                        help="VAELSTMDetector's max_iter (default: its own; for smoke tests)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    home = asd_home()
    if home is None:
        raise SystemExit("ASD not found: set SKVAELSTM_ASD_HOME to a folder with train/, "
                         "test/ and test_label/.")
    source, load = git_state(), machine_load()   # the code measured: read before the run
    started = time.perf_counter()
    tasks = [(config, k, seed) for config in CONFIGS for k in args.entities
             for seed in args.seeds]
    threads = 1 if args.jobs > 1 else torch.get_num_threads()
    runs = Parallel(n_jobs=args.jobs)(delayed(run)(*task, home, threads, args.max_iter)
                                      for task in tasks)
    wall_s = time.perf_counter() - started
    results = {}   # "detector | rule" -> entity -> seed -> metrics
    for (_, k, seed), out in zip(tasks, runs):
        for (det, rule), r in out.items():
            results.setdefault(f"{det} | {rule}", {}).setdefault(f"omi-{k}", {})[str(seed)] = r
            text = (r["failed"] if "failed" in r else
                    f"P {r['event_precision']:.3f} R {r['event_recall']:.3f} "
                    f"FA/10k {r['false_alarms_per_10k']:.1f} "
                    f"flagged {r['flagged_share']:.3f}")
            log.info("%-50s %-13s omi-%-3d seed %s: %s", det, rule, k, seed, text)
    params = {"vaelstm": {name: {**VAELSTMDetector(**config).get_params(),
                                 **({} if args.max_iter is None
                                    else {"max_iter": args.max_iter}),
                                 "n_threads": 1, "random_state": "seed"}
                          for name, config in CONFIGS.items()},
              "pot": {key: VAELSTMDetector().get_params()[key]
                      for key in ("pot_risk", "pot_level")},
              "iforest": {**IsolationForest().get_params(), "random_state": "seed"},
              "events": {"merge_gap": 0, "min_length": 1}}
    markdown = _report(results, args, load, source, wall_s, params)
    path = write_results("asd_events", {"command": _command(args), **source,
                                        "machine": machine(), "load_before": load,
                                        "wall_s": wall_s, "seeds": args.seeds,
                                        "entities": args.entities, "params": params,
                                        "results": results}, markdown)
    print(markdown)
    print(f"written: {path}")


def _command(args):
    extra = "" if args.max_iter is None else f" --max-iter {args.max_iter}"
    return (f"python benchmarks/asd_events.py --seeds {' '.join(map(str, args.seeds))} "
            f"--entities {' '.join(map(str, args.entities))} --jobs {args.jobs}{extra}")


def _summary(by_entity, seeds):
    """Per metric: mean ± std over seeds of the mean over the entities that did not fail;
    and the number of failed (entity, seed) runs."""
    per_seed = {m: [] for m in (*METRICS, "n_events")}
    failed = 0
    for seed in map(str, seeds):
        ok = [runs[seed] for runs in by_entity.values() if "failed" not in runs[seed]]
        failed += len(by_entity) - len(ok)
        for m in per_seed:
            if ok:
                per_seed[m].append(np.mean([r[m] for r in ok]))
    return {m: (mean_std(v) if v else None) for m, v in per_seed.items()}, failed


def _report(results, args, load, source, wall_s, params):
    header = ["detector", "threshold rule", *HEADS, "events per entity", "failed runs"]
    rows = []
    for key, by_entity in results.items():
        det, rule = key.split(" | ")
        stats, failed = _summary(by_entity, args.seeds)
        cells = [fmt(*stats[m]) if stats[m] else "—" for m in METRICS]
        events_cell = fmt(*stats["n_events"], digits=1) if stats["n_events"] else "—"
        rows.append([det, _rule_name(rule), *cells, events_cell,
                     f"{failed} of {len(by_entity) * len(args.seeds)}"])
    seed0 = str(args.seeds[0])
    per_entity = []
    for key, by_entity in results.items():
        det, rule = key.split(" | ")
        for e, runs in by_entity.items():
            r = runs[seed0]
            if "failed" in r:
                per_entity.append([e, det, _rule_name(rule), r["failed"], "", "", "", ""])
            else:
                per_entity.append([e, det, _rule_name(rule)]
                                  + [fmt(r[m]) for m in METRICS[:2]]
                                  + [fmt(r["false_alarms_per_10k"], digits=1),
                                     fmt(r["flagged_share"]), r["n_events"]])
    per_entity.sort(key=lambda row: int(row[0].split("-")[1]))
    failures = [f"- {key.replace(' | ', ', ')}, {e}, seed {seed}: {r['failed']}"
                for key, by_entity in results.items() for e, runs in by_entity.items()
                for seed, r in runs.items() if "failed" in r]
    vae = next(iter(params["vaelstm"].values()))
    return f"""# ASD event-level benchmark: label-free thresholds (12 server entities x 19 KPIs)

Written by `benchmarks/asd_events.py`; do not edit by hand.
Command: `{_command(args)}`
{git_line(source)}
Measured on: {machine()}; load average before the run: {load}.
Seeds: {args.seeds}; entities: {len(args.entities)}; parallel runs: {args.jobs} (one torch
thread each); wall time: {wall_s:.0f} s.

Each detector is fitted on an entity's training rows; training and test rows are scored
as one series and `predict` labels the test rows with a threshold chosen without labels:
"contamination" is the estimator's own default (`VAELSTMDetector`: `"auto"`, the 1st
percentile of the training rows' scores; `IsolationForest`: its `"auto"` offset), "pot"
is `set_threshold(contamination="pot")` on the fitted detector (peaks over threshold,
`pot_risk={params['pot']['pot_risk']}`, `pot_level={params['pot']['pot_level']}`, on the training
rows' errors). Flagged rows become events with `skvaelstm.explain.events(merge_gap=0,
min_length=1)` (each run of flagged rows one event); each run of labelled rows is one
segment. **Event precision** (events overlapping a segment; 0 for an entity without
events), **event recall** (segments an event overlaps), **false alarms** (events
overlapping no segment, per 10,000 normal test rows) and the share of test rows flagged:
mean over the entities for each seed, then mean ± std of that mean over the seeds.
A "failed run" is an (entity, seed) where the rule raised `InputError`; it is left out
of the rule's means, with no fallback threshold.

VAELSTMDetector: the defaults (`error_source="{vae['error_source']}"`,
`score_aggregation="{vae['score_aggregation']}"`, `window_size={vae['window_size']}`,
`max_iter={vae['max_iter']}`) and `error_source="reconstruction"`, `n_threads=1`,
`random_state=seed`. IsolationForest: scikit-learn's defaults (100 trees,
`contamination="auto"`), `random_state=seed`, on `LagWindows(window_size_)` of the
detector fitted on the same entity and seed.

## Mean over entities

{markdown_table(header, rows)}

Failed runs: {len(failures)}.
{chr(10).join(failures)}

## Per entity, seed {seed0}

{markdown_table(["entity", "detector", "rule", "event precision", "event recall",
                 "false alarms / 10k", "flagged", "events"], per_entity)}
"""


def _rule_name(rule):
    return {"contamination": "own contamination", "pot": 'set_threshold("pot")'}[rule]


if __name__ == "__main__":
    main()
