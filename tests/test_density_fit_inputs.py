"""Fits of densities, pressures and volumes refuse a run given twice and say why constant data
are no result.

The same run listed twice (the same ``(x, y)`` to the last bit) adds a residual degree of
freedom without scatter: three ``(ρ, P)`` points each given three times were fitted to
ρ0 = 1.0368 ± 2.7e-17 g/cm³, valid. Such input is refused before the fit, naming the two
points. Replicas at the same temperature or pressure with different values are data and stay.
A thermal expansion of densities that are all the same (fixed-volume runs) ended in Estimate's
"a valid estimate needs a finite, non-negative error, not stderr = nan"; it is now a result
marked not valid with the reason, as Density says of a series that does not fluctuate.
"""

import numpy as np
import pytest

from mda_electrolyte import EquationOfState, TaitCompressibility, ThermalExpansion

RHO = np.array([1.0, 1.05, 1.1, 1.15, 1.2, 1.25])
P = 500.0 * ((RHO / 1.1) ** 7 - 1.0)


@pytest.mark.parametrize("make, match", [
    (lambda: EquationOfState(np.r_[RHO, RHO[2]], np.r_[P, P[2]]),
     r"points 2 and 6 are the same measurement \(density 1.1, pressure 0\)"),
    (lambda: TaitCompressibility(np.r_[P, P[0]] + 1000, np.r_[RHO, RHO[0]] ** -1 * 1e4),
     r"points 0 and 6 are the same measurement \(pressure"),
    (lambda: ThermalExpansion([280, 300, 300, 320, 340], [1.2, 1.18, 1.18, 1.16, 1.14]),
     r"points 1 and 2 are the same measurement \(temperature 300, density 1.18\)"),
])
def test_a_run_given_twice_is_refused_before_the_fit(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_replicas_at_one_temperature_are_data():
    rng = np.random.default_rng(2)
    t = np.repeat([280.0, 300.0, 320.0, 340.0], 3)
    rho = 1.2 - 5e-4 * (t - 280.0) + rng.normal(0, 1e-3, t.size)
    est = ThermalExpansion(t, rho).run().results.expansivity
    assert est.valid and est.dof == t.size - 2
    assert abs(est.value - 5e-4 / (1.2 - 5e-4 * (310 - 280))) < 4 * est.stderr


def test_the_same_density_at_every_temperature_is_no_result_and_no_traceback():
    r = ThermalExpansion([280, 290, 300, 310, 320, 330, 340, 350], [1.1] * 8).run().results
    est = r.expansivity
    assert not est.valid and "fixed-volume" in est.verdict
    assert est.value == 0.0
    # the error is unknown, written in words, never as a valid number
    assert "error unknown" in str(est) or est.stderr == 0.0
