"""Advancing a live scorer's state by new rows (see :mod:`skvaelstm.streaming`).

``_advance`` is a pure function of the state and the new standardised rows: it
returns a new state, so that a failure part-way leaves the scorer as it was.
Every step repeats what ``_scoring._row_errors`` does for the same windows —
the same network passes (``_batch_invariant``), the same error arithmetic, the
same summation order — which is why final scores equal batch scores bit for bit.
"""

from dataclasses import dataclass

import numpy as np
import torch

from ._scoring import (
    POOLED,
    _batch_invariant,
    _channel_errors,
    _encode,
    _pool,
    _predict_codes,
)
from ._windowing import _accumulate_row_errors, _coverage, _covering_mean

__all__ = []  # private helper of skvaelstm.streaming


@dataclass(frozen=True)
class _State:
    """What later rows need. Arrays hold consecutive windows (or rows) from the
    stated start; all are copies owned by the state (never changed in place)."""

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
    held: np.ndarray            # final scores not handed out yet (fewer than the minimum rows)


def _advance(det, state, Z_new):
    """The state after the standardised rows ``Z_new``, the final scores of rows
    ``state.n_scored ..`` now known, and the provisional scores (window_*)."""
    W, K = det.window_size_, det.n_windows - 1
    aggregation, source = det.score_aggregation, det.error_source
    pooled = aggregation in POOLED
    predict, reconstruct = source != "reconstruction", source != "prediction"
    first = W if predict else 0          # first scored window, as in _row_errors
    n, N = state.n, state.n + len(Z_new)
    Z = np.concatenate([state.tail, Z_new])
    z0 = n - len(state.tail)              # stream row of Z[0]
    device = det.device_
    rows = torch.from_numpy(Z).to(device)
    vae, lstm = det.vae_, det.lstm_

    # windows completed by the new rows: j_lo .. j_hi
    j_lo, j_hi = max(0, n - W + 1), N - W
    windows = (rows.unfold(0, W, 1) if len(rows) >= W  # windows starting at z0 ..
               else rows.new_empty(0, rows.shape[1], W))
    new_codes = _encode(vae, windows[j_lo - z0:j_hi - z0 + 1]) if j_hi >= j_lo \
        else rows.new_empty(0, det.code_size)
    codes = torch.cat([torch.from_numpy(state.codes).to(device), new_codes])
    codes_start = state.codes_start if len(state.codes) else j_lo

    # every window to decode in one network pass (a pass costs about as much for
    # 1 window as for _BATCH): window 0 for the warm-up rows, the predictions of
    # the new rows' windows and the reconstructions of the completed ones
    warmup = state.warmup
    lo = max(first, j_lo)                 # completed windows that are scored
    to_decode = [codes[:0], codes[:0], codes[:0]]
    if warmup is None and j_hi >= 0:      # window 0 is complete: the warm-up rows
        to_decode[0] = codes[:1]
    starts = np.arange(max(W, n), N) if predict else np.arange(0)
    if len(starts):                       # windows predicted from context before them
        to_decode[1] = _predict_codes(lstm, codes, starts, codes_start, W, det.n_windows)
    if pooled and reconstruct and j_hi >= lo:
        to_decode[2] = codes[lo - codes_start:j_hi - codes_start + 1]
    decoded = torch.split(_batch_invariant(vae.decoder, torch.cat(to_decode)),
                          [len(part) for part in to_decode])
    if len(to_decode[0]):
        warmup = _channel_errors(windows[:1], decoded[0], det.error_scale_[1])[0]
    predicted = torch.from_numpy(state.predicted).to(device)
    predicted_start = state.predicted_start
    if len(starts):
        if len(predicted) == 0:
            predicted_start = int(starts[0])
        predicted = torch.cat([predicted, decoded[1]])

    pending, window_errors, errors_start = np.empty(0), state.window_errors, state.errors_start
    if not pooled:
        scores, n_scored = _per_row(det, state, Z, z0, N, predicted, predicted_start, warmup)
    else:
        new_errors = np.empty(0)
        if j_hi >= lo:
            part = windows[lo - z0:j_hi - z0 + 1]
            errors = None
            if predict:
                errors = _channel_errors(part, predicted[lo - predicted_start:
                                                         j_hi - predicted_start + 1],
                                         det.error_scale_[0])
            if reconstruct:
                rebuilt = _channel_errors(part, decoded[2], det.error_scale_[1])
                if errors is None:
                    errors = rebuilt
                else:
                    errors += rebuilt
                    errors /= 2.0
            new_errors = _pool(errors, aggregation)
        if len(window_errors) == 0:
            errors_start = lo
        window_errors = np.concatenate([window_errors, new_errors])
        scores, n_scored, pending = _pooled_rows(aggregation, W, first, state.n_scored, N,
                                                 warmup, window_errors, errors_start)

    # keep what later rows need
    keep_codes = max(0, N - K * W) - codes_start
    keep_predicted = max(W, N - W + 1) - predicted_start
    keep_errors = max(first, N - 2 * W + 2) - errors_start
    state = _State(
        n=N, n_scored=n_scored, tail=Z[max(0, len(Z) - (W - 1)):].copy(),
        codes=codes[max(keep_codes, 0):].cpu().numpy().copy(),
        codes_start=codes_start + max(keep_codes, 0),
        predicted=predicted[max(keep_predicted, 0):].cpu().numpy().copy(),
        predicted_start=predicted_start + max(keep_predicted, 0),
        window_errors=(window_errors[max(keep_errors, 0):].copy()
                       if aggregation.startswith("window_") else np.empty(0)),
        errors_start=(errors_start + max(keep_errors, 0)
                      if aggregation.startswith("window_") else N),
        warmup=warmup, held=state.held)
    return state, scores, (pending, N)


def _per_row(det, state, Z, z0, N, predicted, predicted_start, warmup):
    """Final scores of the new rows for ``newest``, ``mean`` and ``max``."""
    W, aggregation = det.window_size_, det.score_aggregation
    if warmup is None:
        return np.empty(0), state.n_scored
    scores = []
    if state.n_scored < W:                # warm-up rows: window 0's reconstruction
        scores.append(warmup[state.n_scored:min(W, N)])
    lo = max(W, state.n_scored)           # predicted rows lo .. N - 1
    if N > lo:
        s0 = max(W, lo - W + 1)           # every window covering them, oldest first
        padded = np.concatenate([Z[s0 - z0:], np.zeros((W - 1, Z.shape[1]), Z.dtype)])
        windows = torch.from_numpy(padded).to(det.device_).unfold(0, W, 1)
        errors = _channel_errors(windows, predicted[s0 - predicted_start:],
                                 det.error_scale_[0])
        out = np.full(N - s0, -np.inf if aggregation == "max" else 0.0)
        _accumulate_row_errors(errors, 0, aggregation, out)
        new = out[lo - s0:]
        if aggregation == "mean":
            new = new / _coverage(np.arange(lo, N), W)
        scores.append(new)
    return np.concatenate(scores) if scores else np.empty(0), N


def _pooled_rows(aggregation, W, first, n_scored, N, warmup, window_errors, errors_start):
    """Final and provisional scores for the pooled options."""
    if warmup is None:
        return np.empty(0), n_scored, np.empty(0)
    last = N - W                          # last complete window
    fill = _pool(warmup[None, :], aggregation)[0]
    if aggregation.startswith("trailing_"):
        scored_from = first + W - 1
        rows = np.arange(n_scored, N)
        scores = np.full(len(rows), fill)
        late = rows >= scored_from
        scores[late] = window_errors[rows[late] - (W - 1) - errors_start]
        return scores, N, np.empty(0)
    # window_*: a row is final once every window covering it is complete
    done = max(min(first, N), last + 1)
    scores = [np.full(max(0, min(first, done) - n_scored), fill)]
    pending = np.empty(0)
    if last >= first:
        s0 = max(first, n_scored - W + 1, errors_start)
        values = np.zeros(N - s0)
        values[:last - s0 + 1] = window_errors[s0 - errors_start:last - errors_start + 1]
        # the same sums and counts as score_samples: windows s0 .. last, rows s0 .. N - 1
        _covering_mean(values, 0, last - s0, W)
        scores.append(values[max(n_scored, first) - s0:done - s0])
        pending = values[done - s0:]
    return np.concatenate(scores), done, pending
