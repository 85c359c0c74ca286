"""A functional whose every tabulated value ``params`` replaces is refused (or, as the
constructor's default, recorded as no source); parameter keys come back as plain text.

Before: ``D3(functional="b3lyp", params={s6, s8, a1, a2})`` was taken, gave the same energy as
any other functional with those params (ethanol: -0.115874607069 eV for "b3lyp" and "pbe")
and ``todict()`` recorded "b3lyp" as the parameters' source; params with keys of several
types were refused with "'<' not supported between instances of 'str' and 'int'", and a
numpy string key was stored as ``np.str_`` in ``todict()``.
"""

import numpy as np
import pytest
from ase.build import molecule
from ase.calculators.calculator import InputError

from ase_electrolyte.d3 import D3
from ase_electrolyte.d3.parameters import _database, functional_is_idle, resolve_parameters

# every damping, with two functionals that have its parameters
CASES = [("bj", "pbe", "b3lyp"), ("zero", "pbe", "tpss"), ("bjm", "pbe", "b3lyp"),
         ("zerom", "pbe", "b3lyp"), ("op", "pbe", "pbe0"), ("cso", "pbe", "b3lyp")]


def table_values(damping, functional):
    """What the functional's entry gives, as the params keys that replace it."""
    entry = _database()["functionals"][functional][damping]
    values = {k: float(v) for k, v in entry.items() if k not in ("doi", "damping")}
    if damping != "cso":
        values.setdefault("s8", 0.0)
    return values


def energy(**kwargs):
    atoms = molecule("CH3CH2OH")
    atoms.calc = D3(device="cpu", cutoff=12.0, cn_cutoff=9.0, **kwargs)
    return atoms.get_potential_energy()


@pytest.mark.parametrize("damping, first, second", CASES)
def test_a_replaced_functional_is_refused_and_changes_nothing(damping, first, second):
    params = table_values(damping, first)
    assert functional_is_idle(damping, second, params)
    # the functional is indeed without effect: the same numbers with either
    same = [resolve_parameters(damping, f, params, atm=False) for f in (first, second, None)]
    assert same[0] == same[1] == same[2]
    with pytest.raises(InputError, match=r"replace every value of the D3\(\w+\) parameters of "
                                         rf"functional '{second}'"):
        D3(device="cpu", damping=damping, functional=second, params=params)
    # given as None, it is taken: the energy is the first functional's own
    assert energy(damping=damping, functional=None, params=params) == pytest.approx(
        energy(damping=damping, functional=first), rel=1e-12)
    # set() of a functional under such params is refused too, nothing changed
    calc = D3(device="cpu", damping=damping, functional=None, params=params)
    before = calc.todict()
    with pytest.raises(InputError, match="would change nothing"):
        calc.set(functional=second)
    assert calc.todict() == before


@pytest.mark.parametrize("damping, first, second", CASES)
def test_the_default_functional_under_complete_params_is_recorded_as_none(damping, first,
                                                                         second):
    params = table_values(damping, second)
    calc = D3(device="cpu", damping=damping, params=params)  # functional left at "pbe"
    assert calc.functional is None
    assert D3(**calc.todict()).todict() == calc.todict()
    # one value left to the functional keeps it as the source
    partial = dict(params)
    partial.pop(sorted(partial)[0])
    kept = D3(device="cpu", damping=damping, functional=second, params=partial)
    assert kept.functional == second
    assert not functional_is_idle(damping, second, partial)


@pytest.mark.parametrize("params, shown", [({1: 0.5, "zz": 1.0}, r"\['zz', 1\]"),
                                           ({("a",): 1.0, 2.5: 1.0}, r"\[\('a',\), 2\.5\]")])
def test_unknown_keys_of_several_types_are_named(params, shown):
    with pytest.raises(InputError, match=rf"unknown D3 parameter\(s\) {shown}"):
        D3(device="cpu", params=params)


def test_numpy_string_keys_are_recorded_as_text():
    calc = D3(device="cpu", params={np.str_("a1"): 0.5})
    assert [type(k) for k in calc.todict()["params"]] == [str]
    assert calc.method_parameters["a1"] == 0.5
