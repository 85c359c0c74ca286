"""A pressure shift from plain numbers without any error (Gong et al. 2025's density
alignment) was reported as ΔP ± 0 bar and valid: an error of 0 is not a measured one, so the
shift is not valid and says why, and align_density refuses it before any training."""
import numpy as np
import pytest

from ase_electrolyte.density_alignment import align_density, pressure_shift_for_density
from ase_electrolyte.estimate import Estimate


@pytest.mark.parametrize("rho_target", [1.19, 1.204, 1.25, 1.10])
def test_a_shift_without_any_input_error_is_not_valid(rho_target):
    shift = pressure_shift_for_density(1.18, rho_target, 8e-5)
    assert np.isnan(shift.error_bar)  # unknown, not an exact 0 (loop55)
    assert not shift.valid and not shift.estimate.valid
    assert "no error was given" in shift.note
    # the number itself is the same as with an error: only its verdict changes
    with_error = pressure_shift_for_density(1.18, rho_target, 8e-5, rho_model_error=1e-4)
    assert shift.delta_bar == with_error.delta_bar
    assert with_error.valid
    with pytest.raises(ValueError, match="no error was given"):
        align_density("no-such-model.pth", [], shift, epochs=1)


@pytest.mark.parametrize("kwargs", [
    {"rho_model_error": 0.002},
    {"rho_target_error": 0.002},
    {"kappa_error": 8e-6},
])
def test_any_one_input_error_gives_a_propagated_error(kwargs):
    shift = pressure_shift_for_density(1.18, 1.25, 8e-5, **kwargs)
    assert shift.error_bar > 0 and np.isfinite(shift.error_bar)
    assert shift.valid, shift.note


def test_an_estimate_with_its_error_counts_as_an_error():
    shift = pressure_shift_for_density(Estimate(1.18, 0.003, "g/cm^3", "block averaging"),
                                       1.25, 8e-5)
    assert shift.valid and shift.error_bar > 0
