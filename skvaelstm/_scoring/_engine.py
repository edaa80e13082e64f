"""The scoring engine: rows in, final row scores out, one step at a time.

``_advance`` takes a state and the next standardised rows and returns the new
state, the rows whose scores became final, and the provisional scores of the
newest rows (``window_*`` only: what they score on the rows so far). Everything
that scores rows is this engine:

* ``score_samples`` is the engine fed once (``_score_rows``: the whole input in
  steps of ``_STEP_ROWS`` rows, then the provisional scores of the last rows);
* ``channel_scores`` is the same with the channels' parts kept (``parts=True``);
* the offset of ``fit`` is the same on the training rows, with the codes that
  training computed (``codes=``) instead of encoding the windows again;
* ``skvaelstm.streaming.StreamScorer`` is the engine plus its persisted state.

A step encodes the windows its rows complete, predicts (LSTM) and decodes the
windows that start at its rows, compares every window with the rows it has, and
pools (``_pooling``). Every network pass holds ``_passes._BATCH`` windows and every
sum adds in a fixed order, so the scores do not depend on how the rows were cut
into steps: stream equals batch by construction, and the tests check it.
"""

from dataclasses import dataclass

import numpy as np
import torch

from ._errors import _combinations, _source_errors, _window_errors
from ._options import POOLED
from ._passes import _decode, _encode, _predict_codes
from ._pooling import _accumulate_row_errors, _coverage, _covering_mean, _pool

# Rows per step of a long input: bounds the activations held at once (a step's
# windows, codes and decoded windows), as batch chunks did.
_STEP_ROWS = 8192


@dataclass(frozen=True)
class _Spec:
    """What the engine scores with: the fitted networks, sizes and options."""

    vae: object
    lstm: object
    device: object
    window_size: int
    n_windows: int
    aggregation: str
    error_source: str
    error_scale: np.ndarray     # (2, n_channels): prediction, reconstruction
    parts: bool = False         # keep the channels' parts (columns 1..)
    combination: str = "geometric"   # channel_combination
    error_tail: np.ndarray = None    # (2, 2, n_channels), rule "tail"

    @classmethod
    def of(cls, detector, parts=False):
        # n_windows_ is what fit used (it may have shrunk it for short training
        # data); models fitted before it existed used n_windows
        return cls(detector.vae_, detector.lstm_, detector.device_, detector.window_size_,
                   getattr(detector, "n_windows_", detector.n_windows),
                   detector.score_aggregation, detector.error_source,
                   detector.error_scale_, parts,
                   getattr(detector, "channel_combination", "geometric"),
                   getattr(detector, "error_tail_", None))

    @property
    def combinations(self):
        """The channel combination of each source (0 prediction, 1 reconstruction)."""
        return _combinations(self.combination, self.error_scale, self.error_tail)

    @property
    def predict(self):
        return self.error_source != "reconstruction"

    @property
    def reconstruct(self):
        return self.error_source != "prediction"

    @property
    def first(self):
        """The first scored window (predicted windows need a window of context)."""
        return self.window_size if self.predict else 0

    @property
    def columns(self):
        return 1 + len(self.error_scale[0]) if self.parts else 1


@dataclass(frozen=True)
class _State:
    """What later rows need. Arrays hold consecutive windows (or rows) from the
    stated start; all are copies owned by the state (never changed in place).
    Score arrays have one column per score column (``_Spec.columns``)."""

    n: int                      # rows received
    n_scored: int               # rows whose final score is known
    tail: np.ndarray            # the last window_size - 1 standardised rows
    codes: np.ndarray           # VAE means of windows codes_start ..
    codes_start: int
    predicted: np.ndarray       # decoded predictions of windows predicted_start ..
    predicted_start: int
    window_errors: np.ndarray   # pooled errors of windows errors_start .. (window_*)
    errors_start: int
    warmup: np.ndarray          # the warm-up rows' errors (None until window 0 is complete)
    held: np.ndarray            # final scores not handed out yet (StreamScorer's minimum)


def _empty_state(spec, n_channels, code_size):
    W, K = spec.window_size, spec.columns
    return _State(
        n=0, n_scored=0, tail=np.empty((0, n_channels), np.float32),
        codes=np.empty((0, code_size), np.float32), codes_start=0,
        predicted=np.empty((0, n_channels, W), np.float32), predicted_start=W,
        window_errors=np.empty((0, K)), errors_start=0, warmup=None, held=np.empty((0, K)))


def _score_rows(spec, X, standardise, codes=None):
    """Every row's error columns, (n_samples, K) float64: the engine fed ``X`` in
    steps, then the provisional scores of the rows that later rows would change.

    ``standardise(part)`` turns raw rows into float32 standardised ones;
    ``codes``, if given, are the VAE means of all windows of ``X`` (``fit``)."""
    state = _empty_state(spec, X.shape[1], spec.vae.encoder.mean.out_features)
    scored, pending = [], np.empty((0, spec.columns))
    with torch.inference_mode():
        for start in range(0, len(X), _STEP_ROWS):
            part = standardise(X[start:start + _STEP_ROWS])
            state, scores, pending = _advance(spec, state, part, codes)
            scored.append(scores)
    return np.concatenate(scored + [pending])


def _advance(spec, state, Z_new, codes=None):
    """The state after the standardised rows ``Z_new``, the final error columns of
    rows ``state.n_scored ..`` now known, and the provisional ones of the newest
    rows (``window_*``; otherwise empty)."""
    W, K = spec.window_size, spec.n_windows - 1
    first = spec.first
    n, N = state.n, state.n + len(Z_new)
    Z = np.concatenate([state.tail, Z_new])
    z0 = n - len(state.tail)              # stream row of Z[0]
    device, vae = spec.device, spec.vae
    rows = torch.from_numpy(Z).to(device)

    # windows completed by the new rows: j_lo .. j_hi
    j_lo, j_hi = max(0, n - W + 1), N - W
    windows = (rows.unfold(0, W, 1) if len(rows) >= W  # windows starting at z0 ..
               else rows.new_empty(0, rows.shape[1], W))
    if j_hi < j_lo:
        new_codes = rows.new_empty(0, state.codes.shape[1])
    elif codes is not None:
        new_codes = codes[j_lo:j_hi + 1]
    else:
        new_codes = _encode(vae, windows[j_lo - z0:j_hi - z0 + 1])
    all_codes = torch.cat([torch.from_numpy(state.codes).to(device), new_codes])
    codes_start = state.codes_start if len(state.codes) else j_lo

    # every window to decode in one network pass (a pass costs about as much for
    # 1 window as for _BATCH): window 0 for the warm-up rows, the predictions of
    # the windows starting at the new rows and the reconstructions of the
    # completed ones
    warmup = state.warmup
    lo = max(first, j_lo)                 # completed windows that are scored
    pooled = spec.aggregation in POOLED
    to_decode = [all_codes[:0], all_codes[:0], all_codes[:0]]
    if warmup is None and j_hi >= 0:      # window 0 is complete: the warm-up rows
        to_decode[0] = all_codes[:1]
    starts = np.arange(max(W, n), N) if spec.predict else np.arange(0)
    if len(starts):                       # windows predicted from context before them
        to_decode[1] = _predict_codes(spec.lstm, all_codes, starts, codes_start, W,
                                      spec.n_windows)
    if pooled and spec.reconstruct and j_hi >= lo:
        to_decode[2] = all_codes[lo - codes_start:j_hi - codes_start + 1]
    decoded = torch.split(_decode(vae, torch.cat(to_decode)),
                          [len(part) for part in to_decode])
    if len(to_decode[0]):
        warmup = _window_errors(windows[:1], decoded[0], spec.combinations[1],
                                spec.parts)[0]
    predicted = torch.from_numpy(state.predicted).to(device)
    predicted_start = state.predicted_start
    if len(starts):
        if len(predicted) == 0:
            predicted_start = int(starts[0])
        predicted = torch.cat([predicted, decoded[1]])

    pending = np.empty((0, spec.columns))
    window_errors, errors_start = state.window_errors, state.errors_start
    if not pooled:
        scores, n_scored = _per_row(spec, state.n_scored, Z, z0, N, predicted,
                                    predicted_start, warmup)
    else:
        if j_hi >= lo:
            guesses = (predicted[lo - predicted_start:j_hi - predicted_start + 1]
                       if spec.predict else None)
            rebuilt = (decoded[2] if spec.reconstruct else _stand_ins(
                vae, guesses, all_codes[lo - codes_start:j_hi - codes_start + 1]))
            errors = _source_errors(windows[lo - z0:j_hi - z0 + 1], guesses, rebuilt,
                                    spec.combinations, spec.parts,
                                    stand_in=not spec.reconstruct)
            new_errors = _pool(errors, spec.aggregation)
        else:
            new_errors = np.empty((0, spec.columns))
        if len(window_errors) == 0:
            errors_start = lo
        window_errors = np.concatenate([window_errors, new_errors])
        scores, n_scored, pending = _pooled_rows(spec, state.n_scored, N, warmup,
                                                 window_errors, errors_start)

    # keep what later rows need
    keep_codes = max(0, max(0, N - K * W) - codes_start)
    keep_predicted = max(0, max(W, N - W + 1) - predicted_start)
    keep_errors = max(0, max(first, N - 2 * W + 2) - errors_start)
    windowed = spec.aggregation.startswith("window_")
    state = _State(
        n=N, n_scored=n_scored, tail=Z[max(0, len(Z) - (W - 1)):].copy(),
        codes=all_codes[keep_codes:].cpu().numpy().copy(),
        codes_start=codes_start + keep_codes,
        predicted=predicted[keep_predicted:].cpu().numpy().copy(),
        predicted_start=predicted_start + keep_predicted,
        window_errors=(window_errors[keep_errors:].copy() if windowed
                       else np.empty((0, spec.columns))),
        errors_start=errors_start + keep_errors if windowed else N,
        warmup=warmup, held=state.held)
    return state, scores, pending


def _per_row(spec, n_scored, Z, z0, N, predicted, predicted_start, warmup):
    """Final error columns of the rows ``n_scored .. N - 1`` for ``newest``,
    ``mean`` and ``max``: all of them are final once they arrive."""
    W, aggregation = spec.window_size, spec.aggregation
    if warmup is None:
        return np.empty((0, spec.columns)), n_scored
    scores = []
    if n_scored < W:                      # warm-up rows: window 0's reconstruction
        scores.append(warmup[n_scored:min(W, N)])
    lo = max(W, n_scored)                 # predicted rows lo .. N - 1
    if N > lo:
        s0 = max(W, lo - W + 1)           # every window covering them, oldest first
        padded = np.concatenate([Z[s0 - z0:], np.zeros((W - 1, Z.shape[1]), Z.dtype)])
        windows = torch.from_numpy(padded).to(spec.device).unfold(0, W, 1)
        errors = _window_errors(windows, predicted[s0 - predicted_start:],
                                spec.combinations[0], spec.parts)
        out = np.full((N - s0, spec.columns), -np.inf if aggregation == "max" else 0.0)
        # missing values: windows without an error for a row are left out of its
        # mean and max; a row without any keeps no score (NaN)
        counts = np.zeros(N - s0) if np.isnan(errors[:, :, 0]).any() else None
        _accumulate_row_errors(errors, 0, aggregation, out, counts)
        new = out[lo - s0:]
        if aggregation == "mean":
            with np.errstate(invalid="ignore"):
                new = new / (_coverage(np.arange(lo, N), W) if counts is None
                             else counts[lo - s0:])[:, None]
        elif aggregation == "max":
            new = np.where(np.isinf(new[:, :1]) & (new[:, :1] < 0), np.nan, new)
        scores.append(new)
    return np.concatenate(scores), N


def _pooled_rows(spec, n_scored, N, warmup, window_errors, errors_start):
    """Final and provisional error columns for the pooled options."""
    W, aggregation, first = spec.window_size, spec.aggregation, spec.first
    empty = np.empty((0, spec.columns))
    if warmup is None:
        return empty, n_scored, empty
    last = N - W                          # last complete window
    # rows that no window of the option scores: window 0's reconstruction, pooled
    fill = _pool(warmup[None], aggregation)[0]
    if aggregation.startswith("trailing_"):
        scored_from = first + W - 1
        rows = np.arange(n_scored, N)
        scores = np.repeat(fill[None], len(rows), axis=0)
        late = rows >= scored_from
        scores[late] = window_errors[rows[late] - (W - 1) - errors_start]
        return scores, N, empty
    # window_*: a row is final once every window covering it is complete
    done = max(min(first, N), last + 1)
    scores = [np.repeat(fill[None], max(0, min(first, done) - n_scored), axis=0)]
    pending = empty
    if last >= first:
        s0 = max(first, n_scored - W + 1, errors_start)
        values = np.zeros((N - s0, spec.columns))
        values[:last - s0 + 1] = window_errors[s0 - errors_start:last - errors_start + 1]
        # the same sums and counts for every cut of the rows: windows s0 .. last
        _covering_mean(values, 0, last - s0, W)
        scores.append(values[max(n_scored, first) - s0:done - s0])
        pending = values[done - s0:]
    return np.concatenate(scores), done, pending


def _stand_ins(vae, predicted, codes):
    """``error_source="prediction"``, pooled: the reconstructions of the windows
    without a prediction (missing values: their context holds a skipped window),
    NaN for the others; None when every window has one (always without NaN). As
    the warm-up rows get window 0's reconstruction: a measured value, not a fill."""
    none = torch.isnan(predicted).flatten(1).all(dim=1)
    if not bool(none.any()):
        return None
    rebuilt = torch.full_like(predicted, float("nan"))
    rebuilt[none] = _decode(vae, codes[none])
    return rebuilt
