"""Label files of constrained frames written before relabel read the teacher's forces
without the frames' constraints are not reused.

Such a file (no ``unconstrained`` mark) may hold zero forces on the fixed atoms, no
teacher's; a rerun reused them as the teacher's labels. Files of unconstrained frames are
the teacher's whatever their age and are still reused.
"""

import json

import numpy as np
import pytest
from ase.constraints import FixAtoms, FixCartesian
from test_loop55_constrained_relabel import _EMTCommittee, _frame, _reference

from ase_electrolyte.distill import relabel


def _age_label_files(folder, *, zero=(), shift=0.0):
    """Make the label files look as written before the mark: drop it, zero the forces of
    atoms ``zero`` (what the constrained read stored), shift the energy by ``shift`` eV."""
    files = [p for p in folder.rglob("*.json")]
    assert files
    for path in files:
        record = json.loads(path.read_text())
        record.pop("unconstrained", None)
        forces = np.array(record["forces"])
        forces[list(zero)] = 0.0
        record["forces"] = forces.tolist()
        record["energy"] += shift
        path.write_text(json.dumps(record))


@pytest.mark.parametrize("constraint", [FixAtoms(indices=[0, 1]),
                                        FixCartesian(0, mask=(True, True, True))],
                         ids=["FixAtoms", "FixCartesian"])
def test_old_label_files_of_constrained_frames_are_labelled_again(constraint, tmp_path):
    atoms = _frame()
    atoms.set_constraint(constraint)
    labels = tmp_path / "labels"
    relabel([atoms], _EMTCommittee(), labels=labels)
    _age_label_files(labels, zero=(0, 1))
    out = relabel([atoms], _EMTCommittee(), labels=labels)[0]
    forces, _ = _reference(atoms)
    assert np.abs(forces[:2]).max() > 0.1
    np.testing.assert_allclose(out.calc.results["forces"], forces, atol=1e-10)
    # the file is written again, with the mark: a third run reuses it
    assert all(json.loads(p.read_text())["unconstrained"] for p in labels.rglob("*.json"))


def test_old_label_files_of_free_frames_are_still_reused(tmp_path):
    atoms = _frame()
    labels = tmp_path / "labels"
    first = relabel([atoms], _EMTCommittee(), labels=labels)[0]
    _age_label_files(labels, shift=0.5)
    out = relabel([atoms], _EMTCommittee(), labels=labels)[0]
    # the stored record was read (its shifted energy), not the teacher asked again
    assert out.calc.results["energy"] == pytest.approx(first.calc.results["energy"] + 0.5)
