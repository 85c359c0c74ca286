"""A D3 parameter set whose two-body term is scaled away (s6 = s8 = 0; CSO s6 = a1 = 0).

Before: without the ATM term it was taken and added exactly 0 eV at the cost of the pair
loops; with it, ``cutoff``, ``smooth_cutoff`` were taken and changed nothing (rattled LiF,
ATM only: 0.0965078 eV for cutoff 10 or 50.2 Å, with or without a 2 Å switch), and
``tail_correction`` ran the kernel and then failed with "the integral of the damped pair terms
... did not converge" (an integrand of exactly 0 meets no relative precision).
"""

import numpy as np
import pytest
from ase.build import bulk, molecule
from ase.calculators.calculator import InputError

from ase_electrolyte.d3 import D3

OFF = {"bj": {"s6": 0.0, "s8": 0.0}, "zero": {"s6": 0.0, "s8": 0.0},
       "bjm": {"s6": 0.0, "s8": 0.0}, "zerom": {"s6": 0.0, "s8": 0.0},
       "op": {"s6": 0.0, "s8": 0.0}, "cso": {"s6": 0.0, "a1": 0.0}}
SHORT = dict(cn_cutoff=8.1, atm_cutoff=7.3)
TWO_BODY = dict(cn_cutoff=8.1)  # atm_cutoff is refused without the ATM term


def crystal():
    atoms = bulk("LiF", "rocksalt", a=4.03, cubic=True)
    atoms.rattle(0.05, seed=1)
    return atoms


def results(damping, **kwargs):
    atoms = crystal()
    atoms.calc = D3(device="cpu", damping=damping, **(SHORT if kwargs.get("atm") else TWO_BODY),
                    **kwargs)
    return atoms.get_potential_energy(), atoms.get_forces(), atoms.get_stress()


@pytest.mark.parametrize("damping", sorted(OFF))
def test_nothing_on_is_refused(damping):
    with pytest.raises(InputError, match=r"and atm=False adds exactly 0"):
        D3(device="cpu", damping=damping, params=OFF[damping])
    # set() of the scales under atm=False too, leaving the calculator as it was
    calc = D3(device="cpu", damping=damping)
    before = calc.todict()
    with pytest.raises(InputError, match="adds exactly 0"):
        calc.set(params=OFF[damping])
    assert calc.todict() == before


@pytest.mark.parametrize("damping", sorted(OFF))
@pytest.mark.parametrize("option", [{"cutoff": 10.0}, {"smooth_cutoff": 2.0},
                                    {"tail_correction": True}])
def test_two_body_options_of_an_atm_only_set_are_refused(damping, option):
    with pytest.raises(InputError, match=r"act\(s\) on the two-body term only"):
        D3(device="cpu", damping=damping, params=OFF[damping], atm=True, **SHORT, **option)
    calc = D3(device="cpu", damping=damping, params=OFF[damping], atm=True, **SHORT)
    with pytest.raises(InputError, match="two-body term only"):
        calc.set(**option)


@pytest.mark.parametrize("damping", sorted(OFF))
def test_an_atm_only_set_is_the_atm_term(damping):
    # the ATM-only energy is the full energy less the two-body one: the scales act on the
    # two-body term alone (and every option left at its default is taken)
    full = results(damping, atm=True)
    two_body = results(damping)
    atm_only = results(damping, atm=True, params=OFF[damping])
    assert atm_only[0] == pytest.approx(full[0] - two_body[0], rel=1e-10, abs=1e-12)
    for k in (1, 2):
        assert np.abs(atm_only[k] - (full[k] - two_body[k])).max() < 1e-10
    assert atm_only[0] != 0.0


@pytest.mark.parametrize("damping", sorted(OFF))
def test_one_scale_left_on_is_taken(damping):
    # only the exact zero of both scales is refused: the C6 term alone (s8 = 0) still acts
    keep = {"cso": {"a1": 0.0}}.get(damping, {"s8": 0.0})
    atoms = molecule("CH3CH2OH")
    atoms.calc = D3(device="cpu", damping=damping, params=keep, cutoff=10.0)
    assert atoms.get_potential_energy() < 0.0
