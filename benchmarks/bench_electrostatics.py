"""Benchmark: ase_electrolyte.Electrostatics (Ewald, PME) against a SevenNet-0 CPU step.

Builds a 116-atom LiPF6/EC/EMC box (packmol, seeded) and repeats it ``--box-repeat`` times per
axis (2: 928 atoms), times one energy+forces+stress step of SevenNet-0 on the CPU and of the
QRd Coulomb term by Ewald and by PME at the same tolerance, in this run, and prints the ratios
(goal: < 10 % of the MLIP step; with ``--no-mlip`` the ratio of PME's step to Ewald's). Then
times PME on the box repeated 1 to ``--largest-repeat`` times per axis (116 → 7424 atoms by
default) and prints t / (N log N) (flat for N log N scaling).

Every evaluation timed is first checked against a reference on the same structure: Ewald at a
tolerance 1000 times tighter on the 116-atom box, whose lattice sums a box repeated n times per
axis repeats exactly (energy n³ times, forces tiled, the same stress). Ewald's and PME's RMS
force error must lie within twice the tolerance (the tolerance bounds the RMS force error in
e²/Å², times the Coulomb constant in eV/Å), the energy within the tolerance per atom and the
stress within the tolerance; a step that does not is not timed (the benchmark stops, exit
status 1, naming the deviation), since the time of a wrong sum is no cost of the right one.
SevenNet-0 is the reference of the cost only.

    python benchmarks/bench_electrostatics.py
    python benchmarks/bench_electrostatics.py --tolerance 1e-5 --threads 2 --no-mlip
    python benchmarks/bench_electrostatics.py --box-repeat 1 --largest-repeat 2 --no-mlip

Timings are the median of ``--repeat`` steps after one checked warm-up step (which also picks
the torch-pme parameters, kept for the following steps as in an MD run).
"""

import argparse
import math
import sys
import time

import numpy as np
from _arguments import number  # benchmarks/, beside this script

# illustrative QRd parameters (not fitted): only the cost is measured here
QRD = {"Li": (0.8, 0.3), "P": (1.2, 0.5), "F": (-0.35, 0.4), "C": (0.1, 0.6),
       "O": (-0.4, 0.8), "H": (0.1, 0.5)}
# the reference's tolerance over the one timed: its own error is then 1000 times below the
# band the timed sums are held to
REFERENCE_TIGHTER = 1e-3


def _median_time(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def _step(calc, atoms):
    def run():
        calc.reset()
        calc.calculate(atoms.copy(), ["energy", "forces", "stress"])
        return calc.results
    return run


def reference(base, tolerance):
    """Ewald of the QRd Coulomb term of ``base`` at ``REFERENCE_TIGHTER`` times ``tolerance``."""
    from ase_electrolyte import Electrostatics

    term = Electrostatics(qrd=QRD, method="ewald",
                          tolerance=max(tolerance * REFERENCE_TIGHTER, 1e-15))
    return term.evaluate(base, term.get_charges(base))


def deviations(results, ref, n, tolerance):
    """The deviations of ``results`` (the base repeated ``n`` times per axis) from the base's
    reference ``ref``, each over the band it must lie in (1 or less: agrees).

    Returns a dict: ``forces`` (RMS force error over 2 tolerance × Coulomb constant), ``energy``
    (energy error over N × tolerance × Coulomb constant), ``stress`` (largest stress component
    error over tolerance × Coulomb constant).
    """
    from ase_electrolyte.electrostatics import COULOMB

    scale = tolerance * COULOMB
    forces = np.tile(ref["forces"], (n**3, 1))
    n_atoms = len(forces)
    return {
        "forces": float(np.sqrt(np.mean((results["forces"] - forces) ** 2))) / (2 * scale),
        "energy": abs(float(results["energy"]) - n**3 * float(ref["energy"])) / (n_atoms * scale),
        "stress": float(np.max(np.abs(np.asarray(results["stress"]) - ref["stress"]))) / scale,
    }


def checked(label, results, ref, n, tolerance):
    """The deviations of one step from the reference, printed; stops (exit status 1) where one
    lies outside its band or is not finite."""
    dev = deviations(results, ref, n, tolerance)
    shown = ", ".join(f"{k} {v:.3f}" for k, v in dev.items())
    if not all(math.isfinite(v) and v <= 1.0 for v in dev.values()):
        sys.exit(f"{label}: disagrees with the reference (deviation over its band: {shown}); "
                 "not timed")
    return shown


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tolerance", type=number("--tolerance", above=0.0, maximum=1e-3),
                        default=1e-6)
    parser.add_argument("--repeat", type=number("--repeat", minimum=1, integer=True), default=3)
    parser.add_argument("--threads", type=number("--threads", minimum=1, integer=True),
                        default=None, help="torch CPU threads")
    parser.add_argument("--box-repeat", type=number("--box-repeat", minimum=1, integer=True),
                        default=2, help="repetitions per axis of the 116-atom box timed "
                        "against SevenNet-0")
    parser.add_argument("--largest-repeat",
                        type=number("--largest-repeat", minimum=2, integer=True), default=4,
                        help="largest repetition per axis of the PME scaling (from 1)")
    parser.add_argument("--no-mlip", action="store_true", help="skip the SevenNet-0 reference")
    args = parser.parse_args()

    import torch

    from ase_electrolyte import Calculator, Electrostatics
    from ase_electrolyte.build import electrolyte_box

    if args.threads:
        torch.set_num_threads(args.threads)
    base = electrolyte_box(counts={"EC": 4, "EMC": 4, "Li": 2, "PF6": 2}, seed=0)
    ref = reference(base, args.tolerance)
    box = base.repeat([args.box_repeat] * 3)
    print(f"box: {len(box)} atoms, cell {box.cell.lengths().round(2).tolist()} Å, "
          f"torch threads {torch.get_num_threads()}, tolerance {args.tolerance:g}")
    print(f"each step checked first against Ewald at {REFERENCE_TIGHTER:g} x the tolerance on "
          f"the {len(base)}-atom box (repeated exactly by the lattice sums): deviation over its "
          "band (forces: RMS over 2 tol; energy: over N tol; stress: largest over tol; "
          "tol x Coulomb constant), <= 1 agrees")

    t_mlip = None
    if not args.no_mlip:
        mlip = Calculator("sevennet-0", device="cpu")
        _step(mlip, box)()  # warm-up (model, graph)
        t_mlip = _median_time(_step(mlip, box), args.repeat)
        print(f"SevenNet-0 CPU step (E, F, σ):      {t_mlip:8.3f} s")
    steps = {}
    for method in ("ewald", "pme"):
        term = Electrostatics(qrd=QRD, method=method, tolerance=args.tolerance)
        run = _step(term, box)
        shown = checked(method, run(), ref, args.box_repeat, args.tolerance)  # and warm-up
        t = steps[method] = _median_time(run, args.repeat)
        params = term.lattice_parameters(box, term.get_charges(box))
        ratio = ("" if t_mlip is None else f"   ratio to SevenNet-0 step: {t / t_mlip:6.3f}")
        if t_mlip is None and method == "pme":
            ratio = f"   ratio to the Ewald step: {t / steps['ewald']:6.3f}"
        print(f"{method:5s} QRd Coulomb step (E, F, σ):    {t:8.3f} s{ratio}")
        print(f"      against the reference: {shown}")
        params = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                           for k, v in params.items())
        print(f"      parameters: {params}")

    print("\nPME scaling (t / (N ln N) flat for N log N):")
    per_ref = None
    for n in range(1, args.largest_repeat + 1):
        atoms = base.repeat((n, n, n))
        term = Electrostatics(qrd=QRD, method="pme", tolerance=args.tolerance)
        run = _step(term, atoms)
        shown = checked(f"PME at N = {len(atoms)}", run(), ref, n, args.tolerance)
        t = _median_time(run, max(1, args.repeat - 1))
        per = t / (len(atoms) * math.log(len(atoms)))
        per_ref = per_ref or per
        print(f"  N = {len(atoms):6d}: {t:8.3f} s   t/(N ln N) relative to N={len(base)}: "
              f"{per / per_ref:5.2f}   (against the reference: {shown})")


if __name__ == "__main__":
    main()
