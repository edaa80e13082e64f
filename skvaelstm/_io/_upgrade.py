"""Models of skvaelstm 0.1 (files and trusted pickles), upgraded to this version.

A 0.1 model lacks some parameters and fitted attributes; they get the values
that keep its behaviour (``_ADDED_PARAMETERS``, ``window_size_`` from the
parameter, no per-channel error scaling). One change cannot be undone: errors of
several channels are now combined by a geometric mean (0.1: the arithmetic
mean), so a multi-channel 0.1 model scores on another scale than its threshold
``offset_``, a percentile of 0.1's training scores. The file holds neither the
training rows nor their scores, so the threshold is derived again only from
training rows the caller gives; without them such a model is refused.

A 0.1 model is recognised by its missing ``error_scale_``, not by the version
it records: development builds of 0.2 recorded "0.1.0" too
(tests/data/model_format1.skv is one, with every attribute of 0.2).
"""

import warnings

import numpy as np

from ._model_errors import ModelFileError, ModelUpgradeWarning

__all__ = []

# Parameters added after skvaelstm 0.1, with the values that reproduce 0.1 when
# a 0.1 file lacks them (the current defaults would not: "both" cannot score
# with 0.1's per-row aggregations).
_ADDED_PARAMETERS = {"error_source": "prediction", "learning_rate": "constant",
                     "n_threads": None, "channel_combination": "geometric",
                     "pot_risk": 1e-4, "pot_level": 0.98}


def _new_threshold_needed(estimator, from_0_1, path, threshold_data):
    """Whether ``estimator``, upgraded from 0.1 if ``from_0_1``, is a multi-channel
    0.1 model, whose ``offset_`` must be derived again (``_derive_threshold``).

    Raises ``ModelFileError`` for such a model without ``threshold_data``, and
    ``ValueError`` for ``threshold_data`` given for any other model (it would
    be ignored).
    """
    needed = from_0_1 and estimator.n_features_in_ > 1
    if needed and threshold_data is None:
        raise ModelFileError(
            f"{path} holds a model of skvaelstm 0.1 with {estimator.n_features_in_} channels. "
            "This version combines the channels' errors by a geometric mean (0.1: the "
            "arithmetic mean), so the model's threshold offset_, taken from 0.1's scores of "
            "its training rows, would flag other rows than intended, and the file does not "
            "hold what is needed to derive it again. Load it in Python with "
            "load_model(path, threshold_data=X_train), where X_train are the rows it was "
            "fitted on, and save it again with save_model(); or fit a new model.")
    if threshold_data is not None and not needed:
        raise ValueError(
            f"threshold_data is only for multi-channel models of skvaelstm 0.1; {path} holds "
            "a model whose threshold offset_ belongs to its scores: leave threshold_data out.")
    return needed


def _upgrade_attributes(estimator):
    """Parameters and fitted attributes that models of skvaelstm 0.1 lack, with the
    values that keep their behaviour: the given window, no per-channel error
    scaling, 0.1's error source and schedule, torch's thread setting. Scores stay
    the same for one channel (see the module docstring for several).

    Returns whether the model is one of 0.1 (it had no ``error_scale_``).
    """
    for name, value in _ADDED_PARAMETERS.items():
        if name not in vars(estimator):            # a trusted 0.1 pickle
            setattr(estimator, name, value)
    if not hasattr(estimator, "window_size_"):
        estimator.window_size_ = estimator.window_size
    # files written before fit could shrink n_windows used the parameter; their
    # validation tail is not recorded, and they have no tails for rule "tail"
    if not hasattr(estimator, "n_windows_"):
        estimator.n_windows_ = estimator.n_windows
    # files written before the training scores were kept: set_threshold needs
    # the training rows, and offset_ is taken to belong to the parameters
    for name in ("validation_rows_", "error_tail_", "train_scores_", "threshold_params_"):
        if not hasattr(estimator, name):
            setattr(estimator, name, None)
    if hasattr(estimator, "error_scale_"):
        return False
    estimator.error_scale_ = np.ones((2, estimator.n_features_in_))
    return True


def _derive_threshold(estimator, path, threshold_data, stacklevel):
    """Set ``offset_`` of an upgraded multi-channel 0.1 model from its training rows,
    as ``fit`` sets it (``set_threshold``: also ``train_scores_``)."""
    estimator.set_threshold(threshold_data)
    scores = estimator.train_scores_
    warnings.warn(
        f"{path} holds a model of skvaelstm 0.1 with {estimator.n_features_in_} channels: "
        "its scores now combine the channels by a geometric mean (0.1: the arithmetic "
        f"mean), so they differ from 0.1's, and its threshold offset_ was derived again "
        f"from the {len(scores)} rows of threshold_data (contamination="
        f"{estimator.contamination!r}). Save the model with save_model() to keep this "
        "threshold.", ModelUpgradeWarning, stacklevel=stacklevel)
