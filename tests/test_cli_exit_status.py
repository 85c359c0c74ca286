"""The exit status of every subcommand is the one the command decided.

``main`` called the subcommand's ``run(args)`` and returned 0 whatever it returned, so a
status a command decided (an ``int``) never reached the shell. Now ``run`` returns its result
(status 0) or the status as an ``int``, and that status is the process's, in Python, through
``python -m electrolyte_cli`` and through the console script; a value that is no exit status
(outside 0-255, where the shell would read 256 as success, or a ``bool``) is a bug said in one
line with status 1. ``ELECTROLYTE_DEBUG=0`` (or ``false``, ``off``) turned the one line of
an internal error into a traceback; it now leaves it off.
"""

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import numpy as np
import pytest
from cli_inputs import SUBCOMMAND_ARGV as ARGV

import electrolyte_cli
from electrolyte_cli import main


def test_every_subcommand_is_covered():
    assert set(ARGV) == set(electrolyte_cli._COMMANDS)


def _returning(monkeypatch, command, value):
    seen = []

    def run(args):
        seen.append(args.command)
        return value

    monkeypatch.setattr(electrolyte_cli._COMMANDS[command], "run", run)
    return seen


@pytest.mark.parametrize("command", sorted(ARGV))
@pytest.mark.parametrize("value,status", [
    (0, 0), (1, 1), (2, 2), (3, 3), (255, 255),
    # a result, not a status: success
    (None, 0), ({"density": {"value": 1.2}}, 0), ([], 0), ("done", 0), (2.0, 0),
])
def test_main_returns_the_status_the_command_decided(command, value, status, monkeypatch):
    seen = _returning(monkeypatch, command, value)
    assert main([command, *ARGV[command]]) == status
    assert seen == [command]


@pytest.mark.parametrize("command", sorted(ARGV))
def test_a_numpy_integer_status_is_a_status(command, monkeypatch):
    _returning(monkeypatch, command, np.int64(2))
    status = main([command, *ARGV[command]])
    assert status == 2 and type(status) is int


@pytest.mark.parametrize("value", [256, -1, 1000, True, False])
def test_a_value_that_is_no_exit_status_is_a_bug_in_one_line(value, monkeypatch, capsys):
    _returning(monkeypatch, "analyze", value)
    assert main(["analyze", *ARGV["analyze"]]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("electrolyte analyze: internal error: ")
    assert f"returned {value!r}" in err and "0-255" in err


# A sitecustomize module, found first on PYTHONPATH, replaces a subcommand's run in the
# process that the console script or ``python -m`` starts (the parent's monkeypatch cannot
# reach it).
_PATCH = """
import os
import electrolyte_cli

command = os.environ["TEST_EXIT_COMMAND"]
status = int(os.environ["TEST_EXIT_STATUS"])
electrolyte_cli._COMMANDS[command].run = lambda args: status
"""


@pytest.fixture(scope="module")
def patch_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("exit_patch")
    (folder / "sitecustomize.py").write_text(_PATCH)
    return folder


def _console_script():
    """The ``electrolyte`` console script of this Python (not a shim that picks one), or, where
    none is installed beside it, what such a script runs: the entry point's ``main`` called
    through ``sys.exit``."""
    script = Path(sysconfig.get_path("scripts")) / "electrolyte"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c",
            "import sys; from importlib.metadata import entry_points; "
            "sys.argv[0] = 'electrolyte'; "
            "sys.exit(entry_points(group='console_scripts')['electrolyte'].load()())"]


def _status(prefix, command, status, patch_dir, tmp_path):
    env = {**os.environ, "MPLBACKEND": "Agg", "TEST_EXIT_COMMAND": command,
           "TEST_EXIT_STATUS": str(status),
           "PYTHONPATH": os.pathsep.join([str(patch_dir), *filter(None, [
               os.environ.get("PYTHONPATH")])])}
    result = subprocess.run([*prefix, command, *ARGV[command]], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=600)
    return result.returncode, result.stderr


@pytest.mark.parametrize("command,status", [("analyze", 2), ("finetune", 1), ("screen", 3)])
def test_python_m_exits_with_the_status_the_command_decided(command, status, patch_dir,
                                                            tmp_path):
    code, err = _status([sys.executable, "-m", "electrolyte_cli"], command, status, patch_dir,
                        tmp_path)
    assert code == status, err


@pytest.mark.parametrize("command,status", [("simulate", 2), ("select", 0)])
def test_the_console_script_exits_with_the_status_the_command_decided(command, status,
                                                                      patch_dir, tmp_path):
    code, err = _status(_console_script(), command, status, patch_dir, tmp_path)
    assert code == status, err


class _Bug(Exception):
    pass


@pytest.mark.parametrize("value,traceback", [
    ("1", True), ("yes", True), ("TRUE", True),
    ("0", False), ("false", False), ("No", False), (" off ", False), ("", False),
])
def test_electrolyte_debug_off_keeps_the_one_line(value, traceback, monkeypatch, capsys):
    # ELECTROLYTE_DEBUG=0 meant to turn tracebacks off turned them on
    def run(args):
        raise _Bug("a fault of the command")

    monkeypatch.setattr(electrolyte_cli._COMMANDS["analyze"], "run", run)
    monkeypatch.setenv("ELECTROLYTE_DEBUG", value)
    if traceback:
        with pytest.raises(_Bug):
            main(["analyze", *ARGV["analyze"]])
        return
    assert main(["analyze", *ARGV["analyze"]]) == 1
    err = capsys.readouterr().err
    assert err == ("electrolyte analyze: internal error: _Bug: a fault of the command (a bug; "
                   "ELECTROLYTE_DEBUG=1 shows the traceback)\n")
