"""EquationOfState's ``sources`` and ``dt`` as a user gives them.

Before:

- ``sources`` as a generator (``(load(f) for f in files)``) failed with ``TypeError: object of
  type 'generator' has no len()``; one file name as ``sources`` was compared by its number
  of characters ("8 sources for 4 densities").
- ``dt`` given with mean ``pressures`` (no series to space) was ignored without a word.
- a constant pressure series (error 0) was refused as "pressure errors must be positive and
  finite, one per pressure", naming neither the series nor anything the user gave.
"""

import numpy as np
import pytest

from mda_electrolyte import EquationOfState

RHO = np.linspace(1.0, 1.3, 7)
P = 2000.0 * ((RHO / 1.15) ** 7 - 1.0)


def _series(seed=0):
    rng = np.random.default_rng(seed)
    return [p + 10.0 * rng.normal(size=400 + 50 * k) for k, p in enumerate(P)]


@pytest.mark.parametrize("wrap", [list, tuple, iter, lambda s: (x for x in s)])
def test_sources_of_any_iterable_give_the_list_result(wrap):
    series = _series()
    expected = EquationOfState(RHO, sources=series, dt=0.01).run().results.rho0
    got = EquationOfState(RHO, sources=wrap(series), dt=0.01).run().results
    assert got.rho0 == expected
    assert got.zero_pressure_density.valid


@pytest.mark.parametrize("sources", ["runs.h5md", b"runs.h5md", 5, 1.2])
def test_one_file_or_number_as_sources_is_refused(sources):
    with pytest.raises(TypeError, match="sources must be a list of one H5MD file"):
        EquationOfState(RHO, sources=sources, dt=0.01)


def test_one_path_object_as_sources_is_refused(tmp_path):
    with pytest.raises(TypeError, match="sources must be a list of one H5MD file"):
        EquationOfState(RHO, sources=tmp_path / "runs.h5md", dt=0.01)


@pytest.mark.parametrize("dt", [0.01, 1, np.float32(0.5)])
def test_dt_with_mean_pressures_is_refused(dt):
    with pytest.raises(ValueError, match="given without sources="):
        EquationOfState(RHO, P, dt=dt)
    # without it the same pressures are fitted
    assert EquationOfState(RHO, P).run().results.rho0 == pytest.approx(1.15, abs=1e-6)


@pytest.mark.parametrize("k", [0, 3, 6])
def test_a_constant_series_is_named(k):
    series = _series()
    series[k] = np.full(500, P[k])
    with pytest.raises(ValueError, match=rf"pressure series {k} \(ρ = .*\) has no error to weigh"):
        EquationOfState(RHO, sources=series, dt=0.01)
