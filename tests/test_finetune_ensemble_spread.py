"""Members fine-tuned from one pretrained model with one batch per epoch are one model: refused.

Such members differ only by the order of their batches. With ``batch_size`` at least the number
of training frames there is one batch and no order: ``ensemble=2`` returned two files of the
same model (force spread 8e-7 eV/Å on a test frame, where batches of one frame gave 4e-3 eV/Å),
a committee whose spread selects nothing in active learning, with only a note that the spread
"underestimates" the uncertainty.
"""

import numpy as np
import pytest
from tiny_models import emt_copper, tiny_committee

pytest.importorskip("sevenn")

from ase_electrolyte import Calculator, finetuning  # noqa: E402
from ase_electrolyte.finetuning import finetune  # noqa: E402


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return tiny_committee(tmp_path_factory.mktemp("tiny"))[1][0]


def _predictions(paths, atoms):
    out = []
    for path in paths:
        work = atoms.copy()
        work.calc = Calculator(str(path), device="cpu")
        out.append((work.get_potential_energy(), work.get_forces()))
    return out


def test_one_batch_per_epoch_gives_the_same_model_whatever_the_seed(base, tmp_path):
    # the measurement behind the refusal: two seeds, one batch of 3 frames, 3 epochs
    frames = emt_copper(3, seed=7)
    paths = [finetune(base, frames, epochs=3, batch_size=3, lr=0.01, seed=seed,
                      out=tmp_path / f"s{seed}", device="cpu", plot=False).checkpoint
             for seed in (1, 2)]
    probe = emt_copper(1, seed=11)[0]
    (e1, f1), (e2, f2) = _predictions(paths, probe)
    assert abs(e1 - e2) < 1e-4 and np.abs(f1 - f2).max() < 1e-4
    # batches of one frame: the members differ by their batch order
    res = finetune(base, frames, epochs=3, batch_size=1, lr=0.01, ensemble=2,
                   out=tmp_path / "b1", device="cpu", plot=False)
    (e1, f1), (e2, f2) = _predictions(res.checkpoints, probe)
    assert np.abs(f1 - f2).max() > 1e-3


@pytest.mark.parametrize("n_frames, batch_size", [(3, 3), (3, 4), (2, 8)])
def test_an_ensemble_of_one_batch_per_epoch_is_refused_before_training(base, tmp_path,
                                                                       monkeypatch, n_frames,
                                                                       batch_size):
    def trained(*args, **kwargs):
        raise AssertionError("a member was trained")

    monkeypatch.setattr(finetuning, "_train_one", trained)
    with pytest.raises(ValueError, match=rf"ensemble=2 members .* one batch per epoch "
                                         rf"\(batch_size {batch_size} >= {n_frames} training"):
        finetune(base, emt_copper(n_frames, seed=7), epochs=1, batch_size=batch_size,
                 ensemble=2, out=tmp_path / "o", device="cpu", plot=False)
    assert not (tmp_path / "o").exists()


def test_one_member_or_members_from_scratch_pass_with_one_batch(base, tmp_path, monkeypatch):
    from tiny_models import TINY

    def trained(work, *args, **kwargs):
        (work / "lc.csv").write_text("epoch,lr\n1,0.001\n")
        return work / "finetuned.pth"

    monkeypatch.setattr(finetuning, "_train_one", trained)
    monkeypatch.setattr(finetuning, "_scratch_row0", lambda *a: {"epoch": 0})
    frames = emt_copper(3, seed=7)
    # one member: nothing to differ; from scratch: the members start from different weights
    assert len(finetune(base, frames, epochs=1, batch_size=4, out=tmp_path / "a",
                        device="cpu", plot=False).checkpoints) == 1
    assert len(finetune(TINY, frames, epochs=1, batch_size=4, ensemble=2, out=tmp_path / "b",
                        device="cpu", plot=False).checkpoints) == 2


def test_distill_refuses_one_batch_student_ensembles_before_the_committee_labels(tmp_path):
    from ase_electrolyte.distill import distill

    # unknown models: the refusal comes before the committee is loaded or labels a frame
    with pytest.raises(ValueError, match=r"ensemble=3 members .* \(batch_size 4 >= 3 training"):
        distill(["no-such-model", "no-such-model"], emt_copper(3), epochs=1, ensemble=3,
                out=tmp_path / "d", device="cpu")
    assert not (tmp_path / "d").exists()
