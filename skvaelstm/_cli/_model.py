"""The model of the command line: fitting it on a table's training rows, the
metadata its file keeps, and the time column and channels a saved model reads
(``score`` and ``watch``)."""

import os
import time

from ..exceptions import InputError
from ._errors import _estimator_errors

__all__ = []  # private helper of skvaelstm.cli and skvaelstm._cli._watch


def _fitted(args, table, options):
    """The detector with ``options`` fitted on the training rows of ``table``,
    their number, and the seconds the fit took."""
    from .._model._detector import VAELSTMDetector
    from ._segments import _check_one_series

    n_train = _train_count(args, table)
    _check_one_series(args, table, n_train)   # never across a gap over --max-gap
    detector = VAELSTMDetector(**options)
    X = table.X.iloc[:n_train]
    _check_training_rows(detector, X)
    started = time.perf_counter()
    with _estimator_errors():
        detector.fit(X)
    seconds = time.perf_counter() - started
    # progress depends on the terminal the fit ran in; the saved model must not
    return detector.set_params(verbose=0), n_train, seconds


def _train_count(args, table):
    from .._io._tables import _train_rows

    return _train_rows(table, train_until=args.train_until, train_rows=args.train_rows)


def _metadata(args, table, n_train):
    """What ``score`` needs to read a new file as the training file was read."""
    return {"time_column": table.time_column, "columns": list(table.X.columns),
            "n_train_rows": n_train, "source": os.path.basename(args.data)}


def _check_training_rows(detector, X):
    """Too few training rows, said in the command line's terms (the estimator's
    own message names Python parameters), with the options that would fit. The
    rule is the estimator's: ``_min_shrunk_rows`` (fit shrinks --n-windows and the
    validation tail for short data, down to a minimum) of the window ``fit`` will
    use."""
    from .._model._fitting import _window_for
    from .._model._window_size import _AUTO_BOUNDS, _auto_fits, _min_shrunk_rows

    p = detector.get_params()
    early_stopping, n_windows, fraction = (p["early_stopping"], p["n_windows"],
                                           p["validation_fraction"])

    def needed(window, early_stopping=early_stopping):
        return _min_shrunk_rows(window, n_windows, early_stopping, fraction)

    window = _window_for(p, X.to_numpy())
    n = len(X)
    if n >= needed(window):
        return
    fitting = [w for w in range(window - 1, 1, -1) if needed(w) <= n]
    advice = [f"--window-size {fitting[0]} (the largest that fits)"] if fitting else []
    detail = ""
    if early_stopping:
        detail = (f" ({needed(window, False)} to train on, with --n-windows shrunk to its "
                  f"minimum, and a validation tail of {2 * window} rows)")
        advice.append(f"--no-early-stopping (it needs {needed(window, False)} rows: it "
                      "trains on all rows, no validation tail)")
    if n_windows > 2:
        advice.append("--n-windows 2")
    if _auto_fits(p, n):
        # cold start: "auto" shrinks the window to what the rows fit
        advice.append(f"--window-size auto (it takes a window of at least "
                      f"{_AUTO_BOUNDS[0]} rows that the data can fit)")
    raise InputError(
        f"{n} training rows are too few: with --window-size {window} and --n-windows "
        f"{n_windows} the model needs at least {needed(window)} rows{detail}. Use more "
        "rows, or try " + ", or ".join(advice) + ".")


def _model_columns(args, detector):
    """The time column and channels to read: the options, else the model's
    (its fitted column names, or what its file's metadata recorded)."""
    from ..persistence import ModelFileError, read_model_info

    try:
        stored = read_model_info(args.model)["metadata"]
    except ModelFileError:  # a trusted pickle has no stored metadata
        stored = {}
    time_column = args.time_column or stored.get("time_column")
    return time_column, args.columns or _fitted_columns(detector) or stored.get("columns")


def _fitted_columns(detector):
    names = getattr(detector, "feature_names_in_", None)
    return None if names is None else [str(n) for n in names]
