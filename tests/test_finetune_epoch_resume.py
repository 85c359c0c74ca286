"""A member stopped mid-training resumes at its last finished epoch and ends as if never stopped.

sevenn wrote a member's checkpoint only at its last epoch (``per_epoch`` was set to
``epochs``), so a fine-tune stopped part-way (SIGTERM of a batch scheduler, Ctrl-C) lost all
the epochs of the member being trained: 399 of 400 epochs were trained again. sevenn's trainer
writes a checkpoint every ``per_epoch`` epochs and continues one with its optimiser and
scheduler state (``continue`` with ``reset_*: False``); its shuffling loader, though, drew each
epoch's batch order from torch's global generator, which a resumed run cannot restore. Now
every epoch is checkpointed (written whole; the previous one removed), the batch order of
epoch *e* is drawn from (seed, *e*) alone, and a member resumes at its last epoch whose
checkpoint and learning-curve rows are there, when its training record names the same data,
settings and seed. The resumed model equals the uninterrupted one (CPU training is
deterministic: equal to the last bit here, compared to 1e-6).
"""

import json
import os
import signal

import numpy as np
import pytest
from test_finetune_resume import _stop_in_training, _unhandled
from tiny_models import TINY, emt_copper, tiny_committee

torch = pytest.importorskip("torch")
pytest.importorskip("sevenn")

from ase_electrolyte import finetuning  # noqa: E402
from ase_electrolyte.finetuning import finetune  # noqa: E402

# 4 frames in batches of 2: two optimiser steps per epoch
_OPTIONS = {"epochs": 4, "lr": 0.01, "batch_size": 2, "seed": 3, "device": "cpu",
            "plot": False}


def _weights(path):
    state = torch.load(path, map_location="cpu", weights_only=False)["model_state_dict"]
    return {k: v.detach().numpy().astype(np.float64) for k, v in state.items()}


def _assert_same_model(a, b):
    wa, wb = _weights(a), _weights(b)
    assert wa.keys() == wb.keys()
    for key in wa:
        np.testing.assert_allclose(wa[key], wb[key], rtol=1e-6, atol=1e-9, err_msg=key)


def _assert_same_curve(a, b):
    assert [r["epoch"] for r in a] == [r["epoch"] for r in b]
    for ra, rb in zip(a, b, strict=True):
        for key in ("train_energy_rmse", "train_force_rmse", "lr"):
            np.testing.assert_allclose(ra[key], rb[key], rtol=1e-5, equal_nan=True)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """One member from scratch, 4 epochs, never stopped (the reference)."""
    out = tmp_path_factory.mktemp("uninterrupted") / "ft"
    return finetune(TINY, emt_copper(4), out=out, **_OPTIONS)


def test_a_member_stopped_in_epoch_3_resumes_at_epoch_2_and_ends_as_uninterrupted(
        uninterrupted, tmp_path, monkeypatch):
    out = tmp_path / "ft"
    with monkeypatch.context() as patch:
        # step 6: the second step of epoch 3
        _stop_in_training(patch, at=6, signum=signal.SIGINT)
        with pytest.raises(KeyboardInterrupt) as caught:
            finetune(TINY, emt_copper(4), out=out, **_OPTIONS)
    note = " ".join(caught.value.__notes__)
    assert "resumes at member 0 from its epoch 2 of 4 (its checkpoint)" in note
    work = out / "member_0"
    assert not (work / "finetuned.pth").exists()
    # the last finished epoch only (and the initial weights): no pile of checkpoints
    assert sorted(p.name for p in work.glob("checkpoint_*.pth")) == [
        "checkpoint_0.pth", "checkpoint_2.pth"]
    assert not list(work.glob(".*.part*"))

    steps = []
    with monkeypatch.context() as patch:
        steps.append(_stop_in_training(patch, at=10**9, signum=signal.SIGINT))
        res = finetune(TINY, emt_copper(4), out=out, **_OPTIONS)
    # epochs 3 and 4 only: two steps each
    assert steps[0].calls == 4
    assert any("member 0 resumed from its epoch 2 checkpoint" in n for n in res.notes)
    _assert_same_model(res.checkpoint, uninterrupted.checkpoint)
    _assert_same_curve(res.learning_curves[0], uninterrupted.learning_curves[0])
    # one curve file, epochs 1-4 in order; one epoch checkpoint beside the initial weights
    assert sorted(p.name for p in work.glob("lc*.csv")) == ["lc.csv"]
    assert sorted(p.name for p in work.glob("checkpoint_*.pth")) == [
        "checkpoint_0.pth", "checkpoint_4.pth"]


def test_a_stopped_run_of_other_settings_is_not_resumed(uninterrupted, tmp_path, monkeypatch):
    out = tmp_path / "ft"
    with monkeypatch.context() as patch:
        _stop_in_training(patch, at=6, signum=signal.SIGINT)
        with pytest.raises(KeyboardInterrupt):
            finetune(TINY, emt_copper(4), out=out, **dict(_OPTIONS, lr=0.02))
    # the checkpoint of epoch 2 is of another learning rate: trained from epoch 1
    res = finetune(TINY, emt_copper(4), out=out, **_OPTIONS)
    assert not any("resumed" in n for n in res.notes)
    _assert_same_model(res.checkpoint, uninterrupted.checkpoint)
    record = json.loads((out / "member_0" / "training.json").read_text())
    assert record["settings"]["lr"] == 0.01 and record["seed"] == 3


def test_a_member_stopped_after_its_last_epoch_resumes_without_training(
        uninterrupted, tmp_path, monkeypatch):
    out = tmp_path / "ft"
    check = finetuning._check_not_diverged

    def stopped(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(finetuning, "_check_not_diverged", stopped)
        with pytest.raises(KeyboardInterrupt):
            finetune(TINY, emt_copper(4), out=out, **_OPTIONS)
    assert finetuning._check_not_diverged is check
    with monkeypatch.context() as patch:
        stop = _stop_in_training(patch, at=10**9, signum=signal.SIGINT)
        res = finetune(TINY, emt_copper(4), out=out, **_OPTIONS)
    assert stop.calls == 0
    assert any("resumed from its epoch 4 checkpoint" in n for n in res.notes)
    _assert_same_model(res.checkpoint, uninterrupted.checkpoint)
    _assert_same_curve(res.learning_curves[0], uninterrupted.learning_curves[0])


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_the_command_stopped_by_sigterm_mid_member_resumes_it_from_a_pretrained_base(
        tmp_path, monkeypatch, capsys):
    import ase.io

    from electrolyte_cli import main

    base = tiny_committee(tmp_path / "tiny")[1][0]
    monkeypatch.chdir(tmp_path)
    ase.io.write("train.extxyz", emt_copper(4, seed=5))
    argv = ["finetune", "train.extxyz", "--base", base, "--epochs", "3", "--batch-size", "2",
            "--device", "cpu", "--seed", "4"]
    assert main([*argv, "-o", "reference"]) == 0
    capsys.readouterr()
    previous = signal.signal(signal.SIGTERM, _unhandled)
    try:
        with monkeypatch.context() as patch:
            # step 4: the last step of epoch 2, before its checkpoint
            _stop_in_training(patch, at=4, signum=signal.SIGTERM)
            assert main([*argv, "-o", "ft"]) == 128 + signal.SIGTERM
    finally:
        signal.signal(signal.SIGTERM, previous)
    err = capsys.readouterr().err
    assert "run the same command again to resume" in err and "Traceback" not in err
    assert sorted(p.name for p in (tmp_path / "ft" / "member_0").glob("checkpoint_*")) == [
        "checkpoint_0.pth", "checkpoint_1.pth"]
    assert main([*argv, "-o", "ft"]) == 0
    assert "member 0 resumed from its epoch 1 checkpoint" in capsys.readouterr().out
    _assert_same_model(tmp_path / "ft" / "member_0" / "finetuned.pth",
                       tmp_path / "reference" / "member_0" / "finetuned.pth")


def _work(tmp_path, settings, seed, checkpoints, curves):
    work = tmp_path / "member_0"
    work.mkdir()
    (work / "training.json").write_text(json.dumps({"settings": settings, "seed": seed}))
    for epoch in checkpoints:
        (work / f"checkpoint_{epoch}.pth").write_bytes(b"weights")
    for name, text in curves.items():
        (work / name).write_text(text)
    return work


_HEAD = "epoch,lr,trainset_Energy_RMSE\n"


@pytest.mark.parametrize("checkpoints, curves, expected, rows", [
    # the checkpoint of epoch 2 and its rows; epoch 3's row (stopped before its checkpoint)
    # is dropped
    ([0, 2], {"lc.csv": _HEAD + "1,0.1,5\n2,0.1,4\n3,0.1,3\n"}, 2, ["1", "2"]),
    # a row cut short by the stop is no row
    ([2], {"lc.csv": _HEAD + "1,0.1,5\n2,0.1\n"}, None, None),
    # epoch 1's row is missing: no epoch resumes without its curve
    ([2], {"lc.csv": _HEAD + "2,0.1,4\n"}, None, None),
    # a resumed run wrote lc0.csv from epoch 3 on: its rows replace lc.csv's of those epochs
    ([4], {"lc.csv": _HEAD + "1,0.1,5\n2,0.1,4\n3,0.1,9\n",
           "lc0.csv": _HEAD + "3,0.1,3\n4,0.1,2\n"}, 4, ["1", "2", "3", "4"]),
    # a checkpoint beyond this run's epochs is not resumed from
    ([9], {"lc.csv": _HEAD + "".join(f"{e},0.1,1\n" for e in range(1, 10))}, None, None),
    # curve files of other columns are not one curve
    ([2], {"lc.csv": _HEAD + "1,0.1,5\n", "lc0.csv": "epoch,lr\n2,0.1\n"}, None, None),
])
def test_the_resume_point_needs_the_checkpoint_and_every_row_before_it(tmp_path, checkpoints,
                                                                        curves, expected, rows):
    settings = {"epochs": 4, "lr": 0.01}
    work = _work(tmp_path, settings, 3, checkpoints, curves)
    found = finetuning._resume_point(work, settings, 3, 4)
    if expected is None:
        assert found is None
        return
    assert found == (work / f"checkpoint_{expected}.pth", expected)
    text = (work / "lc.csv").read_text().splitlines()
    assert text[0] == _HEAD.strip() and [line.split(",")[0] for line in text[1:]] == rows
    assert [p.name for p in work.glob("lc*.csv")] == ["lc.csv"]
    if expected == 4:
        assert text[3] == "3,0.1,3"


@pytest.mark.parametrize("settings, seed", [({"epochs": 4, "lr": 0.02}, 3),
                                            ({"epochs": 4, "lr": 0.01}, 4)])
def test_checkpoints_of_other_settings_or_seed_are_not_resumed(tmp_path, settings, seed):
    work = _work(tmp_path, {"epochs": 4, "lr": 0.01}, 3, [2],
                 {"lc.csv": _HEAD + "1,0.1,5\n2,0.1,4\n"})
    assert finetuning._resume_point(work, settings, seed, 4) is None
    os.unlink(work / "training.json")
    assert finetuning._resume_point(work, {"epochs": 4, "lr": 0.01}, 3, 4) is None


def test_the_batch_order_of_an_epoch_depends_on_the_seed_and_epoch_alone():
    from_start = finetuning._EpochOrder(10, 7, 1)
    orders = [list(from_start) for _ in range(5)]
    resumed = finetuning._EpochOrder(10, 7, 4)
    assert [list(resumed), list(resumed)] == orders[3:5]
    # a permutation each epoch, not the same one every epoch, and another for another seed
    assert all(sorted(o) == list(range(10)) for o in orders)
    assert len({tuple(o) for o in orders}) == 5
    assert list(finetuning._EpochOrder(10, 8, 1)) != orders[0]
    assert len(resumed) == 10


def _stopped(tmp_path, monkeypatch, base, frames, **options):
    out = tmp_path / "ft"
    with monkeypatch.context() as patch:
        _stop_in_training(patch, at=6, signum=signal.SIGINT)
        with pytest.raises(KeyboardInterrupt):
            finetune(base, frames, out=out, **options)
    return out


def test_earlier_members_tells_a_resumed_member_from_one_trained_anew(tmp_path, monkeypatch):
    from ase_electrolyte.finetuning import earlier_members

    out = _stopped(tmp_path, monkeypatch, TINY, emt_copper(4), **_OPTIONS)
    options = {k: v for k, v in _OPTIONS.items() if k not in ("device", "plot")}
    found = earlier_members(out, TINY, emt_copper(4), **options)
    assert found == {"reused": [], "replaced": [],
                     "resumed": [(out / "member_0" / "checkpoint_2.pth", 2)]}
    other = earlier_members(out, TINY, emt_copper(4), **dict(options, epochs=6))
    (path, why), = other["replaced"]
    assert path == out / "member_0" / "checkpoint_2.pth"
    assert why == "a training stopped at epoch 2, trained with epochs 4, not 6"
    assert other["resumed"] == []
    # a query: the stopped member's files are as they were
    assert sorted(p.name for p in (out / "member_0").glob("lc*.csv")) == ["lc.csv"]


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_the_command_keeps_another_commands_stopped_training_unless_told(tmp_path, monkeypatch,
                                                                          capsys):
    import ase.io

    from electrolyte_cli import main

    base = tiny_committee(tmp_path / "tiny")[1][0]
    monkeypatch.chdir(tmp_path)
    frames = emt_copper(4, seed=5)
    ase.io.write("train.extxyz", frames)
    out = _stopped(tmp_path, monkeypatch, base, "train.extxyz", **_OPTIONS)
    kept = (out / "member_0" / "checkpoint_2.pth").read_bytes()
    capsys.readouterr()  # sevenn's progress bars of the stopped training
    argv = ["finetune", "train.extxyz", "--base", base, "--epochs", "4", "--batch-size", "2",
            "--seed", "3", "--lr", "0.02", "--device", "cpu", "-o", "ft"]
    # another learning rate would discard the stopped training's two epochs without a word
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "holds the models of an earlier fine-tune" in err
    assert "a training stopped at epoch 2, trained with lr 0.01, not 0.02" in err
    assert err.count("\n") == 1
    assert (out / "member_0" / "checkpoint_2.pth").read_bytes() == kept
    # the command that was stopped resumes it
    argv[argv.index("--lr") + 1] = "0.01"
    assert main(argv) == 0
    assert "member 0 resumed from its epoch 2 checkpoint" in capsys.readouterr().out
