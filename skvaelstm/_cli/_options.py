"""The model options of ``skvaelstm fit`` and ``detect``: one flag per parameter
of ``VAELSTMDetector``, named after it (``learning_rate_init`` is
``--learning-rate-init``).

``--help`` must answer without importing torch or scikit-learn, so the flags,
their help and the defaults they show are listed here (the tests hold the list
equal to ``VAELSTMDetector().get_params()``); the values are read as text and
converted after parsing by the estimator's ``_parameter_constraints`` (their
types and choices), then checked by its own parameter validation; the checks
of options that work together, and of the other options that can be checked
without the data, come before the data are read too (``_check_data_options``),
so that one run reports a bad option rather than an unrelated problem of the
data first. Messages name the flags, never the Python parameters (``_in_flags``).
"""

import argparse
import contextlib
import re

from ..exceptions import InputError

__all__ = []  # private helper of skvaelstm.cli

# parameter -> (metavar, help, the default the help shows: the estimator's)
_MODEL_FLAGS = {
    "window_size": ("N", "rows per window, or auto", 48),
    "code_size": ("N", "latent code size", 6),
    "n_windows": ("N", "windows per LSTM sequence", 12),
    "vae_hidden_size": ("N", "VAE width", 64),
    "lstm_hidden_size": ("N", "LSTM units", 16),
    "sigma": ("X", "standard deviation of the VAE's Gaussian likelihood, in standardised "
              "units: weighs reconstruction against the KL term", 0.1),
    "score_aggregation": ("NAME", "window_max, window_mean: read window_size - 1 later "
                          "rows; trailing_max, trailing_mean, newest, mean, max: causal",
                          "window_max"),
    "error_source": ("NAME", "both, prediction or reconstruction", "both"),
    "channel_combination": ("NAME", "how the channels' errors become one: geometric, mean, "
                            "max, top3, common_scale or tail", "geometric"),
    "missing": ("NAME", "error: refuse NaN; mask: mask missing values (NaN, empty cells, "
                "the empty slots of --resample) in fit and scoring, as Donut does",
                "error"),
    "contamination": ("X", "threshold rule: a share of training rows to flag, auto (1%%) "
                      "or a number in (0, 0.5], or pot (peaks over threshold)", "auto"),
    "pot_risk": ("X", "with --contamination pot: probability that a normal row is flagged",
                 1e-4),
    "pot_level": ("X", "with --contamination pot: training quantile the tail is fitted over",
                  0.98),
    "max_iter": ("N", "maximum epochs per stage", 20),
    "batch_size": ("N", "mini-batch size", 256),
    "learning_rate": ("NAME", "learning-rate schedule: cosine or constant", "cosine"),
    "learning_rate_init": ("X", "initial Adam learning rate", 0.01),
    "early_stopping": (None, "hold out a validation tail and stop a stage when it stops "
                       "improving; --no-early-stopping: train on all rows", True),
    "validation_fraction": ("X", "validation tail share", 0.1),
    "n_iter_no_change": ("N", "early-stopping patience, in epochs", 10),
    "tol": ("X", "minimum loss improvement that resets the patience", 1e-4),
    "device": ("NAME", "auto, cpu, cuda, cuda:N or mps", "auto"),
    "n_threads": ("N", "torch threads for fitting and scoring, or none: torch's setting; "
                  "more rarely help and slow a busy machine down", 1),
    "random_state": ("N", "seed; fix it for reproducible models", None),
}
# Parameters without a flag of their own, and the flags that set them.
_MAPPED_PARAMETERS = {"verbose": ("-v", "--verbose", "-q", "--quiet")}
# Older spellings of a flag, with the same meaning.
_ALIASES = {"n_threads": ("--threads",)}


# The threshold rule: fit flags that score and watch take too, to derive the
# threshold of a loaded model again from its training scores (set_threshold).
_THRESHOLD_FLAGS = ("contamination", "pot_risk", "pot_level")


def _flag(name):
    return "--" + name.replace("_", "-")


def _add_model_flags(group):
    """The flags of ``_MODEL_FLAGS`` on an argparse group (values kept as text)."""
    for name, (metavar, text, default) in _MODEL_FLAGS.items():
        if metavar is None:   # a boolean: --early-stopping / --no-early-stopping
            group.add_argument(_flag(name), action=argparse.BooleanOptionalAction,
                               default=None, help=f"{text} ({_shown(default)})")
            continue
        group.add_argument(_flag(name), *_ALIASES.get(name, ()), dest=name, metavar=metavar,
                           help=f"{text} ({_shown(default)})")
    # in skvaelstm 0.1 --learning-rate was the initial rate and this flag the schedule
    group.add_argument("--learning-rate-schedule", metavar="NAME", help=argparse.SUPPRESS)


def _add_threshold_flags(parser):
    """``--contamination``, ``--pot-risk`` and ``--pot-level`` of ``score`` and
    ``watch``: the loaded model's threshold is derived again, no refit."""
    group = parser.add_argument_group(
        "threshold: derived again from the model's training scores (no refit)")
    for name in _THRESHOLD_FLAGS:
        metavar, text, _ = _MODEL_FLAGS[name]
        group.add_argument(_flag(name), dest=name, metavar=metavar,
                           help=f"{text} (default: the model's)")


def _set_threshold(args, detector):
    """Apply the threshold flags given to the loaded ``detector``
    (``set_threshold``); the model file is not changed."""
    from sklearn.exceptions import NotFittedError

    from .._model._compat import InvalidParameterError

    given = {name: getattr(args, name) for name in _THRESHOLD_FLAGS
             if getattr(args, name, None) is not None}
    if not given:
        return detector
    options = {name: _converted(_flag(name), text,
                                type(detector)._parameter_constraints[name])
               for name, text in given.items()}
    try:
        return detector.set_threshold(**options)
    except InvalidParameterError as exc:
        raise InputError(f"{' '.join(f'{_flag(n)} {t}' for n, t in given.items())}: "
                         f"{exc}") from exc
    except NotFittedError as exc:   # a file of an older skvaelstm: no training scores
        raise InputError(f"{args.model} cannot take a new threshold: {exc} Refit it with "
                         "'skvaelstm fit'.") from exc


def _shown(default):
    if default is None:
        return "none"
    if isinstance(default, bool):
        return "on" if default else "off"
    return f"{default:g}" if isinstance(default, float) else str(default)


def _model_options(args, *, note):
    """The estimator's parameters from the flags given (the defaults are the
    estimator's own); ``note`` tells of deprecated spellings."""
    from .._model._compat import InvalidParameterError
    from .._model._detector import VAELSTMDetector

    given = _deprecated_learning_rate(args, {name: getattr(args, name) for name in _MODEL_FLAGS
                                             if getattr(args, name) is not None}, note)
    options = {}
    for name, text in given.items():
        flag = _flag(name)
        value = text if isinstance(text, bool) else _converted(
            flag, text, VAELSTMDetector._parameter_constraints[name])
        try:   # one parameter at a time: the message names its flag
            VAELSTMDetector(**{name: value})._validate_params()
        except InvalidParameterError as exc:
            kinds = " or ".join(dict.fromkeys(_kind(c) for c in
                                              VAELSTMDetector._parameter_constraints[name]))
            raise InputError(f"{flag} {text}: expected {kinds}.") from exc
        options[name] = value
    options["verbose"] = min(args.verbose, 2)
    _check_together(VAELSTMDetector(**options).get_params(), options)
    return options


def _check_together(params, given):
    """The estimator's checks of options that work together, and of the device,
    which ``fit`` would make only after the data are read."""
    from .._model._device import _resolve_device
    from .._scoring._options import _check_scoring_options

    with _flag_names():
        _check_scoring_options(params["score_aggregation"], params["error_source"])
        if "device" in given:   # "auto" always resolves
            _resolve_device(params["device"])


def _check_data_options(args):
    """The options of the rows to train on and of the output that can be checked
    before the data are read."""
    from .._io._timestamps import _instant

    rows = getattr(args, "train_rows", None)
    if rows is not None and rows < 1:
        raise InputError(f"--train-rows {rows}: expected an integer >= 1.")
    explain = getattr(args, "explain", None)
    if explain is not None and explain < 1:
        raise InputError(f"--explain {explain}: expected an integer >= 1.")
    until = getattr(args, "train_until", None)
    if until is not None and not _is_number(until):
        try:   # read as it will be, whatever the data's stamps
            _instant(until, "--train-until", until)
        except InputError:
            raise InputError(f"--train-until {until!r} is neither a time stamp nor a "
                             "number.") from None


@contextlib.contextmanager
def _flag_names():
    """A block whose ``InputError`` messages name flags, not parameters."""
    try:
        yield
    except InputError as exc:
        raise InputError(_in_flags(str(exc))) from exc


# The estimator's parameters in messages: longest first, so that the name
# learning_rate_init is not read as learning_rate.
_NAMES = "|".join(sorted(_MODEL_FLAGS, key=len, reverse=True))


def _in_flags(message):
    """``message`` with the estimator's parameters named as the flags a command
    line user types: "The 'window_size' parameter of VAELSTMDetector" and
    "window_size" are ``--window-size``, "device='cuda:7'" is "--device cuda:7".
    Bare names are translated only when they hold an underscore (``tol`` or
    ``device`` may be plain words); names in paths and attributes
    (``n_windows_``) are left alone."""
    message = re.sub(rf"The '({_NAMES})' parameter of VAELSTMDetector",
                     lambda m: _flag(m[1]), message)
    message = re.sub(rf"(?<![\w./\\-])({_NAMES})=('[^']*'|-?[\w.+-]*\w)",
                     lambda m: _flag(m[1]) + " " + m[2].strip("'"), message)
    return re.sub(rf"(?<![\w./\\'-])({_NAMES})(?![\w=]|\.\w)",
                  lambda m: _flag(m[1]) if "_" in m[1] else m[1], message)


def _deprecated_learning_rate(args, given, note):
    """``given`` (parameter -> text) with ``--learning-rate X`` with a number
    (the initial rate in skvaelstm 0.1) and ``--learning-rate-schedule`` turned into
    the current parameters, each with a note."""
    given = dict(given)
    rate = given.get("learning_rate")
    if rate is not None and _is_number(rate):
        note(f"--learning-rate {rate}: a number as --learning-rate is deprecated; use "
             f"--learning-rate-init {rate} (--learning-rate now sets the schedule).")
        if "learning_rate_init" in given:
            raise InputError(f"--learning-rate {rate} and --learning-rate-init "
                             f"{given['learning_rate_init']} both set the initial learning "
                             "rate; give only --learning-rate-init.")
        given["learning_rate_init"] = given.pop("learning_rate")
    schedule = args.learning_rate_schedule
    if schedule is not None:
        note(f"--learning-rate-schedule is deprecated; use --learning-rate {schedule}.")
        if "learning_rate" in given:
            raise InputError(f"--learning-rate-schedule {schedule} and --learning-rate "
                             f"{given['learning_rate']} both set the schedule; give only "
                             "--learning-rate.")
        given["learning_rate"] = schedule
    return given


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def _converted(flag, text, constraints):
    """``text`` as the first of the parameter's ``constraints`` that reads it;
    their ranges are checked later, by the estimator's validation."""
    for constraint in constraints:
        try:
            return _as(constraint, text)
        except ValueError:
            continue
    kinds = " or ".join(dict.fromkeys(_kind(c) for c in constraints))
    raise InputError(f"{flag} {text!r}: expected {kinds}.")


def _as(constraint, text):
    from numbers import Integral

    from .._model._compat import Interval, StrOptions

    if constraint is None or constraint == "random_state":   # both accept None
        if text.lower() == "none":
            return None
    if isinstance(constraint, StrOptions):
        if text in constraint.options:
            return text
    elif isinstance(constraint, Interval):
        return int(text) if issubclass(constraint.type, Integral) else float(text)
    elif constraint == "random_state":
        return int(text)
    elif constraint is str:
        return text
    raise ValueError(text)


def _kind(constraint):
    from numbers import Integral

    from .._model._compat import Interval, StrOptions

    if constraint is None:
        return "none"
    if isinstance(constraint, StrOptions):
        return "one of " + ", ".join(sorted(map(repr, constraint.options)))
    if isinstance(constraint, Interval):
        kind = "an integer" if issubclass(constraint.type, Integral) else "a number"
        return kind + _range(constraint)
    return "an integer or none" if constraint == "random_state" else str(constraint)


def _range(interval):
    """The bounds of ``interval`` in words: " >= 2", " in (0, 0.5]"."""
    low, high = interval.left, interval.right
    low_in = interval.closed in ("left", "both")
    high_in = interval.closed in ("right", "both")
    if low is not None and high is not None:
        return f" in {'[' if low_in else '('}{low:g}, {high:g}{']' if high_in else ')'}"
    if low is not None:
        return f" {'>=' if low_in else '>'} {low:g}"
    if high is not None:
        return f" {'<=' if high_in else '<'} {high:g}"
    return ""
