"""The flat density keys of ``simulation.json`` (earlier versions' readers take them as bare
numbers): each holds its number only when the density is a result, null otherwise, whatever
the reason the density is not one; the Estimate beside them keeps the number with its verdict."""

import math

import pytest
from ase.build import bulk

from ase_electrolyte.estimate import Estimate
from ase_electrolyte.md import ProtocolResult

_KEYS = ("density_g_cm3", "density_sem_g_cm3", "density_std_g_cm3")


def _flat_density(result):
    return result.density_record()


def _result(density, std=0.02):
    return ProtocolResult(atoms=bulk("Ar", cubic=True), density=density, density_std=std)


def test_a_valid_density_keeps_its_numbers():
    rho = Estimate(1.234, 0.003, "g/cm^3", "statistical inefficiency", n_samples=400)
    flat = _flat_density(_result(rho))
    assert flat == {"density_g_cm3": 1.234, "density_sem_g_cm3": 0.003,
                    "density_std_g_cm3": 0.02, "density_verdict": "valid"}


@pytest.mark.parametrize("reason", [
    "too short: 3 samples",
    "fixed by NVT/NVE production",
    "not converged: the density drifts by 0.05 ± 0.01 g/cm^3",
])
def test_a_density_that_is_no_result_leaves_every_flat_number_null(reason):
    rho = Estimate.invalid(1.1, 0.002, "g/cm^3", "statistical inefficiency", reason,
                           n_samples=30)
    flat = _flat_density(_result(rho))
    assert all(flat[key] is None for key in _KEYS)
    assert flat["density_verdict"] == reason


def test_no_density_at_all_is_null_and_says_so():
    flat = _flat_density(_result(None, std=math.nan))
    assert all(flat[key] is None for key in _KEYS)
    assert flat["density_verdict"] == "not computed"


def test_a_valid_density_without_an_error_writes_null_not_nan():
    # NaN is no JSON number: a valid Estimate's missing spread is absent, never a NaN token
    rho = Estimate(1.234, 0.003, "g/cm^3", "statistical inefficiency", n_samples=400)
    flat = _flat_density(_result(rho, std=math.inf))
    assert flat["density_g_cm3"] == 1.234 and flat["density_std_g_cm3"] is None
