"""set_topology / get_topology: species names are names.

``None``, numbers and ``''`` were kept as the species names ``'None'``, ``'1'`` and ``''``
(IonCollection refuses such names, only when an analysis reads the finished run);
``set_topology(None, ...)`` raised "object of type 'NoneType' has no len()".
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

MOL = [0, 0, 1]
Q = [0, 0, 0]


@pytest.mark.parametrize("species, fragment", [
    ([None, None, "B"], "strings"),
    ([1, 1, 3], "strings"),
    ([1.5, 1.5, 2.0], "strings"),
    ([True, True, False], "strings"),
    (np.array(["A", "A", 3], dtype=object), "strings"),
    (["", "", "B"], "non-empty"),
    (["  ", "  ", "B"], "non-empty"),
    (["A", "A", "B "], "without whitespace"),
    (["\tA", "\tA", "B"], "without whitespace"),
])
def test_bad_names_are_refused_and_atoms_kept(species, fragment):
    atoms = Atoms("H3")
    set_topology(atoms, MOL, ["EC", "EC", "Li"], [0, 0, 1])
    before = {k: atoms.arrays[k].copy() for k in (MOLECULE_INDEX, SPECIES, FORMAL_CHARGE)}
    with pytest.raises(ValueError, match=fragment):
        set_topology(atoms, MOL, species, Q)
    for k, v in before.items():
        assert atoms.arrays[k].tolist() == v.tolist()


@pytest.mark.parametrize("species", [
    ["A", "A", "B"], [b"A", b"A", b"B"], np.array(["A", "A", "B"], dtype=object),
    np.array([b"A", b"A", b"B"]), [np.str_("A"), "A", "B"], ["my-solvent"] * 2 + ["B"],
])
def test_names_of_every_string_type_are_kept(species):
    atoms = Atoms("H3")
    set_topology(atoms, MOL, species, Q)
    names = get_topology(atoms)[SPECIES]
    assert names.dtype.kind == "U" and names.tolist()[2] == "B"
    assert names[0] == names[1]


def test_empty_atoms():
    atoms = Atoms()
    set_topology(atoms, [], [], [])
    assert get_topology(atoms)[SPECIES].size == 0


@pytest.mark.parametrize("species, fragment", [
    (np.array(["", "", "Li"]), "non-empty"),
    (np.array([1, 1, 2]), "strings"),
])
def test_get_topology_refuses_arrays_set_by_hand(species, fragment):
    atoms = Atoms("H3")
    atoms.new_array(MOLECULE_INDEX, np.array(MOL))
    atoms.new_array(SPECIES, species)
    atoms.new_array(FORMAL_CHARGE, np.array(Q))
    with pytest.raises(ValueError, match=fragment):
        get_topology(atoms)


@pytest.mark.parametrize("atoms", [None, "atoms", [Atoms("H")]])
def test_set_topology_needs_atoms(atoms):
    with pytest.raises(TypeError, match="needs an ase.Atoms"):
        set_topology(atoms, [0], ["A"], [0])
