"""One Electrostatics term (short_range="molecules", bonds detected) alternated between
structures of the same composition: each gets its own molecules, while a bond that only
stretches along an MD run keeps the molecules found at its start (no energy jump)."""

import numpy as np
import pytest
from ase import Atoms

from ase_electrolyte import Electrostatics
from ase_electrolyte.electrostatics import COULOMB

pytest.importorskip("torchpme")

QRD = {"O": (-0.8, 1.0), "H": (0.4, 1.0)}
WATER = np.array([[0.0, 0.0, 0.0], [0.96, 0.0, 0.0], [-0.24, 0.93, 0.0]])


def _two_waters():
    positions = np.vstack([WATER, WATER + [4.0, 0.3, 0.2]]) + 4.0
    return Atoms("OHHOHH", positions=positions, cell=[12.0] * 3, pbc=True)


def _other_structures():
    """Same numbers, other molecules: the two H of index 2 and 5 trade places (a
    permutation: the same energy as the first structure), and water 2 split into OH + H."""
    swapped = _two_waters()
    swapped.positions[[2, 5]] = swapped.positions[[5, 2]]
    split = _two_waters()
    split.positions[5] += [0.0, 0.0, 4.0]
    return {"hydrogens swapped": swapped, "a water split": split}


def _fresh_energy(atoms, **options):
    atoms = atoms.copy()
    atoms.calc = Electrostatics(**options)
    return atoms.get_potential_energy()


@pytest.mark.parametrize("name", sorted(_other_structures()))
@pytest.mark.parametrize("method", ["ewald", "pme"])
def test_a_shared_term_detects_the_molecules_of_each_structure(name, method):
    options = dict(scheme="qrd", qrd=QRD, short_range="molecules", method=method,
                   tolerance=1e-9)
    first, other = _two_waters(), _other_structures()[name]
    calc = Electrostatics(**options)
    energies = []
    for atoms in (first, other, first, other):
        atoms.calc = calc
        energies.append(atoms.get_potential_energy())
    # was: the second structure summed with the first one's molecules (-5.57 eV, not -0.04)
    assert energies[1] == pytest.approx(_fresh_energy(other, **options), abs=1e-8)
    assert energies[0] == energies[2] and energies[1] == energies[3]
    if name == "hydrogens swapped":
        assert energies[1] == pytest.approx(energies[0], abs=1e-8)
    else:  # the split-off H is no longer excluded: its pairs with O and H of water 2 count
        assert abs(energies[1] - energies[0]) > 0.1


def test_a_stretched_bond_keeps_the_molecules_found_before():
    """O-H stretched from 0.96 to 1.75 Å (beyond the bond detection's reach, ~1.6 Å, a move
    of 0.79 Å): the intramolecular pairs stay excluded along the run, as at its start."""
    options = dict(scheme="qrd", qrd=QRD, short_range="molecules", method="ewald",
                   tolerance=1e-10)
    atoms = _two_waters()
    calc = Electrostatics(**options)
    atoms.calc = calc
    atoms.get_potential_energy()
    stretched = atoms.copy()
    stretched.positions[1] = stretched.positions[0] + [1.75, 0.0, 0.0]
    stretched.calc = calc
    kept = stretched.get_potential_energy()
    # a fresh term sees H1 as its own molecule: the O0-H1 and H1-H2 pairs are summed too
    fresh = _fresh_energy(stretched, **options)
    pos = stretched.positions
    q = {"O": -0.8, "H": 0.4}
    intra = COULOMB * q["H"] * (q["O"] / np.linalg.norm(pos[1] - pos[0])
                                + q["H"] / np.linalg.norm(pos[1] - pos[2]))
    assert fresh - kept == pytest.approx(intra, rel=1e-6)


def test_charges_asked_before_any_structure_name_what_is_missing():
    """``get_charges()`` of a term that has evaluated nothing raised AttributeError
    ('NoneType' object has no attribute 'numbers'); with atoms, the QRd charges."""
    term = Electrostatics(qrd=QRD)
    with pytest.raises(ValueError, match=r"no structure evaluated yet: pass the atoms"):
        term.get_charges()
    water = Atoms("OH2", positions=WATER)
    np.testing.assert_allclose(term.get_charges(water), [-0.8, 0.4, 0.4], atol=1e-15)
    water.calc = term
    water.get_potential_energy()
    np.testing.assert_allclose(term.get_charges(), [-0.8, 0.4, 0.4], atol=1e-15)
