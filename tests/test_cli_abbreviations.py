"""Abbreviated long options are refused by every parser of ``electrolyte``, naming the option.

argparse takes any unambiguous prefix of a long option for the option (``allow_abbrev``):
``electrolyte --vers`` printed the version, ``simulate --out x`` wrote into ``x``. The docs
teach no abbreviation, and one that works today changes meaning or breaks as soon as another
option starts the same way (``--e`` was ``--epochs`` until an ``--ensemble`` came). Each
abbreviation is now one line with exit status 2 that names the option in full, before any
work (the ``workdir`` fixture patches the expensive entry points to fail).
"""

import argparse

import pytest

from electrolyte_cli import build_parser, main
from tests import test_cli_arguments

workdir = test_cli_arguments.workdir  # the fixture: expensive work patched to fail

#: A command line of each subcommand that its parser accepts.
_VALID = {
    "simulate": ["simulate", "--counts", "EC=3,Li=1,PF6=1", "--model", "sevennet-0"],
    "analyze": ["analyze", "lab.extxyz"],
    "diagnose": ["diagnose", "lab.extxyz", "--model", "sevennet-0"],
    "demo": ["demo"],
    "screen": ["screen", "plan.toml"],
    "finetune": ["finetune", "lab.extxyz", "--epochs", "1"],
    "select": ["select", "lab.extxyz", "-n", "1"],
}


def _parsers():
    top = build_parser()
    found = {"": top}
    for action in top._actions:
        if isinstance(action, argparse._SubParsersAction):
            found.update(action.choices)
    return found


def _abbreviations():
    """(subcommand, abbreviation, the option in full, takes a value) of every long option."""
    cases = []
    for name, parser in _parsers().items():
        options = parser._option_string_actions
        for option, action in options.items():
            if not option.startswith("--"):
                continue
            # the longest prefix that is no option itself, and one of three characters
            for cut in {len(option) - 1, 3}:
                short = option[:cut]
                if short not in options and len(short) > 2:
                    cases.append((name, short, option, action.nargs != 0))
    return sorted(set(cases))


def test_every_subcommand_is_covered_and_no_parser_abbreviates():
    parsers = _parsers()
    assert set(parsers) == {"", *_VALID}
    assert all(parser.allow_abbrev is False for parser in parsers.values())


@pytest.mark.parametrize("sub, short, option, takes_value", _abbreviations())
def test_an_abbreviated_option_is_refused_naming_it_in_full(workdir, capsys, sub, short,
                                                            option, takes_value):
    argv = ([] if not sub else _VALID[sub]) + ([short, "1"] if takes_value else [short])
    before = sorted(p.name for p in workdir.iterdir())
    with pytest.raises(SystemExit) as stop:
        main(argv)
    err = capsys.readouterr().err
    assert stop.value.code == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert "not abbreviated" in err and option in err and f"not {short}" in err, err
    assert sorted(p.name for p in workdir.iterdir()) == before
    if takes_value:  # the --option=value form
        with pytest.raises(SystemExit) as stop:
            main(([] if not sub else _VALID[sub]) + [f"{short}=1"])
        err = capsys.readouterr().err
        assert stop.value.code == 2 and option in err and f"not {short}" in err, err


def test_an_option_after_the_subcommand_is_not_taken_for_a_top_level_one(workdir, capsys):
    # the top parser sees the words a subcommand did not know: --vers after analyze is no
    # abbreviation of electrolyte's --version, and is not called one
    with pytest.raises(SystemExit) as stop:
        main(["analyze", "lab.extxyz", "--vers"])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and "--vers" in err and "--version" not in err, err


def test_options_given_in_full_still_work(workdir, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.startswith("electrolyte ")


@pytest.mark.parametrize("sub", list(_VALID))
@pytest.mark.parametrize("extra", [["--no-such-option"], ["--no-such-option", "3"], ["stray"]])
def test_a_word_a_subcommand_does_not_know_is_named_with_the_subcommand(workdir, capsys, sub,
                                                                       extra):
    # the top parser said "electrolyte: error: unrecognized arguments: ...", without the
    # subcommand whose options they are not
    with pytest.raises(SystemExit) as stop:
        main(_VALID[sub] + extra)
    err = capsys.readouterr().err
    assert stop.value.code == 2 and err.count("\n") == 1, err
    assert err.startswith(f"electrolyte {sub}: error: unrecognized arguments: "
                          f"{' '.join(extra)}"), err
