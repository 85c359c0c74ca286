"""Benchmark: ase_electrolyte.Electrostatics (Ewald, PME) against a SevenNet-0 CPU step.

Builds a 116-atom LiPF6/EC/EMC box (packmol, seeded) and repeats it to ~1000 atoms, times one
energy+forces+stress step of SevenNet-0 on the CPU and of the QRd Coulomb term by Ewald and by
PME at the same tolerance, in this run, and prints the ratios (goal: < 10 % of the MLIP step).
Then times PME on 116 → ~7400 atoms and prints t / (N log N) (flat for N log N scaling).

    python benchmarks/bench_electrostatics.py
    python benchmarks/bench_electrostatics.py --tolerance 1e-5 --threads 2 --no-mlip

Timings are the median of ``--repeat`` steps after one warm-up step (which also picks the
torch-pme parameters, kept for the following steps as in an MD run).
"""

import argparse
import math
import time

import numpy as np
from _arguments import number  # benchmarks/, beside this script

# illustrative QRd parameters (not fitted): only the cost is measured here
QRD = {"Li": (0.8, 0.3), "P": (1.2, 0.5), "F": (-0.35, 0.4), "C": (0.1, 0.6),
       "O": (-0.4, 0.8), "H": (0.1, 0.5)}


def _median_time(fn, repeat):
    fn()  # warm-up (imports, parameter choice)
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
    return run


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tolerance", type=number("--tolerance", above=0.0, maximum=1e-3),
                        default=1e-6)
    parser.add_argument("--repeat", type=number("--repeat", minimum=1, integer=True), default=3)
    parser.add_argument("--threads", type=number("--threads", minimum=1, integer=True),
                        default=None, help="torch CPU threads")
    parser.add_argument("--no-mlip", action="store_true", help="skip the SevenNet-0 reference")
    args = parser.parse_args()

    import torch

    from ase_electrolyte import Calculator, Electrostatics
    from ase_electrolyte.build import electrolyte_box

    if args.threads:
        torch.set_num_threads(args.threads)
    base = electrolyte_box(counts={"EC": 4, "EMC": 4, "Li": 2, "PF6": 2}, seed=0)
    box = base.repeat((2, 2, 2))
    print(f"box: {len(box)} atoms, cell {box.cell.lengths().round(2).tolist()} Å, "
          f"torch threads {torch.get_num_threads()}, tolerance {args.tolerance:g}")

    t_mlip = None
    if not args.no_mlip:
        mlip = Calculator("sevennet-0", device="cpu")
        t_mlip = _median_time(_step(mlip, box), args.repeat)
        print(f"SevenNet-0 CPU step (E, F, σ):      {t_mlip:8.3f} s")
    for method in ("ewald", "pme"):
        term = Electrostatics(qrd=QRD, method=method, tolerance=args.tolerance)
        t = _median_time(_step(term, box), args.repeat)
        params = term.lattice_parameters(box, term.get_charges(box))
        ratio = "" if t_mlip is None else f"   ratio to SevenNet-0 step: {t / t_mlip:6.3f}"
        print(f"{method:5s} QRd Coulomb step (E, F, σ):    {t:8.3f} s{ratio}")
        shown = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                          for k, v in params.items())
        print(f"      parameters: {shown}")

    print("\nPME scaling (t / (N ln N) flat for N log N):")
    ref = None
    for n in (1, 2, 3, 4):
        atoms = base.repeat((n, n, n))
        term = Electrostatics(qrd=QRD, method="pme", tolerance=args.tolerance)
        t = _median_time(_step(term, atoms), max(1, args.repeat - 1))
        per = t / (len(atoms) * math.log(len(atoms)))
        ref = ref or per
        print(f"  N = {len(atoms):6d}: {t:8.3f} s   t/(N ln N) relative to N=116: {per / ref:5.2f}")


if __name__ == "__main__":
    main()
