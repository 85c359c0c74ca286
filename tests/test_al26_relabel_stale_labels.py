"""relabel replaces a frame's earlier labels wherever they are kept.

Frames built in memory (or read by ase.io without a calculator) hold their labels as
``info["energy"]``, ``info["stress"]``/``info["virial"]`` and ``arrays["forces"]``; relabel put
the teacher's labels in a calculator and left those beside them. ase's extxyz writer then
refused the frames ("key from calculator already exists in atoms.info"): distill failed
writing relabelled.extxyz after the teacher had labelled every frame, and a reader of the
``info`` keys took the old labels for the teacher's.

The teacher here is EMT scaled by 1.1 dressed as a committee (no model is trained): its labels
differ from the frames' stale EMT ones by 10 %.
"""

import ase.io
import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT
from ase.stress import voigt_6_to_full_3x3_stress

from ase_electrolyte.distill import relabel
from ase_electrolyte.finetuning import read_labelled

SCALE = 1.1


class ScaledEMTCommittee(EMT):
    """EMT times SCALE with a committee's spread keys: a teacher relabel can evaluate."""

    implemented_properties = ["energy", "free_energy", "forces", "stress"]
    members = ["emt-a", "emt-b"]

    def _check(self, atoms):
        # EMT covers every element of these copper frames: nothing to refuse
        return None

    def calculate(self, atoms=None, properties=("energy",), system_changes=()):
        super().calculate(atoms, ["energy", "forces", "stress"], system_changes)
        for key in ("energy", "free_energy", "forces", "stress"):
            self.results[key] = SCALE * np.asarray(self.results[key])
        self.results["energy"] = float(self.results["energy"])
        self.results["max_forces_std"] = 0.01
        self.results["energy_std"] = 0.002


def _stale_frames(n=3, seed=1):
    rng = np.random.default_rng(seed)
    frames = []
    for _ in range(n):
        atoms = bulk("Cu", "fcc", a=3.6, cubic=True)
        atoms.positions += rng.normal(scale=0.1, size=atoms.positions.shape)
        atoms.calc = EMT()
        energy, forces, stress = (atoms.get_potential_energy(), atoms.get_forces(),
                                  atoms.get_stress())
        atoms.calc = None
        atoms.info["energy"] = energy
        atoms.arrays["forces"] = forces.copy()
        frames.append((atoms, energy, stress))
    return frames


def _reference(atoms):
    work = atoms.copy()
    work.calc = ScaledEMTCommittee()
    return work.get_potential_energy(), work.get_forces(), work.get_stress()


@pytest.mark.parametrize("stress_key", ["stress", "virial", None])
def test_relabelled_frames_hold_the_teachers_labels_only(tmp_path, stress_key):
    stale = _stale_frames()
    frames = []
    for atoms, _, stress in stale:
        if stress_key == "stress":
            atoms.info["stress"] = stress
        elif stress_key == "virial":
            virial = -atoms.get_volume() * voigt_6_to_full_3x3_stress(stress)
            atoms.info["virial"] = virial.ravel()
        atoms.info["free_energy"] = atoms.info["energy"]
        frames.append(atoms)
    before = [(a.info.copy(), a.arrays["forces"].copy()) for a in frames]
    out = relabel(frames, ScaledEMTCommittee())
    path = tmp_path / "relabelled.extxyz"
    ase.io.write(path, out, format="extxyz")  # KeyError before
    back = read_labelled(path, what="relabelled")
    for atoms, new, read in zip(frames, out, back, strict=True):
        energy, forces, stress = _reference(atoms)
        assert not {"energy", "free_energy", "stress", "virial"} & set(new.info)
        assert "forces" not in new.arrays
        for frame in (new, read):
            assert frame.get_potential_energy() == pytest.approx(energy, abs=1e-7)
            np.testing.assert_allclose(frame.get_forces(), forces, atol=1e-7)
            np.testing.assert_allclose(frame.get_stress(), stress, atol=1e-9)
        # the stale labels are 10 % off: what was kept before
        assert abs(read.get_potential_energy() - atoms.info["energy"]) > 0.05 * abs(energy)
    # the caller's frames keep their own labels
    for atoms, (info, forces) in zip(frames, before, strict=True):
        assert atoms.info.keys() == info.keys() and atoms.calc is None
        np.testing.assert_array_equal(atoms.arrays["forces"], forces)


class NaNOnFlaggedFrames(ScaledEMTCommittee):
    """The scaled-EMT teacher returning NaN forces where ``info["far"]`` is set: a member far
    outside its data."""

    calls = 0

    def calculate(self, atoms=None, properties=("energy",), system_changes=()):
        type(self).calls += 1
        super().calculate(atoms, properties, system_changes)
        if atoms.info.get("far"):
            self.results["forces"] = np.full_like(self.results["forces"], np.nan)
            self.results["max_forces_std"] = np.nan


def test_non_finite_teacher_labels_are_refused_naming_every_frame():
    frames = [atoms for atoms, _, _ in _stale_frames(5, seed=3)]
    for k in (1, 3):
        frames[k].info["far"] = True
    NaNOnFlaggedFrames.calls = 0
    with pytest.raises(ValueError, match=r"non-finite energy, forces or stress .* on 2 of 5 "
                                         r"frame\(s\): 1, 3; .*leave them out"):
        relabel(frames, NaNOnFlaggedFrames())
    # every frame was tried once: the message names all of them, not the first
    assert NaNOnFlaggedFrames.calls == 5
    good = [a for a in frames if not a.info.get("far")]
    out = relabel(good, NaNOnFlaggedFrames())
    assert all(np.isfinite(a.get_forces()).all() for a in out)
    for atoms, new in zip(good, out, strict=True):
        assert new.get_potential_energy() == pytest.approx(_reference(atoms)[0], abs=1e-7)


class CopperOnlyMember:
    """A member covering copper only (the check a Calculator runs before evaluating)."""

    def __init__(self, name):
        self.name = name

    def _check(self, atoms):
        if set(atoms.get_chemical_symbols()) - {"Cu"}:
            raise ValueError(f"the model {self.name!r} does not cover the element(s) Al")


class CopperCommittee(ScaledEMTCommittee):
    def __init__(self, models, **kwargs):
        super().__init__()
        self.members = [CopperOnlyMember(m) for m in models]

    def _check(self, atoms):
        for member in self.members:
            member._check(atoms)


def test_distill_refuses_validation_elements_a_student_lacks_before_labelling(tmp_path,
                                                                                monkeypatch):
    import ase_electrolyte.calculator
    from ase_electrolyte.distill import distill

    monkeypatch.setattr(ase_electrolyte.calculator, "Calculator", CopperCommittee)
    calls = []
    monkeypatch.setattr(CopperCommittee, "calculate",
                        lambda self, *a, **k: calls.append(1) or ScaledEMTCommittee.calculate(
                            self, *a, **k))
    frames = [atoms for atoms, _, _ in _stale_frames(4, seed=5)]
    valid = []
    for atoms, _energy, stress in _stale_frames(2, seed=6):
        atoms.calc = None
        atoms.info["stress"] = stress
        valid.append(atoms)
    valid[1].numbers[0] = 13
    with pytest.raises(ValueError, match=r"validation data \(student 0 starts from a\.pth\): "
                                         r"frame 1: .*does not cover the element\(s\) Al"):
        distill(["a.pth", "b.pth"], frames, epochs=1, out=tmp_path / "d", batch_size=2,
                valid=valid)
    # refused before the teacher labelled any frame
    assert calls == []
