"""The Numenta Anomaly Benchmark (NAB) score (documented and exported in :mod:`skvaelstm.metrics`).

The rules are those of NAB's scorer (``nab/sweeper.py``, ``nab/runner.py`` of
github.com/numenta/NAB; Lavin & Ahmad, ICMLA 2015). Each file is turned into
*events*: a threshold key (an anomaly score) and the change of the file's raw
score when the threshold is lowered to that key. A file's raw score at a
threshold is then a constant plus the sum of the deltas of the keys at or above
it, and the optimiser evaluates every candidate threshold of a pooled corpus
with one sort and one cumulative sum.
"""

import numpy as np
import pandas as pd

from ._nab_input import (
    _check_anomaly_score,
    _check_profile,
    _check_threshold,
    _check_windows,
    _iter_files,
    _probationary_rows,
)

# The optimiser's "no detection" threshold (NAB starts its sweep at 1.1).
_NO_DETECTION = 1.1


def _scaled_sigmoid(x):
    """NAB's ``scaledSigmoid``: 2 / (1 + exp(5 x)) - 1, and -1 for x >= 3."""
    x = np.asarray(x, dtype=float)
    with np.errstate(over="ignore"):
        value = 2.0 / (1.0 + np.exp(5.0 * x)) - 1.0
    return np.where(x >= 3.0, -1.0, value)


def _file_events(anomaly_score, windows, weights, where=""):
    """One file's raw score as events: ``(keys, deltas, base, n_windows, scores)``.

    The raw score at a threshold ``t`` is ``base + deltas[keys >= t].sum()``;
    ``scores`` are the anomaly scores of the scorable (not probationary) rows.
    """
    score = _check_anomaly_score(anomaly_score, where)
    n_rows = score.shape[0]
    rows_of = _check_windows(windows, n_rows, where)
    tp, fn, fp = weights
    first, last = rows_of[:, 0], rows_of[:, 1]
    width = (last - first + 1).astype(float)
    row = np.arange(n_rows)
    probation = _probationary_rows(n_rows)
    scorable = row >= probation

    # k: the last window starting at or before each row (-1: none)
    k = np.searchsorted(first, row, side="right") - 1
    has_window = k >= 0
    inside = np.zeros(n_rows, dtype=bool)
    for start, stop in zip(first, last):
        inside[start:stop + 1] = True

    # false positives: after a window, scaled by its width; before any, full fpWeight
    outside = scorable & ~inside
    after = outside & has_window
    fp_weight = np.full(n_rows, -fp)
    if after.any():
        distance = (row[after] - last[k[after]]) / (width[k[after]] - 1.0)
        fp_weight[after] = fp * _scaled_sigmoid(distance)
    keys = [score[outside]]
    deltas = [fp_weight[outside]]

    # windows: only the earliest detection counts; it changes only at score records
    # (_check_windows has made sure that every window ends after the probation)
    max_tp = _scaled_sigmoid(-1.0)
    for j in range(len(first)):
        in_window = np.arange(max(first[j], probation), last[j] + 1)
        s = score[in_window]
        value = tp * _scaled_sigmoid(-(last[j] - in_window + 1) / width[j]) / max_tp
        running = np.maximum.accumulate(s)
        record = np.ones(s.size, dtype=bool)
        record[1:] = s[1:] > running[:-1]
        rec_key, rec_value = s[record], value[record]
        # lowering t to rec_key[-1] detects the window (fn -> value); each lower
        # record moves the earliest detection back to an earlier, larger value
        rec_delta = np.empty(rec_key.size)
        rec_delta[-1] = rec_value[-1] + fn
        rec_delta[:-1] = rec_value[:-1] - rec_value[1:]
        keys.append(rec_key)
        deltas.append(rec_delta)
    return (np.concatenate(keys), np.concatenate(deltas), -fn * len(first),
            len(first), score[scorable])


def _corpus_events(files, weights):
    keys, deltas, scores, base, n_windows = [], [], [], 0.0, 0
    for where, anomaly_score, windows in _iter_files(files):
        k, d, b, n, s = _file_events(anomaly_score, windows, weights, where)
        keys.append(k)
        deltas.append(d)
        scores.append(s)
        base += b
        n_windows += n
    if n_windows == 0:
        raise ValueError("no file has an anomaly window: the normalised NAB score is "
                         "undefined.")
    perfect = weights[0] * n_windows
    return np.concatenate(keys), np.concatenate(deltas), np.concatenate(scores), base, perfect


def _normalise(raw, null, perfect):
    return 100.0 * (raw - null) / (perfect - null)


# --------------------------------------------------------------------------
# public functions
# --------------------------------------------------------------------------
def nab_windows_to_rows(timestamps, windows):
    """Convert NAB's label windows (timestamps) into row ranges of one file.

    Parameters
    ----------
    timestamps : array-like of shape (n_rows,)
        The file's timestamps, in row order (strings or datetimes).
    windows : sequence of (start, end) pairs
        The file's windows as NAB's ``labels/combined_windows.json`` gives them:
        the timestamps of each window's first and last row.

    Returns
    -------
    ndarray of shape (n_windows, 2)
        ``(first_row, last_row)`` of each window, both inclusive, as
        :func:`nab_raw_score` takes them.

    Raises
    ------
    ValueError
        If a window's timestamp is not one of the file's timestamps.

    Examples
    --------
    >>> from skvaelstm.metrics import nab_windows_to_rows
    >>> stamps = ["2014-04-01 00:00:00", "2014-04-01 00:05:00", "2014-04-01 00:10:00"]
    >>> nab_windows_to_rows(stamps, [["2014-04-01 00:05:00.000000", "2014-04-01 00:10:00"]])
    array([[1, 2]])
    """
    stamps = pd.DatetimeIndex(pd.to_datetime(np.asarray(timestamps).ravel()))
    position = {}
    for i, stamp in enumerate(stamps):
        position.setdefault(stamp, i)              # the first of repeated stamps, as NAB
    rows = []
    for j, pair in enumerate(windows):
        if isinstance(pair, (str, bytes)) or len(pair) != 2:
            raise ValueError(f"window {j} must be a (start, end) pair of timestamps; "
                             f"got {pair!r}.")
        found = []
        for stamp in pair:
            at = position.get(pd.Timestamp(stamp))
            if at is None:
                raise ValueError(f"window {j}: timestamp {stamp!r} is not one of the "
                                 "file's timestamps.")
            found.append(at)
        rows.append(found)
    return np.asarray(rows, dtype=np.int64).reshape(-1, 2)


def nab_raw_score(anomaly_score, windows, threshold, *, profile="standard"):
    """NAB's raw (unnormalised) score of one file's detections at a threshold.

    A row is a detection when ``anomaly_score >= threshold``. As in NAB
    (Lavin & Ahmad, 2015; ``nab/sweeper.py``), the first
    ``min(floor(0.15 * n_rows), 750)`` rows are probationary and ignored. A
    window of ``W`` rows ending at row ``r`` earns
    ``tp * sig(-(r - i + 1) / W) / sig(-1)`` for its earliest detection ``i``
    (the full ``tp`` at its first row, almost nothing at its last), with
    ``sig(x) = 2 / (1 + exp(5 x)) - 1`` (``-1`` for ``x >= 3``); later
    detections in it neither add nor cost, and a window without detection costs
    ``fn``. A detection outside windows costs ``fp * sig(d / (W' - 1))``, ``d``
    rows after the last row of the preceding window of ``W'`` rows, and the
    full ``fp`` before a file's first window.

    Parameters
    ----------
    anomaly_score : array-like of shape (n_rows,)
        **Higher = more anomalous** (NAB's convention, unlike the other
        metrics here): pass ``-score_samples(X)`` for a skvaelstm detector.
    windows : array-like of shape (n_windows, 2)
        ``(first_row, last_row)`` of each anomaly window, both inclusive, sorted
        and not overlapping; each spans at least 2 rows and ends after the
        probationary period. ``[]`` for a file without anomalies.
        :func:`nab_windows_to_rows` converts NAB's timestamp windows.
    threshold : float
        Detection threshold on ``anomaly_score``.
    profile : str or mapping, default="standard"
        A key of :data:`NAB_PROFILES` (``"standard"``, ``"reward_low_FP_rate"``,
        ``"reward_low_FN_rate"``) or a mapping with the weights ``"tp"``,
        ``"fn"`` and ``"fp"``.

    Returns
    -------
    float
        The file's raw score (NAB's per-file ``Score``).

    See Also
    --------
    nab_score : the normalised score of a corpus of files.

    References
    ----------
    A. Lavin and S. Ahmad, "Evaluating Real-time Anomaly Detection Algorithms --
    the Numenta Anomaly Benchmark", ICMLA 2015. NAB's code and README:
    https://github.com/numenta/NAB.

    Examples
    --------
    >>> import numpy as np
    >>> from skvaelstm.metrics import nab_raw_score
    >>> anomaly_score = np.zeros(100)
    >>> anomaly_score[50] = 1.0                    # at the first row of the window
    >>> nab_raw_score(anomaly_score, [(50, 59)], threshold=0.5)
    1.0
    >>> nab_raw_score(np.zeros(100), [(50, 59)], threshold=0.5)    # missed
    -1.0
    """
    weights = _check_profile(profile)
    threshold = _check_threshold(threshold)
    keys, deltas, base, _, _ = _file_events(anomaly_score, windows, weights)
    return float(base + deltas[keys >= threshold].sum())


def nab_score(files, threshold, *, profile="standard"):
    """Normalised NAB score of a corpus of files at one threshold.

    The raw scores of the files (:func:`nab_raw_score`) are summed and
    normalised as NAB's ``runner.py`` does: ``100 (S - S_null) / (S_perfect -
    S_null)``, where ``S_null`` is the score without detections (``-fn`` per
    window) and ``S_perfect = tp`` per window. A detector that detects nothing
    scores 0, one that detects every window at its first row and raises no false
    positive 100; there is no lower bound.

    Parameters
    ----------
    files : sequence or mapping of (anomaly_score, windows) pairs
        One pair per file (a mapping's keys name the files in error messages);
        ``anomaly_score`` (higher = more anomalous) and ``windows`` as in
        :func:`nab_raw_score`. At least one file must have a window.
    threshold : float
        Detection threshold (``anomaly_score >= threshold``), the same for all
        files, as in NAB.
    profile : str or mapping, default="standard"
        A key of :data:`NAB_PROFILES` or a mapping with ``"tp"``, ``"fn"``,
        ``"fp"``.

    Returns
    -------
    float
        The NAB score (null detector 0, perfect detector 100).

    See Also
    --------
    nab_optimize_threshold : the score at NAB's optimised threshold.

    References
    ----------
    A. Lavin and S. Ahmad, "Evaluating Real-time Anomaly Detection Algorithms --
    the Numenta Anomaly Benchmark", ICMLA 2015; https://github.com/numenta/NAB.

    Examples
    --------
    >>> import numpy as np
    >>> from skvaelstm.metrics import nab_score
    >>> a, b = np.zeros(100), np.zeros(200)
    >>> a[50] = 1.0                                  # detects file a's window at once
    >>> nab_score([(a, [(50, 59)]), (b, [(150, 169)])], threshold=0.5)
    50.0
    """
    weights = _check_profile(profile)
    threshold = _check_threshold(threshold)
    keys, deltas, _, null, perfect = _corpus_events(files, weights)
    return float(_normalise(null + deltas[keys >= threshold].sum(), null, perfect))


def nab_optimize_threshold(files, *, profile="standard"):
    """NAB's optimised threshold of a corpus and the normalised score at it.

    As NAB's optimiser does, the scorable rows of all files are pooled and each
    distinct anomaly score (and 1.1: no detection) is tried as the one threshold
    of all files; the threshold of the best raw score is kept, the higher one on
    a tie. All thresholds are evaluated at once (one sort and one cumulative
    sum over the rows), so NAB's whole corpus takes well under a second.

    Parameters
    ----------
    files : sequence or mapping of (anomaly_score, windows) pairs
        As in :func:`nab_score`.
    profile : str or mapping, default="standard"
        A key of :data:`NAB_PROFILES` or a mapping with ``"tp"``, ``"fn"``,
        ``"fp"``.

    Returns
    -------
    score : float
        The normalised NAB score at ``threshold`` (:func:`nab_score`).
    threshold : float
        The chosen threshold: an anomaly score of the corpus, or 1.1 when no
        detection scores best (``inf`` if some anomaly score is >= 1.1).

    Notes
    -----
    The threshold is chosen on the scored data itself, as NAB does, so the score
    is optimistic for a detector's threshold chosen on other data. On NAB's
    published results files (ARTime, numenta, randomCutForest,
    windowedGaussian) it matches NAB's scoreboard to 1e-6 on every profile but
    numenta's ``reward_low_FP_rate``: 63.21 where the scoreboard says 63.12, whose
    threshold came from an older version of NAB's optimiser (NAB's current code
    finds 63.21 too). :func:`nab_score` at NAB's published thresholds reproduces
    all twelve scores to 1e-6.

    References
    ----------
    A. Lavin and S. Ahmad, "Evaluating Real-time Anomaly Detection Algorithms --
    the Numenta Anomaly Benchmark", ICMLA 2015; https://github.com/numenta/NAB
    (``nab/optimizer.py``, ``nab/sweeper.py``).

    Examples
    --------
    >>> import numpy as np
    >>> from skvaelstm.metrics import nab_optimize_threshold
    >>> a = np.zeros(100)
    >>> a[[30, 55]] = [0.6, 0.9]        # a false positive at 0.6, a late hit at 0.9
    >>> score, threshold = nab_optimize_threshold([(a, [(50, 59)])])
    >>> threshold
    0.9
    """
    weights = _check_profile(profile)
    keys, deltas, scores, null, perfect = _corpus_events(files, weights)
    order = np.argsort(keys, kind="stable")
    keys, deltas = keys[order], deltas[order]
    # above[j]: the sum of the deltas of keys[j:] (the events at or above keys[j])
    above = np.zeros(keys.size + 1)
    above[:-1] = np.cumsum(deltas[::-1])[::-1]
    candidates = np.unique(scores)[::-1]                        # descending
    raw = null + above[np.searchsorted(keys, candidates, side="left")]
    no_detection = _NO_DETECTION if scores.size == 0 or scores.max() < _NO_DETECTION else np.inf
    thresholds = np.concatenate([[no_detection], candidates])
    raw = np.concatenate([[null], raw])
    best = int(np.argmax(raw))               # the first maximum: the highest threshold
    return float(_normalise(raw[best], null, perfect)), float(thresholds[best])
