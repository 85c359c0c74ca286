"""``Electrostatics`` has floors for ``tolerance`` (the round-off of the float64 lattice sums)
and for the real-space ``cutoff`` (0.1 Å, the closest distance accepted).

A denormal tolerance (5e-324) was accepted and halved to 0 in the tuning (ZeroDivisionError at
the first energy); 1e-20 was tuned as if float64 sums could meet it.
"""

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.calculator import InputError

from ase_electrolyte import Electrostatics
from ase_electrolyte.electrostatics import COULOMB

_QRD = {"Na": (1.0, 1.0), "Cl": (-1.0, 1.0)}


@pytest.mark.parametrize("tolerance", [5e-324, 1e-310, 1e-300, 1e-20, 9.9e-16, np.float64(1e-16)])
def test_a_tolerance_below_the_float64_round_off_is_refused_when_given(tolerance):
    with pytest.raises(InputError, match="tolerance must be at least 1e-15"):
        Electrostatics(scheme="qrd", qrd=_QRD, tolerance=tolerance)
    calc = Electrostatics(scheme="qrd", qrd=_QRD, tolerance=1e-6)
    with pytest.raises(InputError, match="tolerance must be at least 1e-15"):
        calc.set(tolerance=tolerance)
    assert calc.parameters["tolerance"] == 1e-6


def test_the_tightest_tolerance_gives_the_madelung_energy():
    atoms = bulk("NaCl", "rocksalt", a=5.64)
    atoms.calc = Electrostatics(scheme="qrd", qrd=_QRD, tolerance=1e-15, method="ewald")
    madelung = -atoms.get_potential_energy() * (5.64 / 2) / COULOMB
    assert madelung == pytest.approx(1.747564594633, abs=1e-7)


@pytest.mark.parametrize("cutoff", [5e-324, 1e-300, 1e-3, 0.1, np.float32(0.05)])
def test_a_real_space_cutoff_within_the_closest_distance_is_refused_when_given(cutoff):
    # 5e-324 Å divided by zero in the tuning, 1e-300 asked for "a PME mesh of inf points"
    with pytest.raises(InputError, match=r"cutoff \(Å\) or 'auto' must be a finite number > 0.1"):
        Electrostatics(scheme="qrd", qrd=_QRD, cutoff=cutoff)
    calc = Electrostatics(scheme="qrd", qrd=_QRD, cutoff=9.0)
    with pytest.raises(InputError, match="cutoff"):
        calc.set(cutoff=cutoff)
    assert calc.parameters["cutoff"] == 9.0
