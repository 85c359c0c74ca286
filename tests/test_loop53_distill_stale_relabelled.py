"""distill's ``out/relabelled.extxyz`` is this run's labelling or nothing, never an earlier one.

A distillation into a folder of an earlier one (another teacher, other frames) that stopped or
failed while the committee labelled left the earlier ``relabelled.extxyz`` under this run's
name: the file read as this run's labelled frames. It is now removed before the labelling; the
labels folder, from which a rerun resumes, is kept.
"""

import ase.io
import numpy as np
import pytest
from ase.calculators.singlepoint import SinglePointCalculator
from tiny_models import emt_copper

from ase_electrolyte import distill as distill_module
from ase_electrolyte.md import Terminated

STOPS = {
    "Ctrl-C": KeyboardInterrupt,
    "SIGTERM": Terminated,
    "teacher NaN": lambda: ValueError("the teacher gave non-finite energy"),
}


def _earlier(out):
    """An earlier distillation's folder: its relabelled frames and one frame's labels."""
    (out / "labels" / "teacher").mkdir(parents=True)
    (out / "labels" / "teacher" / "frame.json").write_text("{}")
    ase.io.write(out / "relabelled.extxyz", emt_copper(2, seed=7))


@pytest.mark.parametrize("stop", STOPS)
def test_a_stopped_labelling_leaves_no_earlier_relabelled_frames(tmp_path, monkeypatch, stop):
    out = tmp_path / "d"
    _earlier(out)

    def stopped(frames, teacher, **kwargs):
        # the file is gone by the time the committee labels
        assert not (out / "relabelled.extxyz").exists()
        raise STOPS[stop]()

    monkeypatch.setattr(distill_module, "relabel", stopped)
    with pytest.raises((KeyboardInterrupt, ValueError)):
        distill_module.distill(["a.pth", "b.pth"], emt_copper(3), epochs=1, out=out,
                               device="cpu")
    assert not (out / "relabelled.extxyz").exists()
    # the labels a rerun resumes from are kept
    assert (out / "labels" / "teacher" / "frame.json").read_text() == "{}"


def test_a_finished_labelling_writes_this_runs_frames(tmp_path, monkeypatch):
    out = tmp_path / "d"
    _earlier(out)
    frames = emt_copper(3)

    def labelled(given, teacher, **kwargs):
        copies = []
        for atoms in given:
            copy = atoms.copy()
            copy.calc = SinglePointCalculator(copy, **atoms.calc.results)
            copy.info.update(teacher_max_forces_std=0.1, teacher_energy_std=0.01)
            copies.append(copy)
        return copies

    def trained(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(distill_module, "relabel", labelled)
    monkeypatch.setattr("ase_electrolyte.finetuning.finetune", trained)
    with pytest.raises(KeyboardInterrupt):
        distill_module.distill(["a.pth", "b.pth"], frames, epochs=1, out=out, device="cpu")
    written = ase.io.read(out / "relabelled.extxyz", ":")
    assert len(written) == len(frames)
    for got, given in zip(written, frames, strict=True):
        np.testing.assert_allclose(got.positions, given.positions, atol=1e-8)
