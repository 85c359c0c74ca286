"""Cost of the MD driver against bare ASE dynamics, and the ``electrolyte demo`` wall time.

    python benchmarks/bench_md.py [--steps 20] [--demo]

Reference, measured in the same run: ASE's NoseHooverChainNVT with the same calculator and no
output. Ours: :func:`ase_electrolyte.md.run_md` with the H5MD writer (a frame every step, the
worst case) and the progress bar. The ratio is the driver's overhead; the goal is < 1.05 with an
MLIP. ``--demo`` also times ``electrolyte demo`` end to end (goal: < 600 s on 2 CPU cores).
"""

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ase import units
from ase.md.nose_hoover_chain import NoseHooverChainNVT
from ase.md.velocitydistribution import Stationary

from ase_electrolyte import Calculator, electrolyte_box
from ase_electrolyte.md import run_md, thermalize_momenta


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--demo", action="store_true")
    args = parser.parse_args()

    atoms = electrolyte_box({"EC": 3, "EMC": 7}, "LiPF6", 1.0, n_atoms=100, seed=0)
    calc = Calculator("sevennet-0", dispersion="d3-bj", device="auto")
    atoms.calc = calc
    atoms.get_forces()  # load and warm up model and D3

    ref = atoms.copy()
    ref.calc = calc
    import numpy as np

    thermalize_momenta(ref, temperature_K=298, rng=np.random.default_rng(0))
    Stationary(ref)
    start = atoms.copy()
    start.set_velocities(ref.get_velocities())
    start.calc = calc
    dyn = NoseHooverChainNVT(ref, timestep=1.0 * units.fs, temperature_K=298, tdamp=100 * units.fs)
    t0 = time.perf_counter()
    dyn.run(args.steps)
    t_ref = time.perf_counter() - t0

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        run_md(
            start,
            ensemble="nvt",
            steps=args.steps,
            timestep_fs=1.0,
            temperature_K=298,
            trajectory=Path(tmp) / "b.h5md",
            write_interval=1,
            progress=True,
        )
        t_ours = time.perf_counter() - t0
    print(
        f"{len(atoms)} atoms, {args.steps} steps: ASE NVT {t_ref / args.steps:.3f} s/step, "
        f"run_md + H5MD every step {t_ours / args.steps:.3f} s/step, "
        f"ratio {t_ours / t_ref:.3f}"
    )

    if args.demo:
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "electrolyte_cli",
                    "demo",
                    "-q",
                    "-o",
                    str(Path(tmp) / "demo"),
                ],
                check=True,
            )
            wall = time.perf_counter() - t0
        print(f"electrolyte demo: {wall:.0f} s wall, {wall / 600:.2f} of the 10-minute goal")


if __name__ == "__main__":
    main()
