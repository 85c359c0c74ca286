"""Labels and model predictions of a constrained frame are the calculator's forces on its
coordinates, not the constrained MD forces.

ASE's ``get_forces()`` applies the frame's constraints: a FixAtoms atom reads 0 eV/Å,
FixCartesian/FixedLine/FixedPlane project components away. Reference labels from
``calc.results`` are unconstrained, so a model evaluated through ``get_forces()`` on a
constrained frame was compared with them with the fixed atoms' forces zeroed
(evaluate_frame, IntraInterErrors' isolated molecules, fit_qrd's labels and model).
Here EMT's constrained forces are compared with EMT's own unconstrained ones.
"""

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT
from ase.constraints import FixAtoms, FixCartesian, FixedLine, FixedPlane

from ase_electrolyte.electrostatics import _labels, _model_labels
from mda_electrolyte.model_labels import IsolatedMoleculeEvaluator, evaluate_frame

CONSTRAINTS = {
    "fixatoms": lambda: FixAtoms(indices=[0, 3]),
    "fixatoms_mask": lambda: FixAtoms(mask=[True, False, False, True] + [False] * 4),
    "fixcartesian": lambda: FixCartesian(1, mask=(True, False, True)),
    "fixedline": lambda: FixedLine(2, [1.0, 1.0, 0.0]),
    "fixedplane": lambda: FixedPlane(2, [0.0, 0.0, 1.0]),
}


def _frame(constraint=None):
    atoms = bulk("Cu", "fcc", a=3.7, cubic=True).repeat((2, 1, 1))
    atoms.rattle(0.1, seed=5)
    if constraint is not None:
        atoms.set_constraint(constraint)
    return atoms


def _truth():
    atoms = _frame()
    atoms.calc = EMT()
    return atoms.get_forces(), atoms.get_stress()


@pytest.fixture(scope="module")
def truth():
    return _truth()


@pytest.mark.parametrize("name", sorted(CONSTRAINTS))
def test_evaluate_frame_gives_the_unconstrained_forces(truth, name):
    frame = _frame(CONSTRAINTS[name]())
    out = evaluate_frame(EMT(), frame, ("energy", "forces", "stress"))
    np.testing.assert_allclose(out["forces"], truth[0], atol=1e-12)
    np.testing.assert_allclose(out["stress"], truth[1], atol=1e-12)
    assert frame.constraints  # the caller's frame keeps its constraint


@pytest.mark.parametrize("name", sorted(CONSTRAINTS))
def test_fit_qrd_labels_and_model_are_unconstrained(truth, name):
    frame = _frame(CONSTRAINTS[name]())
    labels = _labels(frame, EMT(), 0)
    model = _model_labels(frame, EMT())
    np.testing.assert_allclose(labels["forces"], truth[0], atol=1e-12)
    np.testing.assert_allclose(model["forces"], truth[0], atol=1e-12)
    np.testing.assert_allclose(labels["stress"], truth[1], atol=1e-12)


def test_an_isolated_molecule_cut_from_a_constrained_frame(truth):
    frame = _frame(FixAtoms(indices=[0, 3]))
    frame.pbc = False
    frame.cell = None
    alone = _frame()
    alone.pbc = False
    alone.cell = None
    alone.calc = EMT()
    evaluator = IsolatedMoleculeEvaluator(EMT())
    energy, forces = evaluator._single(frame)
    np.testing.assert_allclose(forces, alone.get_forces(), atol=1e-12)
    assert np.abs(forces[[0, 3]]).max() > 1e-3
