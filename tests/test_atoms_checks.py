"""The shared structure checks every calculator and MD run applies before any work."""

import numpy as np
import pytest
from ase import Atoms
from ase.build import molecule

from ase_electrolyte import D3
from ase_electrolyte.atoms_checks import MAX_COORDINATE, check_atoms
from ase_electrolyte.calculator_errors import InputError
from ase_electrolyte.electrostatics import Electrostatics


def _water(**changes):
    atoms = molecule("H2O")
    atoms.cell = [10.0, 10.0, 10.0]
    atoms.pbc = True
    if "far" in changes:
        atoms.positions[1, 2] = changes["far"]
    if "cell" in changes:
        atoms.cell = changes["cell"]
    return atoms


@pytest.mark.parametrize("changes,match", [
    ({"far": 1e200}, r"positions beyond 1e\+08 Å for 1 atom\(s\), indices 1"),
    ({"far": -2 * MAX_COORDINATE}, r"positions beyond 1e\+08 Å"),
    ({"cell": [10.0, 10.0, 1e12]}, r"the cell has entries beyond 1e\+08 Å"),
])
def test_coordinates_beyond_a_centimetre_are_refused_by_name(changes, match):
    atoms = _water(**changes)
    with pytest.raises(ValueError, match=match):
        check_atoms(atoms)
    # the calculators say the same before any sum (scipy's k-d tree overflowed on 1e200)
    for calc in (D3(), Electrostatics(scheme="fixed", charges=[-0.8, 0.4, 0.4])):
        atoms.calc = calc
        with pytest.raises(InputError, match=match):
            atoms.get_potential_energy()


def test_large_but_molecular_coordinates_pass():
    atoms = Atoms("H2", positions=[[0, 0, 0], [0.74, 0, 0]], cell=[8.0, 8.0, 1e7], pbc=True)
    check_atoms(atoms)
    atoms.positions += 0.5 * MAX_COORDINATE
    check_atoms(atoms)
    assert np.isfinite(atoms.positions).all()
