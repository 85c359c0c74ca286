"""A ``file.py:function`` calculator edited between two screens in one process is loaded anew.

Its module was cached by its path alone: a notebook that ran a screen on an in-process cluster,
edited the potential and ran the plan again (into another folder: the plan's hash of the file
had changed) had its tasks, and the plan's own signature check, answered with the module
imported before the edit — the old potential's results recorded under the new file's hash. The
same held for the workers of a scheduler kept from one screen to the next."""

import shutil
from pathlib import Path

import pytest

from ase_electrolyte.screen import load_plan
from ase_electrolyte.screen.plan import resolve_function
from ase_electrolyte.screen.task import make_calculator

MODELS = Path(__file__).with_name("screen_models.py")


def _plan(path):
    return load_plan({
        "name": "edited", "replicas": 1, "temperatures": [300], "n_atoms": 70, "analyses": [],
        "model": {"calculator": f"{path}:lj", "device": "cpu"},
        "composition": [{"solvent": "EC", "salt": "LiPF6", "concentration": 3.0}],
    })


def _edit(path, epsilon):
    text = path.read_text()
    assert "epsilon=0.01, rc=4.0" in text
    path.write_text(text.replace("epsilon=0.01, rc=4.0", f"epsilon={epsilon}, rc=4.0", 1))


def test_the_function_of_an_edited_file_is_the_new_one(tmp_path):
    path = tmp_path / "potential.py"
    shutil.copy(MODELS, path)
    assert resolve_function(f"{path}:lj")().parameters.epsilon == pytest.approx(0.01)
    _edit(path, 0.02)
    assert resolve_function(f"{path}:lj")().parameters.epsilon == pytest.approx(0.02)
    # back to the first bytes: the first module again (same bytes, same potential)
    path.write_bytes(MODELS.read_bytes())
    assert resolve_function(f"{path}:lj")().parameters.epsilon == pytest.approx(0.01)


def test_a_task_after_an_edit_builds_the_edited_potential(tmp_path):
    path = tmp_path / "potential.py"
    shutil.copy(MODELS, path)
    first = make_calculator(_plan(path).model)
    _edit(path, 0.03)
    plan = _plan(path)  # reads the file again: another hash, another plan
    second = make_calculator(plan.model)
    assert first.parameters.epsilon == pytest.approx(0.01)
    assert second.parameters.epsilon == pytest.approx(0.03)


def test_the_signature_check_of_a_new_plan_sees_the_edited_function(tmp_path):
    path = tmp_path / "potential.py"
    path.write_text("from ase.calculators.lj import LennardJones\n\n\n"
                    "def lj():\n    return LennardJones()\n")
    _plan(path)
    # the edited function takes an option the first did not
    path.write_text("from ase.calculators.lj import LennardJones\n\n\n"
                    "def lj(epsilon=0.01):\n    return LennardJones(epsilon=epsilon)\n")
    plan = load_plan({
        "name": "edited", "replicas": 1, "temperatures": [300], "n_atoms": 70, "analyses": [],
        "model": {"calculator": f"{path}:lj", "device": "cpu", "options": {"epsilon": 0.02}},
        "composition": [{"solvent": "EC", "salt": "LiPF6", "concentration": 3.0}],
    })
    assert make_calculator(plan.model).parameters.epsilon == pytest.approx(0.02)
