"""What the command line writes: the scores CSV of ``skvaelstm score`` and
``detect``, the channels to blame (``--explain``) and the plot, and the lines
it prints (results on stdout; notes and warnings on stderr)."""

import os
import sys

from ..exceptions import InputError
from ._errors import _input_errors

__all__ = []  # private helper of skvaelstm.cli

_OUTPUT_COLUMNS = ("score", "decision", "predicted")
# Rows per block when writing the scores CSV (the text is never built whole).
_CSV_BLOCK = 100_000


def _output_columns(args, table, time_column):
    """Input columns copied to the scores CSV, checked (also before a long fit)."""
    from .._io._tables import _check_columns

    keep = ([time_column] if time_column else []) + list(table.X.columns)
    if args.label_column:
        _check_columns(table.frame, [args.label_column], args.data)
        keep.append(args.label_column)
        if args.plot:   # shaded in the plot: labels it cannot read refused before the fit
            from .._metrics._labels import _anomaly_mask

            with _input_errors(ValueError):
                _anomaly_mask(table.frame[args.label_column].to_numpy(),
                              name=f"--label-column {args.label_column!r}")
    if args.explain is not None and not 1 <= args.explain <= table.X.shape[1]:
        raise InputError(f"--explain {args.explain} is outside 1..{table.X.shape[1]} (the "
                         "channels).")
    added = list(_OUTPUT_COLUMNS) + (["filled", "segment"] if table.filled is not None
                                     else [])
    added += [f"{kind}_{i}" for i in range(1, (args.explain or 0) + 1)
              for kind in ("channel", "share")]
    clash = sorted(set(keep) & set(added))
    if clash:
        raise InputError(f"input column(s) {', '.join(map(repr, clash))} would clash with "
                         f"the output columns {', '.join(added)}; rename them.")
    return keep


def _blame(parts, flagged, names, k):
    """Columns channel_i / share_i: the ``k`` channels most to blame for each flagged
    row (the rule of ``explain.rank_channels``: a channel's part over its median
    part in the unflagged rows) and their shares of its error; empty elsewhere."""
    import numpy as np

    from ..explain import _relative

    columns = {}
    rows = np.flatnonzero(flagged)
    errors = -parts[rows]
    order = np.argsort(-_relative(errors, -parts[~flagged]), axis=1, kind="stable")[:, :k]
    totals = errors.sum(axis=1, keepdims=True)
    shares = np.take_along_axis(errors, order, axis=1) / np.where(totals > 0, totals, 1.0)
    names = np.asarray(names, dtype=object)
    for i in range(k):
        channel = np.full(len(parts), "", dtype=object)
        share = np.full(len(parts), np.nan)
        channel[rows], share[rows] = names[order[:, i]], shares[:, i]
        columns[f"channel_{i + 1}"], columns[f"share_{i + 1}"] = channel, share
    return columns


def _write_scores(args, detector, table, time_column, *, report, first_row=0,
                  train_end=None):
    """Score ``table`` and write its rows from ``first_row`` on (earlier rows are
    context: scored, not written); ``report`` prints the summary lines. With
    ``--resample``, each segment (split by a gap longer than ``--max-gap``) is
    scored alone, with fresh context (``_segments``)."""
    import numpy as np

    from .._io._serialization import _atomic_write
    from ._segments import _channel_segments, _scored_segments, _segments_line

    keep = _output_columns(args, table, time_column)
    scores, decision, predicted = _scored_segments(args, detector, table, first_row,
                                                    warn=_warn)
    if table.filled is not None:
        # a slot no row fell in holds no value that could be anomalous: its score
        # (from the observed rows around it) is written, but it is never flagged
        predicted = np.where(table.filled == 1, 1, predicted)
    out = table.frame[keep].iloc[first_row:]
    scores, decision, predicted = scores[first_row:], decision[first_row:], predicted[first_row:]
    parts = blame = None
    if args.explain or (args.events and table.X.shape[1] > 1):
        parts = _channel_segments(detector, table, first_row)
    if args.explain:
        blame = _blame(parts, predicted == -1, list(table.X.columns), args.explain)
    if args.plot:  # before writing the CSV: a plotting error leaves no partial outputs
        figure = _figure(args, table, scores, detector.offset_, predicted, first_row,
                         train_end, parts)

    segments = table.segments() if table.filled is not None else None

    def write(file):
        # block by block: the CSV text of a long series is never held whole
        for start in range(0, max(len(out), 1), _CSV_BLOCK):
            block = out.iloc[start:start + _CSV_BLOCK].copy()
            stop = start + len(block)
            block["score"], block["decision"] = scores[start:stop], decision[start:stop]
            block["predicted"] = predicted[start:stop]
            if table.filled is not None:
                block["filled"] = table.filled[first_row:][start:stop]
                block["segment"] = segments[first_row:][start:stop]
            for name, values in (blame or {}).items():
                block[name] = values[start:stop]
            file.write(block.to_csv(index=False, header=start == 0).encode())

    _atomic_write(args.output, write)
    context = f" (after {first_row} rows of context)" if first_row else ""
    unscored = int(np.isnan(scores).sum())
    # a row without a score (its windows hold no observed value) is never flagged:
    # its score and decision cells are empty, its predicted label +1
    without = f"; {unscored} rows without a score (empty score)" if unscored else ""
    report(f"scored {len(out)} rows{context}{_segments_line(table, first_row)}: "
           f"{int((predicted == -1).sum())} flagged as "
           f"anomalies (score below the threshold {detector.offset_:.4g}){without}.")
    report(f"scores written to {args.output}")
    if args.events:
        times = out[time_column].to_numpy() if time_column else None
        found = _write_events(args, predicted, scores, parts, list(table.X.columns), times,
                              table, first_row)
        report(f"{found} event(s) (--merge-gap {args.merge_gap}, --min-length "
               f"{args.min_length}) written to {args.events}")
    if args.plot:
        _atomic_write(args.plot, lambda f: figure.savefig(f, format="png", dpi=110))
        report(f"plot written to {args.plot}")


def _write_events(args, predicted, scores, parts, names, times, table, first_row):
    """The ``--events`` CSV, one line per event of ``explain.events``: start, end
    and peak (times, or row numbers of the written rows), rows flagged, the peak's
    score and, with several channels, the three most to blame (``;``-separated).
    Events are found segment by segment: none spans a gap between two."""
    import pandas as pd

    from .._io._serialization import _atomic_write
    from ._segments import _segment_events

    found = _segment_events(predicted, scores, parts, table, first_row,
                            merge_gap=args.merge_gap, min_length=args.min_length,
                            channel_names=names)

    def at(row):
        return row if times is None or row is None else times[row]

    table = pd.DataFrame({
        "start": [at(e["start"]) for e in found], "end": [at(e["end"]) for e in found],
        "rows": [e["rows"] for e in found], "peak": [at(e["peak_row"]) for e in found],
        "peak_score": [e["peak_score"] for e in found]})
    if parts is not None:
        table["channels"] = [";".join(str(name) for name, _ in e["channels"])
                             for e in found]
    _atomic_write(args.events, lambda f: f.write(table.to_csv(index=False).encode()))
    return len(found)


def _matplotlib():
    from ..plotting import _require_matplotlib

    with _input_errors(ImportError):   # asked for with --plot: the user's setup, not a bug
        return _require_matplotlib("--plot")


def _figure(args, table, scores, threshold, predicted, first_row, train_end, parts=None):
    """The plot on a plain Figure with its own Agg canvas: pyplot's backend (a
    notebook's, when ``main`` is called in-process) is left alone."""
    _matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from ..plotting import _draw, _figsize

    X = table.X.iloc[first_row:]
    figure = Figure(figsize=_figsize(X.shape[1] + 1), constrained_layout=True)
    FigureCanvasAgg(figure)
    labels = (table.frame[args.label_column].to_numpy()[first_row:] if args.label_column
              else None)
    return _draw(figure, X, scores, threshold=threshold, flagged=predicted, labels=labels,
                 timestamps=None if table.time is None else table.time[first_row:],
                 channel_names=None, title=os.path.basename(args.data), train_end=train_end,
                 score_scale="symlog", channel_scores=parts, top_k=args.explain or 3)


def _say(message):
    print(message, flush=True)


def _note(message):
    print(f"skvaelstm: note: {message}", file=sys.stderr, flush=True)


def _warn(message, kind="warning"):
    print(f"skvaelstm: {kind}: {message}", file=sys.stderr, flush=True)


def _show_warning(message, category, filename, lineno, file=None, line=None):
    """``warnings.showwarning`` while a command runs: one line, no source line,
    the estimator's parameters named as flags."""
    from ._options import _in_flags

    _warn(_in_flags(str(message)))
