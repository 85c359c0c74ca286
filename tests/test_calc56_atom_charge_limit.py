"""Charges beyond ±10 e on one atom are refused wherever a charge enters, not only from QRd.

QRd refused a base charge or a total beyond ``MAX_ATOM_CHARGE`` (±10 e per atom: no atom of a
molecule or ion carries more), but charges read from an array (``scheme="array"``), given as
``scheme="fixed"`` or passed to ``evaluate``/``lattice_parameters`` were summed as they were.
Charges in another unit are the usual cause: AMBER's prmtop stores q × 18.2223, so a neutral
NaCl box read with them gave an energy 332 × the true one (-1.3e3 eV for 2 ions, where -3.9 eV
is right), and 1e30 e gave -6.6e60 eV, each returned as a result.
"""

import numpy as np
import pytest
from ase import Atoms
from ase.calculators.calculator import InputError

from ase_electrolyte import Electrostatics
from ase_electrolyte.calculator_charges import MAX_ATOM_CHARGE, charge_values
from ase_electrolyte.electrostatics import MAX_ATOM_CHARGE as EXPORTED

AMBER = 18.2223  # prmtop charge unit: e × 18.2223 (sqrt of 332.0522 kcal Å/mol)


def nacl(charge):
    atoms = Atoms("NaCl", positions=[[0, 0, 0], [2.82, 0, 0]], cell=[6.0] * 3, pbc=True)
    atoms.set_initial_charges([charge, -charge])
    return atoms


BAD = {"AMBER units": AMBER, "just above": MAX_ATOM_CHARGE * (1 + 1e-9), "1e30": 1e30}
GOOD = {"unit": 1.0, "at the limit": MAX_ATOM_CHARGE}


def term():
    return Electrostatics(scheme="array", tolerance=1e-4)


def routes(charge):
    """Each way a charge enters the sum, as a call that evaluates."""
    atoms = nacl(charge)
    q = atoms.get_initial_charges()
    return {
        "array": lambda: Electrostatics(scheme="array", tolerance=1e-4).get_potential_energy(
            atoms),
        "fixed": lambda: Electrostatics(scheme="fixed", charges=list(q),
                                        tolerance=1e-4).get_potential_energy(atoms),
        "evaluate": lambda: term().evaluate(atoms, q)["energy"],
        "lattice_parameters": lambda: term().lattice_parameters(atoms, q),
        "molecule": lambda: Electrostatics(scheme="array").get_potential_energy(
            Atoms(atoms, pbc=False, cell=None)),
    }


ROUTES = list(routes(1.0))


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("case", list(BAD))
def test_a_charge_beyond_the_limit_is_refused(route, case):
    with pytest.raises(InputError, match=r"charge of .* e on atom 0 .*±10 e"):
        routes(BAD[case])[route]()


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("case", list(GOOD))
def test_charges_within_the_limit_are_summed(route, case):
    result = routes(GOOD[case])[route]()
    if route != "lattice_parameters":
        assert np.isfinite(result) and result < 0


def test_the_limit_is_one_number():
    assert EXPORTED is MAX_ATOM_CHARGE == 10.0
    with pytest.raises(ValueError, match=r"18\.22 e on atom 1.*prmtop"):
        charge_values([0.0, AMBER, -AMBER], "the charges")
    assert charge_values([-10.0, 10.0], "the charges").tolist() == [-10.0, 10.0]


def test_amber_charges_would_give_332_times_the_energy():
    """What the refusal stops: the sum scales as q² (so the test above has a cause)."""
    term = Electrostatics(scheme="array", tolerance=1e-4)
    unit = term.evaluate(nacl(1.0), [1.0, -1.0])["energy"]
    scaled = term.evaluate(nacl(1.0), [AMBER / 2, -AMBER / 2])["energy"]
    assert scaled / unit == pytest.approx((AMBER / 2) ** 2, rel=1e-3)
