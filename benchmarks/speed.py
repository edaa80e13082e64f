"""Fit time, scoring throughput and scoring memory of VAELSTMDetector vs IsolationForest.

Measured in one run on this machine:
- the full default fit (early stopping included) on 10,000 NYC-taxi rows, median of runs;
- seconds per training epoch (both stages) for 10^4 .. 10^6 rows: cost must be linear;
- scoring rows/s for 10^4 .. 10^7 rows (median of runs for small sizes);
- peak RSS of a fresh process scoring 10^7 univariate rows;
for the default model, the paper-size network (window 48, 512 VAE units, 64 LSTM units)
and IsolationForest(n_estimators=100) on LagWindows(48), scored in chunks of 10^6 rows.
The previous results file, if any, is shown side by side.

Usage:  python benchmarks/speed.py [--quick]
Writes benchmarks/results/speed.md and .json.
"""

import argparse
import json
import os
import pickle
import subprocess
import sys
import tempfile
import warnings

import numpy as np
import torch
from _common import (
    RESULTS,
    git_line,
    git_state,
    machine,
    machine_load,
    markdown_table,
    timed,
    write_results,
)
from sklearn.ensemble import IsolationForest
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline

from skvaelstm import VAELSTMDetector
from skvaelstm.datasets import load_nab
from skvaelstm.preprocessing import LagWindows

MODELS = {
    "default": {},
    "paper-size": {"window_size": 48, "vae_hidden_size": 512, "lstm_hidden_size": 64},
}
IF_CHUNK = 1_000_000


def series(n, seed=0):
    """A noisy daily-like KPI: period 288 (5-minute data), univariate."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return (np.sin(2 * np.pi * t / 288) + 0.3 * np.sin(2 * np.pi * t / 2016)
            + 0.1 * rng.standard_normal(n))[:, None]


def median_time(function, repeats):
    return float(np.median([timed(function)[1] for _ in range(repeats)]))


class _ChunkedIForest:
    """IsolationForest on LagWindows, scored in chunks so 10^7 rows fit in memory."""

    def __init__(self, seed=0):
        self.window = 48
        self.model = make_pipeline(LagWindows(self.window),
                                   IsolationForest(n_estimators=100, random_state=seed))

    def fit(self, X):
        self.model.fit(X)
        return self

    def score_samples(self, X):
        out = np.empty(len(X))
        for start in range(0, len(X), IF_CHUNK):
            lo = max(start - self.window + 1, 0)
            chunk = self.model.score_samples(X[lo:start + IF_CHUNK])
            out[start:start + IF_CHUNK] = chunk[start - lo:]
        return out


def fit_epoch_seconds(params, n, epochs):
    det = VAELSTMDetector(**params, max_iter=epochs, n_iter_no_change=epochs,
                          early_stopping=False, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        _, seconds = timed(det.fit, series(n))
    return seconds / epochs, det


def peak_rss_mb(model_path, n):
    """RSS of a fresh process scoring n rows: before, peak while scoring, process peak.

    The peak while scoring is sampled from /proc every 5 ms by a thread, so that
    the temporaries of generating the test series do not hide the scoring cost.
    """
    code = f"""
import gc, pickle, resource, sys, threading, time
sys.path.insert(0, {os.path.dirname(os.path.abspath(__file__))!r})
from speed import series, _ChunkedIForest
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20
model = pickle.load(open({model_path!r}, "rb"))
X = series({n})
gc.collect()
before, peak, done = rss(), [0.0], threading.Event()
def sample():
    while not done.is_set():
        peak[0] = max(peak[0], rss())
        time.sleep(0.005)
thread = threading.Thread(target=sample)
thread.start()
model.score_samples(X)
done.set()
thread.join()
print(before, max(peak[0], rss()), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    return [float(value) for value in out]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only (smoke test)")
    args = parser.parse_args()
    previous_path = RESULTS / "speed.json"
    previous = json.loads(previous_path.read_text()) if previous_path.exists() else None
    load = machine_load()
    fit_sizes = [10**4, 10**5] if args.quick else [10**4, 10**5, 10**6]
    score_sizes = [10**4, 10**5] if args.quick else [10**4, 10**5, 10**6, 10**7]
    repeats = 1 if args.quick else 3
    results = {"command": "python benchmarks/speed.py" + (" --quick" if args.quick else ""),
               **git_state(), "machine": machine(), "load_before": load,
               "gpu": torch.cuda.is_available(), "models": {}, "flops": flops_per_row(),
               "params": {name: {**VAELSTMDetector().get_params(), **params}
                          for name, params in MODELS.items()}, "seeds": list(range(3))}

    taxi = load_nab("nyc_taxi").data[:10_000]
    for name, params in MODELS.items():
        entry = results["models"].setdefault(name, {"fit_epoch_s": {}, "score_rows_s": {}})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            fits = [timed(VAELSTMDetector(**params, random_state=s).fit, taxi)
                    for s in range(repeats if name == "default" else 1)]
        entry["full_fit_10k_s"] = float(np.median([seconds for _, seconds in fits]))
        entry["full_fit_10k_epochs"] = fits[0][0].n_iter_.tolist()
        print(f"{name}: full fit on 10,000 rows {entry['full_fit_10k_s']:.1f}s", flush=True)
        model = fits[0][0]
        for n in fit_sizes:
            if name == "paper-size" and n > 10**5:
                continue  # minutes per epoch on 2 cores; the trend is clear from 10^4-10^5
            entry["fit_epoch_s"][str(n)] = fit_epoch_seconds(params, n, 2 if n <= 10**5 else 1)[0]
            print(f"{name}: {n} rows, {entry['fit_epoch_s'][str(n)]:.2f} s/epoch", flush=True)
        for n in score_sizes:
            if name == "paper-size" and n > 10**6:
                continue
            X = series(n, seed=1)
            seconds = median_time(lambda m=model, X=X: m.score_samples(X), repeats if n <= 10**5 else 1)
            entry["score_rows_s"][str(n)] = n / seconds
            print(f"{name}: scoring {n} rows, {n / seconds:,.0f} rows/s", flush=True)
        if name == "default":
            with tempfile.NamedTemporaryFile(suffix=".pkl", delete=False) as f:
                pickle.dump(model, f)
            entry["rss_mb"] = peak_rss_mb(f.name, score_sizes[-1])
            os.unlink(f.name)

    entry = results["models"].setdefault("IsolationForest+LagWindows(48)",
                                          {"fit_epoch_s": {}, "score_rows_s": {}})
    forest, entry["full_fit_10k_s"] = timed(_ChunkedIForest().fit, taxi)
    for n in score_sizes:
        X = series(n, seed=1)
        seconds = median_time(lambda X=X: forest.score_samples(X), repeats if n <= 10**5 else 1)
        entry["score_rows_s"][str(n)] = n / seconds
        print(f"IsolationForest: scoring {n} rows, {n / seconds:,.0f} rows/s", flush=True)
    with tempfile.NamedTemporaryFile(suffix=".pkl", delete=False) as f:
        pickle.dump(forest, f)
    entry["rss_mb"] = peak_rss_mb(f.name, score_sizes[-1])
    os.unlink(f.name)

    results["load_after"] = machine_load()
    markdown = _report(results, previous, fit_sizes, score_sizes, repeats)
    path = write_results("speed", results, markdown)
    print(markdown)
    print(f"written: {path}")


def flops_per_row():
    """Model FLOPs per scored row (torch's counter: encoder + decoder + LSTM matmuls)
    and the matmul rate this machine sustains, to tell slow code from slow hardware."""
    from torch.utils.flop_counter import FlopCounterMode

    from skvaelstm._model._lstm import _LatentLSTM
    from skvaelstm._model._vae import _VAE

    out = {}
    for name, params in MODELS.items():
        p = {**VAELSTMDetector().get_params(), **params}
        vae = _VAE(1, p["window_size"], p["code_size"], p["vae_hidden_size"]).eval()
        lstm = _LatentLSTM(p["code_size"], p["lstm_hidden_size"]).eval()
        with torch.inference_mode(), FlopCounterMode(display=False) as counter:
            vae.encoder(torch.zeros(1, 1, p["window_size"]))
            vae.decoder(torch.zeros(1, p["code_size"]))
            lstm(torch.zeros(1, p["n_windows"] - 1, p["code_size"]))
        out[name] = counter.get_total_flops()
    a = torch.randn(2048, 2048)
    seconds = median_time(lambda: a @ a, 5)
    out["matmul_gflops"] = 2 * 2048**3 / seconds / 1e9
    return out


def _report(results, previous, fit_sizes, score_sizes, repeats):
    models = results["models"]
    old = (previous or {}).get("models", {})

    def cell(name, key, n, fmt="{:,.0f}"):
        value = models[name][key].get(str(n))
        return "–" if value is None else fmt.format(value)

    def prev(name, key, n, fmt="{:,.0f}"):
        value = old.get(name, {}).get(key, {}).get(str(n))
        return "–" if value is None else fmt.format(value)

    score_rows = [[name] + [f"{cell(name, 'score_rows_s', n)} (prev {prev(name, 'score_rows_s', n)})"
                            for n in score_sizes] for name in models]
    fit_rows = [[name] + [cell(name, "fit_epoch_s", n, "{:.2f}") for n in fit_sizes]
                for name in models if models[name]["fit_epoch_s"]]
    default_if = models["default"]["score_rows_s"][str(score_sizes[-1])] / \
        models["IsolationForest+LagWindows(48)"]["score_rows_s"][str(score_sizes[-1])]
    rss = [[name] + [f"{value:.0f}" for value in m["rss_mb"]]
           for name, m in models.items() if "rss_mb" in m]
    full = [[name, f"{m['full_fit_10k_s']:.1f}", str(m.get("full_fit_10k_epochs", "–")),
             "–" if name not in old else f"{old[name]['full_fit_10k_s']:.1f}",
             str(old.get(name, {}).get("full_fit_10k_epochs", "–"))]
            for name, m in models.items()]
    flops = results.get("flops", {})
    flop_lines = "\n".join(
        f"- {name}: {flops[name] / 1e6:.2f} MFLOP per scored row -> at most "
        f"{flops['matmul_gflops'] * 1e9 / flops[name]:,.0f} rows/s if every FLOP ran at the "
        f"large-matmul rate ({flops['matmul_gflops']:.0f} GFLOP/s measured); measured "
        f"{models[name]['score_rows_s'][str(score_sizes[min(2, len(score_sizes) - 1)])]:,.0f}"
        for name in MODELS if name in flops)
    gpu = ("a CUDA GPU was available and used" if results["gpu"] else
           "no GPU: this session was not lent a GPU machine, so all numbers are CPU only")
    return f"""# Speed and memory

Written by `benchmarks/speed.py`; do not edit by hand.
Command: `{results['command']}`
{git_line(results)}
Measured on: {results['machine']}; {gpu}.
Load average before / after the run: {results['load_before']} / {results['load_after']}.
Parameters: {results['params']}; seeds 0, 1, 2 for the default full fit, 0 elsewhere.
Medians of {repeats} runs for sizes <= 10^5 rows (and for the default full fit), single
runs above. "prev" = the previous results file (the previous defaults, git commit
{(previous or {}).get('git_commit', 'not recorded')}).

## Full fit on 10,000 NYC-taxi rows (early stopping included)

{markdown_table(["model", "fit s", "epochs (VAE, LSTM)", "prev fit s", "prev epochs"], full)}

## Training cost per epoch (both stages), seconds

{markdown_table(["model"] + [f"{n:,} rows" for n in fit_sizes], fit_rows)}

## Scoring throughput, rows/s

{markdown_table(["model"] + [f"{n:,} rows" for n in score_sizes], score_rows)}

Default VAELSTMDetector / IsolationForest scoring speed at {score_sizes[-1]:,} rows: {default_if:.2f}x.

Where the time goes (torch's FLOP counter; small convolutions and the depth-to-space
copies of the decoder run well below the large-matmul rate):
{flop_lines}

## Peak memory (RSS, MB) of a fresh process scoring {score_sizes[-1]:,} univariate rows

{markdown_table(["model", "after loading model and data", "peak while scoring",
                 "process peak (incl. generating the data)"], rss)}
"""


if __name__ == "__main__":
    main()
