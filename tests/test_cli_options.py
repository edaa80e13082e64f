"""The model options of ``skvaelstm fit`` and ``detect``: one flag per estimator
parameter, named after it, read by the estimator's own constraints."""

import argparse

import pytest

from skvaelstm import VAELSTMDetector
from skvaelstm._cli._options import _MAPPED_PARAMETERS, _MODEL_FLAGS, _model_options, _shown
from skvaelstm._cli._parser import _parser
from skvaelstm.cli import main
from skvaelstm.exceptions import InputError
from skvaelstm.persistence import load_model, read_model_info

from .test_cli import TINY_ARGS


def _flags(command):
    """Every option string of a sub-command."""
    parser = _parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {s for action in sub.choices[command]._actions for s in action.option_strings}


def _options(*flags):
    notes = []
    args = _parser().parse_args(["fit", "d.csv", "-o", "m.skv", *flags])
    return _model_options(args, note=notes.append), notes


@pytest.mark.parametrize("command", ["fit", "detect"])
def test_every_estimator_parameter_has_a_flag_named_after_it(command):
    params = VAELSTMDetector().get_params()
    # a new parameter needs a flag (or an entry in the table of mapped ones)
    assert set(params) == set(_MODEL_FLAGS) | set(_MAPPED_PARAMETERS)
    assert not set(_MODEL_FLAGS) & set(_MAPPED_PARAMETERS)
    flags = _flags(command)
    for name in _MODEL_FLAGS:
        assert "--" + name.replace("_", "-") in flags, name
    for name, mapped in _MAPPED_PARAMETERS.items():
        assert set(mapped) <= flags, name
    assert "--no-early-stopping" in flags


def test_the_defaults_shown_are_the_estimators():
    params = VAELSTMDetector().get_params()
    for name, (_, _, default) in _MODEL_FLAGS.items():
        assert default == params[name] and type(default) is type(params[name]), name


@pytest.mark.parametrize("name", [n for n in _MODEL_FLAGS if n != "early_stopping"])
def test_each_flag_reads_its_value_as_the_estimators_type(name):
    # the text --help shows as the default gives the default back, of its type
    default = VAELSTMDetector().get_params()[name]
    options, notes = _options("--" + name.replace("_", "-"), _shown(default))
    assert options[name] == default and type(options[name]) is type(default)
    assert notes == []


def test_values_are_converted_by_the_constraints():
    options, _ = _options("--window-size", "auto", "--contamination", "0.02",
                          "--n-threads", "none", "--random-state", "7", "--no-early-stopping",
                          "--threads", "3")
    assert options == {"window_size": "auto", "contamination": 0.02, "n_threads": 3,
                       "random_state": 7, "early_stopping": False, "verbose": 0}
    assert _options()[0] == {"verbose": 0}   # nothing given: the estimator's defaults


@pytest.mark.parametrize("flags, message", [
    (["--code-size", "abc"], "--code-size 'abc': expected an integer >= 1."),
    (["--window-size", "2.5"], "--window-size '2.5': expected an integer >= 2 or one of "
                               "'auto'."),
    (["--learning-rate", "linear"], "--learning-rate 'linear': expected one of 'constant', "
                                    "'cosine'."),
    # out of range: the flag, and the range in words, not the Python parameter
    (["--sigma", "0"], "--sigma 0: expected a number > 0."),
    (["--tol", "-1"], "--tol -1: expected a number >= 0."),
    (["--contamination", "0.9"], "--contamination 0.9: expected one of 'auto', 'pot' or a number "
                                 "in (0, 0.5]."),
    (["--validation-fraction", "1"], "--validation-fraction 1: expected a number in (0, 1)."),
])
def test_bad_values_name_the_flag(flags, message):
    with pytest.raises(InputError) as info:
        _options(*flags)
    assert str(info.value).startswith(message)


def test_old_learning_rate_spellings_still_work_with_a_note():
    options, notes = _options("--learning-rate", "0.005")
    assert options == {"learning_rate_init": 0.005, "verbose": 0}
    assert notes == ["--learning-rate 0.005: a number as --learning-rate is deprecated; use "
                     "--learning-rate-init 0.005 (--learning-rate now sets the schedule)."]
    options, notes = _options("--learning-rate-schedule", "constant")
    assert options == {"learning_rate": "constant", "verbose": 0}
    assert notes == ["--learning-rate-schedule is deprecated; use --learning-rate constant."]
    options, notes = _options("--learning-rate", "0.005", "--learning-rate-schedule",
                              "constant")
    assert options == {"learning_rate": "constant", "learning_rate_init": 0.005,
                       "verbose": 0} and len(notes) == 2
    for flags in (["--learning-rate", "0.005", "--learning-rate-init", "0.01"],
                  ["--learning-rate-schedule", "constant", "--learning-rate", "cosine"]):
        with pytest.raises(InputError, match="give only"):
            _options(*flags)


def test_new_flags_reach_the_fitted_model(tmp_path, data, capsys):
    model = tmp_path / "m.skv"
    code = main(["fit", str(data), "--time-column", "timestamp", "--columns", "load,temp",
                 *TINY_ARGS, "--sigma", "0.2", "--tol", "0.001", "--learning-rate", "constant",
                 "--learning-rate-init", "0.005", "-o", str(model)])
    assert code == 0, capsys.readouterr().err
    expected = {"sigma": 0.2, "tol": 0.001, "learning_rate": "constant",
                "learning_rate_init": 0.005, "early_stopping": False, "window_size": 4}
    params = read_model_info(model)["params"]
    assert {name: params[name] for name in expected} == expected
    assert load_model(model).get_params()["sigma"] == 0.2


def test_a_deprecated_flag_prints_one_note_line_and_fits(tmp_path, data, capsys):
    code = main(["fit", str(data), "--time-column", "timestamp", "--columns", "load,temp",
                 *TINY_ARGS, "--learning-rate", "0.005", "-o", str(tmp_path / "m.skv")])
    err = capsys.readouterr().err
    assert code == 0, err
    assert [line for line in err.splitlines() if "deprecated" in line] == [
        "skvaelstm: note: --learning-rate 0.005: a number as --learning-rate is deprecated; "
        "use --learning-rate-init 0.005 (--learning-rate now sets the schedule)."]
    assert load_model(tmp_path / "m.skv").learning_rate_init == 0.005
