"""evaluate_frame is the one reading of a calculator's unconstrained labels of a frame.

Six modules read them by hand (``atoms.copy()``, ``get_forces(apply_constraint=False)``):
finetune's predictions, distill's teacher, density alignment, the committee's spread
calibration, Electrostatics' charge fit and the isolated molecules. They now call
:func:`mda_electrolyte.model_labels.evaluate_frame`; ``checked=False`` serves the callers that
name a failing frame themselves (relabel collects the frames its teacher gives NaN on and names
them all), so the calculator's own error and non-finite values pass through unchanged.
"""

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.calculator import CalculationFailed, Calculator, all_changes
from ase.calculators.emt import EMT
from ase.constraints import FixAtoms

from mda_electrolyte.model_labels import evaluate_frame

PROPS = ("energy", "forces", "stress")


class _Faulty(Calculator):
    """EMT's labels with one value spoiled (``nan``) or a failure of its own (``raise``)."""

    implemented_properties = ["energy", "forces", "stress"]

    def __init__(self, fault, prop):
        super().__init__()
        self.fault, self.prop = fault, prop

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        if self.fault == "raise":
            raise CalculationFailed("SCF did not converge")
        work = self.atoms.copy()
        work.calc = EMT()
        self.results = {"energy": work.get_potential_energy(),
                        "forces": work.get_forces(apply_constraint=False),
                        "stress": work.get_stress(apply_constraint=False)}
        value = np.array(self.results[self.prop], dtype=float)
        value.flat[0] = np.nan
        self.results[self.prop] = float(value) if self.prop == "energy" else value


def _frame():
    atoms = bulk("Cu", "fcc", a=3.6, cubic=True)
    atoms.rattle(0.1, seed=2)
    atoms.set_constraint(FixAtoms(indices=[0, 1]))
    return atoms


@pytest.mark.parametrize("checked", [True, False])
def test_labels_are_unconstrained_and_the_frame_unchanged(checked):
    atoms = _frame()
    before = atoms.positions.copy()
    out = evaluate_frame(EMT(), atoms, PROPS, checked=checked)
    work = atoms.copy()
    work.set_constraint()
    work.calc = EMT()
    np.testing.assert_allclose(out["energy"], work.get_potential_energy(), rtol=1e-12)
    np.testing.assert_allclose(out["forces"], work.get_forces(), atol=1e-12)
    np.testing.assert_allclose(out["stress"], work.get_stress(), atol=1e-12)
    # the fixed atoms feel a force (a constrained reading gave them 0)
    assert np.abs(out["forces"][:2]).max() > 1e-3
    assert isinstance(out["energy"], float)
    assert out["forces"].dtype == np.float64 and out["stress"].shape == (6,)
    assert atoms.calc is None and len(atoms.constraints) == 1
    np.testing.assert_array_equal(atoms.positions, before)


@pytest.mark.parametrize("prop", PROPS)
def test_unchecked_returns_non_finite_values_checked_refuses_them(prop):
    out = evaluate_frame(_Faulty("nan", prop), _frame(), PROPS, checked=False)
    assert not np.all(np.isfinite(out[prop]))
    assert all(np.all(np.isfinite(out[q])) for q in PROPS if q != prop)
    with pytest.raises(ValueError, match=f"non-finite {prop}"):
        evaluate_frame(_Faulty("nan", prop), _frame(), PROPS)


@pytest.mark.parametrize("prop", PROPS)
def test_unchecked_lets_the_calculators_error_through(prop):
    with pytest.raises(CalculationFailed, match="SCF did not converge"):
        evaluate_frame(_Faulty("raise", prop), _frame(), (prop,), checked=False)
    with pytest.raises(RuntimeError, match=f"failed to give {prop} of a 4-atom frame: SCF"):
        evaluate_frame(_Faulty("raise", prop), _frame(), (prop,))
