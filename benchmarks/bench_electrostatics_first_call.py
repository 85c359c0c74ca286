"""Benchmark: the one-off parameter choice of Electrostatics against its steps (MD, NPT).

For LiPF6/EC/EMC boxes (packmol, seeded, QRd charges), times in this run, per method (Ewald,
and ``method="auto"``, which takes PME above 500 atoms): the parameter choice
(``lattice_parameters``: PME measures its mesh error, Ewald only solves torch-pme's bounds),
the first call (choice + step), later steps (rattled positions: an MD step), a step after a
0.2 % cell change (an NPT step: the parameters are kept) and one after 5.1 % (chosen anew),
and counts the choices made and PME's k-space evaluations in its choice. Prints the ratios:
first call of "auto" over Ewald's, the choice over one "auto" step, and the steps after which
PME's cheaper steps have paid for its choice.

    python benchmarks/bench_electrostatics_first_call.py
    python benchmarks/bench_electrostatics_first_call.py --counts 20 20 10 10 --threads 1

Times are CPU seconds of this process (``time.process_time``; with ``--threads 1`` they do not
count other processes' load), the median of ``--repeat``.

Measured (2026-12, one torch thread, 10⁻⁶, a 2-core machine shared by ~10 processes):

    atoms  Ewald step  PME step  PME choice  choice/PME step  first call auto/Ewald  pays back
    580    0.24        0.08      1.1         14               4.7                    7 steps
    846    0.46        0.11      1.6         15               3.7                    5 steps
    928    0.57        0.14      1.3         9.4              2.6                    3 steps

This script at 580 atoms, the same day: first call auto/Ewald 3.6, choice/step 13.4, repaid
after 5.9 steps; 0.2 % strain kept the choice, 5.1 % made a second.

With two torch threads on the loaded machine the choice took 5.7 s CPU (23 s wall) where one
thread took 1.1 s: the 16-30 s first calls seen there were thread contention in the ~14 small
k-space sums of the choice, not work that repeats: the choice is made once per cell (kept within
5 % strain) and set of charges (kept while the tolerance holds for them).
"""

import argparse
import time

import numpy as np
from _arguments import number  # benchmarks/, beside this script
from bench_electrostatics import QRD


def _cpu(fn):
    t0 = time.process_time()
    out = fn()
    return time.process_time() - t0, out


def _step(calc, atoms, seed):
    def run():
        a = atoms.copy()
        a.rattle(0.01, seed=seed)
        a.calc = calc
        a.get_potential_energy()
        a.get_forces()
        return a.get_stress()
    return run


def _scaled(atoms, factor):
    out = atoms.copy()
    out.set_cell(atoms.cell.array * factor, scale_atoms=True)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", type=number("--counts", minimum=1, integer=True), nargs=4,
                        default=[20, 20, 10, 10], metavar=("EC", "EMC", "LI", "PF6"))
    parser.add_argument("--tolerance", type=number("--tolerance", above=0.0, maximum=1e-3),
                        default=1e-6)
    parser.add_argument("--repeat", type=number("--repeat", minimum=1, integer=True), default=3)
    parser.add_argument("--threads", type=number("--threads", minimum=1, integer=True),
                        default=None, help="torch CPU threads")
    args = parser.parse_args()

    import torch

    from ase_electrolyte import Electrostatics
    from ase_electrolyte import electrostatics as es
    from ase_electrolyte.build import electrolyte_box

    if args.threads:
        torch.set_num_threads(args.threads)
    ec, emc, li, pf6 = args.counts
    atoms = electrolyte_box(counts={"EC": ec, "EMC": emc, "Li": li, "PF6": pf6}, seed=0)
    print(f"box: {len(atoms)} atoms, cell {atoms.cell.lengths().round(2).tolist()} Å, torch "
          f"threads {torch.get_num_threads()}, tolerance {args.tolerance:g}; CPU s")
    kspace = []
    measured = es._kspace_forces

    def counted(*a, **k):
        kspace.append(1)
        return measured(*a, **k)

    es._kspace_forces = counted
    rows = {}
    for method in ("ewald", "auto"):
        kspace.clear()
        chooser = Electrostatics(qrd=QRD, method=method, tolerance=args.tolerance)
        q = chooser.get_charges(atoms)
        choice, params = _cpu(lambda: chooser.lattice_parameters(atoms, q))  # noqa: B023
        evaluations = len(kspace)
        calc = Electrostatics(qrd=QRD, method=method, tolerance=args.tolerance)
        first, _ = _cpu(_step(calc, atoms, 0))
        step = float(np.median([_cpu(_step(calc, atoms, k + 1))[0]
                                for k in range(args.repeat)]))
        npt, _ = _cpu(_step(calc, _scaled(atoms, 1.002), 99))
        kept = calc._tuned_count
        strained, _ = _cpu(_step(calc, _scaled(atoms, 1.051), 98))
        rows[method] = (choice, first, step)
        print(f"{method:5s} ({params['method']}, cutoff {params['cutoff']:g} Å"
              + (f", mesh {params['mesh']}, order {params['interpolation_nodes']}"
                 if params["method"] == "pme" else "")
              + f"): choice {choice:.3f} ({evaluations} k-space sums measured), first call "
              f"{first:.3f}, step {step:.3f}, after 0.2 % strain {npt:.3f} (choices {kept}), "
              f"after 5.1 % {strained:.3f} (choices {calc._tuned_count})")
    es._kspace_forces = measured
    (_, first_e, step_e), (choice_a, first_a, step_a) = rows["ewald"], rows["auto"]
    print(f"ratios: first call auto/Ewald {first_a / first_e:.2f}, choice/auto step "
          f"{choice_a / step_a:.1f}, step auto/Ewald {step_a / step_e:.2f}", end="")
    if step_a < step_e:
        print(f", auto's choice paid back after {choice_a / (step_e - step_a):.1f} steps")
    else:
        print(", auto's step is not cheaper here")


if __name__ == "__main__":
    main()
