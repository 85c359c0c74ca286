"""``Electrostatics(dtype="float32")`` refuses a tolerance its round-off cannot meet.

float32 lattice sums round off at ~1e-7 of the unit force: on rattled NaCl the forces were
10 × a tolerance of 1e-8 and 1000 × one of 1e-10 off the exact sum, returned without a word.
"""

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.calculator import InputError

from ase_electrolyte import Electrostatics
from ase_electrolyte.electrostatics import COULOMB

_Q = [1.0, -1.0] * 4


@pytest.mark.parametrize("tolerance", [1e-8, 1e-10, 5e-7, 9.9e-7, np.float32(1e-8), 1e-15])
def test_a_tolerance_below_float32_reach_is_refused(tolerance):
    with pytest.raises(InputError, match=r"tighter than float32 .* dtype='float64' or a "
                                         r"tolerance of at least 1e-06"):
        Electrostatics(scheme="fixed", charges=_Q, tolerance=tolerance, dtype="Float32")
    calc = Electrostatics(scheme="fixed", charges=_Q, tolerance=tolerance)
    with pytest.raises(InputError, match="tighter than float32"):
        calc.set(dtype="float32")
    assert calc.parameters["dtype"] == "float64"
    calc = Electrostatics(scheme="fixed", charges=_Q, dtype="float32")
    with pytest.raises(InputError, match="tighter than float32"):
        calc.set(tolerance=tolerance)
    assert calc.parameters["tolerance"] == 1e-6


@pytest.mark.parametrize("method", ["ewald", "pme"])
def test_float32_meets_the_loosest_floor_it_takes(method):
    # np.float32(1e-6) is 9.99999997e-07: taken as 1e-6, and met
    atoms = bulk("NaCl", "rocksalt", a=5.64, cubic=True)
    atoms.rattle(0.2, seed=3)
    ref = atoms.copy()
    ref.calc = Electrostatics(scheme="fixed", charges=_Q, tolerance=1e-12, method="ewald")
    tolerance = np.float32(1e-6)
    atoms.calc = Electrostatics(scheme="fixed", charges=_Q, tolerance=tolerance,
                                dtype="float32", method=method)
    error = atoms.get_forces() - ref.get_forces()
    rms = np.sqrt(np.mean(np.sum(error**2, axis=1)))
    assert rms < 1.1 * float(tolerance) * COULOMB
