"""A pressure shift that cannot act is refused before training.

``pressure_shift_bar`` moves the stress labels only. Training frames without stress labels
(molecules, or extxyz written without stress) or ``stress_weight=0`` trained the model exactly
as unshifted and returned it as a shifted one: a density-alignment step that moved nothing.
"""

import pytest
from ase.calculators.singlepoint import SinglePointCalculator
from tiny_models import TINY, emt_copper

from ase_electrolyte import finetuning
from ase_electrolyte.finetuning import finetune


def _without_stress(frames):
    for atoms in frames:
        labels = {k: v for k, v in atoms.calc.results.items() if k != "stress"}
        atoms.calc = SinglePointCalculator(atoms, **labels)
    return frames


def _no_training(*args, **kwargs):
    raise AssertionError("a member was trained")


@pytest.mark.parametrize("shift", [500.0, -1.0])
def test_a_shift_of_frames_without_stress_labels_is_refused(tmp_path, monkeypatch, shift):
    monkeypatch.setattr(finetuning, "_train_one", _no_training)
    with pytest.raises(ValueError, match=f"pressure_shift_bar {shift:g} bar shifts stress "
                                         "labels, and none of the 3 training frames has one"):
        finetune(TINY, _without_stress(emt_copper(3)), epochs=1, pressure_shift_bar=shift,
                 out=tmp_path / "o", device="cpu", plot=False)
    assert not (tmp_path / "o").exists()


def test_a_shift_with_unweighted_stresses_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(finetuning, "_train_one", _no_training)
    with pytest.raises(ValueError, match="stress_weight 0: the shifted stresses would not "
                                         "enter the loss"):
        finetune(TINY, emt_copper(3), epochs=1, pressure_shift_bar=100.0, stress_weight=0.0,
                 out=tmp_path / "o", device="cpu", plot=False)


def test_no_shift_needs_no_stress_and_frames_with_some_stresses_pass(tmp_path, monkeypatch):
    trained = []

    def train(work, *args, **kwargs):
        trained.append(work.name)
        (work / "lc.csv").write_text("epoch,lr\n1,0.001\n")
        return work / "finetuned.pth"

    monkeypatch.setattr(finetuning, "_train_one", train)
    monkeypatch.setattr(finetuning, "_scratch_row0", lambda *a: {"epoch": 0})
    finetune(TINY, _without_stress(emt_copper(3)), epochs=1, out=tmp_path / "a", device="cpu",
             plot=False)
    some = emt_copper(3)
    _without_stress(some[:2])
    finetune(TINY, some, epochs=1, pressure_shift_bar=100.0, out=tmp_path / "b",
             device="cpu", plot=False)
    assert trained == ["member_0", "member_0"]
