"""An Electrostatics term whose charges are zero on every structure it accepts is refused.

``scheme="fixed"`` with every charge 0, and ``scheme="qrd"`` with every b and s 0, summed every
pair at the cost of a lattice sum and returned exactly 0 eV, 0 forces and 0 stress as a valid
Coulomb term (rocksalt NaCl: 0.0 eV where its ±1 charges give -8.92 eV): the term was missing
without a word. D3 refuses scales that make it add exactly 0 alike.
"""

import json

import numpy as np
import pytest
from ase import Atoms

from ase_electrolyte.electrostatics import Electrostatics

ZERO_FIXED = {
    "ints": [0, 0],
    "floats": [0.0, 0.0],
    "signed zero": [0.0, -0.0],
    "numpy": np.zeros(2),
    "tuple": (0, 0.0),
}
ZERO_QRD = {
    "symbols": {"Na": (0.0, 0.0), "Cl": (0.0, 0.0)},
    "numbers": {11: (0, 0), 17: (0, 0)},
    "dict form": {"Na": {"b": 0.0, "s": 0.0}, "Cl": {"b": 0.0, "s": 0.0}},
}
CASES = {**{f"fixed {k}": {"scheme": "fixed", "charges": v} for k, v in ZERO_FIXED.items()},
         **{f"qrd {k}": {"scheme": "qrd", "qrd": v} for k, v in ZERO_QRD.items()}}


def nacl():
    """A Na-Cl pair 2.5 Å apart (a direct sum: no lattice tuning to wait for)."""
    return Atoms("NaCl", positions=[[0, 0, 0], [2.5, 0, 0]])


def expected(options):
    return ("charges 0 adds exactly 0" if options["scheme"] == "fixed"
            else "every b and s 0 gives charges 0")


@pytest.mark.parametrize("case", list(CASES))
def test_made_with_zero_charges_is_refused(case):
    with pytest.raises(ValueError, match=expected(CASES[case])):
        Electrostatics(**CASES[case])


@pytest.mark.parametrize("case", list(CASES))
def test_set_to_zero_charges_is_refused_and_changes_nothing(case):
    options = CASES[case]
    good = ({"scheme": "fixed", "charges": [1.0, -1.0]} if options["scheme"] == "fixed"
            else {"scheme": "qrd", "qrd": {"Na": (1.0, 1.0), "Cl": (-1.0, 1.0)}})
    calc = Electrostatics(**good)
    atoms = nacl()
    atoms.calc = calc
    energy = atoms.get_potential_energy()
    with pytest.raises(ValueError, match=expected(options)):
        calc.set(**options)
    assert atoms.get_potential_energy() == energy < -5.0


@pytest.mark.parametrize("case", [c for c in CASES if c.endswith(("floats", "symbols"))])
def test_a_saved_term_of_zero_charges_is_refused_on_loading(tmp_path, case):
    options = CASES[case]
    data = {"format": "ase_electrolyte.Electrostatics", "version": 1,
            "units": Electrostatics(scheme="fixed", charges=[1.0]).todict_json()["units"],
            **({"charges": options["charges"]} if options["scheme"] == "fixed" else
               {"qrd": {el: {"b": b, "s": s} for el, (b, s) in options["qrd"].items()}}),
            "scheme": options["scheme"]}
    path = tmp_path / "term.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match=expected(options)):
        Electrostatics.load(path)


def test_charges_that_are_not_all_zero_are_taken():
    # a zero b with a nonzero s: an isolated ion still gets its charge, so the term does act
    ion = Atoms("Na", positions=[[0, 0, 0]], info={"charge": 1})
    calc = Electrostatics(scheme="qrd", qrd={"Na": (0.0, 1.0), "Cl": (0.0, 1.0)})
    np.testing.assert_allclose(calc.get_charges(ion), [1.0])
    pair = Atoms("NaCl", positions=[[0, 0, 0], [2.5, 0, 0]])
    energy = Electrostatics(scheme="fixed", charges=[0.0, -1e-3]).get_potential_energy(pair)
    assert energy == 0.0  # one charge: no pair, but the options themselves are not idle
    assert Electrostatics(scheme="fixed", charges=[0.5, -0.5]).get_potential_energy(pair) < 0
