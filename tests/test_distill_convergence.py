"""Students of a short distillation that have not converged to their labels.

Each student starts from its teacher and keeps that teacher's energy reference until trained
long enough: after one epoch the students of two tiny copper teachers were 22.7 and 0.6 meV/atom
off their common labels, so a committee of them reported a per-atom offset as its energy spread,
and the EnergyOffsetWarning blamed different energy references (labels of other codes) while the
distill results said nothing. distill now evaluates its students on the training frames and
notes that they are not converged, with their offsets; the committee's offset warning (or
refusal) says so when its members' records show one set of training labels.
"""

import json
import re
import shutil
import warnings

import numpy as np
import pytest
from tiny_models import emt_copper, tiny_committee

pytest.importorskip("sevenn")

from ase.calculators.calculator import InputError  # noqa: E402

from ase_electrolyte import Calculator  # noqa: E402
from ase_electrolyte.committee import EnergyOffsetWarning  # noqa: E402
from ase_electrolyte.distill import _unconverged_note, distill  # noqa: E402
from ase_electrolyte.native_build import file_sha256  # noqa: E402


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return tiny_committee(tmp_path_factory.mktemp("tiny_committee_convergence"))[1]


def test_students_of_one_epoch_are_noted_as_not_converged_with_their_offsets(tiny, tmp_path):
    frames = emt_copper(6, a=3.4, rattle=0.1, seed=21)
    results = distill(tiny, frames, epochs=1, out=tmp_path, n_students=2, device="cpu",
                      lr=0.01, batch_size=3, plot=False)
    notes = [n for n in results[0].notes if "not converged" in n]
    assert len(notes) == 1 and all(notes[0] in r.notes for r in results)
    shown = re.search(r"off the labels by (\S+), (\S+) meV/atom", notes[0])
    # the offsets measured independently: each student's mean energy error on the labels
    labelled = results[0].workdir.parent / "relabelled.extxyz"
    import ase.io

    frames = ase.io.read(labelled, ":")
    for k, res in enumerate(results):
        student = Calculator(str(res.checkpoint), device="cpu")
        errors = []
        for atoms in frames:
            work = atoms.copy()
            work.calc = student
            errors.append((work.get_potential_energy() - atoms.get_potential_energy())
                          / len(atoms))
        assert float(shown.group(k + 1)) == pytest.approx(np.mean(errors) * 1e3, rel=0.01,
                                                           abs=0.01)
    offsets = [float(shown.group(k)) for k in (1, 2)]
    assert abs(offsets[0] - offsets[1]) > 2.0  # meV/atom: what the note is about


@pytest.mark.parametrize("case,note", [
    ("one reference, scatter", None),
    ("offsets 20 meV apart", "students are not converged"),
    ("offsets 0.5 meV apart", None),  # below 1 meV/atom
    ("offsets within their scatter", None),
    ("one student 5 meV off", "student is not converged"),
    ("one student 0.5 meV off", None),
    ("one student off by less than its scatter", None),
])
def test_the_convergence_verdict_on_known_errors(case, note):
    rng = np.random.default_rng(7)
    scatter = rng.normal(0.0, 1e-3, (3, 40))  # eV/atom
    offsets = {"one reference, scatter": [0.0, 0.0, 0.0],
               "offsets 20 meV apart": [0.0, 0.02, -0.01],
               "offsets 0.5 meV apart": [0.0, 5e-4, -5e-4],
               # 2.4 meV/atom apart, but the students scatter by more about them
               "offsets within their scatter": [0.0, 3e-3, -3e-3]}
    single = {"one student 5 meV off": 5e-3, "one student 0.5 meV off": 5e-4,
              "one student off by less than its scatter": 1.5e-3}
    if case in offsets:
        errors = scatter * (6.0 if "within" in case else 1.0) + np.array(
            offsets[case])[:, None]
    else:
        errors = scatter[:1] * (3.0 if "scatter" in case else 0.5) + single[case]
    got = _unconverged_note(errors)
    if note is None:
        assert got is None
    else:
        assert note in got and "train" in got


def _fine_tuned_copy(path, folder, shift, train="labels-A", epochs=2):
    """A copy of ``path`` with its per-atom energy shifted by ``shift`` eV, and a finetune
    record beside it naming the training frames ``train``."""
    import torch

    folder.mkdir(parents=True)
    out = folder / "finetuned.pth"
    if shift:
        checkpoint = torch.load(path, weights_only=False, map_location="cpu")
        checkpoint["model_state_dict"]["rescale_atomic_energy.shift"] += shift
        checkpoint["config"]["shift"] = float(checkpoint["config"]["shift"]) + shift
        torch.save(checkpoint, out)
    else:
        shutil.copy(path, out)
    record = {"settings": {"base": {"file_sha256": "f" * 64}, "train": train,
                           "epochs": epochs}, "seed": 1, "model_sha256": file_sha256(out)}
    (folder / "finetuned.json").write_text(json.dumps(record))
    return str(out)


def _evaluate(calc):
    atoms = emt_copper(1, seed=40)[0]
    atoms.calc = calc
    atoms.get_potential_energy()


@pytest.mark.parametrize("train_b,expected", [("labels-A", "not converged"),
                                              ("labels-B", None)])
def test_the_offset_warning_names_unconverged_members_of_one_set_of_labels(
        tiny, tmp_path, train_b, expected):
    members = [_fine_tuned_copy(tiny[0], tmp_path / "a", 0.0),
               _fine_tuned_copy(tiny[0], tmp_path / "b", 0.02, train=train_b)]
    committee = Calculator(members, device="cpu")
    with pytest.warns(EnergyOffsetWarning) as record:
        _evaluate(committee)
    message = next(str(w.message) for w in record if w.category is EnergyOffsetWarning)
    if expected:
        assert ("the members are not converged: they were fine-tuned on the same labels "
                "(2 epoch(s)") in message and "train them for more epochs" in message
    else:  # other labels: nothing says they should agree
        assert "not converged" not in message


def test_a_large_offset_of_one_set_of_labels_is_refused_as_not_converged(tiny, tmp_path):
    members = [_fine_tuned_copy(tiny[0], tmp_path / "a", 0.0, epochs=1),
               _fine_tuned_copy(tiny[0], tmp_path / "b", 0.4, epochs=3)]
    committee = Calculator(members, device="cpu")
    with warnings.catch_warnings():
        warnings.simplefilter("error", EnergyOffsetWarning)
        with pytest.raises(InputError, match=r"members are not converged: .* \(1/3 epoch"):
            _evaluate(committee)
