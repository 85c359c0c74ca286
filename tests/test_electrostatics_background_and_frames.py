"""Electrostatics: a net charge on its neutralising background against the Wigner lattices'
Madelung constants, and the same sum whatever frame, image, dtype or handedness the input
takes (atoms a thousand cells away, a left-handed cell, pbc as numpy ints, charges as int or
float32 arrays)."""

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk

from ase_electrolyte import Electrostatics
from ase_electrolyte.electrostatics import COULOMB

pytest.importorskip("torchpme")

# Energy per ion of point charges q on a lattice in a uniform neutralising background,
# -alpha q^2 / r_s with r_s the Wigner-Seitz radius (3 V / 4 pi N)^(1/3) (Nijboer & De
# Wette; Coldwell-Horsfall & Maradudin 1960): sc 0.880059, bcc 0.895929, fcc 0.895873
WIGNER = {"sc": 0.88005944, "bcc": 0.89592925, "fcc": 0.89587294}


def one_ion(lattice, a=4.0):
    if lattice == "sc":
        return Atoms("Na", positions=[[0.3, 0.2, 0.1]], cell=[a, a, a], pbc=True)
    atoms = bulk("Na", lattice, a=a)
    atoms.positions += [0.3, 0.2, 0.1]
    return atoms


def energy(atoms, calc=None, **options):
    work = atoms.copy()
    work.calc = calc if calc is not None else Electrostatics(scheme="fixed", **options)
    return work.get_potential_energy(), work.get_forces(), work.get_stress()


@pytest.mark.parametrize("method", ["ewald", "pme"])
@pytest.mark.parametrize("lattice", ["sc", "bcc", "fcc"])
def test_one_charge_on_its_background_has_the_wigner_lattice_energy(lattice, method):
    for q, a in ((1.0, 4.0), (-2.0, 5.5)):
        atoms = one_ion(lattice, a)
        rs = (3.0 * atoms.get_volume() / (4.0 * np.pi)) ** (1.0 / 3.0)
        e, f, s = energy(atoms, charges=[q], method=method, background=True, tolerance=1e-8)
        assert e == pytest.approx(-WIGNER[lattice] * q * q * COULOMB / rs, rel=2e-6)
        assert np.abs(f).max() < 1e-6  # every ion at a centre of symmetry
        # E ∝ 1/L: dE/dε = -E/3 on the diagonal (isotropic), none off it
        np.testing.assert_allclose(s[:3] * atoms.get_volume(), -e / 3.0, rtol=2e-5)
        assert np.abs(s[3:]).max() * atoms.get_volume() < 1e-6 * abs(e)


@pytest.mark.parametrize("method", ["ewald", "pme"])
def test_a_conventional_cell_of_the_same_lattice_gives_the_same_energy_per_ion(method):
    primitive = one_ion("bcc", 4.4)
    conventional = bulk("Na", "bcc", a=4.4, cubic=True)
    e1 = energy(primitive, charges=[1.0], method=method, background=True, tolerance=1e-8)[0]
    e2 = energy(conventional, charges=[1.0, 1.0], method=method, background=True,
                tolerance=1e-8)[0]
    assert e2 / 2 == pytest.approx(e1, rel=2e-6)


def rattled_salt():
    atoms = bulk("NaCl", "rocksalt", a=5.64, cubic=True).repeat((2, 1, 1))
    atoms.rattle(0.15, seed=3)
    return atoms, np.where(atoms.numbers == 11, 1.0, -1.0)


@pytest.mark.parametrize("method", ["ewald", "pme"])
@pytest.mark.parametrize("net", [0.0, 0.5])
def test_the_sum_is_the_same_in_every_frame_image_and_dtype(method, net):
    atoms, q = rattled_salt()
    q = q + net / len(q)
    options = dict(method=method, background=net != 0.0)
    # one calculator, as along an MD run: its lattice parameters are chosen once
    calc = Electrostatics(scheme="fixed", charges=q, **options)
    e0, f0, s0 = energy(atoms, calc)
    # every atom a thousand or so cells away
    far = atoms.copy()
    shifts = np.random.default_rng(1).integers(-1000, 1000, (len(atoms), 3))
    far.positions += shifts @ atoms.cell[:]
    # a left-handed cell of the same lattice
    left = atoms.copy()
    left.set_cell(atoms.cell[:] * [[-1.0], [1.0], [1.0]], scale_atoms=False)
    assert np.linalg.det(left.cell[:]) < 0
    # pbc as numpy ints
    ints = atoms.copy()
    ints.pbc = np.array([1, 1, 1])
    for other in (far, left, ints):
        e, f, s = energy(other, calc)
        assert e == pytest.approx(e0, rel=1e-10, abs=1e-10)
        np.testing.assert_allclose(f, f0, rtol=0, atol=1e-9)
        np.testing.assert_allclose(s, s0, rtol=0, atol=1e-11)
    if net == 0.0:
        # whole charges as ints and as float32: the same float64 sum
        for given in (q.astype(np.int64), q.astype(np.float32)):
            calc.set(charges=given)
            calc.reset()
            e, f, _ = energy(atoms, calc)
            assert e == e0
            np.testing.assert_array_equal(f, f0)


def test_a_molecule_far_from_the_origin_keeps_its_direct_sum():
    atoms = Atoms("NaClNaCl", positions=[[0, 0, 0], [2.4, 0.3, 0], [0.2, 2.6, 0.4],
                                         [2.5, 2.9, -0.3]])
    q = np.array([0.8, -0.8, 0.8, -0.8])
    e0, f0, _ = (lambda w: (w.get_potential_energy(), w.get_forces(), None))(
        _with(atoms, q))
    far = atoms.copy()
    far.positions += [1e5, -3e5, 2e5]
    e1, f1, _ = (lambda w: (w.get_potential_energy(), w.get_forces(), None))(_with(far, q))
    # the input's own digits at 3e5 Å are ~6e-11 Å
    assert e1 == pytest.approx(e0, rel=1e-9)
    np.testing.assert_allclose(f1, f0, rtol=0, atol=1e-8)


def _with(atoms, q):
    work = atoms.copy()
    work.calc = Electrostatics(scheme="fixed", charges=q)
    return work
