"""Options edited in ``calc.parameters`` itself, as ASE allows, take effect as ``set`` would.

Before: ``calc.dispersion.parameters["cutoff"] = 5.0`` left D3's kernel settings and its last
results in place, so the Calculator (which saw the term's options change) evaluated the model
again and summed in the stale dispersion energy (5.2 eV off a fresh calculator with a 5 Å
cutoff for 32 copper atoms) while ``todict()`` recorded 5 Å; an Electrostatics whose ``qrd``
was edited kept its old energy; ``calc.parameters["model"] = ...`` recorded a model that was
never loaded; ``calc.parameters["dispersion"] = "d3"`` raised ``AttributeError``. Each case
is compared with a fresh calculator built with the edited option; a bad edit is refused by
name (``InputError``), undone, and costs no model evaluation.
"""

from __future__ import annotations

import numpy as np
import pytest
from ase.build import bulk
from test_calculator_faults import D3_SHORT, CountingEMT, emt_model  # noqa: F401

from ase_electrolyte import Calculator, Electrostatics
from ase_electrolyte.calculator_errors import InputError
from ase_electrolyte.d3 import D3

# two elements, so that the QRd charges of the neutral cell are not all zero
ALLOY_QRD = {"Cu": (0.2, 1.0), "Au": (-0.2, 1.5)}
NEUTRAL_QRD = {"qrd": ALLOY_QRD, "total_charge": 0.0}


def _copper():
    """CuAu in a rattled fcc cell (32 atoms)."""
    atoms = bulk("Cu", "fcc", a=3.75, cubic=True).repeat(2)
    atoms.numbers[::2] = 79
    atoms.rattle(0.05, seed=7)
    return atoms


def _numbers(calc, atoms):
    work = atoms.copy()
    work.calc = calc
    return work.get_potential_energy(), work.get_forces(), work.get_stress()


def _same_numbers(a, b):
    assert a[0] == pytest.approx(b[0], abs=1e-10)
    np.testing.assert_allclose(a[1], b[1], atol=1e-10)
    np.testing.assert_allclose(a[2], b[2], atol=1e-12)


def _edit_item(parameters, key, value):
    parameters[key] = value


def _edit_attribute(parameters, key, value):
    setattr(parameters, key, value)  # ASE's Parameters: calc.parameters.cutoff = 5.0


# (which calculator's parameters, key, edited value, options of the fresh equivalent)
TERM_EDITS = {
    "D3 cutoff": ("dispersion", "cutoff", 5.0, {"dispersion": {**D3_SHORT, "cutoff": 5.0}}),
    "D3 damping": ("dispersion", "damping", "zero",
                   {"dispersion": {**D3_SHORT, "damping": "zero"}}),
    "D3 three-body term": ("dispersion", "atm", True, {"dispersion": {**D3_SHORT, "atm": True}}),
    "QRd parameters": ("electrostatics", "qrd", {"Cu": (0.4, 2.0), "Au": (-0.3, 1.0)},
                       {"electrostatics": {**NEUTRAL_QRD,
                                           "qrd": {"Cu": (0.4, 2.0), "Au": (-0.3, 1.0)}}}),
    "Coulomb tolerance": ("electrostatics", "tolerance", 1e-3,
                          {"electrostatics": {**NEUTRAL_QRD, "tolerance": 1e-3}}),
    "Coulomb total charge with background": (
        "electrostatics", "total_charge", 1.5,
        {"electrostatics": {**NEUTRAL_QRD, "total_charge": 1.5, "background": True}}),
}


@pytest.mark.parametrize("how", [_edit_item, _edit_attribute])
@pytest.mark.parametrize("case", sorted(TERM_EDITS))
def test_a_summed_terms_option_edited_in_place_gives_the_fresh_calculators_numbers(
        case, how, emt_model):  # noqa: F811
    term_name, key, value, fresh_options = TERM_EDITS[case]
    options = {"dispersion": D3_SHORT, "electrostatics": NEUTRAL_QRD}
    calc = emt_model(**options)
    atoms = _copper()
    atoms.calc = calc
    before = atoms.get_potential_energy()
    term = getattr(calc, term_name)
    if key == "total_charge":
        term.parameters["background"] = True  # two edits, applied together
    how(term.parameters, key, value)
    after = (atoms.get_potential_energy(), atoms.get_forces(), atoms.get_stress())
    fresh = _numbers(emt_model(**{**options, **fresh_options}), atoms)
    _same_numbers(after, fresh)
    assert after[0] != pytest.approx(before, abs=1e-8)  # the edit matters for this structure
    assert calc.todict()[term_name] == Calculator(**calc.todict()).todict()[term_name]
    assert calc.todict()[term_name][key] == term.parameters[key]


def test_an_in_place_edit_inside_an_option_is_applied(emt_model):  # noqa: F811
    """A value inside an option (a QRd pair in the dict, a D3 parameter) changed in place."""
    calc = emt_model(electrostatics=NEUTRAL_QRD)
    atoms = _copper()
    atoms.calc = calc
    atoms.get_potential_energy()
    calc.electrostatics.parameters["qrd"]["Cu"] = (0.3, 0.5)
    fresh = _numbers(emt_model(electrostatics={**NEUTRAL_QRD,
                                               "qrd": {**ALLOY_QRD, "Cu": (0.3, 0.5)}}), atoms)
    _same_numbers((atoms.get_potential_energy(), atoms.get_forces(), atoms.get_stress()), fresh)

    d3 = D3(device="cpu", damping="bj", params={"s6": 1.0, "s8": 0.7875, "a1": 0.4289,
                                                "a2": 4.4407}, **D3_SHORT)
    atoms.calc = d3
    atoms.get_potential_energy()
    d3.parameters["params"]["s8"] = 2.0
    fresh = D3(device="cpu", damping="bj", params={"s6": 1.0, "s8": 2.0, "a1": 0.4289,
                                                   "a2": 4.4407}, **D3_SHORT)
    _same_numbers((atoms.get_potential_energy(), atoms.get_forces(), atoms.get_stress()),
                  _numbers(fresh, atoms))


@pytest.mark.parametrize("make", [
    lambda: Electrostatics(**NEUTRAL_QRD),
    lambda: D3(device="cpu", **D3_SHORT),
])
def test_a_term_alone_edited_in_place_is_evaluated_again(make):
    calc = make()
    atoms = _copper()
    atoms.calc = calc
    atoms.get_potential_energy()
    key, value = ("cutoff", 6.0)
    calc.parameters[key] = value
    fresh = type(calc)(**{**calc.todict(), key: value})
    assert calc.todict() == fresh.todict()
    _same_numbers((atoms.get_potential_energy(), atoms.get_forces(), atoms.get_stress()),
                  _numbers(fresh, atoms))


def test_the_calculators_own_options_edited_in_place(emt_model):  # noqa: F811
    calc = emt_model()
    atoms = _copper()
    atoms.calc = calc
    atoms.get_potential_energy()
    loaded = calc._model_calc
    # a term given as a spec: built as set() builds it (raised AttributeError: 'str' ...)
    calc.parameters["dispersion"] = {**D3_SHORT}
    _same_numbers((atoms.get_potential_energy(), atoms.get_forces(), atoms.get_stress()),
                  _numbers(emt_model(dispersion=D3_SHORT), atoms))
    assert isinstance(calc.dispersion, D3) and calc._model_calc is loaded
    # another model: loaded, not only recorded
    calc.parameters["model"] = "sevennet-0-22may2024"
    atoms.get_potential_energy()
    assert calc._model_calc is not loaded and calc.todict()["model"] == "sevennet-0-22may2024"
    # a deleted option is its default
    del calc.parameters["dispersion"]
    _same_numbers((atoms.get_potential_energy(), atoms.get_forces(), atoms.get_stress()),
                  _numbers(emt_model(), atoms))
    assert calc.dispersion is None


BAD_EDITS = {
    "D3 cutoff": ("dispersion", "cutoff", -1.0, r"cutoff \(Å\) must be a finite number > 0"),
    "D3 damping": ("dispersion", "damping", "nope", r"damping"),
    "Coulomb tolerance": ("electrostatics", "tolerance", 2.0,
                          r"tolerance must lie in \(0, 0\.001\]"),
    "QRd parameters": ("electrostatics", "qrd", {"Cu": (float("nan"), 1.0), "Au": (0, 1)},
                       r"QRd b of Cu"),
    "model option": (None, "dtype", "float16", r"dtype"),
    "unknown dispersion spec": (None, "dispersion", "d4", r"unknown dispersion 'd4'"),
}


@pytest.mark.parametrize("case", sorted(BAD_EDITS))
def test_a_bad_value_edited_in_place_is_refused_undone_and_costs_no_model_call(
        case, emt_model):  # noqa: F811
    owner, key, value, message = BAD_EDITS[case]
    calc = emt_model(dispersion=D3_SHORT, electrostatics=NEUTRAL_QRD)
    atoms = _copper()
    atoms.calc = calc
    good = (atoms.get_potential_energy(), atoms.get_forces(), atoms.get_stress())
    record = calc.todict()
    target = calc if owner is None else getattr(calc, owner)
    target.parameters[key] = value
    CountingEMT.calls = 0
    with pytest.raises(InputError, match=rf"edited directly \('{key}'\).*undone.*{message}"):
        atoms.get_potential_energy()
    assert CountingEMT.calls == 0
    assert calc.todict() == record  # undone: the record is what runs
    _same_numbers((atoms.get_potential_energy(), atoms.get_forces(), atoms.get_stress()), good)


def test_todict_and_set_apply_a_pending_edit(emt_model):  # noqa: F811
    """The record holds the edited option only once it is checked; set() applies a pending
    edit together with its own options (the edit had been taken as already configured)."""
    calc = emt_model(dispersion=D3_SHORT)
    calc.dispersion.parameters["cutoff"] = "far"
    with pytest.raises(InputError, match=r"cutoff \(Å\) must be a finite number"):
        calc.todict()
    assert calc.todict()["dispersion"]["cutoff"] == D3_SHORT["cutoff"]

    term = Electrostatics(**NEUTRAL_QRD)
    term.parameters["cutoff"] = 6.0
    assert term.set(tolerance=1e-4) == {"cutoff": 6.0, "tolerance": 1e-4}
    assert term.todict() == Electrostatics(**{**NEUTRAL_QRD, "cutoff": 6.0,
                                              "tolerance": 1e-4}).todict()


def test_an_unedited_calculator_is_not_reconfigured(emt_model):  # noqa: F811
    """Reading options (numpy values, nested dicts) is no edit: no reload, no reset."""
    calc = emt_model(dispersion=D3_SHORT, electrostatics=NEUTRAL_QRD)
    atoms = _copper()
    atoms.calc = calc
    atoms.get_potential_energy()
    loaded, results = calc._model_calc, calc.results
    for _ in range(3):
        atoms.get_forces()
        calc.todict()
    assert calc._model_calc is loaded and calc.results is results
    assert CountingEMT.calls == 1
