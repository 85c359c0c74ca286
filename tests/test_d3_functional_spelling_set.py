"""Another spelling of the same functional is no change of a D3 term.

``D3(functional="pbe").set(functional="PBE")`` reported ``{'functional': 'PBE'}`` as changed and
threw the results away (a model call more per ``set`` in a loop that spelled it otherwise), as
the damping had done before it was stored by its one name. The functional is now stored by its
table name, which simple-dftd3 reads the same way.
"""

import numpy as np
import pytest
from ase.build import molecule

from ase_electrolyte.d3 import D3


@pytest.mark.parametrize("first,other", [("pbe", "PBE"), ("b3lyp", "B3-LYP"),
                                         ("PBE0", "pbe0"), ("revpbe", "revPBE")])
def test_another_spelling_keeps_the_term_and_its_results(first, other):
    atoms = molecule("CH3CH2OH")
    calc = D3(functional=first, damping="bj")
    atoms.calc = calc
    energy = atoms.get_potential_energy()
    assert calc.set(functional=other) == {}
    assert calc.results["energy"] == energy          # not thrown away
    fresh = D3(functional=other, damping="bj")
    assert fresh.todict() == calc.todict()
    assert fresh.get_potential_energy(atoms.copy()) == pytest.approx(energy, rel=1e-14)


def test_another_functional_is_a_change():
    atoms = molecule("CH3CH2OH")
    calc = D3(functional="pbe", damping="bj")
    atoms.calc = calc
    e_pbe = atoms.get_potential_energy()
    assert calc.set(functional="B3LYP") == {"functional": "b3lyp"}
    assert not calc.results
    assert not np.isclose(atoms.get_potential_energy(), e_pbe, rtol=1e-6)
