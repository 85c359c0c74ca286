"""The Ewald/PME energy is a smooth function of the positions and the cell.

A lattice sum cut sharply jumps when a term crosses a cutoff: a pair crossing the real-space
cutoff (an 8 Å box strained through the automatic 8 Å cutoff moves every atom's self-images
across it at once), a plane of Ewald k-vectors entering as a cell length crosses a multiple of
the wavelength, a PME mesh doubling as a cell length crosses torch-pme's power-of-two rounding.
The parameters are kept while the cell stays within 5 % strain (so an MD run sees one function),
and within that window the stress must be the derivative of the energy on both sides of any
crossing: checked by central differences against the analytic stress and forces, and the
accuracy against a converged sum (tolerance 1e-12) must still meet the tolerance.
"""

import numpy as np
import pytest
import torch
from ase import Atoms
from ase.build import bulk
from torchpme.lib.kvectors import get_ns_mesh

from ase_electrolyte import Electrostatics
from ase_electrolyte.electrostatics import COULOMB

QRD = {"Na": (1.0, 1.0), "Cl": (-1.0, 1.0)}


def _rocksalt(a=8.0, rep=1, seed=1, rattle=0.3):
    atoms = bulk("NaCl", "rocksalt", a=a, cubic=True).repeat(rep)
    atoms.rattle(rattle, seed=seed)
    return atoms


def _strained(atoms, deformation):
    out = atoms.copy()
    out.set_cell(atoms.cell.array @ deformation, scale_atoms=True)
    return out


def _sweep_mismatch(calc, atoms, direction, t_max, steps):
    """Largest |(E(t+h) - E(t))/h - E'(t+h/2)| over the sweep t in [-t_max, t_max] along the
    strain ``direction``, relative to the largest |E'|; the cell at t = 0 is evaluated first so
    that the parameters are those of that cell for the whole sweep."""
    ts = np.linspace(-t_max, t_max, steps + 1)
    h = ts[1] - ts[0]
    first = atoms.copy()
    first.calc = calc
    first.get_potential_energy()
    energies = []
    for t in ts:
        a = _strained(atoms, np.eye(3) + t * direction)
        a.calc = calc
        energies.append(a.get_potential_energy())
    worst, scale = 0.0, 0.0
    for k in range(steps):
        mid = 0.5 * (ts[k] + ts[k + 1])
        deformation = np.eye(3) + mid * direction
        a = _strained(atoms, deformation)
        a.calc = calc
        sigma = a.get_stress(voigt=False)
        # d cell/dt = cell0·direction = cell(t)·(deformation⁻¹·direction): the strain rate
        rate = np.linalg.inv(deformation) @ direction
        rate = 0.5 * (rate + rate.T)
        analytic = a.get_volume() * float(np.sum(sigma * rate))
        fd = (energies[k + 1] - energies[k]) / h
        worst = max(worst, abs(fd - analytic))
        scale = max(scale, abs(analytic))
    return worst / scale


@pytest.mark.parametrize("tolerance", [1e-4, 1e-6])
def test_ewald_energy_is_smooth_through_the_cutoff_at_the_box_length(tolerance):
    # 8 ions in an 8 Å box: every atom's self-images sit on the automatic 8 Å cutoff at t = 0
    # (before: energy jumps of 6.8e-3 eV at 1e-4 and 5.4e-5 eV at 1e-6, mismatch 2.6 and 2e-2)
    atoms = _rocksalt()
    calc = Electrostatics(qrd=QRD, method="ewald", tolerance=tolerance)
    assert _sweep_mismatch(calc, atoms, np.eye(3), 0.004, 16) < 1e-4


def test_ewald_energy_is_smooth_under_shear_of_a_triclinic_cell():
    # k-vector planes and image pairs cross their cutoffs at shear strains of a few %
    atoms = _rocksalt(a=8.0)
    atoms.set_cell(atoms.cell.array + [[0, 0, 0], [1.2, 0, 0], [0.4, 0.7, 0]], scale_atoms=True)
    calc = Electrostatics(qrd=QRD, method="ewald", tolerance=1e-4)
    shear = np.zeros((3, 3))
    shear[0, 1] = shear[1, 0] = 1.0
    shear[2, 2] = 0.5
    assert _sweep_mismatch(calc, atoms, shear, 0.03, 60) < 1e-3


def test_forces_are_derivatives_as_an_image_pair_crosses_the_cutoff():
    # Na at the origin, Cl at x = d in a 12 Å box: the image of Cl at 12 - d reaches the 8 Å
    # cutoff at d = 4
    def energy_force(d, calc):
        a = Atoms("NaCl", positions=[[0.0, 0.0, 0.0], [d, 0.0, 0.0]], cell=[12.0] * 3,
                  pbc=True)
        a.calc = calc
        return a.get_potential_energy(), a.get_forces()[1, 0]

    calc = Electrostatics(qrd=QRD, method="ewald", tolerance=1e-4)
    energy_force(4.0, calc)
    h = 2e-3
    for d in (4.0 - h / 2, 4.0, 4.0 + h / 2):
        e_lo, _ = energy_force(d - h / 2, calc)
        e_hi, _ = energy_force(d + h / 2, calc)
        _, f = energy_force(d, calc)
        assert abs(-(e_hi - e_lo) / h - f) < 1e-4 * max(abs(f), 1.0)


def test_pme_energy_is_smooth_where_the_mesh_rounding_would_double_the_mesh():
    rng = np.random.default_rng(0)
    length, m = 11.75, 4
    grid = np.stack(np.meshgrid(*[np.arange(m)] * 3), -1).reshape(-1, 3)
    positions = (grid + 0.5 + rng.uniform(-0.2, 0.2, grid.shape)) * length / m
    charges = np.where(np.arange(len(grid)) % 2 == 0, 1.0, -1.0)
    atoms = Atoms("H" * len(grid), positions=positions, cell=[length] * 3, pbc=True)
    calc = Electrostatics(scheme="fixed", charges=charges, method="pme", tolerance=1e-4,
                          cutoff=4.0)
    params = calc.lattice_parameters(atoms, charges)
    n = get_ns_mesh(torch.tensor(atoms.cell.array), params["mesh_spacing"]).tolist()[0]
    # torch-pme's mesh is 2^ceil(log2(2L/h + 1)): it doubles where 2L/h + 1 passes n
    crossing = (n - 1) * params["mesh_spacing"] / (2.0 * length)
    assert abs(crossing - 1.0) < 0.03, "the case no longer straddles the mesh rounding"
    atoms.calc = calc
    atoms.get_potential_energy()
    # the sweep is centred on the crossing, the parameters those of the unstrained cell
    # (before: a 3.5e-3 eV jump, mismatch 0.14)
    ts = crossing - 1.0 + np.linspace(-1e-3, 1e-3, 5)
    energies, derivatives = [], []
    for t in ts:
        a = _strained(atoms, np.eye(3) * (1.0 + t))
        a.calc = calc
        energies.append(a.get_potential_energy())
        derivatives.append(a.get_volume() * np.trace(a.get_stress(voigt=False)) / (1.0 + t))
    h = ts[1] - ts[0]
    fd = np.diff(energies) / h
    mid = 0.5 * (np.array(derivatives[1:]) + np.array(derivatives[:-1]))
    assert np.max(np.abs(fd - mid)) < 1e-4 * np.max(np.abs(mid))


@pytest.mark.parametrize("tolerance", [1e-4, 1e-6])
@pytest.mark.parametrize("a, rep", [(8.0, 1), (6.0, 2), (11.0, 1)])
def test_smooth_sums_still_meet_the_tolerance(tolerance, a, rep):
    # RMS force error against a converged sum within the tolerance (torch-pme's bounds are in
    # e²/Å², the forces in eV/Å); measured 0.34-0.80 × (a sphere of k-vectors cut at the
    # bound's k_c without the margin: 3.8 ×)
    atoms = _rocksalt(a=a, rep=rep, seed=rep, rattle=0.4)
    atoms.calc = Electrostatics(qrd=QRD, method="ewald", tolerance=1e-12)
    f_ref = atoms.get_forces()
    e_ref = atoms.get_potential_energy()
    atoms.calc = Electrostatics(qrd=QRD, method="ewald", tolerance=tolerance)
    f = atoms.get_forces()
    rms = np.sqrt(np.mean(np.sum((f - f_ref) ** 2, axis=1)))
    assert rms <= tolerance * COULOMB
    # the energy was never bounded by the tolerance, but must not drift from the reference
    # beyond what the force bound allows over the cell (loosely: tolerance × Coulomb × Å)
    assert abs(atoms.get_potential_energy() - e_ref) / len(atoms) < 10 * tolerance * COULOMB
