"""``quantities`` of IntraInterErrors: one name, a name in another case and a list of names
ask for the same comparison; a near miss is named.

``quantities="forces"`` was read letter by letter ("unknown quantity 'f'") and ``["Forces"]``
refused, where the list ``["forces"]`` ran.
"""

import numpy as np
import pytest
from ase.build import molecule
from ase.calculators.emt import EMT
from ase.calculators.lj import LennardJones

from mda_electrolyte.intra_inter_errors import IntraInterErrors


def _frames():
    out = []
    for seed in range(3):
        a, b = molecule("H2O"), molecule("H2O")
        b.positions += [3.0, 0.2 * seed, 0.0]
        pair = a + b
        pair.rattle(0.02, seed=seed)
        pair.arrays["molecule_index"] = np.array([0, 0, 0, 1, 1, 1])
        out.append(pair)
    return out


def _rmse(quantities):
    r = IntraInterErrors(_frames(), EMT(), reference=LennardJones(sigma=1.2, rc=6.0),
                         quantities=quantities).run().results
    return {c: {q: e.value for q, e in v.items()} for c, v in r.rmse.items()}


def test_one_name_and_any_case_are_the_list_of_that_name():
    listed = _rmse(["forces"])
    assert set(listed["total"]) == {"forces"} and listed["total"]["forces"] > 0
    assert _rmse("forces") == listed
    assert _rmse(("Forces",)) == listed
    assert _rmse(" ENERGY ")["total"].keys() == {"energy"}


@pytest.mark.parametrize("given, match", [
    ("force", r"unknown quantity 'force' in quantities \(did you mean 'forces'\?\)"),
    (["energy", "stres"], r"'stres' .*did you mean 'stress'"),
    (["virial"], r"unknown quantity 'virial'.*choose from energy, forces, stress"),
])
def test_unknown_names_are_refused_naming_the_nearest(given, match):
    with pytest.raises(ValueError, match=match):
        IntraInterErrors(_frames(), EMT(), reference=LennardJones(), quantities=given)


def test_a_quantities_that_is_no_name_or_sequence_is_a_type_error():
    with pytest.raises(TypeError, match="quantities must be a name or a sequence"):
        IntraInterErrors(_frames(), EMT(), reference=LennardJones(), quantities=5)
