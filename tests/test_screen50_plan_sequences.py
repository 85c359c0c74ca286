"""A plan given from Python takes a tuple or a NumPy array wherever a file has a list.

Measured before: ``temperatures = np.array([298, 318])`` was refused as "temperatures: each
must be a finite number > 0, got array([298., 318.])" (a tuple as "got (298, 318)"), a
concentration grid ``np.linspace(0.5, 1.5, 3)`` as "concentration (molal) must be a finite
number > 0, got array([...])", a tuple of compositions as "the plan needs at least one
[[composition]] with a solvent", a tuple of analyses as "analyses must be a list of names",
and a solvent share ``np.int64(7)`` as "share of EMC must be a number" (``np.float64`` passed).
Each now makes the plan the list does: the same tasks, seeds and fingerprint.
"""

import numpy as np
import pytest

from ase_electrolyte.screen import PlanError, load_plan

BASE = {
    "name": "seq", "seed": 7, "replicas": 2, "n_atoms": 3000,
    "model": {"calculator": "ase.calculators.emt:EMT"},
    "protocol": {"production_ps": 50, "production_ensemble": "nvt"},
    "temperatures": [298.0, 318.0],
    "analyses": ["density", "diffusion"],
    "composition": [{"solvent": {"EC": 3.0, "EMC": 7.0}, "salt": "LiPF6",
                     "concentration": [0.8, 1.2]}],
}


def _composition(**edit):
    return [{**BASE["composition"][0], **edit}]


@pytest.mark.parametrize(
    "edit",
    [
        {"temperatures": np.array([298.0, 318.0])},
        {"temperatures": np.array([298, 318])},
        {"temperatures": (298.0, 318.0)},
        {"composition": _composition(concentration=np.array([0.8, 1.2]))},
        {"composition": _composition(concentration=(0.8, 1.2))},
        {"composition": _composition(solvent={"EC": np.int64(3), "EMC": np.int64(7)})},
        {"composition": _composition(solvent={"EC": np.float32(3), "EMC": 7})},
        {"composition": tuple(_composition())},
        {"analyses": ("density", "diffusion")},
        {"analyses": np.array(["density", "diffusion"])},
    ],
    ids=["temps-array", "temps-int-array", "temps-tuple", "conc-array", "conc-tuple",
         "share-int64", "share-float32", "compositions-tuple", "analyses-tuple",
         "analyses-array"],
)
def test_sequences_from_python_make_the_plan_a_list_makes(edit):
    reference = load_plan(BASE)
    plan = load_plan({**BASE, **edit})
    assert [(t.id, t.seed) for t in plan.tasks()] == [(t.id, t.seed) for t in reference.tasks()]
    assert plan.fingerprint() == reference.fingerprint()
    assert plan.to_dict() == reference.to_dict()
    assert all(type(t) is float for t in plan.temperatures)
    assert all(type(c.concentration) is float for c in plan.compositions)


@pytest.mark.parametrize(
    "edit, message",
    [
        ({"temperatures": np.array([298.0, -5.0])}, "temperatures: .*got -5"),
        ({"temperatures": ()}, "temperatures is empty"),
        ({"temperatures": np.array([[298.0]])}, "temperatures: each must be a finite number"),
        ({"composition": ()}, r"at least one \[\[composition\]\]"),
        ({"composition": _composition(concentration=np.array([]))}, "needs a concentration"),
        ({"composition": _composition(concentration=(1.0, np.nan))}, "got nan"),
        ({"composition": _composition(solvent={"EC": np.True_, "EMC": 7})},
         "solvent share of EC must be a finite number > 0, got np.True_"),
        ({"analyses": ("density", 3)}, "analyses must be a list of names"),
    ],
)
def test_bad_sequences_from_python_are_named(edit, message):
    with pytest.raises(PlanError, match=message):
        load_plan({**BASE, **edit})
