"""Ions of different charge selected as one species ("name Li or name Mg").

The conductivities weight every ion by its own charge, so grouping changes nothing; the
diffusion coefficient needs no charge; the estimators that take one charge per species
(Nernst–Einstein's z_s, the Onsager sum Σ z_i z_j L_ij) refuse the group by name. Before,
Diffusion raised "mixes ions of different charge" after the whole pass (losing a valid D), and
OnsagerCoefficients weighted the group by its mean charge 4/3 e: with immobile Mg²⁺ and mobile
Li⁺ the cation term comes out (4/3)² = 1.8 times the true Σ q_i² D_i.
"""

import warnings

import MDAnalysis as mda
import numpy as np
import pytest
from MDAnalysis.coordinates.memory import MemoryReader
from transport_data import integrate, ornstein_uhlenbeck

from mda_electrolyte import (
    Diffusion,
    EinsteinHelfandConductivity,
    GreenKuboConductivity,
    NernstEinstein,
    OnsagerCoefficients,
)

N_LI, N_MG, N_CL, DT, T = 4, 2, 8, 0.01, 300.0
GROUPED = {"cat": "name Li or name Mg", "Cl": "name Cl"}
SEPARATE = {"Li": "name Li", "Mg": "name Mg", "Cl": "name Cl"}


@pytest.fixture(scope="module")
def universe():
    n = N_LI + N_MG + N_CL
    rng = np.random.default_rng(0)
    v = ornstein_uhlenbeck(rng, 4000, (n, 3), 0.1, DT, 2.0)
    grid = 5.0 * np.array(np.unravel_index(np.arange(n), (4, 4, 4))).T + 2.0
    u = mda.Universe.empty(n, n_residues=n, atom_resindex=np.arange(n), trajectory=True)
    names = ["Li"] * N_LI + ["Mg"] * N_MG + ["Cl"] * N_CL
    u.add_TopologyAttr("names", names)
    u.add_TopologyAttr("resnames", names)
    u.add_TopologyAttr("masses", [6.94] * N_LI + [24.3] * N_MG + [35.45] * N_CL)
    u.add_TopologyAttr("formalcharges", [1.0] * N_LI + [2.0] * N_MG + [-1.0] * N_CL)
    u.load_new(integrate(v, DT, grid).astype(np.float32), velocities=v.astype(np.float32),
               format=MemoryReader, dt=DT, dimensions=[40, 40, 40, 90, 90, 90])
    return u


@pytest.mark.parametrize("make", [
    lambda u, ions: GreenKuboConductivity(u, ions, T, max_lag=1.0),
    lambda u, ions: EinsteinHelfandConductivity(u, ions, T),
])
def test_conductivity_is_the_same_grouped_or_separate(universe, make):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        grouped = make(universe, GROUPED).run().results.conductivity
        separate = make(universe, SEPARATE).run().results.conductivity
    assert grouped.value == pytest.approx(separate.value, rel=1e-9)
    assert grouped.stderr == pytest.approx(separate.stderr, rel=1e-9)


def test_diffusion_of_a_mixed_species_is_a_result_and_nernst_einstein_refuses_it(universe):
    d = Diffusion(universe, GROUPED).run()
    r = d.results
    assert r.charges is None
    assert np.isfinite(r.D["cat"]) and r.diffusion_coefficient["cat"].valid
    # the group's MSD is the ion-weighted mean of its kinds' MSDs
    sep = Diffusion(universe, SEPARATE).run().results
    np.testing.assert_allclose(r.msd["cat"], (N_LI * sep.msd["Li"] + N_MG * sep.msd["Mg"])
                               / (N_LI + N_MG), rtol=1e-6)
    with pytest.raises(ValueError, match=r"'cat': \+1, \+2 e.*species of its own"):
        NernstEinstein(d, temperature=T)
    with pytest.raises(ValueError, match=r"'cat': \+1, \+2 e"):
        NernstEinstein.from_collections(d.collections, temperature=T)
    # given charges are the user's statement
    ne = NernstEinstein(d, temperature=T, charges={"cat": 1.0, "Cl": -1.0}).results
    assert np.isfinite(ne.sigma)


def test_onsager_refuses_a_mixed_species_before_reading(universe):
    with pytest.raises(ValueError, match=r"'cat' mixes ions of different charge \(\+1, \+2 e\)"):
        OnsagerCoefficients(universe, GROUPED, T)
    sep = OnsagerCoefficients(universe, SEPARATE, T).run()
    with pytest.raises(ValueError, match="'cat' mixes ions"):
        OnsagerCoefficients.from_collections(
            Diffusion(universe, GROUPED).run().collections, temperature=T)
    assert sep.results.species == ["Li", "Mg", "Cl"]
