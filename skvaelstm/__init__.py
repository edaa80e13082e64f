"""skvaelstm: a scikit-learn compatible VAE-LSTM time-series anomaly detector."""

__version__ = "0.1.0"

from ._detector import VAELSTMDetector

__all__ = ["VAELSTMDetector", "__version__"]
