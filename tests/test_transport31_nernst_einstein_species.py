"""Nernst–Einstein of the species given: divalent ions counted z², a charged subset marked.

σ_NE = e²/(V k_B T) Σ_s N_s z_s² D_s checked against the formula in SI units (scipy's
constants) for a neutral 2:1 salt; one species alone (Li⁺ without its anions) was a valid
σ_NE, t_Li = 1 ± 0 and α_d = σ/σ_NE(Li): numbers of a system that does not exist. They are
still computed (the counter-ions may be left out on purpose) but not valid, naming the net
charge and the cure.
"""

import pytest
from scipy import constants

from ase_electrolyte.estimate import Estimate
from mda_electrolyte import NernstEinstein

T, V = 300.0, 8000.0  # K, Å³


def _sigma_ne(n, z, d):
    """S/m from counts, charges (e) and D (Å²/ps = 1e-8 m²/s)."""
    return constants.e**2 / (V * 1e-30 * constants.k * T) * sum(
        n[s] * z[s] ** 2 * d[s] * 1e-8 for s in n)


def _ne(n, z, d):
    return NernstEinstein(
        temperature=T, n_ions=n, charges=z, volume=V,
        diffusivities={s: Estimate(v, 0.05 * v, "Å^2/ps", "given") for s, v in d.items()},
        conductivity=Estimate(1.0, 0.1, "S/m", "given")).results


def test_a_neutral_divalent_salt_is_valid_and_counts_z_squared():
    n, z, d = {"Mg": 4, "Cl": 8}, {"Mg": 2.0, "Cl": -1.0}, {"Mg": 0.01, "Cl": 0.03}
    r = _ne(n, z, d)
    assert r.conductivity.value == pytest.approx(_sigma_ne(n, z, d), rel=1e-9)
    assert r.conductivity.valid and r.dissociation.valid
    # t_Mg = 4·4·0.01 / (4·4·0.01 + 8·1·0.03)
    assert r.transference_numbers["Mg"].value == pytest.approx(0.4, rel=1e-12)
    assert r.dissociation.value == pytest.approx(1.0 / _sigma_ne(n, z, d), rel=1e-9)


@pytest.mark.parametrize("n, z, d", [
    ({"Li": 10}, {"Li": 1.0}, {"Li": 0.02}),
    ({"Mg": 10}, {"Mg": 2.0}, {"Mg": 0.02}),
    ({"Mg": 4, "Cl": 4}, {"Mg": 2.0, "Cl": -1.0}, {"Mg": 0.01, "Cl": 0.03}),
])
def test_species_with_a_net_charge_are_computed_but_not_valid(n, z, d):
    r = _ne(n, z, d)
    assert r.conductivity.value == pytest.approx(_sigma_ne(n, z, d), rel=1e-9)
    net = sum(n[s] * z[s] for s in n)
    for est in (r.conductivity, r.dissociation, *r.transference_numbers.values()):
        assert not est.valid
        assert f"net charge of {net:+g} e" in est.verdict and "counter-ions" in est.verdict
