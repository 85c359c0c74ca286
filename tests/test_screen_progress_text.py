"""The screen's progress lines count every task and speak English.

A task found finished when its turn came (another copy of the task finished it: a worker still
running it for an earlier screen whose client went away) was counted nowhere in the progress
line: "done 1 | failed 1" for three tasks that had all ended. And a plan of one temperature
was "1 temperatures"."""

import pytest

pytest.importorskip("distributed")

from screen_folders import finish_every_task  # noqa: E402
from test_screen_failures import _plan  # noqa: E402

from ase_electrolyte.screen import PlanError, ScreenResult, load_plan, run_screen  # noqa: E402
from ase_electrolyte.screen.engine import _submit_and_wait, progress_line  # noqa: E402
from ase_electrolyte.screen.task import write_json  # noqa: E402


class _Future:
    def __init__(self, key, out):
        self.key, self.status, self._out = key, "finished", out

    def result(self):
        return self._out

    def release(self):
        pass


class _Client:
    """Hands back each task's outcome as given (no scheduler)."""

    def __init__(self, outcomes):
        self.outcomes = outcomes

    def map(self, func, specs, key, **kwargs):
        return [_Future(k, self.outcomes[s["task"]["id"]]) for s, k in
                zip(specs, key, strict=True)]

    def retry(self, futures):
        raise AssertionError("nothing to retry")

    def nthreads(self):
        return {}

    def processing(self):
        return {}


def _one_at_a_time(futures, timeout=None, return_when=None):
    """distributed.wait as the engine calls it: the futures end one after another."""
    first = sorted(futures, key=lambda f: f.key)[0]
    return {first}, set(futures) - {first}


def test_a_task_another_copy_finished_is_counted_as_done(tmp_path, monkeypatch):
    import distributed

    plan = _plan(replicas=2, concentrations=(3.0,))
    tasks = plan.tasks()
    outcomes = {}
    for t, how in zip(tasks, ("ran", "elsewhere"), strict=True):
        folder = tmp_path / "tasks" / t.id
        folder.mkdir(parents=True)
        write_json(folder / "result.json", {"task": t.id, "status": "done", "seed": t.seed,
                                            "properties": {}})
        outcomes[t.id] = {"status": "done", "elapsed_s": 1.0} if how == "ran" else \
            {"status": "done", "skipped": True}
    monkeypatch.setattr(distributed, "wait", _one_at_a_time)
    lines = []
    result = ScreenResult(outdir=tmp_path, n_tasks=2)
    _submit_and_wait(_Client(outcomes), plan, tasks, tmp_path, None, False, result,
                     lines.append, 0.01, None)
    assert (result.n_done, result.n_skipped, result.n_failed) == (1, 1, 0)
    assert lines == ["  queued 1 | running 0 | done 1 | failed 0",
                     "  queued 0 | running 0 | done 2 (1 by another copy of the task) | failed 0"]


@pytest.mark.parametrize("counts, text", [
    ((3, 2, 0, 0, 0), "  queued 3 | running 2 | done 0 | failed 0"),
    ((0, 0, 4, 0, 1), "  queued 0 | running 0 | done 4 | failed 1"),
    ((0, 1, 0, 3, 0), "  queued 0 | running 1 | done 3 (3 by another copy of the task) | "
                      "failed 0"),
])
def test_the_progress_line(counts, text):
    assert progress_line(*counts) == text


@pytest.mark.parametrize("temperatures, replicas, concentrations, words", [
    ([300], 1, (3.0,), "1 task (1 composition × 1 temperature × 1 replica)"),
    ([300, 320], 2, (3.0, 4.0), "8 tasks (2 compositions × 2 temperatures × 2 replicas)"),
])
def test_the_plan_line_counts_in_the_singular_and_the_plural(tmp_path, capsys, temperatures,
                                                             replicas, concentrations, words):
    plan = _plan(replicas=replicas, concentrations=concentrations, temperatures=temperatures)
    finish_every_task(plan, tmp_path)
    run_screen(plan, tmp_path, progress=True, plots=False)
    first = capsys.readouterr().out.splitlines()[0]
    assert first == f"screen 'failures': {words}; {len(plan.tasks())} already done"


def test_a_plan_of_one_temperature_too_many_replicas_is_refused_in_the_singular():
    with pytest.raises(PlanError, match=r"\(1 temperature × 200000 replicas\)"):
        load_plan({"replicas": 200_000, "temperatures": [300],
                   "model": {"calculator": "ase.calculators.lj:LennardJones"},
                   "composition": [{"solvent": "EC", "salt": "LiPF6", "concentration": 3.0}]})
