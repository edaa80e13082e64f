"""Cold start: a new KPI fits from NAB's shortest training parts (150 rows).

NAB (Lavin & Ahmad, ICMLA 2015) gives a detector the first
``min(floor(0.15 n), 750)`` rows of a series to learn from: 150 to 750 rows
over its 58 files. ``window_size="auto"`` must fit there, choosing its sizes
from the data; an explicit window that does not fit is refused with a message
that points to ``"auto"``.
"""

import warnings

import numpy as np
import pytest

from skvaelstm import VAELSTMDetector
from skvaelstm.cli import main
from skvaelstm.exceptions import InputError
from skvaelstm.streaming import StreamScorer

from .conftest import seasonal
from .test_cli import assert_user_error

SMALL = dict(code_size=2, vae_hidden_size=16, lstm_hidden_size=8, max_iter=2, random_state=0)


@pytest.mark.parametrize("n_rows", [150, 300, 750])
@pytest.mark.parametrize("early_stopping", [True, False])
def test_auto_sizes_fit_nab_probationary_lengths(n_rows, early_stopping):
    X = seasonal(n_rows + 200)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        det = VAELSTMDetector(window_size="auto", early_stopping=early_stopping,
                              score_aggregation="newest", error_source="prediction",
                              **SMALL).fit(X[:n_rows])
    W = det.window_size_
    assert 16 <= W <= 96
    # the sizes fit the rows: n_windows_ windows to train on (and, with early
    # stopping, a validation tail of at least two windows)
    tail = det.validation_rows_ if early_stopping else 0
    assert det.n_windows_ >= 3
    assert det.n_windows_ * W + tail <= n_rows
    if early_stopping:
        assert tail >= 2 * W
    shrunk = [w for w in caught if "training rows are fewer" in str(w.message)]
    # 150 rows cannot hold the parameters' 12 windows of even the smallest
    # window: fit shrinks n_windows and says so; 750 rows need no shrinking
    if n_rows == 150:
        assert shrunk and W == 16
    if n_rows == 750:
        assert not shrunk and det.n_windows_ == 12
    # live scoring of the rows after the training part works from the first one
    live = StreamScorer(det)
    final = live.update(X)
    assert np.array_equal(final.positions, np.arange(len(X)))
    assert np.isfinite(final.scores).all()


def test_fixed_window_too_large_points_to_auto():
    X = seasonal(150)
    with pytest.raises(InputError, match=r'150 is too few.*window_size="auto" fits from '
                                         r"these rows"):
        VAELSTMDetector(**SMALL).fit(X)
    # ... and says nothing of "auto" when not even the smallest window fits
    with pytest.raises(InputError) as info:
        VAELSTMDetector(**SMALL).fit(seasonal(60))
    assert "auto" not in str(info.value)


def test_cli_fit_too_few_rows_points_to_window_size_auto(tmp_path, capsys):
    import pandas as pd

    frame = pd.DataFrame({"timestamp": pd.date_range("2024-03-01", periods=150, freq="5min"),
                          "value": seasonal(150)[:, 0]})
    path = tmp_path / "new_kpi.csv"
    frame.to_csv(path, index=False)
    code = main(["fit", str(path), "--max-iter", "2", "-o", str(tmp_path / "m.skv")])
    assert_user_error(code, capsys.readouterr().err, "150 training rows are too few",
                      "--window-size auto")
    code = main(["fit", str(path), "--window-size", "auto", "--max-iter", "2",
                 "--random-state", "0", "-o", str(tmp_path / "m.skv")])
    assert code == 0
    assert (tmp_path / "m.skv").exists()
