"""A compressibility below any liquid's (a volume or pressure unit slip) is not valid, and no
pressure shift from it is.

Before: volumes in nm³ (GROMACS' unit) gave a fluctuation κ_T of 4.99e-8 1/bar (the truth
5e-5) marked valid, pressures in Pa a fitted κ_T 1e5 times too small, valid, and
pressure_shift_for_density turned the first into a 'valid' shift of -3.7e5 bar for a model
1.7 % too light.
"""

import numpy as np
import pytest
from ase.units import bar, kB

from ase_electrolyte.density_alignment import (
    MIN_LIQUID_COMPRESSIBILITY,
    compressibility_from_fluctuations,
    compressibility_from_shifts,
    pressure_shift_for_density,
    tait_pressure_shift,
)
from ase_electrolyte.estimate import Estimate

KAPPA = 5e-5  # 1/bar, a carbonate


def _volumes(kappa=KAPPA, v0=20000.0, n=4000, seed=0):
    sd = np.sqrt(kappa / bar * kB * 300.0 * v0)
    return v0 + sd * np.random.default_rng(seed).standard_normal(n)


@pytest.mark.parametrize(("scale", "valid"), [(1.0, True), (1e-3, False), (1e-6, False),
                                              (1e-30, False)])
@pytest.mark.parametrize("seed", range(2))
def test_volumes_in_another_unit_give_a_compressibility_that_is_not_valid(scale, valid, seed):
    # Å³ (right), nm³, a box of 1e-6 (µm-scale slips), m³
    kappa = compressibility_from_fluctuations(_volumes(seed=seed) * scale, 300.0, dt=0.01)
    # the formula scales as the volume: the number itself is kept, with the reason
    assert kappa.value == pytest.approx(KAPPA * scale, rel=0.1)
    assert kappa.valid is valid
    if not valid:
        assert "nm³" in kappa.verdict and "stiffer than diamond" in kappa.verdict


@pytest.mark.parametrize(("factor", "valid"), [(1.0, True), (1e5, False), (1e3, False)])
def test_pressures_in_another_unit_give_a_compressibility_that_is_not_valid(factor, valid):
    # bar (right), Pa, mbar
    p = np.linspace(-50.0, 50.0, 8)
    rho = 1.2 * np.exp(KAPPA * p) * (1 + 1e-5 * np.random.default_rng(3).standard_normal(8))
    fit = compressibility_from_shifts(p * factor, rho, np.full(8, 1.2e-5))
    assert fit.kappa_per_bar == pytest.approx(KAPPA / factor, rel=0.05)
    assert fit.estimate.valid is valid
    if not valid:
        assert "in Pa" in fit.estimate.verdict


@pytest.mark.parametrize("kappa", [MIN_LIQUID_COMPRESSIBILITY / 2, 5e-8, 2e-8, 4.5e-8])
@pytest.mark.parametrize("as_estimate", [False, True])
def test_no_shift_from_a_compressibility_below_any_liquids_is_valid(kappa, as_estimate):
    given = Estimate(kappa, 0.02 * kappa, "1/bar", "test", n_samples=100) if as_estimate \
        else kappa
    kw = {} if as_estimate else {"kappa_error": 0.02 * kappa}
    shift = pressure_shift_for_density(1.18, 1.2, given, rho_model_error=0.001, **kw)
    assert not shift.valid and not shift.estimate.valid
    assert "stiffer than diamond" in shift.note
    # the number is the linear response's, as for any compressibility outside a liquid's
    assert shift.delta_bar == pytest.approx(-np.log(1.2 / 1.18) / kappa, rel=1e-12)
    assert not tait_pressure_shift(1.18, 1.2, given, rho_model_error=0.001, **kw).valid


@pytest.mark.parametrize("kappa", [MIN_LIQUID_COMPRESSIBILITY, 1e-6, 4.5e-5, 2e-4])
def test_a_liquids_compressibility_still_gives_a_valid_shift(kappa):
    # liquid metals (1e-6) to ethers (2e-4), and the bound itself
    rho_target = 1.18 * (1 + 3e-4 * np.sqrt(kappa / 1e-7))
    shift = pressure_shift_for_density(1.18, rho_target, kappa, rho_model_error=1e-5)
    assert shift.valid, shift.note
