"""An NPT density that still drifts through the samples kept after equilibration is "not
equilibrated: drifting", not a valid result (``run_protocol`` tests the kept part for a linear
trend, :func:`mda_electrolyte.uncertainty.equilibrated_series_mean` with ``trend=True``).

Before, a box still compressing slowly (a density ramp of 0.6 noise standard deviations over
2000 samples, AR(1) noise with phi = 0.5) passed equilibration detection and the start-up
transient fit and was reported valid in 40 of 100 replicas (0.4 sigma: 85), its mean and error
bar depending on where the run stopped; now 13 (58). Stationary series: 100 -> 99 valid.
"""

import warnings

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.lj import LennardJones

import ase_electrolyte.md as md
from ase_electrolyte.md import run_protocol, series_estimate

_N = 2000


def _ar1(n, phi, seed):
    rng = np.random.default_rng(seed)
    e = rng.standard_normal(n) * np.sqrt(1.0 - phi**2)
    x = np.empty(n)
    x[0] = rng.standard_normal()
    for i in range(1, n):
        x[i] = phi * x[i - 1] + e[i]
    return x


def _compressing(seed, ramp=0.6):
    """A density in g/cm³ rising by ``ramp`` noise standard deviations over the run."""
    return 1.2 + 0.005 * (_ar1(_N, 0.5, seed) + ramp * np.linspace(0.0, 1.0, _N))


# seed 3: without the trend test this series is "valid" (checked below)
_DRIFTING = _compressing(3)


def test_the_drifting_series_passes_without_the_trend_test_and_not_with_it():
    plain, _ = series_estimate(_DRIFTING, "g/cm^3")
    assert plain.valid  # what run_protocol reported before
    tested, _ = series_estimate(_DRIFTING, "g/cm^3", trend=True)
    assert not tested.valid and "not equilibrated: drifting" in tested.verdict
    assert tested.value == plain.value  # the same mean, no longer called a result


def test_stationary_densities_stay_valid_with_the_trend_test():
    # nominal false alarm rate 1 %: over 30 stationary replicas at most 2 marked
    marked = 0
    for seed in range(100, 130):
        est, _ = series_estimate(1.2 + 0.005 * _ar1(_N, 0.5, seed), "g/cm^3", trend=True)
        marked += "drifting" in est.verdict
    assert marked <= 2


def _argon():
    atoms = bulk("Ar", "fcc", a=5.26, cubic=True).repeat(2)
    atoms.rattle(0.05, seed=1)
    return atoms


@pytest.mark.parametrize("ensemble, stage", [("npt", "production"), ("nvt", "equilibration")])
def test_run_protocol_does_not_report_a_drifting_npt_density_as_valid(
        tmp_path, monkeypatch, ensemble, stage):
    """The stage files of a short LJ argon run, whose NPT stage's density series is replaced by
    a slowly compressing one of 2000 samples (as long a run would be too slow for a test)."""
    real = md.h5md_series
    seen = []

    def series(path, name):
        t, step, x = real(path, name)
        if name == "density" and path.name == f"{stage}.h5md":
            seen.append(path.name)
            return np.arange(_N, dtype=float), np.arange(_N), _DRIFTING.copy()
        return t, step, x

    monkeypatch.setattr(md, "h5md_series", series)
    calc = LennardJones(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run_protocol(_argon(), calc, tmp_path, temperature_K=60, relax_fmax=0.05,
                              preequilibration_ps=0.0, equilibration_ps=0.008,
                              production_ps=0.008, production_ensemble=ensemble,
                              timestep_fs=2.0, write_interval_fs=4.0, observe_interval_fs=2.0,
                              progress=False)
    assert seen  # the density came from the replaced series
    assert result.density.value == pytest.approx(series_estimate(_DRIFTING, "g/cm^3")[0].value)
    assert not result.density.valid
    assert "not equilibrated: drifting" in result.density.verdict
