"""species_from_formula reads a molecule's atoms as symbols, atomic numbers or a formula.

Atomic numbers (``atoms.numbers``, the natural input beside ``get_chemical_symbols()``) failed
with "unsupported operand type(s) for +: 'int' and 'str'"; symbols that are no elements
(``'h'``, ``'X'``) returned None, as a molecule outside the library does, so a misspelling was
read as an unknown molecule; ``None`` was "'NoneType' object is not iterable".
"""

import numpy as np
import pytest
from ase import Atoms
from ase.build import molecule

from ase_electrolyte.species import IONS, SOLVENTS, species_from_formula


@pytest.mark.parametrize("name", [*SOLVENTS, *IONS])
def test_every_library_species_by_symbols_numbers_and_formula(name):
    atoms = Atoms({**SOLVENTS, **IONS}[name].symbols)
    for given in (atoms.get_chemical_symbols(), list(atoms.numbers), atoms.numbers,
                  atoms.get_chemical_formula()):
        assert species_from_formula(given).name == name


def test_a_molecule_outside_the_library_is_none_however_given():
    methane = molecule("CH4")
    for given in (methane.get_chemical_symbols(), methane.numbers, "CH4"):
        assert species_from_formula(given) is None


@pytest.mark.parametrize("symbols, match", [
    (["h", "o", "h"], r"\['h', 'o'\].*no chemical elements"),
    (["X", "H"], r"\['X'\].*no chemical elements"),
    ([1.0, 8.0, 1.0], "no chemical elements"),
    ([True, False], "no chemical elements"),
    ([0, 1], r"atomic numbers \[0\]"),
    ([1, 200], r"atomic numbers \[200\]"),
    (np.array([-1, 8]), r"atomic numbers \[-1\]"),
])
def test_what_is_no_element_is_refused(symbols, match):
    with pytest.raises(ValueError, match=match):
        species_from_formula(symbols)


@pytest.mark.parametrize("value", [None, 5, 8.0, {"H", "O"}])
def test_what_is_no_sequence_is_refused_by_type(value):
    with pytest.raises(TypeError, match="chemical symbols, atomic numbers or a formula"):
        species_from_formula(value)
