"""One label given to two different compositions is named as such, not as a repeat.

Measured before: ``label = "A"`` on EC and on EMC (LiPF6 1 molal) was refused as "composition
'A' repeats: composition 1 and composition 2 both make it (one electrolyte in any spelling,
case or unit alias ...); give it once": two electrolytes called one, and the cure (drop one)
lost a composition. A label on one electrolyte spelt twice is still a repeat.
"""

import re

import pytest

from ase_electrolyte.screen import PlanError, load_plan

BASE = {
    "name": "labels", "seed": 1, "replicas": 1, "temperatures": [298.0], "n_atoms": 3000,
    "model": {"calculator": "ase.calculators.emt:EMT"},
    "protocol": {"production_ps": 50, "production_ensemble": "nvt"},
}
FIRST = {"solvent": "EC:3,EMC:7", "salt": "LiPF6", "concentration": 1.0, "label": "A"}


@pytest.mark.parametrize("second, shown", [
    ({"solvent": "EMC"}, r"EC:3,EMC:7 \(mass\), LiPF6 1 molal\) and composition 2 \(EMC:1"),
    ({"solvent": "EC:7,EMC:3"}, "EC:7,EMC:3"),
    ({"salt": "LiFSI"}, "LiFSI 1 molal"),
    ({"concentration": 1.5}, "LiPF6 1.5 molal"),
    ({"ratio": "mole"}, r"\(mole\)"),
])
def test_a_label_on_two_electrolytes_is_named(second, shown):
    content = {**BASE, "composition": [FIRST, {**FIRST, **second}]}
    with pytest.raises(PlanError, match="label 'A' is given to different compositions") as info:
        load_plan(content)
    assert "give each composition its own label" in str(info.value)
    assert re.search(shown, str(info.value)), str(info.value)


@pytest.mark.parametrize("second", [{}, {"solvent": "EC:6,EMC:14"}, {"solvent": "emc:7,ec:3"},
                                    {"concentration": 1.0000001}])
def test_one_electrolyte_twice_under_its_label_is_a_repeat(second):
    content = {**BASE, "composition": [FIRST, {**FIRST, **second}]}
    with pytest.raises(PlanError, match="composition 'A' repeats"):
        load_plan(content)
