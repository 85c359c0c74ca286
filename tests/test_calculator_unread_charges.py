"""A Calculator without an Electrostatics term (MLIP, MLIP + D3) reads no per-atom charges:
``initial_charges`` whose sum is not the declared net charge give an ``UnreadChargesWarning``.

Before, a cation given only as ``set_initial_charges([1, 0])`` (as xTB-style codes take it) was
evaluated as the neutral structure without a word, while the same Atoms given to
Electrostatics warned.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from test_calculator_declared_charge import _pair
from test_calculator_faults import EMT_NUMBERS, CountingEMT, emt_model  # noqa: F401

import ase_electrolyte
from ase_electrolyte.electrostatics import UnreadChargesWarning
from ase_electrolyte.topology import FORMAL_CHARGE


def _energy(calc, atoms):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        atoms.calc = calc
        energy = atoms.get_potential_energy()
    return energy, [w for w in caught if issubclass(w.category, UnreadChargesWarning)]


@pytest.mark.parametrize(("info", "formal", "initial", "warned"), [
    (None, None, [1.0, 0.0], True),         # a cation declared only in initial_charges
    (0, None, [0.5, 0.5], True),            # declared neutral, charges sum to +1
    (None, [0, -1], [0.0, 1.0], True),      # formal -1, initial +1
    (None, None, None, False),              # ASE's default zeros
    (None, None, [0.3, -0.3], False),       # partial charges of a neutral structure
    (1, None, [0.6, 0.4], False),           # they sum to the declared charge
    (None, [1, 0], [1.0, 0.0], False),
    (-1.0, None, [-0.5 + 4e-7, -0.5], False),  # within 1e-6 e
])
def test_unread_initial_charges_warn_against_the_declared_charge(
        emt_model, info, formal, initial, warned):  # noqa: F811
    atoms = _pair(info=info, formal=formal, initial=initial)
    before = {k: v.copy() for k, v in atoms.arrays.items()}
    energy, caught = _energy(emt_model(), atoms)
    assert len(caught) == int(warned)
    if warned:
        message = str(caught[0].message)
        assert f"sum to {sum(initial):.6g} e" in message and "'sevennet-0'" in message
    # the numbers are the model's, and the caller's arrays are left as they were
    plain = _pair()
    plain.calc = CountingEMT()
    assert energy == pytest.approx(plain.get_potential_energy(), abs=1e-12)
    assert all(np.array_equal(before[k], atoms.arrays[k]) for k in before)


def test_warned_once_per_calculator_and_sum_until_the_options_change(emt_model):  # noqa: F811
    calc = emt_model()
    atoms = _pair(initial=[1.0, 0.0])
    assert len(_energy(calc, atoms)[1]) == 1
    atoms.positions[1, 0] += 0.1            # a new evaluation, the same sum: said already
    assert len(_energy(calc, atoms)[1]) == 0
    atoms.set_initial_charges([1.0, 1.0])   # another sum
    assert len(_energy(calc, atoms)[1]) == 1
    calc.set(dispersion="d3-bj")            # new options: said again
    assert len(_energy(calc, atoms)[1]) == 1
    assert len(_energy(emt_model(), atoms)[1]) == 1  # another calculator


class _CutoffEMT(CountingEMT):
    cutoff = 5.0
    modal = "stand-in"  # evaluated one by one, not through a shared sevenn graph


def test_a_committee_warns_too(monkeypatch):
    from ase_electrolyte import Calculator, models

    def load(source, device, dtype, options):
        return _CutoffEMT(), EMT_NUMBERS, False

    monkeypatch.setattr(models, "_LOADERS", {**models._LOADERS, "sevennet": load})
    monkeypatch.setattr(models, "_require", lambda backend: None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # identical members
        calc = Calculator(["sevennet-0", "sevennet-0-22may2024"], device="cpu")
    assert len(_energy(calc, _pair(initial=[0.0, -1.0]))[1]) == 1


def test_an_electrostatics_term_warns_alone(emt_model):  # noqa: F811
    """With a term that does not read them, the term's own warning (one, not two)."""
    atoms = _pair(initial=[1.0, 0.0])
    calc = emt_model(electrostatics={"scheme": "qrd", "qrd": {"Cu": (0.0, 1.0)}})
    caught = _energy(calc, atoms)[1]
    assert len(caught) == 1 and "Electrostatics term" in str(caught[0].message)


def test_refused_structure_does_not_warn_first(emt_model):  # noqa: F811
    atoms = _pair(info=1, formal=[0, 0], initial=[1.0, 0.0])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        atoms.calc = emt_model()
        with pytest.raises(ValueError, match="two net charges"):
            atoms.get_potential_energy()
    assert not [w for w in caught if issubclass(w.category, UnreadChargesWarning)]


def test_exported_from_the_package():
    assert ase_electrolyte.UnreadChargesWarning is UnreadChargesWarning
    assert "UnreadChargesWarning" in ase_electrolyte.__all__
    assert FORMAL_CHARGE == "formal_charge"
