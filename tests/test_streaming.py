"""The live scorer: final scores equal score_samples bit for bit, for any cuts of
the stream; bounded state; restarts; bad rows leave the scorer unchanged."""

import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.exceptions import NotFittedError

from skvaelstm import VAELSTMDetector
from skvaelstm._scoring import _engine, _passes
from skvaelstm.persistence import ModelFileError, load_model, save_model
from skvaelstm.streaming import StreamScorer

from .conftest import TINY, seasonal

OPTIONS = ([(a, "prediction") for a in ("newest", "mean", "max")]
           + [(a, s) for a in ("window_mean", "window_max", "trailing_mean", "trailing_max")
              for s in ("prediction", "reconstruction", "both")])
N_TRAIN, N_LIVE = 200, 160


@pytest.fixture(scope="module")
def stream_data():
    X = seasonal(N_TRAIN + N_LIVE, n_channels=3, seed=3)
    X[N_TRAIN + 90:N_TRAIN + 94, 1] += 4.0
    return X


@pytest.fixture(scope="module")
def base(stream_data):
    return VAELSTMDetector(**TINY).fit(stream_data[:N_TRAIN])


def _detector(base, aggregation, source):
    """A copy of ``base`` with other scoring options, and the threshold of them
    (``set_threshold``: its training rows scored with the new options; a scorer
    refuses a detector whose ``offset_`` belongs to other options)."""
    det = pickle.loads(pickle.dumps(base))
    det.set_params(score_aggregation=aggregation, error_source=source)
    return det.set_threshold(seasonal(N_TRAIN + N_LIVE, n_channels=3, seed=3)[:N_TRAIN])


def _run(scorer, X, sizes, provisional=False):
    """Feed ``X`` in pieces of ``sizes`` (cycled); all results concatenated."""
    out, start, k = [], 0, 0
    while start < len(X):
        size = sizes[k % len(sizes)]
        out.append(scorer.update(X[start:start + size], provisional=provisional))
        start, k = start + size, k + 1
    return out


def _joined(results, key):
    return np.concatenate([getattr(r, key) for r in results])


@pytest.mark.parametrize("aggregation,source", OPTIONS)
@pytest.mark.parametrize("sizes", [[1], [3, 1, 7], [500]], ids=["rows", "mixed", "whole"])
def test_final_scores_equal_score_samples_bit_for_bit(base, stream_data, aggregation,
                                                      source, sizes):
    det = _detector(base, aggregation, source)
    X = stream_data[N_TRAIN:]
    expected = det.score_samples(X)
    live = StreamScorer(det)
    results = _run(live, X, sizes)
    positions = _joined(results, "positions")
    W = det.window_size_
    n_final = N_LIVE - live.look_ahead
    assert live.look_ahead == (W - 1 if aggregation.startswith("window_") else 0)
    np.testing.assert_array_equal(positions, np.arange(n_final))
    np.testing.assert_array_equal(_joined(results, "scores"), expected[:n_final])
    np.testing.assert_array_equal(_joined(results, "decisions"),
                                  det.decision_function(X)[:n_final])
    np.testing.assert_array_equal(_joined(results, "labels"), det.predict(X)[:n_final])
    assert live.n_rows_seen_ == N_LIVE and live.n_rows_final_ == n_final


@pytest.mark.parametrize("aggregation", ["window_mean", "window_max"])
def test_provisional_scores_are_score_samples_of_the_rows_so_far(base, stream_data,
                                                                 aggregation):
    det = _detector(base, aggregation, "both")
    X = stream_data[N_TRAIN:]
    live = StreamScorer(det)
    seen = 0
    for size in [10, 1, 1, 5, 2, 30, 1]:
        result = live.update(X[seen:seen + size], provisional=True)
        seen += size
        if seen < live.min_rows:
            assert len(result.provisional_scores) == 0
            continue
        so_far = det.score_samples(X[:seen])
        np.testing.assert_array_equal(result.provisional_positions,
                                      np.arange(live.n_rows_final_, seen))
        np.testing.assert_array_equal(result.provisional_scores,
                                      so_far[live.n_rows_final_:])
        np.testing.assert_array_equal(result.scores, so_far[result.positions])


def _same_bunch(a, b):
    assert set(a) == set(b)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


@pytest.mark.parametrize("aggregation,source", [("window_max", "both"),
                                                ("window_mean", "prediction"),
                                                ("trailing_max", "both"),
                                                ("newest", "prediction")])
def test_end_segment_finalises_the_segment_and_starts_a_fresh_stream(base, stream_data,
                                                                     aggregation, source):
    det = _detector(base, aggregation, source)
    X = stream_data[N_TRAIN:]
    live = StreamScorer(det)
    results = _run(live, X[:70], [9])
    waiting = live.n_rows_seen_ - live.n_rows_final_
    assert waiting == live.look_ahead
    end = live.end_segment()
    # the waiting rows get the scores of score_samples on the segment alone
    np.testing.assert_array_equal(end.positions, np.arange(70 - waiting, 70))
    segment = det.score_samples(X[:70])
    np.testing.assert_array_equal(_joined(results + [end], "scores"), segment)
    np.testing.assert_array_equal(end.offsets, np.full(waiting, det.offset_))
    np.testing.assert_array_equal(end.decisions, det.decision_function(X[:70])[-waiting:]
                                  if waiting else np.empty(0))
    np.testing.assert_array_equal(_joined(results + [end], "labels"), det.predict(X[:70]))
    assert len(end.provisional_positions) == 0 == len(end.provisional_scores)
    assert live.n_rows_seen_ == 0 == live.n_rows_final_
    # then the next rows score as a new scorer's would, positions from 0
    new = StreamScorer(det)
    for a, b in zip(_run(live, X[90:], [7, 2]) + [live.end_segment()],
                    _run(new, X[90:], [7, 2]) + [new.end_segment()]):
        _same_bunch(a, b)
    assert pickle.dumps(live._state) == pickle.dumps(StreamScorer(det)._state)
    assert len(live.end_segment().positions) == 0   # nothing received: nothing to end


def test_end_segment_of_a_segment_too_short_to_score(base, stream_data):
    det = _detector(base, "window_max", "both")
    X = stream_data[N_TRAIN:]
    live = StreamScorer(det)
    assert len(live.update(X[:live.min_rows - 1], provisional=True).positions) == 0
    end = live.end_segment()
    # score_samples refuses so few rows: no scores, label +1 (as unscored rows)
    np.testing.assert_array_equal(end.positions, np.arange(live.min_rows - 1))
    assert np.isnan(end.scores).all() and np.isnan(end.decisions).all()
    assert (end.labels == 1).all() and live.n_rows_seen_ == 0
    result = live.update(X[:40])
    np.testing.assert_array_equal(result.scores, det.score_samples(X[:40])[result.positions])


def test_end_segment_keeps_the_adaptive_tail(base, stream_data):
    det = _detector(base, "window_max", "both").set_threshold(
        stream_data[:N_TRAIN], contamination="pot", pot_level=0.9)
    X = stream_data[N_TRAIN:]
    live = StreamScorer(det, adapt_threshold=True, refit_every=1)
    _run(live, X[:80], [11])
    # the ended segment's rows pass the threshold's update like any final row:
    # the same offsets and tail as a scorer that got them from a longer stream
    # (whose rows up to 80 - look_ahead are the same, then these rows' scores)
    twin = pickle.loads(pickle.dumps(live))
    waiting = live.look_ahead
    end = live.end_segment()
    expected = twin._pot.threshold
    tail = pickle.loads(pickle.dumps(twin._pot))
    np.testing.assert_array_equal(-tail.update(-end.scores), end.offsets)
    assert end.offsets[0] == -expected and len(end.offsets) == waiting
    assert pickle.dumps(vars(live._pot)) == pickle.dumps(vars(tail))
    assert live._pot.n == twin._pot.n + int((end.labels == 1).sum())   # rows scored normal
    # kept after the restart: the next rows are compared with the tail learnt so far
    after = live.update(X[100:140])
    np.testing.assert_array_equal(after.offsets[:1], [-tail.threshold])
    assert live.adapt_threshold and live._pot is not None
    fresh = StreamScorer(det, adapt_threshold=True, refit_every=1).update(X[100:140])
    np.testing.assert_array_equal(after.scores, fresh.scores)


@pytest.mark.parametrize("how", ["pickle", "model file"])
def test_a_scorer_after_end_segment_resumes_exactly(base, stream_data, tmp_path, how):
    det = _detector(base, "window_mean", "both").set_threshold(
        stream_data[:N_TRAIN], contamination="pot", pot_level=0.9)
    X = stream_data[N_TRAIN:]

    def run(split):
        live = StreamScorer(det, adapt_threshold=True, refit_every=2)
        out = _run(live, X[:60], [5]) + [live.end_segment()] + _run(live, X[70:95], [5])
        if split:
            if how == "pickle":
                live = pickle.loads(pickle.dumps(live))
            else:
                save_model(live, tmp_path / "live.skv")
                live = load_model(tmp_path / "live.skv")
        return out + _run(live, X[95:], [5]) + [live.end_segment()]

    whole, resumed = run(False), run(True)
    for key in ("positions", "scores", "offsets", "labels"):
        np.testing.assert_array_equal(_joined(resumed, key), _joined(whole, key))


def test_causal_options_have_no_provisional_rows(base, stream_data):
    live = StreamScorer(_detector(base, "trailing_max", "both"))
    result = live.update(stream_data[N_TRAIN:N_TRAIN + 50], provisional=True)
    assert len(result.provisional_positions) == 0
    assert result.positions[-1] == 49


def test_nothing_is_handed_out_before_min_rows(base, stream_data):
    det = _detector(base, "newest", "prediction")
    live = StreamScorer(det)
    W = det.window_size_
    assert live.min_rows == W + 1  # what score_samples needs
    for i in range(W):
        assert len(live.update(stream_data[N_TRAIN + i:N_TRAIN + i + 1]).positions) == 0
    result = live.update(stream_data[N_TRAIN + W:N_TRAIN + W + 1])
    np.testing.assert_array_equal(result.positions, np.arange(W + 1))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(option=st.sampled_from(OPTIONS),
       cuts=st.lists(st.integers(1, 30), min_size=1, max_size=60))
@pytest.mark.slow
def test_any_chunking_gives_the_batch_scores(base, stream_data, option, cuts):
    det = _detector(base, *option)
    X = stream_data[N_TRAIN:]
    expected = det.score_samples(X)
    results = _run(StreamScorer(det), X, cuts)
    positions = _joined(results, "positions")
    np.testing.assert_array_equal(positions, np.arange(len(positions)))
    np.testing.assert_array_equal(_joined(results, "scores"), expected[:len(positions)])


def test_large_updates_are_processed_in_steps(base, stream_data, monkeypatch):
    det = _detector(base, "window_max", "both")
    X = stream_data[N_TRAIN:]
    monkeypatch.setattr(_engine, "_STEP_ROWS", 7)
    result = StreamScorer(det).update(X)
    np.testing.assert_array_equal(result.scores, det.score_samples(X)[result.positions])


@pytest.mark.parametrize("aggregation,source", [("mean", "prediction"),
                                                ("window_max", "both")])
def test_score_samples_does_not_depend_on_its_chunks(base, stream_data, monkeypatch,
                                                     aggregation, source):
    # batch scores are themselves the same for any internal chunking (the
    # property the live scorer rests on): chunks of 5 windows, batches of 3
    det = _detector(base, aggregation, source)
    X = stream_data[N_TRAIN:]
    expected = det.score_samples(X)
    monkeypatch.setattr(_engine, "_STEP_ROWS", 5)
    np.testing.assert_array_equal(det.score_samples(X), expected)
    for n in (40, 77, N_LIVE - 1):   # causal: a prefix scores its rows the same
        if aggregation == "mean":
            np.testing.assert_array_equal(det.score_samples(X[:n]), expected[:n])


@pytest.mark.parametrize("n_channels,window", [(1, 8), (3, 4), (5, 12)])
def test_networks_give_a_window_the_same_bits_in_any_batch(n_channels, window):
    # the measured property behind _passes._BATCH: fixed-size batches make a
    # window's outputs independent of its batch-mates and its place among them
    X = seasonal(300, n_channels=n_channels)
    det = VAELSTMDetector(**{**TINY, "window_size": window, "max_iter": 1}).fit(X)
    windows = torch.from_numpy(X.astype(np.float32)).unfold(0, window, 1)
    encode = lambda x: det.vae_.encoder(x)[0]  # noqa: E731
    with torch.inference_mode():
        whole = _passes._batch_invariant(encode, windows)
        for start, stop in [(0, 1), (5, 7), (3, 140), (200, len(windows))]:
            assert torch.equal(_passes._batch_invariant(encode, windows[start:stop]),
                               whole[start:stop])
        decoded = _passes._batch_invariant(det.vae_.decoder, whole)
        assert torch.equal(_passes._batch_invariant(det.vae_.decoder, whole[9:10]),
                           decoded[9:10])
        context = whole[torch.arange(100)[:, None] + torch.tensor([0, window])[None, :]]
        predicted = _passes._batch_invariant(det.lstm_, context)
        assert torch.equal(_passes._batch_invariant(det.lstm_, context[42:44]),
                           predicted[42:44])


def test_state_stays_bounded(base):
    X = seasonal(N_TRAIN + 6000, n_channels=3, seed=1)[N_TRAIN:]
    det = _detector(base, "window_max", "both")
    live = StreamScorer(det)

    def state_bytes():
        return sum(getattr(v, "nbytes", 0) for v in vars(live._state).values())

    sizes = []
    for start in range(0, len(X), 500):
        live.update(X[start:start + 500])
        sizes.append(state_bytes())
    for start in range(0, 200):
        live.update(X[start:start + 1])
        sizes.append(state_bytes())
    assert max(sizes[1:]) == min(sizes[1:])   # the same after 500 rows and after 6,200
    W, K, C = det.window_size_, det.n_windows - 1, 3
    # float32 rows, codes and predicted windows; float64 window errors and warm-up
    expected = 4 * ((W - 1) * C + ((K - 1) * W + 1) * det.code_size + (W - 1) * C * W) \
        + 8 * ((W - 1) + W)
    assert sizes[-1] == expected


def test_bad_rows_raise_and_leave_the_scorer_unchanged(base, stream_data):
    det = _detector(base, "window_max", "both")
    X = stream_data[N_TRAIN:]
    clean = StreamScorer(det)
    expected = _run(clean, X, [9])
    live = StreamScorer(det)
    bad_rows = {
        "NaN": (np.array([[np.nan, 0.0, 0.0]]), ValueError, "NaN"),
        "infinity": (np.array([[0.0, np.inf, 0.0]]), ValueError, "infinity"),
        "columns": (np.zeros((1, 2)), ValueError, "3 features"),
        "text": (np.array([["1.0", "abc", "2.0"]], dtype=object), ValueError, "abc"),
        "1-D": (np.zeros(3), ValueError, "2D array"),
        "extreme": (np.array([[1e300, 0.0, 0.0]]), ValueError, "standard deviations"),
    }
    got, start = [], 0
    for name, (rows, error, match) in bad_rows.items():
        got.append(live.update(X[start:start + 9]))
        start += 9
        before = pickle.dumps(live._state)
        with pytest.raises(error, match=match):
            live.update(rows)
        assert pickle.dumps(live._state) == before, name
    got += _run(live, X[start:], [9])
    np.testing.assert_array_equal(_joined(got, "scores"), _joined(expected, "scores"))


def test_dataframes_with_the_fitted_names(stream_data):
    columns = ["a", "b", "c"]
    frame = pd.DataFrame(stream_data, columns=columns)
    det = VAELSTMDetector(**TINY).fit(frame.iloc[:N_TRAIN])
    live = StreamScorer(det)
    result = live.update(frame.iloc[N_TRAIN:])
    np.testing.assert_array_equal(result.scores,
                                  det.score_samples(frame.iloc[N_TRAIN:])[result.positions])
    with pytest.raises(ValueError, match="feature names"):
        live.update(frame.iloc[:1].rename(columns={"a": "z"}))


def test_empty_updates_and_construction_errors(base, fitted):
    live = StreamScorer(base)
    result = live.update(np.empty((0, 3)))
    assert len(result.positions) == 0 and live.n_rows_seen_ == 0
    with pytest.raises(NotFittedError):
        StreamScorer(VAELSTMDetector())
    det = _detector(base, "window_max", "both")
    det.score_aggregation = "mean"   # per-row options need the prediction source
    with pytest.raises(ValueError, match="error_source='prediction'"):
        StreamScorer(det)


def test_the_scorer_keeps_its_own_copy(base, stream_data):
    det = _detector(base, "trailing_max", "both")
    X = stream_data[N_TRAIN:]
    expected = det.score_samples(X)
    live = StreamScorer(det)
    det.fit(stream_data[:N_TRAIN][::-1].copy())   # refitting the original changes nothing
    result = live.update(X)
    np.testing.assert_array_equal(result.scores, expected)


@pytest.mark.parametrize("how", ["pickle", "model file"])
def test_a_restarted_scorer_resumes_exactly(base, stream_data, tmp_path, how):
    det = _detector(base, "window_mean", "both")
    X = stream_data[N_TRAIN:]
    whole = _run(StreamScorer(det), X, [5])
    live = StreamScorer(det)
    first = _run(live, X[:63], [5])
    if how == "pickle":
        resumed = pickle.loads(pickle.dumps(live))
    else:
        save_model(live, tmp_path / "live.skv", metadata={"note": "mid-stream"})
        resumed = load_model(tmp_path / "live.skv")
    assert isinstance(resumed, StreamScorer) and resumed.n_rows_seen_ == 63
    rest = _run(resumed, X[63:], [5])   # cut elsewhere than the uninterrupted run
    np.testing.assert_array_equal(_joined(first + rest, "scores"), _joined(whole, "scores"))
    np.testing.assert_array_equal(_joined(first + rest, "positions"),
                                  _joined(whole, "positions"))


def test_a_model_file_without_stream_state_loads_a_detector(base, tmp_path):
    save_model(base, tmp_path / "m.skv")
    assert isinstance(load_model(tmp_path / "m.skv"), VAELSTMDetector)


def test_a_damaged_stream_state_is_refused(base, stream_data, tmp_path, monkeypatch):
    live = StreamScorer(base)
    live.update(stream_data[N_TRAIN:N_TRAIN + 30])
    original = StreamScorer._to_document

    def tampered(self, arrays):
        document = original(self, arrays)
        arrays["stream.tail"] = torch.zeros(3, 7)   # a row of 7 channels
        return document

    monkeypatch.setattr(StreamScorer, "_to_document", tampered)
    save_model(live, tmp_path / "bad.skv")
    with pytest.raises(ModelFileError, match="stream state's tail"):
        load_model(tmp_path / "bad.skv")
    # the right shape in another type would reach the networks: refused as well
    def retyped(self, arrays):
        document = original(self, arrays)
        arrays["stream.codes"] = arrays["stream.codes"].double()
        return document

    monkeypatch.setattr(StreamScorer, "_to_document", retyped)
    save_model(live, tmp_path / "bad2.skv")
    with pytest.raises(ModelFileError, match="stream state's codes"):
        load_model(tmp_path / "bad2.skv")


@pytest.mark.parametrize("aggregation,source", [("newest", "prediction"),
                                                ("window_max", "both"),
                                                ("trailing_mean", "reconstruction")])
def test_every_state_passes_the_load_checks(base, stream_data, aggregation, source):
    # the consistency rules a loaded state must meet hold after every update
    det = _detector(base, aggregation, source)
    live = StreamScorer(det)
    for start in range(0, 40):
        live.update(stream_data[N_TRAIN + start:N_TRAIN + start + 1])
        arrays = {}
        document = live._to_document(arrays)
        StreamScorer._from_document(live.detector, document, arrays)


def test_inconsistent_counts_are_refused(base, stream_data):
    live = StreamScorer(base)
    live.update(stream_data[N_TRAIN:N_TRAIN + 30])
    arrays = {}
    document = live._to_document(arrays)
    document["n"] = 7
    with pytest.raises(ValueError, match="do not agree with its 7 rows"):
        StreamScorer._from_document(live.detector, document, arrays)
