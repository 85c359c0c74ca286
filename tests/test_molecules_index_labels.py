"""Molecule indices that are labels, not indices, are refused by every function that takes one.

``make_whole``, ``check_whole``, ``centers_of_mass``, ``inertia_tensors``,
``rigid_decomposition``, ``molecule_species``, ``isolated_molecules`` and ``check_masses``
index per-molecule arrays with ``ids``. Residue ids (1-based) left molecule 0 without atoms:
``make_whole`` took the frame's last atom as its first and returned the last molecule still
cut by the box, ``centers_of_mass`` said "molecule 0 has no mass", ``molecule_species`` named
molecule 0 after the last atom. Now :func:`mda_electrolyte.molecules.check_molecule_ids`
refuses them, naming the fix (``first_appearance``).
"""

import numpy as np
import pytest
from ase import Atoms

from mda_electrolyte.molecules import (
    centers_of_mass,
    check_masses,
    check_molecule_ids,
    check_whole,
    first_appearance,
    inertia_tensors,
    isolated_molecules,
    make_whole,
    molecule_species,
    rigid_decomposition,
)

CELL = np.diag([10.0, 10.0, 10.0])
# two C3 chains cut by the faces of a 10 Å box, bonds 1.5 Å
POSITIONS = np.array([[9.2, 5.0, 5.0], [0.7, 5.0, 5.0], [2.2, 5.0, 5.0],
                      [5.0, 5.0, 9.3], [5.0, 5.0, 0.8], [5.0, 5.0, 2.3]])
NUMBERS = np.full(6, 6)
MASSES = np.array([12.0, 12.0, 12.0, 12.0, 12.0, 24.0])
ATOMS = Atoms(numbers=NUMBERS, positions=POSITIONS, cell=CELL, pbc=True)

CALLS = {
    "make_whole": lambda ids: make_whole(POSITIONS, ids, CELL),
    "check_whole": lambda ids: check_whole(POSITIONS, ids, CELL, NUMBERS),
    "centers_of_mass": lambda ids: centers_of_mass(POSITIONS, MASSES, ids),
    "inertia_tensors": lambda ids: inertia_tensors(POSITIONS, MASSES, ids),
    "rigid_decomposition": lambda ids: rigid_decomposition(POSITIONS, MASSES, ids),
    "molecule_species": lambda ids: molecule_species(NUMBERS, ids),
    "isolated_molecules": lambda ids: isolated_molecules(ATOMS, ids),
    "check_masses": lambda ids: check_masses(NUMBERS, MASSES, ids, "test"),
}
BAD = {
    "residue ids from 1": (np.array([1, 1, 1, 2, 2, 2]), "without gaps.*e.g. 0"),
    "a gap": (np.array([0, 0, 0, 2, 2, 2]), "without gaps.*e.g. 1"),
    "floats": (np.array([0.0, 0, 0, 1, 1, 1]), "must be integers"),
    "negative": (np.array([-1, -1, -1, 0, 0, 0]), "must not be negative"),
    "too short": (np.array([0, 0, 0, 1, 1]), r"shape \(5,\), expected \(6,\)"),
}


@pytest.mark.parametrize("case", sorted(BAD))
@pytest.mark.parametrize("name", sorted(CALLS))
def test_labels_that_are_no_molecule_index_are_refused(name, case):
    ids, match = BAD[case]
    with pytest.raises(ValueError, match=match):
        CALLS[name](ids)


def test_relabelled_labels_give_whole_molecules_in_either_order():
    for labels in ([1, 1, 1, 2, 2, 2], [7, 7, 7, 3, 3, 3]):
        ids = first_appearance(labels)
        assert check_molecule_ids(ids, 6).tolist() == [0, 0, 0, 1, 1, 1]
    reverse = np.array([1, 1, 1, 0, 0, 0])  # contiguous, not in first-appearance order
    for ids in (np.array([0, 0, 0, 1, 1, 1]), reverse):
        whole = make_whole(POSITIONS, ids, CELL)
        check_whole(whole, ids, CELL, NUMBERS)
        # the chains are whole: bonded neighbours 1.5 Å apart without images
        for a, b in ((0, 1), (1, 2), (3, 4), (4, 5)):
            assert np.linalg.norm(whole[b] - whole[a]) == pytest.approx(1.5)
    com = centers_of_mass(make_whole(POSITIONS, reverse, CELL), MASSES, reverse)
    # molecule 1 is the chain along x, from 9.2 Å outwards; molecule 0 along z, its last
    # atom of double mass: (9.3 + 10.8 + 2 · 12.3) / 4
    assert com[1, 0] == pytest.approx((9.2 + 10.7 + 12.2) / 3)
    assert com[0, 2] == pytest.approx((9.3 + 10.8 + 2 * 12.3) / 4)
    assert molecule_species(NUMBERS, reverse) == ["C3", "C3"]
