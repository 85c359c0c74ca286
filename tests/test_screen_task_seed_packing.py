"""A plan's density is checked against the box each task builds, with its own seed.

Every task packs the conformers of its own seed, and a flexible molecule's lowest-energy
conformer (and the room it needs) changes with the seed: five G2 packed up to 1.077 g/cm³ with
the conformers of seed 0, which the plan's check once used for every task, and up to 1.029 to
1.193 g/cm³ with those of the task seeds. A plan was accepted whose tasks then failed at
packing (after loading their model), and a plan every task of which packs was refused.

The reference is each task's own :func:`~ase_electrolyte.build.electrolyte_box`, called as the
task calls it: at a density too high for any conformer it refuses the box before PACKMOL and
names the highest density its molecules pack at (rounded down to three digits).
"""

import re

import pytest

from ase_electrolyte.build import electrolyte_box
from ase_electrolyte.screen.plan import PlanError, load_plan

SOLVENT = "G2"  # diglyme: a flexible chain whose conformers differ from seed to seed
N_ATOMS = 300  # 13 G2, a box longer than one G2 and its tolerance
TEMPERATURES = [298, 318]
REPLICAS = 3
PLAN_SEEDS = range(8)
# the limits are named rounded down to 0.01 g/cm³: a task whose named limit is L packs at L
# and is refused at L + 0.01
STEP = 0.01


def _plan(seed, density=None, replicas=REPLICAS):
    data = {"seed": seed, "replicas": replicas, "temperatures": TEMPERATURES,
            "n_atoms": N_ATOMS, "model": {"calculator": "ase.calculators.emt:EMT"},
            "composition": [{"solvent": SOLVENT}]}
    if density is not None:
        data["density"] = density
    return load_plan(data)


def _limit(seed):
    """The highest density (g/cm³) the task's electrolyte_box names for ``seed``."""
    with pytest.raises(ValueError, match="cannot be packed") as err:
        # 3 g/cm³: above any G2 conformer's limit, refused before PACKMOL runs
        electrolyte_box({SOLVENT: 1}, None, 0.0, n_atoms=N_ATOMS, density=3.0, seed=seed)
    return float(re.search(r"at most ([0-9.]+) g/cm³", str(err.value)).group(1))


@pytest.fixture(scope="module")
def limits():
    """The seed-0 limit, and each task's limit by (plan seed, task id)."""
    by_task = {}
    for seed in PLAN_SEEDS:
        for task in _plan(seed).tasks():
            by_task[seed, task.id] = (task, _limit(task.seed))
    return _limit(0), by_task


def _tasks_of(by_task, seed):
    return [v for (s, _), v in by_task.items() if s == seed]


def _named_tasks(message):
    return set(re.findall(rf"{SOLVENT}/T\d+K/r\d+", message))


def test_a_density_one_task_cannot_pack_is_refused_though_seed_zero_packs_it(limits):
    seed0, by_task = limits
    # a plan one of whose tasks packs less than the seed-0 conformers do: the old check passed
    found = [s for s in PLAN_SEEDS
             if min(lim for _, lim in _tasks_of(by_task, s)) + STEP <= seed0]
    assert found, f"no plan seed in {list(PLAN_SEEDS)} has a task packing below seed 0's " \
                  f"{seed0} g/cm³: {sorted(by_task.values(), key=lambda v: v[1])[:3]}"
    seed = found[0]
    tasks = _tasks_of(by_task, seed)
    lowest = min(lim for _, lim in tasks)
    density = round(lowest + STEP, 6)
    assert density <= seed0  # the seed-0 conformers pack at this density

    with pytest.raises(PlanError) as err:
        _plan(seed, density)
    message = str(err.value)
    assert message.startswith("composition 1: the 13 molecules cannot be packed at "
                              f"{density:g} g/cm³")
    named = _named_tasks(message)
    # every task refused for certain is named, and no task whose limit is above the density
    assert {t.id for t, lim in tasks if lim + STEP <= density} <= named
    assert named <= {t.id for t, lim in tasks if lim < density}
    first = re.search(rf"task ({SOLVENT}/T\d+K/r\d+), whose seed (\d+)", message)
    task = next(t for t, _ in tasks if t.id == first.group(1))
    assert int(first.group(2)) == task.seed
    # the named task's own box builder refuses this density, as the plan said
    with pytest.raises(ValueError, match="cannot be packed"):
        electrolyte_box({SOLVENT: 1}, None, 0.0, n_atoms=N_ATOMS, density=density,
                        seed=task.seed)

    # at the lowest task limit every task of the plan packs, and the plan is taken
    plan = _plan(seed, lowest)
    assert plan.density == lowest and len(plan.tasks()) == len(tasks)


def test_a_density_every_task_packs_is_taken_though_seed_zero_cannot_pack_it(limits):
    seed0, by_task = limits
    # the replica 0 of each temperature (a plan of one replica): their limits above seed 0's
    found = []
    for s in PLAN_SEEDS:
        first = [(t, lim) for t, lim in _tasks_of(by_task, s) if t.replica == 0]
        if all(lim >= seed0 + 2 * STEP for _, lim in first):
            found.append(s)
    assert found, f"no plan seed in {list(PLAN_SEEDS)} has its replicas 0 all packing above " \
                  f"seed 0's {seed0} g/cm³"
    density = round(seed0 + STEP, 6)  # above what the seed-0 conformers pack
    plan = _plan(found[0], density, replicas=1)
    assert plan.density == density
    assert [t.seed for t in plan.tasks()] == [
        t.seed for t, _ in _tasks_of(by_task, found[0]) if t.replica == 0]


def test_the_message_counts_every_refused_task_and_names_the_first_four(limits):
    seed0, by_task = limits
    seed = PLAN_SEEDS[0]
    tasks = _tasks_of(by_task, seed)
    highest = max(lim for _, lim in tasks)
    density = round(highest + STEP, 6)  # no task packs
    with pytest.raises(PlanError) as err:
        _plan(seed, density)
    message = str(err.value)
    assert f"{len(tasks) - 1} other task(s) of the composition's {len(tasks)} are refused" \
        in message
    named = re.findall(rf"{SOLVENT}/T\d+K/r\d+", message)
    assert named[0] == tasks[0][0].id  # the first task in plan order carries the numbers
    assert named[1:] == [t.id for t, _ in tasks[1:4]]
    assert message.endswith(f" and {len(tasks) - 4} more))")
