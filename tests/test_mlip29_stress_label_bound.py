"""One bound for stored stress labels: the fine-tune's training labels and IntraInterErrors'
references are judged alike (mda_electrolyte.model_labels.stress_label_bound).

Before: read_labelled allowed a stress up to the virial scale of the frame's forces (atoms
pressed together: EMT copper rattled by 0.3 Å in a 4-atom cell has 0.5-3.5 eV/Å³), while
IntraInterErrors refused any reference whose stresses passed 1 eV/Å³ as "GPa, kbar or bar":
the same labels trained a model and were refused as the reference of its error analysis.
"""

import sys
from pathlib import Path

import numpy as np
import pytest
from ase.units import GPa

sys.path.insert(0, str(Path(__file__).parent))
from tiny_models import emt_copper  # noqa: E402

from ase_electrolyte.finetuning import read_labelled  # noqa: E402
from mda_electrolyte.intra_inter_errors import _frame_labels  # noqa: E402
from mda_electrolyte.model_labels import MAX_STRESS, stress_label_bound  # noqa: E402


def _verdicts(frame):
    """(fine-tune accepts, IntraInterErrors accepts) the frame's labels."""
    out = []
    for judge in (lambda f: read_labelled([f], check_units=False), _frame_labels):
        try:
            judge([frame] if judge is _frame_labels else frame)
            out.append(True)
        except ValueError as err:
            assert "GPa" in str(err) and "eV/Å³" in str(err), err
            out.append(False)
    return tuple(out)


def _in_gpa(frame):
    copy = frame.copy()
    copy.calc = type(frame.calc)(copy, **dict(frame.calc.results))
    copy.calc.results["stress"] = frame.calc.results["stress"] / GPa
    return copy


def test_pressed_atoms_and_slipped_units_get_one_verdict_from_both():
    # forces under the fine-tune's 30 eV/Å RMS (beyond it: kcal/mol/Å, refused on its own)
    frames = [a for a in emt_copper(12, rattle=0.3, seed=1)
              if np.sqrt(np.mean(a.calc.results["forces"] ** 2)) < 30.0]
    frames += emt_copper(4, a=3.5, rattle=0.05, seed=2)
    pressed = [a for a in frames if np.abs(a.calc.results["stress"]).max() > MAX_STRESS]
    assert pressed  # stresses beyond 1 eV/Å³ that the frames' forces make
    for atoms in frames:
        bound = stress_label_bound(atoms.calc.results["forces"], atoms.get_volume())
        assert np.abs(atoms.calc.results["stress"]).max() < bound
        assert _verdicts(atoms) == (True, True)
        slipped = _in_gpa(atoms)
        if np.abs(slipped.calc.results["stress"]).max() > bound:
            assert _verdicts(slipped) == (False, False)
    # the near-equilibrium frames' few GPa written in GPa are beyond the bound
    assert all(_verdicts(_in_gpa(a)) == (False, False) for a in frames[-4:])


def test_the_bound_is_the_virial_scale_of_the_forces():
    # two atoms, forces ±F along x in a cell of volume V: 2F (V/2)^(1/3) / V
    forces = np.array([[7.0, 0.0, 0.0], [-7.0, 0.0, 0.0]])
    assert stress_label_bound(forces, 27.0) == pytest.approx(
        max(MAX_STRESS, 14.0 * 13.5 ** (1 / 3) / 27.0))
    assert stress_label_bound(forces * 0.01, 27.0) == MAX_STRESS
    assert stress_label_bound() == MAX_STRESS
