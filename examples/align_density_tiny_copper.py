"""Density alignment (BAMBOO, Gong et al.) end to end on a tiny SevenNet model of copper.

    python examples/align_density_tiny_copper.py [--out align_example]

The cheapest real path through :mod:`ase_electrolyte.density_alignment` (a few minutes on a
laptop CPU): train a tiny SevenNet model on EMT copper, measure its NPT density and its
compressibility (from its equation of state), ask for a density 2 % higher (a stand-in for an
experimental density), compute ΔP, fine-tune with the stress labels shifted by ΔP, and run NPT
with the aligned model. The same steps apply to SevenNet-0 on an electrolyte box, with NPT runs
long enough for valid densities (the short runs here print the verdict "too short").
"""

import argparse
from pathlib import Path

import numpy as np
from ase.build import bulk
from ase.calculators.emt import EMT
from ase.calculators.singlepoint import SinglePointCalculator
from ase.units import bar

from ase_electrolyte import Calculator
from ase_electrolyte.density_alignment import (
    align_density,
    compressibility_from_shifts,
    npt_density,
    pressure_shift_for_density,
)
from ase_electrolyte.finetuning import finetune

TINY = {"channel": 4, "lmax": 1, "num_convolution_layer": 1, "cutoff": 3.2}


def emt_frames(n, a, seed):
    """Rattled fcc copper labelled by EMT (energy, forces, stress)."""
    rng = np.random.default_rng(seed)
    frames = []
    for _ in range(n):
        atoms = bulk("Cu", "fcc", a=a, cubic=True)
        atoms.rattle(0.08, rng=rng)
        atoms.calc = EMT()
        labels = {"energy": atoms.get_potential_energy(), "forces": atoms.get_forces(),
                  "stress": atoms.get_stress()}
        atoms.calc = SinglePointCalculator(atoms, **labels)
        frames.append(atoms)
    return frames


def static_pressure(calc, a):
    atoms = bulk("Cu", "fcc", a=a, cubic=True)
    atoms.calc = calc
    density = atoms.get_masses().sum() / atoms.get_volume() * 1.66053906660  # g/cm³
    return -atoms.get_stress()[:3].mean() / bar, density


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="align_example")
    args = parser.parse_args()
    out = Path(args.out)

    base_fit = finetune(TINY, emt_frames(6, 3.6, 0), epochs=20, lr=0.02, batch_size=3,
                        out=out / "base", device="cpu", plot=False)
    base_path = str(base_fit.checkpoint)
    base = Calculator(base_path, device="cpu")

    kappa = compressibility_from_shifts(
        *zip(*[static_pressure(base, a) for a in (3.56, 3.58, 3.60, 3.62, 3.64)], strict=True)
    )
    print(f"compressibility (equation of state): {kappa.kappa_per_bar:.3g} "
          f"± {kappa.kappa_error:.1g} 1/bar")
    cell = bulk("Cu", "fcc", a=3.6, cubic=True).repeat(2)
    npt = {"temperature_K": 50.0, "steps": 200, "timestep_fs": 2.0, "seed": 1}
    rho_base = npt_density(base, cell, trajectory=out / "base_npt.h5md", **npt)
    target = 1.02 * rho_base.value
    print(f"base model NPT density: {rho_base}; target {target:.3f} g/cm^3")

    shift = pressure_shift_for_density(rho_base.value, target, kappa,
                                       rho_model_error=rho_base.stderr)
    print(f"pressure shift: {shift.delta_bar:.0f} ± {shift.error_bar:.0f} bar")
    frames = [f for a in (3.54, 3.58, 3.62) for f in emt_frames(2, a, int(100 * a))]
    aligned_fit = align_density(base_path, frames, shift, epochs=15, out=out / "aligned",
                                device="cpu", lr=0.02, batch_size=3, plot=False)
    aligned = Calculator(str(aligned_fit.checkpoint), device="cpu")

    a_npt = (4 * 63.546 / 0.602214076 / rho_base.value) ** (1 / 3)
    moved = static_pressure(aligned, a_npt)[0] - static_pressure(base, a_npt)[0]
    print(f"pressure moved at the base model's density: {moved:.0f} bar")
    rho_aligned = npt_density(aligned, cell, trajectory=out / "aligned_npt.h5md", **npt)
    print(f"aligned model NPT density: {rho_aligned}; target {target:.3f} g/cm^3")


if __name__ == "__main__":
    main()
