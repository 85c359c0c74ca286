"""``calc.set`` with the summed term it already has (the same spec, dict or file) changes
nothing: ASE's ``set`` returns the changed options only and keeps the results otherwise.

Before, every ``set(dispersion="d3-bj")`` built a new D3, reported ``dispersion`` as changed
and threw the results away: an MD loop or a script setting the same options each step paid
for the model every time (measured: one model call per repeated ``set``).
"""

from __future__ import annotations

import pytest
from ase.build import bulk
from test_calculator_faults import CountingEMT, emt_model  # noqa: F401

QRD = {"scheme": "qrd", "qrd": {"Cu": (0.0, 1.0)}}


def _box():
    atoms = bulk("Cu", "fcc", a=3.6, cubic=True)
    atoms.rattle(0.05, seed=1)
    return atoms


@pytest.mark.parametrize(("option", "first", "again", "other"), [
    ("dispersion", "d3-bj", "D3(BJ)", "d3-zero"),
    ("dispersion", "d3-bj", {"damping": "bj"}, {"damping": "bj", "cutoff": 30.0}),
    ("electrostatics", QRD, dict(QRD), {**QRD, "tolerance": 1e-4}),
])
def test_setting_the_same_term_again_keeps_term_and_results(
        emt_model, option, first, again, other):  # noqa: F811
    calc = emt_model(**{option: first})
    atoms = _box()
    atoms.calc = calc
    energy = atoms.get_potential_energy()
    term = getattr(calc, option)
    calls = CountingEMT.calls
    assert calc.set(**{option: again}) == {}
    assert getattr(calc, option) is term
    assert atoms.get_potential_energy() == energy
    assert CountingEMT.calls == calls  # the results stood
    # another term is a change: reported, rebuilt, evaluated again
    assert set(calc.set(**{option: other})) == {option}
    assert getattr(calc, option) is not term
    atoms.get_potential_energy()
    assert CountingEMT.calls == calls + 1


def test_a_term_instance_given_is_the_callers(emt_model):  # noqa: F811
    """An instance handed in is used as it is, even when equal to the one built before."""
    from ase_electrolyte.d3 import D3

    calc = emt_model(dispersion="d3-bj")
    mine = D3(damping="bj", device="cpu")
    assert set(calc.set(dispersion=mine)) == {"dispersion"}
    assert calc.dispersion is mine
