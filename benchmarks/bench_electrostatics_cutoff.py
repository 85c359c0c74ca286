"""Benchmark: Electrostatics' real-space cutoff against PME's mesh and Ewald's k-vectors.

At a fixed ``tolerance`` the cutoff sets the smearing (half the error budget to real space),
the smearing the k-space resolution: PME's measured mesh (a power of two per axis) and
Ewald's wavelength. For jittered-grid ionic liquids of ~0.1 atoms/Å³ (±0.8 e) in cubic
boxes of several sizes, this prints per cutoff: the mesh, the interpolation order,
``error_bound / tolerance`` (PME: measured mesh error with torch-pme's real-space bound),
the one-off parameter choice and the median step (energy, forces, stress), and the ratio of
each step to the step at the default cutoff (8 Å) of the same box and method.

Every step timed is first checked against Ewald at a tolerance 1000 times tighter on the same
box (``bench_electrostatics.deviations``: RMS force error within 2 tolerances, energy within N
tolerances, stress within one, times the Coulomb constant; the column ``dev``, the largest of
the three over its band, <= 1 agrees): a cutoff whose sum disagrees is not timed (the benchmark
stops, exit status 1, naming it). The rows were timed without looking at what they returned.

    python benchmarks/bench_electrostatics_cutoff.py
    python benchmarks/bench_electrostatics_cutoff.py --sizes 16 20 --cutoffs 8 10 --threads 2

Measured (2026-12, one torch thread on a loaded 2-core machine, tolerance 1e-6; steps in s,
PME's error_bound 0.71-0.82 × the tolerance, Ewald's 0.96-1.00 ×):

    box  atoms  PME 8 Å       PME 10 Å     PME 12 Å     Ewald 8 Å  Ewald 10 Å  Ewald 12 Å
    10   216    32³   0.29                                0.30
    12   216    64³   0.42                                0.21
    16   512    64³   0.32    64³  0.55    32³  0.47     0.76       0.66        0.72
    20   1000   64³   0.41    64³  0.88    64³  1.12     3.85       2.54        2.16
    25   1728   128³  3.65    64³  1.81    64³  1.66     36.2       10.6

8 Å is the cheapest for PME up to ~1000 atoms; where its measured mesh must be refined past a
power of two (128³ at 25 Å) a 10 Å cutoff halves the step (and the one-off choice, 29 s -> 4.6
s). Ewald's step grows as N² at a fixed cutoff: "auto" takes PME above 500 atoms (at 512 it is
2.4 × faster, at 216 Ewald is 1-2 × faster).

``cutoff="auto"`` (the default since 2026-12; ``*`` in the cutoff column: the cutoff chosen)
takes the PME cutoff of least counted work. Measured (2026-12, PME, one torch thread, 10⁻⁶,
the 2-core machine shared by 8 processes: single steps, noisy; two runs where made):

    box  atoms  8 Å            10 Å           12 Å           auto
    16   512    64³  0.44      64³  0.78      32³  1.11      8 Å:  0.44 (choice 9.4 s, 8 Å 4.9 s)
    25   1728   128³ 2.7/4.1   64³  1.6/1.9   64³  1.6/2.1   10 Å: 1.2/1.4 (choice 16/25 s,
                                                                   8 Å 16/34 s)
    30   2744   128³ 4.7-6.6   128³ 3.3/8.2   64³  1.3/5.3   12 Å: 1.6/4.1 (choice 45/59 s,
                                                                   8 Å 21-33 s)

The automatic choice is the measured cheapest or within the noise of it, 1.6-3 × faster than
8 Å from ~1700 atoms on; its one-off choice costs 0.7-2 × that of 8 Å.
"""

import argparse
import time

import numpy as np
from _arguments import number, word  # benchmarks/, beside this script
from bench_electrostatics import REFERENCE_TIGHTER, deviations


def ionic_liquid(length, seed=0, density=0.1, charge=0.8):
    """Cations and anions (``charge`` e) on a jittered cubic grid of ``length`` Å, neutral."""
    from ase import Atoms

    n = max(2, int(round((density * length**3) ** (1.0 / 3.0))))
    n += n % 2  # an even grid: as many cations as anions
    grid = np.stack(np.meshgrid(*[np.arange(n)] * 3, indexing="ij"), -1).reshape(-1, 3)
    rng = np.random.default_rng(seed)
    spacing = length / n
    positions = (grid + 0.5 + rng.uniform(-0.25, 0.25, grid.shape)) * spacing
    sign = np.where(grid.sum(axis=1) % 2 == 0, 1.0, -1.0)
    atoms = Atoms(["Na" if s > 0 else "Cl" for s in sign], positions=positions,
                  cell=[length] * 3, pbc=True)
    return atoms, charge * sign


def _cutoff(text):
    return "auto" if text.strip().lower() == "auto" else number("--cutoffs (Å)", above=0.0)(text)


def _median_step(calc, atoms, repeat):
    times = []
    for _ in range(repeat):
        calc.reset()
        t0 = time.perf_counter()
        calc.calculate(atoms.copy(), ["energy", "forces", "stress"])
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tolerance", type=number("--tolerance", above=0.0, maximum=1e-3),
                        default=1e-6)
    parser.add_argument("--sizes", type=number("--sizes (Å)", above=0.0), nargs="+",
                        default=[16.0, 20.0, 25.0])
    parser.add_argument("--cutoffs", type=_cutoff, nargs="+", default=[8.0, 10.0, 12.0, "auto"],
                        help="Å, or auto (the default's choice)")
    parser.add_argument("--methods", type=word("--methods", ("pme", "ewald")), nargs="+",
                        default=["pme", "ewald"])
    parser.add_argument("--repeat", type=number("--repeat", minimum=1, integer=True), default=3)
    parser.add_argument("--threads", type=number("--threads", minimum=1, integer=True),
                        default=None, help="torch CPU threads")
    args = parser.parse_args()

    import sys
    import warnings

    import torch

    from ase_electrolyte import Electrostatics
    from ase_electrolyte.electrostatics import _mesh_points

    if args.threads:
        torch.set_num_threads(args.threads)
    # the ratios' reference: the default 8 Å where asked, else the first cutoff given; timed
    # first, so that every other row of its box and method is compared with it (a row before
    # 8 Å was compared with the first cutoff's step under the heading "step/8Å")
    reference = 8.0 if 8.0 in args.cutoffs else args.cutoffs[0]
    cutoffs = [reference] + [c for c in dict.fromkeys(args.cutoffs) if c != reference]
    print(f"tolerance {args.tolerance:g}, torch threads {torch.get_num_threads()}")
    print(f"{'box Å':>6} {'atoms':>6} {'method':>6} {'cutoff':>6} {'mesh':>5} {'order':>5} "
          f"{'err/tol':>7} {'dev':>5} {'choice s':>8} {'step s':>8} {'step/ref':>8}")
    print(f"step/ref: the step over that at the reference cutoff {reference!s} Å of the same box "
          "and method (measured first; '-' where it was refused)")
    for length in args.sizes:
        atoms, q = ionic_liquid(length)
        ref = Electrostatics(scheme="fixed", charges=q, method="ewald", device="cpu",
                             tolerance=max(args.tolerance * REFERENCE_TIGHTER, 1e-15)
                             ).evaluate(atoms, q)
        for method in args.methods:
            base = None
            for cutoff in cutoffs:
                calc = Electrostatics(scheme="fixed", charges=q, method=method,
                                      tolerance=args.tolerance, cutoff=cutoff, device="cpu")
                t0 = time.perf_counter()
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    try:
                        params = calc.lattice_parameters(atoms, q)
                    except ValueError as err:
                        print(f"{length:6.1f} {len(atoms):6d} {method:>6} {cutoff!s:>6} "
                              f"refused: {err}")
                        continue
                choice = time.perf_counter() - t0
                calc.calculate(atoms.copy(), ["energy", "forces", "stress"])  # warm-up
                dev = deviations(calc.results, ref, 1, args.tolerance)
                worst = max(dev.values())
                if not worst <= 1.0:  # NaN too
                    sys.exit(f"{length:g} Å box, {method}, cutoff {cutoff!s}: disagrees with the "
                             "reference (deviation over its band: "
                             + ", ".join(f"{k} {v:.3f}" for k, v in dev.items()) + "); not timed")
                step = _median_step(calc, atoms, args.repeat)
                if cutoff == reference:
                    base = step
                ratio = f"{step / base:8.2f}" if base is not None else f"{'-':>8}"
                mesh = (f"{round(_mesh_points(atoms, params['mesh_spacing']) ** (1 / 3)):5d}"
                        if method == "pme" else f"{'-':>5}")
                order = params.get("interpolation_nodes", "-")
                note = " (not measured)" if caught else ""
                chosen = f"{params['cutoff']:g}" + ("*" if cutoff == "auto" else "")
                print(f"{length:6.1f} {len(atoms):6d} {method:>6} {chosen:>6} {mesh} "
                      f"{order!s:>5} {params['error_bound'] / args.tolerance:7.3f} "
                      f"{worst:5.2f} {choice:8.2f} {step:8.3f} {ratio}{note}", flush=True)


if __name__ == "__main__":
    main()
