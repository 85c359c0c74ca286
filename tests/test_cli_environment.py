"""The command in the environments a computational chemist meets: an ASCII or Latin-1 output
(``PYTHONIOENCODING``, an old pipe), ``NO_COLOR``, ``LANG=C``, no terminal, a path of bytes that
are no UTF-8.

Before, ``--help`` of every subcommand ended in a UnicodeEncodeError traceback on an ASCII or
Latin-1 stdout (its "g/cm³", "Magdău"), and a report path of undecodable bytes printed after the
analyses ended in an internal error (exit status 1) once the work was done.
"""

import os
import subprocess
import sys

import pytest
from cli_inputs import water_frames

from electrolyte_cli import build_parser

SUBCOMMANDS = ["simulate", "analyze", "diagnose", "demo", "screen", "finetune", "select"]


def _run(args, env, cwd=None):
    return subprocess.run([os.fsencode(a) for a in [sys.executable, "-m", "electrolyte_cli",
                                                     *args]],
                          env={**os.environ, "MPLBACKEND": "Agg", **env}, cwd=cwd,
                          capture_output=True, timeout=600)


def test_every_subcommand_is_covered():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert sorted(sub.choices) == sorted(SUBCOMMANDS)


@pytest.mark.parametrize("env", [{"PYTHONIOENCODING": "ascii"},
                                 {"PYTHONIOENCODING": "latin-1", "NO_COLOR": "1"},
                                 {"LANG": "C", "LC_ALL": "C"}],
                         ids=["ascii", "latin-1-no-color", "lang-c"])
@pytest.mark.parametrize("command", ["", *SUBCOMMANDS])
def test_help_prints_in_any_output_encoding(command, env):
    result = _run([command, "--help"] if command else ["--help"], env)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert result.stderr == b""
    text = result.stdout.decode("utf-8" if "LANG" in env else env["PYTHONIOENCODING"])
    assert text.startswith(f"usage: electrolyte{' ' + command if command else ''}")
    # what the encoding cannot hold is escaped, never lost
    if env.get("PYTHONIOENCODING") == "ascii" and command == "analyze":
        assert "g/cm\\xb3" in text and "Magd\\u0103u" in text


def test_a_path_of_undecodable_bytes_is_printed_after_the_work(tmp_path):
    """An output folder named with a byte that is no UTF-8 (a file system of another
    encoding): the analyses run and the report line names it escaped, status 0."""
    water_frames(tmp_path / "water.extxyz")
    out = os.fsdecode(b"out\xff")
    # a UTF-8 stdout that refuses surrogates (as PYTHONIOENCODING=utf-8 sets it)
    result = _run(["analyze", "water.extxyz", "-o", out, "-q"], {"PYTHONIOENCODING": "utf-8"},
                  cwd=tmp_path)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert b"Traceback" not in result.stderr
    # quoted as a Python literal, as every path a line cannot show as it is (a folder named
    # "out\\udcff" in plain text would print the same unquoted)
    assert result.stdout.splitlines()[-1] == b"report: 'out\\udcff/summary.json'"
    assert (tmp_path / os.fsencode(out).decode("utf-8", "surrogateescape") / "summary.json"
            ).is_file()
