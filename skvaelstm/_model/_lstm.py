"""The LSTM that predicts the next window's latent code (Lin et al., 2020, Sec. 2.2).

The reference stacks LSTM(64) -> LSTM(64) -> LSTM(code_size, linear activation).
PyTorch's ``nn.LSTM`` has no linear-activation cell, so the last layer is replaced
by a linear head on a two-layer LSTM (``codes/models.py``, ``lstmKerasModel``, of
the reference code, github.com/lin-shuyu/VAE-LSTM-for-anomaly-detection at 10389bd).
It stays a recurrent network: the prediction for window ``j + 1`` sees windows
``0 .. j`` through the LSTM state.
"""

from torch import nn

_N_LAYERS = 2


class _LatentLSTM(nn.Module):
    """Sequence-to-sequence one-window-ahead predictor of VAE latent means.

    ``forward`` maps codes of shape (batch, n_steps, code_size) to predictions of
    the same shape: output ``j`` predicts the code of the window after input ``j``.
    """

    def __init__(self, code_size, hidden_size):
        super().__init__()
        self.lstm = nn.LSTM(code_size, hidden_size, num_layers=_N_LAYERS, batch_first=True)
        self.head = nn.Linear(hidden_size, code_size)

    def forward(self, codes):
        hidden, _ = self.lstm(codes)
        return self.head(hidden)


def _init_lstm_weights(module, generator):
    """Keras defaults used by the reference: Glorot input kernels, orthogonal
    recurrent kernels, zero biases except a unit forget-gate bias."""
    for name, param in module.lstm.named_parameters():
        if name.startswith("weight_ih"):
            nn.init.xavier_uniform_(param, generator=generator)
        elif name.startswith("weight_hh"):
            nn.init.orthogonal_(param, generator=generator)
        else:
            nn.init.zeros_(param)
            if name.startswith("bias_ih"):
                hidden = param.shape[0] // 4
                param.data[hidden:2 * hidden] = 1.0  # gate order: input, forget, cell, output
    nn.init.xavier_uniform_(module.head.weight, generator=generator)
    nn.init.zeros_(module.head.bias)
