"""Output folders that cannot be created, and options the command does not know.

``-o /proc/x`` passes the checks of a writable parent (``/proc`` is a folder root may write
to) and then failed at the folder's creation with "[Errno 2] No such file or directory",
naming neither ``-o`` nor the path. ``electrolyte --verbose`` (an option before the
subcommand that the command does not know) said "the following arguments are required:
command", and the option the user typed was not named. Each is one line, exit status 2,
before any work (the ``workdir`` fixture patches the expensive entry points to fail).
"""

import os

import pytest

from electrolyte_cli import main
from tests import test_cli_arguments
from tests.test_cli_arguments import _refused
from tests.test_cli_paths import _OUTPUTS, _with

workdir = test_cli_arguments.workdir  # the fixture: expensive work patched to fail

_UNCREATABLE = "/proc/electrolyte_cli_no_such_folder/run"


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="no /proc on this system")
@pytest.mark.parametrize("case", list(_OUTPUTS))
def test_an_output_folder_that_cannot_be_created_names_the_option_and_path(workdir, capsys,
                                                                           case):
    _refused(_with(_OUTPUTS[case], "OUTPUT", _UNCREATABLE),
             f"-o/--output {_UNCREATABLE}", workdir, capsys)


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="no /proc on this system")
def test_select_into_a_folder_that_cannot_be_created_names_the_option(workdir, capsys):
    _refused(["select", "lab.extxyz", "-n", "1", "-o", f"{_UNCREATABLE}/picked.extxyz"],
             "-o/--output", workdir, capsys)


@pytest.mark.parametrize("argv, named", [
    (["--verbose"], "--verbose"),
    (["-v"], "-v"),
    (["--verbose", "--debug=2"], "--verbose, --debug"),
    (["--verbose", "analyze", "lab.extxyz"], "--verbose"),
    (["analyze", "lab.extxyz", "--verbose"], "--verbose"),
    (["analyze", "--no-such-option"], "--no-such-option"),
    (["diagnose", "--no-such-option"], "--no-such-option"),
    (["simulate", "--no-such-option"], "--no-such-option"),
])
def test_an_unknown_option_is_named_not_a_missing_argument(workdir, capsys, argv, named):
    # "unrecognized option X" where argparse would have said only what is missing,
    # argparse's own "unrecognized arguments: X" where it names it already
    err = _argparse_refused(argv, "unrecognized", workdir, capsys)
    assert f"option {named}" in err or f"arguments: {named}" in err, err


def test_no_subcommand_lists_the_subcommands(workdir, capsys):
    from electrolyte_cli import _COMMANDS

    _argparse_refused([], "give a subcommand (" + ", ".join(_COMMANDS) + ")", workdir, capsys)


def test_known_top_level_options_still_work(workdir, capsys):
    # its abbreviation (--vers) is refused: tests/test_cli_abbreviations.py
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.startswith("electrolyte ")


@pytest.mark.parametrize("argv, message", [
    # values that start with '-' are values, not unknown options
    (["simulate", "--counts", "EC=3,Li=1,PF6=1", "--model", "sevennet-0", "--pressure",
      "-1e3", "-o"], "expected one argument"),
    (["simulate", "--counts", "EC=3,Li=1,PF6=1", "--temperature", "-5", "--model"],
     "expected one argument"),
])
def test_negative_numbers_are_not_called_unknown_options(workdir, capsys, argv, message):
    assert "unrecognized" not in _argparse_refused(argv, message, workdir, capsys)


def _argparse_refused(argv, message, workdir, capsys):
    """argparse's refusals end in SystemExit(2): one line naming ``message``, nothing made."""
    before = sorted(p.name for p in workdir.iterdir())
    with pytest.raises(SystemExit) as done:
        main(argv)
    err = capsys.readouterr().err
    assert done.value.code == 2, err
    assert message in err, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert sorted(p.name for p in workdir.iterdir()) == before
    return err
