"""A fine-tune stopped part-way resumes; an earlier fine-tune of other data is never reused.

Before, ``electrolyte finetune`` stopped by SIGTERM said "run the same command again to
resume", and the same command was refused ("holds the models of an earlier fine-tune"); with
``--overwrite`` it trained every member again. A library call was killed by SIGTERM outright.
Now each finished member is recorded (``member_k/finetuned.json``: base model, data, settings,
seed and the model file's SHA-256); the same call reuses those members, and any member of other
data, settings or seed, or whose file changed, is trained again.
"""

import json
import os
import shutil
import signal

import numpy as np
import pytest
from ase.calculators.singlepoint import SinglePointCalculator
from tiny_models import TINY, emt_copper, tiny_committee

pytest.importorskip("sevenn")

from ase_electrolyte import finetuning  # noqa: E402
from ase_electrolyte.finetuning import earlier_members, finetune  # noqa: E402

_OPTIONS = {"epochs": 2, "lr": 0.01, "batch_size": 2, "seed": 1, "ensemble": 2}


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A finished two-member fine-tune from scratch (the reference folder, never changed)."""
    out = tmp_path_factory.mktemp("finished") / "ft"
    res = finetune(TINY, emt_copper(4), out=out, device="cpu", plot=False, **_OPTIONS)
    return out, res


def _copy(finished, tmp_path):
    out = tmp_path / "ft"
    shutil.copytree(finished[0], out)
    return out


def _stamps(out):
    """Per member folder, its model file's SHA-256 and modification time."""
    from ase_electrolyte.native_build import file_sha256

    return {p.parent.name: (file_sha256(p), p.stat().st_mtime_ns)
            for p in sorted(out.glob("member_*/finetuned.pth"))}


def _no_training(work, *args, **kwargs):
    raise AssertionError(f"{work.name} was trained again")


def test_the_same_call_reuses_every_finished_member(finished, tmp_path, monkeypatch):
    out = _copy(finished, tmp_path)
    before = _stamps(out)
    found = earlier_members(out, TINY, emt_copper(4), **_OPTIONS)
    assert found == {"reused": [out / "member_0" / "finetuned.pth",
                                out / "member_1" / "finetuned.pth"], "replaced": [],
                     "resumed": []}
    monkeypatch.setattr(finetuning, "_train_one", _no_training)
    res = finetune(TINY, emt_copper(4), out=out, device="cpu", plot=False, **_OPTIONS)
    assert res.reused == [0, 1]
    assert any("member(s) 0, 1 reused" in note for note in res.notes)
    assert _stamps(out) == before
    # the learning curves are the trained ones: epoch 0 re-evaluated from checkpoint_0
    for new, old in zip(res.learning_curves, finished[1].learning_curves, strict=True):
        assert [r["epoch"] for r in new] == [r["epoch"] for r in old]
        for a, b in zip(new, old, strict=True):
            np.testing.assert_allclose(a["train_force_rmse"], b["train_force_rmse"], rtol=1e-5)
    record = json.loads((out / "member_1" / "finetuned.json").read_text())
    assert record["seed"] == 2 and record["settings"]["epochs"] == 2


def _other_labels():
    frames = emt_copper(4)
    results = dict(frames[2].calc.results)
    results["energy"] += 1e-3  # one label, one meV
    frames[2].calc = SinglePointCalculator(frames[2], **results)
    return frames


@pytest.mark.parametrize("change, why", [
    ({"train": _other_labels}, "other training data"),
    ({"train": lambda: emt_copper(4)[::-1]}, "other training data"),
    ({"valid": lambda: emt_copper(2, seed=9)}, "other validation data"),
    ({"epochs": 3}, "epochs 2, not 3"),
    ({"lr": 0.02}, "lr 0.01, not 0.02"),
    ({"batch_size": 3}, "batch_size 2, not 3"),
    ({"seed": 5}, "seed 1, not 5"),
    ({"pressure_shift_bar": 100.0}, "pressure_shift_bar 0.0, not 100.0"),
    ({"force_weight": 2.0}, "force_weight 1.0, not 2.0"),
    ({"loss": "mse"}, "loss 'huber', not 'mse'"),
    ({"base": dict(TINY, channel=8)}, "another base model"),
])
def test_an_earlier_member_of_other_data_or_settings_is_trained_again(finished, tmp_path,
                                                                      monkeypatch, change, why):
    out = _copy(finished, tmp_path)
    kwargs = dict(_OPTIONS, train=emt_copper(4), base=TINY)
    kwargs.update({k: v() if callable(v) else v for k, v in change.items()})
    base, train = kwargs.pop("base"), kwargs.pop("train")
    found = earlier_members(out, base, train, **kwargs)
    assert found["reused"] == []
    assert [p for p, _ in found["replaced"]] == [out / "member_0" / "finetuned.pth",
                                                 out / "member_1" / "finetuned.pth"]
    # member k was trained with seed 1 + k: member 0's reason is the one parametrised
    assert why in found["replaced"][0][1], found

    def stopped(work, *args, **kwargs):
        raise RuntimeError(f"training of {work.name} stopped")

    monkeypatch.setattr(finetuning, "_train_one", stopped)
    # trained again from member 0 (never one of the earlier run's kept beside this one's)
    with pytest.raises(RuntimeError, match="training of member_0 stopped"):
        finetune(base, train, out=out, device="cpu", plot=False, **kwargs)
    assert not any(out.glob("member_*/finetuned.*"))


@pytest.mark.parametrize("damage, why", [
    (lambda m: m.write_bytes(m.read_bytes()[:-100]), "its model file changed"),
    (lambda m: shutil.copyfile(m.parent.parent / "member_1" / "finetuned.pth", m),
     "its model file changed"),
    (lambda m: (m.parent / "finetuned.json").unlink(), "no record of its data and settings"),
    (lambda m: (m.parent / "finetuned.json").write_text("{"), "no record of its data"),
    (lambda m: (m.parent / "finetuned.json").write_text("[1]"), "a damaged record"),
    (lambda m: (m.parent / "lc.csv").unlink(), "no learning curve"),
])
def test_a_member_whose_file_or_record_changed_is_trained_again(finished, tmp_path, damage,
                                                                why):
    out = _copy(finished, tmp_path)
    damage(out / "member_0" / "finetuned.pth")
    found = earlier_members(out, TINY, emt_copper(4), **_OPTIONS)
    assert found["reused"] == [out / "member_1" / "finetuned.pth"]
    (path, reason), = found["replaced"]
    assert path == out / "member_0" / "finetuned.pth" and why in reason


def test_a_member_trained_for_a_smaller_ensemble_is_reused_by_a_larger_one(finished, tmp_path):
    out = _copy(finished, tmp_path)
    shutil.rmtree(out / "member_1")
    found = earlier_members(out, TINY, emt_copper(4), **dict(_OPTIONS, ensemble=3))
    assert found == {"reused": [out / "member_0" / "finetuned.pth"], "replaced": [],
                     "resumed": []}


class _StopAtStep:
    """Adam.step that sends this process ``signum`` at the ``at``-th step of the run."""

    def __init__(self, step, at, signum):
        self.step, self.at, self.signum, self.calls = step, at, signum, 0

    def __call__(self, optimizer, *args, **kwargs):
        self.calls += 1
        if self.calls == self.at:
            os.kill(os.getpid(), self.signum)
        return self.step(optimizer, *args, **kwargs)


def _stop_in_training(monkeypatch, at, signum):
    import torch

    stop = _StopAtStep(torch.optim.Adam.step, at, signum)
    monkeypatch.setattr(torch.optim.Adam, "step", lambda self, *a, **k: stop(self, *a, **k))
    return stop


def test_an_interrupted_fine_tune_keeps_its_finished_members_and_resumes(tmp_path,
                                                                         monkeypatch):
    out = tmp_path / "ft"
    # 2 frames, batch 2: one step per epoch; step 3 is member 1's first (member 0 took 2)
    frames = emt_copper(2)
    options = dict(_OPTIONS, epochs=2)
    with monkeypatch.context() as patch:
        _stop_in_training(patch, at=3, signum=signal.SIGINT)
        with pytest.raises(KeyboardInterrupt) as caught:
            finetune(TINY, frames, out=out, device="cpu", plot=False, **options)
    note = " ".join(getattr(caught.value, "__notes__", []))
    assert "interrupted in member 1 of 2" in note
    assert f"member 0 finished and kept ({out}/member_0/finetuned.pth)" in note
    assert "the same call resumes at member 1" in note
    assert (out / "member_0" / "finetuned.json").is_file()
    # the member being trained is not marked finished and has no model
    assert not (out / "member_1" / "finetuned.pth").exists()
    assert not (out / "member_1" / "finetuned.json").exists()
    kept = _stamps(out)
    res = finetune(TINY, frames, out=out, device="cpu", plot=False, **options)
    assert res.reused == [0]
    assert kept.keys() == {"member_0"}
    assert _stamps(out)["member_0"] == kept["member_0"]
    assert (out / "member_1" / "finetuned.pth").is_file()
    assert [len(c) for c in res.learning_curves] == [3, 3]


def _unhandled(signum, frame):
    # a SIGTERM the command does not take over fails the test instead of killing pytest
    raise RuntimeError("SIGTERM reached the test's own handler")


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_the_command_stopped_by_sigterm_resumes_when_run_again(tmp_path, monkeypatch, capsys):
    import ase.io

    from electrolyte_cli import main

    base = tiny_committee(tmp_path / "tiny")[1][0]
    monkeypatch.chdir(tmp_path)
    ase.io.write("train.extxyz", emt_copper(2, seed=3))
    # 2 frames in batches of 1, 1 epoch: step 3 is member 1's first (one batch per epoch
    # would make the members one model, refused)
    argv = ["finetune", "train.extxyz", "--base", base, "--epochs", "1", "--batch-size", "1",
            "--ensemble", "2", "--device", "cpu", "-o", "ft"]
    previous = signal.signal(signal.SIGTERM, _unhandled)
    try:
        with monkeypatch.context() as patch:
            _stop_in_training(patch, at=3, signum=signal.SIGTERM)
            assert main(argv) == 128 + signal.SIGTERM
    finally:
        signal.signal(signal.SIGTERM, previous)
    err = capsys.readouterr().err
    # where it stopped: the member, that it had no complete epoch, what is kept; then the rerun
    said = [line for line in err.splitlines() if line.startswith("electrolyte finetune:")]
    assert len(said) == 1
    line = said[0]
    assert line.startswith("electrolyte finetune: terminated (SIGTERM) in member 1 of 2; "
                           "member 0 finished and kept (ft/member_0/finetuned.pth); "
                           "member 1 has no model and no complete epoch of 1 yet")
    assert line.endswith("; run the same command again to resume")
    assert "the same call" not in line
    assert "Traceback" not in err
    kept = (tmp_path / "ft" / "member_0" / "finetuned.pth").read_bytes()
    assert not (tmp_path / "ft" / "member_1" / "finetuned.pth").exists()
    # another command into the folder is still refused, naming what differs
    assert main([*argv[:5], "3", *argv[6:]]) == 2
    err = capsys.readouterr().err
    assert "holds the models of an earlier fine-tune" in err and "epochs 1, not 3" in err
    assert err.count("\n") == 1
    # the same command resumes: member 0 reused as it was, member 1 trained
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "note: member(s) 0 reused" in out
    assert (tmp_path / "ft" / "member_0" / "finetuned.pth").read_bytes() == kept
    assert (tmp_path / "ft" / "member_1" / "finetuned.json").is_file()
