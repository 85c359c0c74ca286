"""Density and the density fits run on their own copies of the caller's arrays.

The inputs are checked at construction; real_array handed back the caller's float64 array itself,
so an array edited between construction and run() was averaged or fitted unchecked: a density
series negated after Density(...) came out -1.1997 g/cm³, valid; densities set to NaN ended in
Estimate's "a non-finite value (nan) cannot be a valid estimate"; volumes reversed gave a
negative κ_T. And the results' arrays changed with the caller's later edits.
"""

from __future__ import annotations

import numpy as np
import pytest

from mda_electrolyte import Density, EquationOfState, TaitCompressibility, ThermalExpansion

RNG = np.random.default_rng(11)
RHO_SERIES = 1.2 + 0.01 * RNG.normal(size=600)
T = np.array([280.0, 300, 320, 340, 360, 380])
RHO_T = 1.3 * (1 - 8e-4 * (T - 330)) + 5e-4 * RNG.normal(size=6)
RHO_EOS = np.linspace(1.1, 1.4, 7)
P_EOS = 2000.0 * (RHO_EOS**6 - 1.25**6) + 20 * RNG.normal(size=7)
P_TAIT = np.array([1.0, 500, 1000, 2000, 3000, 4000, 5000])
V_TAIT = 1e4 * (1 - 0.09 * np.log(1 + (P_TAIT - 1.01325) / 2000)) + 2 * RNG.normal(size=7)


def _density(arrays):
    return Density(arrays[0], dt=0.01)


def _expansion(arrays):
    return ThermalExpansion(*arrays)


def _eos(arrays):
    return EquationOfState(arrays[0], arrays[1], pressure_errors=arrays[2])


def _tait(arrays):
    return TaitCompressibility(arrays[0], arrays[1], volume_errors=arrays[2])


CASES = {
    "density": (_density, (RHO_SERIES,), "equilibrium_density"),
    "thermal expansion": (_expansion, (T, RHO_T, np.full(6, 5e-4)), "expansivity"),
    "equation of state": (_eos, (RHO_EOS, P_EOS, np.full(7, 20.0)), "zero_pressure_density"),
    "tait": (_tait, (P_TAIT, V_TAIT, np.full(7, 2.0)), "compressibility"),
}


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("edit", ["negate", "nan", "reverse", "zero errors"])
def test_an_edit_after_construction_changes_nothing(name, edit):
    make, arrays, key = CASES[name]
    expected = getattr(make(tuple(a.copy() for a in arrays)).run().results, key)
    mine = tuple(a.copy() for a in arrays)
    analysis = make(mine)
    for k, a in enumerate(mine):
        if edit == "negate":
            a *= -1
        elif edit == "nan":
            a[:] = np.nan
        elif edit == "reverse":
            a[:] = a[::-1].copy()
        elif k == len(mine) - 1 and k > 0:
            a[:] = 0.0
    got = getattr(analysis.run().results, key)
    assert got.value == expected.value and got.stderr == expected.stderr
    assert got.verdict == expected.verdict


@pytest.mark.parametrize("name", CASES)
def test_results_do_not_follow_the_callers_arrays(name):
    make, arrays, _ = CASES[name]
    mine = tuple(a.copy() for a in arrays)
    results = make(mine).run().results
    stored = [np.array(v) for v in results.values()
              if isinstance(v, np.ndarray) and v.dtype.kind == "f"]
    for a in mine:
        a[:] = -7.0
    after = [v for v in results.values()
             if isinstance(v, np.ndarray) and v.dtype.kind == "f"]
    assert len(stored) == len(after) > 0
    for before, now in zip(stored, after, strict=True):
        np.testing.assert_array_equal(before, now)
