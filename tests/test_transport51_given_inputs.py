"""Numbers the user gives to the transport analyses are given numbers, not measured results.

``Estimate.given_value`` (its ``given`` flag, written ``"given": true``) is the one way a given
number is made. The transport analyses still made them as ``Estimate(value, error, unit,
"given")``: ``NernstEinstein(conductivity=(1.0, 0.1)).results.collective_conductivity`` read
``1.00 ± 0.10 S/m (valid)``, a result that had passed its checks, and its JSON form had no
``"given"`` (read back as a result too, having an error); the temperature given to
``run_analyses`` (``electrolyte analyze --temperature``) was written into the conductivity and
viscosity entries without the flag, given only by the old reading of its method text. Now the
given σ, D, η and temperature are ``Estimate.given_value``; the numbers computed from them are
unchanged (checked against the Nernst–Einstein formula and first-order propagation).
"""

import math
import warnings

import numpy as np
import pytest
from scipy import constants
from transport_data import integrate, ion_run_file, ornstein_uhlenbeck, salt_universe

from ase_electrolyte.estimate import Estimate
from mda_electrolyte import NernstEinstein

D = {"Li": 0.012, "PF6": 0.008}  # Å²/ps
D_ERR = {"Li": 0.001, "PF6": 0.0015}
N = {"Li": 20, "PF6": 20}
Z = {"Li": 1.0, "PF6": -1.0}
VOLUME, T = 8.0e4, 320.0  # Å³, K


def _sigma_ne():
    """σ_NE = e² / (V k_B T) Σ N z² D in S/m, and its first-order error, from SI constants."""
    pref = constants.e ** 2 / (VOLUME * 1e-30 * constants.k * T) * 1e-8
    value = pref * sum(N[s] * Z[s] ** 2 * D[s] for s in D)
    error = pref * math.hypot(*(N[s] * Z[s] ** 2 * D_ERR[s] for s in D))
    return value, error


def _nernst_einstein(conductivity):
    return NernstEinstein(temperature=T, diffusivities=D, diffusivity_errors=D_ERR, n_ions=N,
                          charges=Z, volume=VOLUME, conductivity=conductivity)


@pytest.mark.parametrize("given, value, error", [
    (1.0, 1.0, 0.0),
    ((1.0, 0.1), 1.0, 0.1),
    ([0.5, 0.05], 0.5, 0.05),
    (np.float32(2.0), 2.0, 0.0),
    ((np.float64(0.25), 0), 0.25, 0.0),
])
def test_a_conductivity_given_as_numbers_is_shown_given(given, value, error):
    r = _nernst_einstein(given).results
    sigma = r.collective_conductivity
    assert sigma.given and sigma.valid
    assert (sigma.value, sigma.stderr) == pytest.approx((value, error), rel=1e-7)
    assert sigma.unit == "S/m"
    text = str(sigma)
    assert "given" in text and "(valid)" not in text, text
    data = sigma.to_dict()
    assert data["given"] is True
    assert Estimate.from_dict(data) == sigma
    # α_d = σ / σ_NE with first-order errors: the given σ is the number divided, unchanged
    ne, ne_err = _sigma_ne()
    assert r.conductivity.value == pytest.approx(ne, rel=1e-9)
    assert r.conductivity.stderr == pytest.approx(ne_err, rel=1e-9)
    alpha = r.dissociation
    assert not alpha.given and alpha.valid
    assert alpha.value == pytest.approx(value / ne, rel=1e-9)
    assert alpha.stderr == pytest.approx(
        value / ne * math.hypot(error / value, ne_err / ne), rel=1e-9)


def test_diffusivities_given_as_numbers_give_the_same_numbers_as_given_estimates():
    """D given as numbers and as ``Estimate.given_value`` are the same inputs."""
    plain = _nernst_einstein(None).results
    estimates = {s: Estimate.given_value(D[s], "Å^2/ps", D_ERR[s]) for s in D}
    as_given = NernstEinstein(temperature=T, diffusivities=estimates, n_ions=N, charges=Z,
                              volume=VOLUME).results
    assert plain.conductivity == as_given.conductivity
    for s in D:
        assert plain.transference_numbers[s] == as_given.transference_numbers[s]
        assert plain.contributions[s] == as_given.contributions[s]
        assert not plain.contributions[s].given


def test_a_measured_conductivity_given_as_an_estimate_keeps_its_verdict():
    """Only numbers are made given: a measured Estimate passes as it is, not-valid too."""
    measured = Estimate(1.0, 0.1, "S/m", "t-scaled standard error over 10 contiguous blocks",
                        10, converged=False, notes=("not converged: test",))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        r = _nernst_einstein(measured).results
    assert r.collective_conductivity == measured
    assert not r.collective_conductivity.given
    assert not r.dissociation.valid


@pytest.fixture(scope="module")
def salt():
    rng = np.random.default_rng(3)
    dt = 0.01
    v = ornstein_uhlenbeck(rng, 1000, (16, 3), 0.05, dt, 3.0)
    x = integrate(v, dt) + rng.uniform(0, 40, size=(1, 16, 3))
    return salt_universe(v, x, n_cations=8, dt=dt)


@pytest.mark.parametrize("only, key", [
    ("einstein_helfand_conductivity", "temperature_K (given)"),
    ("green_kubo_conductivity", "temperature_K (given)"),
    ("nernst_einstein", "temperature_K (given)"),
])
@pytest.mark.parametrize("temperature", [300.0, 350.5])
def test_the_temperature_given_to_the_conductivity_reports_is_marked_given(
        salt, tmp_path, only, key, temperature):
    from mda_electrolyte.report import run_analyses

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        entry = run_analyses(salt, tmp_path, only=[only], temperature=temperature)[only]
    data = entry[key]
    assert data["given"] is True
    est = Estimate.from_dict(data)
    assert est.given and est.value == temperature and est.stderr == 0.0
    assert "given" in str(est) and "valid" not in str(est)


@pytest.fixture(scope="module")
def run_file(tmp_path_factory):
    return ion_run_file(tmp_path_factory.mktemp("given_visc"))


@pytest.mark.parametrize("temperature", [600.0, 590.0])
def test_the_temperature_given_to_the_viscosity_report_is_marked_given(run_file, tmp_path,
                                                                       temperature):
    import MDAnalysis as mda

    from mda_electrolyte.report import run_analyses

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        entry = run_analyses(mda.Universe(str(run_file)), tmp_path, only=["viscosity"],
                             temperature=temperature)["viscosity"]
    data = entry["temperature_K"]
    assert data["given"] is True
    est = Estimate.from_dict(data)
    assert est.given and est.value == temperature and est.stderr == 0.0
    # η is divided by k_B T of the temperature given
    eta = Estimate.from_dict(entry["viscosity"])
    assert not eta.given and math.isfinite(eta.value)
