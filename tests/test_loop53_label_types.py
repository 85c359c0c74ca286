"""Labels that are flags, not numbers, are refused naming the frame and the label.

``read_labelled`` converted every label to float: an energy of ``True`` trained as 1 eV, forces
given as a boolean mask (a column of flags taken for the forces) as 0 and 1 eV/Å, a stress
of flags as 0 and 1 eV/Å³. Numbers of any numeric type (int, float32) still pass, unchanged.
"""

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT
from ase.calculators.singlepoint import SinglePointCalculator

from ase_electrolyte.finetuning import read_labelled


def _copper(seed):
    atoms = bulk("Cu", cubic=True) * (2, 2, 1)
    atoms.rattle(0.05, seed=seed)
    atoms.calc = EMT()
    atoms.calc = SinglePointCalculator(atoms, energy=atoms.get_potential_energy(),
                                       forces=atoms.get_forces(), stress=atoms.get_stress())
    return atoms


def _with(atoms, where, **labels):
    results = {**atoms.calc.results, **labels}
    copy = atoms.copy()
    if where == "calculator":
        copy.calc = SinglePointCalculator(copy, **results)
    else:  # as ase.io.extxyz leaves plain keys
        copy.info.update(energy=results["energy"], stress=results["stress"])
        copy.arrays["forces"] = np.asarray(results["forces"])
    return copy


FLAGS = {
    "energy True": ("energy", True),
    "energy np.True_": ("energy", np.True_),
    "energy [False]": ("energy", np.array([False])),
    "forces mask": ("forces", np.ones((16, 3), dtype=bool)),
    "stress flags": ("stress", np.array([True, False, True, False, False, False])),
}


# ase's SinglePointCalculator turns arrays into floats itself; a plain energy stays as given
CASES = [(case, "info") for case in FLAGS] + [
    (case, "calculator") for case in FLAGS if not isinstance(FLAGS[case][1], np.ndarray)]


@pytest.mark.parametrize("case, where", CASES)
@pytest.mark.parametrize("k", [0, 2])
def test_flag_labels_are_refused(case, where, k):
    name, value = FLAGS[case]
    frames = [_copper(seed) for seed in range(3)]
    frames[k] = _with(frames[k], where, **{name: value})
    with pytest.raises(ValueError, match=rf"training data: frame {k}: the {name} label is not "
                                         r"numbers"):
        read_labelled(frames, check_units=False)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("energy", [-3, np.int64(-3), np.float32(-3.0), -3.0])
def test_numbers_of_any_numeric_type_pass_unchanged(dtype, energy):
    frames = [_copper(seed) for seed in range(3)]
    forces = frames[1].calc.results["forces"].astype(dtype)
    frames[1] = _with(frames[1], "info", forces=forces, energy=energy)
    out = read_labelled(frames, check_units=False)
    np.testing.assert_array_equal(out[1].calc.results["forces"], forces.astype(np.float64))
    assert out[1].calc.results["energy"] == -3.0
