"""finetune and a data set that holds one frame twice.

The same labels twice: trained without a word, each copy weighted again. Now warned
(RepeatedFramesWarning) and noted in the result, the copy found however it was written
(atoms reordered, translated). Other labels for one frame (two codes or settings): refused
before any training, naming both frames. Frames that differ (an MD step apart) pass.
"""

import warnings

import numpy as np
import pytest
from ase.calculators.singlepoint import SinglePointCalculator
from tiny_models import TINY, emt_copper

from ase_electrolyte.finetuning import RepeatedFramesWarning, _check_repeated_frames, finetune


def _copy(atoms, energy_shift=0.0, order=None, shift=(0.0, 0.0, 0.0)):
    """The frame written out again: atoms in another order, moved, labels carried along."""
    order = np.arange(len(atoms)) if order is None else np.asarray(order)
    copy = atoms[order]
    copy.positions += shift
    results = atoms.calc.results
    copy.calc = SinglePointCalculator(
        copy, energy=results["energy"] + energy_shift, forces=results["forces"][order],
        stress=results["stress"])
    return copy


def test_same_frame_twice_is_warned_and_noted(tmp_path):
    frames = emt_copper(3)
    data = frames + [_copy(frames[0], order=[3, 1, 2, 0], shift=(0.4, -0.2, 0.1))]
    with pytest.warns(RepeatedFramesWarning, match=r"3 \(= frame 0\)"):
        res = finetune(TINY, data, epochs=1, lr=0.02, batch_size=2, out=tmp_path / "ft",
                       device="cpu", plot=False, check_units=False)
    assert any("repeat an earlier frame" in n and "3 (= frame 0)" in n for n in res.notes)
    # the caller's frames are not changed by the matching
    assert np.array_equal(data[0].positions, frames[0].positions)


@pytest.mark.parametrize("split", ["train", "valid"])
def test_one_frame_with_two_energies_is_refused_before_training(tmp_path, split):
    frames = emt_copper(5)
    clash = _copy(frames[1], energy_shift=0.05)
    train, valid = frames[:3], frames[3:]
    if split == "train":
        train = train + [clash]
    else:
        valid = [valid[0], _copy(valid[0], energy_shift=0.05)]
    what = "training" if split == "train" else "validation"
    with pytest.raises(ValueError, match=f"{what} data: 1 frame.* other labels") as err:
        finetune(TINY, train, valid=valid, epochs=1, out=tmp_path / "ft", device="cpu",
                 plot=False)
    assert "0.0125 eV/atom apart" in str(err.value)
    assert not (tmp_path / "ft").exists()  # refused before anything was written


def test_distinct_frames_pass():
    frames = emt_copper(4)
    # one MD step apart: 1e-3 Å is far beyond the 1e-5 Å of a frame written and read back
    near = _copy(frames[0])
    near.positions[0] += 1e-3
    with warnings.catch_warnings():
        warnings.simplefilter("error", RepeatedFramesWarning)
        assert _check_repeated_frames(frames + [near], "training data") is None
    # the same frame with its labels equal to the precision a file keeps: one frame, warned
    copy = _copy(frames[2], energy_shift=1e-7)
    with pytest.warns(RepeatedFramesWarning, match=r"4 \(= frame 2\)"):
        _check_repeated_frames(frames + [copy], "training data")
