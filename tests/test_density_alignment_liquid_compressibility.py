"""A compressibility that is no liquid's makes the pressure shift not valid, with the reason.

``pressure_shift_for_density`` took any κ_T up to 1 1/bar (an ideal gas at 1 bar). A κ_T given
in 1/GPa, the unit most tables use (water 0.45, carbonates 0.5-1), passed as 1/bar and gave a
valid shift ten thousand times too small: a 2 % density difference asked for -0.04 bar instead
of -440 bar. Liquids lie below MAX_LIQUID_COMPRESSIBILITY (1e-3 1/bar); above it the shift is
not valid and its note names the likely unit, and ``align_density`` refuses it.
"""

import numpy as np
import pytest

from ase_electrolyte.density_alignment import (
    MAX_LIQUID_COMPRESSIBILITY,
    align_density,
    pressure_shift_for_density,
)
from ase_electrolyte.estimate import Estimate

RHO, TARGET = 1.18, 1.18 * 1.02  # g/cm³: a model 2 % too light
KAPPA_GPA = 0.45  # 1/GPa: 4.5e-5 1/bar


@pytest.mark.parametrize("kappa", [KAPPA_GPA, 0.8, MAX_LIQUID_COMPRESSIBILITY * 1.001, 1.0])
def test_a_compressibility_beyond_any_liquids_gives_no_valid_shift(kappa):
    shift = pressure_shift_for_density(RHO, TARGET, kappa, rho_model_error=0.001)
    assert not shift.valid and not shift.estimate.valid
    assert f"the compressibility {kappa:g} 1/bar is not a liquid's" in shift.note
    assert "1/GPa: multiply by 1e-4" in shift.note
    # the number is still the formula's, for a user who knows better
    assert shift.delta_bar == pytest.approx(-np.log(TARGET / RHO) / kappa, rel=1e-12)


@pytest.mark.parametrize("kappa", [4.5e-5, 8e-5, 2e-4, MAX_LIQUID_COMPRESSIBILITY])
def test_a_liquids_compressibility_gives_the_shift_as_before(kappa):
    shift = pressure_shift_for_density(RHO, TARGET, kappa, rho_model_error=0.001)
    assert shift.valid and shift.note == ""
    # the Tait equation's shift (C = 0.0894, Dymond and Malhotra 1988), 10 % above the linear
    # response -ln(1.02)/κ
    tait = -0.0894 / kappa * np.expm1((1 - 1 / 1.02) / 0.0894)
    assert shift.delta_bar == pytest.approx(tait, rel=1e-12)


def test_a_compressibility_estimate_in_1_per_gpa_is_converted_and_valid():
    kappa = Estimate(KAPPA_GPA, 0.02, "1/GPa", method="test", n_samples=50)
    shift = pressure_shift_for_density(RHO, TARGET, kappa, rho_model_error=0.001)
    assert shift.valid
    assert shift.delta_bar == pytest.approx(
        -0.0894 / (KAPPA_GPA * 1e-4) * np.expm1((1 - 1 / 1.02) / 0.0894), rel=1e-9)
    # the same number as a bare float is read as 1/bar: a gas's, not valid
    assert not pressure_shift_for_density(RHO, TARGET, KAPPA_GPA, rho_model_error=0.001).valid


def test_align_density_refuses_the_shift_of_a_gas_compressibility_before_any_model(tmp_path):
    shift = pressure_shift_for_density(RHO, TARGET, KAPPA_GPA, rho_model_error=0.001)
    with pytest.raises(ValueError, match="not a liquid's"):
        align_density(str(tmp_path / "no-such-model.pth"), [], shift, epochs=1,
                      out=tmp_path / "align")
    assert not (tmp_path / "align").exists()
