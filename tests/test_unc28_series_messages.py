"""Errors of too-short series name the caller's quantity, not the shared helper's.

Density of 2-3 samples said "a time-series mean needs at least 4 samples" (the helper's words)
after construction; the density, the count and the cure are now named, before run().
"""

import numpy as np
import pytest

from mda_electrolyte.density import Density, EquationOfState
from mda_electrolyte.uncertainty import equilibrated_series_mean, timeseries_mean


@pytest.mark.parametrize("n", [1, 2, 3])
def test_short_density_series_is_named_at_construction(n):
    rho = 1.2 + 0.01 * np.arange(n)
    with pytest.raises(ValueError, match=rf"^the density series needs at least 4 samples, "
                                         rf"not {n}: .*longer run"):
        Density(rho, dt=0.01)


def test_four_densities_are_enough():
    # the limit itself is accepted: a mean and an error (too short, as a verdict, not an error)
    d = Density(np.array([1.20, 1.21, 1.19, 1.205]), dt=0.01).run().results
    assert not d.valid and "too short" in d.verdict
    assert d.density == pytest.approx(np.mean([1.20, 1.21, 1.19, 1.205]), rel=1e-12)


def test_short_pressure_series_of_an_equation_of_state_is_named():
    rho = np.array([1.0, 1.1, 1.2, 1.3, 1.4])
    good = 100.0 + np.random.default_rng(0).standard_normal(200)
    sources = [good] * 4 + [good[:3]]
    with pytest.raises(ValueError, match=r"pressure series 4 .*the pressure series needs at "
                                         r"least 4 samples, not 3"):
        EquationOfState(rho, sources=sources, dt=0.01).run()


@pytest.mark.parametrize("helper", [
    lambda x, what: timeseries_mean(x, what=what),
    lambda x, what: equilibrated_series_mean(x, what=what),
])
def test_shared_helpers_name_what_they_are_given(helper):
    with pytest.raises(ValueError, match=r"^the box volume needs at least 4 samples, got 3"):
        helper(np.array([1.0, 2.0, 3.0]), "the box volume")
    with pytest.raises(ValueError, match=r"^the box volume: the time series contains NaN"):
        helper(np.array([1.0, np.nan, 3.0, 4.0, 5.0]), "the box volume")


@pytest.mark.parametrize("volumes,match", [
    (np.full((5, 2), 2.0e4), r"one-dimensional .*not of shape \(5, 2\)"),
    (np.array([2.0e4, 2.01e4, 1.99e4]), r"at least 4 samples, not 3: .*longer NPT run"),
    (np.array([2.0e4, 2.01e4, np.inf, 1.99e4, 2.0e4]), r"1 NaN or infinite .*index 2"),
])
def test_a_bad_volume_series_is_named_by_its_fault(volumes, match):
    from ase_electrolyte.density_alignment import compressibility_from_fluctuations

    with pytest.raises(ValueError, match=r"^the volume series .*" + match):
        compressibility_from_fluctuations(volumes, 300.0)
