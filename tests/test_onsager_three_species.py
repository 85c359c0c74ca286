"""Onsager coefficients of three ionic species (Li⁺, Mg²⁺ and a common anion), a mixture no
test had: independent Ornstein–Uhlenbeck ions with known ``L_ii = N_i s_i² τ`` (per e², times
the conductivity prefactor) and no cross terms.

Identities that hold exactly on any data: ``σ = Σ z_i z_j L_ij`` equals the Einstein–Helfand
conductivity of the same dipole with the same window and blocks; the transference numbers sum
to 1; L is symmetric and does not depend on the order the species are given in. Against the
exact values: within four of their error bars (Einstein and Green–Kubo).
"""

import warnings

import MDAnalysis as mda
import numpy as np
import pytest
from MDAnalysis.coordinates.memory import MemoryReader
from transport_data import integrate, ornstein_uhlenbeck

from mda_electrolyte import EinsteinHelfandConductivity, OnsagerCoefficients
from mda_electrolyte.conductivity import _conductivity_prefactor

DT, N_FRAMES, T, BOX, TAU = 0.05, 8000, 300.0, 40.0, 0.3
COUNTS = {"Li": 8, "Mg": 4, "AN": 16}
Z = {"Li": 1.0, "Mg": 2.0, "AN": -1.0}
S = {"Li": 2.0, "Mg": 1.0, "AN": 1.5}
MASS = {"Li": 6.94, "Mg": 24.3, "AN": 19.0}


@pytest.fixture(scope="module")
def mixture():
    rng = np.random.default_rng(4)
    v = np.concatenate([ornstein_uhlenbeck(rng, N_FRAMES, (COUNTS[k], 3), TAU, DT, S[k])
                        for k in COUNTS], axis=1)
    n = v.shape[1]
    names = [k for k in COUNTS for _ in range(COUNTS[k])]
    u = mda.Universe.empty(n, n_residues=n, atom_resindex=np.arange(n), trajectory=True)
    u.add_TopologyAttr("names", names)
    u.add_TopologyAttr("resnames", [x.upper() for x in names])
    u.add_TopologyAttr("masses", [MASS[x] for x in names])
    u.add_TopologyAttr("formalcharges", [Z[x] for x in names])
    u.load_new(integrate(v, DT).astype(np.float32), velocities=v.astype(np.float32),
               format=MemoryReader, dt=DT, dimensions=[BOX] * 3 + [90.0] * 3)
    return u


def _ions(order):
    return {k: f"name {k}" for k in order}


def _run(u, order=tuple(COUNTS), **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return OnsagerCoefficients(u, _ions(order), T, **kw).run().results


def _exact_diagonal(names):
    pref = _conductivity_prefactor(BOX**3, T, 3)
    return np.array([pref * COUNTS[k] * 3 * S[k] ** 2 * TAU for k in names])


def test_sigma_is_the_charge_weighted_sum_of_l_and_the_einstein_helfand_conductivity(mixture):
    res = _run(mixture)
    z = np.array([Z[k] for k in res.species])
    np.testing.assert_allclose(res.L, res.L.T, rtol=0, atol=0)
    assert res.sigma == pytest.approx(z @ res.L @ z, rel=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        eh = EinsteinHelfandConductivity(mixture, _ions(COUNTS), T).run().results
    assert res.sigma == pytest.approx(eh.sigma, rel=1e-9)
    assert res.sigma_err == pytest.approx(eh.sigma_err, rel=1e-9)
    assert sum(res.transference.values()) == pytest.approx(1.0, abs=1e-12)
    assert set(res.transference_numbers) == set(COUNTS)


def test_the_order_of_the_species_does_not_change_the_coefficients(mixture):
    a = _run(mixture)
    b = _run(mixture, order=("AN", "Li", "Mg"))
    perm = [a.species.index(k) for k in b.species]
    np.testing.assert_allclose(b.L, a.L[np.ix_(perm, perm)], rtol=1e-9, atol=1e-12)
    assert b.sigma == pytest.approx(a.sigma, rel=1e-9)
    for k in COUNTS:
        assert b.transference[k] == pytest.approx(a.transference[k], rel=1e-9)


@pytest.mark.parametrize("method, kw", [("einstein", {}), ("green-kubo", {"max_lag": 3.0})])
def test_three_species_coefficients_match_the_exact_ones(mixture, method, kw):
    res = _run(mixture, method=method, **kw)
    exact = np.diag(_exact_diagonal(res.species))
    assert np.all(np.abs(res.L - exact) <= 4 * res.L_err), (res.L, res.L_err)
    z = np.array([Z[k] for k in res.species])
    sigma = z @ exact @ z
    assert abs(res.sigma - sigma) <= 4 * res.sigma_err
    # Mg²⁺ counts four times per ion: its share is z² N D over the sum
    share = {k: Z[k] ** 2 * COUNTS[k] * S[k] ** 2 for k in COUNTS}
    total = sum(share.values())
    for k in COUNTS:
        assert abs(res.transference[k] - share[k] / total) <= 4 * res.transference_err[k]
