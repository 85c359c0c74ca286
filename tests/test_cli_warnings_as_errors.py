"""A warning the user's own filter makes an error (``PYTHONWARNINGS=error``, ``python -W
error``, ``warnings.simplefilter("error")``) ends the command in one error line with status 2:
the warning's text and what made it an error. It read "internal error: UserWarning: ... (a
bug; ELECTROLYTE_DEBUG=1 shows the traceback)" with status 1, a bug report for what the user
asked for."""

import os
import subprocess
import sys
import warnings

import numpy as np
import pytest
from cli_inputs import SUBCOMMAND_ARGV as ARGV

import electrolyte_cli
from electrolyte_cli import main


def _user_warning():
    warnings.warn("--temperature 25.0 K is far from a liquid's: is it in °C?", stacklevel=2)


def _numpy_warning():
    np.mean(np.array([]))  # RuntimeWarning: Mean of empty slice


def _deprecation():
    warnings.warn("old keyword\n  use the new one", DeprecationWarning, stacklevel=2)


WARNINGS = {"UserWarning": (_user_warning, "is it in °C?"),
            "RuntimeWarning": (_numpy_warning, "Mean of empty slice"),
            "DeprecationWarning": (_deprecation, "old keyword use the new one")}


def _warning_run(monkeypatch, command, warn):
    done = []

    def run(args):
        warn()
        done.append(args.command)  # reached only when the warning stays a warning
        return None

    monkeypatch.setattr(electrolyte_cli._COMMANDS[command], "run", run)
    return done


def test_every_subcommand_is_covered():
    assert set(ARGV) == set(electrolyte_cli._COMMANDS)


@pytest.mark.parametrize("kind", sorted(WARNINGS))
@pytest.mark.parametrize("command", sorted(ARGV))
def test_a_warning_made_an_error_is_one_error_line_with_status_2(command, kind, monkeypatch,
                                                                  capsys):
    warn, text = WARNINGS[kind]
    done = _warning_run(monkeypatch, command, warn)
    monkeypatch.setenv("PYTHONWARNINGS", "error")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        status = main([command, *ARGV[command]])
    err = capsys.readouterr().err
    assert status == 2 and done == []
    assert err.count("\n") == 1, err
    assert err.startswith(f"electrolyte {command}: error: ") and text in err
    assert f"({kind} made an error by PYTHONWARNINGS=error)" in err
    assert "internal error" not in err and "bug" not in err


@pytest.mark.parametrize("variable,options,said", [
    ("error::UserWarning,ignore::DeprecationWarning", [],
     "PYTHONWARNINGS=error::UserWarning,ignore::DeprecationWarning"),
    (None, ["default", "error::UserWarning"], "python -W error::UserWarning"),
    (None, [], "a warnings filter set to 'error'"),
    ("ignore", [], "a warnings filter set to 'error'"),  # the variable did not make it one
])
def test_the_line_names_what_made_the_warning_an_error(variable, options, said, monkeypatch,
                                                        capsys):
    _warning_run(monkeypatch, "analyze", _user_warning)
    if variable is None:
        monkeypatch.delenv("PYTHONWARNINGS", raising=False)
    else:
        monkeypatch.setenv("PYTHONWARNINGS", variable)
    monkeypatch.setattr(sys, "warnoptions", options)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert main(["analyze", *ARGV["analyze"]]) == 2
    assert f"(UserWarning made an error by {said})" in capsys.readouterr().err


def test_a_warning_left_a_warning_lets_the_command_go_on(monkeypatch):
    done = _warning_run(monkeypatch, "analyze", _user_warning)
    with pytest.warns(UserWarning, match="is it in °C"):
        assert main(["analyze", *ARGV["analyze"]]) == 0
    assert done == ["analyze"]


def test_python_warnings_error_end_to_end(tmp_path):
    """The console's own path: simulate doubts --temperature 25 (°C?) before any work."""
    env = {**os.environ, "PYTHONWARNINGS": "error", "MPLBACKEND": "Agg"}
    env.pop("ELECTROLYTE_DEBUG", None)
    proc = subprocess.run(
        [sys.executable, "-m", "electrolyte_cli", "simulate", "--model", "sevennet-0",
         "--temperature", "25", "--counts", "EC:2", "-o", str(tmp_path / "run")],
        capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stderr.startswith("electrolyte simulate: error: --temperature 25.0 K ")
    assert proc.stderr.rstrip().endswith(
        "is it in °C? (UserWarning made an error by PYTHONWARNINGS=error)")
    assert not (tmp_path / "run").exists()  # nothing was packed or written
