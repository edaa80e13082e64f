"""The command line's input and output files: the checked table of ``DATA`` (and
of ``--context``), and the output paths, checked before any long work."""

import os

from ..exceptions import InputError
from ._errors import _input_errors
from ._output import _matplotlib, _note

__all__ = []  # private helper of skvaelstm.cli


def _load(args, time_column, columns, *, context=None, params=None):
    """The checked table of ``args.data``; with ``context`` (a file of the rows
    before it) the table of both and the number of context rows (with
    ``--resample``: of grid slots). ``params`` are the detector's parameters
    (with ``window_size_`` once fitted): whether missing values are masked, and
    the default ``--max-gap``."""
    import pandas as pd

    from .._io._table_files import _check_header
    from .._io._tables import _check_columns, _prepare

    frame = _read(args.data)
    if columns is None and time_column is None and not args.data.lower().endswith(
            (".parquet", ".pq")):
        # no column named: the header must look like names
        _check_header(frame, args.data)
    time_column, columns = _named_columns(args, frame, time_column, columns)
    path, n_context = args.data, 0
    if context is not None:
        if len(frame) == 0:
            raise InputError(f"{args.data} has no data rows.")
        before = _read(context)
        _check_columns(before, [c for c in [time_column, *columns] if c is not None], context)
        n_context = len(before)
        label = getattr(args, "label_column", None)
        if label in frame.columns:
            # context rows are never written nor plotted: a placeholder of the
            # data's own type keeps the column's type (no NaN turning 0/1 into floats)
            before = before.assign(**{label: frame[label].iloc[0]})
        # one table: time order, duplicates and gaps are checked across the seam
        shared = list(frame.columns.intersection(before.columns))
        frame = pd.concat([before[shared], frame], ignore_index=True)
        path = f"{context} + {args.data}"
    try:
        table = _prepare(frame, path=path, time_column=time_column, columns=columns,
                         sort=args.sort, allow_duplicates=args.allow_duplicates,
                         allow_gaps=args.allow_gaps, **_grid_options(args, params or {}))
    except InputError as exc:
        if context is None:
            raise
        raise InputError(f"--context {context} followed by {args.data} (data rows counted "
                         f"from the first row of {context}, which has {n_context}): "
                         f"{exc}") from exc
    for note in table.notes:
        _note(note)
    if table.slots is not None and n_context:   # the first data row's grid row
        n_context = int(table.slots[n_context])
    return table, n_context


def _grid_options(args, params):
    """``_prepare``'s options of missing values and ``--resample``."""
    missing = params.get("missing", "error")
    fitted = "window_size_" in params   # score: the model's option, fixed at fit
    advice = ("refit the model with --missing mask" if fitted else "pass --missing mask")
    resample = getattr(args, "resample", None)
    if resample is None:
        if getattr(args, "max_gap", None) is not None:
            raise InputError("--max-gap is the longest gap --resample fills: add --resample.")
        return {"missing": missing, "mask_advice": advice}
    # the limit itself, for the messages on segments (its default needs params)
    args.max_gap = _max_gap(args, params)
    return {"missing": missing, "mask_advice": advice, "resample": resample,
            "max_gap": args.max_gap}


def _max_gap(args, params):
    """``--max-gap``, by default the span of the LSTM's context (window_size x
    n_windows slots): after a longer gap no score holds anything of the rows
    before it, so the gap is an outage that splits the series into segments
    scored with fresh context (``_segments``) rather than a few lost points,
    and masking it would only write rows without a score. With ``--window-size
    auto`` before the fit, the largest automatic window (96)."""
    if args.max_gap is not None:
        if args.max_gap < 0:
            raise InputError(f"--max-gap {args.max_gap}: expected an integer >= 0.")
        return args.max_gap
    from .._model._window_size import _AUTO_BOUNDS

    window = params.get("window_size_", params["window_size"])
    window = _AUTO_BOUNDS[1] if window == "auto" else int(window)
    return window * int(params.get("n_windows_", params["n_windows"]))


def _named_columns(args, frame, time_column, columns):
    """The time column and the channels (``_choose_columns``); a label column
    found by its name becomes ``args.label_column``."""
    from .._io._tables import _check_columns, _choose_columns

    label = getattr(args, "label_column", None)
    if label is not None:
        _check_columns(frame, [label], args.data)
    time_column, columns, label, notes = _choose_columns(
        list(frame.columns), path=args.data, time_column=time_column, columns=columns,
        label=label)
    if label is not None:
        args.label_column = label
    for note in notes:
        _note(note)
    return time_column, columns


def _read(path):
    from .._io._tables import _read_table

    # a Parquet file without pyarrow installed: the user's setup, not a bug
    with _input_errors(ImportError):
        return _read_table(path)


def _check_outputs(args):
    for path in (args.output, getattr(args, "plot", None), getattr(args, "save_model", None),
                 getattr(args, "events", None)):
        if path:
            _check_output(path, args.data)
    if getattr(args, "plot", None):  # before a long fit, not after it
        _matplotlib()


def _check_output(path, data):
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(2, "output folder does not exist", folder)
    if os.path.exists(path) and os.path.samefile(path, data):
        raise InputError(f"{path} is the input file; refusing to overwrite it.")
