"""A pressure shift computed from numbers without any error has an unknown error, not 0.

pressure_shift_for_density (Gong et al. 2025's density alignment) and tait_pressure_shift
marked such a shift not valid with the note "the shift's error is unknown", yet reported it
as "-1121.04 ± 0 bar" (error_bar 0.0): an exact-looking shift beside a note that says the
opposite. Equal densities gave a shift of -0.0 bar.
"""
import math

import pytest

from ase_electrolyte.density_alignment import pressure_shift_for_density, tait_pressure_shift

# a carbonate's compressibility; a liquid's, a gas's (linear response), and equal densities
CASES = [(1.2, 1.25, 4.5e-5), (1.25, 1.2, 8e-5), (1.2, 1.2, 4.5e-5), (1.2, 1.25, 0.045),
         (1.0, 1.3, 5e-5)]


@pytest.mark.parametrize("rho_model, rho_target, kappa", CASES)
def test_a_shift_without_input_errors_has_an_unknown_error(rho_model, rho_target, kappa):
    shift = pressure_shift_for_density(rho_model, rho_target, kappa)
    tait = tait_pressure_shift(rho_model, rho_target, kappa)
    assert math.isnan(shift.error_bar)
    assert math.isnan(shift.estimate.stderr) and math.isnan(tait.stderr)
    assert "± ?" in str(tait) and "± 0 " not in str(tait)
    assert not shift.valid and not tait.valid
    assert any("no error was given" in n for n in tait.notes)
    # the number is that of the same shift with errors; no negative zero
    with_error = pressure_shift_for_density(rho_model, rho_target, kappa, rho_model_error=1e-3)
    assert shift.delta_bar == with_error.delta_bar == tait.value
    assert math.copysign(1.0, shift.delta_bar) == math.copysign(1.0, with_error.delta_bar)
    if rho_model == rho_target:
        assert math.copysign(1.0, shift.delta_bar) == 1.0
        assert math.isfinite(with_error.error_bar) and with_error.error_bar > 0


@pytest.mark.parametrize("errors", [dict(rho_model_error=2e-3), dict(rho_target_error=2e-3),
                                    dict(kappa_error=5e-6)])
def test_any_one_input_error_gives_a_finite_error(errors):
    shift = pressure_shift_for_density(1.2, 1.25, 4.5e-5, **errors)
    assert math.isfinite(shift.error_bar) and shift.error_bar > 0
    assert shift.estimate.stderr == shift.error_bar
