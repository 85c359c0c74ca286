"""D3 and Electrostatics: ``get_properties`` reads its names, and a structure that is no
``ase.Atoms`` is refused by type without spoiling the calculator.

``get_properties("energy", atoms)`` iterated the string letter by letter and returned ``{}``,
``get_properties(["energy", "forcez"], atoms)`` skipped the misspelt name; ``D3`` given a list
stored it as its structure, and every later call on real Atoms failed with "'list' object has
no attribute 'cell'"; an Electrostatics term that had computed once failed so on a list.
"""

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.calculator import PropertyNotImplementedError

from ase_electrolyte import Electrostatics
from ase_electrolyte.d3 import D3

MAKERS = {
    "D3": lambda: D3(device="cpu", cutoff=9.0, cn_cutoff=7.0),
    "Electrostatics": lambda: Electrostatics(qrd={"Na": (1.0, 1.0), "Cl": (-1.0, 1.0)}),
}


def _nacl():
    return bulk("NaCl", "rocksalt", a=5.64, cubic=True)


@pytest.mark.parametrize("name", sorted(MAKERS))
@pytest.mark.parametrize("prop", ["energy", "forces", "stress", "energies"])
def test_one_property_named_as_a_string_is_that_property(name, prop):
    calc = MAKERS[name]()
    got = calc.get_properties(prop, _nacl())
    assert list(got) == [prop]
    reference = MAKERS[name]().get_properties([prop], _nacl())[prop]
    assert np.allclose(got[prop], reference, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", sorted(MAKERS))
@pytest.mark.parametrize("props", [["energy", "forcez"], "magmoms", ["Energy"]], ids=repr)
def test_a_property_the_calculator_does_not_implement_is_named(name, props):
    with pytest.raises(PropertyNotImplementedError, match="implements the properties"):
        MAKERS[name]().get_properties(props, _nacl())


def test_charges_are_electrostatics_own():
    # Electrostatics gives the charges it sums (test_calc51_summed_charges); D3 has none
    with pytest.raises(PropertyNotImplementedError, match="implements the properties"):
        MAKERS["D3"]().get_properties("charges", _nacl())
    got = MAKERS["Electrostatics"]().get_properties("charges", _nacl())
    assert np.array_equal(got["charges"], np.tile([1.0, -1.0], 4))


@pytest.mark.parametrize("name", sorted(MAKERS))
@pytest.mark.parametrize("computed_first", [False, True])
@pytest.mark.parametrize("wrong", [lambda: [_nacl()], lambda: "nacl.xyz", lambda: 5],
                         ids=["list", "str", "int"])
def test_a_non_atoms_is_refused_and_the_calculator_still_works(name, computed_first, wrong):
    calc = MAKERS[name]()
    expected = MAKERS[name]().get_potential_energy(_nacl())
    if computed_first:
        calc.get_potential_energy(_nacl())
    with pytest.raises((TypeError, ValueError), match="atoms must be an ase.Atoms, not a"):
        calc.get_potential_energy(wrong())
    atoms = _nacl()
    atoms.rattle(0.01, seed=1)  # a new structure, so that nothing cached can answer
    fresh = MAKERS[name]().get_potential_energy(atoms)
    assert calc.get_potential_energy(atoms) == pytest.approx(fresh, abs=1e-10)
    assert calc.get_potential_energy(_nacl()) == pytest.approx(expected, abs=1e-10)
