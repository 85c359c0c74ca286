"""Per-step cost of run_md that is not the model: the whole run's CPU time less the time spent
in the calculator's ``calculate``, per step, with ASE's EMT on 108 copper atoms.

    python benchmarks/bench_md_step_overhead.py [--steps 200] [--repeats 3]

Best of ``--repeats`` (CPU time of this process: the machine is shared). Observables at every
step, a frame every 10 steps, NVT. The overhead is printed as a ratio to the model's own time
per step, measured in the same run (EMT is cheap: a real model makes the ratio far smaller);
the same run also times the pieces that act at every step (the guard's check, the writer's
last frame time) by themselves.
"""

import argparse
import os
import tempfile
import time
import warnings

from _arguments import number  # benchmarks/, beside this script
from ase.build import bulk
from ase.calculators.emt import EMT


class _TimedEMT(EMT):
    """EMT that adds up the CPU time of its evaluations."""

    spent = 0.0

    def calculate(self, *args, **kwargs):
        t = time.process_time()
        super().calculate(*args, **kwargs)
        type(self).spent += time.process_time() - t


_TimedEMT.__module__, _TimedEMT.__name__ = EMT.__module__, EMT.__name__


def _atoms():
    atoms = bulk("Cu", "fcc", a=3.61, cubic=True).repeat(3)
    atoms.rattle(0.02, seed=1)
    atoms.calc = _TimedEMT()
    return atoms


def overhead(steps, folder, k):
    from ase_electrolyte.md import run_md

    _TimedEMT.spent = 0.0
    t = time.process_time()
    run_md(_atoms(), ensemble="nvt", steps=steps, timestep_fs=2.0, temperature_K=300.0,
           progress=False, write_interval=10, observe_interval=1,
           trajectory=os.path.join(folder, f"run{k}.h5md"))
    total = time.process_time() - t
    return 1000.0 * (total - _TimedEMT.spent) / steps, 1000.0 * _TimedEMT.spent / steps


def pieces(folder, calls=300):
    from ase_electrolyte.md import _Guard
    from ase_electrolyte.trajectory import H5MDWriter

    atoms = _atoms()
    atoms.get_forces()
    guard = _Guard(atoms, temperature_K=300.0, factor=3.0, max_displacement=1.0,
                   timestep_fs=2.0)
    t = time.process_time()
    for step in range(calls):
        guard.check(step, None)
    check = 1000.0 * (time.process_time() - t) / calls
    with H5MDWriter(os.path.join(folder, "pieces.h5md"), atoms) as writer:
        writer.write(atoms, step=0, time=0.0)
        t = time.process_time()
        for _ in range(calls):
            writer.last_time()
        last_time = 1000.0 * (time.process_time() - t) / calls
    return check, last_time


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # bad sizes in one line before any run ("--repeats 0" ended in min() of nothing)
    parser.add_argument("--steps", type=number("--steps", minimum=1, integer=True), default=200)
    parser.add_argument("--repeats", type=number("--repeats", minimum=1, integer=True),
                        default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, warnings.catch_warnings():
        # EMT's copper is no electrolyte: the model checks' warnings are not what is timed
        warnings.simplefilter("ignore")
        runs = [overhead(args.steps, folder, k) for k in range(args.repeats)]
        best = min(runs)
        check, last_time = min(pieces(folder) for _ in range(args.repeats))
    print(f"EMT, 108 atoms, {args.steps} NVT steps, observables every step:")
    print(f"  model     {best[1]:8.3f} ms/step")
    print(f"  overhead  {best[0]:8.3f} ms/step (run_md's CPU time less the model's)")
    print(f"  overhead / model: {best[0] / best[1]:.2f}")
    print(f"  guard.check        {check:8.4f} ms/call")
    print(f"  writer.last_time() {last_time:8.4f} ms/call")


if __name__ == "__main__":
    main()
