"""The internals of :mod:`skvaelstm.fleet`: its result types, the per-series task
runner and the Dask worker plugin.
"""
