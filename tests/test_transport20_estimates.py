"""The error of a mean over segments scales with its samples, down to the smallest floats.

``mean_error`` (every transport, density and segment error) squared the deviations: below
about 1e-154 the squares underflow, and three different values (1, 2, 1.5) x 1e-300 came out
"(1.5 ± 0)e-300", an error of zero. Above 1e150 it already scaled by a power of two; it now
does so below 1e-150 too.
"""

import numpy as np
import pytest

from mda_electrolyte.correlation import transport_estimate
from mda_electrolyte.uncertainty import mean_error

SAMPLES = np.array([1.0, 2.0, 1.5, 1.25, 1.75])


@pytest.mark.parametrize("exponent", [-1060, -1000, -700, -500, -300, -200, -100, -10, 0, 10,
                                      100, 300, 500, 700, 1000])
def test_mean_and_error_scale_exactly_with_a_power_of_two(exponent):
    mean, err, dof = mean_error(SAMPLES)
    factor = 2.0**exponent
    m, e, d = mean_error(SAMPLES * factor)
    assert d == dof == 4
    assert m == pytest.approx(mean * factor, rel=1e-12, abs=0)
    assert e == pytest.approx(err * factor, rel=1e-12, abs=0) and e > 0


def test_columns_of_different_magnitudes_are_each_right():
    columns = np.column_stack([SAMPLES * 1e-300, SAMPLES, SAMPLES * 1e300, np.zeros(5)])
    mean, err, _ = mean_error(columns)
    ref_mean, ref_err, _ = mean_error(SAMPLES)
    np.testing.assert_allclose(mean, ref_mean * np.array([1e-300, 1, 1e300, 0]), rtol=1e-12)
    np.testing.assert_allclose(err, ref_err * np.array([1e-300, 1, 1e300, 0]), rtol=1e-12)


def test_a_transport_estimate_of_tiny_values_has_its_error():
    est = transport_estimate(SAMPLES * 1e-300, "S/m", positive=True, n_runs=1, n_blocks=5)
    ref = transport_estimate(SAMPLES, "S/m", positive=True, n_runs=1, n_blocks=5)
    assert est.stderr == pytest.approx(ref.stderr * 1e-300, rel=1e-12, abs=0)
    assert est.verdict == ref.verdict and est.dof == ref.dof
