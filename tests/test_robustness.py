"""Reliability: fuzzed inputs, hard numerics, diverging and interrupted training,
concurrent scoring, determinism across processes and untrusted model files.

The contract checked everywhere: a call either returns finite float64 scores of
the right length (``predict``: +1/-1) or raises ``ValueError``/``TypeError``
whose message names the problem; never another exception, never NaN scores,
never a half-fitted estimator. The command line is checked in
``test_cli_malformed.py``; the counts of generated inputs and the outcomes are
recorded in ``benchmarks/results/robustness.md``.
"""

import copy
import os
import pickle
import re
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor

import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from skvaelstm import VAELSTMDetector
from skvaelstm._model._window_size import _min_fit_rows
from skvaelstm.persistence import UntrustedModelFileError, load_model, read_model_info

from .conftest import TINY, Exploit, seasonal

# Deterministic runs: the same inputs on every machine and every run, and no
# example database replaying old failures; fits take milliseconds, so no deadline.
FUZZ = dict(derandomize=True, database=None, deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
# One epoch per stage: the fit properties check the contract, not the model.
FIT_PARAMS = dict(TINY, max_iter=1)
ES_PARAMS = dict(FIT_PARAMS, early_stopping=True, validation_fraction=0.5)
MIN_FIT_ROWS = {False: _min_fit_rows(4, 3, False, 0.1), True: _min_fit_rows(4, 3, True, 0.5)}
MIN_SCORE_ROWS = 2 * TINY["window_size"]  # pooled default: one complete predicted window


# --------------------------------------------------------------------------
# generated inputs
# --------------------------------------------------------------------------
FAMILIES = ("hypothesis-floats", "sine", "constant", "huge-offset", "denormal", "spike", "step")
DTYPES = ("float64", "float32", "float16", "int64", "int8", "uint64", "bool", "complex128",
          "object-numbers", "object-strings", "str")


@st.composite
def _values(draw, shape):
    """float64 values of one family: every magnitude from denormals to 1e308."""
    family = draw(st.sampled_from(FAMILIES))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n_rows, n_cols = shape
    wave = (np.sin(np.arange(n_rows)[:, None] / 3.0 + np.arange(n_cols)[None, :])
            + 0.1 * rng.standard_normal(shape))
    if family == "hypothesis-floats":
        return draw(hnp.arrays(np.float64, shape, elements=st.floats(
            allow_nan=False, allow_infinity=False, allow_subnormal=True)))
    if family == "sine":
        return 10.0 ** draw(st.integers(-323, 307)) * wave
    if family == "constant":
        value = draw(st.floats(allow_nan=False, allow_infinity=False))
        return np.full(shape, value)
    if family == "huge-offset":  # e.g. 1e12 + small noise: float64 keeps few digits
        offset = draw(st.sampled_from([1.0, -1.0])) * 10.0 ** draw(st.integers(6, 307))
        return offset * (1.0 + 10.0 ** -draw(st.integers(3, 18)) * wave)
    if family == "denormal":
        return 5e-324 * rng.integers(-3, 4, shape).astype(float)
    if family == "spike":
        out = wave.copy()
        if out.size:
            out.flat[draw(st.integers(0, out.size - 1))] = 10.0 ** draw(st.integers(3, 307))
        return out
    levels = draw(st.tuples(st.floats(-1e6, 1e6), st.floats(-1e6, 1e6)))
    return np.where(np.arange(n_rows)[:, None] < n_rows // 2, *levels) + 0 * wave


@st.composite
def arrays_of_any_kind(draw, min_rows):
    """Arrays of every dtype, value family and layout, with lengths around ``min_rows``."""
    n_rows = draw(st.one_of(st.sampled_from([min_rows - 1, min_rows, min_rows + 1]),
                            st.integers(min_rows, 4 * min_rows), st.integers(0, 4 * min_rows)))
    n_cols = draw(st.sampled_from([1, 1, 1, 1, 1, 2, 3, 0]))
    shape = (n_rows, n_cols)
    dtype = draw(st.sampled_from(("float64",) * 4 + DTYPES))  # mostly valid
    if dtype in ("int64", "int8", "uint64", "bool"):
        X = draw(hnp.arrays(np.dtype(dtype), shape))
    else:
        X = draw(_values(shape))
        fault = draw(st.sampled_from([None] * 5 + [np.nan, np.inf, -np.inf]))
        if fault is not None and X.size:
            X.flat[draw(st.integers(0, X.size - 1))] = fault
        with np.errstate(over="ignore"):  # float16/32 overflow to inf is a case too
            if dtype in ("float32", "float16", "complex128"):
                X = X.astype(dtype)
            elif dtype == "object-numbers":
                X = X.astype(object)
                if X.size and draw(st.booleans()):  # Python ints beyond float64
                    X.flat[draw(st.integers(0, X.size - 1))] = draw(st.sampled_from(
                        [10**300, -10**309, 10**400, 2**1024]))
            elif dtype == "object-strings":
                X = np.array([repr(float(v)) for v in X.ravel()], dtype=object).reshape(shape)
                if X.size and draw(st.booleans()):
                    X.flat[draw(st.integers(0, X.size - 1))] = draw(st.sampled_from(
                        ["n/a", "", "1,5", "high", "0x1F"]))
            elif dtype == "str":
                X = X.astype(str)
    layout = draw(st.sampled_from(["2-D"] * 8 + ["1-D", "3-D"]))
    if layout == "1-D":
        X = X[:, 0] if n_cols else X.ravel()
    elif layout == "3-D":
        X = X[:, :, None]
    return X


def _problems(X, *, min_rows, n_features=None):
    """Patterns, one per problem of ``X``; the error must name one of them."""
    patterns = []
    if X.dtype.kind == "c":
        patterns.append(r"[Cc]omplex data not supported")
        X = X.real
    try:
        numeric = np.asarray(X, dtype=np.float64)
    except ValueError:
        return patterns + [r"could not convert string to float"]
    except OverflowError:
        return patterns + [r"X has a value too large for float64"]
    if X.ndim != 2:
        return patterns + [r"Expected 2D array|Found array with dim \d"]
    n_rows, n_cols = X.shape
    if n_rows == 0:
        patterns.append(r"0 sample\(s\)")
    if n_cols == 0:
        patterns.append(r"0 feature\(s\)")
    if n_features is not None and n_cols not in (0, n_features):
        patterns.append(rf"X has {n_cols} features, but VAELSTMDetector is expecting")
    if np.isnan(numeric).any():
        patterns.append(r"Input X contains NaN")
    if np.isinf(numeric).any():
        patterns.append(r"Input X contains infinity")
    if 0 < n_rows < min_rows:
        patterns.append(rf"n_samples={n_rows} is too few")
    return patterns


def _check_scores(scores, n_rows):
    assert scores.dtype == np.float64 and scores.shape == (n_rows,)
    assert np.all(np.isfinite(scores)), "non-finite scores"


def _check_labels(labels, n_rows):
    assert labels.shape == (n_rows,) and labels.dtype.kind == "i"
    assert set(np.unique(labels)) <= {-1, 1}


def _check_error(exc, patterns, allowed=()):
    message = " ".join(str(exc).split())
    assert message, f"{type(exc).__name__} without a message"
    assert patterns or allowed, f"valid input refused: {type(exc).__name__}: {message}"
    named = [p for p in (*patterns, *allowed) if re.search(p, message)]
    assert named, f"message does not name the problem {patterns or allowed}: {message}"
    # outcome tally, shown by --hypothesis-show-statistics (robustness.md)
    event(f"{type(exc).__name__}: {re.sub(r'(?<==)[0-9]+|(?<=has )[0-9]+', 'N', named[0])}")


def _fitted_copy(fitted):
    """A fitted detector of the test's own (the session fixture must stay intact)."""
    return copy.deepcopy(fitted)


def _has_fitted_attributes(estimator):
    return any(name.endswith("_") and not name.startswith("_") for name in vars(estimator))


# Fitting overflows float64 only beyond |x - mean| ~ 1.3e154; below 1e150 it must work.
_TOO_LARGE_TO_FIT = r"too large to standardise"
_FAR_FROM_TRAINING = r"training standard deviations from the training mean"


@pytest.mark.slow   # hypothesis: hundreds of examples
@pytest.mark.filterwarnings("error::RuntimeWarning")  # overflow noise too
@settings(max_examples=400, **FUZZ)
@given(X=arrays_of_any_kind(MIN_FIT_ROWS[False]), early_stopping=st.booleans())
def test_fit_on_any_array(X, early_stopping):
    params = ES_PARAMS if early_stopping else FIT_PARAMS
    patterns = _problems(X, min_rows=MIN_FIT_ROWS[early_stopping])
    detector = VAELSTMDetector(**params)
    try:
        detector.fit(X)
    except (ValueError, TypeError) as exc:
        numeric_huge = not patterns and np.max(np.abs(np.asarray(X, float))) >= 1e150
        _check_error(exc, patterns, (_TOO_LARGE_TO_FIT,) if numeric_huge else ())
        assert not _has_fitted_attributes(detector), "half-fitted estimator after an error"
        return
    assert not patterns, f"accepted input with problems {patterns}"
    event("fitted and scored")
    for stage in ("vae", "lstm"):
        assert np.all(np.isfinite(detector.loss_curve_[stage]))
    assert np.isfinite(detector.offset_)
    _check_scores(detector.score_samples(X), len(X))
    _check_labels(detector.predict(X), len(X))


@pytest.mark.slow   # hypothesis: hundreds of examples
@pytest.mark.filterwarnings("error::RuntimeWarning")  # overflow noise too
@settings(max_examples=1000, **FUZZ)
@given(X=arrays_of_any_kind(MIN_SCORE_ROWS))
def test_score_any_array(fitted, X):
    patterns = _problems(X, min_rows=MIN_SCORE_ROWS, n_features=1)
    allowed, must_refuse = (), False
    if not patterns:  # the model refuses values float32 networks cannot score
        with np.errstate(over="ignore"):
            z = np.max(np.abs((np.asarray(X, float) - fitted.mean_) / fitted.scale_))
        allowed = (_FAR_FROM_TRAINING,) if z >= 1e14 else ()
        must_refuse = not z < 1e15
    for method in ("score_samples", "decision_function", "predict"):
        try:
            out = getattr(fitted, method)(X)
        except (ValueError, TypeError) as exc:
            _check_error(exc, patterns, allowed)
            continue
        assert not patterns and not must_refuse, f"{method} accepted a bad input"
        event(f"{method}: scored")
        if method == "predict":
            _check_labels(out, len(X))
        else:
            _check_scores(out, len(X))


COLUMN_KINDS = ("float", "int", "bool", "Int64", "Int64-with-NA", "Float64", "category",
                "numeric-strings", "text", "string-dtype")


def _column(kind, n_rows, rng):
    wave = np.sin(np.arange(n_rows) / 3.0) + 0.1 * rng.standard_normal(n_rows)
    if kind == "float":
        return wave
    if kind == "int":
        return np.round(100 * wave).astype(np.int64)
    if kind == "bool":
        return wave > 0
    if kind in ("Int64", "Int64-with-NA"):
        values = pd.array(np.round(100 * wave).astype(np.int64), dtype="Int64")
        if kind == "Int64-with-NA" and n_rows:
            values[rng.integers(n_rows)] = pd.NA
        return values
    if kind == "Float64":
        return pd.array(wave, dtype="Float64")
    if kind == "category":
        return pd.Categorical(np.round(wave).astype(int))
    if kind == "numeric-strings":
        return wave.astype(str).astype(object)
    if kind == "text":
        return np.array(["low", "high"] * n_rows, dtype=object)[:n_rows]
    return pd.array(wave.astype(str), dtype="string")


@st.composite
def frames(draw):
    """DataFrames with mixed column dtypes and (unicode, or int) column names."""
    n_rows = draw(st.one_of(st.sampled_from([11, 12, 13]), st.integers(0, 40)))
    n_columns = draw(st.sampled_from([0, 1, 1, 2, 2, 3, 4]))
    kinds = draw(st.lists(st.sampled_from(COLUMN_KINDS), min_size=n_columns,
                          max_size=n_columns))
    style = draw(st.sampled_from(["text", "text", "text", "int", "mixed"]))
    name = {"text": st.text(min_size=1, max_size=6), "int": st.integers(0, 99),
            "mixed": st.one_of(st.text(min_size=1, max_size=6), st.integers(0, 99))}[style]
    names = draw(st.lists(name, min_size=n_columns, max_size=n_columns,
                          unique_by=lambda name: str(name)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    frame = pd.DataFrame({name: _column(kind, n_rows, rng) for name, kind in zip(names, kinds)},
                         index=range(n_rows))
    return frame, kinds, names


@pytest.mark.slow   # hypothesis: hundreds of examples
@pytest.mark.filterwarnings("error::RuntimeWarning")  # overflow noise too
@settings(max_examples=300, **FUZZ)
@given(case=frames())
def test_fit_and_score_any_dataframe(case):
    frame, kinds, names = case
    patterns = []
    if len({type(name) is str for name in names}) > 1:
        patterns.append(r"Feature names are only supported if all input features have "
                        "string names")
    if "text" in kinds:
        patterns.append(r"could not convert string to float")
    if "Int64-with-NA" in kinds and len(frame):
        patterns.append(r"Input X contains NaN")
    if not kinds:
        patterns.append(r"0 feature\(s\)")
    if len(frame) == 0:
        patterns.append(r"0 sample\(s\)")
    elif len(frame) < MIN_FIT_ROWS[False]:
        patterns.append(rf"n_samples={len(frame)} is too few")
    detector = VAELSTMDetector(**FIT_PARAMS)
    try:
        detector.fit(frame)
    except (ValueError, TypeError) as exc:
        _check_error(exc, patterns)
        assert not _has_fitted_attributes(detector)
        return
    assert not patterns, f"accepted a frame with problems {patterns}"
    event("fitted and scored")
    _check_scores(detector.score_samples(frame), len(frame))
    _check_labels(detector.predict(frame), len(frame))


# --------------------------------------------------------------------------
# numerically hard training data
# --------------------------------------------------------------------------
def _ulp_noise(offset):
    """A series constant up to float64 resolution: offset +- a few ulps."""
    steps = np.round(3 * seasonal(400))
    return offset + np.spacing(abs(offset)) * steps


HARD = {
    "huge-magnitude": lambda: 1e150 * seasonal(400),
    "tiny-magnitude": lambda: 1e-300 * seasonal(400),
    "denormal": lambda: 5e-324 * np.round(3 * seasonal(400)),
    "near-constant": lambda: 1e6 + 1e-9 * seasonal(400),
    "constant-at-1e30-resolution": lambda: _ulp_noise(1e30),
    "constant-at-minus-1e100-resolution": lambda: _ulp_noise(-1e100),
    "huge-offset": lambda: 1e12 + seasonal(400),
    "step": lambda: np.where(np.arange(400) < 200, 0.0, 1.0)[:, None] + 0 * seasonal(400),
    "one-enormous-spike": lambda: seasonal(400) + 1e12 * (np.arange(400) == 200)[:, None],
    "channels-of-different-scales": lambda: seasonal(400, n_channels=2) * [1e-200, 1e100],
}
# Standardised inputs: reconstructing zeros costs mean(z**2) / (2 sigma**2) = 50 per
# element; a stage whose loss ends far above that has learned nothing useful.
SANE_LOSS = 1e3


@pytest.mark.parametrize("case", list(HARD))
def test_numerically_hard_series_train_to_finite_losses_and_scores(case):
    X = HARD[case]()
    detector = VAELSTMDetector(**TINY).fit(X)
    for stage in ("vae", "lstm"):
        losses = np.asarray(detector.loss_curve_[stage])
        assert np.all(np.isfinite(losses)) and losses[-1] < SANE_LOSS, (stage, losses)
    scores = detector.score_samples(X)
    _check_scores(scores, len(X))
    assert np.isfinite(detector.offset_)


@pytest.mark.parametrize("case, X", [
    ("1e155-magnitude", 1e155 * seasonal(400)),
    ("1e200-plus-ulp-noise", _ulp_noise(1e200)),
    ("1e200-spike", seasonal(400) + 1e200 * (np.arange(400) == 200)[:, None]),
])
def test_series_beyond_float64_standardisation_are_refused_clearly(fitted, case, X):
    # squared deviations beyond ~1.3e154 overflow float64: a clear refusal, and
    # a fitted estimator keeps its model
    detector = _fitted_copy(fitted)
    before = dict(vars(detector))
    with pytest.raises(ValueError, match="too large to standardise.*rescale the data"):
        detector.fit(X)
    assert vars(detector) == before


@pytest.mark.parametrize("factor", [1e150, 1e-20, 1e-300])
def test_extreme_scales_give_the_model_of_the_unscaled_series(fitted, series, factor):
    # internal standardisation: the data's unit must not matter, even at the
    # ends of float64's range (tiny units were once flattened to "constant")
    reference = fitted.score_samples(series)
    scaled = VAELSTMDetector(**TINY).fit(series * factor).score_samples(series * factor)
    np.testing.assert_allclose(scaled, reference, rtol=1e-4, atol=1e-9)


@pytest.mark.parametrize("case", ["denormal", "tiny-magnitude"])
def test_tiny_series_are_not_flattened_to_constants(case):
    # squared denormal deviations underflow to 0: a naive std of 0 made these
    # channels "constant", and every row scored the same
    X = HARD[case]()
    detector = VAELSTMDetector(**TINY).fit(X)
    z = (X - detector.mean_) / detector.scale_
    assert 0.9 < np.std(z) < 1.1
    assert np.ptp(detector.score_samples(X)) > 0.1


def test_spike_in_training_data_gets_the_lowest_score():
    X = HARD["one-enormous-spike"]()
    scores = VAELSTMDetector(**TINY).fit(X).score_samples(X)
    assert 200 <= np.argmin(scores) < 200 + TINY["window_size"]


# --------------------------------------------------------------------------
# diverging training
# --------------------------------------------------------------------------
@pytest.mark.parametrize("learning_rate", [1e2, 1e4, 1e10])
def test_diverging_training_is_reported_and_leaves_the_estimator_unchanged(fitted, series,
                                                                           learning_rate):
    detector = _fitted_copy(fitted).set_params(learning_rate_init=learning_rate)
    before, scores = dict(vars(detector)), detector.score_samples(series)
    with pytest.raises(FloatingPointError, match=r"VAE training diverged at epoch \d.*"
                       "lower learning_rate_init"):
        detector.fit(series)
    assert vars(detector) == before  # the fitted model of before, not a broken one
    np.testing.assert_array_equal(detector.score_samples(series), scores)
    fresh = VAELSTMDetector(**{**TINY, "learning_rate_init": learning_rate})
    with pytest.raises(FloatingPointError):
        fresh.fit(series)
    assert not _has_fitted_attributes(fresh)


def test_learning_rate_too_large_for_float32_is_a_clear_error(series):
    # Adam's first step (learning_rate / (1 - beta1)) would overflow float32 inside
    # torch with "value cannot be converted to type float without overflow"
    detector = VAELSTMDetector(**{**TINY, "learning_rate_init": 1e38})
    with pytest.raises(ValueError, match=r"learning_rate_init=1e\+38 is too large"):
        detector.fit(series)
    assert not _has_fitted_attributes(detector)


@pytest.mark.parametrize("stage, betas", [("VAE", (0.9, 0.95)), ("LSTM", (0.9, 0.999))])
def test_weights_broken_by_the_last_step_are_detected(series, monkeypatch, stage, betas):
    # One epoch of one batch: the only optimiser step is also the last, so its
    # loss (computed before the step) is finite and only the weights show the
    # damage. Without a check the LSTM case gave NaN scores and offset_.
    step = torch.optim.Adam.step

    def poisoned_step(self, *args, **kwargs):
        result = step(self, *args, **kwargs)
        if tuple(self.defaults["betas"]) == betas:
            with torch.no_grad():
                self.param_groups[0]["params"][0].fill_(float("nan"))
        return result

    monkeypatch.setattr(torch.optim.Adam, "step", poisoned_step)
    detector = VAELSTMDetector(**{**TINY, "max_iter": 1, "batch_size": 1024})
    with pytest.raises(FloatingPointError, match=f"{stage} training diverged"):
        detector.fit(series)
    assert not _has_fitted_attributes(detector)


def test_non_finite_scores_are_refused_not_returned(fitted, series):
    # a model that overflows inside its networks (e.g. weights damaged in a
    # trusted pickle) must not hand out NaN scores
    detector = _fitted_copy(fitted)
    with torch.no_grad():
        detector.vae_.decoder.out.bias.fill_(float("inf"))
    for method in ("score_samples", "decision_function", "predict"):
        with pytest.raises(ValueError, match="not finite"):
            getattr(detector, method)(series)


# --------------------------------------------------------------------------
# interrupted training (extends test_detector.py: interrupts deep inside fit)
# --------------------------------------------------------------------------
def _snapshot(detector):
    weights = {name: {k: v.clone() for k, v in getattr(detector, name).state_dict().items()}
               for name in ("vae_", "lstm_")}
    return dict(vars(detector)), weights


def _assert_unchanged(detector, snapshot):
    attributes, weights = snapshot
    assert vars(detector) == attributes
    for name, state in weights.items():
        for key, value in getattr(detector, name).state_dict().items():
            assert torch.equal(value, state[key]), f"{name}.{key} changed"


def test_interrupt_in_the_middle_of_the_lstm_stage(series, monkeypatch):
    from skvaelstm._model import _training

    # small batches: the LSTM stage runs many optimiser steps per epoch
    detector = VAELSTMDetector(**{**TINY, "batch_size": 16}).fit(series)
    snapshot, scores = _snapshot(detector), detector.score_samples(series)
    fit_stage = _training._fit_stage

    def interrupt_lstm(module, batch_loss, *args, stage, **kwargs):
        if stage != "LSTM":
            return fit_stage(module, batch_loss, *args, stage=stage, **kwargs)
        calls = []

        def interrupted(index):  # three real optimiser steps, then Ctrl-C
            calls.append(index)
            if len(calls) > 3:
                raise KeyboardInterrupt
            return batch_loss(index)

        return fit_stage(module, interrupted, *args, stage=stage, **kwargs)

    monkeypatch.setattr(_training, "_fit_stage", interrupt_lstm)
    with pytest.raises(KeyboardInterrupt):
        detector.fit(seasonal(300, seed=5))
    _assert_unchanged(detector, snapshot)
    np.testing.assert_array_equal(detector.score_samples(series), scores)


def test_interrupt_while_computing_the_offset(fitted, series, monkeypatch):
    from skvaelstm._model import _fitting

    detector = _fitted_copy(fitted)
    snapshot = _snapshot(detector)

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    # both stages train; the interrupt comes while scoring the training rows
    monkeypatch.setattr(_fitting, "_score_rows", interrupt)
    with pytest.raises(KeyboardInterrupt):
        detector.fit(seasonal(300, seed=5))
    _assert_unchanged(detector, snapshot)
    fresh = VAELSTMDetector(**TINY)
    with pytest.raises(KeyboardInterrupt):
        fresh.fit(series)
    assert vars(fresh) == vars(VAELSTMDetector(**TINY))


# --------------------------------------------------------------------------
# concurrency and determinism
# --------------------------------------------------------------------------
def test_concurrent_scoring_equals_sequential(fitted):
    inputs = [seasonal(50 + 37 * i, seed=i) for i in range(20)]
    sequential = [(fitted.score_samples(X), fitted.predict(X)) for X in inputs]

    def both(X):
        return fitted.score_samples(X), fitted.predict(X)

    with ThreadPoolExecutor(max_workers=4) as pool:
        concurrent = list(pool.map(both, inputs))
    for (scores, labels), (expected_scores, expected_labels) in zip(concurrent, sequential):
        np.testing.assert_array_equal(scores, expected_scores)
        np.testing.assert_array_equal(labels, expected_labels)


_FIT_AND_SCORE = textwrap.dedent("""
    import sys, warnings
    import numpy as np
    from skvaelstm import VAELSTMDetector
    warnings.simplefilter("ignore")
    t = np.arange(300)
    X = np.sin(2 * np.pi * t / 25)[:, None] + 0.05 * np.cos(t * 1.7)[:, None]
    params = dict(window_size=4, n_windows=3, code_size=2, vae_hidden_size=16,
                  lstm_hidden_size=8, max_iter=3, early_stopping=False, random_state=7)
    np.save(sys.argv[1], VAELSTMDetector(**params).fit(X).score_samples(X))
""")


@pytest.mark.slow
def test_same_random_state_gives_identical_scores_in_fresh_interpreters(tmp_path):
    outputs = []
    for run, hash_seed in enumerate(("1", "2")):  # hash randomisation must not matter
        out = tmp_path / f"scores{run}.npy"
        env = dict(os.environ, PYTHONHASHSEED=hash_seed)
        subprocess.run([sys.executable, "-c", _FIT_AND_SCORE, str(out)], env=env, check=True,
                       timeout=300, capture_output=True)
        outputs.append(np.load(out))
    assert outputs[0].tobytes() == outputs[1].tobytes()  # bit for bit
    assert np.all(np.isfinite(outputs[0]))


# --------------------------------------------------------------------------
# untrusted model files: refused before any of their code runs
# --------------------------------------------------------------------------
def _malicious_files(folder, marker):
    exploit = Exploit(marker)
    files = {f"pickle-protocol-{p}": pickle.dumps(exploit, protocol=p) for p in (0, 2, 4, 5)}
    for name, compress in (("joblib", 0), ("joblib-compressed", 3)):
        joblib.dump(exploit, folder / name, compress=compress)
        files[name] = (folder / name).read_bytes()
    torch.save(exploit, folder / "torch")
    files["torch-archive"] = (folder / "torch").read_bytes()
    # a model-looking archive with the exploit hidden inside its payload
    torch.save({"format": "skvaelstm-model", "format_version": 1, "document": "{}",
                "arrays": {"x": exploit}}, folder / "disguised")
    files["disguised-model-archive"] = (folder / "disguised").read_bytes()
    return files


def test_malicious_files_never_run_their_code(tmp_path):
    marker = tmp_path / "pwned"
    files = _malicious_files(tmp_path, marker)
    # the files really are malicious: plain unpickling creates the marker
    pickle.loads(files["pickle-protocol-4"]).close()
    assert marker.exists()
    marker.unlink()
    for name, data in files.items():
        path = tmp_path / f"{name}.skv"
        path.write_bytes(data)
        for load in (load_model, read_model_info):
            with pytest.raises(ValueError, match=re.escape(str(path))) as info:
                load(path)
            if name != "pickle-protocol-0":  # text pickles are not even recognised
                assert isinstance(info.value, UntrustedModelFileError), (name, info.value)
            assert not marker.exists(), f"{name}: {load.__name__} ran code from the file"
