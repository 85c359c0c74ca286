"""Non-finite samples in density and pressure series are refused where the series is given.

A NaN (a failed MD step) passed Density's construction and was refused by run(); an infinite
density first drew a warning asking whether 'inf g/cm³' was in kg/m³. A bad sample in one of
EquationOfState's pressure series named none of the runs.
"""

import warnings

import numpy as np
import pytest

from mda_electrolyte import Density, EquationOfState


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_density_refuses_a_non_finite_sample_when_given(bad):
    x = 1.2 + 0.01 * np.random.default_rng(0).normal(size=400)
    x[123] = bad
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # no doubt about kg/m³ before the refusal
        with pytest.raises(ValueError, match=r"density series holds 1 NaN or infinite "
                                             r"sample\(s\) \(first at index 123"):
            Density(x, dt=0.1)


def test_a_finite_series_is_averaged_as_before():
    x = 1.2 + 0.01 * np.random.default_rng(0).normal(size=2000)
    d = Density(x, dt=0.1).run().results
    # white noise: the mean and its standard error (g ~ 1)
    assert d.density == pytest.approx(x[int(d.t0 / 0.1):].mean(), abs=1e-12)
    assert d.density_err == pytest.approx(0.01 / np.sqrt(x.size), rel=0.3)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_eos_names_the_pressure_series_with_a_bad_sample(bad):
    rng = np.random.default_rng(1)
    sources = [rng.normal(p, 50.0, 300) for p in (-500.0, -100.0, 300.0, 900.0)]
    sources[2][7] = bad
    with pytest.raises(ValueError, match=r"pressure series 2 \(ρ = 1\.2 g/cm³\).*NaN or "
                                         r"infinite.*index 7"):
        EquationOfState([1.0, 1.1, 1.2, 1.3], sources=sources, dt=0.1)
