"""Mini-batch training loop shared by the VAE and the LSTM stage.

Early stopping follows ``MLPRegressor``: with a validation set, stop after
``n_iter_no_change`` epochs without the validation loss improving by ``tol`` and
restore the best weights; without one, stop when the training loss stalls.
"""

import copy
import logging
import math

import numpy as np
import torch
from sklearn.utils import check_random_state

from .._scoring._missing import _MAX_MISSING_SHARE, _skipped_starts
from .._scoring._windows import _sequence_indices
from ..exceptions import InputError
from ._vae import _negative_elbo

logger = logging.getLogger("skvaelstm")
# Adam moments of the reference: beta2 = 0.95 for the VAE, Keras defaults for the LSTM.
_VAE_BETAS = (0.9, 0.95)
_LSTM_BETAS = (0.9, 0.999)
# Windows per validation forward pass.
_EVAL_CHUNK = 4096
# A stage has diverged when an epoch's loss exceeds this multiple of the loss of
# the untrained network (at least 1): inputs are standardised, so healthy
# training only lowers the loss; a finite 1e29 is as broken as NaN.
_DIVERGENCE_FACTOR = 1e4


def _make_generators(seed, device):
    """Private RNGs: a CPU one for shuffling and one on ``device`` for sampling.

    Training never draws from torch's global generators, so the user's RNG
    state is left alone and two fits with the same seed match bit for bit.
    """
    cpu = torch.Generator().manual_seed(seed)
    if device.type == "cpu":
        return cpu, cpu
    return cpu, torch.Generator(device=device).manual_seed(seed + 1)


def _progress(verbose, stage, max_iter):
    """A tqdm bar for ``verbose == 1``, else ``None``."""
    if verbose != 1:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=max_iter, desc=f"{stage} epochs", leave=False)


def _fit_stage(module, batch_loss, n_train, validation_loss, *, stage, max_iter, batch_size,
               learning_rate, schedule, betas, n_iter_no_change, tol, shuffle_generator,
               device, verbose):
    """Train ``module`` in place.

    Parameters
    ----------
    module : torch.nn.Module
    batch_loss : callable
        ``batch_loss(index_tensor) -> scalar loss tensor`` for a batch of
        training items given by their indices.
    n_train : int
        Number of training items.
    validation_loss : callable or None
        ``validation_loss() -> float``, evaluated after each epoch (module in
        eval mode, no gradients). ``None`` disables early stopping on it.
    stage : str
        Name used in progress output and error messages.
    schedule : {"constant", "cosine"}
        ``"cosine"`` lowers the learning rate after every mini-batch along half
        a cosine from ``learning_rate`` to 0 at the end of epoch ``max_iter``
        (Loshchilov & Hutter, "SGDR", ICLR 2017, without restarts); reaching
        ``max_iter`` is then the planned end of training, not a failure to
        converge, so no ``ConvergenceWarning`` is raised.

    Returns
    -------
    history : dict
        ``loss`` and ``validation_loss`` lists (one entry per epoch), ``n_iter``
        and ``best_validation_loss``.
    """
    if not learning_rate / (1.0 - betas[0]) < float(np.finfo(np.float32).max):
        # torch would fail inside Adam's first step with an obscure RuntimeError
        raise InputError(f"learning_rate_init={learning_rate:g} is too large: Adam's first "
                         "step overflows float32.")
    optimizer = torch.optim.Adam(module.parameters(), lr=learning_rate, betas=betas)
    losses, val_losses = [], []
    best, best_state, stall = math.inf, None, 0
    limit = None  # set from the loss of the untrained network (first batch)
    bar = _progress(verbose, stage, max_iter)
    not_converged = None
    n_steps = max_iter * math.ceil(n_train / batch_size)
    step = 0
    try:
        for epoch in range(1, max_iter + 1):
            module.train()
            order = torch.randperm(n_train, generator=shuffle_generator).to(device)
            total = 0.0
            for start in range(0, n_train, batch_size):
                if schedule == "cosine":
                    for group in optimizer.param_groups:
                        group["lr"] = 0.5 * learning_rate * (
                            1.0 + math.cos(math.pi * step / n_steps))
                    step += 1
                index = order[start:start + batch_size]
                loss = batch_loss(index)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                total += loss.item() * len(index)
                if limit is None:
                    limit = _DIVERGENCE_FACTOR * max(total / len(index), 1.0)
            epoch_loss = total / n_train
            _check_divergence(stage, epoch, "loss", epoch_loss, limit)
            losses.append(epoch_loss)
            monitored = epoch_loss
            if validation_loss is not None:
                module.eval()
                with torch.no_grad():
                    monitored = validation_loss()
                _check_divergence(stage, epoch, "validation loss", monitored, math.inf)
                val_losses.append(monitored)
            if monitored < best - tol:
                best, stall = monitored, 0
                if validation_loss is not None:
                    best_state = copy.deepcopy(module.state_dict())
            else:
                stall += 1
            _report(bar, verbose, stage, epoch, max_iter, epoch_loss, val_losses)
            if stall >= n_iter_no_change:
                break
        else:
            if schedule != "cosine":   # the cosine schedule ends by design at max_iter
                not_converged = (
                    f"{stage}: maximum iterations ({max_iter}) reached and the "
                    f"{'validation' if validation_loss is not None else 'training'} loss "
                    "is still improving; consider increasing max_iter.")
    finally:
        if bar is not None:
            bar.close()
    if best_state is not None:
        module.load_state_dict(best_state)
    if not all(torch.isfinite(p).all() for p in module.parameters()):
        # the last step's loss was computed before the step: only the weights show it
        raise FloatingPointError(
            f"{stage} training diverged: its last update made the weights non-finite; "
            "lower learning_rate_init or check the input for extreme values.")
    module.eval()
    return {
        "loss": losses,
        "validation_loss": val_losses,
        "n_iter": len(losses),
        "best_validation_loss": best if validation_loss is not None else None,
        # warned by the estimator's fit, after the progress bar is gone and
        # with the stack level of the user's call
        "not_converged": not_converged,
    }


def _check_divergence(stage, epoch, name, value, limit):
    """Raise ``FloatingPointError`` for a non-finite loss or one above ``limit``."""
    if math.isfinite(value) and value <= limit:
        return
    raise FloatingPointError(
        f"{stage} training diverged at epoch {epoch} ({name}={value:.4g}"
        + (f", over {_DIVERGENCE_FACTOR:g} times that of the untrained network"
           if math.isfinite(value) else "")
        + "); lower learning_rate_init or check the input for extreme values.")


def _report(bar, verbose, stage, epoch, max_iter, loss, val_losses):
    """One progress-bar tick (``verbose=1``) or one log record (``verbose>=2``)."""
    val = f", validation loss {val_losses[-1]:.5g}" if val_losses else ""
    if bar is not None:
        bar.update(1)
        bar.set_postfix_str(f"loss {loss:.5g}{val}")
    elif verbose >= 2:
        logger.info("%s epoch %d/%d: loss %.5g%s", stage, epoch, max_iter, loss, val)


def _seed(random_state):
    """A torch seed derived from ``random_state`` without touching global RNGs.

    ``check_random_state(None)`` would return numpy's global generator and draw
    from it; a fresh entropy-seeded generator is used instead.
    """
    if random_state is None:
        return int(np.random.default_rng().integers(2**31 - 1))
    return int(check_random_state(random_state).randint(2**31 - 1))


def _fit_vae(vae, series, split, window_size, sigma, generator, common):
    """Stage 1: the VAE on all stride-1 windows of the training rows.

    Missing values (NaN): windows with more than ``_MAX_MISSING_SHARE`` of their
    values missing are skipped (as in scoring); the others are fed with 0 (the
    channel mean) where values are missing, which the loss leaves out (Donut).
    """
    W = window_size
    masked = bool(torch.isnan(series).any())
    train, kept = _kept_windows(series[:split], W, masked, "training")

    def batch_loss(index):
        x, observed = _masked(train[kept[index] if masked else index], masked)
        reconstruction, mean, std = vae(x, generator)
        return _negative_elbo(x, reconstruction, mean, std, sigma, observed)

    validation = None
    if split < len(series):
        held_out, held_kept = _kept_windows(series[split:], W, masked, "validation")

        def validation():
            # deterministic (z = mean), so early stopping is not driven by noise
            total = 0.0
            for i in range(0, len(held_kept), _EVAL_CHUNK):
                chunk = held_kept[i:i + _EVAL_CHUNK]
                x, observed = _masked(held_out[chunk] if masked else held_out[i:i + len(chunk)],
                                      masked)
                mean, std = vae.encoder(x)
                loss = _negative_elbo(x, vae.decoder(mean), mean, std, sigma, observed)
                total += loss.item() * len(x)
            return total / len(held_kept)

    return _fit_stage(vae, batch_loss, len(kept), validation, stage="VAE",
                      betas=_VAE_BETAS, **common)


def _fit_lstm(lstm, codes, split, window_size, n_windows, common):
    """Stage 2: the LSTM on the latent means ``codes`` of all windows (frozen VAE).

    Missing values: a sequence holding a skipped window (NaN code), as context or
    as target, is skipped; scoring predicts nothing from such a context either.
    """
    W = window_size
    train_seq = _kept_sequences(codes, _sequence_indices(split, W, n_windows), "training")

    def batch_loss(index):
        sequences = codes[train_seq[index]]
        return torch.nn.functional.mse_loss(lstm(sequences[:, :-1]), sequences[:, 1:])

    validation = None
    n_held_out = len(codes) + W - 1 - split
    if n_held_out > 0:
        # the tail may be shorter than a full sequence: the LSTM is trained
        # on every prefix length, so shorter sequences are valid inputs.
        k = min(n_windows, n_held_out // W)
        held_out = codes[_kept_sequences(codes, split + _sequence_indices(n_held_out, W, k),
                                         "validation")]

        def validation():
            return torch.nn.functional.mse_loss(
                lstm(held_out[:, :-1]), held_out[:, 1:]).item()

    return _fit_stage(lstm, batch_loss, len(train_seq), validation, stage="LSTM",
                      betas=_LSTM_BETAS, **common)


def _masked(x, masked):
    """Windows with NaN filled by 0 and where values are observed (None without NaN)."""
    if not masked:
        return x, None
    observed = ~torch.isnan(x)
    return torch.where(observed, x, torch.zeros((), dtype=x.dtype)), observed


def _too_few(what, kind):
    rule = (f"has at most {_MAX_MISSING_SHARE:.0%} of its values missing" if what == "window"
            else f"is free of windows with more than {_MAX_MISSING_SHARE:.0%} of their "
            "values missing")
    hint = ("; set early_stopping=False to train on all rows, or raise validation_fraction"
            if kind == "validation" else "")
    return InputError(f"too many missing values: no {kind} {what} {rule} (others are "
                      f"skipped); fit on rows with fewer gaps, or more rows{hint}.")


def _kept_windows(rows, window_size, masked, kind):
    """The stride-1 windows of ``rows`` (a view) and the indices (a tensor) of those
    not skipped for missing values (all, without NaN)."""
    windows = rows.unfold(0, window_size, 1)
    if not masked:
        return windows, torch.arange(len(windows), device=rows.device)
    kept = torch.nonzero(~_skipped_starts(rows, window_size)).flatten()
    if len(kept) == 0:
        raise _too_few("window", kind)
    return windows, kept


def _kept_sequences(codes, sequences, kind):
    """Indices (a tensor) of the sequences without a skipped window (NaN code)."""
    index = torch.from_numpy(sequences).to(codes.device)
    if len(index) and bool(torch.isnan(codes).any()):
        index = index[~torch.isnan(codes[index]).flatten(1).any(dim=1)]
        if len(index) == 0:
            raise _too_few("LSTM sequence", kind)
    return index
