"""Exact behaviour of the windowing helpers."""

import numpy as np

from skvaelstm._model._window_size import (
    _AUTO_BOUNDS,
    _AUTO_FALLBACK,
    _auto_window_size,
    _chronological_split,
    _min_fit_rows,
)
from skvaelstm._scoring._pooling import _accumulate_row_errors, _coverage, _covering_mean
from skvaelstm._scoring._windows import (
    _context_indices,
    _context_length,
    _sequence_indices,
    _sliding_windows,
)


def test_sliding_windows_are_a_channels_first_view():
    Z = np.arange(12.0).reshape(6, 2)
    windows = _sliding_windows(Z, 3)
    assert windows.shape == (4, 2, 3)
    np.testing.assert_array_equal(windows[1], [[2, 4, 6], [3, 5, 7]])
    assert np.shares_memory(windows, Z)


def test_sequence_indices_are_consecutive_non_overlapping_windows_at_every_row():
    np.testing.assert_array_equal(_sequence_indices(8, 2, 3),
                                  [[0, 2, 4], [1, 3, 5], [2, 4, 6]])
    assert _sequence_indices(5, 2, 3).shape == (0, 3)


def test_context_of_predicted_windows():
    starts = np.array([2, 3, 4, 5, 9])
    np.testing.assert_array_equal(_context_length(starts, 2, 3), [1, 1, 2, 2, 2])
    np.testing.assert_array_equal(_context_indices(np.array([4, 9]), 2, 2), [[0, 2], [5, 7]])


def test_chronological_split_keeps_the_tail():
    assert _chronological_split(100, 0.1) == 90
    assert _chronological_split(95, 0.1) == 86


def test_accumulate_row_errors_along_anti_diagonals():
    # predicted windows start at rows 2, 3, 4 (window 2); the one at 4 runs past row 4
    # column 0 is the error, column 1 a part of it (which rides along with it)
    errors = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 99.0]])[:, :, None] * [1.0, 0.5]
    total = np.zeros((5, 2))
    _accumulate_row_errors(errors, 2, "mean", total)
    np.testing.assert_array_equal(total[:, 0], [0, 0, 1, 2 + 3, 4 + 5])
    np.testing.assert_array_equal(total[:, 1], total[:, 0] / 2)
    np.testing.assert_array_equal(_coverage(np.arange(2, 5), 2), [1, 2, 2])
    worst = np.full((5, 2), -np.inf)
    _accumulate_row_errors(errors, 2, "max", worst)
    np.testing.assert_array_equal(worst[2:, 0], [1, 3, 5])
    np.testing.assert_array_equal(worst[2:, 1], [0.5, 1.5, 2.5])
    newest = np.zeros((5, 2))
    _accumulate_row_errors(errors, 2, "newest", newest)
    np.testing.assert_array_equal(newest[:, 0], [0, 0, 1, 3, 5])


def test_covering_mean_in_place_matches_a_direct_mean():
    rng = np.random.default_rng(0)
    W, first, last = 4, 3, 20  # window errors of windows 3 .. 20 of a 24-row series
    errors = rng.random(24)
    expected = np.array([np.mean(errors[max(first, r - W + 1):min(r, last) + 1])
                         for r in range(first, last + W)])
    for block in (1, 3, 5, 1 << 16):
        values = errors.copy()
        _covering_mean(values, first, last, W, block=block)
        np.testing.assert_allclose(values[first:], expected, rtol=1e-15)
        np.testing.assert_array_equal(values[:first], errors[:first])  # untouched
        columns = np.stack([errors, 2 * errors], axis=1)  # columns: the same sums
        _covering_mean(columns, first, last, W, block=block)
        np.testing.assert_array_equal(columns[:, 0], values)
        np.testing.assert_array_equal(columns[:, 1], 2 * values)


def test_auto_window_size_follows_the_period_within_bounds(monkeypatch):
    t = np.arange(5000)
    assert _auto_window_size(np.sin(2 * np.pi * t / 30)[:, None], 12, True, 0.1) == 30
    # two channels with periods 20 and 40: the median
    X = np.c_[np.sin(2 * np.pi * t / 20), np.sin(2 * np.pi * t / 40), np.sin(2 * np.pi * t / 40)]
    assert _auto_window_size(X, 12, True, 0.1) == 40
    # no period in this noise (TSB-AD's rule finds none): the fallback
    noise = np.random.default_rng(0).standard_normal((5000, 1))
    assert _auto_window_size(noise, 12, True, 0.1) == _AUTO_FALLBACK
    long_period = np.sin(2 * np.pi * t / 250)[:, None]
    assert _auto_window_size(long_period, 12, True, 0.1) == _AUTO_BOUNDS[1]
    short_period = np.sin(2 * np.pi * t / 8)[:, None]
    assert _auto_window_size(short_period, 12, True, 0.1) == _AUTO_BOUNDS[0]
    # too few rows for the period's window: the largest window that fits
    short = np.sin(2 * np.pi * np.arange(700) / 90)[:, None]
    window = _auto_window_size(short, 12, True, 0.1)
    assert _min_fit_rows(window, 12, True, 0.1) <= 700 < _min_fit_rows(window + 1, 12, True, 0.1)
