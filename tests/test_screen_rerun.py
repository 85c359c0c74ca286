"""A rerun of a screen after its model changed: never the old model's results under the new one.

The plan's fingerprint decides which finished tasks of an output folder a rerun reuses. A model
file is identified by its bytes, so a model fine-tuned into the same path is another plan, and a
file rewritten while the screen runs fails the tasks that would have used it.
"""

import json

import pytest

from ase_electrolyte.screen import PlanError, load_plan, run_task
from ase_electrolyte.screen.engine import _prepare_outdir, _spec

torch = pytest.importorskip("torch")

from test_screen import _plan  # noqa: E402


def _model_plan(tmp_path, **extra):
    return load_plan(_plan(model={"file": "model.pth", "device": "cpu"}, replicas=1, **extra),
                     base_dir=tmp_path)


def test_a_model_file_rewritten_in_place_is_another_plan(tmp_path):
    torch.save({"weights": [1.0, 2.0]}, tmp_path / "model.pth")
    first = _model_plan(tmp_path)
    assert first.fingerprint() == _model_plan(tmp_path).fingerprint()  # same bytes: same plan
    out = tmp_path / "screen"
    _prepare_outdir(first, out)
    record = (out / "plan.json").read_bytes()

    torch.save({"weights": [1.0, 2.5]}, tmp_path / "model.pth")  # fine-tuned into the same path
    second = _model_plan(tmp_path)
    assert second.fingerprint() != first.fingerprint()
    assert second.model["value"] == first.model["value"]
    with pytest.raises(PlanError, match=r"holds results of a different plan .*differs in the "
                                        r"content of model file .*model.pth\)"):
        _prepare_outdir(second, out)
    assert (out / "plan.json").read_bytes() == record  # the old record kept

    # another setting changed as well is named beside it
    with pytest.raises(PlanError, match=r"differs in seed, the content of model file"):
        _prepare_outdir(_model_plan(tmp_path, seed=8), out)


def test_a_model_file_rewritten_after_the_plan_was_read_fails_its_task(tmp_path):
    torch.save({"weights": [1.0]}, tmp_path / "model.pth")
    plan = _model_plan(tmp_path, composition=[{"solvent": "EC", "salt": "LiPF6",
                                               "concentration": 3.0}])
    _prepare_outdir(plan, tmp_path / "screen")
    torch.save({"weights": [2.0]}, tmp_path / "model.pth")
    (task,) = plan.tasks()
    out = run_task(_spec(plan, task, tmp_path / "screen", 1, plan.to_dict()))
    assert out["status"] == "failed"
    assert "model.pth changed since the plan was read" in out["error"]
    folder = tmp_path / "screen" / "tasks" / task.id
    assert json.loads((folder / "error.json").read_text())["error"] == out["error"]
    assert not (folder / "initial.extxyz").exists()  # before the box was packed
