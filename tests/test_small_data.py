"""Short training data: fit shrinks n_windows and the validation tail, within bounds."""

import os
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

from skvaelstm import VAELSTMDetector
from skvaelstm._model._window_size import _fit_plan, _min_shrunk_rows
from skvaelstm.persistence import load_model, save_model
from skvaelstm.streaming import StreamScorer

from .conftest import TINY, seasonal

# the defaults' window with a short training (the sizes are what this tests)
QUICK = dict(max_iter=2, random_state=0)


@pytest.mark.parametrize("n, early_stopping, plan", [
    (960, True, (12, 864)),     # enough rows: the parameters, as before
    (5000, True, (12, 4500)),
    (959, True, (12, 863)),     # only the validation tail grows to 2 * 48 rows
    (500, True, (8, 404)),
    (300, True, (4, 204)),
    (240, True, (3, 144)),      # the minimum: 3 windows and 96 validation rows
    (239, True, None),
    (576, False, (12, 576)),
    (300, False, (6, 300)),
    (144, False, (3, 144)),
    (143, False, None),
])
def test_the_plan_shrinks_within_its_bounds(n, early_stopping, plan):
    assert _fit_plan(n, 48, 12, early_stopping, 0.1) == plan


def test_the_minimum_rows_and_a_lower_n_windows():
    assert _min_shrunk_rows(48, 12, True, 0.1) == 240
    assert _min_shrunk_rows(48, 12, False, 0.1) == 144
    assert _min_shrunk_rows(10, 2, True, 0.1) == 40   # never below the parameter's own 2


def test_300_rows_fit_with_the_defaults_and_say_what_was_shrunk():
    X = seasonal(300, n_channels=3)
    with pytest.warns(UserWarning) as record:
        det = VAELSTMDetector(**QUICK).fit(X)
    (message,) = [str(w.message) for w in record if w.category is UserWarning]
    assert message == (
        "300 training rows are fewer than the 960 that window_size=48, n_windows=12 and "
        "validation_fraction=0.1 need: fit used n_windows from 12 to 4 (n_windows_) and a "
        "validation tail of 96 rows, its minimum of 2 * window_size (validation_fraction="
        "0.1 gives fewer). Predictions read fewer past windows; with more rows nothing is "
        "shrunk.")
    assert (det.n_windows_, det.validation_rows_, det.n_windows) == (4, 96, 12)
    scores = det.score_samples(X)
    assert scores.shape == (300,) and np.all(np.isfinite(scores))
    assert np.mean(det.predict(X) == -1) == pytest.approx(0.01, abs=0.005)
    # streaming and model files use the fitted n_windows_
    scorer = StreamScorer(det)
    streamed = np.concatenate([scorer.update(X[i:i + 50]).scores for i in range(0, 300, 50)])
    np.testing.assert_array_equal(streamed, scores[:len(streamed)])


def test_the_fitted_n_windows_travels_with_the_model(tmp_path):
    X = seasonal(300)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        det = VAELSTMDetector(**QUICK).fit(X)
    save_model(det, tmp_path / "m.skv")
    loaded = load_model(tmp_path / "m.skv")
    assert (loaded.n_windows_, loaded.validation_rows_) == (4, 96)
    np.testing.assert_array_equal(loaded.score_samples(X), det.score_samples(X))


def test_too_few_rows_name_the_minimum():
    with pytest.raises(ValueError, match="n_samples=239 is too few.*at least 240 rows"):
        VAELSTMDetector(**QUICK).fit(seasonal(239))


def test_plentiful_data_change_nothing():
    """Enough rows: no warning, the parameters' own sizes, and the scores of a fit
    that could not shrink (the same networks whatever the rule of shrinking)."""
    X = seasonal(400, n_channels=2)
    params = {**TINY, "early_stopping": True, "validation_fraction": 0.25}
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        det = VAELSTMDetector(**params).fit(X)
    assert (det.n_windows_, det.validation_rows_) == (3, 100)
    # the scores equal a fit whose plan is forced to the parameters (bit for bit)
    from skvaelstm._model import _fitting

    original = _fitting._fit_plan
    try:
        _fitting._fit_plan = lambda n, W, k, es, vf: (k, n - int(np.floor(vf * n)))
        forced = VAELSTMDetector(**params).fit(X)
    finally:
        _fitting._fit_plan = original
    np.testing.assert_array_equal(det.score_samples(X), forced.score_samples(X))


# a folder with TSB-AD-M files in data/ (TSB-AD's format: channels, then Label)
TSBAD = os.environ.get("SKVAELSTM_TSBAD_M_HOME")


@pytest.mark.skipif(not TSBAD or not list(Path(TSBAD, "data").glob("002_MSL_id_1_*.csv")),
                    reason="set SKVAELSTM_TSBAD_M_HOME to a folder with TSB-AD-M's "
                           "002_MSL_id_1 file in data/ to run it")
def test_the_500_training_rows_of_msl_1_fit_and_score_the_file():
    (path,) = Path(TSBAD, "data").glob("002_MSL_id_1_*.csv")
    data = np.loadtxt(path, delimiter=",", skiprows=1)
    X = data[:, :-1]
    n_train = int(re.search(r"_tr_(\d+)_", path.name).group(1))
    assert n_train == 500
    with pytest.warns(UserWarning, match="n_windows from 12 to 8"):
        det = VAELSTMDetector(max_iter=2, random_state=0).fit(X[:n_train])
    assert (det.n_windows_, det.validation_rows_) == (8, 96)
    scores = det.score_samples(X)
    assert scores.shape == (len(X),) and np.all(np.isfinite(scores))


def test_plentiful_data_score_as_skvaelstm_0_2_did():
    """tests/data/plentiful_scores_0.2.npy: the scores of this fit by the code before
    fit could shrink (commit 0d6e716); n_windows and the validation tail unchanged."""
    X = seasonal(1200, n_channels=3, seed=7)
    det = VAELSTMDetector(window_size=16, code_size=3, vae_hidden_size=16,
                          lstm_hidden_size=8, max_iter=3, random_state=0).fit(X)
    assert (det.n_windows_, det.validation_rows_) == (12, 120)
    np.testing.assert_allclose(det.score_samples(X),
                               np.load(Path(__file__).parent / "data"
                                       / "plentiful_scores_0.2.npy"), rtol=1e-6)
