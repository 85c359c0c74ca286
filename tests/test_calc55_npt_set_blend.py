"""The Coulomb energy is one smooth function of the cell where the nearest kept lattice-sum
set changes.

A set (smearing, k-space cutoff, mesh) is kept for each cell beyond 5 % strain of the others,
and a cell takes the nearest set. Under NPT, once a run had visited two volumes 5 % apart (an
equilibration that compressed the box), a cell swinging about the middle between them
switched sets at every crossing: the energy jumped by the difference of the two sums' errors
(4e-4 eV for 16 ions at tolerance 1e-4) and the stress, each set's own derivative, did not
integrate to the energy along the path. The sets' energies are now blended there with weights
smooth in the cell, whose derivative the stress holds.
"""

import numpy as np
import pytest
from ase import Atoms

from ase_electrolyte import Electrostatics


def ions(scale):
    rng = np.random.default_rng(3)
    atoms = Atoms("H16", positions=rng.uniform(0.0, 8.0, (16, 3)), cell=[8.0] * 3, pbc=True)
    atoms.set_initial_charges(np.tile([1.0, -1.0], 8))
    atoms.set_cell(atoms.cell * scale, scale_atoms=True)
    return atoms


def two_sets(method):
    """A term holding the sets of the cells scaled by 1 and 1.06 (their middle: 1.0291)."""
    options = {"scheme": "array", "method": method, "tolerance": 1e-4, "cutoff": 4.0}
    calc = Electrostatics(**options)
    for scale in (1.0, 1.06):
        calc.get_potential_energy(ions(scale))
    return calc


def energy_and_slope(calc, scale):
    """Energy (eV) and dE/ds from the stress, V tr(σ) / s, for the cell scaled by s."""
    atoms = ions(scale)
    atoms.calc = calc
    return atoms.get_potential_energy(), atoms.get_volume() * atoms.get_stress()[:3].sum() / scale


def test_the_stress_integrates_to_the_energy_across_the_middle():
    calc = two_sets("ewald")
    scales = np.linspace(1.0261, 1.0321, 7)
    values = [energy_and_slope(calc, s) for s in scales]
    # trapezoid rule over 0.001 of the scale: its own error is 1e-8 eV away from the middle
    # and up to 4e-7 eV in the blend (one set alone jumped 1.3e-5 eV there)
    for (e0, g0), (e1, g1), h in zip(values, values[1:], np.diff(scales), strict=False):
        assert e1 - e0 == pytest.approx(0.5 * (g0 + g1) * h, abs=1e-6)
    # no new set was made on the way
    assert len(calc._tuned) == 2


def test_energies_of_the_two_sets_differ_where_the_test_looks():
    """Each set alone gives another energy at the middle (else the test could not fail)."""
    middle = ions(1.0291)
    low = Electrostatics(scheme="array", method="ewald", tolerance=1e-4, cutoff=4.0)
    high = Electrostatics(scheme="array", method="ewald", tolerance=1e-4, cutoff=4.0)
    low.get_potential_energy(ions(1.0))
    high.get_potential_energy(ions(1.06))
    assert abs(low.get_potential_energy(middle.copy())
               - high.get_potential_energy(middle.copy())) > 1e-5


def test_forces_and_a_shear_stress_are_the_derivatives_in_the_blend():
    calc = two_sets("ewald")
    atoms = ions(1.0291)
    atoms.calc = calc
    forces, stress = atoms.get_forces(), atoms.get_stress()
    direction = np.random.default_rng(1).normal(size=forces.shape)
    shear = np.eye(3)
    shear[0, 1] = shear[1, 0] = 1.0

    def moved(h):
        work = atoms.copy()
        work.positions += h * direction
        return calc.get_potential_energy(work)

    def sheared(h):
        work = atoms.copy()
        work.set_cell(atoms.cell.array @ (np.eye(3) + h * (shear - np.eye(3))), scale_atoms=True)
        return calc.get_potential_energy(work)

    h = 1e-5
    assert abs(np.sum(forces * direction)) > 1e-2
    assert (moved(h) - moved(-h)) / (2 * h) == pytest.approx(-np.sum(forces * direction),
                                                            abs=1e-6)
    # dE/dh of the symmetric shear e_xy = e_yx = h is V (σ_xy + σ_yx)
    assert (sheared(h) - sheared(-h)) / (2 * h) == pytest.approx(
        2 * atoms.get_volume() * stress[5], abs=1e-6)
