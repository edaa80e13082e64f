"""The ``skvaelstm`` command (also ``python -m skvaelstm``): the sub-commands'
dispatch.

Sub-commands: ``demo``, ``fit``, ``score``, ``detect`` (fit + score) and
``watch`` (live scores of rows as they arrive).

Exit codes: 0 success; 2 the user's input was refused (a bad option, file,
column, value or model file: one ``skvaelstm: error: ...`` line on stderr); 1
an internal error (a bug); 130 interrupted (``watch``: 0, since Ctrl-C is how
a watch is stopped). The code follows the exception's type, never the place it
was raised (the rule's code: ``_cli_errors``):

- exit 2 for ``skvaelstm.exceptions.InputError`` (the package's input checks
  and the command line's options), ``persistence.ModelFileError``,
  scikit-learn's ``InvalidParameterError`` and ``OSError`` (a file the
  operating system refused; it names the file);
- a ``ValueError`` is the user's only when raised by a check whose contract is
  to refuse the input: the estimator's own validation (``validate_data``: non-
  finite values, other channels; too few rows; values too extreme to
  standardise; options that do not work together; a device that is not
  available), which the command line runs on its own before ``fit`` and
  scoring, the table checks of ``_tables`` and the ``watch`` loop; those calls
  turn it into ``InputError``. ``fit`` and scoring themselves add only
  ``FloatingPointError`` (training diverged with the chosen options);
- every other exception is a bug (exit 1): a ``ValueError`` from numpy, pandas
  or torch inside ``fit`` or scoring, or any exception of the command line's
  own code that is not an ``InputError``.

Progress bars are shown when stderr is a terminal (``-q``/``--quiet``: never);
``-v``/``--verbose`` shows them anywhere and adds full tracebacks; ``-vv`` logs
one line per training epoch instead of the bars.
"""

import logging
import os
import sys
import time
import warnings

from ._cli._errors import _EXIT_INTERRUPTED, _EXIT_OK, _error, _exit_code
from ._cli._options import _in_flags
from ._cli._output import _note, _say, _show_warning, _warn, _write_scores
from ._cli._parser import _parser
from .exceptions import InputError

__all__ = ["main"]


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
    logger = logging.getLogger("skvaelstm")
    level = logger.level
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("skvaelstm: %(message)s"))
    if args.verbose >= 2:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            run(args)
    except KeyboardInterrupt:
        _error("interrupted.")
        return _EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - every failure is one line; see _cli_errors
        return _exit_code(exc, show_traceback=args.traceback, in_words=_in_flags)
    finally:
        # called in-process (a notebook, a test): leave the logger as it was
        logger.removeHandler(handler)
        logger.setLevel(level)
    return _EXIT_OK


def _watched():
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):   # replaced or closed stderr
        return False


# --------------------------------------------------------------------------
# sub-commands
# --------------------------------------------------------------------------
def _demo(args):
    from ._cli._demo import _run_demo

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
    from ._cli._data import _check_outputs, _load
    from ._cli._model import _fitted, _metadata
    from ._cli._options import _check_data_options, _model_options
    from .persistence import save_model

    options = _model_options(args, note=_note)   # every option before the data
    _check_data_options(args)
    _check_outputs(args)  # before the long fit, not after it
    table, _ = _load(args, args.time_column, args.columns, params=_params(options))
    detector, n_train, seconds = _fitted(args, table, options)
    save_model(detector, args.output, metadata=_metadata(args, table, n_train))
    _say(f"fitted on {n_train} rows x {table.X.shape[1]} channel(s) in {seconds:.1f} s "
         f"(epochs VAE/LSTM: {detector.n_iter_[0]}/{detector.n_iter_[1]}).")
    _say(f"model written to {args.output}")


def _score(args):
    from ._cli._data import _check_outputs, _load
    from ._cli._model import _model_columns
    from ._cli._options import _check_data_options, _set_threshold
    from .persistence import load_model

    if args.context and args.sort:
        raise InputError("--sort cannot be combined with --context: sort both files first.")
    _check_data_options(args)
    _check_outputs(args)
    detector = _set_threshold(args, load_model(args.model, trusted=args.trusted))
    time_column, columns = _model_columns(args, detector)
    params = {**detector.get_params(), "window_size_": detector.window_size_,
              "n_windows_": getattr(detector, "n_windows_", detector.n_windows)}
    table, first_row = _load(args, time_column, columns, context=args.context, params=params)
    _write_scores(args, detector, table, table.time_column, first_row=first_row,
                  report=_say)


def _detect(args):
    from ._cli._data import _check_outputs, _load
    from ._cli._model import _fitted, _metadata
    from ._cli._options import _check_data_options, _model_options
    from ._cli._output import _output_columns
    from .persistence import save_model

    options = _model_options(args, note=_note)   # every option before the data
    _check_data_options(args)
    _check_outputs(args)
    table, _ = _load(args, args.time_column, args.columns, params=_params(options))
    _output_columns(args, table, table.time_column)  # before the fit and the model file
    detector, n_train, seconds = _fitted(args, table, options)
    _say(f"fitted on {n_train} rows in {seconds:.1f} s (epochs VAE/LSTM: "
         f"{detector.n_iter_[0]}/{detector.n_iter_[1]}).")
    if args.save_model:   # the same file as ``fit`` writes, metadata included
        save_model(detector, args.save_model, metadata=_metadata(args, table, n_train))
        _say(f"model written to {args.save_model}")
    _write_scores(args, detector, table, table.time_column, train_end=n_train,
                  report=_say)


def _params(options):
    """The detector's parameters that ``options`` give (defaults included)."""
    from ._model._detector import VAELSTMDetector

    return VAELSTMDetector(**options).get_params()


def _watch(args):
    from ._cli._watch import _watch as watch

    if args.follow and args.data == "-":
        raise InputError("--follow needs a file to follow, not standard input.")
    watch(args, note=_note, warn=_warn)
