"""Electrostatics on the cell edge cases of mixed periodicity, handedness, supercells, charged
cells, changed charges and float32, against analytic lattice sums and finite differences."""

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk

from ase_electrolyte import Electrostatics
from ase_electrolyte.electrostatics import COULOMB

QRD = {"Na": (0.8, 1.0), "Cl": (-0.8, 1.0)}
MADELUNG_NACL = 1.747564594633  # per ion pair, in e²/(4π ε0 r0)
MADELUNG_SC = -2.837297479481  # one charge in a simple cubic lattice with background, per L


def triclinic_salt(seed=3):
    rng = np.random.default_rng(seed)
    cell = np.array([[7.1, 0, 0], [1.2, 7.5, 0], [-0.8, 0.9, 8.1]])
    frac = np.array([[i, j, k] for i in (0.1, 0.6) for j in (0.15, 0.65) for k in (0.2, 0.7)])
    frac += rng.normal(0, 0.03, frac.shape)
    return Atoms("NaClClNaClNaNaCl", scaled_positions=frac, cell=cell, pbc=True)


def evaluate(atoms, **kw):
    atoms = atoms.copy()
    atoms.calc = Electrostatics(**{"scheme": "qrd", "qrd": QRD, "tolerance": 1e-9, **kw})
    return atoms.get_potential_energy(), atoms.get_forces(), atoms.get_stress()


@pytest.mark.parametrize("pbc", [(True, True, False), (True, False, False), (False, True, True)])
def test_partial_periodicity_is_refused_naming_the_fix_before_any_sum(pbc, monkeypatch):
    atoms = triclinic_salt()
    atoms.pbc = pbc
    calc = Electrostatics(scheme="qrd", qrd=QRD)

    def no_sum(*args, **kwargs):
        raise AssertionError("the lattice sum ran")

    monkeypatch.setattr(calc, "_evaluate", no_sum)
    atoms.calc = calc
    with pytest.raises(ValueError, match=r"partial periodicity .*pbc=True with a vacuum.*"
                                         r"pbc=False for a molecule"):
        atoms.get_potential_energy()


@pytest.mark.parametrize("method", ["ewald", "pme"])
def test_madelung_constant_in_a_left_handed_primitive_cell(method):
    atoms = bulk("NaCl", "rocksalt", a=5.64)
    atoms.set_cell(atoms.cell.array[[1, 0, 2]], scale_atoms=False)
    assert np.linalg.det(atoms.cell.array) < 0
    atoms.calc = Electrostatics(scheme="qrd", qrd={"Na": (1.0, 1.0), "Cl": (-1.0, 1.0)},
                                method=method, tolerance=1e-8)
    madelung = -atoms.get_potential_energy() * (5.64 / 2) / COULOMB
    assert madelung == pytest.approx(MADELUNG_NACL, abs=1e-6)
    assert np.abs(atoms.get_forces()).max() < 1e-6  # every ion at a centre of symmetry


# (method, tolerance, bounds on energy eV, forces eV/Å, stress eV/Å³): PME's mesh is laid on
# the cell vectors, so another order or supercell changes its error, within the tolerance
# (a tighter PME takes a minute to measure its mesh)
EQUIVALENT = [("ewald", 1e-9, 1e-9, 1e-8, 1e-10), ("pme", 1e-7, 1e-6, 1e-6, 1e-8)]


@pytest.mark.parametrize("method, tolerance, de, df, ds", EQUIVALENT)
def test_handedness_wrapping_and_supercell_do_not_change_the_results(method, tolerance, de,
                                                                     df, ds):
    atoms = triclinic_salt()
    e, f, s = evaluate(atoms, method=method, tolerance=tolerance)
    flipped = atoms.copy()
    flipped.set_cell(atoms.cell.array[[1, 0, 2]], scale_atoms=False)
    unwrapped = atoms.copy()
    unwrapped.positions[[1, 4]] += [[3, -2, 5], [-4, 0, 1]] @ atoms.cell.array
    for other in (flipped, unwrapped):
        e2, f2, s2 = evaluate(other, method=method, tolerance=tolerance)
        assert e2 == pytest.approx(e, abs=de)
        assert np.abs(f2 - f).max() < df and np.abs(s2 - s).max() < ds
    e8, f8, s8 = evaluate(atoms.repeat((2, 1, 1)), method=method, tolerance=tolerance)
    assert e8 / 2 == pytest.approx(e, abs=2 * de)
    assert np.abs(f8 - np.tile(f, (2, 1))).max() < 10 * df
    assert np.abs(s8 - s).max() < 10 * ds


@pytest.mark.parametrize("method, tolerance, de", [("ewald", 1e-9, 1e-7), ("pme", 1e-7, 1e-5)])
def test_a_charged_cell_with_background_equals_the_madelung_sum_and_its_strain_derivative(
        method, tolerance, de):
    one = Atoms("Na", positions=[[1.0, 2.0, 3.0]], cell=[7.0] * 3, pbc=True)
    one.calc = Electrostatics(scheme="fixed", charges=[1.0], total_charge=1.0, background=True,
                              method=method, tolerance=tolerance)
    assert one.get_potential_energy() == pytest.approx(MADELUNG_SC * COULOMB / 14.0, abs=de)
    # a charged triclinic cell: the stress includes the background's volume dependence
    atoms = triclinic_salt()
    charges = [1.0, -1.0, -1.0, 1.0, 1.0, 1.0, 1.0, -1.0]  # net +2 e
    atoms.calc = Electrostatics(scheme="fixed", charges=charges, total_charge=2.0,
                                background=True, method=method, tolerance=tolerance)
    stress, volume, h = atoms.get_stress(voigt=False), atoms.get_volume(), 1e-5
    for i, j in ((0, 0), (1, 2), (2, 2)):
        energies = []
        for sign in (1, -1):
            strained = atoms.copy()
            strained.calc = atoms.calc
            eps = np.eye(3)
            eps[i, j] += sign * h
            strained.set_cell(atoms.cell.array @ eps, scale_atoms=True)
            energies.append(strained.get_potential_energy())
        assert (energies[0] - energies[1]) / (2 * h * volume) == pytest.approx(
            stress[i, j], abs=1e-9)


def test_charges_changed_in_place_are_read_again():
    atoms = triclinic_salt()
    atoms.new_array("q", np.array([0.8, -0.8, -0.8, 0.8, -0.8, 0.8, 0.8, -0.8]))
    atoms.calc = Electrostatics(scheme="array", array="q", method="ewald", tolerance=1e-9)
    before = atoms.get_potential_energy()
    atoms.arrays["q"] *= 0.5  # in place: ASE's own check_state does not see custom arrays
    assert atoms.get_potential_energy() == pytest.approx(before / 4, rel=1e-6)
    charges = np.array([0.8, -0.8, -0.8, 0.8, -0.8, 0.8, 0.8, -0.8])
    fixed = triclinic_salt()
    fixed.calc = Electrostatics(scheme="fixed", charges=charges, method="ewald", tolerance=1e-9)
    before = fixed.get_potential_energy()
    charges *= 0.5  # the caller's array: the calculator keeps its own copy
    assert fixed.get_potential_energy() == before


@pytest.mark.parametrize("method", ["ewald", "pme"])
def test_float32_agrees_with_float64_to_its_precision(method):
    atoms = triclinic_salt()
    e64, f64, _ = evaluate(atoms, method=method, tolerance=1e-6)
    e32, f32, _ = evaluate(atoms, method=method, tolerance=1e-6, dtype="float32")
    assert e32 == pytest.approx(e64, rel=1e-5)
    assert np.abs(f32 - f64).max() < 1e-4 * np.abs(f64).max() + 1e-5
