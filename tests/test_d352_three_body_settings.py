"""Three-body (ATM) parameters given where they have no effect are refused.

Before: with ``atm=False``, ``params={"s9": 0.3}`` (every damping) and ``params={"alp": 20}``
(BJ, modified BJ, optimized power, CSO: there alp is the ATM damping's exponent alone) were
taken and changed nothing (ethanol, BJ: -0.115874607069 eV for all three), and
``atm=True`` with s9 = 0 ran the triple loop to add exactly 0.
"""

import pytest
from ase.build import molecule

from ase_electrolyte.d3 import D3
from ase_electrolyte.d3.parameters import THREE_BODY_ALP, known_dampings, resolve_parameters

DAMPINGS = known_dampings()


def energy(**kwargs):
    atoms = molecule("CH3CH2OH")
    atoms.calc = D3(device="cpu", **kwargs)
    return atoms.get_potential_energy()


@pytest.mark.parametrize("damping", DAMPINGS)
@pytest.mark.parametrize("key, value", [("alp", 20.0), ("s9", 0.3)])
def test_a_parameter_changes_the_energy_or_is_refused(damping, key, value):
    """Each three-body setting with atm off: taken exactly where it changes the energy."""
    plain = energy(damping=damping)
    acts = key == "alp" and damping not in THREE_BODY_ALP
    if acts:
        assert energy(damping=damping, params={key: value}) != pytest.approx(plain, rel=1e-6)
    else:
        with pytest.raises(ValueError, match=rf"\['{key}'\] act on the three-body ATM term"):
            D3(damping=damping, params={key: value}, device="cpu")
        with pytest.raises(ValueError, match="atm=False leaves out"):
            resolve_parameters(damping, "pbe", {key: value}, atm=False)
        # with the ATM term on it acts, and the energy is simple-dftd3's
        with_atm = energy(damping=damping, params={key: value}, atm=True)
        assert with_atm != pytest.approx(energy(damping=damping, atm=True), rel=1e-6)


# the parameters each damping class of simple-dftd3 takes (test_d3_parameters.KEYS)
KEYS = {"bj": ("s6", "s8", "a1", "a2", "alp"), "zero": ("s6", "s8", "rs6", "rs8", "alp"),
        "cso": ("s6", "a1", "a2", "a3", "a4", "alp")}


@pytest.mark.parametrize("damping", sorted(KEYS))
def test_taken_three_body_parameters_match_simple_dftd3(damping):
    from ase.units import Bohr, Hartree
    from dftd3.interface import DispersionModel
    from test_d3 import REF_PARAM

    atoms = molecule("CH3CH2OH")
    calc = D3(device="cpu", damping=damping, params={"alp": 20.0, "s9": 0.3}, atm=True)
    atoms.calc = calc
    ours = atoms.get_potential_energy()
    p = calc.method_parameters
    model = DispersionModel(atoms.numbers, atoms.positions / Bohr)
    model.set_realspace_cutoff(50.2 / Bohr, 40.0, 20.0 / Bohr, 0.0, 0.0)
    param = REF_PARAM[damping](**{k: p[k] for k in KEYS[damping]}, s9=0.3)
    ref = model.get_dispersion(param, grad=False)["energy"] * Hartree
    assert ours == pytest.approx(ref, rel=1e-10)
    assert ours != pytest.approx(energy(damping=damping, atm=True), rel=1e-6)


@pytest.mark.parametrize("damping", DAMPINGS)
def test_s9_zero_is_consistent_with_atm_off_and_refused_with_it_on(damping):
    assert energy(damping=damping, params={"s9": 0.0}) == energy(damping=damping)
    with pytest.raises(ValueError, match=r"atm=True with s9 = 0"):
        D3(damping=damping, params={"s9": 0.0}, atm=True, device="cpu")


def test_set_that_turns_the_atm_term_off_under_its_parameters_is_refused():
    calc = D3(device="cpu", atm=True, params={"s9": 0.5, "alp": 16.0})
    with pytest.raises(ValueError, match=r"\['alp', 's9'\] act on the three-body ATM term"):
        calc.set(atm=False)
    assert calc.atm is True and calc.method_parameters["s9"] == 0.5
    calc.set(atm=False, params=None)
    assert calc.method_parameters["s9"] == 0.0
