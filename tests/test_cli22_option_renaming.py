"""The CLI renames the library's keywords to its options, but not a keyword it names as one of
a Python function.

``options_named`` turned "give the time between frames (dt= of from_ase, --dt of electrolyte
analyze)" into "(--dt of from_ase, --dt of electrolyte analyze)": an option ``from_ase`` does
not have, and the message no longer said how to give the spacing in Python.
"""

import subprocess
import sys

import pytest

from electrolyte_cli.arguments import _option_in_front

FLAGS = {"dt": "--dt", "lammps_units": "--lammps-units", "temperature_K": "--temperature"}


@pytest.mark.parametrize("text,expected", [
    # a keyword with its value: the option with the value, as typed
    ("assuming dt = 1 ps", "assuming --dt 1 ps"),
    ("dt=0.5 ps given", "--dt 0.5 ps given"),
    ("temperature_K must be > 0", "--temperature must be > 0"),
    ("with lammps_units 'x'", "with --lammps-units 'x'"),
    # a keyword of a Python function stays the function's keyword
    ("give dt (dt= of from_ase, --dt of electrolyte analyze)", None),
    ("lammps_units= of from_ase", None),
    ("lammps_units = of from_ase; lammps_units = 'real'",
     "lammps_units = of from_ase; --lammps-units 'real'"),
])
def test_keywords_and_function_keywords(text, expected):
    assert _option_in_front(text, FLAGS) == expected


def test_analyze_names_from_ase_keyword_not_an_option(tmp_path):
    from ase.build import molecule
    from ase.io import write

    # two frames without time (and without a box: refused at once, after the reader's warning)
    frames = [molecule("H2O"), molecule("H2O")]
    write(tmp_path / "t.extxyz", frames)
    run = subprocess.run([sys.executable, "-m", "electrolyte_cli", "analyze", "t.extxyz",
                          "-o", "out"], cwd=tmp_path, capture_output=True, text=True,
                         timeout=120)
    warning = [line for line in run.stderr.splitlines() if "carry no time" in line]
    assert len(warning) == 1, run.stderr
    assert "--dt of from_ase" not in warning[0]
    assert "dt= of from_ase" in warning[0] and "--dt of electrolyte analyze" in warning[0]
    assert "assuming --dt 1 ps" in warning[0]
