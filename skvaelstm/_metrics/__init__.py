"""Anomaly-detection metrics: the internals of :mod:`skvaelstm.metrics`."""
