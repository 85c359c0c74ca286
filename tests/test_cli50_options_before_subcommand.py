"""An option of a subcommand typed before it (``electrolyte -q analyze run.h5md``) is refused
in one line that names the subcommand it belongs to and where it goes.

Before: ``electrolyte -q analyze run.h5md`` said "unrecognized arguments: -q", and
``electrolyte -o out analyze run.h5md`` "invalid choice: 'out' (choose from 'simulate', ...)":
the option's value taken for the subcommand, neither message saying that the option is the
subcommand's and goes after it.
"""

import pytest
from cli_inputs import SUBCOMMAND_ARGV


def _error(argv, capsys):
    from electrolyte_cli import main

    with pytest.raises(SystemExit) as stopped:
        main(argv)
    err = capsys.readouterr().err
    assert stopped.value.code == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err



#: The subcommands with a -q/--quiet option.
_QUIET = ["analyze", "demo", "diagnose", "screen", "simulate"]


@pytest.mark.parametrize("command", _QUIET)
@pytest.mark.parametrize("flag", ["-q", "--quiet"])
def test_a_flag_of_the_subcommand_in_front_names_the_subcommand(command, flag, capsys):
    err = _error([flag, command, *SUBCOMMAND_ARGV[command]], capsys)
    assert err == (f"electrolyte: error: unrecognized arguments: {flag}; {flag} is an option "
                   f"of electrolyte {command}: give it after the subcommand (electrolyte "
                   f"{command} ... {flag})\n"), err


@pytest.mark.parametrize("command", sorted(SUBCOMMAND_ARGV))
def test_an_option_with_its_value_in_front_names_the_subcommand(command, capsys):
    """``-o out`` before the subcommand: argparse took "out" for the subcommand."""
    err = _error(["-o", "out", command, *SUBCOMMAND_ARGV[command]], capsys)
    assert err.startswith("electrolyte: error: argument command: invalid choice: 'out'"), err
    assert err.endswith(f"; -o is an option of electrolyte {command}: give it after the "
                        f"subcommand (electrolyte {command} ... -o)\n"), err


def test_options_of_the_subcommand_and_unknown_ones_are_told_apart(capsys):
    err = _error(["-q", "--verbose", "analyze", "traj.h5md"], capsys)
    assert err == ("electrolyte: error: unrecognized arguments: -q --verbose; -q is an option "
                   "of electrolyte analyze: give it after the subcommand (electrolyte analyze "
                   "... -q); --verbose is no option of electrolyte analyze either (electrolyte "
                   "analyze --help lists them)\n"), err


def test_an_option_with_its_value_attached_is_named_by_its_name(capsys):
    err = _error(["--temperature=300", "simulate", *SUBCOMMAND_ARGV["simulate"]], capsys)
    assert err.endswith("; --temperature is an option of electrolyte simulate: give it after "
                        "the subcommand (electrolyte simulate ... --temperature)\n"), err


@pytest.mark.parametrize("argv, said", [
    (["--verbose"], "unrecognized option --verbose before the subcommand; give a subcommand "
                    "first, its options after it (electrolyte SUBCOMMAND --help lists them)"),
    (["nosuch"], "argument command: invalid choice: 'nosuch' (choose from 'simulate', "
                 "'analyze', 'diagnose', 'demo', 'screen', 'finetune', 'select')"),
])
def test_other_refusals_of_the_command_are_unchanged(argv, said, capsys):
    assert _error(argv, capsys) == f"electrolyte: error: {said}\n"
