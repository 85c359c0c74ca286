"""Frames that carry a model's labels (``info["label_source"] == "model"``, as diagnose writes
its scanned frames without a reference) are warned of when fine-tuned on, and noted in the
result: they teach the model another model's predictions, not the reference method's."""
import tempfile
import warnings

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT

from ase_electrolyte.finetuning import finetune

TINY = {"channel": 4, "lmax": 1, "num_convolution_layer": 1, "cutoff": 4.0}


def _frames(n=4, marked=()):
    rng = np.random.default_rng(0)
    frames = []
    for k in range(n):
        a = bulk("Cu", "fcc", a=3.6, cubic=True)
        a.rattle(0.05, rng=rng)
        a.calc = EMT()
        a.get_stress()
        if k in marked:
            a.info["label_source"] = "model"
            a.info["label_calculator"] = "sevennet-0"
        frames.append(a)
    return frames


def test_frames_of_a_models_labels_are_warned_of_and_noted():
    with pytest.warns(UserWarning, match=r"training data: 2 of 4 frame\(s\) carry a model's "
                                         r"labels.*by sevennet-0; frames 1, 3"):
        res = finetune(TINY, _frames(marked=(1, 3)), epochs=1, out=tempfile.mkdtemp(),
                       plot=False, device="cpu")
    assert any("carry a model's labels" in n for n in res.notes)


def test_reference_labelled_frames_are_not_doubted():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = finetune(TINY, _frames(), epochs=1, out=tempfile.mkdtemp(), plot=False,
                       device="cpu")
    assert not any("model's labels" in str(w.message) for w in caught)
    assert not any("model's labels" in n for n in res.notes)
