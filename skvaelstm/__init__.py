"""skvaelstm: a scikit-learn compatible VAE-LSTM time-series anomaly detector.

Public modules: ``skvaelstm`` (``VAELSTMDetector``), ``streaming``,
``persistence``, ``metrics``, ``explain``, ``datasets``, ``preprocessing``,
``plotting``, ``fleet``, ``exceptions`` and ``cli``. Everything else lives in
private sub-packages, one layer each, imports flowing one way: ``_scoring`` (the
scoring engine) <- ``_model`` (the estimator and its networks) <- ``_io`` (files
and tables) <- ``_cli`` (the command line); ``_metrics`` and ``_fleet`` beside
them. ARCHITECTURE.md in the repository describes the layers and how a row
gets its score.
"""

__version__ = "0.2.0"

__all__ = ["VAELSTMDetector", "__version__"]


def __getattr__(name):
    # Lazy (PEP 562): importing torch and scikit-learn takes seconds, and the
    # command line must answer --help, --version and argument errors without them.
    if name == "VAELSTMDetector":
        from ._model._detector import VAELSTMDetector

        return VAELSTMDetector
    raise AttributeError(f"module 'skvaelstm' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
