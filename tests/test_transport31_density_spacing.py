"""Frame spacings of the density analyses in ps, refused in seconds as the transport ones are.

Before, ``equilibrated_mean(values, dt=1e-15)`` (1 fs given in seconds) reported the
equilibration time t0 in seconds labelled ps, and ``Density(array, dt=1e-15)`` and
``EquationOfState(..., sources=arrays, dt=1e-15)`` accepted the spacing; the transport analyses
refuse it (:func:`mda_electrolyte.correlation.check_frame_spacing`).
"""

import numpy as np
import pytest

from ase_electrolyte.units import MIN_FRAME_SPACING_PS
from mda_electrolyte.density import Density, EquationOfState, equilibrated_mean

SHORT = "is shorter than any MD time step"


def _relaxing_series(n=600, seed=0):
    """A density that relaxes over its first 60 samples, then fluctuates (g/cm³)."""
    rng = np.random.default_rng(seed)
    x = 1.2 + 0.002 * rng.standard_normal(n)
    x[:60] += 0.05 * np.exp(-np.arange(60) / 15.0)
    return x


@pytest.mark.parametrize("dt", [1e-15, 2e-15, 1e-6, 0.0, -0.01, float("nan")])
def test_equilibrated_mean_refuses_a_spacing_not_in_ps(dt):
    with pytest.raises(ValueError, match="dt \\(ps\\)"):
        equilibrated_mean(_relaxing_series(), dt)


def test_equilibrated_mean_refuses_the_spacing_before_reading_the_series():
    # the spacing is named even where the series is bad too: checks before work
    with pytest.raises(ValueError, match=SHORT):
        equilibrated_mean([np.nan] * 3, 1e-15)


@pytest.mark.parametrize("dt", [MIN_FRAME_SPACING_PS, 0.002, 1.0, 10.0])
def test_equilibration_time_scales_with_the_spacing_in_ps(dt):
    x = _relaxing_series()
    ref = equilibrated_mean(x, 1.0)
    # the detected start is a sample index; its time is index * dt
    assert ref["t0"] > 0
    r = equilibrated_mean(x, dt)
    assert r["t0"] == pytest.approx(ref["t0"] * dt, rel=1e-12)
    assert r["mean"] == ref["mean"] and r["error"] == ref["error"]


@pytest.mark.parametrize("dt", [1e-15, 5e-13, 1e-6])
def test_density_of_an_array_refuses_seconds(dt):
    with pytest.raises(ValueError, match=f"spacing dt \\(ps\\) of an array of density.*{SHORT}"):
        Density(_relaxing_series(), dt=dt)


def test_density_equilibration_time_in_ps():
    x = _relaxing_series()
    r1 = Density(x, dt=1.0).run().results
    r2 = Density(x, dt=0.002).run().results
    assert r1.equilibrium_density.value == r2.equilibrium_density.value
    assert r2.time[-1] == pytest.approx(0.002 * (x.size - 1))


def test_equation_of_state_pressure_arrays_refuse_seconds():
    rng = np.random.default_rng(1)
    rho = np.array([1.1, 1.15, 1.2, 1.25, 1.3])
    sources = [100.0 * (r - 1.2) / 0.05 + 5.0 * rng.standard_normal(200) for r in rho]
    with pytest.raises(ValueError, match=SHORT):
        EquationOfState(rho, sources=sources, dt=1e-15)
    # the same series in ps fit
    assert EquationOfState(rho, sources=sources, dt=0.01).run().results.rho0 > 0
