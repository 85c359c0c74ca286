"""Stress labels judged against the base model by their fluctuations, and said unchecked
when nothing can judge them.

The base model's mean stress is what it misses most: a model whose lattice is 0.5-1 % off
(1.5-3 % in density) gives EMT copper's frames a pressure 2-4 GPa from the labels'. Compared
with the mean left in, correct labels were refused as "VASP's sign" or a unit factor (10 of
12 sets of rattled frames below). Each component less its mean over the frames is what the
model's structure sensitivity follows. Where neither the base model nor frames in other cells
can tell (NVT MD frames of one cell, trained from scratch), the fine-tune warns and notes it.
"""

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from ase.calculators.emt import EMT
from ase.units import GPa

sys.path.insert(0, str(Path(__file__).parent))
from tiny_models import TINY, emt_copper  # noqa: E402

from ase_electrolyte import finetuning  # noqa: E402
from ase_electrolyte.finetuning import _check_stress_scale, finetune  # noqa: E402


def _other_density_model(frames, scale):
    """EMT's stresses on each frame scaled by ``scale`` (a model of another lattice)."""
    out = []
    for atoms in frames:
        work = atoms.copy()
        work.set_cell(work.cell * scale, scale_atoms=True)
        work.calc = EMT()
        out.append(work.get_stress())
    return np.array(out)


CASES = [(3.59, 1.01, 0, 2), (3.58, 1.01, 1, 2), (3.60, 1.005, 2, 2), (3.59, 1.01, 0, 1)]


@pytest.fixture(scope="module", params=CASES, ids=lambda c: f"a{c[0]}-x{c[1]}-s{c[2]}-r{c[3]}")
def frames_and_model(request):
    a, scale, seed, repeat = request.param
    frames = emt_copper(8, a=a, rattle=0.03 if repeat == 2 else 0.05, seed=seed, repeat=repeat)
    labels = np.array([f.calc.results["stress"] for f in frames])
    return labels, _other_density_model(frames, scale)


def test_correct_labels_pass_against_a_model_of_another_density(frames_and_model):
    labels, model = frames_and_model
    # the premise: the model's mean pressure is more than a GPa from the labels'
    assert abs(labels[:, :3].mean() - model[:, :3].mean()) > 1.0 * GPa
    assert _check_stress_scale(np.ravel(labels), np.ravel(model)) is None


@pytest.mark.parametrize("factor,shown", [(-1.0, -1.0), (1 / GPa, 1 / GPa)],
                         ids=["vasp-sign", "gpa"])
def test_vasp_sign_and_gpa_are_refused_on_the_same_frames(frames_and_model, factor, shown):
    labels, model = frames_and_model
    with pytest.raises(ValueError, match=r"the training stresses are (-?[0-9.]+) × the base "
                                         r"model's stresses on the same 8 frames") as err:
        _check_stress_scale(factor * labels, model)
    named = float(str(err.value).split(" are ")[1].split()[0])
    assert 0.7 < named / shown < 1.4


def test_a_model_whose_fluctuations_do_not_follow_cannot_tell():
    rng = np.random.default_rng(3)
    labels = rng.normal(0.0, 0.003, (8, 6))
    # shared mean, unrelated fluctuations: before, the mean alone made them 'correlate'
    model = -0.02 + rng.normal(0.0, 0.003, (8, 6))
    why = _check_stress_scale(labels - 0.02, model)
    assert "too little to tell" in why
    assert "1 frame" in _check_stress_scale(labels[:1], model[:1])


@pytest.fixture
def no_training(monkeypatch):
    def trained(work, *args, **kwargs):
        (work / "lc.csv").write_text("epoch,lr\n1,0.001\n")
        return work / "finetuned.pth"

    monkeypatch.setattr(finetuning, "_train_one", trained)
    monkeypatch.setattr(finetuning, "_scratch_row0", lambda *a: {"epoch": 0})


def _strained(n, seed, factor=1.0):
    """EMT copper in randomly strained cells, rattled by 0.005 Å: frames the labels alone
    judge (rattled by 0.02 Å they move too far between them: correlation 0.85 of 0.95)."""
    from ase.build import bulk
    from ase.calculators.singlepoint import SinglePointCalculator

    rng = np.random.default_rng(seed)
    frames = []
    for _ in range(n):
        atoms = bulk("Cu", "fcc", a=3.59, cubic=True)
        eps = 0.01 * rng.normal(size=(3, 3))
        atoms.set_cell(atoms.cell.array @ (np.eye(3) + 0.5 * (eps + eps.T)), scale_atoms=True)
        atoms.rattle(0.005, rng=rng)
        atoms.calc = EMT()
        labels = {"energy": atoms.get_potential_energy(), "forces": atoms.get_forces(),
                  "stress": factor * atoms.get_stress()}
        atoms.calc = SinglePointCalculator(atoms, **labels)
        frames.append(atoms)
    return frames


def test_unjudged_stress_labels_are_warned_about_and_noted(tmp_path, no_training):
    # frames of one cell, from scratch: VASP's sign is trained as it is
    frames = emt_copper(4)
    for atoms in frames:
        atoms.calc.results["stress"] = -atoms.calc.results["stress"]
    with pytest.warns(finetuning.StressUncheckedWarning,
                      match=r"stress labels of 4 training frame\(s\) could not be checked: no "
                            r"base model .*; and by the labels alone, 0 pair\(s\)"):
        res = finetune(TINY, frames, epochs=1, out=tmp_path / "a", device="cpu", plot=False)
    assert any(n.startswith("the sign and unit of the stress labels") for n in res.notes)


@pytest.mark.parametrize("options", [{"check_units": False}, {"stress_weight": 0.0}])
def test_no_warning_where_nothing_was_to_be_checked(tmp_path, no_training, options):
    with warnings.catch_warnings():
        warnings.simplefilter("error", finetuning.StressUncheckedWarning)
        res = finetune(TINY, emt_copper(4), epochs=1, out=tmp_path / "a", device="cpu",
                       plot=False, **options)
    assert not any("stress labels" in n for n in res.notes)


def test_frames_in_strained_cells_judge_the_labels_alone(tmp_path, no_training):
    with warnings.catch_warnings():
        warnings.simplefilter("error", finetuning.StressUncheckedWarning)
        res = finetune(TINY, _strained(8, 1), epochs=1, out=tmp_path / "a", device="cpu",
                       plot=False)
    assert not any("stress labels" in n for n in res.notes)
    with pytest.raises(ValueError, match="VASP's sign"):
        finetune(TINY, _strained(8, 1, factor=-1.0), epochs=1, out=tmp_path / "b",
                 device="cpu", plot=False)
