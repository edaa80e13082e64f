"""Tests of skvaelstm.metrics: TSB-AD reference values, label conventions, scorers."""

import math
import warnings

import numpy as np
import pytest
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, f1_score, roc_auc_score
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit

from skvaelstm import metrics
from skvaelstm.metrics import (
    anomaly_f1,
    anomaly_scorers,
    average_precision_anomaly,
    best_f1_oracle,
    make_vus_pr_scorer,
    make_vus_roc_scorer,
    point_adjusted_f1,
    roc_auc_anomaly,
    vus_pr,
    vus_roc,
)

_CASE_NAMES = [
    "good_detector",
    "random_scores",
    "near_miss_before",
    "three_ranges_partial",
    "ties_binary_scores",
    "anomaly_at_start",
]
_METRICS = {
    "AUC-PR": average_precision_anomaly,
    "AUC-ROC": roc_auc_anomaly,
    "VUS-PR": vus_pr,
    "VUS-ROC": vus_roc,
    "Standard-F1": best_f1_oracle,
    "PA-F1": point_adjusted_f1,
}
_WINDOWED = {"VUS-PR", "VUS-ROC"}


def _case(name):
    """Return (0/1 label, anomaly score, sliding_window, expected) of a case."""
    case = _CASES[name]
    label = np.zeros(case["n"], dtype=int)
    for start, stop in case["anomalies"]:
        label[start:stop] = 1
    if "score" in case:
        score = np.asarray(case["score"], dtype=float)
    else:
        score = np.zeros(case["n"])
        for start, stop in case["score_one_ranges"]:
            score[start:stop] = 1.0
    return label, score, case["sliding_window"], case["expected"]


def _call(name, y, score, sliding_window):
    func = _METRICS[name]
    if name in _WINDOWED:
        return func(y, score, sliding_window=sliding_window)
    return func(y, score)


def test_reference_cases_are_complete():
    assert sorted(_CASES) == sorted(_CASE_NAMES)
    for name in _CASE_NAMES:
        label, score, _, _ = _case(name)
        assert label.shape == score.shape == (600,)


@pytest.mark.parametrize("metric", sorted(_METRICS))
@pytest.mark.parametrize("name", _CASE_NAMES)
def test_matches_tsb_ad_reference(name, metric):
    label, anomaly_score, window, expected = _case(name)
    # TSB-AD takes an anomaly score and 0/1 labels; ours takes a normality
    # score (sklearn convention) and sklearn's +1/-1 labels.
    y = np.where(label == 1, -1, 1)
    got = _call(metric, y, -anomaly_score, window)
    assert isinstance(got, float)
    assert got == pytest.approx(expected[metric], abs=1e-6)


@pytest.mark.parametrize("metric", sorted(_METRICS))
def test_label_conventions_give_identical_results(metric):
    label, anomaly_score, window, _ = _case("three_ranges_partial")
    score = -anomaly_score
    results = {
        _call(metric, np.where(label == 1, -1, 1), score, window),
        _call(metric, label, score, window),
        _call(metric, label.astype(bool), score, window),
        _call(metric, label.astype(float).tolist(), score.tolist(), window),
    }
    assert len(results) == 1


def test_scores_are_normality_scores():
    label, anomaly_score, window, expected = _case("good_detector")
    # passing the anomaly score itself (wrong sign) ranks anomalies last
    assert roc_auc_anomaly(label, anomaly_score) == pytest.approx(1 - expected["AUC-ROC"])
    assert average_precision_anomaly(label, anomaly_score) < 0.1
    assert vus_pr(label, anomaly_score, sliding_window=window) < 0.2


def test_vus_invariant_to_monotone_transform():
    label, anomaly_score, window, _ = _case("near_miss_before")
    score = -anomaly_score
    for transformed in (3.0 * score + 7.0, np.exp(score), np.arctan(score)):
        assert vus_pr(label, transformed, sliding_window=window) == pytest.approx(
            vus_pr(label, score, sliding_window=window), abs=1e-12
        )


def test_vus_without_buffer_and_with_huge_buffer():
    label, anomaly_score, _, _ = _case("three_ranges_partial")
    score = -anomaly_score
    for window in (0, 1, 2, 1000, np.int64(7)):
        for func in (vus_pr, vus_roc):
            value = func(label, score, sliding_window=window)
            assert 0.0 <= value <= 1.0


# --------------------------------------------------------------------------
# Independent brute-force statement of TSB-AD's range-AUC volume (opt
# version, 250 score quantiles), used to cover configurations the six
# reference cases do not: neighbouring ranges whose buffers overlap and merge,
# ranges touching both ends, heavy ties, series shorter than 250 points.
# --------------------------------------------------------------------------
def _runs(mask):
    edges = np.flatnonzero(np.diff(np.concatenate(([0], mask.astype(int), [0]))))
    return list(zip(edges[::2], edges[1::2] - 1))


def _vus_brute_force(is_anomaly, anomaly_score, max_window, n_thresholds=250):
    n = len(anomaly_score)
    runs = _runs(is_anomaly)
    n_anomalous = is_anomaly.sum()
    positions = np.linspace(0, n - 1, n_thresholds).astype(int)
    thresholds = np.sort(anomaly_score)[::-1][positions]
    aucs, aps = [], []
    for w in range(max_window + 1):
        half = w // 2
        soft = is_anomaly.astype(float)
        for start, end in runs:
            for d in range(1, half + 1):  # buffer label sqrt(1 - d / w)
                if end + d < n:
                    soft[end + d] += math.sqrt(1 - d / w)
                if start - d >= 0:
                    soft[start - d] += math.sqrt(1 - d / w)
        soft = np.minimum(soft, 1.0)
        groups = []  # ranges widened by half, merged when they touch
        for start, end in runs:
            lo, hi = max(start - half, 0), min(end + half, n - 1)
            if groups and lo <= groups[-1][1]:
                groups[-1][1] = hi
            else:
                groups.append([lo, hi])
        tpr, fpr, precision = [0.0], [0.0], []
        for threshold in thresholds:
            pred = anomaly_score >= threshold
            tp = soft[pred].sum()
            positives = n_anomalous + soft[pred & ~is_anomaly].sum() / 2
            exist = sum(pred[lo:hi + 1].any() for lo, hi in groups)
            tpr.append(min(tp / positives, 1.0) * exist / len(groups))
            fpr.append((pred.sum() - tp) / (n - positives))
            precision.append(tp / pred.sum())
        tpr.append(1.0)
        fpr.append(1.0)
        steps = range(1, len(tpr))
        aucs.append(sum((fpr[k] - fpr[k - 1]) * (tpr[k] + tpr[k - 1]) / 2 for k in steps))
        steps = range(1, n_thresholds + 1)
        aps.append(sum((tpr[k] - tpr[k - 1]) * precision[k - 1] for k in steps))
    return np.mean(aucs), np.mean(aps)


@pytest.mark.parametrize("seed", range(8))
def test_vus_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(30, 90))
    is_anomaly = np.zeros(n, dtype=bool)
    for _ in range(int(rng.integers(1, 5))):
        start = int(rng.integers(0, n))
        is_anomaly[start:start + int(rng.integers(1, 8))] = True
    is_anomaly[[0, -1]] = seed % 2 == 0  # ranges at both ends for even seeds
    is_anomaly[n // 2] = False
    if seed % 3 == 0:
        anomaly_score = rng.integers(0, 4, n).astype(float)  # many ties
    else:
        anomaly_score = rng.normal(size=n) + 1.5 * is_anomaly
    window = int(rng.integers(0, 14))
    expected_roc, expected_pr = _vus_brute_force(is_anomaly, anomaly_score, window)
    y = np.where(is_anomaly, -1, 1)
    got_roc = vus_roc(y, -anomaly_score, sliding_window=window)
    got_pr = vus_pr(y, -anomaly_score, sliding_window=window)
    assert got_roc == pytest.approx(expected_roc, abs=1e-9)
    assert got_pr == pytest.approx(expected_pr, abs=1e-9)


def test_merged_buffers_regression():
    # two close ranges whose buffers overlap and merge for w >= 6;
    # value computed with a line-by-line port of TSB-AD's RangeAUC_volume_opt
    rng = np.random.default_rng(42)
    is_anomaly = np.zeros(120, dtype=bool)
    is_anomaly[[40, 41, 42, 47, 48, 90]] = True
    anomaly_score = rng.normal(size=120) + 0.8 * is_anomaly
    y = is_anomaly.astype(int)
    got_pr = vus_pr(y, -anomaly_score, sliding_window=16)
    got_roc = vus_roc(y, -anomaly_score, sliding_window=16)
    assert got_pr == pytest.approx(0.45020732660352447, abs=1e-12)
    assert got_roc == pytest.approx(0.9488816572817761, abs=1e-12)


# --------------------------------------------------------------------------
# thresholded metrics
# --------------------------------------------------------------------------
def test_point_adjusted_f1_is_inflated_by_random_scores():
    rng = np.random.default_rng(0)
    y = np.ones(2000, dtype=int)
    y[1000:1200] = -1  # one long anomaly
    score = rng.uniform(size=2000)  # carries no information at all
    pa = point_adjusted_f1(y, score)
    best = best_f1_oracle(y, score)
    assert pa > 0.85
    assert best < 0.25
    assert pa > best + 0.6
    assert vus_pr(y, score, sliding_window=50) < 0.2


def test_point_adjusted_f1_adjusts_whole_range():
    y = np.array([1, 1, -1, -1, -1, -1, 1, 1, -1, 1])
    score = np.array([0.9, 0.8, 0.5, -2.0, 0.5, 0.5, 0.6, 0.7, 0.75, 0.9])
    # best threshold flags only t=3, which is enough for the whole first range:
    # TP = 4 (adjusted), FP = 0, FN = 1 (catching t=8 costs two false alarms)
    assert point_adjusted_f1(y, score) == pytest.approx(8 / 9)
    # a range starting at t=0 is adjusted like any other (TSB-AD's backward
    # loop never reaches index 0 and gives 6/7 here)
    assert point_adjusted_f1([-1, -1, -1, 1, 1], [0.0, -1.0, 0.0, -0.5, 1.0]) == 1.0


def test_best_f1_oracle_matches_sklearn_sweep():
    label, anomaly_score, _, _ = _case("near_miss_before")
    # exhaustive sweep: predict "anomaly" for anomaly_score >= t, for every t
    pred = anomaly_score[None, :] >= np.unique(anomaly_score)[:, None]
    tp = (pred & (label == 1)).sum(axis=1)
    best = np.max(2 * tp / (pred.sum(axis=1) + label.sum()))
    assert best_f1_oracle(label, -anomaly_score) == pytest.approx(best, abs=1e-4)


def test_anomaly_f1():
    y_pm = np.array([1, 1, -1, -1, 1, -1, 1, 1])
    pred = np.array([1, -1, -1, 1, 1, -1, 1, -1])
    expected = f1_score(y_pm, pred, pos_label=-1)
    assert anomaly_f1(y_pm, pred) == pytest.approx(expected)
    assert anomaly_f1((y_pm == -1).astype(int), pred) == pytest.approx(expected)
    assert anomaly_f1(y_pm == -1, pred == -1) == pytest.approx(expected)
    assert anomaly_f1(y_pm, (pred == -1).astype(int)) == pytest.approx(expected)
    # the normal-class F1 that sklearn's default computes is different
    assert f1_score(y_pm, pred) != pytest.approx(expected)
    # all-inlier predict output: nothing detected
    assert anomaly_f1(y_pm, np.ones(8, dtype=int)) == 0.0
    assert anomaly_f1(y_pm, -np.ones(8, dtype=int)) == pytest.approx(2 * 3 / (2 * 3 + 5))


# --------------------------------------------------------------------------
# scorers inside a real GridSearchCV
# --------------------------------------------------------------------------
def _synthetic_series():
    rng = np.random.default_rng(0)
    n = 600
    t = np.arange(n)
    x = np.sin(2 * np.pi * t / 25) + 0.1 * rng.normal(size=n)
    is_anomaly = np.zeros(n, dtype=bool)
    for start, stop in ((60, 70), (200, 212), (340, 352), (500, 515)):
        is_anomaly[start:stop] = True
    x[is_anomaly] += rng.uniform(0.3, 1.0, size=is_anomaly.sum())  # subtle anomalies
    X = np.column_stack([x, np.diff(x, prepend=x[0])])
    return X, is_anomaly


def _grid_search(X, y, scoring, refit):
    search = GridSearchCV(
        IsolationForest(random_state=0),
        {"n_estimators": [20, 40]},
        scoring=scoring,
        refit=refit,
        cv=TimeSeriesSplit(n_splits=3),
        error_score="raise",
    )
    return search.fit(X, y)


def test_scorers_in_grid_search_score_the_anomaly_class():
    X, is_anomaly = _synthetic_series()
    y_pm = np.where(is_anomaly, -1, 1)
    window = 10
    scoring = dict(anomaly_scorers(sliding_window=window))
    scoring["sk_average_precision"] = "average_precision"
    scoring["sk_roc_auc"] = "roc_auc"
    search = _grid_search(X, y_pm, scoring, refit="vus_pr")
    results = search.cv_results_

    direct = {
        "roc_auc_anomaly": roc_auc_anomaly,
        "average_precision_anomaly": average_precision_anomaly,
        "vus_pr": lambda y, s: vus_pr(y, s, sliding_window=window),
        "vus_roc": lambda y, s: vus_roc(y, s, sliding_window=window),
    }
    cv = TimeSeriesSplit(n_splits=3)
    for i, params in enumerate(results["params"]):
        for split, (train, test) in enumerate(cv.split(X)):
            model = IsolationForest(random_state=0, **params).fit(X[train])
            score = model.decision_function(X[test])
            y_test = y_pm[test]
            for key, func in direct.items():
                expected = func(y_test, score)
                assert results[f"split{split}_test_{key}"][i] == pytest.approx(expected, abs=1e-12)
            assert results[f"split{split}_test_f1_anomaly"][i] == pytest.approx(
                anomaly_f1(y_test, model.predict(X[test])), abs=1e-12
            )
            # the trap: built-in "average_precision" scores the NORMAL class
            sk_ap = results[f"split{split}_test_sk_average_precision"][i]
            assert sk_ap == pytest.approx(average_precision_score(y_test == 1, score))
            assert abs(sk_ap - results[f"split{split}_test_average_precision_anomaly"][i]) > 0.05
            # "roc_auc" is symmetric and fine with +1/-1 labels
            assert results[f"split{split}_test_sk_roc_auc"][i] == pytest.approx(
                results[f"split{split}_test_roc_auc_anomaly"][i]
            )
    # ... and looks excellent while the anomaly-class AP is mediocre
    gap = results["mean_test_sk_average_precision"] - results["mean_test_average_precision_anomaly"]
    assert np.all(results["mean_test_sk_average_precision"] > 0.95)
    assert np.all(gap > 0.2)
    # refit="vus_pr": the candidate with the best mean VUS-PR (the candidates differ)
    assert results["mean_test_vus_pr"][0] != results["mean_test_vus_pr"][1]
    assert search.best_params_ == results["params"][int(np.argmax(results["mean_test_vus_pr"]))]


def test_scorers_identical_for_both_label_conventions():
    X, is_anomaly = _synthetic_series()
    scoring = dict(anomaly_scorers(sliding_window=10))
    scoring["sk_roc_auc"] = "roc_auc"
    pm = _grid_search(X, np.where(is_anomaly, -1, 1), scoring, refit=False).cv_results_
    kpi = _grid_search(X, is_anomaly.astype(int), scoring, refit=False).cv_results_
    for key in anomaly_scorers(sliding_window=10):
        np.testing.assert_array_equal(pm[f"mean_test_{key}"], kpi[f"mean_test_{key}"])
    # the trap: "roc_auc" with 0/1 labels (1 = anomaly) is inverted
    np.testing.assert_allclose(kpi["mean_test_sk_roc_auc"], 1 - pm["mean_test_roc_auc_anomaly"])


def test_scorer_factories():
    assert set(anomaly_scorers()) == {"roc_auc_anomaly", "average_precision_anomaly", "f1_anomaly"}
    X, is_anomaly = _synthetic_series()
    model = IsolationForest(random_state=0, n_estimators=20).fit(X)
    score = model.decision_function(X)
    assert make_vus_pr_scorer(12)(model, X, is_anomaly) == pytest.approx(
        vus_pr(is_anomaly, score, sliding_window=12)
    )
    assert make_vus_roc_scorer(12)(model, X, is_anomaly) == pytest.approx(
        vus_roc(is_anomaly, score, sliding_window=12)
    )
    assert metrics.roc_auc_anomaly_scorer(model, X, is_anomaly) == pytest.approx(
        roc_auc_score(is_anomaly, -score)
    )
    with pytest.raises(ValueError, match="sliding_window"):
        make_vus_pr_scorer(-1)


# --------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------
_Y = np.array([1, 1, -1, 1, -1, 1])
_S = np.array([0.5, 0.4, -0.3, 0.2, -0.1, 0.3])


@pytest.mark.parametrize(
    "y, score, match",
    [
        (_Y, np.array([0.5, np.nan, -0.3, 0.2, -0.1, 0.3]), "NaN or infinity"),
        (_Y, np.array([0.5, np.inf, -0.3, 0.2, -0.1, 0.3]), "NaN or infinity"),
        (_Y, _S[:-1], "different lengths"),
        (np.array([1, 1, 2, 1, 2, 1]), _S, r"unexpected values \[2.0\]"),
        (np.array(["a", "a", "b", "a", "b", "a"]), _S, "labels"),
        (np.array([1, 0, -1, 1, -1, 1]), _S, "mixes label conventions"),
        (np.zeros(6, dtype=int), _S, "no anomaly"),
        (np.ones(6, dtype=int), _S, "ambiguous"),
        (-np.ones(6, dtype=int), _S, "only anomalies"),
        (np.zeros(6, dtype=bool), _S, "no anomaly"),
        (np.array([1.0, 1.0, np.nan, 1.0, -1.0, 1.0]), _S, "unexpected values"),
        (np.array([], dtype=int), np.array([]), "empty"),
        (_Y, np.ones((6, 2)), "1d array"),
        (_Y, np.array(["x"] * 6), "numeric"),
    ],
)
@pytest.mark.parametrize("metric", sorted(_METRICS))
def test_bad_input_raises(metric, y, score, match):
    with pytest.raises(ValueError, match=match):
        _call(metric, y, score, 5)


@pytest.mark.parametrize("window", [-1, 2.5, "10", None, True, np.float64(3.0)])
@pytest.mark.parametrize("func", [vus_pr, vus_roc])
def test_bad_sliding_window_raises(func, window):
    with pytest.raises(ValueError, match="sliding_window"):
        func(_Y, _S, sliding_window=window)


def test_sliding_window_is_keyword_only():
    with pytest.raises(TypeError):
        vus_pr(_Y, _S, 5)


@pytest.mark.parametrize(
    "y_true, y_pred, match",
    [
        (np.ones(6, dtype=int), -np.ones(6, dtype=int), "ambiguous"),
        (np.zeros(6, dtype=int), -np.ones(6, dtype=int), "no anomaly"),
        (_Y, np.array([1, -1, 3, 1, 1, 1]), "y_pred"),
        (_Y, np.array([1, -1, 1]), "different lengths"),
    ],
)
def test_anomaly_f1_bad_input(y_true, y_pred, match):
    with pytest.raises(ValueError, match=match):
        anomaly_f1(y_true, y_pred)


def test_no_warnings_on_valid_input():
    label, anomaly_score, window, _ = _case("ties_binary_scores")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for metric in _METRICS:
            _call(metric, label, -anomaly_score, window)


# --------------------------------------------------------------------------
# Reference cases: computed with TSB-AD 1.5 and copied here (the values
# TSB-AD 1.5 ``get_metrics(score, label, slidingWindow=sliding_window)``
# returns; ``score`` there is the ANOMALY score, higher = more anomalous).
# ``anomalies`` lists the labelled ranges [start, stop) of the 0/1 label; the
# binary ``ties_binary_scores`` score is 1.0 on ``score_one_ranges``, else 0.0.
# --------------------------------------------------------------------------
_CASES = {
    "good_detector": {
        "n": 600,
        "sliding_window": 20,
        "anomalies": [(300, 330)],
        "expected": {
            "AUC-PR": 0.6342157899096176,
            "AUC-ROC": 0.7983040935672515,
            "VUS-PR": 0.6285151977431729,
            "VUS-ROC": 0.839331856455552,
            "Standard-F1": 0.7058775086837639,
            "PA-F1": 1.0,
        },
        "score": [
            -.573957, .402732, .268773, 1.612836, -.843455, -1.629675, -.40237, .104418, -.008957,
            -.424907, -.664351, 1.919245, .149071, -1.01917, -.715601, .016313, 1.722745,
            -1.324273, .773439, .654039, -.8572, .200197, -.411929, -.030857, .335253, 1.493379,
            -.942123, 1.818789, -.32926, .153189, -1.718651, -.845648, 1.168051, -.454613, .299392,
            1.732416, .517146, -.834443, -.008968, -.624954, .55723, .789751, .143499, .713623,
            -1.861072, -1.555985, -1.020763, -.646373, 1.875502, .303074, -1.272668, -.544791,
            -1.057287, -2.213926, 1.118071, -.144546, -.472977, -.610689, -.465011, .193498,
            .178801, -.766811, -.452933, 1.646257, .130133, -.175204, -.486043, -2.47253, -.372881,
            .571087, -.84941, 2.407759, -.542304, 1.462048, -.689453, .329971, .248058, 1.04534,
            .387237, -.1843, .440907, -2.056156, -.82162, .835477, 1.73642, -1.032819, .858282,
            1.341752, -.716042, -1.139811, -.440152, -.691563, .972594, .595801, -1.274099,
            -.793572, 1.073337, 1.64584, -2.055935, .057255, -.779769, .709941, -.345833, .81927,
            -.735932, .154068, 1.182066, .076441, -.347445, .13418, -.519999, -.598131, .486532,
            -.516483, .162112, -.747171, 2.368342, -.449218, 1.005594, -.255554, .447123,
            -1.310477, -.258615, -.472225, -.822324, 1.552786, .769985, -2.047366, -.999212,
            -1.934288, .873893, -.101823, -.215528, .122795, -.179519, -.817634, -.508352, .364383,
            -1.105947, -.738338, -.277238, -.53376, -1.208767, -.049127, -.154423, -.904913,
            -.175193, -2.813734, -1.557275, .134562, -1.031529, 1.348428, 1.084521, -.505899,
            -.409821, 1.451958, -1.040741, .481125, -1.027044, -.230491, -2.221903, .241929,
            .207765, .42034, .268349, 2.06985, .241174, .720319, 1.513275, .484139, .218221,
            -.66231, -.257266, -1.185576, -2.428533, .489289, 2.16538, 1.130013, .124119,
            -1.338783, -.762089, -.003843, -1.529117, -.051927, .689367, -1.416168, 1.412817,
            .042533, -1.800733, .041597, .195959, -.153807, -.93705, -2.601809, -2.156019,
            -1.203089, -.397563, -1.47923, -.022668, 1.382576, 1.644843, -.033539, -1.875563,
            1.562481, .532699, -.437226, -.191689, -.462277, 2.03885, -.669879, .153429, .184996,
            1.899172, .828016, -.187825, 1.073065, -1.048263, -1.756175, .684746, .041078, .917434,
            -.677255, 1.753816, -1.258616, 1.307096, -.189306, -1.165357, -.791158, .925463,
            -.441445, .003834, .175433, -.171878, .80399, .385453, -1.916082, -.979688, -.876404,
            -1.156683, .537025, .065599, -.581414, -.783787, -1.162829, .209338, 1.082483,
            -.600612, -1.649231, 1.441434, .84952, -1.051752, 1.321246, -.213189, .38376, -.48566,
            -1.631919, 1.467333, -.500296, 1.126522, -.468354, -.587934, .21528, .101327, .157018,
            -.514629, -1.728493, .428414, -1.544971, .482686, 1.507014, -.813999, .105047, .320296,
            -.700083, 2.200967, -.391902, -1.038934, -.229502, -.367751, .263231, -.879901,
            1.122462, .507048, -.603208, 1.296216, 1.001736, -1.071925, .06127, -.243439, -.900865,
            -.65527, -1.167189, -.008921, -1.484224, .083638, .071387, -1.133224, .652943,
            -.516665, .131272, .342205, .0417, -.144075, .614011, -1.80235, 2.486168, 3.218841,
            4.270264, 2.456021, 1.69236, 2.46767, 2.674126, 5.564774, 3.79749, 4.157015, 3.012789,
            4.142592, 4.406995, 4.476125, 2.630197, 4.193648, 3.665874, 2.389624, 5.870215,
            1.546512, -.299299, -1.074806, 1.265206, -1.309832, -1.290119, -.549509, -.202496,
            .04195, -.723492, -.414405, -.200699, -.028532, -1.07757, .335732, -.24847, 1.315849,
            -.780635, 2.793886, -.838356, .759362, -2.289033, .543434, .15071, 1.563779, -1.102339,
            .901262, -1.643245, -.752715, -1.341311, .658193, 1.498269, .982587, -.334255,
            1.083329, -1.166064, .991759, .430902, 2.177239, -.513892, .037386, -.588479, -.056637,
            1.769443, -.255786, -.613084, -.717178, -.303541, -1.04384, -1.563545, 1.046428,
            -1.243915, .141067, 1.86472, -.387785, .362718, -.467901, -.258801, .447703, -.249855,
            -2.332004, .143598, 1.015759, -.663178, .841461, .972878, .492249, .951878, -1.760336,
            -1.523224, .535497, .770287, 1.017328, .268155, .871898, .595741, -1.248806, -1.310035,
            .892721, .268058, -1.467576, .238693, -.278087, .91693, 1.895715, -.1845, .308273,
            -.770472, .813634, -.288727, 1.513546, 1.971914, 1.284815, .817851, -1.087863,
            -1.425759, .82019, .476933, 1.04165, -.09957, .084075, 1.513523, -1.186941, -.703908,
            .347951, .320493, .121251, .096407, -1.386646, 1.047938, .443777, -.700277, .266466,
            2.371444, 1.172907, -1.428215, -1.01618, .659493, -1.53687, -.358474, -.327779,
            .207545, -2.184215, -.019037, -.828616, .336647, -.299143, .543965, .171867, .734394,
            -.084453, -.612452, .396927, .020367, .643612, -.869143, -.590294, -.997725, -.004148,
            1.291505, -1.315709, .285079, -.817491, -.170062, .513918, .945115, .998906, .345806,
            .720185, -.470644, .697496, 1.014766, -.232139, -.159923, .859675, .202289, 1.159005,
            -2.000472, -1.366338, -1.208198, 1.220966, 2.638459, 2.052825, .434466, -1.713301,
            -.913451, .624872, .645534, .654766, -.577441, 1.113849, -2.02048, .534894, -.428482,
            -.60707, 1.556564, .147634, .269946, -.175565, 1.121214, 1.187672, .761986, -1.049547,
            .271347, -.237939, -.425424, -.896285, 1.359251, -.465376, .335673, .429721, .062454,
            -.288041, -.432927, .195706, .435039, -.209509, -.781994, -.234353, -.814992, .801281,
            -.137239, -.724532, -.582161, 2.149619, .095164, 1.17823, -1.446696, .903868, -.977377,
            -.100024, .64044, .926811, .947796, -.321603, -.749336, -1.141439, .177962, .623987,
            -.964416, -1.15406, .321294, 1.174339, 1.275637, .236475, -2.662051, -1.301705,
            1.71461, 1.842663, -.225922, -1.099047, 1.089952, .14662, -1.960545, 1.618287, .450208,
            -.137396, .300561, 1.336012, -.801132, -1.500844, .508004, -.377399, .745765, -.095712,
            -1.300149, .60608, .810453, 1.402384, .921832, 1.831061, -.63478, .505497, .52283,
            .19388, -.221268, -.542662, 1.364988, -1.13245, -.363863, -2.294289, -.064484,
            -.504217, -.453271, -.249427, -1.153565, .096757, .862853, -1.283794, 1.253879,
            -.23455, 1.244552, .780933, -1.283672, -.492164, -1.23538,
        ],
    },
    "random_scores": {
        "n": 600,
        "sliding_window": 20,
        "anomalies": [(300, 330)],
        "expected": {
            "AUC-PR": 0.04809545176622473,
            "AUC-ROC": 0.45760233918128657,
            "VUS-PR": 0.058374941324297124,
            "VUS-ROC": 0.5325985278150653,
            "Standard-F1": 0.09599908608870043,
            "PA-F1": 0.7894736842105263,
        },
        "score": [
            .75476, .291729, .369431, -1.366206, -1.997209, -.740617, -1.027378, -1.195188,
            .381218, -.753572, -1.083134, .155693, -.935509, -.223056, -.732668, -1.022693,
            -.49121, -.859588, -.105031, -.8132, 1.977613, -1.339445, 1.031741, .661394, 1.429916,
            -.162656, -.610724, -.137435, -1.239255, .149426, -1.577109, .725015, -.923487,
            -1.847891, -.12762, .547027, -1.589442, -.462973, -1.700627, -1.485525, 1.030096,
            -.665819, 1.177283, -2.380044, -.155834, .028357, -.653765, -1.032563, .665768,
            .793154, -.110774, -.361196, .004422, -.521178, .229469, -.083375, -.765554, -.713417,
            -.797688, .25448, .675508, -1.175409, -2.020937, -1.04445, -.620903, .858523, -.635523,
            -1.620488, -.334731, -1.286056, 1.536763, -.362471, -1.336076, 2.64882, .950582,
            -.023884, 1.480859, .00281, .317731, -.081022, -.93091, .744033, -.166369, .487476,
            .877232, .573686, -.587462, .952593, 1.536114, -1.034282, .122671, -.800845, .338992,
            .65104, -.20118, 1.70469, -.781037, -.438677, .837564, -.76636, -.467343, -.854513,
            2.134846, -1.02616, .492451, 2.432242, .871535, .486674, 1.043536, -.518204, 2.534139,
            -1.034912, .225845, -.147147, -.277637, .235532, 1.187815, -1.674973, -.707518,
            .355551, -1.601798, 1.064193, -1.116883, -.644922, 2.030788, .634812, -1.114728,
            .252457, 2.045823, -.790033, .100617, 1.07046, -.029075, -.800921, -2.007491, .34338,
            .017953, -.036194, 1.366656, -.675076, 1.835841, .1231, -.000955, -1.930965, .958832,
            1.426211, 1.947686, .024476, .831553, -1.519123, .211965, .241599, -.600545, -1.02477,
            .645258, -.147618, .775246, 1.473636, 1.115877, .467192, -.294535, .185876, .208568,
            .097466, .303879, -.228076, -1.155411, .916421, 2.231086, .026352, .034116, 1.064455,
            .954204, -.557973, -.354347, -.825556, -1.216046, 1.68307, -.411095, .230466, -.492326,
            -.013123, -.296952, .612343, -.752515, -.932753, -.30548, 1.784874, 1.914851, -.327506,
            -1.354262, -.496782, .165126, .640789, 1.661434, .015817, -.368127, -1.101208,
            -1.853884, -.013214, 1.630422, .090491, 1.313672, .049285, 2.595314, .012345, .778557,
            -1.035761, .378611, .115588, -1.637271, .715208, -.596229, 2.747703, .715981, -.627201,
            1.31151, .182443, -.458858, -.957009, 1.900438, 1.186498, .915288, -1.217651, .879885,
            -.270277, -.3935, -1.042876, -.553358, 1.137595, -2.958519, -1.102905, -.627888,
            .119891, .557406, .441838, .748255, -.217022, .529004, .462754, -.040629, -.223485,
            2.628917, .882204, -.23806, -.200358, -.508783, -1.165957, 1.241327, -1.128961,
            .715881, -.042311, -.015328, 1.211417, -.104808, -1.569334, -.967074, -.612435,
            1.430449, 1.100734, 1.001971, 1.208917, .893411, -.343122, .637784, .49054, .187185,
            .076009, .366299, .718115, 1.761706, .989314, -.700279, .408263, .708959, .187826,
            -.392786, .371645, .634536, .080537, 1.314022, 2.16701, -.248757, -.031351, -1.160447,
            1.464366, -.090767, 1.677264, -1.633504, .129869, -1.294973, -.934251, .063182,
            -.869708, .207035, -.88571, -1.369811, 1.148542, .01743, -.032275, .769026, .381604,
            -.380864, .940027, .484233, -.591177, -1.27786, -2.104426, -.169988, -.082489, .882051,
            -.372257, 1.390489, -.815655, .074926, .071386, -.241582, -.851665, -1.163988,
            -1.802427, 1.486467, .403158, .340827, 2.077967, -.144822, 1.255851, -.862589,
            -.346059, -.915359, -1.430074, 1.169833, -.6108, .901167, -.396603, -1.441456, .24194,
            -.994206, .878716, -1.103867, -.87226, 1.205395, 1.461201, .801482, -.494595, .598925,
            -1.136813, -.894015, -.544032, .372391, -.56392, .119547, .383097, -.510751, -.635383,
            -.496707, 1.068538, .046849, -.8495, -.690485, 1.789357, -1.187797, .523963, -1.143044,
            -.09701, -.451318, .463589, -1.149612, -.209923, .328073, .583504, 1.553228, 1.199508,
            -1.113272, 1.437921, .375583, -.780468, .93988, -.564494, -.187175, .050136, .164371,
            -.342654, 1.202572, .747552, -1.178184, -1.479336, -1.574043, 2.385682, .781373,
            1.022446, 1.191268, -.749247, .086538, -.722286, 1.864286, 1.019615, -.586983, .952651,
            -.758262, -2.474603, .17576, 2.470034, 1.072648, -.310947, .029089, .515801, .09579,
            -.484066, .520158, .847921, -1.013822, .349277, 1.130713, .442779, -1.29306, -1.661957,
            .189243, -.182988, -.690334, -2.211449, .482729, -.793017, 1.342643, -.071808,
            1.077915, -1.611363, -.692153, .260558, -.47155, .674596, -.129395, .069575, .380043,
            .883649, .36609, -.35435, 2.311696, -1.117504, .202438, 1.990552, -.379961, 1.543347,
            .409204, .19788, -1.08343, .870243, .951131, .450318, 1.220981, -.484896, -.959805,
            -.477004, .755622, .005005, -.637421, 1.783763, .301054, -.877004, 1.11939, .512299,
            -.234949, -2.770323, 1.594482, .911615, -.672071, .545183, -1.432407, .611246,
            2.208513, .117513, .997238, -1.646576, 1.034159, -.531435, .803945, .911033, -1.242721,
            -1.240573, .923518, 1.241153, .568428, -.469919, .426749, .872658, -.31957, .03418,
            1.216911, -.365699, -.611761, -1.702898, -.358213, -.420953, .682742, -1.017522,
            .363518, -.162169, -.266542, -.081668, -.496028, -.612269, -.259577, -1.332851,
            -.317874, .220652, -.200404, 1.223766, .01104, .359604, .801234, 1.361714, .069912,
            -1.402144, -.642981, .869692, -.689501, -.410775, 1.343929, 1.702511, -1.476316,
            -.7081, .916829, .675265, .003883, -.498815, 1.139421, -.329273, -.701512, .133552,
            -.725365, 2.181026, -1.369292, -.924895, .913698, .870596, 2.070831, -1.056935,
            1.577726, -.985676, .296699, -.141853, 1.866696, -.719881, .080819, .130032, -.626799,
            .178616, 1.034849, -.204717, 1.200965, 1.103869, .842181, 1.580176, -1.027505, .262732,
            1.428253, -.936974, -.139858, -.073888, -.43746, -.256303, 1.222367, -.771781, .13906,
            .513526, -1.171683, -1.214151, -.541532, 1.155828, 1.092433, -.551073, 1.520152,
            .656132, -.057648, -.802458, -.464732, -.539241, -.071678, .522598, .254256, -.272271,
            -.101428, -1.007236, -.026102, .741726, -.877221, .644595, -1.298814, -.621812, .3107,
            -.375838, .644613, .93528, -.364206, .293251, 2.177424, .826928, .449852, -.622487,
            -.365428, -.867348,
        ],
    },
    "near_miss_before": {
        "n": 600,
        "sliding_window": 20,
        "anomalies": [(300, 330)],
        "expected": {
            "AUC-PR": 0.058217683583783895,
            "AUC-ROC": 0.559122807017544,
            "VUS-PR": 0.16081991549753494,
            "VUS-ROC": 0.6753818761542368,
            "Standard-F1": 0.12377673823985125,
            "PA-F1": 0.6741573033707865,
        },
        "score": [
            -.017259, -.149551, -.016178, .001079, .031608, .007976, -.098712, -.052585, .092186,
            .123874, -.151327, .054906, .029531, .151798, .071926, .134288, -.141946, -.074561,
            -.04088, -.120804, .161077, -.037262, .19394, -.077962, -.221278, -.214803, -.080669,
            -.061084, -.078205, -.174024, -.102048, -.003653, .009553, -.078418, .022381, -.143582,
            .11656, -.078568, -.031021, .054738, .025786, .051411, -.063979, .33008, .065145,
            .076603, .126948, .102541, .06031, -.058075, -.019989, .027067, .075842, .020226,
            .071044, -.040745, .020763, .065322, .186543, -.123484, .083688, -.049551, .058205,
            .036563, .036643, -.065014, .169138, .026456, .093748, .030954, -.120016, -.044371,
            -.101297, .061148, .094601, .123946, .024853, -.082203, .114324, -.058468, .131603,
            -.064332, .155831, -.068461, -.100329, -.123956, .075774, -.053412, -.128072, -.004051,
            .015271, -.039373, -.126626, -.13408, -.060141, -.254516, .096319, .004044, .125961,
            .082596, .159051, -.106268, -.098889, .099376, -.041488, .004945, .098621, .105975,
            .019546, -.036357, -.083275, -.029519, .072326, -.002491, .053946, .273212, .112316,
            -.096082, .032789, .10991, -.039622, .220013, -.215677, .003808, -.117004, -.17964,
            -.00846, -.145028, .098367, -.081717, -.012943, -.014882, .000911, .029841, .165621,
            .168012, .019896, .005268, -.196334, -.1576, .016834, .149115, .091, -.002538, .080262,
            .081012, -.063615, .059599, .120958, .117054, -.11007, .094063, -.081804, .107642,
            -.179515, -.071977, -.005592, .055033, -.069226, -.004267, -.156793, .022808, -.000862,
            -.056056, .068552, .027777, .040627, .012669, -.069787, -.056222, -.096027, -.093401,
            -.009087, -.062531, -.19411, -.058089, -.080588, -.003912, .150722, .146264, -.097232,
            .216666, -.198186, -.005077, .140082, -.072204, -.066711, .053695, .041325, .000195,
            -.096826, -.046394, -.010255, -.008961, -.028172, -.085772, .031515, .169219, -.22132,
            -.019884, .038416, -.080954, .016783, -.035885, -.001678, .05536, -.098857, -.08034,
            .015362, -.15705, -.056232, -.15746, -.028171, -.05404, .083195, -.103969, -.118413,
            -.153848, -.135961, .099375, .043461, .150079, -.078806, .089983, -.047883, .058458,
            .22459, -.009037, .015164, -.200758, -.10877, .053512, .045014, -.001204, .103482,
            .09456, .10162, -.005571, -.148795, .163034, .092836, .065672, -.04957, .020675,
            -.078993, .203548, -.006155, .053327, -.045064, -.243254, .075724, -.200216, -.001843,
            .012803, -.005545, -.167539, -.0743, .088282, -.143603, .274535, .26243, .025816,
            -.193964, .002857, -.113123, -.112917, -.026433, .02771, .198927, -.044469, .092608,
            -.173129, -.031313, .002138, -.052586, .068694, -.027204, -.108147, -.025752, .05075,
            .011544, -.056607, -.03495, .065601, .007529, -.017216, .032085, .004528, -.170553,
            .135748, 3.102934, 2.833792, 2.906186, 2.918266, 3.084563, 3.077883, 3.061085,
            3.139133, 3.026515, 3.019885, .035739, .188422, .0156, .016529, .054499, .094392,
            -.085661, .012813, .152174, -.081027, .105072, .092703, .010993, .064977, .005603,
            .069672, -.000476, -.190818, .142406, -.020987, .087121, -.10448, .011835, -.006354,
            .07757, -.178434, -.014566, .0925, -.26196, -.049177, -.068238, .001341, .033454,
            -.0022, .134205, .098444, -.120381, -.047653, -.064883, -.06236, -.074478, .096986,
            .024576, -.171693, -.0018, -.141295, .014809, -.040244, -.084534, -.075561, .133413,
            .022534, .265541, -.020512, .159342, .045152, .027717, .092662, .002943, .000859,
            -.172128, .133166, .043066, -.174704, -.096916, .027179, -.162072, -.139908, .027156,
            -.215943, .021914, .103574, -.152945, .129974, .150706, -.02333, -.002772, -.102689,
            -.011016, -.063755, -.04297, -.00998, -.000543, .081303, .034933, .067007, -.015348,
            -.047521, -.002837, .135052, .092917, .004427, -.047002, -.06014, .072154, .145446,
            .043178, -.102586, .032814, -.00377, -.147178, -.100999, -.056578, .07199, -.085439,
            .279805, -.091988, .112408, .052977, .081212, -.269591, .09771, -.181661, -.063722,
            .050002, .033724, .135403, .03652, -.035646, -.080816, .058605, -.135564, -.093978,
            -.109912, -.108351, -.032562, -.09939, -.061337, -.063738, -.158212, .003148, .070369,
            -.000183, -.051225, .034286, -.00218, -.058262, .050449, .044375, -.073341, -.244321,
            .247582, .085236, -.030801, -.055254, -.032634, .123536, -.182368, -.096655, -.106094,
            .195409, .004562, .153843, -.053477, -.054102, .127229, -.064408, -.028716, -.013932,
            -.029542, .001439, -.101356, -.1114, -.009454, .127231, .129055, -.068237, -.03318,
            -.194744, .053215, .025261, -.052465, .051618, .071345, .021496, -.266218, -.144889,
            .025245, .088498, .214803, -.11587, -.029558, .014442, .030157, .129797, .013166,
            -.168165, -.030806, -.175693, -.017139, -.009075, -.209977, -.025726, -.103524,
            .008485, -.038568, -.047563, -.111963, .061494, -.154079, .027105, .140825, .137623,
            .006339, .013821, -.053379, .039061, -.05583, -.181232, .127105, -.003006, -.075211,
            .078724, .003534, -.074706, -.059291, -.139725, .019738, .009275, .007847, -.20147,
            .018868, .115081, .093331, -.12755, -.160451, .065077, -.184896, .244723, -.043177,
            -.043138, .12617, .013739, .014851, .009523, -.024082, .114494, .05045, .003307,
            .056787, -.132019, .10245, -.07808, -.052419, -.039489, .016429, -.136903, -.076182,
            .181741, -.120248, .130604, -.031639, -.014756, .093036, -.055394, .034402, -.097408,
            -.084413, .099876, -.232908, .125621, .089421, -.005118, -.0705, .262786, .061937,
            -.000654, .064347, -.042389, -.211049, .093531, .16747, -.012265, -.213102, -.015611,
            .174789, .055988, -.084226, -.112024, .111324, -.134873, -.02472, -.034196, -.059072,
            .075796, .090477, -.010997, -.026471, .022927, .049114, .056677, .022213, .097911,
            -.150798, .046606, .117636, .022485, -.038282, .022248, -.051104,
        ],
    },
    "three_ranges_partial": {
        "n": 600,
        "sliding_window": 30,
        "anomalies": [(100, 110), (400, 460), (580, 600)],
        "expected": {
            "AUC-PR": 0.6391344048674636,
            "AUC-ROC": 0.8691938997821351,
            "VUS-PR": 0.7821061359964467,
            "VUS-ROC": 0.9165784858208671,
            "Standard-F1": 0.7019819394216577,
            "PA-F1": 0.972972972972973,
        },
        "score": [
            -.154, -.198229, .567983, -.139237, .697973, .133992, .360201, .676237, -.013852,
            -.332217, -.077747, .690386, .546277, .47224, .270547, .513071, .356472, -.215837,
            .335476, .358959, -.088868, .065989, -.702241, -.711516, -.47575, -.624444, -.570608,
            -.149121, -.210243, -.440035, -.46351, -.300856, -.308762, -.233297, -.358868,
            -.046919, -.317899, -.39088, -.429216, -.378981, -.065332, -.375555, -.580802,
            -.246413, -.10525, .089897, .171808, -.176976, -.213817, .420456, .176518, .784371,
            .509932, .327416, .300199, .437187, .425366, .373858, .23654, .88213, .347017, .338159,
            -.199242, .52479, .046374, .322975, .075869, .105679, -.148608, -.185202, -.216041,
            -.495775, .107067, -.127336, -.471556, -.43461, -.176117, -.252343, -.729201, -.154669,
            -.361549, -.606185, -.055438, -.575924, -.060356, -.65667, -.529426, -.274365, .061308,
            .606316, -.066532, .46349, .320271, .271165, .297786, 2.830707, 2.92254, 2.745906,
            3.46167, 2.943413, 2.999773, 2.768817, 3.190441, 3.230144, 2.529937, -.022137, .630558,
            .344944, -.338621, -.460189, -.041102, .676734, -.091144, -.590572, .021455, -.095598,
            -.467137, -.252741, -.687915, -.602956, -.827798, -1.074485, -.4779, -.555691,
            -.469935, .00895, -.519685, -.433429, -.221077, .175857, -.383373, -.202071, -.257676,
            .395421, .863308, .492055, .122994, -.004216, .508234, .467108, .477664, .674738,
            .566889, .574312, 1.060108, -.000507, .559676, .513334, .079627, .26688, -.176569,
            .706464, -.059973, -.159367, .652071, -.009049, -.448337, .072085, -.024297, .088658,
            -.551977, .169278, -.406068, -1.193246, -.510034, -.492463, -1.044225, -.699466,
            -.606222, -.467027, -.036796, -.563034, -.21555, -.323424, .095927, .15221, -.3108,
            .348391, .486701, .619368, .490608, .167366, .162985, -.214611, .165797, .154541,
            .37856, .449419, .549603, .849409, .005665, .127052, .204441, .303424, .084946,
            .257742, .175985, .026279, -.069666, -.101078, -.101698, -.17338, -.093616, .284382,
            .237455, -.215013, -.384938, -.616677, -.959348, -.858538, -.551395, -.142049,
            -.411441, -.561736, -.959029, -.01135, -.039981, -.846429, -.398484, -.045346, .127517,
            .168469, -.67842, .071222, .242266, .639493, .221071, .204984, .727522, .196263,
            .722872, .603927, .6049, .114674, .331744, .214292, .607389, .42285, .601503, .595965,
            -.238763, -.791773, -.042292, .072777, -.406411, .305112, -.016357, -.561229, -.994421,
            -.491313, -.833054, -.64551, -.116049, -.461854, -1.154142, -.415676, -.580428,
            -.880683, -.84068, -.825689, -.570012, -.642948, -.311231, -.669253, .351938, .00295,
            .035435, -.079072, .33538, .893481, .107533, .436399, .04026, .609103, .108551,
            -.473412, .35884, .821509, .735546, .212605, .396714, .411352, .11901, .679659,
            .235979, .187863, -.336519, .346251, .154377, -.3509, -.219002, -.312216, -1.1342,
            .045305, -.236206, -.120447, -.758839, -.745098, -.958133, -.680244, -.296788,
            -.636402, -.129562, -.301098, -.086144, .00742, -.18043, .410833, .056592, .262405,
            .017604, .299726, .672084, .468478, .005341, .537447, .335989, .402194, .617321,
            .287164, .601126, .911774, .519963, .42371, .42525, .71902, .700763, -.044809,
            -.338895, .087545, -.205372, -.567172, -.414547, -.047836, -.625422, -.270054,
            -.045157, -.236005, -.771534, -.179386, .331149, -.990925, -.347412, -.059266,
            -1.095157, -.08098, -.880922, -.54647, -.417392, -.0146, .174293, -.530542, .348507,
            -.059244, -.230982, .31248, .6068, .52714, .842374, .988455, .956415, .352029, .361367,
            .400682, .611255, .58217, .646191, .858172, .153706, .616839, .230465, .104336,
            -.319091, .320784, -.123375, -.080284, -.70246, -.011314, -.475354, -.112459, -.47165,
            -.460245, .128892, -.543863, -.851876, -.703381, -.636276, -.517857, -.098043, -.84723,
            -.018263, -.647312, -.778109, -.098489, -.273831, -.042867, .035164, -.548238,
            -.224028, -.247056, .406118, .056072, 1.978681, 2.129469, 2.369633, 1.715863, 2.094286,
            2.355677, 1.775947, 2.264107, 2.104307, 2.056937, 1.63285, 1.445255, 1.933135,
            1.704418, 1.500978, 1.356926, 1.308707, 1.683224, 1.174797, .93859, 1.475298, 1.364188,
            1.141598, 1.270038, 1.053356, 1.560398, 1.090347, 1.359803, .495425, 1.133898,
            1.327566, .666293, .942228, 1.216749, .908811, 1.297658, 1.725636, 1.187655, 1.50343,
            1.632715, 1.695639, 1.736777, 1.50834, 2.168008, 2.028652, 2.111742, 2.237494,
            2.194908, .208098, .464387, .605628, 1.243297, .457719, .550092, -.516861, .151317,
            .846367, -.192977, -.452908, -.342472, -.176114, -.247824, -.591939, -.324564,
            -.307218, -.529866, -.419349, -.129571, .0111, -.717668, -.505364, -.458304, -.274827,
            -.226, .131343, -.762428, -.68504, -.230699, .062565, .152329, .347288, -.128913,
            .458922, -.163605, .226803, -.106971, .541357, .584571, .692468, .726451, .197951,
            .059587, .5049, .485976, .300029, .450027, .79202, .77865, -.039041, .081078, .333045,
            -.078509, .514742, .172255, .252034, -.058907, -.335604, -.347234, -.044604, .175303,
            -.668955, -.308387, -.374006, -.631733, -.896619, -.412277, -.753898, -.192472,
            -.661513, -.089066, -.429867, -.394474, -.374465, -.438292, .309955, .257537, .126368,
            -.116885, .165988, .08789, -.054191, .326861, .427981, .287473, .225062, .913722,
            .350997, .428307, .344867, .528293, .171932, .681502, -.047406, .147485, .137353,
            .370322, .147873, .008954, .086587, -.116685, -.284905, -.203349, -.103024, -.277392,
            -.518928, -.356548, -.698995, -.985385, -.696878, -.419347, -.461473, -.421886,
            -.258049, -.499201, -.458938, -.356679, -.350618, -.625779, -.238234, .304134, -.12177,
            -.135952, .587704, .152997, -.428358, .917491, .844078, .506875, .85524, .985561,
            .298325, .368139, .372193, .875129, .288769, .778894, 1.169028, -.065449, .475446,
            .157134, .22934, .280346, .792366, -.133117, -.166132, -.020385, .214426, -.232467,
        ],
    },
    "ties_binary_scores": {
        "n": 600,
        "sliding_window": 25,
        "anomalies": [(300, 330)],
        "expected": {
            "AUC-PR": 0.75,
            "AUC-ROC": 0.9912280701754386,
            "VUS-PR": 0.75,
            "VUS-ROC": 0.9912280701754385,
            "Standard-F1": 0.8571379592116616,
            "PA-F1": 0.8571428571428571,
        },
        "score_one_ranges": [(10, 20), (300, 330)],
    },
    "anomaly_at_start": {
        "n": 600,
        "sliding_window": 16,
        "anomalies": [(0, 15)],
        "expected": {
            "AUC-PR": 0.6882754676019119,
            "AUC-ROC": 0.8815954415954417,
            "VUS-PR": 0.6896913922943925,
            "VUS-ROC": 0.8902170872122972,
            "Standard-F1": 0.7999952000287999,
            "PA-F1": 1.0,
        },
        "score": [
            2.182905, 2.037097, 2.148233, 1.701408, 1.48373, 2.049384, 1.793871, 2.104975,
            2.033158, 2.13623, .129778, .129037, .132988, -.040851, .017454, -.076969, .062444,
            .061798, -.120024, -.15535, .033773, -.010634, -.212732, -.09511, -.116627, -.119828,
            .061225, -.018473, -.067704, .127233, .178228, .195493, .056901, .098958, -.056322,
            .113268, -.077954, -.136064, -.106087, .09548, -.189546, -.337615, -.109399, -.092668,
            .060106, .316596, -.055454, -.199097, .088561, .009036, .010155, -.084151, .207484,
            -.058346, .052525, -.524146, .035418, .402652, -.02318, .06608, -.202943, .18555,
            -.128088, .199638, -.119787, .296358, .18151, -.579404, -.117119, -.20821, .057267,
            -.133471, .065222, .215554, -.059068, -.125269, -.619656, .030733, -.173771, -.11168,
            .128417, .161653, -.136491, .281817, .282135, .144184, -.441849, -.039965, -.254776,
            .099273, -.253854, .329225, .090756, -.208812, -.218096, .120852, .267641, -.291862,
            .107634, -.091413, .170202, -.024818, -.046318, .064683, .157144, .034422, .207617,
            -.297703, -.02729, .087995, .227135, -.150262, -.273708, -.171475, -.045667, -.070747,
            -.107998, .068652, .109191, .204338, -.079182, .055384, .122119, .148625, .351268,
            .135982, .045723, .217485, -.11005, .048915, -.390318, .375011, .094521, .055905,
            .048108, .066325, .186557, .055484, .10582, .149549, .055152, -.011685, -.034472,
            .14848, -.07774, -.21438, -.17323, -.232703, .160819, .05481, .086102, -.432089,
            -.078375, .013409, 9.5e-05, .173615, .249079, -.29164, .202833, -.169836, .078282,
            .430393, .105924, -.054446, -.231894, -.109384, -.415537, -.279408, -.209498, -.133682,
            -.205518, -.074334, -.227673, -.001864, .217628, -.128698, -.142123, .417217, .291899,
            .021015, -.338323, -.027021, .008762, -.078477, .140036, .216163, -.247534, .059326,
            -.145323, .028712, -.266756, -.103024, -.08482, .099758, .143888, -.218155, -.065114,
            .040075, -.081858, .037328, .015024, .064792, .105639, .025775, .092551, .048731,
            -.090456, -.272248, -.002597, .287706, -.115786, .063812, -.037683, -.023553, .178552,
            .17418, -.026293, .04526, .022496, .043906, .070873, -.304619, -.108002, -.091699,
            .098906, .346411, .719555, .224518, .120215, -.033048, -.013449, -.141913, -.311945,
            .023938, -.288039, -.164033, .077703, -.186748, .065009, -.086963, -.060573, .15837,
            .167726, -.015079, -.024374, -.053014, .130381, .281199, -.053141, -.058466, -.150817,
            .065329, -.063252, -.08377, .078381, -.203166, .117601, .22733, .007962, .060172,
            -.214396, -.050492, .339718, .178692, -.295345, .26024, -.040094, -.04251, .07326,
            -.195441, .148364, -.080584, .099639, .079151, -.181361, .035364, -.218976, -.388288,
            -.119121, -.251042, .335239, -.031919, .344779, -.049729, .089299, -.010243, -.251389,
            -.009227, -.160029, .006983, -.168174, .173729, -.151905, -.080855, .362114, .078163,
            -.091297, -.065256, .19865, .136436, -.426033, -.1516, -.468317, .265173, .055001,
            .446067, .013181, -.18776, -.174738, -.049689, -.30972, -.184341, .133346, .385434,
            -.092117, -.054426, .077695, .24935, .43128, -.088238, -.172482, .13826, .025498,
            -.135837, .116704, .494375, .215584, .073382, -.530769, .24768, .096154, .155603,
            -.154848, .287039, .050493, .079268, .020187, .150451, .263116, -.169464, -.265946,
            .13981, .24447, .489081, -.309997, -.163912, .116826, .001071, -.053278, -.415949,
            .157758, -.20552, -.335034, -.151306, -.050077, -.010311, .06632, .305404, -.15779,
            .011301, .267732, -.197048, -.27924, -.055473, .053214, -.071592, .049451, .074603,
            .099645, .180463, -.201208, .240821, .344251, -.041859, -.182915, .281721, .049614,
            .226367, .310765, .03125, .098783, -.173379, .166848, -.131467, .064016, -.01414,
            .068632, -.394705, -.146895, .098555, .196342, -.159251, -.021846, -.152593, .000156,
            -.299718, .067809, .119672, -.214197, -.061286, -.028071, .261629, .217852, -.082371,
            .050341, -.128285, -.288338, .171085, .427975, -.261176, -.047702, -.323065, .186947,
            -.165811, -.016602, -.208809, -.103634, .145734, .039788, -.260567, .035291, -.111148,
            -.056038, -.174318, .235974, .483594, .153705, -.282186, -.042262, -.031205, -.187073,
            -.842575, .010164, .215194, -.290564, .006191, .506164, -.189825, -.002936, -.111271,
            -.553587, -.098588, .152327, .099134, -.24995, -.031112, .307374, -.357814, -.376896,
            .026431, .387084, .05889, -.204473, .051335, .343538, -.133149, -.129378, -.324627,
            -.014194, -.056918, -.198016, .144092, .123831, -.332483, -.205171, .080761, .226963,
            -.057809, .049412, -.059602, -.114438, -.169475, -.172355, -.12113, .066879, .230665,
            .080442, -.049995, .131174, -.045563, -.206436, -.049351, -.140874, .071763, .041525,
            -.053376, -.146776, .1003, -.143434, .227878, .074976, .241464, -.271583, .1435,
            .412966, -.288503, .030076, -.179522, .369261, .067633, -.143242, -.13595, .128219,
            -.026263, -.289343, -.262806, .141053, -.359555, -.188061, -.151102, -.023287,
            -.292744, .335796, .217588, -.17681, .124534, -.019719, .194882, -.024207, .46373,
            .056757, .301714, -.339735, -.006447, .05087, .194283, .157103, .507395, .003972,
            -.033383, -.126672, .161171, -.048575, .195205, .409152, -.058913, .327183, .194733,
            -.162119, .099081, .011613, -.047908, .043392, .264056, .09193, .363652, -.399642,
            -.443496, .232664, -.15225, .185913, -.10005, -.255593, -.200409, .178467, .140653,
            .08206, .225415, .100734, .44076, .325737, -.035615, -.168354, -.104082, .098468,
            .180182, .091733, -.12248, .067314, .068576, -.042418, .214077, -.136358, -.030216,
            -.084253, -.318219, .00468, -.094682, -.042717, .031006, -.074517, .235887, .163654,
            -.359067, -.259328, .015052, .170237, .05145, -.105876, -.019907, .065664, -.000951,
            -.003344, .323561, .11393, -.267752, .269172, .037714, .04016, -.15942,
        ],
    },
}


def test_estimate_sliding_window_follows_tsb_ad_rule():
    from skvaelstm.datasets import load_nab
    from skvaelstm.metrics import estimate_sliding_window

    t = np.arange(3000)
    assert estimate_sliding_window(np.sin(2 * np.pi * t / 50)) == 50
    # TSB-AD 1.5's find_length_rank(rank=1) gives 125 for nyc_taxi
    assert estimate_sliding_window(load_nab("nyc_taxi").data) == 125
    # a period beyond 303 lags falls back to the default
    assert estimate_sliding_window(np.sin(2 * np.pi * t / 350)) == 125
    with pytest.raises(ValueError, match="univariate"):
        estimate_sliding_window(np.zeros((10, 2)))
