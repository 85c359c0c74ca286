"""Model analyses run by forked workers (``backend="multiprocessing"``).

The calling process evaluates the model before the frames are sent out (the isolated ions'
checks); torch's OpenMP threads do not survive a fork, and a worker's first multi-threaded
operation waited for them for good: IntraInterErrors of a model with an Ewald term, 4 frames
on 2 workers, finished no frame in 300 s. Each run here is a child process with a time limit,
so that a hang fails the test instead of the suite. The isolated ions' two-cube check
(``IsolatedMoleculeEvaluator._check_images``) is done once, by the calling process, not again
by every worker.
"""

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

_SCRIPT = textwrap.dedent("""
    import os, sys, warnings
    sys.path.insert(0, {tests!r})
    import numpy as np
    import torch
    from ase.calculators.mixing import SumCalculator
    from counting_bonds import Bonds, ionic_frame
    from ase_electrolyte.electrostatics import Electrostatics
    from mda_electrolyte.intra_inter_errors import IntraInterErrors
    from mda_electrolyte.volume_scan import RigidVolumeScan

    torch.set_num_threads(2)  # a pool of threads in the caller, as on any multi-core machine
    LOG = {log!r}

    class Logged(Bonds):
        def calculate(self, atoms=None, properties=("energy",), system_changes=()):
            super().calculate(atoms, properties, ("positions", "numbers", "cell", "pbc"))
            with open(LOG, "a") as fh:
                fh.write(f"{{os.getpid()}} {{len(self.atoms)}} {{self.atoms.cell[0, 0]:.3f}}\\n")

    def model():
        return SumCalculator([Logged(), Electrostatics(scheme="array", array="formal_charge",
                                                       method="ewald", background=True)])

    rng = np.random.default_rng(1)
    frames = []
    for _ in range(4):
        atoms = ionic_frame()
        atoms.positions += rng.normal(0.0, 0.04, atoms.positions.shape)
        frames.append(atoms)
    out = {{}}
    for what in ("errors", "scan"):
        for backend, kwargs in (("serial", {{}}), ("multiprocessing", {{"n_workers": 2}})):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if what == "errors":
                    run = IntraInterErrors(frames, model(), reference=model(), vacuum=8.0)
                    run.run(backend=backend, **kwargs)
                    out[what, backend] = float(np.sum(run.results.energies["model"]["inter"]))
                else:
                    run = RigidVolumeScan(frames, model(), scales=(0.98, 1.0, 1.05),
                                          vacuum=8.0)
                    run.run(backend=backend, **kwargs)
                    out[what, backend] = float(np.sum(run.results.inter))
        print(what, out[what, "serial"], out[what, "multiprocessing"])
        # the errors' calls alone in the log
        LOG = LOG + ".scan"
    print("threads", torch.get_num_threads())
""")


def test_intra_inter_errors_and_a_volume_scan_of_a_torch_model_finish_on_forked_workers(
        tmp_path):
    log = tmp_path / "calls.log"
    script = _SCRIPT.format(tests=str(Path(__file__).parent), log=str(log))
    env = {**os.environ, "MPLBACKEND": "Agg"}
    # a session of its own: a hung run's workers are ended with it, not left behind
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env,
                             start_new_session=True)
    try:
        stdout, stderr = child.communicate(timeout=90)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        child.communicate()
        pytest.fail("a run with backend='multiprocessing' hung (over 90 s)")
    assert child.returncode == 0, stderr[-3000:]
    lines = dict(line.split(" ", 1) for line in stdout.splitlines())
    calls = [line.split() for line in log.read_text().splitlines()]
    for what in ("errors", "scan"):
        serial, parallel = map(float, lines[what].split())
        assert serial != 0.0
        assert parallel == pytest.approx(serial, rel=1e-12)
    # the caller's torch threads as they were
    assert lines["threads"] == "2"
    # the ions (1 atom) in the cube of twice the side (the check) by the caller alone: once per
    # ion and side in the serial run, and not again in the parallel run's workers
    caller = calls[0][0]
    doubled = [(pid, side) for pid, n, side in calls if n == "1" and float(side) > 30.0]
    assert len(doubled) == 8  # Li+ and F-, model and reference, serial and parallel runs
    assert {pid for pid, _ in doubled} == {caller}
    workers = {pid for pid, n, _ in calls if n == "5"} - {caller}
    assert len(workers) == 2  # the frames were evaluated by two other processes

