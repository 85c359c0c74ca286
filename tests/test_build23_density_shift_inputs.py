"""pressure_shift_for_density takes the densities as Estimates (npt_density's return), as it
takes the compressibility: the same shift and error as the numbers with their errors apart,
the verdict and the degrees of freedom carried over, units converted."""

import numpy as np
import pytest

from ase_electrolyte.density_alignment import pressure_shift_for_density
from ase_electrolyte.estimate import Estimate


def _rho(value, err, valid=True, dof=None, unit="g/cm^3"):
    return Estimate(value, err, unit, "statistical inefficiency", n_samples=50, converged=valid,
                    notes=() if valid else ("too few uncorrelated samples",), dof=dof)


@pytest.mark.parametrize("model,target,kappa", [
    ((1.18, 0.002), (1.204, 0.0), (8e-5, 4e-6)),
    ((1.25, 0.004), (1.204, 0.001), (6e-5, 0.0)),
    ((0.95, 0.001), (0.9, 0.003), (1.1e-4, 1e-5)),
])
def test_estimates_equal_numbers_with_errors(model, target, kappa):
    plain = pressure_shift_for_density(model[0], target[0], kappa[0], rho_model_error=model[1],
                                       rho_target_error=target[1], kappa_error=kappa[1])
    est = pressure_shift_for_density(_rho(*model), _rho(*target),
                                     Estimate(kappa[0], kappa[1], "1/bar", "fit", converged=True))
    assert est.delta_bar == pytest.approx(plain.delta_bar, rel=1e-12)
    assert est.error_bar == pytest.approx(plain.error_bar, rel=1e-12)
    assert est.valid == plain.valid
    # mixed: one as an Estimate, one as a number
    mixed = pressure_shift_for_density(_rho(*model), target[0], kappa[0],
                                       rho_target_error=target[1], kappa_error=kappa[1])
    assert mixed.error_bar == pytest.approx(plain.error_bar, rel=1e-12)
    # the analytic shift: the Tait equation's (C = 0.0894, Dymond and Malhotra 1988)
    tait = -0.0894 / kappa[0] * np.expm1((1 - model[0] / target[0]) / 0.0894)
    assert est.delta_bar == pytest.approx(tait, rel=1e-12)


def test_units_of_an_estimate_are_converted():
    g = pressure_shift_for_density(_rho(1.18, 0.002), 1.204, 8e-5)
    kg = pressure_shift_for_density(_rho(1180.0, 2.0, unit="kg/m^3"), 1.204, 8e-5)
    assert kg.delta_bar == pytest.approx(g.delta_bar, rel=1e-9)
    assert kg.error_bar == pytest.approx(g.error_bar, rel=1e-9)


@pytest.mark.parametrize("which", ["rho_model", "rho_target"])
def test_a_density_not_valid_makes_the_shift_not_valid(which):
    args = {"rho_model": _rho(1.18, 0.002), "rho_target": _rho(1.204, 0.001)}
    assert pressure_shift_for_density(**args, kappa_per_bar=8e-5).valid
    args[which] = _rho(args[which].value, args[which].stderr, valid=False)
    shift = pressure_shift_for_density(**args, kappa_per_bar=8e-5)
    assert not shift.valid and not shift.estimate.valid
    assert which in shift.note and "too few uncorrelated samples" in shift.note


@pytest.mark.parametrize("dof", [2.0, 5.0, 30.0])
def test_degrees_of_freedom_of_the_density_carry_over(dof):
    """With the model density the only error, the shift's error is that error scaled: its
    Welch-Satterthwaite degrees of freedom are the density's."""
    shift = pressure_shift_for_density(_rho(1.18, 0.002, dof=dof), 1.204, 8e-5)
    assert shift.estimate.dof == pytest.approx(dof)


def test_an_estimate_with_an_error_beside_it_is_refused():
    with pytest.raises(ValueError, match="carry their errors"):
        pressure_shift_for_density(_rho(1.18, 0.002), 1.204, 8e-5, rho_model_error=0.002)


def test_align_density_takes_the_shift_estimate_as_the_shift():
    """A shift's Estimate that is not valid is refused as the PressureShift is, before any
    model is read; one in another pressure unit is converted, one in no pressure unit
    refused (it was "must be a finite number" for every Estimate)."""
    from ase_electrolyte.density_alignment import align_density

    bad = pressure_shift_for_density(_rho(1.18, 0.002, valid=False), 1.204, 8e-5)
    for given in (bad, bad.estimate):
        with pytest.raises(ValueError, match="pressure shift is not valid: rho_model"):
            align_density("no-such-model.pth", [], given, epochs=1)
    with pytest.raises(ValueError, match="delta_bar"):
        align_density("no-such-model.pth", [],
                      Estimate(-250.0, 20.0, "g/cm^3", "propagated", converged=True), epochs=1)
