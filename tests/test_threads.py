"""Thread safety of fit and scoring: private RNGs and the torch thread count.

The determinism tests failed with skvaelstm before weights were initialised
from a private generator (fits in threads took each other's random numbers
from torch's global generator and left it changed) and before ``n_threads``.
"""

import functools
import threading

import numpy as np
import pytest
import torch

from skvaelstm import VAELSTMDetector
from skvaelstm._model._threads import _torch_threads
from skvaelstm.persistence import load_model, save_model

from ._helpers import TIMEOUT
from .conftest import TINY, seasonal

X = seasonal(150, n_channels=2)


def _scores(seed, n_threads=1):
    det = VAELSTMDetector(**{**TINY, "random_state": seed, "n_threads": n_threads})
    return det.fit(X).score_samples(X)


@functools.cache
def _alone(seed, n_threads=1):
    """The scores of a fit running alone (computed once per module)."""
    return _scores(seed, n_threads)


def _in_threads(jobs):
    """Run ``(key, function)`` pairs at the same time in threads; return key -> result."""
    results, errors = {}, []
    start = threading.Barrier(len(jobs), timeout=TIMEOUT)  # a hung job fails, not hangs

    def run(key, function):
        try:
            start.wait()
            results[key] = function()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test
            errors.append(exc)

    threads = [threading.Thread(target=run, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
        if thread.is_alive():
            pytest.fail(f"a job did not end within {TIMEOUT} s")
    if errors:
        raise errors[0]
    return results


def test_concurrent_fits_match_sequential_fits_and_leave_the_global_rng_alone():
    seeds = [0, 1, 0, 1, 2, 2]
    expected = {seed: _alone(seed) for seed in set(seeds)}
    rng_before = torch.get_rng_state()
    got = _in_threads([(i, lambda s=seed: _scores(s)) for i, seed in enumerate(seeds)])
    for i, seed in enumerate(seeds):
        np.testing.assert_array_equal(got[i], expected[seed])
    assert torch.equal(torch.get_rng_state(), rng_before)


def test_fits_with_different_thread_counts_in_threads_each_match_their_own():
    expected = {n: _alone(0, n) for n in (1, 2)}
    counts = (1, 2, 1, 2)
    got = _in_threads([(i, lambda n=n: _scores(0, n)) for i, n in enumerate(counts)])
    assert len(got) == 4
    for i, n in enumerate(counts):
        np.testing.assert_array_equal(got[i], expected[n])


def test_nested_use_across_threads_does_not_wait_and_bad_counts_leave_no_state():
    # a block with 2 threads that starts fits with n_threads=1 in worker threads
    # (a threaded joblib backend) must not wait for itself
    with _torch_threads(2):
        results = _in_threads([(i, lambda: _scores(0)) for i in range(2)])
        assert torch.get_num_threads() == 2
    assert sorted(results) == [0, 1]
    for scores in results.values():   # each worker's fit ran on its own 1 thread
        np.testing.assert_array_equal(scores, _alone(0, 1))
    with pytest.raises(ValueError, match="n_threads"):
        with _torch_threads(0):
            pass
    # still works after the refused call
    np.testing.assert_array_equal(_scores(0, 2), _alone(0, 2))


def test_fit_and_scoring_restore_the_callers_thread_count():
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        det = VAELSTMDetector(**TINY).fit(X)                   # n_threads=1
        det.score_samples(X)
        assert torch.get_num_threads() == 2
        seen = []
        with _torch_threads(2):
            seen.append(torch.get_num_threads())
            with _torch_threads(1):                             # nested: outer wins
                seen.append(torch.get_num_threads())
        assert seen == [2, 2] and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_n_threads_none_leaves_torch_alone():
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        none = VAELSTMDetector(**{**TINY, "n_threads": None}).fit(X).score_samples(X)
        np.testing.assert_array_equal(none, _alone(0, 1))
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2"])
def test_n_threads_is_validated(bad):
    with pytest.raises(ValueError, match="n_threads"):
        VAELSTMDetector(**{**TINY, "n_threads": bad}).fit(X)


def test_loading_a_model_leaves_the_global_rng_alone(tmp_path):
    det = VAELSTMDetector(**TINY).fit(X)
    save_model(det, tmp_path / "m.skv")
    rng_before = torch.get_rng_state()
    loaded = load_model(tmp_path / "m.skv")
    assert torch.equal(torch.get_rng_state(), rng_before)
    np.testing.assert_array_equal(loaded.score_samples(X), det.score_samples(X))
