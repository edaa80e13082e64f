"""Tests of the NAB score (skvaelstm.metrics.nab_*): hand-computed values, NAB's scoreboard.

Values by hand use ``sig(x) = 2 / (1 + exp(5 x)) - 1 = tanh(-5 x / 2)`` (NAB's
``scaledSigmoid``), so that the expected numbers do not reuse the library's formula.
"""

import json
import math
import os
import time
from pathlib import Path

import numpy as np
import pytest

from skvaelstm.metrics import (
    NAB_PROFILES,
    nab_optimize_threshold,
    nab_raw_score,
    nab_score,
    nab_windows_to_rows,
)

FP = {"standard": 0.11, "reward_low_FP_rate": 0.22, "reward_low_FN_rate": 0.11}
FN = {"standard": 1.0, "reward_low_FP_rate": 1.0, "reward_low_FN_rate": 2.0}
PROFILES = list(FP)


def sig(x):
    return math.tanh(-2.5 * x)


def one_file(n=100, rows=(), values=1.0):
    score = np.zeros(n)
    score[list(rows)] = values
    return score


# --------------------------------------------------------------------------
# hand-computed values on tiny inputs (100 rows: rows 0-14 are probationary)


def test_the_profiles_are_nabs():
    assert {k: dict(v) for k, v in NAB_PROFILES.items()} == {
        "standard": {"tp": 1.0, "fn": 1.0, "fp": 0.11},
        "reward_low_FP_rate": {"tp": 1.0, "fn": 1.0, "fp": 0.22},
        "reward_low_FN_rate": {"tp": 1.0, "fn": 2.0, "fp": 0.11},
    }
    with pytest.raises(TypeError):
        NAB_PROFILES["standard"]["fp"] = 0.0          # read-only


@pytest.mark.parametrize("profile", PROFILES)
def test_detection_at_the_first_row_of_a_window_earns_tp(profile):
    assert nab_raw_score(one_file(rows=[50]), [(50, 59)], 0.5, profile=profile) == 1.0


@pytest.mark.parametrize("profile", PROFILES)
def test_a_missed_window_costs_fn(profile):
    assert nab_raw_score(one_file(), [(50, 59)], 0.5, profile=profile) == -FN[profile]
    assert nab_raw_score(one_file(), [(20, 29), (50, 59)], 0.5,
                         profile=profile) == -2 * FN[profile]


def test_a_late_detection_earns_less():
    # the last row of a 10-row window: sig(-1/10) / sig(-1)
    raw = nab_raw_score(one_file(rows=[59]), [(50, 59)], 0.5)
    assert raw == pytest.approx(math.tanh(0.25) / math.tanh(2.5), abs=1e-12)
    assert raw == pytest.approx(0.24824, abs=1e-5)
    # the middle: sig(-5/10) / sig(-1)
    raw = nab_raw_score(one_file(rows=[55]), [(50, 59)], 0.5)
    assert raw == pytest.approx(math.tanh(1.25) / math.tanh(2.5), abs=1e-12)


def test_only_the_earliest_detection_in_a_window_counts():
    earliest = math.tanh(2.0) / math.tanh(2.5)          # row 52: sig(-8/10) / sig(-1)
    raw = nab_raw_score(one_file(rows=[52, 55, 58]), [(50, 59)], 0.5)
    assert raw == pytest.approx(earliest, abs=1e-12)
    # the earliest row is what counts, not the highest score
    raw = nab_raw_score(one_file(rows=[52, 55], values=[0.6, 0.9]), [(50, 59)], 0.5)
    assert raw == pytest.approx(earliest, abs=1e-12)
    raw = nab_raw_score(one_file(rows=[52, 55], values=[0.6, 0.9]), [(50, 59)], 0.7)
    assert raw == pytest.approx(math.tanh(1.25) / math.tanh(2.5), abs=1e-12)


@pytest.mark.parametrize("profile", PROFILES)
def test_false_positives_cost_by_distance_from_the_preceding_window(profile):
    fp, fn = FP[profile], FN[profile]
    # one row after a 10-row window: fp * sig(1 / 9), a fraction of fp
    raw = nab_raw_score(one_file(rows=[60]), [(50, 59)], 0.5, profile=profile)
    assert raw == pytest.approx(-fn - fp * math.tanh(2.5 / 9), abs=1e-12)
    assert raw + fn > -0.3 * fp
    # 9 rows after: sig(1) = -0.987
    raw = nab_raw_score(one_file(rows=[68]), [(50, 59)], 0.5, profile=profile)
    assert raw == pytest.approx(-fn - fp * math.tanh(2.5), abs=1e-12)
    # three widths (27 rows) or more after: the full fp
    for row in (86, 99):
        raw = nab_raw_score(one_file(rows=[row]), [(50, 59)], 0.5, profile=profile)
        assert raw == pytest.approx(-fn - fp, abs=1e-15)
    # before the first window, or in a file without windows: the full fp
    raw = nab_raw_score(one_file(rows=[20, 30]), [(50, 59)], 0.5, profile=profile)
    assert raw == pytest.approx(-fn - 2 * fp, abs=1e-15)
    assert nab_raw_score(one_file(rows=[20]), [], 0.5, profile=profile) == pytest.approx(-fp)


def test_the_false_positive_scale_is_the_preceding_windows():
    windows = [(20, 29), (50, 53)]                        # 10 rows, then 4 rows
    # 3 rows after (50, 53): 3 / (4 - 1) = 1 (the first window's scale would give 3 / 9)
    raw = nab_raw_score(one_file(rows=[56]), windows, 0.5)
    assert raw == pytest.approx(-2 - 0.11 * math.tanh(2.5), abs=1e-12)
    # 11 rows after (20, 29): 11 / 9
    raw = nab_raw_score(one_file(rows=[40]), windows, 0.5)
    assert raw == pytest.approx(-2 - 0.11 * math.tanh(2.5 * 11 / 9), abs=1e-12)


def test_probationary_detections_are_ignored():
    # 100 rows: floor(0.15 * 100) = 15 probationary rows
    assert nab_raw_score(one_file(rows=range(15)), [(50, 59)], 0.5) == -1.0
    assert nab_raw_score(one_file(rows=[15]), [(50, 59)], 0.5) == pytest.approx(-1.11)
    # capped at 750 rows: floor(0.15 * 10000) = 1500 > 750
    assert nab_raw_score(one_file(10_000, rows=[749]), [(5000, 5099)], 0.5) == -1.0
    assert nab_raw_score(one_file(10_000, rows=[750]), [(5000, 5099)],
                         0.5) == pytest.approx(-1.11)


def test_a_window_reaching_into_the_probationary_period():
    # rows 10-14 of window (10, 29) are probationary; the window keeps its 20-row width
    assert nab_raw_score(one_file(rows=[10]), [(10, 29)], 0.5) == -1.0
    raw = nab_raw_score(one_file(rows=[10, 15]), [(10, 29)], 0.5)
    assert raw == pytest.approx(math.tanh(2.5 * 15 / 20) / math.tanh(2.5), abs=1e-12)


def test_a_detection_is_a_score_at_or_above_the_threshold():
    score = one_file(rows=[50], values=0.7)
    assert nab_raw_score(score, [(50, 59)], 0.7) == 1.0
    assert nab_raw_score(score, [(50, 59)], np.nextafter(0.7, 1)) == -1.0
    # any scale of anomaly score, e.g. -score_samples
    assert nab_raw_score(score - 5.0, [(50, 59)], -4.3) == 1.0


def test_normalisation_null_is_0_and_perfect_is_100():
    windows = {"a": [(50, 59)], "b": [(30, 39), (150, 169)], "c": []}
    n = {"a": 100, "b": 200, "c": 100}
    null = {k: (np.zeros(n[k]), w) for k, w in windows.items()}
    perfect = {k: (one_file(n[k], rows=[w[0] for w in windows[k]]), w)
               for k, w in windows.items()}
    for profile in PROFILES:
        assert nab_score(null, 0.5, profile=profile) == 0.0
        assert nab_score(perfect, 0.5, profile=profile) == 100.0
    # one of three windows found at once, two missed: (-1 + 3) / (3 + 3)
    half = dict(null, a=perfect["a"])
    assert nab_score(half, 0.5) == pytest.approx(100 * 2 / 6)
    assert nab_score(half, 0.5, profile="reward_low_FN_rate") == pytest.approx(100 * 3 / 9)
    # no lower bound: false positives everywhere
    assert nab_score({k: (np.ones(n[k]), w) for k, w in windows.items()}, 0.5) < -100
    # a custom cost matrix
    assert nab_score(half, 0.5, profile={"tp": 2.0, "fn": 1.0, "fp": 0.5}) == pytest.approx(
        100 * (2 - 2 + 3) / (6 + 3))


def test_nab_windows_to_rows():
    stamps = np.array(["2014-04-01 00:00:00", "2014-04-01 00:05:00",
                       "2014-04-01 00:10:00", "2014-04-01 00:15:00"])
    windows = [["2014-04-01 00:00:00.000000", "2014-04-01 00:05:00.000000"],
               ["2014-04-01 00:10:00.000000", "2014-04-01 00:15:00.000000"]]
    np.testing.assert_array_equal(nab_windows_to_rows(stamps, windows), [[0, 1], [2, 3]])
    assert nab_windows_to_rows(stamps, []).shape == (0, 2)
    with pytest.raises(ValueError, match="window 1: timestamp '2014-04-01 00:20:00'"):
        nab_windows_to_rows(stamps, [windows[0], ["2014-04-01 00:10:00", "2014-04-01 00:20:00"]])


# --------------------------------------------------------------------------
# the optimiser


def test_optimiser_prefers_the_higher_threshold_on_a_tie():
    # 0.9 and 0.8 both detect the window at its first row and nothing else
    score = one_file(rows=[50, 55], values=[0.9, 0.8])
    assert nab_optimize_threshold([(score, [(50, 59)])]) == (100.0, 0.9)


def test_optimiser_may_choose_no_detection():
    score = one_file(rows=range(15, 50), values=1.0)         # 35 false positives
    assert nab_optimize_threshold([(score, [(50, 59)])]) == (0.0, 1.1)


def test_optimiser_trades_a_false_positive_against_an_earlier_detection():
    score = one_file(rows=[30, 50, 55], values=[0.7, 0.6, 0.9])
    # 0.9: the window late (row 55); 0.6: at its first row but after a false positive
    late = math.tanh(1.25) / math.tanh(2.5)
    for profile, best in [("standard", 0.6), ("reward_low_FP_rate", 0.9)]:
        score_, threshold = nab_optimize_threshold([(score, [(50, 59)])], profile=profile)
        assert threshold == best
        raw = 1.0 - FP[profile] if best == 0.6 else late
        assert score_ == pytest.approx(100 * (raw + 1) / 2, abs=1e-12)


def reference_raw(score, windows, threshold, tp, fn, fp):
    """NAB's rules row by row (nab/sweeper.py), written independently of the library."""
    n = len(score)
    probation = min(math.floor(0.15 * n), 750)
    raw, prev = 0.0, None
    for first, last in windows:
        width = last - first + 1
        hits = [i for i in range(max(first, probation), last + 1) if score[i] >= threshold]
        raw += tp * sig(-(last - hits[0] + 1) / width) / sig(-1) if hits else -fn
    for i in range(probation, n):
        if score[i] < threshold or any(a <= i <= b for a, b in windows):
            continue
        prev = [w for w in windows if w[1] < i]
        if not prev:
            raw -= fp
        else:
            a, b = prev[-1]
            x = (i - b) / (b - a)
            raw += fp * (-1.0 if x >= 3 else sig(x))
    return raw


def test_optimiser_and_scores_agree_with_a_row_by_row_reference():
    rng = np.random.default_rng(0)
    files = []
    for n, windows in [(120, [(40, 55), (80, 89)]), (90, []), (200, [(20, 49), (150, 199)]),
                       (60, [(5, 20)])]:
        files.append((np.round(rng.random(n), 2), windows))      # many ties
    for profile in PROFILES:
        weights = NAB_PROFILES[profile]
        null = sum(-weights["fn"] * len(w) for _, w in files)
        perfect = sum(weights["tp"] * len(w) for _, w in files)
        best = None
        for t in sorted({1.1, *np.concatenate([s for s, _ in files]).tolist()}, reverse=True):
            raw = sum(reference_raw(s, w, t, **weights) for s, w in files)
            for s, w in files:
                assert nab_raw_score(s, w, t, profile=profile) == pytest.approx(
                    reference_raw(s, w, t, **weights), abs=1e-9)
            assert nab_score(files, t, profile=profile) == pytest.approx(
                100 * (raw - null) / (perfect - null), abs=1e-9)
            if best is None or raw > best[0] + 1e-12:
                best = (raw, t)
        score, threshold = nab_optimize_threshold(files, profile=profile)
        assert threshold == best[1]
        assert score == pytest.approx(100 * (best[0] - null) / (perfect - null), abs=1e-9)


# --------------------------------------------------------------------------
# bad input


@pytest.mark.parametrize("windows, message", [
    ([(50, 100)], r"window 0 \(50, 100\) is out of range: the file has 100 rows"),
    ([(-1, 20)], "out of range"),
    ([(50, 50)], "fewer than 2 rows"),
    ([(50, 59), (55, 70)], "must not overlap"),
    ([(60, 69), (20, 29)], "must be sorted"),
    ([(2, 14)], r"inside the probationary period \(the first 15 of 100 rows\)"),
    ([50, 59], "pairs"),
    ([(50.5, 59)], "integer row positions"),
    ("ab", "pairs"),
])
def test_bad_windows(windows, message):
    with pytest.raises(ValueError, match=message):
        nab_raw_score(np.zeros(100), windows, 0.5)


def test_bad_scores_thresholds_and_profiles():
    with pytest.raises(ValueError, match="NaN"):
        nab_raw_score(one_file(rows=[3], values=np.nan), [(50, 59)], 0.5)
    with pytest.raises(ValueError, match="empty"):
        nab_raw_score([], [], 0.5)
    with pytest.raises(ValueError, match="threshold must be a number"):
        nab_raw_score(np.zeros(100), [(50, 59)], float("nan"))
    with pytest.raises(ValueError, match="profile must be one of"):
        nab_raw_score(np.zeros(100), [(50, 59)], 0.5, profile="low_fp")
    with pytest.raises(ValueError, match="'fp' must be a finite number >= 0"):
        nab_raw_score(np.zeros(100), [(50, 59)], 0.5, profile={"tp": 1, "fn": 1, "fp": -1})


def test_bad_corpora_name_the_file():
    good = (np.zeros(100), [(50, 59)])
    message = r"window 0 \(50, 89\) of file 'b' is out of range: the file has 80 rows"
    with pytest.raises(ValueError, match=message):
        nab_score({"a": good, "b": (np.zeros(80), [(50, 89)])}, 0.5)
    with pytest.raises(ValueError, match="anomaly_score of file 1 contains NaN"):
        nab_optimize_threshold([good, (np.full(100, np.nan), [])])
    with pytest.raises(ValueError, match="pair"):
        nab_score([good, np.zeros(100)], 0.5)
    with pytest.raises(ValueError, match="files is empty"):
        nab_optimize_threshold([])
    with pytest.raises(ValueError, match="no file has an anomaly window"):
        nab_score([(np.zeros(100), [])], 0.5)


# --------------------------------------------------------------------------
# NAB's scoreboard

# NAB's published results: numenta/NAB, commit ea702d75cc2258d9d7dd35ca8e5e2539d71f3140,
# results/final_results.json (normalised scores) and config/thresholds.json (the
# thresholds NAB's optimiser chose); NAB is under the MIT licence.
PUBLISHED = {
    "ARTime": {"standard": 74.85377223215792, "reward_low_FP_rate": 65.15400017974811,
               "reward_low_FN_rate": 80.36228493638114},
    "numenta": {"standard": 70.10105611943965, "reward_low_FP_rate": 63.11684160219828,
                "reward_low_FN_rate": 74.3202443095115},
    "randomCutForest": {"standard": 51.717054557073276,
                        "reward_low_FP_rate": 38.360772142413786,
                        "reward_low_FN_rate": 59.74876476310345},
    "windowedGaussian": {"standard": 39.649523496077585,
                         "reward_low_FP_rate": 20.86798582474138,
                         "reward_low_FN_rate": 47.4100271583046},
}
PUBLISHED_THRESHOLDS = {
    "ARTime": {"standard": 0.317486, "reward_low_FP_rate": 0.317585,
               "reward_low_FN_rate": 0.317486},
    "numenta": {"standard": 0.5421876907348634, "reward_low_FP_rate": 0.5751955032348636,
                "reward_low_FN_rate": 0.5421876907348634},
    "randomCutForest": {"standard": 0.4539184570312501,
                        "reward_low_FP_rate": 0.5751955032348636,
                        "reward_low_FN_rate": 0.44804840087890635},
    "windowedGaussian": {"standard": 1.0, "reward_low_FP_rate": 1.0,
                         "reward_low_FN_rate": 1.0},
}
# numenta's reward_low_FP_rate threshold in thresholds.json came from an older
# optimiser: NAB's current code (nab/optimizer.py and nab/sweeper.py at the commit
# above), rerun on the same results files, finds a better threshold and 63.21.
OPTIMISED_ELSEWHERE = {("numenta", "reward_low_FP_rate"): 63.21}

# NAB's label windows (SKVAELSTM_NAB_HOME: a NAB checkout, as for skvaelstm.datasets)
# and NAB's results files (SKVAELSTM_NAB_RESULTS_HOME: NAB's results/ folder, or a
# folder holding it, with <detector>/<group>/<detector>_<file>.csv or .csv.gz).
NAB_HOME = Path(os.environ.get("SKVAELSTM_NAB_HOME", "no-nab-home-set"))
NAB_RESULTS_HOME = Path(os.environ.get("SKVAELSTM_NAB_RESULTS_HOME", "no-nab-results-set"))
if (NAB_RESULTS_HOME / "results").is_dir():                  # a folder holding results/
    NAB_RESULTS_HOME = NAB_RESULTS_HOME / "results"
WINDOWS_FILE = NAB_HOME / "labels" / "combined_windows.json"
needs_nab_results = pytest.mark.skipif(
    not (WINDOWS_FILE.is_file() and (NAB_RESULTS_HOME / "numenta").is_dir()),
    reason="set SKVAELSTM_NAB_HOME to a NAB checkout and SKVAELSTM_NAB_RESULTS_HOME to "
           "NAB's results/ folder (github.com/numenta/NAB) to run it",
)

_CORPORA = {}


def nab_corpus(detector):
    """{file: (anomaly_score, windows as rows)} of a detector's NAB results."""
    import pandas as pd

    if detector not in _CORPORA:
        corpus = {}
        for key, windows in json.loads(WINDOWS_FILE.read_text()).items():
            group, name = key.split("/")
            path = NAB_RESULTS_HOME / detector / group / f"{detector}_{name}"
            frame = pd.read_csv(path if path.is_file() else Path(f"{path}.gz"))
            rows = nab_windows_to_rows(frame["timestamp"], windows)
            in_window = np.zeros(len(frame), dtype=bool)
            for first, last in rows:
                in_window[first:last + 1] = True
            # NAB's label column marks the same rows
            np.testing.assert_array_equal(in_window, frame["label"].to_numpy() == 1)
            corpus[key] = (frame["anomaly_score"].to_numpy(), rows)
        assert sum(len(w) for _, w in corpus.values()) == 116
        _CORPORA[detector] = corpus
    return _CORPORA[detector]


@needs_nab_results
@pytest.mark.parametrize("detector", list(PUBLISHED))
@pytest.mark.parametrize("profile", PROFILES)
def test_nab_scoreboard_at_the_published_thresholds(detector, profile):
    score = nab_score(nab_corpus(detector), PUBLISHED_THRESHOLDS[detector][profile],
                      profile=profile)
    assert score == pytest.approx(PUBLISHED[detector][profile], abs=1e-6)


@needs_nab_results
@pytest.mark.parametrize("detector", list(PUBLISHED))
@pytest.mark.parametrize("profile", PROFILES)
def test_nab_scoreboard_with_the_optimiser(detector, profile):
    corpus = nab_corpus(detector)
    start = time.perf_counter()
    score, threshold = nab_optimize_threshold(corpus, profile=profile)
    assert time.perf_counter() - start < 30.0     # ~370k rows: under a second on one core
    if (detector, profile) in OPTIMISED_ELSEWHERE:
        assert score == pytest.approx(OPTIMISED_ELSEWHERE[detector, profile], abs=0.01)
    else:
        assert score == pytest.approx(PUBLISHED[detector][profile], abs=1e-6)
    assert score >= nab_score(corpus, PUBLISHED_THRESHOLDS[detector][profile],
                              profile=profile) - 1e-9
    assert nab_score(corpus, threshold, profile=profile) == pytest.approx(score, abs=1e-9)
