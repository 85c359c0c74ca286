"""A screen plan's pure solvent with molar units is refused when the plan is read, naming the
units as the setting without effect.

Without a plan density it was told "a molar concentration needs the plan's density", advice
that led to a second refusal; with one, ``composition_counts``' refusal spoke of
``electrolyte_box``'s arguments, which a plan does not have.
"""

import pytest

from ase_electrolyte.screen.plan import PlanError, load_plan

MODEL = {"calculator": "ase.calculators.emt:EMT"}


@pytest.mark.parametrize("units", ["molar", "mol/L", "molarity", "MOLAR"])
@pytest.mark.parametrize("density", [None, 1.2])
@pytest.mark.parametrize("solvent", ["EC", "EC:3,EMC:7"])
def test_molar_units_without_salt_are_named(units, density, solvent):
    plan = {"model": MODEL, "composition": [{"solvent": solvent, "units": units}]}
    if density is not None:
        plan["density"] = density
    with pytest.raises(PlanError) as err:
        load_plan(plan)
    text = str(err.value)
    assert text.startswith("composition 1: units = ")
    assert "no effect without a salt" in text and "leave units out" in text
    assert "needs the plan's density" not in text and "electrolyte_box" not in text


@pytest.mark.parametrize("entry, density", [
    ({"solvent": "EC"}, None),
    ({"solvent": "EC", "units": "molal"}, None),
    ({"solvent": "EC"}, 1.2),  # a pure solvent packed at the plan's density
    ({"solvent": "EC", "salt": "LiPF6", "concentration": 1.0, "units": "molar"}, 1.3),
])
def test_what_has_an_effect_is_still_read(entry, density):
    plan = {"model": MODEL, "composition": [entry]}
    if density is not None:
        plan["density"] = density
    assert len(load_plan(plan).compositions) == 1


def test_a_salt_with_molar_units_and_no_density_is_still_told_the_density():
    with pytest.raises(PlanError, match="needs the plan's density"):
        load_plan({"model": MODEL, "composition": [
            {"solvent": "EC", "salt": "LiPF6", "concentration": 1.0, "units": "molar"}]})
