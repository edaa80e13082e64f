"""Fit and scoring time against torch's thread count, on an idle and on a busy machine.

Users' machines are rarely idle: a laptop with a browser open, two notebooks, a CI
runner, a Dask worker. This script measures, in fresh processes:

1. **Thread count**: a short fit (``--epochs`` epochs of the given model on
   ``--rows`` rows of a noisy daily-like KPI) and scoring of ``--score-rows`` rows,
   with ``n_threads`` = 1 and 2, for the default and the paper-size networks, on
   an idle machine and next to one and two CPU-bound processes (``while True:
   pass``, as many as given).
2. **The default fit next to other work**: the full default fit (all default
   parameters, ``n_threads`` as given) alone, next to one CPU-bound process and
   next to a second identical fit started at the same moment, as the ratio to the
   fit alone.

A run slower than ``--timeout`` seconds is stopped and shown as ``>T``; its
remaining repeats are skipped. Medians of ``--repeats`` runs.

Usage::

    python benchmarks/threads.py             # writes results/threads.{md,json}
    python benchmarks/threads.py --quick     # smoke test, writes nothing
"""

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import git_line, git_state, machine, machine_load, markdown_table, write_results  # noqa: E402

MODELS = {
    "default": {},
    "paper-size": {"window_size": 48, "vae_hidden_size": 512, "lstm_hidden_size": 64},
}
SPINNER = "while True: pass"


def series(n, seed=0):
    """A noisy daily-like KPI: period 288 (5-minute data), univariate."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return (np.sin(2 * np.pi * t / 288) + 0.3 * np.sin(2 * np.pi * t / 2016)
            + 0.1 * rng.standard_normal(n))[:, None]


def child(spec):
    """In a fresh process: fit (and score) one detector, print the seconds as JSON."""
    from skvaelstm import VAELSTMDetector

    X = series(spec["rows"])
    det = VAELSTMDetector(**spec["params"], device="cpu", random_state=0)
    start = time.perf_counter()
    det.fit(X)
    out = {"fit_s": time.perf_counter() - start}
    if spec.get("score_rows"):
        Y = series(spec["score_rows"], seed=1)
        start = time.perf_counter()
        det.score_samples(Y)
        out["score_s"] = time.perf_counter() - start
    print(json.dumps(out))


def _start_child(spec):
    return subprocess.Popen([sys.executable, __file__, "--child", json.dumps(spec)],
                            stdout=subprocess.PIPE, text=True)


def _finish(process, deadline):
    try:
        out, _ = process.communicate(timeout=max(0.1, deadline - time.perf_counter()))
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        return None
    if process.returncode != 0:
        raise RuntimeError(f"benchmark child failed with exit code {process.returncode}")
    return json.loads(out.strip().splitlines()[-1])


def measure(specs, n_busy, timeout):
    """Run the children in ``specs`` together, next to ``n_busy`` spinners; their
    results (None for a child stopped at the timeout)."""
    spinners = [subprocess.Popen([sys.executable, "-c", SPINNER]) for _ in range(n_busy)]
    try:
        time.sleep(0.5 if n_busy else 0)          # let the spinners start spinning
        children = [_start_child(spec) for spec in specs]
        deadline = time.perf_counter() + timeout
        return [_finish(c, deadline) for c in children]
    finally:
        for s in spinners:
            s.kill()
            s.wait()


def repeated(specs, n_busy, repeats, timeout, keys=("fit_s",)):
    """``key -> {"median", "runs"}`` over ``repeats`` runs of the first child
    (median inf when a run was stopped at the timeout)."""
    runs = {key: [] for key in keys}
    for _ in range(repeats):
        result = measure(specs, n_busy, timeout)[0]
        if result is None:
            for key in keys:
                runs[key].append(float("inf"))
            break                                   # more repeats would only time out too
        for key in keys:
            runs[key].append(result[key])
    return {key: {"median": float(np.median(v)), "runs": v} for key, v in runs.items()}


def cell(entry, timeout, digits=1):
    if entry["median"] == float("inf"):
        return f">{timeout:g}"
    return f"{entry['median']:.{digits}f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=4032,
                        help="training rows (NAB-size: ec2_request_latency has 4032)")
    parser.add_argument("--epochs", type=int, default=5, help="epochs of the thread-count fits")
    parser.add_argument("--score-rows", type=int, default=20000)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--busy", type=int, nargs="+", default=[0, 1, 2],
                        help="numbers of competing CPU-bound processes")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, writes nothing")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(json.loads(args.child))
    if args.quick:
        args.rows, args.epochs, args.score_rows, args.repeats = 1200, 1, 2000, 1
        args.busy, args.timeout = [0, 1], 60.0
    command = " ".join(["python benchmarks/threads.py", *sys.argv[1:]])
    source, load_before = git_state(), machine_load()   # what is measured, before the run

    # 1. thread count x machine load
    count = {}
    for model, params in MODELS.items():
        for n_threads in args.threads:
            for n_busy in args.busy:
                spec = {"rows": args.rows, "score_rows": args.score_rows,
                        "params": {**params, "max_iter": args.epochs, "n_threads": n_threads}}
                both = repeated([spec], n_busy, args.repeats, args.timeout,
                                ("fit_s", "score_s"))
                fit, score = both["fit_s"], both["score_s"]
                count[f"{model}|{n_threads}|{n_busy}"] = {"fit": fit, "score": score}
                print(model, n_threads, n_busy, fit["median"], score["median"], flush=True)

    # 2. the full default fit next to other work
    neighbours = {}
    for n_threads in args.threads:
        spec = {"rows": args.rows, "params": {"n_threads": n_threads}}
        alone = repeated([spec], 0, args.repeats, args.timeout)["fit_s"]
        busy = repeated([spec], 1, args.repeats, args.timeout)["fit_s"]
        pair = repeated([spec, spec], 0, args.repeats, args.timeout)["fit_s"]
        neighbours[n_threads] = {"alone": alone, "next to 1 CPU-bound process": busy,
                                 "next to another default fit": pair}
        print("full", n_threads, alone["median"], busy["median"], pair["median"], flush=True)

    load_after = machine_load()
    if args.quick:
        return None
    lines = [
        "# Torch threads on idle and busy machines",
        "",
        "Written by `benchmarks/threads.py`; do not edit by hand.",
        f"Command: `{command}`",
        git_line(source),
        f"Measured on: {machine()}; every fit on the CPU (device='cpu').",
        f"Load average before / after the run: {load_before} / {load_after}.",
        f"Parameters: training rows {args.rows}, thread-count fits {args.epochs} epochs, "
        f"scoring {args.score_rows} rows, threads {args.threads}, competing processes "
        f"{args.busy}, repeats {args.repeats}, timeout {args.timeout:g} s; "
        "random_state=0 in every fit. Each run is a fresh process; a competing process is "
        f"`python -c \"{SPINNER}\"`. Medians of {args.repeats} runs; `>T`: stopped at the "
        "timeout (its other repeats skipped).",
        "",
        f"## 1. Thread count: fit ({args.epochs} epochs) and scoring, seconds",
        "",
    ]
    header = ["model", "n_threads"] + [f"fit, {b} busy" for b in args.busy] + [
        f"score, {b} busy" for b in args.busy]
    rows = []
    for model in MODELS:
        for n_threads in args.threads:
            entries = [count[f"{model}|{n_threads}|{b}"] for b in args.busy]
            rows.append([model, n_threads] + [cell(e["fit"], args.timeout) for e in entries]
                        + [cell(e["score"], args.timeout, 2) for e in entries])
    lines += [markdown_table(header, rows), ""]
    lines += [f"## 2. The full default fit ({args.rows} rows) next to other work", "",
              "Ratio: median fit time over the median of the same fit alone.", ""]
    rows = []
    for n_threads, entry in neighbours.items():
        base = entry["alone"]["median"]
        for situation, value in entry.items():
            ratio = (value["median"] / base if np.isfinite(value["median"]) and np.isfinite(base)
                     else float("inf"))
            rows.append([n_threads, situation, cell(value, args.timeout),
                         "–" if situation == "alone" else
                         (f"{ratio:.2f}x" if np.isfinite(ratio) else "–")])
    lines += [markdown_table(["n_threads", "situation", "fit s", "ratio to alone"], rows)]
    payload = {"command": command, **source, "machine": machine(),
               "load_before": load_before, "load_after": load_after, "args": vars(args),
               "thread_count": count,
               "neighbours": {str(k): v for k, v in neighbours.items()}}
    path = write_results("threads", payload, "\n".join(lines))
    print(path.read_text())
    return None


if __name__ == "__main__":
    main()
