"""``set_topology`` refuses indices and charges that are no whole numbers, and leaves the Atoms
as it was when it refuses.

The arrays were cast as they came: molecule index 0.5 became 0 (two molecules merged into one),
NaN the index -9223372036854775808, -1 was stored (and refused only later by ``get_topology``),
a fractional formal charge (a partial charge of a force field, 0.834) was truncated to 0; and a
refusal of the third array left the first already replaced.
"""

import numpy as np
import pytest
from ase import Atoms

from ase_electrolyte.topology import (
    FORMAL_CHARGE,
    MOLECULE_INDEX,
    SPECIES,
    get_topology,
    set_topology,
)


def _atoms():
    atoms = Atoms("OH2", positions=[[0, 0, 0], [0.96, 0, 0], [-0.24, 0.93, 0]])
    set_topology(atoms, [0, 0, 0], ["H2O"] * 3, [0, 0, 0])
    return atoms


@pytest.mark.parametrize("index, charge, match", [
    ([0, 0.5, 1], [0, 0, 0], "molecule_index.*whole numbers"),
    ([0, np.nan, 1], [0, 0, 0], "molecule_index.*whole numbers"),
    ([0, np.inf, 1], [0, 0, 0], "molecule_index.*whole numbers"),
    ([0, -1, 1], [0, 0, 0], "negative molecule_index"),
    ([True, False, True], [0, 0, 0], "molecule_index.*whole numbers"),
    (["0", "1", "2"], [0, 0, 0], "molecule_index.*whole numbers"),
    ([0, 1, 2], [-0.834, 0.417, 0.417], "formal_charge.*whole numbers"),
    ([0, 1, 2], [0, np.nan, 0], "formal_charge.*whole numbers"),
    ([0, 1], [0, 0, 0], r"molecule_index has shape \(2,\)"),
    ([0, 1, 2], [0, 0], r"formal_charge has shape \(2,\)"),
])
def test_bad_arrays_are_refused_and_the_atoms_kept(index, charge, match):
    atoms = _atoms()
    before = {k: atoms.arrays[k].copy() for k in (MOLECULE_INDEX, SPECIES, FORMAL_CHARGE)}
    with pytest.raises(ValueError, match=match):
        set_topology(atoms, index, ["A", "B", "C"], charge)
    for key, value in before.items():
        assert np.array_equal(atoms.arrays[key], value), key


@pytest.mark.parametrize("index, charge", [
    ([0, 1, 2], [1, -1, 0]),
    (np.array([0, 1, 1], dtype=np.uint8), np.array([1.0, -1.0, 0.0])),
    (np.array([0.0, 0.0, 1.0]), np.array([0, 0, 0], dtype=np.int32)),
])
def test_whole_numbers_of_any_dtype_are_stored_as_int64(index, charge):
    atoms = _atoms()
    set_topology(atoms, index, ["A", "B", "B"], charge)
    top = get_topology(atoms)
    assert top[MOLECULE_INDEX].dtype == np.int64 and top[FORMAL_CHARGE].dtype == np.int64
    assert top[MOLECULE_INDEX].tolist() == [int(x) for x in index]
    assert top[FORMAL_CHARGE].tolist() == [int(x) for x in charge]


def test_an_empty_atoms_takes_empty_arrays():
    atoms = Atoms()
    set_topology(atoms, [], [], [])
    assert get_topology(atoms)[MOLECULE_INDEX].dtype == np.int64
