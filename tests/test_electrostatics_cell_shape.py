"""Ewald/PME parameters follow the cell's shape, not only its lengths.

The parameters are chosen once and kept while the cell stays close to the one they were chosen
for (an MD run's energy is then one smooth function). They were kept while the three lengths
stayed within 5 %: a cell sheared to other angles at the same lengths (a full-cell barostat, a
monoclinic box after a cubic one) kept the cubic cell's smearing and k-space resolution, and the
force errors reached 1.1-1.9 × the tolerance (64 charges in 12 Å, tolerance 1e-5; retuned
0.7-0.9 ×). Reference: Ewald at 1e-10 (checked against direct image sums and the Madelung
constant in test_electrostatics).
"""

import numpy as np
import pytest
from ase import Atoms
from ase.geometry import cellpar_to_cell

from ase_electrolyte import Electrostatics
from ase_electrolyte.electrostatics import COULOMB

TOL = 1e-5


def _charges(n=64, length=12.0, seed=0):
    rng = np.random.default_rng(seed)
    frac = rng.random((n, 3))
    q = rng.choice([-1.0, 1.0], n)
    atoms = Atoms(f"H{n}", scaled_positions=frac, cell=[length] * 3, pbc=True)
    return atoms, q - q.mean()


def _sheared(atoms, angles):
    """The same fractional coordinates in a cell of the same lengths and other angles."""
    out = atoms.copy()
    out.set_cell(cellpar_to_cell([*atoms.cell.lengths(), *angles]), scale_atoms=True)
    return out


def _rms_force_error(forces, reference):
    return np.sqrt(np.mean(np.sum((forces - reference) ** 2, axis=1))) / COULOMB


@pytest.mark.parametrize("method", ["ewald", "pme"])
def test_a_cell_sheared_at_the_same_lengths_gets_its_own_parameters(method):
    atoms, q = _charges()
    atoms.calc = Electrostatics(scheme="fixed", charges=q, method=method, tolerance=TOL,
                                cutoff=5.0)
    atoms.get_forces()
    # as a barostat does: same lengths, angles 30° (volume 0.22 × the cube's)
    atoms.set_cell(cellpar_to_cell([12.0, 12.0, 12.0, 30.0, 30.0, 30.0]), scale_atoms=True)
    assert np.allclose(atoms.cell.lengths(), 12.0)
    forces, energy = atoms.get_forces(), atoms.get_potential_energy()

    fresh = Electrostatics(scheme="fixed", charges=q, method=method, tolerance=TOL, cutoff=5.0)
    expected = fresh.evaluate(atoms, q)
    exact = Electrostatics(scheme="fixed", charges=q, method="ewald", tolerance=1e-10,
                           cutoff=8.0).evaluate(atoms, q)
    # the stale parameters gave 1.64 (Ewald) and 1.91 × (PME) the tolerance here
    assert _rms_force_error(forces, exact["forces"]) < TOL
    np.testing.assert_allclose(forces, expected["forces"], rtol=0, atol=1e-12)
    assert energy == pytest.approx(expected["energy"], abs=1e-12)


def test_parameters_are_kept_under_a_small_strain_of_any_kind():
    """Within 5 % strain (shear included) the set-up is the one chosen first: no retune, so the
    energy along a trajectory has no jumps of ~tolerance."""
    atoms, q = _charges()
    calc = Electrostatics(scheme="fixed", charges=q, method="ewald", tolerance=TOL, cutoff=5.0)
    atoms.calc = calc
    atoms.get_potential_energy()
    chosen = calc._tuned[0][2]
    strained = atoms.cell.array @ np.array([[1.02, 0.03, 0.0], [0.0, 0.99, -0.04], [0.0, 0.0, 1.0]])
    atoms.set_cell(strained, scale_atoms=True)
    atoms.get_potential_energy()
    assert calc._tuned[0][2] is chosen
    # the same lengths within 0.1 %, angles 90 -> 80°: retuned
    atoms.set_cell(_sheared(atoms, [80.0, 90.0, 90.0]).cell, scale_atoms=True)
    atoms.get_potential_energy()
    assert calc._tuned[0][2] is not chosen
    assert calc._tuned[0][2] == calc.lattice_parameters(atoms, q)

