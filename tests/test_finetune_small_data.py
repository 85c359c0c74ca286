"""Fine-tuning on the smallest data sets: one frame, an empty or one-frame validation set.

An ensemble fine-tuned from one base on a single frame was refused with the advice "use
batch_size < 1 (or more frames)": no batch size gives one frame two orders. The refusal now
says what can be done. One frame with one member, and a one-frame validation set, train and
give finite learning curves; an empty training or validation set is refused before training.
"""

import math

import pytest
from tiny_models import TINY, emt_copper

pytest.importorskip("sevenn")

from ase_electrolyte.finetuning import finetune  # noqa: E402


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    res = finetune(TINY, emt_copper(4), epochs=1, lr=0.02, batch_size=2, device="cpu",
                   out=tmp_path_factory.mktemp("tiny_small_data_base"), plot=False)
    return str(res.checkpoint)


def _options(tmp_path, **kwargs):
    # the base model is one epoch old: its stresses are not a unit reference
    return {"epochs": 1, "lr": 1e-3, "out": tmp_path / "ft", "device": "cpu", "plot": False,
            "check_units": False, **kwargs}


@pytest.mark.parametrize("batch_size", [1, 4])
def test_an_ensemble_on_one_frame_from_a_base_is_refused_with_advice_that_can_be_followed(
        base, tmp_path, batch_size):
    with pytest.raises(ValueError, match="on one training frame are the same model") as err:
        finetune(base, emt_copper(1, seed=3), **_options(tmp_path, ensemble=2,
                                                         batch_size=batch_size))
    assert "batch_size < 1" not in str(err.value)
    assert "at least two frames" in str(err.value)
    assert not (tmp_path / "ft").exists()


def test_the_command_refuses_it_in_one_line(base, tmp_path, capsys):
    import ase.io

    from electrolyte_cli import main

    ase.io.write(tmp_path / "one.extxyz", emt_copper(1, seed=3))
    code = main(["finetune", str(tmp_path / "one.extxyz"), "--epochs", "1", "--ensemble", "2",
                 "--base", base, "--device", "cpu", "-o", str(tmp_path / "ft")])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and "on one training frame" in err


def test_one_frame_and_one_validation_frame_give_finite_curves(base, tmp_path):
    train, valid = emt_copper(1, seed=3), emt_copper(1, seed=4)
    res = finetune(base, train, valid=valid, **_options(tmp_path))
    last = res.learning_curves[0][-1]
    for key in ("train_energy_rmse", "train_force_rmse", "valid_energy_rmse",
                "valid_force_rmse"):
        assert math.isfinite(last[key]) and last[key] >= 0, key
    assert res.checkpoint.is_file()


@pytest.mark.parametrize("which", ["train", "valid"])
def test_an_empty_training_or_validation_set_is_refused_before_training(base, tmp_path,
                                                                        which):
    frames = {"train": emt_copper(2, seed=3), "valid": emt_copper(1, seed=4)}
    frames[which] = []
    with pytest.raises(ValueError, match=("training" if which == "train" else "validation")
                       + " data holds no frames"):
        finetune(base, frames["train"], valid=frames["valid"], **_options(tmp_path))
    assert not (tmp_path / "ft").exists()
