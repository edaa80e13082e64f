"""Building the VAE and the LSTM without drawing from torch's global RNG.

``nn.Module`` constructors initialise their weights from torch's global
generator: a fit (or a model load) that built its networks the ordinary way
would advance the user's RNG, and concurrent fits in threads would take each
other's random numbers. The networks are built on the ``meta`` device (no
values, no random draws), moved to real memory, and then either initialised
from a private generator (``fit``) or filled from a model file (``load``).
"""

import torch

from ._lstm import _init_lstm_weights, _LatentLSTM
from ._vae import _VAE, _init_weights

__all__ = []


def _build_networks(n_features, window_size, code_size, vae_hidden_size, lstm_hidden_size,
                    *, generator=None):
    """An uninitialised (``generator=None``: to be loaded) or freshly initialised
    VAE and LSTM on the CPU."""
    with torch.device("meta"):
        vae = _VAE(n_features, window_size, code_size, vae_hidden_size)
        lstm = _LatentLSTM(code_size, lstm_hidden_size)
    vae, lstm = vae.to_empty(device="cpu"), lstm.to_empty(device="cpu")
    if generator is not None:
        _init_weights(vae, generator)
        _init_lstm_weights(lstm, generator)
    return vae, lstm
