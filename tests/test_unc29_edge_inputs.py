"""Edge inputs of the series estimators (mda_electrolyte.uncertainty, frame_estimates).

- ``frame_average`` took its block means from cumulative sums of the raw values: for
  1e12 + noise of 1e-3 the sums (up to 2e15) kept none of the noise, and the error came out
  0.0, valid (2.4e-5 from the deviations); for 1e12 + noise of 1 it was 3 % off.
- ``linear_slope`` of a constant series (a perfectly conserved energy) raised
  ZeroDivisionError in the longer-block F test; NaN or infinite samples gave a NaN slope and
  error without a word.
"""

import math

import numpy as np
import pytest

from mda_electrolyte.frame_estimates import frame_average
from mda_electrolyte.uncertainty import linear_slope, timeseries_mean


@pytest.mark.parametrize("offset, scale", [(1e12, 1e-3), (1e12, 1.0), (-1e9, 1e-5)])
def test_frame_average_error_does_not_depend_on_an_offset(offset, scale):
    noise = scale * np.random.default_rng(2).normal(size=2000)
    plain = frame_average(noise, 8)
    shifted = frame_average(offset + noise, 8)
    # the offset's own rounding (ulp of 1e12 is 1.2e-4) quantises the data: a few % at most
    assert shifted.stderr == pytest.approx(plain.stderr, rel=0.05)
    assert abs((shifted.value - offset) - plain.value) < 0.2 * plain.stderr + abs(offset) * 1e-15
    assert shifted.valid and plain.valid


def test_timeseries_mean_error_does_not_depend_on_an_offset():
    noise = 1e-3 * np.random.default_rng(3).normal(size=1000)
    assert timeseries_mean(1e12 + noise)[1] == pytest.approx(timeseries_mean(noise)[1], rel=0.05)


def test_slope_of_a_constant_series_is_zero_with_zero_error():
    t = np.arange(300.0)
    fit = linear_slope(t, np.full(t.size, -7.25))
    assert fit.slope == 0.0 and fit.error == 0.0
    assert math.isnan(fit.p_value)


def test_slope_of_an_exact_line_has_no_error_to_speak_of():
    t = np.arange(300.0)
    fit = linear_slope(t, 2.0 + 0.5 * t)
    assert fit.slope == pytest.approx(0.5, rel=1e-12)
    assert fit.error < 1e-12


@pytest.mark.parametrize("bad", [math.nan, math.inf])
@pytest.mark.parametrize("where", ["values", "times"])
def test_slope_refuses_non_finite_samples_by_name(bad, where):
    t = np.arange(300.0)
    y = np.random.default_rng(4).normal(size=t.size)
    (y if where == "values" else t)[17] = bad
    with pytest.raises(ValueError, match=f"1 of the {where} are NaN or infinite"):
        linear_slope(t, y)


def test_slope_refuses_times_and_values_of_different_shapes():
    with pytest.raises(ValueError, match="one value per time"):
        linear_slope(np.arange(100.0), np.zeros((100, 3)))
    with pytest.raises(ValueError, match="one value per time"):
        linear_slope(np.arange(99.0), np.zeros(100))


def test_slope_of_integers_and_float32_is_that_of_float64():
    rng = np.random.default_rng(5)
    t = np.arange(400)
    y = rng.integers(0, 10, t.size) + t // 40
    ref = linear_slope(t.astype(np.float64), y.astype(np.float64))
    for tt, yy in ((t, y), (t.astype(np.float32), y.astype(np.float32))):
        fit = linear_slope(tt, yy)
        assert fit.slope == pytest.approx(ref.slope, rel=1e-6)
        assert fit.error == pytest.approx(ref.error, rel=1e-6)


@pytest.mark.parametrize("dof", [0, 0.5, math.nan, True])
def test_propagated_dof_refuses_fewer_than_one_degree_of_freedom(dof):
    from ase_electrolyte.estimate import propagated_dof

    with pytest.raises(ValueError, match="degrees of freedom are a number >= 1"):
        propagated_dof([(1.0, dof), (1.0, 5)])


def test_propagated_dof_of_equal_terms_adds_their_dof():
    from ase_electrolyte.estimate import propagated_dof

    # Welch-Satterthwaite: k equal errors of nu dof each give k * nu
    assert propagated_dof([(0.3, 4)] * 3) == pytest.approx(12.0)


def test_committee_spread_of_huge_values_is_finite():
    from ase_electrolyte.committee import committee_spread

    # a diverged member's 1e200 eV squared overflowed: energy_std came out inf
    out = committee_spread(np.array([1e200, -1e200, 1e200]), np.zeros((3, 1, 3)),
                           np.array([[1e155] * 6, [-1e155] * 6, [1e155] * 6]))
    assert out["energy_std"].value == pytest.approx(np.std([1.0, -1.0, 1.0]) * 1e200,
                                          rel=1e-12)
    assert out["energy"].value == pytest.approx(1e200 / 3, rel=1e-12)
    # the errors are scaled alike: finite, not overflowed
    assert np.isfinite(out["energy"].stderr) and np.isfinite(out["energy_std"].stderr)
    assert np.allclose(out["stress_std"], np.std([1.0, -1.0, 1.0]) * 1e155, rtol=1e-12)
    forces = np.array([[[1e300, 0.0, 0.0]], [[-1e300, 0.0, 0.0]]])
    assert committee_spread([0.0, 0.0], forces)["forces_std"][0] == pytest.approx(1e300)
