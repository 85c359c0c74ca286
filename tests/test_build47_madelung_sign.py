"""The sign of madelung_energy (mda_electrolyte.model_labels).

Before: its docstring promised "Negative for any charge other than 0", but the energy of a
point charge's images and their neutralising background is positive in elongated cells (a
10 × 10 × 40 Å box: +0.21 eV for q = 1; it grows as π q² L_z / (6 A), a charged sheet against
the background), which callers relying on the promise would have taken for a bug. The
docstring now states both signs with these numbers, checked here against the function.
"""

import numpy as np
import pytest
from ase.units import _e, _eps0, m

from mda_electrolyte.model_labels import madelung_energy

COULOMB = _e / (4 * np.pi * _eps0) * m  # e²/4πε₀ in eV Å


def test_the_docstring_does_not_promise_a_negative_energy_for_every_cell():
    doc = madelung_energy.__doc__
    assert "Negative for any charge" not in doc
    assert "positive in elongated cells" in doc


def test_the_documented_values_hold():
    assert madelung_energy(1, np.eye(3) * 10.0) == pytest.approx(-2.04, abs=0.005)
    assert madelung_energy(1, np.diag([10.0, 10.0, 40.0])) == pytest.approx(0.21, abs=0.005)


@pytest.mark.parametrize("charge", [1, 2])
def test_an_elongated_cell_grows_as_a_charged_sheet(charge):
    e40 = madelung_energy(charge, np.diag([10.0, 10.0, 40.0]))
    e80 = madelung_energy(charge, np.diag([10.0, 10.0, 80.0]))
    assert e40 > 0 and e80 > e40
    slope = (e80 - e40) / 40.0
    assert slope == pytest.approx(np.pi * charge**2 * COULOMB / (6 * 100.0), rel=1e-3)
