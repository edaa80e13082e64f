"""The ``skvaelstm demo`` run: NYC taxi, VAE-LSTM against a windowed IsolationForest."""

import os
import time

import numpy as np

__all__ = []  # private helper of skvaelstm.cli

_SERIES = "nyc_taxi"
_WINDOW = 48  # the paper's window for this half-hourly series (one day)
# Fit seconds per epoch (both stages) and training row of the default detector on 2
# CPU cores: 11.2 s for 25 epochs on 10,000 rows (benchmarks/results/speed.md; the cost
# per epoch grows linearly with the rows there). Only for telling the user what to expect.
_SECONDS_PER_EPOCH_AND_ROW = 11.2 / 25 / 10_000


def _run_demo(output, *, max_iter=None, verbose=0, report=lambda message: None):
    """Fit, score, evaluate and write the demo files; return what to print.

    Parameters
    ----------
    output : str
        Folder for ``scores.csv``, ``nyc_taxi.png`` and ``model.skv``.
    max_iter : int or None
        Epochs per stage; None keeps the detector's default.
    verbose : int
        Passed to the detector (progress bars / log lines).
    report : callable
        Called with one-line progress messages.

    Returns
    -------
    dict
        ``rows`` (name, VUS-PR, AUC-PR, fit seconds), ``sliding_window``,
        ``chance`` (anomaly ratio of the test rows), ``paths``, ``notes``.
    """
    import pandas as pd
    from sklearn.ensemble import IsolationForest
    from sklearn.pipeline import make_pipeline

    from .._io._serialization import _atomic_write
    from .._model._detector import VAELSTMDetector
    from ..datasets import load_nab
    from ..metrics import average_precision_anomaly, estimate_sliding_window, vus_pr
    from ..persistence import save_model
    from ..preprocessing import LagWindows

    can_plot = _matplotlib_available()  # checked first: never fail after the long fit
    os.makedirs(output, exist_ok=True)
    data = load_nab(_SERIES)
    X, labels, train = data.data, data.labels, data.train_slice
    test = np.concatenate([np.arange(len(X))[s] for s in data.test_slices])
    options = {} if max_iter is None else {"max_iter": max_iter}
    detector = VAELSTMDetector(window_size=_WINDOW, random_state=0, verbose=verbose, **options)
    epochs = detector.max_iter
    expected = _SECONDS_PER_EPOCH_AND_ROW * epochs * (train.stop - train.start)
    report(f"{_SERIES}: {len(X)} half-hourly rows; fitting VAELSTMDetector on rows "
           f"{train.start}-{train.stop - 1} (the paper's anomaly-free split), up to "
           f"{epochs} epochs per stage: about {max(1, round(expected))} s "
           "on 2 idle CPU cores, longer on a busy machine...")
    start = time.perf_counter()
    detector.fit(X[train])
    vae_time = time.perf_counter() - start
    scores, decision, predicted = detector._scored(X)

    report(f"fitted in {vae_time:.1f} s; fitting LagWindows(48) + IsolationForest on the "
           "same rows...")
    start = time.perf_counter()
    forest = make_pipeline(LagWindows(_WINDOW), IsolationForest(random_state=0)).fit(X[train])
    forest_time = time.perf_counter() - start
    forest_scores = forest.decision_function(X)

    window = estimate_sliding_window(X)
    rows = [(f"VAELSTMDetector (window {_WINDOW})", scores, vae_time),
            (f"LagWindows({_WINDOW}) + IsolationForest", forest_scores, forest_time)]
    rows = [(name, vus_pr(labels[test], s[test], sliding_window=window),
             average_precision_anomaly(labels[test], s[test]), seconds)
            for name, s, seconds in rows]

    paths, notes = {}, []
    frame = pd.DataFrame({"timestamp": data.timestamps, "value": X[:, 0], "label": labels,
                          "score": scores, "decision": decision, "predicted": predicted})
    paths["scores"] = os.path.join(output, "scores.csv")
    _atomic_write(paths["scores"], lambda f: f.write(frame.to_csv(index=False).encode()))
    paths["model"] = os.path.join(output, "model.skv")
    save_model(detector, paths["model"])
    if can_plot:
        paths["plot"] = os.path.join(output, f"{_SERIES}.png")
        _plot(paths["plot"], data, scores, detector.offset_, predicted, _atomic_write)
    else:
        notes.append('plot skipped: matplotlib is not installed (pip install "skvaelstm[plot]").')
    n_epochs = detector.n_iter_.tolist()
    return {"rows": rows, "sliding_window": window, "chance": float(labels[test].mean()),
            "n_test": len(test), "n_train": train.stop - train.start, "epochs": n_epochs,
            "flagged": int((predicted[test] == -1).sum()), "paths": paths, "notes": notes}


def _matplotlib_available():
    from ..plotting import _require_matplotlib

    try:
        _require_matplotlib()
    except ImportError:
        return False
    return True


def _plot(path, data, scores, threshold, predicted, atomic_write):
    # a plain Figure with its own Agg canvas: pyplot's backend is left alone
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from ..plotting import _draw

    fig = Figure(figsize=(12, 5), constrained_layout=True)
    FigureCanvasAgg(fig)
    _draw(fig, data.data, scores, threshold=threshold, flagged=predicted, labels=data.labels,
          timestamps=data.timestamps, channel_names=["passengers\n(30 min)"],
          title="NYC taxi passengers (NAB): VAE-LSTM scores; shaded = NAB anomaly windows, "
                "red = flagged, dotted = end of training",
          train_end=data.train_slice.stop, score_scale="symlog")
    atomic_write(path, lambda f: fig.savefig(f, format="png", dpi=110))
