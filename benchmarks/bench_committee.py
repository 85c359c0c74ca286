"""Cost of a K-member committee against K evaluations of one member, same run.

Copies the SevenNet-0 checkpoint to K files (distinct members as far as the committee knows),
builds a small electrolyte-like box (water molecules with a Li+/F- pair stand in for a solvent;
no packmol needed) and times, after a warm-up,

- one member (``Calculator(path)``) on a rattled copy of the box (the reference),
- the committee ``Calculator([path_1, ..., path_K])`` on the same structures,

and prints the ratio committee / (K × one member). The goal is a ratio ≤ 1: SevenNet members
share one atom graph per structure, so the neighbour search is paid once.

Usage: python benchmarks/bench_committee.py [--members 3] [--molecules 32] [--repeats 5]
       [--device auto]
"""

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from _arguments import device, number  # benchmarks/, beside this script
from ase.build import molecule


def box(n_molecules, seed=0):
    rng = np.random.default_rng(seed)
    n_side = int(np.ceil(n_molecules ** (1 / 3)))
    spacing = 3.1
    atoms = None
    for k in range(n_molecules):
        m = molecule("H2O")
        m.rotate(rng.uniform(0, 360), rng.normal(size=3))
        m.translate(spacing * np.array(np.unravel_index(k, (n_side,) * 3), dtype=float))
        atoms = m if atoms is None else atoms + m
    atoms.symbols[0] = "Li"  # one ion pair; the element set stays within SevenNet-0's
    atoms.symbols[3] = "F"
    atoms.set_cell([n_side * spacing] * 3)
    atoms.pbc = True
    return atoms


def time_calc(calc, structures, repeats):
    best = np.inf
    for _ in range(repeats):
        t = time.perf_counter()
        for atoms in structures:
            work = atoms.copy()
            work.calc = calc
            work.get_forces()
            work.get_stress()
        best = min(best, time.perf_counter() - t)
    return best / len(structures)


def check_same_numbers(single, committee, atoms, rtol=1e-6):
    """The committee of copies gives the member's energy, forces and stress (its mean over
    identical members), checked before any timing: a faster committee of other numbers is no
    speed-up. Leaves the warning of identical members to the committee's own record."""
    results = []
    for calc in (single, committee):
        work = atoms.copy()
        work.calc = calc
        results.append((work.get_potential_energy(), work.get_forces(), work.get_stress()))
    names = ("energy (eV)", "forces (eV/Å)", "stress (eV/Å³)")
    for name, one, many in zip(names, *results, strict=True):
        one, many = np.asarray(one, float), np.asarray(many, float)
        scale = max(float(np.max(np.abs(one))), 1e-12)
        worst = float(np.max(np.abs(many - one))) if np.all(np.isfinite(many)) else np.inf
        if not worst <= rtol * scale:
            raise SystemExit(f"the committee of {name} differs from its member by {worst:.3g} "
                             f"(largest member value {scale:.3g}): not timed")
    print(f"same numbers: the committee's energy, forces and stress equal its member's "
          f"(relative {rtol:g})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=number("--members", minimum=2, integer=True),
                        default=3, help="committee size K (a committee has two or more)")
    # the ion pair replaces atoms of the first two molecules
    parser.add_argument("--molecules", type=number("--molecules", minimum=2, integer=True),
                        default=32)
    parser.add_argument("--repeats", type=number("--repeats", minimum=1, integer=True),
                        default=5)
    parser.add_argument("--device", type=device("--device"),
                        default="auto")
    args = parser.parse_args()

    from sevenn.util import pretrained_name_to_path

    from ase_electrolyte import Calculator

    src = pretrained_name_to_path("7net-0_11Jul2024")
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for k in range(args.members):
            p = Path(tmp) / f"member_{k}.pth"
            shutil.copyfile(src, p)
            paths.append(str(p))
        base = box(args.molecules)
        structures = []
        for seed in range(3):
            a = base.copy()
            a.rattle(0.05, seed=seed)
            structures.append(a)
        single = Calculator(paths[0], device=args.device)
        committee = Calculator(paths, device=args.device)
        check_same_numbers(single, committee, structures[0])  # also the warm-up
        t1 = time_calc(single, structures, args.repeats)
        tk = time_calc(committee, structures, args.repeats)
        ratio = tk / (args.members * t1)
        print(f"{len(base)} atoms, {args.members} members, device {single.device}")
        print(f"one member       : {1e3 * t1:8.1f} ms per structure")
        print(f"committee (K={args.members})  : {1e3 * tk:8.1f} ms per structure")
        print(f"committee / (K x one member) = {ratio:.2f}  (goal <= 1)")


if __name__ == "__main__":
    main()
