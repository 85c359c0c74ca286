"""One electrolyte written twice in a plan is refused before any task, naming the entries.

The same composition in another case ("ec:3,emc:7" beside "EC:3,EMC:7"), unit alias (mol/kg
beside molal) or listed twice in one entry was refused as "compositions repeat: [label]",
which named neither entry nor the fix; other spellings (order, 30/70 fractions) were and are
refused as the same electrolyte."""

import pytest

from ase_electrolyte.screen import PlanError, load_plan

BASE = {"name": "repeats", "seed": 1, "replicas": 1, "temperatures": [300], "n_atoms": 3000,
        "analyses": [], "model": {"calculator": "ase.calculators.lj:LennardJones",
                                  "device": "cpu"}}
FIRST = {"solvent": "EC:3,EMC:7", "salt": "LiPF6", "concentration": 1.0}


@pytest.mark.parametrize("second, said", [
    ({"solvent": "ec:3,emc:7", "salt": "lipf6", "concentration": 1.0},
     "composition 1 and composition 2 both make it"),
    ({**FIRST, "units": "mol/kg"}, "composition 1 and composition 2 both make it"),
    ({"solvent": "EMC:7,EC:3", "salt": "LiPF6", "concentration": 1.0}, "the same electrolyte"),
    ({"solvent": {"EC": 0.3, "EMC": 0.7}, "salt": "LiPF6", "concentration": 1.0},
     "the same electrolyte"),
])
def test_a_composition_given_twice_is_refused_naming_both(second, said):
    with pytest.raises(PlanError, match="give it once") as err:
        load_plan({**BASE, "composition": [FIRST, second]})
    assert said in str(err.value)
    assert "EC3-EMC7_LiPF6-1molal" in str(err.value)


def test_a_concentration_listed_twice_is_named():
    with pytest.raises(PlanError, match=r"composition 1 lists it 2 times .* give it once"):
        load_plan({**BASE, "composition": [{**FIRST, "concentration": [1.0, 1.0]}]})
    # distinct compositions load, each once
    plan = load_plan({**BASE, "composition": [{**FIRST, "concentration": [1.0, 2.0]}]})
    assert [c.concentration for c in plan.compositions] == [1.0, 2.0]
