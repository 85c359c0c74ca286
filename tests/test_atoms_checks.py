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


@pytest.mark.parametrize("hint", [None, "drop this factor"])
def test_overlap_message_ends_with_the_callers_hint(hint):
    # a caller whose own operation made the close pair (a volume scan's scale factor) says
    # what to do instead of blaming the structure; the pair and distance are named either way
    from ase_electrolyte.atoms_checks import check_overlaps

    atoms = Atoms("H2O", positions=[[0, 0, 0], [0.05, 0, 0], [3, 0, 0]])
    kwargs = {} if hint is None else {"hint": hint}
    with pytest.raises(ValueError) as info:
        check_overlaps(atoms, 0.1, what="scan", **kwargs)
    message = str(info.value)
    assert message.startswith("scan: atoms closer than 0.1 Å: H0-H1 at 0.05 Å")
    assert message.endswith(hint or "fix the structure (duplicated atoms? wrong cell?)")
    check_overlaps(atoms[[0, 2]], 0.1)


@pytest.mark.parametrize("zero", [0, 1, 2])
def test_a_zero_cell_vector_is_left_to_check_atoms_not_divided_by(zero):
    # check_number_density divided by the product of the lengths: ZeroDivisionError for any
    # caller that had not run check_atoms first; check_atoms is what names the vector
    from ase_electrolyte.atoms_checks import check_number_density

    cell = np.diag([10.0, 10.0, 10.0])
    cell[zero] = 0.0
    atoms = Atoms("H2", positions=[[0, 0, 0], [0.74, 0, 0]], cell=cell, pbc=True)
    check_number_density(atoms)
    with pytest.raises((ValueError, InputError), match="cell"):
        check_atoms(atoms)
    dense = Atoms("H2", positions=[[0, 0, 0], [0.74, 0, 0]], cell=np.eye(3) * 1.2, pbc=True)
    with pytest.raises(ValueError, match="atoms/Å³.*cell in nm"):
        check_number_density(dense)
