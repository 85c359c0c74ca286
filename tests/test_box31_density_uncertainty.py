"""estimate_density(..., with_uncertainty=True): the starting density as an Estimate whose error
is propagated from the solvents' measured densities, the salt's volume in solution and ideal
mixing, and whose verdict says where the salt's volume was not measured for this solution."""

import warnings

import numpy as np
import pytest

from ase_electrolyte import build, species
from ase_electrolyte.build import check_density, composition_counts, estimate_density
from ase_electrolyte.estimate import Estimate

# 1 mol/L LiPF6 at 25 °C, by mass (LP30, LP57): the measured densities the salt's volume
# stands on (species.SALT_VOLUMES)
MEASURED = [({"EC": 1, "DMC": 1}, 1.29, 1.30), ({"EC": 3, "EMC": 7}, 1.195, 1.205)]


def _named(counts):
    return {sp.name: n for sp, n in counts.items()}


@pytest.mark.parametrize("solvent, low, high", MEASURED)
@pytest.mark.parametrize("n_atoms", [1000, 5000, 30000])
def test_measured_lipf6_solutions_lie_within_two_sigma_of_the_estimate(solvent, low, high,
                                                                        n_atoms):
    counts = _named(composition_counts(solvent, "LiPF6", 1.0, units="molar",
                                       density=(low + high) / 2, n_atoms=n_atoms))
    rho = estimate_density(counts, with_uncertainty=True)
    assert isinstance(rho, Estimate) and rho.valid and rho.unit == "g/cm^3"
    assert rho.value == estimate_density(counts).value  # the bare number is the same density
    for measured in (low, high):
        assert abs(measured - rho.value) < 2 * rho.stderr
    # and the error is no catch-all: the ±5 cm³/mol of the salt and the solvents' own errors
    # make about 0.6-0.8 % here
    assert 0.003 < rho.stderr < 0.015


def test_a_pure_solvent_carries_its_measured_density_and_its_uncertainty():
    for name, (value, error, *_) in species.LIQUID_DENSITIES.items():
        rho = estimate_density({name: 7}, with_uncertainty=True)
        assert rho.value == pytest.approx(value, rel=1e-12)
        assert rho.stderr == pytest.approx(error, rel=1e-9)
        assert rho.valid


def _sampled(counts, monkeypatch, rng, n):
    """Densities of ``counts`` with the inputs drawn from their stated errors (no mixing
    doubt), by estimate_density itself."""
    base = dict(species.LIQUID_DENSITIES)
    salt = species.SALT_VOLUMES["LiPF6"]
    out = []
    for _ in range(n):
        drawn = {k: v._replace(value_g_cm3=v.value_g_cm3 + rng.normal() * v.error_g_cm3)
                 for k, v in base.items()}
        monkeypatch.setattr(species, "LIQUID_DENSITIES", drawn)
        monkeypatch.setitem(species.SALT_VOLUMES, "LiPF6",
                            (salt[0] + rng.normal() * salt[1], *salt[1:]))
        out.append(estimate_density(counts).value)
    monkeypatch.setattr(species, "LIQUID_DENSITIES", base)
    monkeypatch.setitem(species.SALT_VOLUMES, "LiPF6", salt)
    return np.array(out)


@pytest.mark.parametrize("counts", [
    {"EC": 130, "DMC": 128, "Li": 20, "PF6": 20},  # LP30
    {"PC": 100, "Li": 15, "PF6": 15},  # 1.5 mol/kg: the salt's volume dominates
])
def test_the_propagated_error_matches_the_scatter_of_replicated_inputs(counts, monkeypatch):
    monkeypatch.setattr(build, "_MIXING_DOUBT", 0.0)
    rho = estimate_density(counts, with_uncertainty=True)
    samples = _sampled(counts, monkeypatch, np.random.default_rng(7), 800)
    assert samples.mean() == pytest.approx(rho.value, abs=3 * rho.stderr / np.sqrt(800) + 1e-4)
    # the sample standard deviation of 800 normal draws: 2.5 % relative error (3 sigma: 7.5 %)
    assert samples.std(ddof=1) == pytest.approx(rho.stderr, rel=0.08)


def _no_density_error(monkeypatch, *names):
    for name in names:
        record = species.LIQUID_DENSITIES[name]
        monkeypatch.setitem(species.LIQUID_DENSITIES, name, record._replace(error_g_cm3=0.0))


def test_the_salt_volume_term_is_its_finite_difference(monkeypatch):
    counts = {"EMC": 80, "Li": 10, "PF6": 10}
    v, u, source = species.SALT_VOLUMES["LiPF6"]
    _no_density_error(monkeypatch, "EMC")
    rho = estimate_density(counts, with_uncertainty=True)
    h = 0.01
    monkeypatch.setitem(species.SALT_VOLUMES, "LiPF6", (v + h, u, source))
    up = estimate_density(counts).value
    monkeypatch.setitem(species.SALT_VOLUMES, "LiPF6", (v - h, u, source))
    down = estimate_density(counts).value
    assert rho.stderr == pytest.approx(abs(up - down) / (2 * h) * u, rel=1e-4)


def test_mixing_adds_its_doubt_only_to_mixtures(monkeypatch):
    _no_density_error(monkeypatch, "EC", "DMC")
    assert estimate_density({"EC": 5}, with_uncertainty=True).stderr == 0.0
    mixed = estimate_density({"EC": 5, "DMC": 5}, with_uncertainty=True)
    phi_ec = 5 * species.SOLVENTS["EC"].mass / 1.321
    phi_dmc = 5 * species.SOLVENTS["DMC"].mass / 1.063
    phi = np.array([phi_ec, phi_dmc]) / (phi_ec + phi_dmc)
    assert mixed.stderr == pytest.approx(mixed.value * build._MIXING_DOUBT
                                         * (1 - np.sum(phi**2)), rel=1e-9)


@pytest.mark.parametrize("counts, reason", [
    ({"DME": 20, "Li": 2, "PF6": 2}, "measured in carbonates"),  # a solvent outside its data
    ({"EMC": 10, "Li": 5, "PF6": 5}, "beyond the ~1 mol/L"),  # 4.9 mol/kg
    ({"EC": 20, "Li": 2, "FSI": 2}, "no measured volume in solution"),  # van der Waals rule
])
def test_an_estimate_beyond_the_salt_volume_data_is_marked_not_valid(counts, reason):
    with pytest.warns(UserWarning, match=reason):
        rho = estimate_density(counts, with_uncertainty=True)
    assert not rho.valid and reason in rho.verdict
    with pytest.warns(UserWarning, match=reason):
        assert estimate_density(counts).value == rho.value


def test_an_unmeasured_salt_volume_widens_the_error_to_its_possible_shift():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rho = estimate_density({"DME": 20, "Li": 4, "FSI": 4}, with_uncertainty=True)
    # the ions at LiPF6's ratio of measured to van der Waals volume: the warning's number
    shifted = float(rho.notes[0].split("(")[-1].split(" g/cm³")[0])
    # (the warning gives it to 0.001 g/cm³)
    assert rho.stderr >= shifted - rho.value - 0.0005 and shifted - rho.value > 0.02


def test_the_estimate_starts_a_box_and_bad_flags_are_refused():
    rho = estimate_density({"EC": 3, "EMC": 7}, with_uncertainty=True)
    assert check_density(rho) == rho.value
    assert check_density(rho.to("kg/m^3")) == pytest.approx(rho.value, rel=1e-12)
    with pytest.raises(ValueError, match=r"density \(g/cm³\): cannot convert 'S/m'"):
        check_density(Estimate(1.2, 0.1, "S/m", "given"))
    with pytest.raises(ValueError, match="with_uncertainty"):
        estimate_density({"EC": 3}, with_uncertainty="yes")
