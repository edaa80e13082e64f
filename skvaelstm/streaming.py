"""Live monitoring: score rows as they arrive, equal to batch scores, in bounded memory.

:class:`StreamScorer` takes the rows of a series in pieces of any size and hands
out each row's score once it is *final*, i.e. once no later row can change it.
A final score equals what ``score_samples`` gives that row on the whole series
received so far, or on any longer one, bit for bit on the CPU, whatever the
pieces were: the scorer *is* the engine behind ``score_samples``
(``skvaelstm._scoring._engine``) with its state kept between updates; every
window is encoded, predicted and decoded once, in network passes that give a
window the same bits in any batch, and errors are summed in a fixed order. The
scorer keeps only the last rows, codes and predicted windows that later rows
need: its memory depends on ``window_size``, ``n_windows`` and the number of
channels, not on the length of the stream.

Examples
--------
>>> import numpy as np
>>> from skvaelstm import VAELSTMDetector
>>> from skvaelstm.streaming import StreamScorer
>>> X = np.sin(np.arange(600) / 4.0)[:, None]
>>> det = VAELSTMDetector(window_size=8, n_windows=3, max_iter=2,
...                       early_stopping=False, random_state=0).fit(X[:400])
>>> live = StreamScorer(det)
>>> finals = [live.update(X[i:i + 7]) for i in range(400, 600, 7)]
>>> positions = np.concatenate([f.positions for f in finals])
>>> scores = np.concatenate([f.scores for f in finals])
>>> bool(np.array_equal(scores, det.score_samples(X[400:])[positions]))
True
>>> int(positions[-1]), live.look_ahead   # window_max waits for 7 more rows
(192, 7)
"""

import copy
from dataclasses import replace

import numpy as np
import torch
from sklearn.utils import Bunch
from sklearn.utils.validation import check_is_fitted

from ._model._scaling import _standardise
from ._model._scores import _scores_finite
from ._model._threads import _torch_threads
from ._model._threshold import _PeaksOverThreshold
from ._model._validation import _validate
from ._scoring import _engine
from ._scoring._engine import _advance, _empty_state, _Spec, _State
from ._scoring._options import _check_scoring_options, _look_ahead, _min_score_rows
from .exceptions import InputError

__all__ = ["StreamScorer"]

# State arrays of score columns: one column in the scorer (the row's score),
# 1-D in the model file (the format written before the engine kept columns).
_COLUMNS = ("window_errors", "warmup", "held")
# The adaptive threshold's tail keeps this many latest excesses (80 kB).
_MAX_PEAKS = 10_000


class StreamScorer:
    """Score a live series row by row; final scores equal ``score_samples``.

    Parameters
    ----------
    detector : VAELSTMDetector
        A fitted detector. The scorer keeps a copy: refitting or changing the
        detector afterwards does not change the scorer.
    adapt_threshold : bool, default=False
        False: every row is compared with the detector's ``offset_``. True
        (needs ``contamination="pot"``): the peaks-over-threshold tail keeps
        learning from the stream, as in SPOT (Siffer et al., KDD 2017): a
        final row scored normal whose error (``-score``) exceeds the initial
        threshold (the ``pot_level`` quantile of the training errors) adds its
        excess to the tail, and the generalised Pareto distribution is fitted
        again after every ``refit_every`` new excesses; rows flagged anomalous
        never enter the tail (nor count as rows). The tail starts from
        ``train_scores_``, so the first threshold is the detector's
        ``offset_``; it keeps the latest 10,000 excesses (the share of rows
        over the initial threshold counts all rows). Deterministic: the same
        rows give the same thresholds in any pieces.
    refit_every : int, default=10
        With ``adapt_threshold``: new excesses between two fits of the tail
        (SPOT fits at every excess; one fit takes a few ms).

    Attributes
    ----------
    detector : VAELSTMDetector
        The scorer's copy of the detector.
    look_ahead : int
        The delay of final scores, in rows: how many later rows a row's final
        score waits for (``skvaelstm watch`` says it at start): ``window_size - 1``
        for ``score_aggregation="window_mean"`` or ``"window_max"``, 0 for the
        causal options (``"trailing_*"``, ``"newest"``, ``"mean"``, ``"max"``),
        whose scores are final as soon as the row arrives.
    min_rows : int
        No score is handed out before this many rows have arrived: the fewest
        rows ``score_samples`` accepts (then the first rows' scores, which
        need the first window, come out together).
    n_rows_seen_ : int
        Rows received so far (since the last :meth:`end_segment`, if any).
    n_rows_final_ : int
        Rows whose final score has been handed out (positions ``0 ..
        n_rows_final_ - 1``).
    offset_ : float
        The offset the next final row is compared with: the detector's, or
        with ``adapt_threshold`` the current one.

    See Also
    --------
    VAELSTMDetector.score_samples : The batch scores that final scores equal.

    Notes
    -----
    Memory: the scorer keeps the last ``window_size - 1`` rows, the codes of the
    last ``(n_windows - 1) * window_size`` windows, the decoded predictions of
    the last ``window_size - 1`` windows and, for ``window_*``, their errors:
    for the defaults (window 48, 12 windows) and one channel 21.5 kB,
    whatever the length of the stream; with ``adapt_threshold`` also the tail's
    latest excesses (at most 10,000 float64 values, 80 kB).

    Exactness: the equality with ``score_samples`` holds bit for bit on the CPU
    for a given torch build and ``n_threads`` (tested for every aggregation and
    error source over random cuts of the stream); it rests on the networks
    giving a window the same bits in any batch, which the tests check directly.

    A scorer pickles, and :func:`skvaelstm.persistence.save_model` stores it
    (with its detector) in a model file; loading it resumes the stream exactly.

    Examples
    --------
    >>> import numpy as np
    >>> from skvaelstm import VAELSTMDetector
    >>> from skvaelstm.streaming import StreamScorer
    >>> t = np.arange(1000)
    >>> X = np.sin(2 * np.pi * t / 50)[:, None]
    >>> det = VAELSTMDetector(window_size=10, n_windows=4, max_iter=2,
    ...                       score_aggregation="trailing_max",
    ...                       random_state=0).fit(X[:800])
    >>> live = StreamScorer(det)
    >>> live.min_rows                              # 2 * window_size for trailing_*
    20
    >>> len(live.update(X[800:815]).positions)   # fewer than min_rows: held back
    0
    >>> final = live.update(X[815:821])          # now all 21 rows are final
    >>> final.positions[[0, -1]].tolist(), live.n_rows_final_
    ([0, 20], 21)
    >>> live.update(X[821:822]).positions        # and from now on each row at once
    array([21])
    """

    # scorers pickled before the adaptive threshold existed resume with a fixed one
    adapt_threshold, refit_every, _pot = False, 10, None

    def __init__(self, detector, *, adapt_threshold=False, refit_every=10):
        check_is_fitted(detector)
        detector._validate_params()
        _check_scoring_options(detector.score_aggregation, detector.error_source)
        detector._check_offset()      # a stale offset_ is refused here too
        self.adapt_threshold, self.refit_every = bool(adapt_threshold), refit_every
        self._pot = None
        if adapt_threshold:
            self._pot = _adaptive(detector, refit_every)
        self.detector = copy.deepcopy(detector)
        W = detector.window_size_
        self.look_ahead = _look_ahead(detector.score_aggregation, W)
        self.min_rows = _min_score_rows(detector.score_aggregation, W)
        self._state = _empty_state(_Spec.of(detector), detector.n_features_in_,
                                   detector.code_size)

    @property
    def n_rows_seen_(self):
        return self._state.n

    @property
    def n_rows_final_(self):
        return self._state.n_scored - len(self._state.held)

    @property
    def offset_(self):
        return self.detector.offset_ if self._pot is None else -self._pot.threshold

    def update(self, rows, *, provisional=False):
        """Add rows at the end of the stream; get the scores that became final.

        Parameters
        ----------
        rows : array-like of shape (n_rows, n_features)
            The next rows (any number, also 0 or 1), with the fitted columns.
        provisional : bool, default=False
            Also return the current scores of the newest rows that are not
            final yet (``window_*`` only): what ``score_samples`` gives them on
            the rows received so far; they change as later rows arrive
            (:meth:`end_segment` makes them final when the series ends).

        Returns
        -------
        result : sklearn.utils.Bunch
            ``positions`` (int64, 0-based row numbers in the stream), ``scores``,
            ``offsets`` (the offset each row was compared with: the detector's
            ``offset_``, or with ``adapt_threshold`` the one of the moment),
            ``decisions`` (``scores - offsets``) and ``labels`` (+1 normal, -1
            anomaly) of the rows whose score became final, in order;
            ``provisional_positions`` and ``provisional_scores`` (empty unless
            asked for).

        Raises
        ------
        ValueError, TypeError
            For rows that are not finite numbers or have the wrong columns. The
            scorer is then unchanged: skip or fix the rows and go on.
        """
        det = self.detector
        Z = self._standardised(rows)
        spec = _Spec.of(det)
        state, scored, pending = self._state, [], np.empty((0, 1))
        with _torch_threads(det.n_threads), torch.inference_mode():
            for start in range(0, len(Z), _engine._STEP_ROWS):
                state, errors, pending = _advance(spec, state,
                                                  Z[start:start + _engine._STEP_ROWS])
                scored.append(-errors)           # scores: the lower, the more abnormal
        scores = np.concatenate(scored) if scored else np.empty((0, 1))
        pending = -pending
        if not _scores_finite(det, scores, pending):
            raise InputError("the scores of these rows are not finite: the networks overflow "
                             "on them (values far outside the training data); the scorer "
                             "is unchanged.")
        held = np.concatenate([self._state.held, scores])
        first = self._state.n_scored - len(self._state.held)
        none = (np.empty(0), state.n)
        if state.n < self.min_rows:
            self._state = replace(state, held=held)
            return _result(np.empty(0), first, det.offset_, none)
        self._state = replace(state, held=np.empty((0, 1)))
        return _result(held[:, 0], first, self._offsets(held[:, 0]),
                       (pending[:, 0], state.n) if provisional else none)

    def end_segment(self):
        """End the series here: make the waiting rows' scores final, then start anew.

        The rows whose score waits for later rows (the newest ``look_ahead``
        rows, or every row before ``min_rows``) get the scores the series ends
        with: those of ``score_samples`` on the rows received since the scorer
        was made (or since the last ``end_segment``), the same computation as
        :meth:`update`'s, and, with ``adapt_threshold``, they pass the
        threshold's update as any final row does. A segment of fewer than
        ``min_rows`` rows, which ``score_samples`` refuses, gets no scores: its
        rows are handed out with NaN scores and label +1, as rows that no
        window scores under ``missing="mask"``.

        The scorer then starts a new series with fresh context, as a new
        ``StreamScorer`` of the same detector: the next rows are scored without
        the rows before, and positions, ``n_rows_seen_`` and ``n_rows_final_``
        count from 0 again. It keeps its copy of the detector and, with
        ``adapt_threshold``, the tail learnt so far (a gap in the data restarts
        the context, not the threshold). ``skvaelstm watch --resample`` calls it
        at a gap longer than ``--max-gap``.

        Returns
        -------
        result : sklearn.utils.Bunch
            The rows made final, as :meth:`update` returns them (``positions``
            in the series that ended, ``scores``, ``offsets``, ``decisions``,
            ``labels``; no provisional rows).

        Raises
        ------
        ValueError
            If the waiting rows' scores are not finite; the scorer is then
            unchanged.

        Examples
        --------
        >>> import numpy as np
        >>> from skvaelstm import VAELSTMDetector
        >>> from skvaelstm.streaming import StreamScorer
        >>> X = np.sin(np.arange(600) / 4.0)[:, None]
        >>> det = VAELSTMDetector(window_size=8, n_windows=3, max_iter=2,
        ...                       early_stopping=False, random_state=0).fit(X[:400])
        >>> live = StreamScorer(det)                 # window_max: 7 rows wait
        >>> first = live.update(X[400:450])
        >>> last = live.end_segment()                # the series ends after 50 rows
        >>> last.positions[[0, -1]].tolist(), live.n_rows_seen_
        ([43, 49], 0)
        >>> scores = np.concatenate([first.scores, last.scores])
        >>> bool(np.array_equal(scores, det.score_samples(X[400:450])))
        True
        >>> again = live.update(X[500:600])          # a new series: fresh context
        >>> fresh = StreamScorer(det).update(X[500:600])
        >>> bool(np.array_equal(again.scores, fresh.scores))
        True
        """
        det, state = self.detector, self._state
        first = self.n_rows_final_
        if state.n < self.min_rows:   # too short for any score
            scores = np.full(state.n - first, np.nan)
        elif first == state.n:        # none waits (causal options)
            scores = np.empty(0)
        else:
            with _torch_threads(det.n_threads), torch.inference_mode():
                _, _, pending = _advance(_Spec.of(det), state,
                                         np.empty((0, det.n_features_in_), np.float32))
            scores = np.concatenate([state.held, -pending])[:, 0]
            if not _scores_finite(det, scores):
                raise InputError("the scores of the waiting rows are not finite: the "
                                 "networks overflow on them; the scorer is unchanged.")
        result = _result(scores, first, self._offsets(scores), (np.empty(0), state.n))
        self._state = _empty_state(_Spec.of(det), det.n_features_in_, det.code_size)
        return result

    def _offsets(self, scores):
        """The offsets the final ``scores`` are compared with (in order); with
        ``adapt_threshold`` they update the tail."""
        return (self.detector.offset_ if self._pot is None
                else -self._pot.update(-scores))

    def _to_document(self, arrays):
        """The state as JSON with its arrays in ``arrays`` (for the model file)."""
        from ._io._serialization import _encode

        values = vars(self._state)
        document = {name: _encode(value[..., 0] if name in _COLUMNS and value is not None
                                  else value, f"stream.{name}", arrays)
                    for name, value in values.items()}
        if self._pot is not None:   # older readers ignore it (and the adaptation)
            document["pot"] = {name: _encode(value, f"stream.pot.{name}", arrays)
                               for name, value in self._pot.state().items()}
        return document

    @classmethod
    def _from_document(cls, detector, document, arrays):
        """A scorer of ``detector`` resumed from ``_to_document``'s output; a state
        that does not fit the detector raises ``ValueError``."""
        from ._io._serialization import _decode

        scorer = cls(detector)
        values = {name: _decode(document[name], arrays) for name in vars(scorer._state)}
        C, W = detector.n_features_in_, detector.window_size_
        f32, f64 = np.dtype(np.float32), np.dtype(np.float64)
        shapes = {"tail": ((C,), f32), "codes": ((detector.code_size,), f32),
                  "predicted": ((C, W), f32), "window_errors": ((), f64), "held": ((), f64)}
        for name, (shape, dtype) in shapes.items():
            value = values[name]
            if (not isinstance(value, np.ndarray) or value.shape[1:] != shape
                    or value.dtype != dtype):
                raise InputError(f"the stream state's {name} does not fit the model.")
        for name in ("n", "n_scored", "codes_start", "predicted_start", "errors_start"):
            if not isinstance(values[name], int) or values[name] < 0:
                raise InputError(f"the stream state's {name} is not a count.")
        warmup = values["warmup"]
        if warmup is not None and (not isinstance(warmup, np.ndarray)
                                   or warmup.shape != (W,) or warmup.dtype != f64):
            raise InputError("the stream state's warmup does not fit the model.")
        _check_counts(values, W, scorer.min_rows, detector.error_source != "reconstruction")
        for name in _COLUMNS:
            if values[name] is not None:
                values[name] = values[name][:, None]
        scorer._state = _State(**values)
        if "pot" in document:
            scorer._pot = _pot_from_document(document["pot"], arrays)
            scorer.adapt_threshold, scorer.refit_every = True, scorer._pot.refit_every
        return scorer

    def _standardised(self, rows):
        det = self.detector
        if (getattr(rows, "ndim", None) == 2 and rows.shape[0] == 0
                and rows.shape[1] == det.n_features_in_):
            return np.empty((0, det.n_features_in_), np.float32)
        X = _validate(det, rows, reset=False)
        return _standardise(X, det.mean_, det.scale_)


def _adaptive(detector, refit_every):
    """The SPOT state of ``adapt_threshold`` from the detector's training scores."""
    if detector.contamination != "pot":
        raise InputError(
            f"adapt_threshold needs a detector with contamination='pot', not "
            f"{detector.contamination!r}: detector.set_threshold(contamination='pot').")
    if getattr(detector, "train_scores_", None) is None:
        raise InputError("adapt_threshold needs the detector's train_scores_ (absent from "
                         "older model files): set_threshold(X_train) or refit.")
    if not isinstance(refit_every, (int, np.integer)) or refit_every < 1:
        raise InputError(f"refit_every must be a positive integer, not {refit_every!r}.")
    return _PeaksOverThreshold(-detector.train_scores_, detector.pot_risk,
                               detector.pot_level, int(refit_every), _MAX_PEAKS)


def _pot_from_document(document, arrays):
    from ._io._serialization import _decode

    state = {name: _decode(value, arrays) for name, value in document.items()}
    peaks = state.get("peaks")
    counts = ("n", "n_peaks", "max_peaks", "refit_every", "new_peaks")
    numbers = ("risk", "initial", "shape", "scale", "threshold")
    if (not isinstance(peaks, np.ndarray) or peaks.ndim != 1 or peaks.dtype != np.float64
            or any(not isinstance(state.get(n), int) or state[n] < 0 for n in counts)
            or any(not isinstance(state.get(n), float) for n in numbers)):
        raise InputError("the stream state's adaptive threshold is damaged.")
    return _PeaksOverThreshold.from_state(state)


def _check_counts(v, W, min_rows, predict):
    """The relations between a state's counts and array lengths that ``_advance``
    keeps (a file that breaks them would fail later, or score silently wrong)."""
    n = v["n"]
    rules = {
        "rows kept": len(v["tail"]) == min(n, W - 1),
        "codes": (v["codes_start"] + len(v["codes"]) == n - W + 1) if n >= W
        else len(v["codes"]) == 0,
        "predicted windows": (v["predicted_start"] + len(v["predicted"]) == n)
        if predict and n > W else len(v["predicted"]) == 0,
        "scored rows": len(v["held"]) <= v["n_scored"] <= n
        and (n < min_rows or len(v["held"]) == 0),
        "warm-up": (v["warmup"] is None) == (n < W),
    }
    broken = [name for name, holds in rules.items() if not holds]
    if broken:
        raise InputError(f"the stream state's {', '.join(broken)} do not agree with its "
                         f"{n} rows.")


def _result(scores, first, offset, pending):
    offsets = np.broadcast_to(np.asarray(offset, dtype=np.float64), scores.shape).copy()
    decisions = scores - offsets
    pending_scores, n = pending
    return Bunch(positions=np.arange(first, first + len(scores), dtype=np.int64),
                 scores=scores, offsets=offsets, decisions=decisions,
                 labels=np.where(decisions < 0, -1, 1),
                 provisional_positions=np.arange(n - len(pending_scores), n, dtype=np.int64),
                 provisional_scores=pending_scores)
