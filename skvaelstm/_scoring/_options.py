"""The score options and what each needs of its input.

Two families of row scores (see ``VAELSTMDetector``):

* per row (``"newest"``, ``"mean"``, ``"max"``): a row's own errors in the
  predicted windows covering it; causal;
* pooled (``"window_*"``, ``"trailing_*"``): each window first gets one error,
  the mean or max over its rows; a row then gets the mean over the windows
  covering it (``window_*``, reads up to ``window_size - 1`` later rows) or the
  error of the window ending at it (``trailing_*``, causal). Wide labelled
  anomaly windows around short spikes are found this way: a row's own error is
  often ordinary noise, the window around it is not.
"""

from ..exceptions import InputError

PER_ROW = ("newest", "mean", "max")
POOLED = ("window_mean", "window_max", "trailing_mean", "trailing_max")
SOURCES = ("prediction", "reconstruction", "both")
# How a row's errors in the channels become one error (``_errors``); for one
# channel every rule gives the channel's own error.
COMBINATIONS = ("geometric", "mean", "max", "top3", "common_scale", "tail")


def _look_ahead(aggregation, window_size):
    """How many rows after a row its score reads (0 = causal)."""
    return window_size - 1 if aggregation.startswith("window_") else 0


def _min_score_rows(aggregation, window_size):
    """Fewest rows a score needs: one predicted window (pooled: a complete one)."""
    return 2 * window_size if aggregation in POOLED else window_size + 1


def _check_scoring_options(aggregation, error_source):
    """Per-row aggregations compare a row with windows that start at or before it;
    only predicted windows do that without reading later rows."""
    if aggregation in PER_ROW and error_source != "prediction":
        raise InputError(
            f"score_aggregation={aggregation!r} scores rows by their own errors in predicted "
            f"windows and needs error_source='prediction' (got {error_source!r}); use a "
            f"pooled aggregation ({', '.join(map(repr, POOLED))}) with {error_source!r}.")
