"""A script that runs MD and does not catch :class:`~ase_electrolyte.md.Terminated` ends as
SIGTERM ends a process, after the trajectory is closed.

Before, SIGTERM (a batch scheduler's time limit, ``kill``, ``scancel``) during ``run_md`` in a
library script unwound as Ctrl-C does and then exited with status 1 after the traceback: a
crash to a scheduler, which reads a job its limit ended from "killed by signal 15" (a shell's
143). CPython ends a process by SIGINT after an uncaught ``KeyboardInterrupt`` but not after a
subclass. Each case runs a real child interpreter (the status is the interpreter's own), with
SIGTERM sent by the model itself at a fixed evaluation: no timing involved.
"""

import signal
import subprocess
import sys
import textwrap

import pytest

from ase_electrolyte.trajectory import h5md_info

_SCRIPT = """
import os, signal, sys, warnings
warnings.simplefilter("ignore")
from ase.build import bulk
from ase.calculators.lj import LennardJones
from ase_electrolyte.md import Terminated, run_md, terminate_as_interrupt


class Signalling(LennardJones):
    calls = 0

    def calculate(self, *args, **kwargs):
        Signalling.calls += 1
        if Signalling.calls == 6:
            os.kill(os.getpid(), signal.SIGTERM)
        super().calculate(*args, **kwargs)


def run():
    atoms = bulk("Ar", "fcc", a=5.26, cubic=True).repeat((2, 2, 2))
    atoms.rattle(0.05, seed=3)
    atoms.calc = Signalling(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True)
    run_md(atoms, ensemble="nve", steps=400, timestep_fs=2.0, temperature_K=60,
           write_interval=2, progress=False, trajectory=sys.argv[1])


print("started")  # buffered (stdout is a pipe): must not be lost by the way the process ends
"""


def _run(tmp_path, body):
    script = tmp_path / "script.py"
    script.write_text(_SCRIPT + textwrap.dedent(body))
    path = tmp_path / "md.h5md"
    done = subprocess.run([sys.executable, str(script), str(path)], capture_output=True,
                          text=True, timeout=600)
    return done, path


def _closed_incomplete(path):
    info = h5md_info(path)
    assert not info["complete"] and 1 <= info["n_frames"] < 200
    return info["n_frames"]


def test_an_uncaught_terminated_ends_the_script_by_sigterm_after_the_clean_up(tmp_path):
    done, path = _run(tmp_path, "run()\nprint('after the run')\n")
    assert done.returncode == -signal.SIGTERM, (done.returncode, done.stderr[-2000:])
    assert done.stdout == "started\n"
    # the traceback and the note of what is kept are still printed, the file is closed
    assert "ase_electrolyte.md.Terminated" in done.stderr
    assert "run_md: terminated (SIGTERM)" in done.stderr
    _closed_incomplete(path)


def test_the_same_through_a_shell_reads_143(tmp_path):
    script = tmp_path / "script.py"
    script.write_text(_SCRIPT + "run()\n")
    done = subprocess.run(["sh", "-c", f'"{sys.executable}" "{script}" "{tmp_path / "m.h5md"}"'
                           '; echo "status $?"'], capture_output=True, text=True, timeout=600)
    assert done.stdout.splitlines()[-1] == "status 143", done.stdout + done.stderr[-2000:]


@pytest.mark.parametrize("body, status, out", [
    # a script that catches it decides how it ends
    ("try:\n    run()\nexcept Terminated:\n    print('caught')\n", 0, "started\ncaught\n"),
    ("try:\n    run()\nexcept Terminated:\n    sys.exit(7)\n", 7, "started\n"),
    # caught, and another error later: that error's status, not SIGTERM's
    ("try:\n    run()\nexcept Terminated:\n    pass\nraise ValueError('later')\n", 1,
     "started\n"),
    # a handler of the caller's, taken over by the block and given back: its process to end
    ("signal.signal(signal.SIGTERM, lambda *a: None)\n"
     "with terminate_as_interrupt(replace_handler=True):\n    run()\n", 1, "started\n"),
])
def test_a_script_that_catches_it_or_owns_sigterm_ends_its_own_way(tmp_path, body, status, out):
    done, path = _run(tmp_path, body)
    assert done.returncode == status, (done.returncode, done.stderr[-2000:])
    assert done.stdout == out
    _closed_incomplete(path)


def test_an_interactive_session_goes_on_after_it_and_ends_its_own_way(tmp_path):
    # python -i: the error of a statement is printed (and sys.last_value set), the session
    # goes on; leaving it later is no SIGTERM
    script = tmp_path / "script.py"
    script.write_text(_SCRIPT + "run()\n")
    done = subprocess.run([sys.executable, "-i", str(script), str(tmp_path / "m.h5md")],
                          input="print('still here')\n", capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert "still here" in done.stdout and "run_md: terminated (SIGTERM)" in done.stderr
    _closed_incomplete(tmp_path / "m.h5md")
