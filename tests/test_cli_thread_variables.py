"""Thread counts in the environment that a library of the command cannot read.

numexpr, imported with pandas when SevenNet loads a model and by the solvation analysis, reads
``NUMEXPR_NUM_THREADS`` or else ``OMP_NUM_THREADS`` with ``int()``. ``OMP_NUM_THREADS=4,2``
(OpenMP's threads per nesting level) or ``abc`` made ``electrolyte simulate`` pack its box and
then fail at the model's load with "Calculator: invalid literal for int() with base 10:
'4,2'", and ``analyze`` fail with that line alone (its error line's advice marking imported the
analyses again: a traceback). A count below 1 is ignored by OpenMP and numexpr with stray
"Invalid value" lines. Each is now refused in one line naming the variable and the cure
(exit status 2) before any work; what is accepted is what numexpr reads.
"""

import os
import subprocess
import sys

import pytest

from electrolyte_cli import main
from electrolyte_cli.arguments import check_thread_variables

ACCEPTED = [
    {},
    {"OMP_NUM_THREADS": "4"},
    {"OMP_NUM_THREADS": " 4 "},
    {"OMP_NUM_THREADS": ""},  # unset, as the libraries read it
    {"OMP_NUM_THREADS": "4,2", "NUMEXPR_NUM_THREADS": "4"},
    {"NUMEXPR_NUM_THREADS": "8"},
    {"NUMEXPR_NUM_THREADS": "2", "OMP_NUM_THREADS": "1"},
]

REFUSED = [
    ({"OMP_NUM_THREADS": "abc"}, "OMP_NUM_THREADS='abc' is no thread count"),
    ({"OMP_NUM_THREADS": "0"}, "OMP_NUM_THREADS='0' is no thread count"),
    ({"OMP_NUM_THREADS": "-1"}, "OMP_NUM_THREADS='-1' is no thread count"),
    ({"OMP_NUM_THREADS": "4,0"}, "OMP_NUM_THREADS='4,0' is no thread count"),
    ({"OMP_NUM_THREADS": "4,2"}, "NUMEXPR_NUM_THREADS=4 beside it"),
    ({"OMP_NUM_THREADS": "4, 2"}, "NUMEXPR_NUM_THREADS=4 beside it"),
    ({"NUMEXPR_NUM_THREADS": " "}, "NUMEXPR_NUM_THREADS=' ' is no thread count"),
    ({"NUMEXPR_NUM_THREADS": "x", "OMP_NUM_THREADS": "4"},
     "NUMEXPR_NUM_THREADS='x' is no thread count"),
    ({"NUMEXPR_NUM_THREADS": "4", "OMP_NUM_THREADS": "two"},
     "OMP_NUM_THREADS='two' is no thread count"),
]


@pytest.mark.parametrize("environ", ACCEPTED)
def test_thread_counts_the_libraries_read_are_accepted(environ):
    check_thread_variables(environ)


@pytest.mark.parametrize("environ,said", REFUSED)
def test_thread_counts_no_library_reads_are_refused_by_name(environ, said):
    with pytest.raises(ValueError, match="the environment's ") as refused:
        check_thread_variables(environ)
    assert said in str(refused.value)


def _numexpr_threads(environ):
    """numexpr's thread count imported under ``environ`` (its thread variables only), or the
    error its import ends in."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("OMP_NUM_THREADS", "NUMEXPR_NUM_THREADS")}
    result = subprocess.run([sys.executable, "-c", "import numexpr; print(numexpr.nthreads)"],
                            env={**env, **environ}, capture_output=True, text=True,
                            timeout=600)
    return result.returncode, result.stdout + result.stderr


@pytest.mark.parametrize("environ", [
    {"OMP_NUM_THREADS": "3"},
    {"OMP_NUM_THREADS": "4,2", "NUMEXPR_NUM_THREADS": "3"},
])
def test_numexpr_reads_what_is_accepted(environ):
    pytest.importorskip("numexpr")
    code, text = _numexpr_threads(environ)
    assert code == 0 and text.strip().splitlines()[-1] == "3", text


@pytest.mark.parametrize("value", ["4,2", "abc"])
def test_numexpr_fails_at_its_import_on_what_is_refused(value):
    # the cause the refusal stands in front of
    pytest.importorskip("numexpr")
    code, text = _numexpr_threads({"OMP_NUM_THREADS": value})
    assert code != 0 and "invalid literal for int()" in text


def test_simulate_refuses_before_packing(tmp_path, monkeypatch, capsys):
    import ase_electrolyte.build

    packed = []
    monkeypatch.setattr(ase_electrolyte.build, "electrolyte_box",
                        lambda *a, **k: packed.append(1))
    monkeypatch.setenv("OMP_NUM_THREADS", "4,2")
    monkeypatch.delenv("NUMEXPR_NUM_THREADS", raising=False)
    out = tmp_path / "run"
    argv = ["simulate", "--solvent", "EC:1", "--model", "sevennet-0", "-o", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("electrolyte simulate: error: ")
    assert "OMP_NUM_THREADS='4,2'" in err and "NUMEXPR_NUM_THREADS=4" in err
    assert packed == [] and not out.exists()


@pytest.mark.parametrize("command", [["analyze", "--list"], ["demo", "-o", "d"]])
def test_the_command_says_it_in_one_line_without_a_traceback(command, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "NUMEXPR_NUM_THREADS"}
    result = subprocess.run([sys.executable, "-m", "electrolyte_cli", *command],
                            env={**env, "OMP_NUM_THREADS": "abc", "MPLBACKEND": "Agg"},
                            cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("electrolyte")]
    assert lines == [f"electrolyte {command[0]}: error: the environment's "
                     "OMP_NUM_THREADS='abc' is no thread count (OpenMP ignores it); give a "
                     "whole number >= 1 (e.g. OMP_NUM_THREADS=4), or unset it"]
    assert list(tmp_path.iterdir()) == []
