"""Committee members that are one network in files of other bytes, and member files replaced
after the committee loaded them.

A fine-tune of one seed run twice writes two checkpoints with equal weights but other bytes
(sevenn stores the run's time and a random hash in each), and a checkpoint loaded and saved
again differs in its bytes too: the committee took them for distinct members (their file
digests differ), its spread was zero on every structure, and active learning selected nothing
and never stopped. Members are now compared by their loaded weights.

A member file replaced after the committee loaded it (retrained in place) was recorded by its
new contents in a labels folder or a candidates file, while the committee evaluated the model
it had loaded: a later run of the new model reused the old model's labels as its own. Both are
now refused, naming the member, before anything is written.
"""

import hashlib
import os
import shutil
import warnings

import numpy as np
import pytest
from tiny_models import emt_copper, tiny_committee

pytest.importorskip("sevenn")

from ase.calculators.calculator import InputError  # noqa: E402

from ase_electrolyte import Calculator  # noqa: E402
from ase_electrolyte.active_learning import CandidateCollector  # noqa: E402
from ase_electrolyte.committee import RepeatedMemberWarning  # noqa: E402
from ase_electrolyte.distill import relabel  # noqa: E402


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return tiny_committee(tmp_path_factory.mktemp("tiny_committee_equal_weights"))[1]


def _sha(path):
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def _saved_again(path, out, change=None):
    """``path``'s checkpoint loaded and saved again (its run time changed, as a re-save or
    another run writes it); ``change(state_dict)`` edits the weights."""
    import torch

    checkpoint = torch.load(path, weights_only=False, map_location="cpu")
    checkpoint["time"] = "another time"
    if change is not None:
        change(checkpoint["model_state_dict"])
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(checkpoint, out)
    return str(out)


@pytest.fixture(scope="module")
def same_seed_twice(tiny, tmp_path_factory):
    """One fine-tune (one epoch, seed 3) run twice into two folders."""
    from ase_electrolyte.finetuning import finetune

    paths = []
    for name in ("run_a", "run_b"):
        res = finetune(tiny[0], emt_copper(4, seed=9), epochs=1, lr=1e-3, batch_size=2,
                       seed=3, out=tmp_path_factory.mktemp(name), device="cpu", plot=False,
                       check_units=False)
        paths.append(str(res.checkpoint))
    return paths


def _refused_by_active_learning(committee, tmp_path):
    path = tmp_path / "candidates.extxyz"
    collector = CandidateCollector(path, 0.01, 0.5)
    with pytest.raises(ValueError, match=r"holds one model 2 times .* files of equal weights"):
        collector.attach(committee)
    assert committee.callbacks == [] and not path.exists()


def test_one_fine_tune_run_twice_is_one_member(same_seed_twice, tmp_path):
    assert _sha(same_seed_twice[0]) != _sha(same_seed_twice[1])  # other bytes
    with pytest.warns(RepeatedMemberWarning,
                      match=r"every member is the same model.* zero whatever the structure"
                      ) as record:
        committee = Calculator(same_seed_twice, device="cpu")
    message = next(str(w.message) for w in record if w.category is RepeatedMemberWarning)
    assert "other files, one network: equal weights" in message
    assert all(repr(os.path.abspath(p)) in message for p in same_seed_twice)
    assert committee.members[0] is committee.members[1]  # loaded once
    atoms = emt_copper(1, a=3.4, rattle=0.2, seed=4)[0]
    atoms.calc = committee
    atoms.get_potential_energy()
    assert committee.results["energy_std"] == 0.0 and committee.results["max_forces_std"] == 0.0
    _refused_by_active_learning(committee, tmp_path)


@pytest.mark.parametrize("how", ["saved again", "link to a copy saved again"])
def test_a_checkpoint_saved_again_is_the_same_member(tiny, tmp_path, how):
    again = _saved_again(tiny[0], tmp_path / "again" / "model.pth")
    assert _sha(again) != _sha(tiny[0])
    member = again
    if how == "link to a copy saved again":
        os.symlink(again, tmp_path / "link.pth")
        member = str(tmp_path / "link.pth")
    with pytest.warns(RepeatedMemberWarning, match="comes from 2 distinct models"):
        committee = Calculator([tiny[0], tiny[1], member], device="cpu")
    assert committee.members[2] is committee.members[0]
    assert committee.members[1] is not committee.members[0]
    with pytest.warns(RepeatedMemberWarning, match="every member is the same model"):
        _refused_by_active_learning(Calculator([member, tiny[0]], device="cpu"), tmp_path)


def test_members_one_weight_apart_are_distinct(tiny, tmp_path):
    """No false alarm: a network with one weight changed by one part in 10⁶ is another."""
    def nudge(state):
        name = next(k for k, v in state.items() if v.numel() > 1 and v.is_floating_point())
        state[name].view(-1)[0] *= 1 + 1e-6

    other = _saved_again(tiny[0], tmp_path / "nudged" / "model.pth", nudge)
    for members in ([tiny[0], other], list(tiny)):
        with warnings.catch_warnings():
            warnings.simplefilter("error", RepeatedMemberWarning)
            committee = Calculator(members, device="cpu")
        assert committee.members[0] is not committee.members[1]
        CandidateCollector(tmp_path / f"c{len(os.listdir(tmp_path))}.extxyz", 0.01,
                           0.5).attach(committee)


def test_a_member_replaced_after_loading_is_refused_before_labels_are_written(tiny, tmp_path):
    folder = tmp_path / "models"
    folder.mkdir()
    members = [shutil.copy(tiny[0], folder / "a.pth"), shutil.copy(tiny[1], folder / "b.pth")]
    committee = Calculator(members, device="cpu")
    frames = emt_copper(2, a=3.4, rattle=0.1, seed=8)
    before = relabel(frames, committee, labels=tmp_path / "labels")  # unchanged: labels
    # retrained in place: another model in member 1's file
    _saved_again(tiny[0], folder / "b.pth",
                 lambda state: state["rescale_atomic_energy.shift"].add_(0.01))
    with pytest.raises(InputError, match=r"committee member 1 \('.*b\.pth'\) holds another "
                                         r"model since the committee loaded it: the labels "
                                         r"folder"):
        relabel(frames, committee, labels=tmp_path / "labels")
    with pytest.raises(InputError, match=r"member 1 .* since the committee loaded it: the "
                                         r"candidates file"):
        CandidateCollector(tmp_path / "candidates.extxyz", 0.01, 0.5).attach(committee)
    assert not (tmp_path / "candidates.extxyz").exists()
    # the committee of the files as they are now labels anew: nothing of the old one reused
    fresh = relabel(frames, Calculator(members, device="cpu"), labels=tmp_path / "labels")
    for old, new in zip(before, fresh, strict=True):
        assert abs(new.get_potential_energy() - old.get_potential_energy()) > 1e-3
    # a member removed since the load
    os.unlink(folder / "a.pth")
    with pytest.raises(InputError, match=r"committee member 0 .* was removed since"):
        relabel(frames, committee, labels=tmp_path / "labels")
    # without a labels folder nothing is recorded: the loaded models still label
    again = relabel(frames, committee)
    np.testing.assert_allclose([a.get_potential_energy() for a in again],
                               [a.get_potential_energy() for a in before], rtol=0, atol=1e-9)
