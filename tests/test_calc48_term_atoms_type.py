"""The public methods of an Electrostatics term that take a structure refuse anything but an
``ase.Atoms`` by type.

``evaluate([atoms], q)`` ended in "'list' object has no attribute 'positions'",
``get_charges([atoms])`` in "... no attribute 'numbers'", ``check_input(None)`` in "...
'get_chemical_symbols'", ``total_charge([atoms])`` in "... no attribute 'info'".
"""

import pytest
from ase.build import bulk

from ase_electrolyte import Electrostatics

Q = {"Na": (1.0, 1.0), "Cl": (-1.0, 1.0)}


def _nacl():
    return bulk("NaCl", "rocksalt", a=5.64, cubic=True)


CALLS = {
    "evaluate": lambda c, x: c.evaluate(x, [1.0, -1.0] * 4),
    "lattice_parameters": lambda c, x: c.lattice_parameters(x, [1.0, -1.0] * 4),
    "get_charges": lambda c, x: c.get_charges(x),
    "total_charge": lambda c, x: c.total_charge(x),
    "check_input": lambda c, x: c.check_input(x),
    "check_elements": lambda c, x: c.check_elements(x),
}


@pytest.mark.parametrize("wrong", [lambda: [_nacl()], lambda: "nacl.xyz", lambda: 5,
                                   lambda: _nacl().positions],
                         ids=["list-of-atoms", "path", "int", "positions"])
@pytest.mark.parametrize("method", sorted(CALLS))
def test_a_structure_that_is_no_atoms_is_refused_by_type(method, wrong):
    with pytest.raises((TypeError, ValueError), match="atoms must be an ase.Atoms, not a"):
        CALLS[method](Electrostatics(qrd=Q), wrong())


def test_check_input_of_none_is_refused_by_type():
    with pytest.raises((TypeError, ValueError), match="atoms must be an ase.Atoms, not a NoneType"):
        Electrostatics(qrd=Q).check_input(None)


@pytest.mark.parametrize("method", sorted(CALLS))
def test_atoms_still_pass(method):
    CALLS[method](Electrostatics(qrd=Q), _nacl())
