"""Live scoring: per-update latency, throughput and memory of ``StreamScorer``.

Run: ``python benchmarks/streaming.py`` (about 10 minutes on 2 cores; ``--quick``
for a short check that writes nothing). Writes ``results/streaming.md`` and
``.json``.

For updates of 1, 10 and 100 new rows it times, side by side:

* ``StreamScorer.update`` of the default ``VAELSTMDetector``: the scores that
  became final;
* re-scoring the needed recent context with ``score_samples`` each time (the
  last ``(n_windows + 1) * window_size`` rows plus the new ones: enough for
  exact scores of the new rows, with no stream state);
* ``IsolationForest`` on ``LagWindows(48)``, updated the same way (the last 47
  rows plus the new ones, windowed and scored).

Each is run ``--repeats`` times on a fresh stream, on an idle machine and next to
one CPU-bound process (users' machines are rarely idle); the tables give the
median over the runs of each run's p50 / p99 latency. The streamed final scores
are compared with ``score_samples`` of the whole stream (bit-identical or not).
Memory: ``--memory-rows`` rows (10^7) go through one scorer in updates of 10,000
rows, and the process's resident memory and the scorer's state are recorded
along the way; 20,000 one-row updates are tracked the same way.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import git_line, git_state, machine, machine_load, markdown_table, write_results  # noqa: E402
from sklearn.ensemble import IsolationForest  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402

from skvaelstm import VAELSTMDetector  # noqa: E402
from skvaelstm.persistence import load_model, save_model  # noqa: E402
from skvaelstm.preprocessing import LagWindows  # noqa: E402
from skvaelstm.streaming import StreamScorer  # noqa: E402

SPINNER = "while True: pass"
N_TRAIN = 4032          # 14 days of 5-minute rows
SEED = 0
SIZES = (1, 10, 100)


def series(start, n, seed=0):
    """Rows ``start .. start + n - 1`` of an endless noisy daily KPI (period 288)."""
    t = np.arange(start, start + n)
    noise = np.random.default_rng([seed, start]).standard_normal(n)
    return (np.sin(2 * np.pi * t / 288) + 0.3 * np.sin(2 * np.pi * t / 36)
            + 0.1 * noise)[:, None]


def resident_mb():
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def state_bytes(scorer):
    return sum(getattr(v, "nbytes", 0) for v in vars(scorer._state).values())


class Rescoring:
    """The stateless alternative: keep the recent rows, re-score them each time."""

    def __init__(self, det):
        self.det, self.keep = det, (det.n_windows + 1) * det.window_size_
        self.rows = np.empty((0, det.n_features_in_))

    def update(self, rows):
        self.rows = np.concatenate([self.rows, rows])[-(self.keep + len(rows)):]
        if len(self.rows) < self.det.window_size_ * 2:
            return None
        return self.det.score_samples(self.rows)[-len(rows):]


class ForestStream:
    """IsolationForest on LagWindows, fed the same way."""

    def __init__(self, pipe, window):
        self.pipe, self.window = pipe, window
        self.rows = np.empty((0, 1))

    def update(self, rows):
        self.rows = np.concatenate([self.rows, rows])[-(self.window - 1 + len(rows)):]
        if len(self.rows) < self.window:
            return None
        return self.pipe.score_samples(self.rows)[-len(rows):]


def latencies(make, live, size, n_rows):
    """Seconds per update of ``size`` rows, after a warm-up of 200 rows."""
    scorer = make()
    scorer.update(live[:200])
    times, outputs = [], []
    for start in range(200, 200 + n_rows, size):
        rows = live[start:start + size]
        t0 = time.perf_counter()
        out = scorer.update(rows)
        times.append(time.perf_counter() - t0)
        outputs.append(out)
    return np.array(times), scorer, outputs


def run_child(spec):
    """One measurement in a fresh process (printed as JSON)."""
    det = load_model(spec["model"])    # fitted once by the parent process
    live = series(N_TRAIN, 200 + spec["rows"], SEED + 1)
    kind, size = spec["kind"], spec["size"]
    if kind == "stream":
        make = lambda: StreamScorer(det)  # noqa: E731
    elif kind == "rescore":
        make = lambda: Rescoring(det)  # noqa: E731
    else:
        pipe = make_pipeline(LagWindows(48), IsolationForest(random_state=SEED))
        pipe.fit(series(0, N_TRAIN, SEED))
        make = lambda: ForestStream(pipe, 48)  # noqa: E731
    times, scorer, outputs = latencies(make, live, size, spec["rows"])
    result = {"p50_ms": 1e3 * float(np.median(times)),
              "p99_ms": 1e3 * float(np.percentile(times, 99)),
              "max_ms": 1e3 * float(times.max()),
              "rows_per_s": spec["rows"] / float(times.sum()), "n_updates": len(times)}
    if kind == "stream":
        positions = np.concatenate([o.positions for o in outputs])
        scores = np.concatenate([o.scores for o in outputs])
        whole = det.score_samples(live)   # the stream began at live[0]
        result["final_rows"] = int(len(positions))
        result["mismatched_rows"] = int(np.sum(scores != whole[positions]))
    print(json.dumps(result))


def measure(spec, n_busy):
    spinners = [subprocess.Popen([sys.executable, "-c", SPINNER]) for _ in range(n_busy)]
    try:
        time.sleep(0.5 if n_busy else 0)
        out = subprocess.run([sys.executable, __file__, "--child", json.dumps(spec)],
                             capture_output=True, text=True, check=True).stdout
    finally:
        for s in spinners:
            s.kill()
            s.wait()
    return json.loads(out.strip().splitlines()[-1])


def memory_run(n_rows, step):
    """Resident memory and state size while ``n_rows`` rows stream through."""
    det = VAELSTMDetector(random_state=SEED).fit(series(0, N_TRAIN, SEED))
    scorer = StreamScorer(det)
    marks = sorted({int(n_rows * f) for f in (0.01, 0.1, 0.25, 0.5, 0.75, 1.0)})
    records, fed, started = [], 0, time.perf_counter()
    flagged = 0
    while fed < n_rows:
        size = min(step, n_rows - fed)
        result = scorer.update(series(N_TRAIN + fed, size, SEED + 1))
        flagged += int(np.sum(result.labels == -1))
        fed += size
        if fed >= marks[len(records)]:
            records.append({"rows": fed, "rss_mb": resident_mb(),
                            "state_bytes": state_bytes(scorer),
                            "seconds": time.perf_counter() - started})
    return {"records": records, "flagged": flagged, "final": scorer.n_rows_final_}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rows", type=int, default=3000, help="live rows per latency run")
    parser.add_argument("--memory-rows", type=int, default=10_000_000)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--child")
    return parser.parse_args()


def main():
    args = parse_args()
    if args.child:
        run_child(json.loads(args.child))
        return
    if args.quick:
        args.repeats, args.rows, args.memory_rows = 1, 300, 200_000
    source, load_before = git_state(), machine_load()   # the code measured: read first
    model = Path(tempfile.mkdtemp()) / "default.skv"
    save_model(VAELSTMDetector(random_state=SEED).fit(series(0, N_TRAIN, SEED)), model)
    results = {}
    for n_busy in (0, 1):
        for size in SIZES:
            for kind in ("stream", "rescore", "forest"):
                # re-scoring costs ~10 ms per update: fewer one-row updates
                rows = args.rows // 3 if kind == "rescore" and size == 1 else args.rows
                spec = {"kind": kind, "size": size, "rows": rows, "model": str(model)}
                runs = [measure(spec, n_busy) for _ in range(args.repeats)]
                results[f"{kind}|{size}|{n_busy}"] = runs
                print(kind, size, n_busy, [round(r["p99_ms"], 2) for r in runs], flush=True)
    memory = memory_run(args.memory_rows, 10_000)
    print("memory", memory["records"][-1], flush=True)
    one_row = memory_run(20_000 if not args.quick else 2_000, 1)
    print("memory, one-row updates", one_row["records"][-1], flush=True)
    payload = {"command": " ".join(["python", "benchmarks/streaming.py", *sys.argv[1:]]),
               **source, "machine": machine(),
               "load_before": load_before, "load_after": machine_load(),
               "parameters": {"detector": VAELSTMDetector(random_state=SEED).get_params(),
                              "train_rows": N_TRAIN, "rows_per_run": args.rows,
                              "repeats": args.repeats, "memory_rows": args.memory_rows,
                              "seeds": {"fit": SEED, "live rows": SEED + 1}},
               "latency": results, "memory": memory, "memory_one_row": one_row}
    if args.quick:
        print(json.dumps(payload, indent=1, default=float)[:2000])
        return
    path = write_results("streaming", payload, report(payload))
    print(f"written: {path}")


def med(runs, key):
    return float(np.median([r[key] for r in runs]))


def report(p):
    names = {"stream": "StreamScorer.update", "rescore": "score_samples on recent context",
             "forest": "IsolationForest+LagWindows(48)"}
    lines = [
        "# Live scoring: latency, throughput and memory", "",
        "Written by `benchmarks/streaming.py`; do not edit by hand.",
        f"Command: `{p['command']}`", git_line(p),
        f"Measured on: {p['machine']}; no GPU: this session was not lent a GPU machine.",
        f"Load average before / after: {p['load_before']} / {p['load_after']}.",
        f"Parameters: default VAELSTMDetector (window 48, 12 windows, window_max, "
        f"both sources, n_threads=1), fitted on {p['parameters']['train_rows']} rows of a "
        f"synthetic daily KPI (seed {SEED}); {p['parameters']['rows_per_run']} live rows per "
        f"run (a third of them for re-scoring with one-row updates; seed {SEED + 1}) after "
        f"200 warm-up rows; {p['parameters']['repeats']} runs in "
        "fresh processes per cell; medians over the runs of each run's p50 / p99.", ""]
    for n_busy in (0, 1):
        lines += [f"## Latency per update, {'idle machine' if not n_busy else 'next to 1 CPU-bound process'}",
                  ""]
        rows = []
        for size in SIZES:
            for kind in ("stream", "rescore", "forest"):
                runs = p["latency"][f"{kind}|{size}|{n_busy}"]
                rows.append([size, names[kind], f"{med(runs, 'p50_ms'):.2f}",
                             f"{med(runs, 'p99_ms'):.2f}",
                             f"{max(r['p99_ms'] for r in runs):.2f}",
                             f"{med(runs, 'rows_per_s'):,.0f}"])
        lines += [markdown_table(["rows per update", "scorer", "p50 ms", "p99 ms",
                                  "worst run's p99 ms", "rows/s"], rows), ""]
    exact = [(r["final_rows"], r["mismatched_rows"])
             for key, runs in p["latency"].items() if key.startswith("stream") for r in runs]
    lines += [f"Streamed final scores vs `score_samples` of the whole stream: "
              f"{sum(m for _, m in exact)} mismatched of {sum(f for f, _ in exact)} rows "
              f"over {len(exact)} runs.", ""]
    for key, title in (("memory", "updates of 10,000 rows"),
                       ("memory_one_row", "one-row updates")):
        lines += [f"## Memory over a long stream, {title}", ""]
        rows = [[f"{r['rows']:,}", f"{r['rss_mb']:.1f}", f"{r['state_bytes']:,}",
                 f"{r['seconds']:.0f}"] for r in p[key]["records"]]
        lines += [markdown_table(["rows streamed", "resident MB", "scorer state bytes",
                                  "seconds"], rows), ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
