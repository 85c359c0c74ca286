"""relabel gives the teacher's forces and stress, whatever constraints the frames carry.

The labels were read through ``atoms.get_forces()``, which applies the frame's constraints:
FixAtoms (a slab's lower layers held in place) zeroed the fixed atoms' force labels
(0 eV/Å where the teacher gives 1.4 eV/Å), which a student then learnt as the model's; the
label file, whose name does not hold constraints, gave the zeros to the same frame without
them. The teacher here is a committee of two EMT calculators (a stand-in with the committee
interface relabel reads: members, max_forces_std, energy_std), so the reference labels are
EMT's own forces and stress.
"""

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.calculator import Calculator, all_changes
from ase.calculators.emt import EMT
from ase.constraints import FixAtoms, FixCartesian, FixedLine, FixedPlane

from ase_electrolyte.distill import relabel


class _EMTCommittee(Calculator):
    """Two EMT members with a (zero) spread: the interface relabel reads of a committee."""

    implemented_properties = ["energy", "forces", "stress", "energy_std", "max_forces_std"]

    def __init__(self):
        super().__init__()
        self.members = [EMT(), EMT()]

    def _check(self, atoms):
        pass

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        work = self.atoms.copy()
        work.calc = EMT()
        self.results = {"energy": work.get_potential_energy(),
                        "forces": work.get_forces(apply_constraint=False),
                        "stress": work.get_stress(apply_constraint=False),
                        "energy_std": 0.0, "max_forces_std": 0.0}


def _frame():
    atoms = bulk("Cu", "fcc", a=3.6, cubic=True).repeat((2, 1, 1))
    atoms.rattle(0.15, seed=4)
    return atoms


CONSTRAINTS = {
    "FixAtoms": lambda a: FixAtoms(indices=[0, 3]),
    "FixAtoms mask": lambda a: FixAtoms(mask=[True] * 4 + [False] * (len(a) - 4)),
    "FixCartesian": lambda a: FixCartesian(1, mask=(True, False, True)),
    "FixedLine": lambda a: FixedLine(2, [0, 0, 1]),
    "FixedPlane": lambda a: FixedPlane(5, [1, 0, 0]),
}


def _reference(atoms):
    work = atoms.copy()
    work.set_constraint()
    work.calc = EMT()
    return work.get_forces(), work.get_stress()


@pytest.mark.parametrize("name", sorted(CONSTRAINTS))
def test_constrained_frames_get_the_teachers_labels(name):
    atoms = _frame()
    atoms.set_constraint(CONSTRAINTS[name](atoms))
    given = atoms.copy()
    forces, stress = _reference(atoms)
    # the case must be one the constraint changes: its fixed components are not zero
    assert np.abs(forces).max() > 0.1
    out = relabel([atoms], _EMTCommittee())[0]
    np.testing.assert_allclose(out.calc.results["forces"], forces, rtol=0, atol=1e-10)
    np.testing.assert_allclose(out.calc.results["stress"], stress, rtol=0, atol=1e-12)
    # the frame keeps its constraint; the caller's frame is not changed
    assert [type(c) for c in out.constraints] == [type(c) for c in given.constraints]
    np.testing.assert_array_equal(atoms.positions, given.positions)
    assert atoms.calc is None


def test_labels_stored_for_a_constrained_frame_are_the_unconstrained_frames(tmp_path):
    # one label file serves the frame with and without its constraint (its name holds
    # neither): both runs must give the teacher's forces
    constrained = _frame()
    constrained.set_constraint(FixAtoms(indices=[0, 1, 2]))
    first = relabel([constrained], _EMTCommittee(), labels=tmp_path / "labels")[0]
    plain = _frame()
    second = relabel([plain], _EMTCommittee(), labels=tmp_path / "labels")[0]
    forces, _ = _reference(plain)
    np.testing.assert_allclose(first.calc.results["forces"], forces, atol=1e-10)
    np.testing.assert_allclose(second.calc.results["forces"], forces, atol=1e-10)
    assert np.abs(forces[:3]).max() > 0.1


def test_the_stand_in_teacher_gives_emts_labels_on_a_free_frame():
    atoms = _frame()
    forces, stress = _reference(atoms)
    out = relabel([atoms], _EMTCommittee())[0]
    np.testing.assert_allclose(out.calc.results["forces"], forces, atol=1e-10)
    np.testing.assert_allclose(out.calc.results["stress"], stress, atol=1e-12)
