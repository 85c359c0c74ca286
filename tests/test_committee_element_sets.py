"""A committee and an element one of its members lacks.

Members with different known element sets are refused when the committee is made
(tests/test_committee.py). A member whose set is unknown (a GAP file whose descriptors name no
species; QUIP evaluates any element without complaint) first in the list made the committee's
set unknown: an element a later member lacks passed the check, the first member was evaluated
on it, and the refusal (if any) came from the later member after that work. The committee now
checks every member's set, naming the member, before any member runs.
"""

import numpy as np
import pytest
from ase.build import bulk
from tiny_models import tiny_committee

pytest.importorskip("sevenn")

from ase.calculators.calculator import InputError  # noqa: E402

import ase_electrolyte.calculator as calculator_module  # noqa: E402
from ase_electrolyte import Calculator  # noqa: E402
from ase_electrolyte.committee import Committee  # noqa: E402


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return tiny_committee(tmp_path_factory.mktemp("tiny_committee_sets"))[1]


def _unknown_set_for(monkeypatch, path):
    """Load ``path`` as a model whose element set its file does not say."""
    load = calculator_module.load_model

    def load_without_set(model, **kwargs):
        loaded = load(model, **kwargs)
        return loaded._replace(numbers=None) if model == path else loaded

    monkeypatch.setattr(calculator_module, "load_model", load_without_set)


def _no_member_runs(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a member was evaluated")

    monkeypatch.setattr(Committee, "_members_one_by_one", refuse)
    monkeypatch.setattr(Committee, "_members_shared_graph", refuse)


def _copper_with(symbol):
    atoms = bulk("Cu", "fcc", a=3.6, cubic=True).repeat(2)
    atoms.rattle(0.05, seed=0)
    atoms.symbols[0] = symbol
    return atoms


@pytest.mark.parametrize("unknown", [0, 1])
@pytest.mark.parametrize("symbol", ["H", "Li"])
def test_an_element_a_member_lacks_is_refused_by_member_before_any_runs(
        tiny, monkeypatch, unknown, symbol):
    _unknown_set_for(monkeypatch, tiny[unknown])
    calc = Calculator(list(tiny), device="cpu")
    known = 1 - unknown
    assert calc._numbers == frozenset({29})
    atoms = _copper_with(symbol)
    atoms.calc = calc
    _no_member_runs(monkeypatch)
    with pytest.raises(InputError, match=rf"committee member {known} .* does not cover the "
                                         rf"element\(s\) {symbol}"):
        atoms.get_potential_energy()


def test_the_committee_of_an_unknown_set_member_still_evaluates_what_all_cover(
        tiny, monkeypatch):
    atoms = _copper_with("Cu")
    reference = Calculator(list(tiny), device="cpu")
    expected = reference.get_potential_energy(atoms), reference.get_forces(atoms)
    _unknown_set_for(monkeypatch, tiny[0])
    calc = Calculator(list(tiny), device="cpu")
    assert calc.get_potential_energy(atoms) == pytest.approx(expected[0], abs=1e-10)
    np.testing.assert_allclose(calc.get_forces(atoms), expected[1], atol=1e-10)
    assert calc.results["energy_std"] == pytest.approx(reference.results["energy_std"], abs=1e-10)


def test_a_committee_of_members_of_unknown_sets_checks_nothing_it_cannot_know(
        tiny, monkeypatch):
    for path in tiny:
        _unknown_set_for(monkeypatch, path)
    calc = Calculator(list(tiny), device="cpu")
    assert calc._numbers is None
