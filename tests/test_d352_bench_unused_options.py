"""benchmarks/bench_d3.py refuses options its chosen mode does not read, in one line with exit
status 2 and before any timing.

Before: ``--atoms 5`` without ``--tensor`` timed the default 1037-atom boxes; ``--gpu-model
--sizes 1,1,1`` modelled its own 28k-92k-atom boxes; ``--tensor --atm`` timed no ATM term;
``--gpu-model --tensor`` ran the model only; each without a word.
"""

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_d3.py"

MODES = {"--gpu-model": ["--gpu-model"], "--tensor": ["--tensor"], "the box timings": []}
# each option with a valid value, and the modes that read it
OPTIONS = {
    "--rounds": (["--rounds", "2"], {"--tensor", "the box timings"}),
    "--atoms": (["--atoms", "20"], {"--tensor"}),
    "--sizes": (["--sizes", "1,1,1"], {"the box timings"}),
    "--large": (["--large"], {"the box timings"}),
    "--atm": (["--atm"], {"the box timings"}),
    "--atm-cutoff": (["--atm-cutoff", "9"], {"the box timings"}),
}
UNUSED = [(mode, option) for mode in MODES for option, (_, modes) in OPTIONS.items()
          if mode not in modes]


def run(args):
    return subprocess.run([sys.executable, str(BENCH), *args], capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("mode, option", UNUSED)
def test_an_option_the_mode_does_not_read_is_refused(mode, option):
    done = run(MODES[mode] + OPTIONS[option][0])
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert f"not use {option} (it would change nothing)" in last
    assert done.stdout == ""  # nothing was timed


def test_two_modes_are_refused():
    done = run(["--gpu-model", "--tensor"])
    assert done.returncode == 2 and done.stdout == ""
    assert "two modes; give one" in done.stderr.strip().splitlines()[-1]


def test_the_options_a_mode_reads_are_taken():
    """--tensor with its own --atoms and --rounds runs (small: 20 atoms, one round)."""
    done = run(["--tensor", "--atoms", "20", "--rounds", "1"])
    assert done.returncode == 0, done.stderr
    rows = [line.split() for line in done.stdout.splitlines()
            if line.split()[:1] in (["molecule"], ["slab"], ["wire"])]
    assert [r[0] for r in rows] == ["molecule", "slab", "wire"]
    assert all(int(r[1]) == 20 for r in rows)
