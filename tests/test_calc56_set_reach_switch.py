"""A kept lattice-sum set leaving its 5 % reach hands over smoothly to the other sets.

A set serves cells within 5 % strain (largest entry of |F - I|) of its own; the blend ranks
sets by the squared norm of the strain. A set nearest by the norm can leave its reach (one
entry past 5 %, the others small) while another set, nearer by the largest entry, stays: the
set was dropped at once with most of the weight, and the energy jumped by the difference of
the two sums' errors at each crossing (a full-cell or orthorhombic barostat swinging there).
Its weight is now switched off over the last 0.5 % of its reach.
"""

import numpy as np
import pytest
from ase import Atoms

from ase_electrolyte import Electrostatics

FIRST = np.eye(3)
SECOND = np.diag([1.02, 1.0, 1.07])  # beyond 5 % of the first: a set of its own


def ions(deformation):
    rng = np.random.default_rng(3)
    atoms = Atoms("H16", positions=rng.uniform(0.0, 8.0, (16, 3)), cell=[8.0] * 3, pbc=True)
    atoms.set_initial_charges(np.tile([1.0, -1.0], 8))
    atoms.set_cell(atoms.cell.array @ deformation, scale_atoms=True)
    return atoms


def along(x):
    """Cells on the path through the first set's reach along x (z at 2 %, in the second's)."""
    return np.diag([x, 1.0, 1.02])


@pytest.fixture(scope="module", params=["ewald", "pme"])
def two_sets(request):
    calc = Electrostatics(scheme="array", method=request.param, tolerance=1e-4, cutoff=4.0)
    for deformation in (FIRST, SECOND):
        calc.get_potential_energy(ions(deformation))
    return calc


def energy_and_slope(calc, x):
    """Energy (eV) and dE/dx from the stress, V σ_xx / x."""
    atoms = ions(along(x))
    atoms.calc = calc
    return atoms.get_potential_energy(), atoms.get_volume() * atoms.get_stress()[0] / x


@pytest.mark.parametrize("start", [1.0478, 1.0488, 1.0497])
def test_the_stress_integrates_to_the_energy_through_the_edge(two_sets, start):
    """Across the first set's switch and its edge (x = 1.05) the energy is smooth: the
    trapezoid of the stress gives each step of the energy (a set dropped at the edge made a
    step of the difference of two sums' errors, 1.4e-5 eV)."""
    # steps of 1e-4: the trapezoid's own error is then < 2e-7 eV where the weights turn
    xs = start + np.linspace(0.0, 0.0003, 4)
    values = [energy_and_slope(two_sets, x) for x in xs]
    for (e0, g0), (e1, g1), h in zip(values, values[1:], np.diff(xs), strict=False):
        assert e1 - e0 == pytest.approx(0.5 * (g0 + g1) * h, abs=1e-6)
    assert len(two_sets._tuned) == 2


def test_the_two_sets_differ_where_the_test_looks(two_sets):
    """At the edge the first set is the nearest by the norm and each set alone gives another
    energy there (else the test above could not fail)."""
    method = two_sets.parameters["method"]
    alone = []
    for deformation in (FIRST, SECOND):
        term = Electrostatics(scheme="array", method=method, tolerance=1e-4, cutoff=4.0)
        term.get_potential_energy(ions(deformation))
        alone.append(term.get_potential_energy(ions(along(1.0499))))
    assert abs(alone[0] - alone[1]) > 5e-6
    first = np.sum((along(1.0499) - FIRST) ** 2)
    second = np.sum((np.linalg.solve(SECOND, along(1.0499)) - np.eye(3)) ** 2)
    assert first < second
