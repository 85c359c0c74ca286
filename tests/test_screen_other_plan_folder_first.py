"""A rerun into the folder of another plan is refused before the plan's packing check.

With a ``density``, reading a plan builds every task's conformers to check that its molecules
pack (about 0.1 s a task); run_screen compared the plan with its output folder's recorded one
only after that: a plan of 40 tasks was told "holds results of a different plan" after 4 s of
work, one of hundreds after minutes. What every task of a folder shares (seed, box, protocol,
model, analyses) is now compared with the folder's ``plan.json`` first.
"""

import json

import pytest

pytest.importorskip("distributed")

from ase_electrolyte import build  # noqa: E402
from ase_electrolyte.screen import PlanError, load_plan, run_screen  # noqa: E402
from ase_electrolyte.screen.engine import _other_plan_check  # noqa: E402

PLAN = {"name": "first", "seed": 1, "replicas": 1, "temperatures": [298], "n_atoms": 300,
        "density": 1.2, "analyses": ["diffusion", "solvation_shells"],
        "model": {"calculator": "ase.calculators.emt:EMT", "dispersion": "d3-bj"},
        "composition": [{"solvent": "EC:3,EMC:7", "salt": "LiPF6", "concentration": 1.0}]}


@pytest.fixture
def folder(tmp_path):
    out = tmp_path / "screen"
    out.mkdir()
    (out / "plan.json").write_text(json.dumps(load_plan(PLAN).to_dict()))
    return out


def _counting(monkeypatch):
    checked = []
    real = build._check_packable_at
    monkeypatch.setattr(build, "_check_packable_at",
                        lambda *a, **k: checked.append(k.get("seed")) or real(*a, **k))
    return checked


@pytest.mark.parametrize("change, named", [
    ({"seed": 2}, "seed"), ({"density": 1.1}, "density"), ({"n_atoms": 320}, "n_atoms"),
    ({"analyses": ["diffusion"]}, "analyses"),
    ({"model": {"calculator": "ase.calculators.lj:LennardJones"}}, "model"),
    ({"protocol": {"production_ps": 50}}, "protocol"),
])
def test_another_plans_folder_is_refused_before_any_task_is_packed(monkeypatch, folder, change,
                                                                  named):
    checked = _counting(monkeypatch)
    # 20 tasks: the old code built the conformers of each before the folder's refusal
    other = {**PLAN, "replicas": 10, "temperatures": [298, 318], **change}
    with pytest.raises(PlanError, match=f"holds results of a different plan \\('first'; "
                                        f"differs in {named}\\)"):
        run_screen(other, folder)
    assert checked == []
    assert sorted(p.name for p in folder.iterdir()) == ["plan.json"]


def test_the_same_plan_respelled_or_grown_passes_the_first_check(folder):
    check = _other_plan_check(folder)
    # the analyses in another order and the dispersion spelled otherwise are the same plan
    # (spelled_as_recorded takes them on); more replicas and temperatures add to the folder
    same = load_plan({**PLAN, "replicas": 2, "temperatures": [298, 318],
                      "analyses": ["solvation_shells", "diffusion"],
                      "model": {**PLAN["model"], "dispersion": "D3(BJ)", "device": "cpu"}})
    assert check(same.invariant()) is None
    # a record that cannot be read is left to the full check under the folder's lock
    (folder / "plan.json").write_text("{not json")
    assert _other_plan_check(folder)({**same.invariant(), "seed": 5}) is None
    assert _other_plan_check(folder / "missing")(same.invariant()) is None
