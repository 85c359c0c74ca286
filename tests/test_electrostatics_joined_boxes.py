"""A stored ``molecule_index`` that does not fit the atoms, under ``short_range="molecules"``.

Two boxes joined with ``+`` both number their molecules from 0: the exclusion took the index as
it was and removed the Coulomb interaction of atoms of different molecules, without a word. The
index is now checked against the atoms' bonds (``mda_electrolyte.molecules``'s one check) once
per topology, before any sum.
"""

import numpy as np
import pytest
from ase.build import bulk, molecule
from ase.calculators.calculator import InputError

import mda_electrolyte.molecules as molecules
from ase_electrolyte.electrostatics import COULOMB, Electrostatics

WATER_QRD = {"H": (0.4, 1.0), "O": (-0.8, 1.0)}


def _water_box(shift):
    """Two waters numbered 0 and 1, as one builder box numbers its molecules."""
    w1, w2 = molecule("H2O"), molecule("H2O")
    w2.translate([4.0, 0.5, 0.3])
    part = w1 + w2
    part.translate([2.0 + shift, 3.0, 3.0])
    part.arrays["molecule_index"] = np.array([0, 0, 0, 1, 1, 1])
    part.arrays["molecule_species"] = np.array(["H2O"] * 6)
    return part


def _joined(renumber=False):
    first, second = _water_box(0.0), _water_box(8.0)
    if renumber:
        # as the refusal says: the second part's molecules after the first's
        second.arrays["molecule_index"] += first.arrays["molecule_index"].max() + 1
    atoms = first + second
    atoms.set_cell([16.0, 12.0, 12.0])
    atoms.pbc = True
    return atoms


def _no_sum(*args, **kwargs):
    raise AssertionError("a lattice sum was started")


def test_two_boxes_joined_with_plus_are_refused_before_any_sum(monkeypatch):
    atoms = _joined()
    before = {k: v.copy() for k, v in atoms.arrays.items()}
    term = Electrostatics(qrd=WATER_QRD, short_range="molecules")
    monkeypatch.setattr(Electrostatics, "_coulomb_per_atom", _no_sum)
    with pytest.raises(InputError, match=r"joined with '\+' keep each part's molecule indices"):
        term.check_input(atoms)
    atoms.calc = term
    with pytest.raises(InputError, match="several covalently bonded groups"):
        atoms.get_potential_energy()
    # the caller's arrays are untouched
    assert before.keys() == atoms.arrays.keys()
    for key, value in before.items():
        np.testing.assert_array_equal(atoms.arrays[key], value)


def test_the_renumbered_boxes_remove_exactly_each_molecules_own_pairs():
    atoms = _joined(renumber=True)
    q = Electrostatics(qrd=WATER_QRD).get_charges(atoms)
    full = Electrostatics(qrd=WATER_QRD, tolerance=1e-10).get_potential_energy(atoms)
    excluded = Electrostatics(qrd=WATER_QRD, tolerance=1e-10, short_range="molecules")
    energy = excluded.get_potential_energy(atoms)
    d = atoms.get_all_distances(mic=True)
    intra = sum(q[i] * q[j] / d[i, j] for m in range(0, 12, 3) for i in range(m, m + 3)
                for j in range(i + 1, m + 3))
    assert full - energy == pytest.approx(COULOMB * intra, rel=1e-9)
    # the same molecules as found from the bonds without any stored index
    bare = atoms.copy()
    del bare.arrays["molecule_index"], bare.arrays["molecule_species"]
    guessed = Electrostatics(qrd=WATER_QRD, tolerance=1e-10, short_range="molecules")
    assert guessed.get_potential_energy(bare) == pytest.approx(energy, abs=1e-10)


def test_a_term_that_summed_the_right_index_refuses_the_joined_one_and_recovers():
    """The check is cached per topology: another index on the same atoms is checked anew
    (not answered from the last one), and a refusal leaves nothing behind."""
    good, bad = _joined(renumber=True), _joined()
    term = Electrostatics(qrd=WATER_QRD, short_range="molecules")
    energy = term.get_potential_energy(good)
    with pytest.raises(InputError, match="several covalently bonded groups"):
        term.get_potential_energy(bad)
    assert term.get_potential_energy(good) == pytest.approx(energy, abs=1e-12)


def test_the_stored_index_is_checked_once_per_topology(monkeypatch):
    calls = []
    check = molecules.check_stored_molecules

    def counted(*args, **kwargs):
        calls.append(1)
        return check(*args, **kwargs)

    monkeypatch.setattr(molecules, "check_stored_molecules", counted)
    atoms = _joined(renumber=True)
    term = Electrostatics(qrd=WATER_QRD, short_range="molecules")
    atoms.calc = term
    rng = np.random.default_rng(0)
    for _ in range(3):
        atoms.positions += rng.normal(scale=0.01, size=atoms.positions.shape)
        atoms.get_forces()
    assert len(calls) == 1
    # a changed index is a new topology
    atoms.arrays["molecule_index"] = np.repeat(np.arange(4)[::-1], 3)
    atoms.get_forces()
    assert len(calls) == 2


def test_a_species_name_on_molecules_of_different_compositions_is_refused():
    # a hydrogen removed from one water: one name on H2O and HO
    atoms = _joined(renumber=True)
    atoms = atoms[[k for k in range(len(atoms)) if k != 1]]
    term = Electrostatics(qrd=WATER_QRD, short_range="molecules", background=True)
    with pytest.raises(InputError, match="molecules named 'H2O' are"):
        term.check_input(atoms)


def test_an_ionic_crystal_marked_as_one_molecule_is_refused_before_any_sum(monkeypatch):
    atoms = bulk("NaCl", "rocksalt", a=5.64, cubic=True).repeat(2)
    atoms.arrays["molecule_index"] = np.zeros(len(atoms), dtype=int)
    term = Electrostatics(qrd={"Na": (1.0, 1.0), "Cl": (-1.0, 1.0)}, short_range="molecules")
    monkeypatch.setattr(Electrostatics, "_coulomb_per_atom", _no_sum)
    with pytest.raises(InputError, match="molecule 0: 64 groups"):
        term.check_input(atoms)


def test_two_builder_boxes_joined_are_refused():
    pytest.importorskip("rdkit")
    pytest.importorskip("packmol")
    from ase_electrolyte.build import electrolyte_box

    box = electrolyte_box(counts={"EC": 3, "Li": 1, "PF6": 1}, seed=0)
    other = box.copy()
    other.positions += box.cell[2]
    joined = box + other
    joined.cell[2] *= 2
    term = Electrostatics(qrd={el: (0.0, 1.0) for el in set(joined.get_chemical_symbols())},
                          short_range="molecules")
    with pytest.raises(InputError, match=r"joined with '\+'"):
        term.check_input(joined)
    other.arrays["molecule_index"] += box.arrays["molecule_index"].max() + 1
    joined = box + other
    joined.cell[2] *= 2
    term.check_input(joined)


@pytest.mark.parametrize("pbc", [False])
def test_joined_clusters_are_refused_too(monkeypatch, pbc):
    # the bond test ran on fully periodic Atoms only: two pairs of waters in vacuum joined with
    # '+' summed 0.154 eV where their own molecules give 0.167 eV
    atoms = _joined()
    atoms.pbc = pbc
    term = Electrostatics(qrd=WATER_QRD, short_range="molecules",
                          method="direct" if pbc is False else "ewald")
    monkeypatch.setattr(Electrostatics, "_coulomb_per_atom", _no_sum)
    with pytest.raises(InputError, match="several covalently bonded groups"):
        term.check_input(atoms)
    renumbered = _joined(renumber=True)
    renumbered.pbc = pbc
    monkeypatch.undo()
    if pbc is False:
        # renumbered, the cluster sums its own molecules' exclusion
        energy = Electrostatics(qrd=WATER_QRD, short_range="molecules",
                                method="direct").get_potential_energy(renumbered)
        fresh = renumbered.copy()
        del fresh.arrays["molecule_index"], fresh.arrays["molecule_species"]
        expected = Electrostatics(qrd=WATER_QRD, short_range="molecules",
                                  method="direct").get_potential_energy(fresh)
        assert energy == pytest.approx(expected, rel=1e-12)
