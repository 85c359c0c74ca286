"""A number typed beyond double precision is refused as typed, by every float option.

``float("1e400")`` is infinity: ``--temperature 1e400`` was refused as "got inf", a number
the user never typed; ``-1e400`` likewise. The parser says what was typed and why it fails,
for every float option of every subcommand; ``inf`` typed as such is left to the option's
own check (its bounds say "a finite number").
"""

import argparse

import pytest
from cli_inputs import SUBCOMMAND_ARGV

from electrolyte_cli import build_parser


def _float_options():
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for command, subparser in sub.choices.items():
        for action in subparser._actions:
            if action.type is float and action.option_strings:
                yield command, action.option_strings[-1]


FLOAT_OPTIONS = list(_float_options())


def test_every_subcommand_with_floats_is_walked():
    commands = {command for command, _ in FLOAT_OPTIONS}
    assert {"simulate", "analyze", "finetune"} <= commands, commands


@pytest.mark.parametrize("command, flag", FLOAT_OPTIONS)
@pytest.mark.parametrize("typed", ["1e400", "-1e400"])
def test_an_overflowing_number_is_named_as_typed(command, flag, typed, capsys):
    with pytest.raises(SystemExit) as stop:
        build_parser().parse_args([command, *SUBCOMMAND_ARGV[command], f"{flag}={typed}"])
    err = capsys.readouterr().err
    assert stop.value.code == 2
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert f"argument {flag}: {typed} is beyond ±1.8e308" in err, err
    assert "give a finite number" in err


@pytest.mark.parametrize("command, flag", FLOAT_OPTIONS[:3])
def test_the_largest_finite_number_and_inf_pass_the_parser(command, flag):
    # the options' own checks judge these (bounds, "a finite number"): not the parser
    for typed, read in (("1.7e308", 1.7e308), ("inf", float("inf"))):
        args = build_parser().parse_args([command, *SUBCOMMAND_ARGV[command],
                                          f"{flag}={typed}"])
        assert getattr(args, flag.lstrip("-").replace("-", "_")) == read
