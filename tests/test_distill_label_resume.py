"""Distillation labelling that resumes per frame.

A distillation rerun relabelled every frame: the teacher's labels of the frames it had already
labelled before a stop (SIGTERM from a batch scheduler, Ctrl-C) were thrown away, minutes to
hours of committee evaluations. :func:`relabel` now records each frame's labels as soon as the
teacher has made them (one JSON file per frame, written atomically, named by the frame's hash,
under a folder named by the teacher's fingerprint): a rerun labels only the frames without
labels, with labels equal to an uninterrupted run's bit for bit, and another teacher labels
every frame again.
"""

import os
import shutil
import signal

import numpy as np
import pytest
from tiny_models import emt_copper, tiny_committee

pytest.importorskip("sevenn")

from ase_electrolyte import Calculator  # noqa: E402
from ase_electrolyte.distill import distill, relabel  # noqa: E402
from ase_electrolyte.md import Terminated  # noqa: E402


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return tiny_committee(tmp_path_factory.mktemp("tiny_committee_resume"))[1]


@pytest.fixture(scope="module")
def other(tmp_path_factory):
    """Another tiny committee of the same elements and cutoff (3 epochs, not 20): the one
    test_model22_committee_calibration.py trains too, so that a whole run trains it once
    (tiny_committee caches by members and epochs)."""
    return tiny_committee(tmp_path_factory.mktemp("tiny_committee_other"), epochs=3)[1]


def _frames():
    # compressed, rattled copper: the members disagree there
    return emt_copper(5, a=3.4, rattle=0.1, seed=31)


class _Counter:
    """A committee callback: which frames the teacher evaluated; SIGTERM at frame ``stop``."""

    def __init__(self, stop=None):
        self.frames, self.stop = [], stop

    def __call__(self, atoms, results):
        key = atoms.positions.tobytes()
        if key not in self.frames:
            self.frames.append(key)
        if self.stop is not None and len(self.frames) == self.stop:
            self.stop = None
            # a SIGTERM nobody takes over would kill pytest: fail instead
            assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, None)
            os.kill(os.getpid(), signal.SIGTERM)


def _teacher(models, counter):
    calc = Calculator(list(models), device="cpu")
    calc.callbacks.append(counter)
    return calc


def _assert_same_labels(got, expected):
    assert len(got) == len(expected)
    for a, b in zip(got, expected, strict=True):
        assert a.get_potential_energy() == b.get_potential_energy()
        assert np.array_equal(a.get_forces(), b.get_forces())
        assert np.array_equal(a.get_stress(), b.get_stress())
        assert a.info["teacher_max_forces_std"] == b.info["teacher_max_forces_std"]
        assert a.info["teacher_energy_std"] == b.info["teacher_energy_std"]


def _label_files(folder):
    return sorted(p for p in folder.rglob("*.json"))


def test_a_labelling_stopped_by_sigterm_resumes_with_the_missing_frames(tiny, tmp_path):
    frames = _frames()
    expected = relabel(frames, _teacher(tiny, _Counter()))
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    stopper = _Counter(stop=3)
    with pytest.raises(Terminated) as info:
        relabel(frames, _teacher(tiny, stopper), labels=tmp_path / "labels")
    # frame 2 was evaluated but stopped before its labels were kept
    assert len(_label_files(tmp_path / "labels")) == 2
    assert any("the labels of 2 frame(s) are kept" in note and "frame 2 of 5" in note
               for note in info.value.__notes__)
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    counter = _Counter()
    got = relabel(frames, _teacher(tiny, counter), labels=tmp_path / "labels")
    assert len(counter.frames) == 3
    assert counter.frames == [a.positions.tobytes() for a in frames[2:]]
    _assert_same_labels(got, expected)
    # a third run evaluates nothing
    counter = _Counter()
    _assert_same_labels(relabel(frames, _teacher(tiny, counter), labels=tmp_path / "labels"),
                        expected)
    assert counter.frames == []


def test_a_changed_teacher_labels_every_frame_again(tiny, other, tmp_path):
    frames = _frames()
    member = tmp_path / "member.pth"
    shutil.copyfile(tiny[0], member)
    relabel(frames, _teacher([member, tiny[1]], _Counter()), labels=tmp_path / "labels")
    first = {p.parent.name for p in _label_files(tmp_path / "labels")}
    # the member retrained into the same file: same paths, another teacher
    shutil.copyfile(other[0], member)
    expected = relabel(frames, _teacher([member, tiny[1]], _Counter()))
    counter = _Counter()
    got = relabel(frames, _teacher([member, tiny[1]], counter), labels=tmp_path / "labels")
    assert len(counter.frames) == len(frames)
    _assert_same_labels(got, expected)
    # the earlier teacher's labels are gone, not kept to mislead
    folders = {p.parent.name for p in _label_files(tmp_path / "labels")}
    assert len(folders) == 1 and folders.isdisjoint(first)
    # other members in the same files, or the same members in another order: relabelled
    for models in ([tiny[1], member], list(other)):
        counter = _Counter()
        relabel(frames, _teacher(models, counter), labels=tmp_path / "labels")
        assert len(counter.frames) == len(frames)


@pytest.mark.parametrize("damage", ["truncated", "nan", "other frame", "wrong shape"])
def test_a_damaged_or_foreign_label_file_is_labelled_again(tiny, tmp_path, damage):
    import json

    frames = _frames()
    expected = relabel(frames, _teacher(tiny, _Counter()), labels=tmp_path / "labels")
    files = {f.name: f for f in _label_files(tmp_path / "labels")}
    from ase_electrolyte.distill import _frame_sha256

    target = files[f"{_frame_sha256(frames[1])}.json"]
    text = target.read_text()
    if damage == "truncated":
        target.write_text(text[: len(text) // 2])
    else:
        stored = json.loads(text)
        if damage == "nan":
            text = text.replace(repr(stored["energy"]), "NaN", 1)
            assert "NaN" in text
            target.write_text(text)
        elif damage == "other frame":
            stored["frame"] = _frame_sha256(frames[0])
            target.write_text(json.dumps(stored))
        else:
            stored["forces"] = stored["forces"][:-1]
            target.write_text(json.dumps(stored))
    counter = _Counter()
    got = relabel(frames, _teacher(tiny, counter), labels=tmp_path / "labels")
    assert counter.frames == [frames[1].positions.tobytes()]
    _assert_same_labels(got, expected)


def test_relabel_with_labels_leaves_the_caller_frames_alone(tiny, tmp_path):
    frames = _frames()
    before = [(a.positions.copy(), a.calc.results["energy"], dict(a.info)) for a in frames]
    relabel(frames, _teacher(tiny, _Counter()), labels=tmp_path / "labels")
    relabel(frames, _teacher(tiny, _Counter()), labels=tmp_path / "labels")
    for atoms, (positions, energy, info) in zip(frames, before, strict=True):
        assert np.array_equal(atoms.positions, positions)
        assert atoms.calc.results["energy"] == energy
        assert atoms.info == info


def test_a_labels_path_that_is_a_file_is_refused_before_the_teacher_runs(tiny, tmp_path):
    (tmp_path / "labels").write_text("not a folder")
    counter = _Counter()
    with pytest.raises(ValueError, match="labels"):
        relabel(_frames(), _teacher(tiny, counter), labels=tmp_path / "labels")
    assert counter.frames == []
    assert (tmp_path / "labels").read_text() == "not a folder"


def test_a_distillation_stopped_while_labelling_resumes_there(tiny, tmp_path, monkeypatch):
    from ase_electrolyte.committee import Committee

    frames = _frames()
    evaluated = []
    calculate = Committee.calculate

    def counting(self, atoms=None, *args, **kwargs):
        key = atoms.positions.tobytes()
        if key not in evaluated:
            evaluated.append(key)
            if len(evaluated) == 4 and stop:
                stop.clear()
                os.kill(os.getpid(), signal.SIGTERM)
        return calculate(self, atoms, *args, **kwargs)

    stop = [True]
    monkeypatch.setattr(Committee, "calculate", counting)
    options = dict(epochs=1, out=tmp_path / "distill", device="cpu", lr=0.01, batch_size=2,
                   plot=False)
    with pytest.raises(Terminated):
        distill(tiny, frames, **options)
    assert not (tmp_path / "distill" / "relabelled.extxyz").exists()
    evaluated.clear()
    results = distill(tiny, frames, **options)
    # frames 0-2 were labelled and kept; frame 3 was stopped in its evaluation
    assert evaluated == [a.positions.tobytes() for a in frames[3:]]
    assert results[0].checkpoint.is_file()
    import ase.io

    written = ase.io.read(tmp_path / "distill" / "relabelled.extxyz", ":")
    fresh = relabel(frames, tiny, device="cpu")
    for a, b in zip(written, fresh, strict=True):
        assert a.get_potential_energy() == pytest.approx(b.get_potential_energy(), abs=1e-6)
        np.testing.assert_allclose(a.get_forces(), b.get_forces(), atol=1e-6)
