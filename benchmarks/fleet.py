"""A fleet of KPIs: one detector per series, sequentially and on a local Dask cluster.

Writes N synthetic KPI series (daily seasonality, trend, noise, a few injected
anomalies) as CSV files, then runs ``skvaelstm.fleet.detect_fleet`` on the file
paths (each task reads its file, fits on the first 60% of the rows, scores all
rows): sequentially in this process with 1 torch thread and with torch's default threads,
then on ``LocalCluster(n_workers=W, threads_per_worker=1)``. Reports wall time,
speed-up, where the time goes and peak memory per worker.

Usage:  python benchmarks/fleet.py [--series 200] [--rows 5000] [--workers 2]
Needs:  pip install -e ".[distributed]"
Prints the table and writes benchmarks/results/fleet.md and fleet.json.
"""

import argparse
import os
import resource
import sys
import tempfile
import time
import warnings
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import torch
from _common import git_line, git_state, machine, machine_load, markdown_table, write_results
from sklearn.exceptions import ConvergenceWarning

from skvaelstm import VAELSTMDetector
from skvaelstm.fleet import detect_fleet


def _kpi(rows, seed):
    """5-minute KPI: daily cycle, slow trend, noise, 3 spikes/level shifts."""
    rng = np.random.default_rng(seed)
    t = np.arange(rows)
    period = 288 // rng.choice([2, 3, 4])          # 48, 72 or 96 steps per cycle
    y = (10 + 3 * np.sin(2 * np.pi * t / period + rng.uniform(0, 6))
         + 0.0005 * rng.normal() * t + rng.normal(0, 0.3 + 0.3 * rng.random(), rows))
    for start in rng.integers(int(0.6 * rows), rows - 20, size=3):
        y[start:start + rng.integers(1, 20)] += rng.choice([-1, 1]) * rng.uniform(3, 6)
    stamps = pd.date_range("2024-01-01", periods=rows, freq="5min")
    return pd.DataFrame({"timestamp": stamps, "value": y})


def _peak_rss_mib():
    # ru_maxrss is in KiB on Linux: the peak of this process since it started
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _detect(params, paths, torch_threads="auto"):
    with warnings.catch_warnings():
        # few epochs on purpose: the benchmark measures throughput, not accuracy
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        result = detect_fleet(VAELSTMDetector(**params), paths, train_size=0.6,
                              time_column="timestamp", torch_threads=torch_threads)
        return result, time.perf_counter() - start


def _busy_note(load):
    """A warning in the results when other processes competed for the cores."""
    if load < 0.5:
        return ""
    return (f"\n**The machine was busy** (load {load:.1f} before the run, from other processes): "
            "the workers shared the cores with them, so the speed-up is understated; rerun on "
            "an idle machine.\n")


def _task_seconds(result):
    return float(sum((r.fit_seconds or 0) + (r.score_seconds or 0) for r in result.values()))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=200)
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--window-size", type=int, default=24)
    parser.add_argument("--n-windows", type=int, default=6)
    parser.add_argument("--max-iter", type=int, default=5)
    parser.add_argument("--skip-default-threads", action="store_true",
                        help="skip the sequential run with torch's default thread count")
    args = parser.parse_args()
    import dask
    from dask.distributed import Client, LocalCluster

    params = {"window_size": args.window_size, "n_windows": args.n_windows, "code_size": 4,
              "vae_hidden_size": 32, "lstm_hidden_size": 16, "max_iter": args.max_iter,
              "early_stopping": False, "device": "cpu", "random_state": 0}
    data = Path(tempfile.mkdtemp(prefix="skvaelstm-fleet-"))
    paths = {}
    for i in range(args.series):
        paths[f"kpi-{i:04d}"] = data / f"kpi-{i:04d}.csv"
        _kpi(args.rows, seed=i).to_csv(paths[f"kpi-{i:04d}"], index=False)

    load_before = os.getloadavg()[0]   # other work on the machine skews every number
    loads_before, source = machine_load(), git_state()
    command = " ".join(["python benchmarks/fleet.py", *sys.argv[1:]])
    threads = torch.get_num_threads()
    runs = {}   # label -> (result, wall seconds, peak RSS of this process so far)
    one, one_s = _detect(params, paths, torch_threads=1)
    runs["sequential, 1 torch thread"] = (one, one_s, _peak_rss_mib())
    if not args.skip_default_threads and threads != 1:
        default, default_s = _detect(params, paths, torch_threads=None)
        label = f"sequential, {threads} torch threads (torch's default: n_threads=None)"
        runs[label] = (default, default_s, _peak_rss_mib())

    start = time.perf_counter()
    # Dask's nanny starts workers with MALLOC_TRIM_THRESHOLD_=65536: glibc then hands
    # freed memory back to the OS at once, and torch's many small tensors pay for it
    # in page faults (an earlier run with it, whose results were not kept: two workers
    # no faster than one process). The worker environment keeps Dask's thread caps without it.
    environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ"))
    environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    with dask.config.set({"distributed.nanny.pre-spawn-environ": environ}):
        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
    client = Client(cluster)
    client.run(lambda: __import__("skvaelstm.fleet"))   # imports (torch) before the clock
    startup_s = time.perf_counter() - start
    with joblib.parallel_backend("dask"):
        on_dask, dask_s = _detect(params, paths)
    worker_rss = sorted(v / 1024 for v in client.run(
        lambda: __import__("resource").getrusage(
            __import__("resource").RUSAGE_SELF).ru_maxrss).values())
    worker_threads = sorted(set(client.run(torch.get_num_threads).values()))
    client.close()
    cluster.close()

    diff = max(float(np.max(np.abs(on_dask[n].scores - one[n].scores)))
               for n in one.succeeded)
    errors = sum(len(r.errors) for r, _, _ in runs.values()) + len(on_dask.errors)
    seq_task, dask_task = _task_seconds(one), _task_seconds(on_dask)
    efficiency = dask_task / (dask_s * args.workers)
    rows = [[label, f"{s:.1f}", f"{args.series / s:.2f}", f"{s / dask_s:.2f}", f"{rss:.0f}"]
            for label, (_, s, rss) in runs.items()]
    rows.append([f"LocalCluster, {args.workers} workers × 1 thread", f"{dask_s:.1f}",
                 f"{args.series / dask_s:.2f}", "—", " / ".join(f"{v:.0f}" for v in worker_rss)])
    table = markdown_table(["run", "wall s", "series / s", "Dask speed-up over it",
                            "peak RSS per process MiB"], rows)
    markdown = f"""# Fleet: one detector per KPI series, sequential vs Dask

Written by `benchmarks/fleet.py`; do not edit by hand.
Command: `{command}`
{git_line(source)}
Measured on: {machine()}.
Load average before / after the run: {loads_before} / {machine_load()}.
Parameters: {vars(args)}; seeds: series i is generated with seed i, every fit has
random_state=0.

{args.series} synthetic 5-minute KPI series × {args.rows} rows, each a CSV file read by the
task that handles it (`detect_fleet(..., time_column="timestamp", train_size=0.6)`: fit on
the first 60% of the rows, score all rows). Model: `VAELSTMDetector({", ".join(
        f"{k}={v!r}" for k, v in params.items())})` — few epochs, to measure throughput.
Dask workers ran with {worker_threads} torch thread(s); cluster start-up and worker imports
took {startup_s:.1f} s and are not in the wall time. Errors: {errors}. Largest score
difference between the 1-thread sequential run and Dask: {diff:.1e}.

{table}
{_busy_note(load_before)}
Where the time goes (fit + score time summed over series, measured inside the tasks):
sequential with 1 thread {seq_task:.1f} s, on Dask {dask_task:.1f} s, i.e. a task ran
{dask_task / seq_task:.2f}× as long next to another worker as alone. Dask kept its workers
busy {efficiency:.0%} of the wall time (the rest: scheduling, reading the CSV files, shipping
results back). Ideal wall time with {args.workers} workers: {seq_task / args.workers:.1f} s.
"""
    payload = {"command": command, **source, "load_before": loads_before,
               "machine": machine(), "args": vars(args), "params": params,
               "sequential": {label: {"wall_s": s, "peak_rss_mib": rss,
                                      "speedup_of_dask": s / dask_s}
                              for label, (_, s, rss) in runs.items()},
               "dask_s": dask_s, "worker_torch_threads": worker_threads,
               "cluster_startup_s": startup_s, "load_average_before": load_before,
               "worker_peak_rss_mib": worker_rss, "sequential_task_s": seq_task,
               "dask_task_s": dask_task, "efficiency": efficiency, "errors": errors,
               "max_score_difference": diff}
    path = write_results("fleet", payload, markdown)
    print(markdown)
    print(f"written: {path}")


if __name__ == "__main__":
    main()
