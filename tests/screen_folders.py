"""Screening folders for the screen's tests (not a test module)."""

from ase_electrolyte.screen.engine import _prepare_outdir
from ase_electrolyte.screen.task import write_json


def finish_every_task(plan, out, density=1.2):
    """``out`` holds ``plan`` with every task finished, each with one valid density (g/cm³)."""
    _prepare_outdir(plan, out)
    for t in plan.tasks():
        folder = out / "tasks" / t.id
        folder.mkdir(parents=True)
        write_json(folder / "result.json", {
            "task": t.id, "status": "done", "seed": t.seed,
            "properties": {"density": {"value": density, "stderr": 0.01, "unit": "g/cm^3",
                                       "converged": True, "verdict": "valid"}}})
