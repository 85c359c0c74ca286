"""Recorded teacher labels are reused only for the same frame *as the teacher reads it*.

A frame's labels were filed under its elements, positions, cell, pbc and initial charges
only: a frame whose declared net charge (``info["charge"]``, the ``formal_charge`` array) was
corrected between two labellings was given the labels of the old charge, which a charge-aware
teacher (a Calculator with Electrostatics) had computed for it. Frames without those inputs
are filed as before, so earlier label folders stay valid.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.calculator import Calculator as AseCalculator
from ase.calculators.calculator import all_changes

from ase_electrolyte.distill import _frame_sha256, relabel


class _ChargeTeacher(AseCalculator):
    """A committee stand-in whose energy is its declared net charge (eV per e): labels that
    depend on the charge as an Electrostatics term's do."""

    implemented_properties = ["energy", "forces", "stress"]

    def __init__(self):
        super().__init__()
        self.members = ["a", "b"]
        self.calls = 0

    def _check(self, atoms):
        pass

    def check_state(self, atoms, tol=1e-15):
        # the charge is read from info/arrays, which ASE's check_state does not compare
        return list(all_changes)

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        self.calls += "energy" in properties  # one per frame labelled
        charge = float(self.atoms.info.get("charge", 0.0))
        if "formal_charge" in self.atoms.arrays:
            charge = float(self.atoms.arrays["formal_charge"].sum())
        self.results = {"energy": charge, "free_energy": charge,
                        "forces": np.zeros((len(self.atoms), 3)), "stress": np.zeros(6),
                        "max_forces_std": 0.0, "energy_std": 0.0}


def _frame():
    atoms = bulk("Cu", "fcc", a=3.6, cubic=True)
    atoms.rattle(0.05, seed=1)
    return atoms


def _old_sha256(atoms):
    h = hashlib.sha256()
    for array in (atoms.numbers, atoms.positions, atoms.cell.array, atoms.pbc,
                  atoms.get_initial_charges()):
        h.update(np.ascontiguousarray(array, dtype=np.float64).tobytes())
        h.update(b"|")
    return h.hexdigest()


@pytest.mark.parametrize("declare", ["info", "formal_charge"])
def test_a_corrected_net_charge_is_labelled_again(tmp_path, declare):
    teacher = _ChargeTeacher()
    frames = []
    for charge in (0.0, 1.0):
        atoms = _frame()
        if declare == "info":
            atoms.info["charge"] = charge
        else:
            atoms.arrays["formal_charge"] = np.r_[charge, np.zeros(len(atoms) - 1)]
        frames.append(atoms)
    first = relabel(frames[:1], teacher, labels=tmp_path / "labels")
    second = relabel(frames[1:], teacher, labels=tmp_path / "labels")
    assert first[0].get_potential_energy() == 0.0
    # the old filing returned 0 eV (the neutral frame's label) for the charged frame
    assert second[0].get_potential_energy() == 1.0
    assert teacher.calls == 2
    # the same frame again is reused, not relabelled
    again = relabel(frames, teacher, labels=tmp_path / "labels")
    assert [a.get_potential_energy() for a in again] == [0.0, 1.0]
    assert teacher.calls == 2


def test_a_frame_without_charge_inputs_is_filed_as_before():
    atoms = _frame()
    assert _frame_sha256(atoms) == _old_sha256(atoms)
    atoms.info["charge"] = 0
    assert _frame_sha256(atoms) != _old_sha256(atoms)


def test_the_filing_follows_the_inputs_not_their_container():
    a, b = _frame(), _frame()
    a.info["charge"] = 1
    b.info["charge"] = 1.0
    assert _frame_sha256(a) == _frame_sha256(b)
    b.info["charge"] = -1.0
    assert _frame_sha256(a) != _frame_sha256(b)


@pytest.mark.parametrize(("label", "where", "count"), [
    ("forces", (0, 0), 1), ("energy", None, 1), ("stress", (2,), 1),
])
def test_a_non_finite_label_is_named_with_its_count(label, where, count):
    from ase.calculators.singlepoint import SinglePointCalculator

    from ase_electrolyte.finetuning import read_labelled

    atoms = _frame()
    results = {"energy": -1.0, "forces": np.zeros((len(atoms), 3)), "stress": np.zeros(6)}
    if where is None:
        results[label] = np.nan
    else:
        results[label][where] = np.inf
    atoms.calc = SinglePointCalculator(atoms, **results)
    with pytest.raises(ValueError, match=rf"frame 0 has non-finite labels: {label} \({count} of "
                                         r"\d+ values NaN or infinite\)"):
        read_labelled([atoms])
