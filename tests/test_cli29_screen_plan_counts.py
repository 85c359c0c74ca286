"""A plan's counts are said in a line, however large.

``replicas = 1e308`` is a whole number to TOML's float and to ``check_number``: it reached the
task count, whose refusal spelled it out in 309 digits, twice ("the plan makes
1,000,000,...,000 tasks (1 temperature × 1000...000 replicas)"). Counts from 10**16 on are
now said to 3 significant digits; smaller ones in full, as before.
"""

import re

import pytest

from ase_electrolyte.screen import load_plan
from ase_electrolyte.screen.plan import MAX_TASKS, PlanError


def _plan(replicas, temperatures=(298.0,), concentrations=1.0):
    return {"model": {"calculator": "ase.calculators.emt:EMT"}, "replicas": replicas,
            "temperatures": list(temperatures),
            "composition": [{"solvent": "EC:1", "salt": "LiPF6",
                             "concentration": concentrations}]}


@pytest.mark.parametrize("replicas, temperatures, said", [
    (1e308, (298.0,), "makes 1e+308 tasks (1 temperature × 1e+308 replicas)"),
    (1e20, (298.0, 318.0), "makes 2e+20 tasks (2 temperatures × 1e+20 replicas)"),
    (10**15 + 1, (298.0,), f"makes {10**15 + 1:,} tasks (1 temperature × {10**15 + 1} "
                           "replicas)"),
])
def test_a_huge_task_count_is_said_in_a_line(replicas, temperatures, said):
    with pytest.raises(PlanError) as caught:
        load_plan(_plan(replicas, temperatures))
    assert said in str(caught.value), caught.value
    assert not re.search(r"\d{17}", str(caught.value).replace(",", ""))


def test_the_composition_grid_count_is_said_in_a_line():
    # 2 compositions, each of 1e20 replicas at 1 temperature: the grid's count names both
    with pytest.raises(PlanError) as caught:
        load_plan(_plan(1e20, concentrations=[0.5, 1.0]))
    assert len(str(caught.value)) < 400 and not re.search(r"\d{17}", str(caught.value))


def test_counts_within_the_bound_pass():
    plan = load_plan(_plan(MAX_TASKS))
    assert plan.replicas == MAX_TASKS
