"""A screening task packs its box with the rotamer populations of its own temperature.

:func:`~ase_electrolyte.build.electrolyte_box` draws the O=C–O–C rotamers of linear carbonates
from their Boltzmann weights at ``temperature_K`` (default 298.15 K); every task built its box
at that default, so a 350 K task packed the populations of 298 K. The reference is the box
builder called with the task's seed and temperature.
"""

from pathlib import Path

import ase.io
import numpy as np
import pytest

from ase_electrolyte.build import electrolyte_box
from ase_electrolyte.screen import load_plan, run_task
from ase_electrolyte.screen.engine import _prepare_outdir, _spec

MODELS = str(Path(__file__).with_name("screen_models.py"))
N_ATOMS = 80  # five EMC


def test_each_task_packs_the_rotamers_of_its_temperature(tmp_path):
    block = tmp_path / "block"
    block.write_text("the model refuses every box while this file exists: the task stops "
                     "after packing")
    plan = load_plan({
        "seed": 2, "replicas": 1, "temperatures": [250, 400], "n_atoms": N_ATOMS,
        "analyses": [],
        "model": {"calculator": f"{MODELS}:blocked_lj", "device": "cpu",
                  "options": {"block": str(block), "max_atoms": 1}},
        "protocol": {"relax_fmax": 20.0, "preequilibration_ps": 0.0, "equilibration_ps": 0.0,
                     "production_ps": 0.004, "write_interval_fs": 1.0},
        "composition": [{"solvent": "EMC"}],  # three O=C-O-C rotamers
    })
    out = tmp_path / "out"
    _prepare_outdir(plan, out)
    weights = {}
    for task in plan.tasks():
        result = run_task(_spec(plan, task, out, 1, plan.to_dict()))
        assert result["status"] == "failed" and "blocked" in result["error"]
        box = ase.io.read(out / "tasks" / task.id / "initial.extxyz")
        assert box.info["conformer_temperature_K"] == pytest.approx(task.temperature_K)
        if task.temperature_K == 400:  # one reference box: each is a PACKMOL run
            reference = electrolyte_box({"EMC": 1}, None, 0.0, n_atoms=N_ATOMS,
                                        seed=task.seed, temperature_K=task.temperature_K)
            np.testing.assert_allclose(box.positions, reference.positions, atol=1e-6)
            assert box.info["conformers"] == reference.info["conformers"]
        weights[task.temperature_K] = {
            label: r["weight"] for label, r in box.info["conformers"]["EMC"].items()}
    # the higher temperature populates the higher rotamers more
    low, high = weights[250.0], weights[400.0]
    top = max(low, key=lambda label: low[label])
    assert high[top] < low[top]
    assert all(high[label] > low[label] for label in low if label != top)
