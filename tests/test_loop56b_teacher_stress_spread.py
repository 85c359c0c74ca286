"""relabel records the teacher's stress spread beside its energy and force spreads: a
committee gives ``stress_std`` on a periodic frame, which the relabelled frames lacked (the
teacher's stress uncertainty of a distillation for NPT was lost). A label folder written
before it was recorded is relabelled, so that every frame of a run carries it; a teacher
without a stress spread, and frames that are not periodic, carry none."""
import json

import ase.io
import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk
from ase.calculators.emt import EMT

from ase_electrolyte.distill import relabel

STRESS_STD = np.array([1e-3, 2e-3, 3e-3, 4e-4, 5e-4, 6e-4])


class EMTCommittee(EMT):
    """EMT dressed as a committee with fixed spreads; counts its evaluations."""

    implemented_properties = ["energy", "free_energy", "forces", "stress", "stress_std"]
    members = ["emt-a", "emt-b"]
    calls = 0

    def _check(self, atoms):
        return None

    def calculate(self, atoms=None, properties=("energy",), system_changes=()):
        type(self).calls += 1
        wanted = ["energy", "forces"] + (["stress"] if atoms.pbc.all() else [])
        super().calculate(atoms, wanted, system_changes)
        self.results["max_forces_std"] = 0.01
        self.results["energy_std"] = 0.002
        if atoms.pbc.all():
            self.results["stress_std"] = STRESS_STD * (1 + atoms.positions[0, 0])


class EMTCommitteeNoStressSpread(EMTCommittee):
    implemented_properties = ["energy", "free_energy", "forces", "stress"]


def _frames(periodic=True, n=3):
    rng = np.random.default_rng(5)
    out = []
    for _ in range(n):
        atoms = bulk("Cu", "fcc", a=3.6, cubic=True)
        atoms.positions += rng.normal(scale=0.05, size=atoms.positions.shape)
        if not periodic:
            atoms = Atoms(atoms.symbols, atoms.positions)
        out.append(atoms)
    return out


@pytest.mark.parametrize("labels", [False, True])
def test_periodic_frames_carry_the_teacher_stress_spread(tmp_path, labels):
    frames = _frames()
    folder = tmp_path / "labels" if labels else None
    got = relabel(frames, EMTCommittee(), labels=folder)
    for atoms, frame in zip(got, frames, strict=True):
        np.testing.assert_allclose(atoms.info["teacher_stress_std"],
                                   STRESS_STD * (1 + frame.positions[0, 0]), rtol=1e-15)
    ase.io.write(tmp_path / "r.extxyz", got, format="extxyz")
    back = ase.io.read(tmp_path / "r.extxyz", ":")
    for a, b in zip(back, got, strict=True):
        np.testing.assert_allclose(a.info["teacher_stress_std"], b.info["teacher_stress_std"])
        np.testing.assert_allclose(a.get_stress(), b.get_stress())  # the label untouched
    if labels:  # reused from the folder with the spread, the teacher not called again
        EMTCommittee.calls = 0
        again = relabel(frames, EMTCommittee(), labels=folder)
        assert EMTCommittee.calls == 0
        for a, b in zip(again, got, strict=True):
            np.testing.assert_array_equal(a.info["teacher_stress_std"],
                                          b.info["teacher_stress_std"])


def test_a_label_folder_without_the_stress_spread_is_relabelled(tmp_path):
    frames = _frames()
    folder = tmp_path / "labels"
    relabel(frames, EMTCommittee(), labels=folder)
    files = sorted(folder.glob("*/*.json"))  # one folder per teacher
    assert len(files) == 3
    old = json.loads(files[1].read_text())
    del old["stress_std"]  # as written before the spread was recorded
    files[1].write_text(json.dumps(old))
    EMTCommittee.calls = 0
    got = relabel(frames, EMTCommittee(), labels=folder)
    assert EMTCommittee.calls == 1
    assert all("teacher_stress_std" in a.info for a in got)


@pytest.mark.parametrize("teacher, periodic", [(EMTCommitteeNoStressSpread, True),
                                               (EMTCommittee, False)])
def test_no_stress_spread_where_the_teacher_gives_none(tmp_path, teacher, periodic):
    got = relabel(_frames(periodic), teacher(), labels=tmp_path / "labels")
    assert all("teacher_stress_std" not in a.info for a in got)
    assert all("teacher_energy_std" in a.info for a in got)
    again = relabel(_frames(periodic), teacher(), labels=tmp_path / "labels")
    assert all("teacher_stress_std" not in a.info for a in again)
