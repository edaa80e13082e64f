"""The variational auto-encoder that learns short windows (Lin et al., 2020, Sec. 2.1).

The reference code (github.com/lin-shuyu/VAE-LSTM-for-anomaly-detection at 10389bd,
``codes/models.py``, ``VAEmodel``) hard-wired its convolution stacks for windows of 24,
48 and 144 rows and one channel. Here the stacks are derived from ``window_size``:
stride-2 convolutions halve the time axis until at most ``_BOTTOM_LENGTH`` steps
remain, a "valid" convolution then collapses it, and the decoder mirrors the path
with the reference's depth-to-space ("pixel shuffle") up-sampling, cropping to the
exact encoder lengths. For window 48 this gives the
reference's 48 -> 24 -> 12 -> 6 -> 1 encoder. Any number of channels works: they
are the convolution input channels.
"""

import math

import torch
from torch import nn
from torch.nn import functional as F

# Time steps left before the collapsing convolution: 6 reproduces the
# reference encoder for its main window length (48 -> 24 -> 12 -> 6).
_BOTTOM_LENGTH = 6
# TensorFlow's leaky_relu default slope, used everywhere in the reference.
_LEAK = 0.2
# The reference parameterises the posterior std directly, with this floor.
_STD_FLOOR = 1e-2


def _stage_lengths(window_size):
    """Time lengths along the encoder: ``[window_size, ..., bottom]``."""
    lengths = [window_size]
    while lengths[-1] > _BOTTOM_LENGTH:
        lengths.append(math.ceil(lengths[-1] / 2))
    return lengths


def _stage_channels(n_down, hidden_size):
    """Channels of the stride-2 convolutions: H/16, H/8, H/4, then capped at H/4."""
    base = max(hidden_size // 16, 4)
    cap = max(hidden_size // 4, base)
    return [min(base * 2**i, cap) for i in range(n_down)]


def _pixel_shuffle_1d(x, factor):
    """TF ``depth_to_space`` on a (batch, channels, time) tensor.

    Output step ``factor * t + i``, channel ``c`` takes input step ``t``, channel
    ``i * C / factor + c`` (TensorFlow's ``tf.nn.depth_to_space`` ordering).
    """
    batch, channels, length = x.shape
    x = x.reshape(batch, factor, channels // factor, length)
    return x.permute(0, 2, 3, 1).reshape(batch, channels // factor, length * factor)


class _Encoder(nn.Module):
    """Convolutional encoder: window -> diagonal Gaussian posterior (mean, std)."""

    def __init__(self, n_channels, window_size, code_size, hidden_size):
        super().__init__()
        lengths = _stage_lengths(window_size)
        channels = _stage_channels(len(lengths) - 1, hidden_size)
        convs = []
        in_channels = n_channels
        for out_channels in channels:
            convs.append(nn.Conv1d(in_channels, out_channels, 3, stride=2, padding=1))
            in_channels = out_channels
        self.downs = nn.ModuleList(convs)
        self.collapse = nn.Conv1d(in_channels, hidden_size, lengths[-1])
        self.dense = nn.Linear(hidden_size, 4 * code_size)
        self.mean = nn.Linear(4 * code_size, code_size)
        self.std = nn.Linear(4 * code_size, code_size)

    def forward(self, x):
        for conv in self.downs:
            x = F.leaky_relu(conv(x), _LEAK)
        x = F.leaky_relu(self.collapse(x), _LEAK).flatten(1)
        x = F.leaky_relu(self.dense(x), _LEAK)
        # softplus instead of the reference's ReLU: a ReLU head that goes
        # negative sticks at the floor with zero gradient.
        return self.mean(x), F.softplus(self.std(x)) + _STD_FLOOR


class _Decoder(nn.Module):
    """Convolutional decoder: latent code -> window (the Gaussian mean)."""

    def __init__(self, n_channels, window_size, code_size, hidden_size):
        super().__init__()
        lengths = _stage_lengths(window_size)
        channels = _stage_channels(len(lengths) - 1, hidden_size)
        self._lengths = lengths
        self._start_channels = channels[-1] if channels else max(hidden_size // 16, 4)
        self.dense = nn.Linear(code_size, hidden_size)
        self.expand = nn.Linear(hidden_size, self._start_channels * lengths[-1])
        ups = []
        in_channels = self._start_channels
        for out_channels in reversed(channels):
            ups.append(nn.Conv1d(in_channels, 2 * out_channels, 3, padding=1))
            in_channels = out_channels
        self.ups = nn.ModuleList(ups)
        self.out = nn.Conv1d(in_channels, n_channels, 5, padding=2)

    def forward(self, z):
        x = F.leaky_relu(self.dense(z), _LEAK)
        x = F.leaky_relu(self.expand(x), _LEAK)
        x = x.reshape(z.shape[0], self._start_channels, self._lengths[-1])
        for conv, length in zip(self.ups, reversed(self._lengths[:-1])):
            x = _pixel_shuffle_1d(F.leaky_relu(conv(x), _LEAK), 2)[:, :, :length]
        return self.out(x)


class _VAE(nn.Module):
    """Encoder + decoder; ``forward`` draws one reparameterised sample."""

    def __init__(self, n_channels, window_size, code_size, hidden_size):
        super().__init__()
        self.encoder = _Encoder(n_channels, window_size, code_size, hidden_size)
        self.decoder = _Decoder(n_channels, window_size, code_size, hidden_size)

    def forward(self, x, generator=None):
        mean, std = self.encoder(x)
        noise = torch.randn(mean.shape, generator=generator, device=mean.device,
                            dtype=mean.dtype)
        return self.decoder(mean + std * noise), mean, std


def _negative_elbo(x, reconstruction, mean, std, sigma, observed=None):
    """Gaussian-likelihood negative ELBO per window element, averaged over the batch.

    The reference minimised ``SSE / (4 sigma^2) + KL`` with a constant ``2 pi``
    (``codes/base.py`` of the reference code); this is the textbook ``SSE / (2 sigma^2) + KL``
    without constants, divided by the window size so that losses (and ``tol``)
    do not scale with ``window_size * n_channels``.

    ``observed`` (bool, as ``x``), for missing values: the SSE sums the observed
    elements only, as Donut's modified ELBO leaves missing points out of the
    likelihood (they are fed as 0, the channel mean, and never learned).
    """
    n_elements = x.shape[1] * x.shape[2]
    squared = (x - reconstruction).square()
    if observed is not None:
        squared = squared * observed
    sse = squared.sum(dim=(1, 2))
    kl = 0.5 * (mean.square() + std.square() - 2.0 * std.log() - 1.0).sum(dim=1)
    return ((sse / (2.0 * sigma**2) + kl) / n_elements).mean()


def _init_weights(module, generator):
    """Glorot-uniform weights and zero biases, as the reference initialises."""
    for layer in module.modules():
        if isinstance(layer, (nn.Conv1d, nn.Linear)):
            nn.init.xavier_uniform_(layer.weight, generator=generator)
            nn.init.zeros_(layer.bias)
