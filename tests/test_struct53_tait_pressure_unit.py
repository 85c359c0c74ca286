"""TaitCompressibility of pressures in a doubted unit gives no valid κ_T.

κ_T is in the pressures' unit: pressures in Pa gave '(4.002 ± 0.015)e-06 1/GPa (valid)'
beside a UserWarning that asked whether they were in Pa. The doubt is now a verdict note, as
the densities' doubt of EquationOfState and Density is (the number unchanged).
"""

import warnings

import numpy as np
import pytest

from mda_electrolyte.density import TaitCompressibility

P_BAR = np.array([1.0, 500.0, 1000.0, 1500.0, 2000.0, 2500.0, 3000.0])
B_BAR, KAPPA_PER_BAR, V0 = 1500.0, 4e-5, 1000.0
ERR = 0.05


def _volumes(seed):
    v = V0 * (1.0 - KAPPA_PER_BAR * B_BAR * np.log1p((P_BAR - 1.01325) / B_BAR))
    return v + np.random.default_rng(seed).normal(0.0, ERR, P_BAR.size)


def _fit(scale, seed=1):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return TaitCompressibility(P_BAR * scale, _volumes(seed),
                                   volume_errors=np.full(P_BAR.size, ERR),
                                   reference_pressure=1.01325 * scale).run()


@pytest.mark.parametrize("scale", [1e5, 1e4 * 1.01325, 1e6])   # Pa, and beyond
def test_pressures_beyond_plausible_not_valid(scale):
    kappa = _fit(scale).results.compressibility
    assert not kappa.valid
    assert "unit doubted: the pressures" in kappa.verdict
    # the number is the fit's, in the unit given: only the verdict changes
    bar = _fit(1.0).results.compressibility
    assert kappa.value == pytest.approx(bar.value / scale, rel=1e-6)


@pytest.mark.parametrize("scale", [1e5, 1e6])
def test_pressures_in_pa_warned(scale):
    with pytest.warns(UserWarning, match="Pa"):
        TaitCompressibility(P_BAR * scale, _volumes(0), reference_pressure=1.01325 * scale)


@pytest.mark.parametrize("seed", range(4))
def test_pressures_in_bar_valid_and_right(seed):
    kappa = _fit(1.0, seed).results.compressibility
    assert kappa.valid, kappa.verdict
    # κ_T = C / B of the Tait curve put in, in 1/GPa (1 GPa = 1e4 bar)
    assert abs(kappa.value - KAPPA_PER_BAR * 1e4) < 4 * kappa.stderr


def test_high_but_plausible_pressures_valid():
    # up to 30 kbar: a compression study, in bar
    kappa = _fit(10.0).results.compressibility
    assert kappa.valid, kappa.verdict
