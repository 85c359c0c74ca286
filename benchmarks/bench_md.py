"""Cost of the per-step observables and of the MD driver, against bare ASE dynamics.

    python benchmarks/bench_md.py [--steps 200] [--atoms 1000] [--sevennet] [--demo]

All timings are measured in the same run, interleaved, best of ``--repeats``, as CPU time of
this process (``time.process_time``: the machine is shared, wall time measures the neighbours):

* **bare**: ASE's :class:`~ase.md.nose_hoover_chain.NoseHooverChainNVT` with the calculator and
  no output at all (the cost of a step: calculator and integrator);
* **ASE with the same frames**: the same dynamics writing the frames run_md writes (the first
  and the last step: positions, momenta, forces, cell, energy, stress) to an ASE trajectory:
  the reference of the driver, the same atoms, steps and frames;
* **frames only**: :func:`ase_electrolyte.md.run_md` writing an H5MD frame at the first and last
  step, no per-step observables in between (``observe_interval = steps``);
* **observables every step**: the same with ``observe_interval=1`` (charge current per species,
  pressure tensor, energies, temperature, volume, density at every step), the default of a
  production run.

The ratio *observables every step / frames only* is the cost of the observables (goal < 1.05);
*run_md frames only / ASE with the same frames* the driver's own (its checks, the H5MD file and
the settings it records). Each ratio compares runs of the same atoms, steps and frames (the
frames written are counted, and a mode that wrote others stops the benchmark); bare ASE, which
writes nothing, is no reference of a run that writes a file (with it, a 20-step run of 32 atoms
read "run_md / bare ASE = 10.9", file creation counted as the driver's step cost).
The calculator is ASE's EMT on a ~1000-atom copper crystal (a few tens of ms per step, so that
the I/O share is visible), asked for the stress at every step as an MLIP gives it, with fake
±1 charges on alternating atoms so that a charge current per species is recorded.
``--sevennet`` repeats the comparison with SevenNet-0 + D3 on the 103-atom demo box (CPU: about
2 s per step, so the observables' share is far below the noise; few steps). ``--demo`` also
times ``electrolyte demo`` end to end (goal: < 600 s on 2 CPU cores).
"""

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np
from _arguments import number  # benchmarks/, beside this script
from ase import units
from ase.build import bulk
from ase.calculators.calculator import Calculator, all_changes
from ase.calculators.emt import EMT
from ase.io.trajectory import Trajectory
from ase.md.nose_hoover_chain import NoseHooverChainNVT
from ase.md.velocitydistribution import Stationary

from ase_electrolyte.md import run_md
from ase_electrolyte.topology import set_topology


class _EMTWithStress(EMT):
    """EMT that computes the stress at every call, as an MLIP does with its forces."""

    def calculate(self, atoms=None, properties=("energy",), system_changes=None):
        kwargs = {} if system_changes is None else {"system_changes": system_changes}
        super().calculate(atoms, ["energy", "forces", "stress"], **kwargs)


class _Tether(Calculator):
    """Atoms on harmonic springs to their start sites: a calculator that costs almost nothing.

    Its step time is the driver's own cost, so the observables' cost shows in milliseconds.
    """

    implemented_properties = ["energy", "forces", "stress"]

    def __init__(self, sites, k=1.0):
        super().__init__()
        self.sites, self.k = np.array(sites), k

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        d = self.atoms.positions - self.sites
        forces = -self.k * d
        virial = -(d.T @ forces) / self.atoms.get_volume()
        self.results = {
            "energy": 0.5 * self.k * float(np.sum(d * d)),
            "forces": forces,
            "stress": virial.ravel()[[0, 4, 8, 5, 2, 1]],
        }


def _copper(n_atoms):
    reps = max(1, round((n_atoms / 4) ** (1 / 3)))
    atoms = bulk("Cu", "fcc", a=3.61, cubic=True).repeat((reps, reps, reps))
    n = len(atoms)
    set_topology(
        atoms,
        np.arange(n),
        np.where(np.arange(n) % 2 == 0, "A", "B"),
        np.where(np.arange(n) % 2 == 0, 1, -1),
    )
    return atoms


def _thermalized(atoms, calc, temperature_K):
    a = atoms.copy()
    try:  # ASE >= 3.29
        from ase.md.velocitydistribution import thermalize_momenta
    except ImportError:  # older ASE
        from ase.md.velocitydistribution import (
            MaxwellBoltzmannDistribution as thermalize_momenta,
        )

    thermalize_momenta(a, temperature_K=temperature_K, rng=np.random.default_rng(0))
    Stationary(a)
    a.calc = calc
    return a


def _bare(atoms, steps, temperature_K, tmp=None):
    """ASE's NVT; with ``tmp``, writing the frames of :func:`_ours` (the first and the last
    step) to an ASE trajectory. Returns (CPU seconds, frames written)."""
    dyn = NoseHooverChainNVT(
        atoms, timestep=1.0 * units.fs, temperature_K=temperature_K, tdamp=100 * units.fs
    )
    t0 = time.process_time()
    if tmp is None:
        dyn.run(steps)
        return time.process_time() - t0, 0
    path = Path(tmp) / "ase.traj"
    # opening and closing the file are timed, as run_md's are
    with Trajectory(path, "w", atoms) as traj:
        dyn.attach(traj.write, interval=steps)
        dyn.run(steps)
    elapsed = time.process_time() - t0
    with Trajectory(path) as done:
        return elapsed, len(done)


def _ours(atoms, steps, temperature_K, observe_interval, tmp):
    path = Path(tmp) / f"b{observe_interval}.h5md"
    path.unlink(missing_ok=True)
    t0 = time.process_time()
    run_md(
        atoms,
        ensemble="nvt",
        steps=steps,
        timestep_fs=1.0,
        temperature_K=temperature_K,
        trajectory=path,
        write_interval=steps,
        observe_interval=observe_interval,
        progress=False,
    )
    elapsed = time.process_time() - t0
    with h5py.File(path, "r") as f:
        return elapsed, len(f["particles/trajectory/position/step"])


def compare(label, atoms, calc, steps, repeats, temperature_K):
    start = _thermalized(atoms, calc, temperature_K)
    start.get_forces()  # warm-up (model load, neighbour lists)
    modes = {
        "bare": lambda tmp: _bare(_fresh(start), steps, temperature_K),
        "ase_frames": lambda tmp: _bare(_fresh(start), steps, temperature_K, tmp),
        "frames": lambda tmp: _ours(_fresh(start), steps, temperature_K, steps, tmp),
        "observed": lambda tmp: _ours(_fresh(start), steps, temperature_K, 1, tmp),
    }
    best = dict.fromkeys(modes, np.inf)
    written = {}
    with tempfile.TemporaryDirectory() as tmp:
        # run_md's one-off costs (imports, the H5MD library's first file) are no step's: with
        # them the first timed mode read 99 ms/step against 21 for the other, 32 atoms, 5 steps;
        # likewise ASE's trajectory writer's first file
        _ours(_fresh(start), 1, temperature_K, 1, tmp)
        _bare(_fresh(start), 1, temperature_K, tmp)
        for _ in range(repeats):
            for mode, run in modes.items():
                elapsed, written[mode] = run(tmp)
                best[mode] = min(best[mode], elapsed)
    same = {written[m] for m in ("ase_frames", "frames", "observed")}
    if len(same) != 1:
        raise SystemExit(f"{label}: the timed runs wrote different frames ({written}): their "
                         "ratios would compare unlike work")
    per = {k: v / steps * 1e3 for k, v in best.items()}
    print(
        f"{label}: {len(atoms)} atoms, {steps} steps, {written['frames']} frames, best of "
        f"{repeats}: bare ASE NVT {per['bare']:.2f} ms/step, ASE NVT with the same frames "
        f"{per['ase_frames']:.2f} ms/step, run_md frames only {per['frames']:.2f} ms/step, "
        f"observables every step {per['observed']:.2f} ms/step"
    )
    print(
        f"  observables every step / frames only = {best['observed'] / best['frames']:.3f} "
        f"(goal < 1.05; {per['observed'] - per['frames']:.2f} ms/step); "
        f"run_md frames only / ASE with the same frames = "
        f"{best['frames'] / best['ase_frames']:.3f}"
    )
    return best, written


def _fresh(atoms):
    """A copy sharing the calculator, its results those of ``atoms`` (not timed)."""
    a = atoms.copy()
    a.calc = atoms.calc
    a.get_forces()  # the shared calculator last saw another run's final state
    return a


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=number("--steps", minimum=1, integer=True), default=500,
                        help="steps of the springs' comparison")
    parser.add_argument("--emt-steps", type=number("--emt-steps", minimum=1, integer=True),
                        default=30)
    parser.add_argument("--atoms", type=number("--atoms", minimum=4, integer=True),
                        default=1000, help="about this many Cu atoms (4 per cubic cell)")
    parser.add_argument("--repeats", type=number("--repeats", minimum=1, integer=True),
                        default=3)
    parser.add_argument("--sevennet", action="store_true")
    parser.add_argument("--sevennet-steps", type=number("--sevennet-steps", minimum=1,
                                                        integer=True), default=None,
                        help="steps of the --sevennet comparison (10)")
    parser.add_argument("--demo", action="store_true")
    args = parser.parse_args()
    if args.sevennet_steps is not None and not args.sevennet:
        parser.error("--sevennet-steps is read only with --sevennet (the SevenNet-0 + D3 "
                     "comparison); give both, or neither")
    if args.sevennet_steps is None:
        args.sevennet_steps = 10

    copper = _copper(args.atoms)
    tether, _ = compare(
        "springs (driver cost only)", copper, _Tether(copper.positions), args.steps,
        args.repeats, 300,
    )
    emt, _ = compare("EMT (Cu)", copper, _EMTWithStress(), args.emt_steps, args.repeats, 300)
    added = (tether["observed"] - tether["frames"]) / args.steps
    # an EMT step is the bare one (calculator and integrator): run_md's file, spread over a
    # few steps, is no part of it
    print(
        f"observables every step cost {added * 1e3:.2f} ms/step (springs) = "
        f"{added / (emt['bare'] / args.emt_steps):.3%} of an EMT step"
    )

    if args.sevennet:
        from ase_electrolyte import Calculator
        from ase_electrolyte.build import composition_counts, electrolyte_box, estimate_density

        counts = composition_counts({"EC": 3, "EMC": 7}, "LiPF6", 1.0, units="molal", n_atoms=100)
        box = electrolyte_box(counts=counts, density=estimate_density(counts), seed=0)
        calc = Calculator("sevennet-0", dispersion="d3-bj", device="auto")
        compare("SevenNet-0 + D3", box, calc, args.sevennet_steps, 1, 298)

    if args.demo:
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "electrolyte_cli", "demo", "-q", "-o",
                 str(Path(tmp) / "demo")],
                check=True,
            )
            wall = time.perf_counter() - t0
        print(f"electrolyte demo: {wall:.0f} s wall, {wall / 600:.2f} of the 10-minute goal")


if __name__ == "__main__":
    main()
