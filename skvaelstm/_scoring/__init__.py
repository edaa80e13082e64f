"""The scoring engine: from rows to per-row (and per-channel) scores.

Layers, each a module, each importing only the ones above it:

* ``_windows``: which rows a window holds and which windows a prediction reads;
* ``_options``: the score options (aggregations, error sources) and their needs;
* ``_missing``: missing values (NaN, ``missing="mask"``): the skip rule of
  windows mostly missing, sums over observed values;
* ``_passes``: the network passes (encode, predict, decode), batch-invariant;
* ``_errors``: a window's errors per row, combined over channels, with the
  channels' parts, and each channel's typical error (``error_scale_``);
* ``_pooling``: window errors onto rows (a window's pool, per-row statistics,
  the mean over the windows covering a row);
* ``_engine``: the incremental engine that ``score_samples``, ``channel_scores``,
  ``fit``'s offset and ``skvaelstm.streaming.StreamScorer`` all run.

Nothing here imports the estimator, the files, the command line or the metrics.
"""
