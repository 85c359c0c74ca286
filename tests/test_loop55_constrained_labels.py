"""The model's own forces and stress, whatever constraints the frames carry.

The labels and predictions of the model loop were read through ``atoms.get_forces()``,
which applies a frame's constraints: with FixAtoms (a slab's lower layers held in place)

- :func:`~ase_electrolyte.finetuning.label_errors` and ``label_error_estimates`` compared
  the model's zeroed forces on the fixed atoms with their labels, so that a model equal to
  the labels' own (EMT against EMT labels) had a force RMSE of 0.8 eV/Å instead of 0;
- :func:`~ase_electrolyte.density_alignment.align_density` labelled the fixed atoms with
  zero forces, which the fine-tune then taught the model.

(:func:`~ase_electrolyte.distill.relabel`'s case is in test_loop55_constrained_relabel.)
"""

from unittest import mock

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT
from ase.calculators.singlepoint import SinglePointCalculator
from ase.constraints import FixAtoms, FixCartesian, FixedLine, FixedPlane

import ase_electrolyte.calculator as calculator_module
import ase_electrolyte.finetuning as finetuning_module
from ase_electrolyte.density_alignment import align_density
from ase_electrolyte.finetuning import label_error_estimates, label_errors

CONSTRAINTS = {
    "FixAtoms": lambda: FixAtoms(indices=[0, 3]),
    "FixAtoms mask": lambda: FixAtoms(mask=[True] * 4 + [False] * 4),
    "FixCartesian": lambda: FixCartesian(1, mask=(True, False, True)),
    "FixedLine": lambda: FixedLine(2, [0, 0, 1]),
    "FixedPlane": lambda: FixedPlane(5, [1, 0, 0]),
}


def _frames(n, name=None, seed=0):
    """EMT-labelled rattled copper of 8 atoms, its labels EMT's unconstrained values."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        atoms = bulk("Cu", "fcc", a=3.6, cubic=True).repeat((2, 1, 1))
        atoms.rattle(0.12, rng=rng)
        atoms.calc = EMT()
        labels = {"energy": atoms.get_potential_energy(), "forces": atoms.get_forces(),
                  "stress": atoms.get_stress()}
        atoms.calc = SinglePointCalculator(atoms, **labels)
        if name is not None:
            atoms.set_constraint(CONSTRAINTS[name]())
        out.append(atoms)
    return out


@pytest.mark.parametrize("name", sorted(CONSTRAINTS))
def test_a_model_equal_to_the_labels_has_no_force_error(name):
    frames = _frames(6, name)
    # the constrained components are not zero: the case is one the constraint changes
    assert min(np.abs(f.calc.results["forces"][:6]).max() for f in frames) > 0.05
    errors = label_errors(EMT(), frames)
    assert errors["force_rmse"] == pytest.approx(0.0, abs=1e-10)
    assert errors["stress_rmse"] == pytest.approx(0.0, abs=1e-8)
    estimates = label_error_estimates(EMT(), frames)
    assert estimates["force_rmse"].value == pytest.approx(0.0, abs=1e-10)
    # the frames keep their constraints
    assert all(f.constraints for f in frames)


class _EMTModel(EMT):
    def _check(self, atoms):
        pass


@pytest.mark.parametrize("name", sorted(CONSTRAINTS))
def test_align_density_labels_constrained_frames_with_the_models_forces(name, tmp_path):
    frames = [f.copy() for f in _frames(2, name, seed=1)]
    taught = {}

    def fake_finetune(base, labelled, **kwargs):
        taught["frames"] = labelled
        return "trained"

    # the base model is EMT, and the fine-tune records what it would be taught
    with mock.patch.object(finetuning_module, "_base_checkpoint", return_value=(None, None)), \
            mock.patch.object(finetuning_module, "_check_base_outside_members"), \
            mock.patch.object(calculator_module, "Calculator",
                              side_effect=lambda *a, **k: _EMTModel()), \
            mock.patch.object(finetuning_module, "finetune", side_effect=fake_finetune):
        assert align_density("base.pth", frames, -500.0, epochs=1, out=tmp_path / "a",
                             device="cpu") == "trained"
    for given, labelled in zip(_frames(2, None, seed=1), taught["frames"], strict=True):
        np.testing.assert_allclose(labelled.calc.results["forces"],
                                   given.calc.results["forces"], atol=1e-10)
        np.testing.assert_allclose(labelled.calc.results["stress"],
                                   given.calc.results["stress"], atol=1e-12)
