"""replicate_box: the copies of a moving box get velocities of their own.

Copied as they were (ASE's ``repeat``), every copy of an atom had its velocity; the copies,
periodic images of one another, feel the same forces and so moved in step under deterministic MD
(run_md keeps given velocities): a large box with the statistics of the small one. The repeated
box's velocities are drawn anew (seeded) with the copies' kinetic energy and momentum together.
"""

import numpy as np
import pytest
from ase import Atoms
from ase.calculators.lj import LennardJones
from ase.constraints import FixAtoms
from ase.md.verlet import VelocityVerlet
from ase.units import fs

from ase_electrolyte.build import replicate_box
from ase_electrolyte.topology import set_topology


def _box(drift=(0.0, 0.0, 0.0), seed=1):
    water = np.array([[0.0, 0.0, 0.0], [0.96, 0.0, 0.0], [-0.24, 0.93, 0.0]])
    atoms = Atoms("OH2OH2", positions=np.vstack([water + 1.5, water + 4.0]), cell=[6.5] * 3,
                  pbc=True)
    set_topology(atoms, [0, 0, 0, 1, 1, 1], ["H2O"] * 6, [0] * 6)
    rng = np.random.default_rng(seed)
    velocities = rng.normal(scale=0.02, size=(6, 3))
    velocities -= atoms.get_masses() @ velocities / atoms.get_masses().sum()
    atoms.set_velocities(velocities + np.asarray(drift))
    return atoms


def _copies(big, n_small):
    return big.get_velocities().reshape(-1, n_small, 3)


@pytest.mark.parametrize("repeats", [2, (1, 2, 3), (3, 1, 1)])
@pytest.mark.parametrize("drift", [(0.0, 0.0, 0.0), (0.003, -0.001, 0.002)])
def test_copies_get_own_velocities_with_the_boxs_energy_and_momentum(repeats, drift):
    atoms = _box(drift)
    before = atoms.get_momenta().copy()
    big = replicate_box(atoms, repeats)
    n = len(big) // len(atoms)
    copies = _copies(big, len(atoms))
    for k in range(1, n):
        assert not np.allclose(copies[k], copies[0], atol=1e-4), k
    assert big.get_kinetic_energy() == pytest.approx(n * atoms.get_kinetic_energy(), rel=1e-10)
    np.testing.assert_allclose(big.get_momenta().sum(axis=0),
                               n * atoms.get_momenta().sum(axis=0), atol=1e-12)
    np.testing.assert_array_equal(atoms.get_momenta(), before)


@pytest.mark.parametrize("repeats", [2, (1, 1, 3)])
def test_copies_do_not_move_in_step_under_nve(repeats):
    big = replicate_box(_box(), repeats)
    big.calc = LennardJones(sigma=2.5, epsilon=0.005, rc=3.2, smooth=True)
    n_small = 6
    start = big.positions.copy()
    VelocityVerlet(big, timestep=1.0 * fs).run(10)
    moved = (big.positions - start).reshape(-1, n_small, 3)
    # in step, each copy's displacement equals the first's to round-off (~1e-14 Å)
    for k in range(1, moved.shape[0]):
        assert np.abs(moved[k] - moved[0]).max() > 1e-3


def test_a_box_at_rest_stays_at_rest_and_the_seed_reproduces():
    rest = _box()
    rest.set_momenta(np.zeros((6, 3)))
    assert not np.any(replicate_box(rest, 2).get_momenta())
    a, b, c = (replicate_box(_box(), 2, seed=s) for s in (3, 3, 4))
    np.testing.assert_array_equal(a.get_momenta(), b.get_momenta())
    assert not np.allclose(a.get_momenta(), c.get_momenta())


def test_fixed_atoms_stay_fixed_in_every_copy():
    atoms = _box()
    atoms.set_constraint(FixAtoms(indices=[0]))
    atoms.set_momenta(atoms.get_momenta())  # the fixed atom at rest
    big = replicate_box(atoms, 2)
    fixed = big.constraints[0].get_indices()
    assert len(fixed) == 8
    assert not np.any(big.get_momenta()[fixed])
    assert np.any(big.get_momenta())


@pytest.mark.parametrize("seed", [-1, 1.5, "a"])
def test_bad_seed_refused(seed):
    with pytest.raises((ValueError, TypeError), match="seed"):
        replicate_box(_box(), 2, seed=seed)


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_momenta_not_finite_refused(value):
    atoms = _box()
    momenta = atoms.get_momenta()
    momenta[2, 1] = value
    atoms.set_momenta(momenta)
    with pytest.raises(ValueError, match="momenta of atoms \\[2\\]"):
        replicate_box(atoms, 2)
