"""Onsager coefficients with a species of zero charge (a solvent).

Its coefficients L are reported (its row and column of the symmetric matrix, finite), but it
carries no current: the conductivity is that of the charged species alone (the Einstein–Helfand
conductivity of the same frames, to round-off), listing the solvent or not changes no
coefficient of the ions, and the transference numbers are the charged species' (summing to 1).
A neutral species alone has its coefficient and no conductivity Estimate.
"""

import warnings

import MDAnalysis as mda
import numpy as np
import pytest
from MDAnalysis.coordinates.memory import MemoryReader
from transport_data import integrate, ornstein_uhlenbeck

from mda_electrolyte import EinsteinHelfandConductivity, OnsagerCoefficients

N, N_FRAMES, DT, T = 6, 2000, 0.01, 300.0
SALT = {"Li": "resname LI", "AN": "resname AN"}
WITH_SOLVENT = {**SALT, "SOL": "resname SOL"}


@pytest.fixture(scope="module")
def universe():
    rng = np.random.default_rng(1)
    n_atoms = 3 * N
    v = ornstein_uhlenbeck(rng, N_FRAMES, (n_atoms, 3), 0.1, DT, 2.0)
    x = integrate(v, DT, np.zeros((n_atoms, 3)))
    u = mda.Universe.empty(n_atoms, n_residues=n_atoms, atom_resindex=np.arange(n_atoms),
                           trajectory=True)
    u.add_TopologyAttr("names", ["Li"] * N + ["A"] * N + ["S"] * N)
    u.add_TopologyAttr("resnames", ["LI"] * N + ["AN"] * N + ["SOL"] * N)
    u.add_TopologyAttr("masses", [7.0] * N + [19.0] * N + [30.0] * N)
    u.add_TopologyAttr("formalcharges", [1.0] * N + [-1.0] * N + [0.0] * N)
    u.load_new(x.astype(np.float32), format=MemoryReader, dt=DT,
               dimensions=[40, 40, 40, 90, 90, 90], velocities=v.astype(np.float32))
    return u


def _run(cls, u, ions):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return cls(u, ions, T).run().results


def test_a_solvent_has_coefficients_but_no_share_of_the_conductivity(universe):
    full = _run(OnsagerCoefficients, universe, WITH_SOLVENT)
    salt = _run(OnsagerCoefficients, universe, SALT)
    eh = _run(EinsteinHelfandConductivity, universe, SALT)
    # the solvent's row and column are there, symmetric and finite
    assert full.L.shape == (3, 3)
    np.testing.assert_array_equal(full.L, full.L.T)
    assert np.all(np.isfinite(full.L)) and np.all(np.isfinite(full.L_err))
    assert {"SOL-SOL", "SOL-Li", "SOL-AN"} <= set(full.coefficients)
    # the ions' coefficients do not depend on the solvent being listed
    np.testing.assert_allclose(full.L[:2, :2], salt.L, rtol=1e-10)
    # sigma = sum z_i z_j L_ij: the solvent's zero charge drops its terms
    z = np.array([1.0, -1.0, 0.0])
    assert full.sigma == pytest.approx(z @ full.L @ z, rel=1e-10)
    assert full.sigma == pytest.approx(salt.sigma, rel=1e-10)
    assert full.sigma == pytest.approx(eh.sigma, rel=1e-8)
    assert full.sigma_err == pytest.approx(eh.sigma_err, rel=1e-6)
    # transference numbers of the carriers only, summing to one
    assert set(full.transference) == {"Li", "AN"}
    assert sum(full.transference.values()) == pytest.approx(1.0, abs=1e-12)
    for name in ("Li", "AN"):
        assert full.transference[name] == pytest.approx(salt.transference[name], rel=1e-10)


def test_a_neutral_species_alone_has_coefficients_and_no_conductivity(universe):
    full = _run(OnsagerCoefficients, universe, WITH_SOLVENT)
    alone = _run(OnsagerCoefficients, universe, {"SOL": "resname SOL"})
    # its self coefficient is the one of the full matrix (no centre-of-mass removal by default)
    assert alone.L.shape == (1, 1)
    assert alone.L[0, 0] == pytest.approx(full.L[2, 2], rel=1e-10)
    assert alone.coefficients["SOL-SOL"].value == pytest.approx(full.L[2, 2], rel=1e-10)
    # no charge, no current: no conductivity Estimate and no transference numbers
    assert alone.conductivity is None
    assert alone.transference_numbers == {} and alone.transference == {}
    assert alone.sigma == 0.0 and alone.sigma_err == 0.0
