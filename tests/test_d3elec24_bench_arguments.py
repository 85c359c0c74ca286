"""The D3 and electrostatics benchmarks refuse a bad number or word before any timing, in one
line with exit status 2 (``--rounds 0`` ran the first timings and ended in a traceback,
``min() arg is an empty sequence``; ``--atm-cutoff -5`` in the calculator's traceback)."""

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.mark.parametrize("script, args, named", [
    ("bench_d3.py", ["--rounds", "0"], "--rounds must be a whole number >= 1, got 0"),
    ("bench_d3.py", ["--atm-cutoff", "-5"], "--atm-cutoff (Å) must be a finite number > 0.1"),
    ("bench_electrostatics_cutoff.py", ["--methods", "PME", "ewld"],
     "not 'ewld' (did you mean 'ewald'?)"),
    ("bench_electrostatics.py", ["--tolerance", "0.01"], "--tolerance must be a finite number"),
])
def test_bad_argument_is_one_line_with_status_2(script, args, named):
    run = subprocess.run([sys.executable, str(BENCH / script), *args], capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert named in run.stderr.strip().splitlines()[-1]
    assert run.stdout == ""  # nothing was timed
