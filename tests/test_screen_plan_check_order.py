"""A plan's cheap faults are named before its expensive checks run.

With a ``density``, :func:`~ase_electrolyte.screen.load_plan` builds the conformers of every
task to check that its molecules can be packed (about 0.1 s a task). A misspelt analysis, model
or protocol setting, or a missing experimental table, was named only after that work: 7 to 8 s
for a plan of 40 tasks, minutes for a screen of hundreds. They are now checked first.
"""

import pytest

from ase_electrolyte import build
from ase_electrolyte.screen import PlanError, load_plan

PLAN = {"seed": 1, "replicas": 5, "temperatures": [298, 318], "n_atoms": 300, "density": 1.2,
        "model": {"calculator": "ase.calculators.emt:EMT"}, "analyses": ["diffusion"],
        "composition": [{"solvent": "EC:3,EMC:7", "salt": "LiPF6",
                         "concentration": [0.5, 1.0]}]}


@pytest.mark.parametrize("fault, message", [
    ({"analyses": ["difusion"]}, r"unknown analyses \['difusion'\]"),
    ({"protocol": {"production_ps": -1}}, "protocol production_ps must be"),
    ({"model": {"name": "sevenet"}}, "unknown model 'sevenet'"),
    ({"experimental": "no_such_table.csv"}, "experimental table .* does not exist"),
])
def test_a_cheap_fault_is_named_before_any_task_is_checked(monkeypatch, tmp_path, fault,
                                                           message):
    checked = []
    real = build._check_packable_at
    monkeypatch.setattr(build, "_check_packable_at",
                        lambda *a, **k: checked.append(k.get("seed")) or real(*a, **k))
    with pytest.raises(PlanError, match=message):
        load_plan({**PLAN, **fault}, base_dir=tmp_path)
    assert checked == []


def test_a_sound_plan_still_checks_every_task(monkeypatch):
    checked = []
    real = build._check_packable_at
    monkeypatch.setattr(build, "_check_packable_at",
                        lambda *a, **k: checked.append(k.get("seed")) or real(*a, **k))
    plan = load_plan({**PLAN, "replicas": 1, "temperatures": [298]})
    assert sorted(checked) == sorted(t.seed for t in plan.tasks())


@pytest.mark.parametrize("last, message", [
    ({"solvent": "EC", "salt": "LiPF7", "concentration": 1.0}, "composition 2: unknown salt"),
    # the same electrolyte as composition 1, and the same box as composition 2
    ({"solvent": "EC:6,EMC:14", "salt": "LiPF6", "concentration": 0.5, "label": "again"},
     "are the same electrolyte"),
    ({"solvent": "EC:3,EMC:7", "salt": "LiPF6", "concentration": 1.01},
     "give the same box"),
])
def test_a_fault_of_a_later_composition_is_named_before_any_task_is_checked(monkeypatch, last,
                                                                           message):
    checked = []
    monkeypatch.setattr(build, "_check_packable_at", lambda *a, **k: checked.append(k))
    with pytest.raises(PlanError, match=message):
        load_plan({**PLAN, "composition": [*PLAN["composition"], last]})
    assert checked == []
