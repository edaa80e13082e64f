"""skvaelstm: a scikit-learn compatible VAE-LSTM time-series anomaly detector."""

__version__ = "0.1.0"
