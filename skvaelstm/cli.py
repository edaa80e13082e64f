"""The ``skvaelstm`` command (also ``python -m skvaelstm``).

Sub-commands: ``demo``, ``fit``, ``score``, ``detect`` (fit + score) and
``watch`` (live scores of rows as they arrive).
Exit codes: 0 success, 2 user error (bad option, file, column or value; one
``skvaelstm: error: ...`` line on stderr), 1 unexpected internal error, 130
interrupted (``watch``: 0, since Ctrl-C is how a watch is stopped). Progress
bars are shown when stderr is a terminal (``-q``/``--quiet``:
never); ``-v``/``--verbose`` shows them anywhere and adds full tracebacks;
``-vv`` logs one line per training epoch instead of the bars.
"""

import logging
import os
import sys
import time
import traceback
import warnings

from ._cli_output import _matplotlib, _output_columns, _write_scores
from ._cli_parser import _model_options, _parser

__all__ = ["main"]

_EXIT_USER_ERROR = 2
_EXIT_INTERNAL_ERROR = 1
_EXIT_INTERRUPTED = 130
_PACKAGE = os.path.dirname(os.path.abspath(__file__))


def main(argv=None):
    """Run the command line; return the exit code.

    Parameters
    ----------
    argv : list of str or None, default=None
        Arguments without the program name; ``sys.argv[1:]`` if None.

    Returns
    -------
    int
        0 on success, 2 for user errors, 1 for internal errors, 130 if interrupted.
    """
    args = _parser().parse_args(argv)  # usage errors exit with 2 here
    run = {"demo": _demo, "fit": _fit, "score": _score, "detect": _detect,
           "watch": _watch}[args.command]
    # progress bars where a person watches (stderr is a terminal), quiet in
    # pipes, CI logs and cron mails; -v forces them, -q turns them off
    args.traceback = args.verbose > 0          # asked for: -v also shows tracebacks
    args.verbose = 0 if args.quiet else args.verbose or int(_watched())
    verbose = args.verbose
    logger = logging.getLogger("skvaelstm")
    level = logger.level
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("skvaelstm: %(message)s"))
    if verbose >= 2:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            run(args)
    except KeyboardInterrupt:
        _error("interrupted.")
        return _EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - reported in one line; see _is_input_error
        if args.traceback:
            traceback.print_exc()
        if _is_input_error(exc):
            _error(_describe(exc))
            return _EXIT_USER_ERROR
        _error(f"internal error: {type(exc).__name__}: {_describe(exc)}"
               + ("" if args.traceback else " (run with --verbose for the traceback)"))
        return _EXIT_INTERNAL_ERROR
    finally:
        # called in-process (a notebook, a test): leave the logger as it was
        logger.removeHandler(handler)
        logger.setLevel(level)
    return 0


def _watched():
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):   # replaced or closed stderr
        return False


def _is_input_error(exc):
    """True for errors about the user's input or setup, raised on purpose by this
    package (or scikit-learn's parameter validation), and for the operating
    system's file errors. A ``ValueError`` that numpy or torch raise deep inside
    the package is a bug, not bad input: it gets exit code 1."""
    from ._compat import InvalidParameterError

    if isinstance(exc, (OSError, InvalidParameterError)):
        return True
    if not isinstance(exc, (ValueError, TypeError, ImportError, FloatingPointError)):
        return False
    frame = exc.__traceback__
    while frame is not None and frame.tb_next is not None:
        frame = frame.tb_next
    return frame is not None and os.path.dirname(
        os.path.abspath(frame.tb_frame.f_code.co_filename)) == _PACKAGE


# --------------------------------------------------------------------------
# sub-commands
# --------------------------------------------------------------------------
def _demo(args):
    from ._demo import _run_demo

    started = time.perf_counter()
    result = _run_demo(args.output, max_iter=args.max_iter, verbose=min(args.verbose, 2),
                       report=_say)
    print(f"\nTest rows: {result['n_test']} (anomaly ratio {result['chance']:.3f}, the chance "
          f"level of AUC-PR); VUS-PR sliding window {result['sliding_window']}; epochs "
          f"VAE/LSTM {result['epochs'][0]}/{result['epochs'][1]}.")
    print(f"{'detector':<36} {'VUS-PR':>7} {'AUC-PR':>7} {'fit (s)':>8}")
    for name, vus, ap, seconds in result["rows"]:
        print(f"{name:<36} {vus:>7.3f} {ap:>7.3f} {seconds:>8.1f}")
    print(f"VAELSTMDetector flags {result['flagged']} of the test rows "
          "(threshold: contamination='auto').")
    for note in result["notes"]:
        _note(note)
    print("\nWritten:")
    for label, path in result["paths"].items():
        print(f"  {label:<7} {os.path.abspath(path)}")
    print(f"Done in {time.perf_counter() - started:.0f} s.")


def _fit(args):
    from .persistence import save_model

    _check_outputs(args)  # before the long fit, not after it
    table, _ = _load(args, args.time_column, args.columns)
    detector, n_train, seconds = _fitted(args, table)
    save_model(detector, args.output, metadata=_metadata(args, table, n_train))
    _say(f"fitted on {n_train} rows x {table.X.shape[1]} channel(s) in {seconds:.1f} s "
         f"(epochs VAE/LSTM: {detector.n_iter_[0]}/{detector.n_iter_[1]}).")
    _say(f"model written to {args.output}")


def _score(args):
    from .persistence import load_model

    _check_outputs(args)
    if args.context and args.sort:
        raise ValueError("--sort cannot be combined with --context: sort both files first.")
    detector = load_model(args.model, trusted=args.trusted)
    time_column, columns = _model_columns(args, detector)
    table, first_row = _load(args, time_column, columns, context=args.context)
    _write_scores(args, detector, table, time_column, first_row=first_row, report=_say)


def _detect(args):
    from .persistence import save_model

    _check_outputs(args)
    table, _ = _load(args, args.time_column, args.columns)
    _output_columns(args, table, args.time_column)  # before the fit and the model file
    detector, n_train, seconds = _fitted(args, table)
    _say(f"fitted on {n_train} rows in {seconds:.1f} s (epochs VAE/LSTM: "
         f"{detector.n_iter_[0]}/{detector.n_iter_[1]}).")
    if args.save_model:   # the same file as ``fit`` writes, metadata included
        save_model(detector, args.save_model, metadata=_metadata(args, table, n_train))
        _say(f"model written to {args.save_model}")
    _write_scores(args, detector, table, args.time_column, train_end=n_train,
                  report=_say)


def _watch(args):
    from ._watch import _watch as watch

    if args.follow and args.data == "-":
        raise ValueError("--follow needs a file to follow, not standard input.")
    watch(args, note=_note, warn=_warn)


def _fitted(args, table):
    """The detector fitted on the training rows of ``table``, their number, seconds."""
    from ._detector import VAELSTMDetector

    n_train = _train_count(args, table)
    detector = VAELSTMDetector(**_model_options(args))
    _check_training_rows(detector, table.X.iloc[:n_train])
    started = time.perf_counter()
    detector.fit(table.X.iloc[:n_train])
    seconds = time.perf_counter() - started
    # progress depends on the terminal the fit ran in; the saved model must not
    return detector.set_params(verbose=0), n_train, seconds


def _metadata(args, table, n_train):
    """What ``score`` needs to read a new file as the training file was read."""
    return {"time_column": args.time_column, "columns": list(table.X.columns),
            "n_train_rows": n_train, "source": os.path.basename(args.data)}


def _check_training_rows(detector, X):
    """Too few training rows, said in the command line's terms (the estimator's
    own message names Python parameters)."""
    from ._window_size import _auto_window_size, _min_fit_rows

    detector._validate_params()
    p = detector.get_params()
    W = (_auto_window_size(X.to_numpy(), p["n_windows"], p["early_stopping"],
                           p["validation_fraction"])
         if p["window_size"] == "auto" else p["window_size"])

    def needed(window):
        return _min_fit_rows(window, p["n_windows"], p["early_stopping"],
                             p["validation_fraction"])

    n = len(X)
    if n >= needed(W):
        return
    fitting = [w for w in range(W - 1, 1, -1) if needed(w) <= n]
    tail = (f", and a validation tail of at least {2 * W} rows, which is "
            f"--validation-fraction {p['validation_fraction']} of the rows"
            if p["early_stopping"] else "")
    advice = [f"--window-size {fitting[0]} (the largest that fits)"] if fitting else []
    if p["early_stopping"]:
        advice.append("--no-early-stopping (trains on all rows, no validation tail)")
    advice.append("fewer --n-windows")
    raise ValueError(
        f"{n} training rows are too few: with --window-size {W} and --n-windows "
        f"{p['n_windows']} the model needs at least {needed(W)} rows ({W * p['n_windows']} "
        f"to train on{tail}). Use more rows, or try " + ", or ".join(advice) + ".")


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------
def _load(args, time_column, columns, *, context=None):
    """The checked table of ``args.data``; with ``context`` (a file of the rows
    before it) the table of both and the number of context rows."""
    import pandas as pd

    from ._tables import _check_columns, _check_header, _prepare, _read_table

    frame = _read_table(args.data)
    exclude = [getattr(args, "label_column", None)]
    if columns is None and time_column is None and not args.data.lower().endswith(
            (".parquet", ".pq")):
        _check_header(frame, args.data)  # no column named: the header must look like names
    if columns is None:
        columns = [c for c in frame.columns if c != time_column and c not in exclude]
    path, n_context = args.data, 0
    if context is not None:
        if len(frame) == 0:
            raise ValueError(f"{args.data} has no data rows.")
        before = _read_table(context)
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
                         allow_gaps=args.allow_gaps)
    except ValueError as exc:
        if context is None:
            raise
        raise ValueError(f"--context {context} followed by {args.data} (data rows counted "
                         f"from the first row of {context}, which has {n_context}): "
                         f"{exc}") from None
    for note in table.notes:
        _note(note)
    return table, n_context


def _train_count(args, table):
    from ._tables import _train_rows

    return _train_rows(table, train_until=args.train_until, train_rows=args.train_rows)


def _model_columns(args, detector):
    """The time column and channels to read: the options, else the model's
    (its fitted column names, or what its file's metadata recorded)."""
    from .persistence import ModelFileError, read_model_info

    try:
        stored = read_model_info(args.model)["metadata"]
    except ModelFileError:  # a trusted pickle has no stored metadata
        stored = {}
    time_column = args.time_column or stored.get("time_column")
    return time_column, args.columns or _fitted_columns(detector) or stored.get("columns")


def _fitted_columns(detector):
    names = getattr(detector, "feature_names_in_", None)
    return None if names is None else [str(n) for n in names]


def _check_outputs(args):
    for path in (args.output, getattr(args, "plot", None), getattr(args, "save_model", None)):
        if path:
            _check_output(path, args.data)
    if getattr(args, "plot", None):  # before a long fit, not after it
        _matplotlib()


def _check_output(path, data):
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(2, "output folder does not exist", folder)
    if os.path.exists(path) and os.path.samefile(path, data):
        raise ValueError(f"{path} is the input file; refusing to overwrite it.")


def _describe(exc):
    if isinstance(exc, OSError) and exc.strerror and exc.filename:
        return f"{exc.filename}: {exc.strerror}"
    text = " ".join(str(exc).split())  # one line, whatever the message
    return text or type(exc).__name__


def _say(message):
    print(message, flush=True)


def _note(message):
    print(f"skvaelstm: note: {message}", file=sys.stderr, flush=True)


def _error(message):
    print(f"skvaelstm: error: {message}", file=sys.stderr, flush=True)


def _warn(message, kind="warning"):
    print(f"skvaelstm: {kind}: {message}", file=sys.stderr, flush=True)


def _show_warning(message, category, filename, lineno, file=None, line=None):
    print(f"skvaelstm: warning: {message}", file=sys.stderr, flush=True)
