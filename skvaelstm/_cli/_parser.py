"""The argument parser of the ``skvaelstm`` command.

It imports neither torch nor scikit-learn: ``--help``, ``--version`` and usage
errors answer at once. The model options are added by ``_cli_options``.
"""

import argparse

from ._options import _add_model_flags, _add_threshold_flags

__all__ = []  # private helper of skvaelstm.cli


def _parser():
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-v", "--verbose", action="count", default=0,
                        help="progress bars (default when stderr is a terminal) and full "
                        "tracebacks; -vv: one log line per epoch")
    common.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    data = argparse.ArgumentParser(add_help=False)
    data.add_argument("data", metavar="DATA", help="CSV file (.csv, .csv.gz, ...) or Parquet "
                      "file (.parquet, .pq; needs pyarrow), one row per time step")
    data.add_argument("--time-column", metavar="NAME", help="column of timestamps (or "
                      "numbers); rows must be sorted by it, without duplicates or gaps "
                      "(default: for score the model's; else a column named time, "
                      "timestamp or date, if any)")
    data.add_argument("--columns", metavar="A,B", type=_column_list, help="channels, comma "
                      "separated (default: every other column but a label column; score: "
                      "the model's)")
    data.add_argument("--sort", action="store_true", help="sort the rows by time instead of "
                      "refusing unsorted files")
    data.add_argument("--allow-duplicates", action="store_true",
                      help="keep rows with repeated timestamps, in file order")
    data.add_argument("--allow-gaps", action="store_true", help="accept irregular sampling "
                      "(steps over 1.5 x the median step) instead of refusing it")
    _add_grid_flags(data)
    model = argparse.ArgumentParser(add_help=False)
    group = model.add_argument_group("training rows")
    rows = group.add_mutually_exclusive_group()
    rows.add_argument("--train-until", metavar="TIME", help="train on the rows strictly "
                      "before TIME (default: all rows)")
    rows.add_argument("--train-rows", metavar="N", type=int, help="train on the first N rows")
    group = model.add_argument_group("model options: VAELSTMDetector's parameters "
                                     "(defaults: its own)")
    _add_model_flags(group)
    output = argparse.ArgumentParser(add_help=False)
    output.add_argument("--plot", metavar="PNG", help="also write a plot (needs matplotlib)")
    output.add_argument("--label-column", metavar="NAME", help="known anomalies (0/1 or "
                        "+1/-1): copied to the output and shaded in the plot (default: a "
                        "column named label, is_anomaly or anomaly, unless --columns or the "
                        "model lists it)")
    output.add_argument("--explain", metavar="K", type=int, help="for each flagged row, "
                        "the K channels most to blame and their shares of its error "
                        "(columns channel_1, share_1, ...); the plot names the top channels "
                        "of each flagged segment")
    output.add_argument("--events", metavar="CSV", help="also write the events: runs of "
                        "flagged rows merged across --merge-gap, at least --min-length "
                        "rows long (start, end, rows, peak, channels to blame)")
    _add_event_flags(output)

    parser = argparse.ArgumentParser(
        prog="skvaelstm", description="VAE-LSTM anomaly detection for time series.",
        epilog="Exit codes: 0 ok, 2 user error, 1 internal error. "
               "Run 'skvaelstm demo' for a first example.")
    from .. import __version__

    parser.add_argument("--version", action="version", version=f"skvaelstm {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    sub = commands.add_parser("demo", parents=[common], usage="%(prog)s [-o DIR] [options]",
                              help="fit and evaluate on the NYC "
                              "taxi series; write scores, a plot and a model")
    sub.add_argument("-o", "--output", default="skvaelstm-demo", metavar="DIR",
                     help="output folder (default: ./skvaelstm-demo)")
    sub.add_argument("--max-iter", type=int, help="epochs per stage (default 25; "
                     "2 for a quick check)")
    sub = commands.add_parser("fit", parents=[common, data, model],
                              usage="%(prog)s DATA -o MODEL [options]", help="fit a model on a "
                              "series and save it")
    sub.add_argument("-o", "--output", required=True, metavar="MODEL",
                     help="model file to write (e.g. model.skv)")
    sub.add_argument("--label-column", metavar="NAME", help="known anomalies: not a "
                     "channel (fit does not use them; default: a column named label, "
                     "is_anomaly or anomaly)")
    sub = commands.add_parser("score", parents=[common, data, output],
                              usage="%(prog)s DATA -m MODEL -o CSV [options]",
                              help="score a series with a saved model")
    sub.add_argument("-m", "--model", required=True, metavar="MODEL", help="model file")
    sub.add_argument("-o", "--output", required=True, metavar="CSV", help="scores CSV to "
                     "write: time, channels, score, decision, predicted (-1 = anomaly)")
    sub.add_argument("--trusted", action="store_true", help="allow pickle/joblib model files "
                     "(they can run code: only for files you trust)")
    sub.add_argument("--context", metavar="FILE", help="rows just before DATA (same "
                     "columns): scored as history, not written. Without them the first "
                     "window_size x n_windows rows of DATA are scored without their past")
    _add_threshold_flags(sub)
    sub = commands.add_parser("watch", parents=[common],
                              usage="%(prog)s [DATA] -m MODEL [options]",
                              help="score CSV rows as they arrive (standard input or a "
                              "growing file); write each row's score once it is final")
    sub.add_argument("data", nargs="?", default="-", metavar="DATA", help="CSV to read, "
                     "header line first ('-' or nothing: standard input)")
    sub.add_argument("-m", "--model", required=True, metavar="MODEL", help="model file")
    sub.add_argument("--follow", action="store_true", help="keep reading DATA as it grows "
                     "(as tail -f does); stop with Ctrl-C")
    sub.add_argument("--time-column", metavar="NAME", help="column of timestamps (or "
                     "numbers), increasing (default: the model's)")
    sub.add_argument("--columns", metavar="A,B", type=_column_list, help="channels "
                     "(default: the model's)")
    sub.add_argument("--allow-duplicates", action="store_true",
                     help="keep rows that repeat the previous timestamp")
    sub.add_argument("--allow-gaps", action="store_true", help="accept steps over 1.5 x "
                     "the usual step (the median of the latest 1000 steps)")
    _add_grid_flags(sub)
    sub.add_argument("--alert", action="store_true", help="also print an 'alert' line on "
                     "stderr where an event starts and where it is over (runs of flagged "
                     "rows merged across --merge-gap, at least --min-length rows long)")
    _add_event_flags(sub)
    sub.add_argument("--context", metavar="FILE", help="rows just before the stream (same "
                     "columns): scored as history, not written, so that the first rows "
                     "have their past")
    sub.add_argument("--skip-bad-rows", action="store_true", help="report a bad row on "
                     "stderr and go on, instead of stopping (exit 2)")
    sub.add_argument("--state", metavar="FILE", help="save the scorer here when stopping, "
                     "and resume from it when it exists")
    sub.add_argument("--trusted", action="store_true", help="allow pickle/joblib model files "
                     "(they can run code: only for files you trust)")
    _add_threshold_flags(sub)
    sub.add_argument("--adapt-threshold", action="store_true", help="with --contamination "
                     "pot (or a model fitted with it): the tail keeps learning from rows "
                     "scored normal, so the threshold follows the stream (SPOT's update)")
    sub = commands.add_parser("detect", parents=[common, data, model, output],
                              usage="%(prog)s DATA -o CSV [options]",
                              help="fit and score in one step")
    sub.add_argument("-o", "--output", required=True, metavar="CSV", help="scores CSV")
    sub.add_argument("--save-model", metavar="MODEL", help="also save the model")
    return parser


def _add_grid_flags(parser):
    parser.add_argument("--resample", metavar="FREQ", help="put the rows on a regular grid "
                        "of step FREQ (5min, 1h, ...; a number for a numeric time column; "
                        "auto: the median step) from the first time stamp: a row goes to "
                        "the nearest slot, two rows in one slot are refused, empty slots "
                        "are missing values (need --missing mask; column filled = 1)")
    parser.add_argument("--max-gap", metavar="N", type=int, help="with --resample: the "
                        "most empty slots in a row that are masked; a longer gap splits "
                        "the series into segments scored with fresh context (column "
                        "segment; a fit must not span one) (default: window_size x "
                        "n_windows, the LSTM's context)")


def _add_event_flags(parser):
    parser.add_argument("--merge-gap", metavar="N", type=_count(0), default=0,
                        help="runs of flagged rows at most N normal rows apart are one "
                        "event (default 0)")
    parser.add_argument("--min-length", metavar="N", type=_count(1), default=1,
                        help="events spanning fewer rows are no events (default 1)")


def _count(low):
    def count(text):
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < low:
            raise argparse.ArgumentTypeError(f"expected an integer >= {low}, got {text!r}")
        return value
    return count


def _column_list(text):
    return [name.strip() for name in text.split(",") if name.strip()]
