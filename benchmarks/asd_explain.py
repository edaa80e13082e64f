"""Which KPI is to blame: channel rankings on ASD against its interpretation labels.

For every labelled anomalous segment of the 12 ASD entities (``interpretation_label/``:
the 1-based columns to blame), channels are ranked by their share of the segment's
error and scored with HitRate@P% (OmniAnomaly, Su et al., KDD 2019; InterFusion, Li
et al., KDD 2021): the share of the labelled columns found among the top
floor(P% x number labelled) ranked channels, averaged over segments. Rankings:

* VAELSTMDetector (defaults): ``skvaelstm.explain.rank_channels`` of its
  ``channel_scores`` (a channel's mean part in the segment over its median part
  in all other rows), and, for comparison, the raw parts summed over the segment;
* VAELSTMDetector with ``error_source="reconstruction"`` (the VAE as an
  auto-encoder: per-channel reconstruction error), ranked by ``rank_channels``;
* PyOD's ``TimeSeriesOD(AutoEncoder)`` on windows of 48 rows of all channels (as in
  ``asd.py``): each window's squared reconstruction error per channel (summed over the
  window's rows, in the auto-encoder's standardised units), a row's part the mean over
  the windows covering it, ranked by ``rank_channels`` like the VAE-LSTM's parts;
* absolute z-score of the raw values against the training rows, summed over the segment;
* random ranking: the exact expected HitRate, min(top, channels) / channels.

Each detector is fitted on an entity's training rows; training and test rows are
scored as one series. Usage::

    python benchmarks/asd_explain.py [--seeds 0 1 2] [--entities 1 ...] [--jobs 2]

Needs the ASD files in $SKVAELSTM_ASD_HOME. Writes benchmarks/results/asd_explain.{md,json}.
"""

import argparse
import os
import sys
import time

import numpy as np
from joblib import Parallel, delayed

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import (
    git_line,
    git_state,
    machine,
    machine_load,
    markdown_table,
    mean_std,
    write_results,
)
from asd import asd_home, load_entity

PERCENTS = (100, 150)
RANKINGS = ("VAELSTMDetector (defaults)", "VAELSTMDetector (reconstruction error only)",
            "absolute z-score of the raw values", "random ranking (expected)",
            "VAELSTMDetector (defaults), raw parts summed",
            "PyOD TimeSeriesOD(AutoEncoder) w48, per-channel reconstruction error")


def segments(home, k):
    """``[(start, stop, blamed)]`` of entity ``omi-k``: test rows, 0-based columns."""
    out = []
    with open(home / "interpretation_label" / f"omi-{k}.txt") as handle:
        for line in handle:
            if line.strip():
                rows, columns = line.strip().split(":")
                start, stop = (int(v) for v in rows.split("-"))
                out.append((start, stop, {int(c) - 1 for c in columns.split(",")}))
    return out


def hit_rate(order, blamed, percent):
    top = int(np.floor(percent / 100 * len(blamed)))
    return len(set(order[:top].tolist()) & blamed) / len(blamed)


def expected_random(n_channels, blamed, percent):
    return min(int(np.floor(percent / 100 * len(blamed))), n_channels) / n_channels


def _order(parts):
    """Channels by decreasing share of the error (ties: lower index first)."""
    return np.argsort(-parts, kind="stable")


def autoencoder_parts(train, X, seed, window=48):
    """Per-row, per-channel reconstruction errors of PyOD's windowed AutoEncoder,
    negated like ``channel_scores`` (lower = more abnormal)."""
    import torch
    from pyod.models.auto_encoder import AutoEncoder
    from pyod.models.ts_od import TimeSeriesOD, sliding_windows

    detector = TimeSeriesOD(detector=AutoEncoder(verbose=0, random_state=seed),
                            window_size=window, score_aggregation="mean").fit(train)
    ae = detector.detector_
    windows = sliding_windows(X, window)          # rows of (window, channels), flattened
    if ae.preprocessing:
        windows = (windows - ae.X_mean) / np.where(ae.X_std > 0, ae.X_std, 1.0)
    ae.model.eval()
    with torch.no_grad():
        recon = ae.model(torch.as_tensor(windows, dtype=torch.float32,
                                         device=ae.device)).cpu().numpy()
    per_window = ((windows - recon) ** 2).reshape(len(windows), window, -1).sum(axis=1)
    # a row's part: the mean over the windows covering it
    sums = np.zeros((len(X) + 1, X.shape[1]))
    sums[1:len(per_window) + 1] = np.cumsum(per_window, axis=0)
    sums[len(per_window) + 1:] = sums[len(per_window)]
    rows = np.arange(len(X))
    first, last = np.maximum(rows - window + 1, 0), np.minimum(rows, len(per_window) - 1)
    return -(sums[last + 1] - sums[first]) / (last - first + 1)[:, None]


def run(k, seed, home):
    from skvaelstm import VAELSTMDetector
    from skvaelstm.explain import rank_channels

    train, test, _ = load_entity(home, k)
    X = np.vstack([train, test])
    offset = len(train)
    parts, seconds = {}, {}
    for name, params in ((RANKINGS[0], {}), (RANKINGS[1], {"error_source": "reconstruction"})):
        start = time.perf_counter()
        det = VAELSTMDetector(random_state=seed, **params).fit(train)
        parts[name] = det.channel_scores(X)
        seconds[name] = time.perf_counter() - start
    parts[RANKINGS[5]] = autoencoder_parts(train, X, seed)
    std = train.std(axis=0)
    z = np.abs(X - train.mean(axis=0)) / np.where(std > 0, std, 1.0)
    rows = []
    for start, stop, blamed in segments(home, k):
        a, b = offset + start, offset + stop
        orders = {name: rank_channels(p, a, b)[0] for name, p in parts.items()}
        orders[RANKINGS[2]] = _order(z[a:b + 1].sum(axis=0))
        orders[RANKINGS[4]] = _order(-parts[RANKINGS[0]][a:b + 1].sum(axis=0))
        entry = {"entity": k, "seed": seed, "start": start, "stop": stop,
                 "n_blamed": len(blamed)}
        for name, order in orders.items():
            for p in PERCENTS:
                entry[f"{name}|{p}"] = hit_rate(order, blamed, p)
        for p in PERCENTS:
            entry[f"{RANKINGS[3]}|{p}"] = expected_random(X.shape[1], blamed, p)
        rows.append(entry)
    return rows, seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--entities", type=int, nargs="+", default=list(range(1, 13)))
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    home = asd_home()
    if home is None:
        raise SystemExit("set SKVAELSTM_ASD_HOME to the ASD folder (train/, test/, "
                         "interpretation_label/)")
    command = " ".join(["python benchmarks/asd_explain.py", *sys.argv[1:]])
    source, load_before = git_state(), machine_load()
    runs = Parallel(n_jobs=args.jobs)(delayed(run)(k, seed, home)
                                      for seed in args.seeds for k in args.entities)
    rows = [row for segment_rows, _ in runs for row in segment_rows]
    fit_s = {name: float(np.mean([s[name] for _, s in runs])) for name in RANKINGS[:2]}
    table = []
    summary = {}
    for name in RANKINGS:
        cells = [name]
        for p in PERCENTS:
            per_seed = [np.mean([r[f"{name}|{p}"] for r in rows if r["seed"] == seed])
                        for seed in args.seeds]
            mean, std = mean_std(per_seed)
            summary[f"{name}|{p}"] = {"mean": mean, "std": std, "per_seed": per_seed}
            cells.append(f"{mean:.3f} ± {std:.3f}")
        cells.append(f"{fit_s[name]:.1f}" if name in fit_s else "–")
        table.append(cells)
    n_segments = len({(r["entity"], r["start"]) for r in rows})
    blamed = np.mean([r["n_blamed"] for r in rows if r["seed"] == args.seeds[0]])
    markdown = "\n".join([
        "# ASD: which KPI is to blame (HitRate@P%)",
        "",
        "Written by `benchmarks/asd_explain.py`; do not edit by hand.",
        f"Command: `{command}`",
        git_line(source),
        f"Measured on: {machine()}; load average before / after the run: {load_before} / "
        f"{machine_load()}.",
        f"Entities {args.entities}, seeds {args.seeds}, {args.jobs} parallel runs; "
        f"{n_segments} labelled segments, on average {blamed:.1f} of 19 columns labelled "
        "to blame per segment.",
        "",
        "HitRate@P%: share of a segment's labelled columns among the top floor(P% x "
        "labelled) channels of the ranking, averaged over all segments of all entities; "
        "**mean ± std of that average over the seeds.** VAELSTMDetector rankings: "
        "`skvaelstm.explain.rank_channels` (a channel's mean part in the segment over its "
        "median part elsewhere) unless marked 'raw parts summed'; z-score: summed over the "
        "segment's rows. The relative rule was chosen on this data (seed 0, among four "
        "rules): these numbers are in-sample for it. Random: the exact expected "
        "value. With many columns labelled, P=150 asks for more channels than exist, and "
        "every ranking then scores 1 on that segment.",
        "",
        markdown_table(["ranking"] + [f"HitRate@{p}%" for p in PERCENTS] + ["fit s"], table),
    ])
    write_results("asd_explain", {"command": command, **source,
                                  "load_before": load_before, "args": vars(args),
                                  "summary": summary, "segments": rows, "fit_s": fit_s},
                  markdown)
    print(markdown)


if __name__ == "__main__":
    main()
