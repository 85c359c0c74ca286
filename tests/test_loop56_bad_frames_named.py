"""Frames of bad geometry are refused by fine-tuning and distillation up front, naming the frame.

Before: ``finetune`` on frames with coincident atoms (or atoms 0.05 Å apart) trained sevenn on a
zero-length edge and ended in "training diverged ... lower lr" after the epochs were paid for,
blaming the learning rate; ``relabel``/``distill`` refused NaN positions without naming the
frame ("non-finite positions for 1 atom(s), indices 1") among hundreds. Now every entry point
names the frame and the fault before any model is loaded or trained.
"""

import warnings

import numpy as np
import pytest
from tiny_models import TINY, emt_copper

from ase_electrolyte.distill import distill, relabel
from ase_electrolyte.finetuning import finetune, read_labelled

BAD = 2  # the frame spoiled


def _frames(fault):
    frames = emt_copper(4, seed=56)
    atoms = frames[BAD]
    calc = atoms.calc
    positions = atoms.positions.copy()
    if fault == "nan":
        positions[1] = np.nan
    elif fault == "inf":
        positions[3, 2] = np.inf
    elif fault == "coincident":
        positions[1] = positions[0]
    elif fault == "0.05 Å apart":
        positions[1] = positions[0] + [0.05, 0.0, 0.0]
    elif fault == "periodic image":
        # atom 1 on atom 0's image one cell over: apart in the list, together in the crystal
        positions[1] = positions[0] + atoms.cell[0]
    atoms.positions = positions
    atoms.calc = calc
    return frames


FAULTS = {"nan": "non-finite positions", "inf": "non-finite positions",
          "coincident": "closer than 0.1", "0.05 Å apart": "closer than 0.1",
          "periodic image": "closer than 0.1"}


def _no_model(*args, **kwargs):
    raise AssertionError("a model was built before the frames were checked")


ENTRIES = {
    "read_labelled": lambda frames, tmp: read_labelled(frames),
    "finetune": lambda frames, tmp: finetune(TINY, frames, epochs=1, out=tmp / "ft",
                                             device="cpu", plot=False),
    "relabel": lambda frames, tmp: relabel(frames, ["a.pth", "b.pth"]),
    "distill": lambda frames, tmp: distill(["a.pth", "b.pth"], frames, epochs=1,
                                           out=tmp / "d"),
}


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("entry", list(ENTRIES))
def test_the_bad_frame_is_named_before_any_model(tmp_path, monkeypatch, entry, fault):
    import ase_electrolyte.calculator as calculator_module

    # nothing may be loaded or trained before the refusal
    monkeypatch.setattr(calculator_module.Calculator, "__init__", _no_model)
    frames = _frames(fault)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=FAULTS[fault]) as err:
            ENTRIES[entry](frames, tmp_path)
    assert f"frame {BAD}:" in str(err.value)
    assert not (tmp_path / "ft").exists() or not any((tmp_path / "ft").iterdir())
