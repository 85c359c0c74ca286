"""IntraInterRDF's default bins resolve a first Li–O peak.

The default was 80 bins (0.1 Å over 0-8 Å): a Li–O peak at 1.95 Å of Gaussian width 0.07 Å
is 0.7 bins wide there, and its height was refused as "too coarse" (peak_top needs σ of a
bin). The default is now bins of at most DEFAULT_BIN_WIDTH = 0.05 Å. Checked on ideal gases of
Li–O pairs whose distances are normal, whose g(r) is known in closed form:
``g(r) = (N-1)/N + V p(r) / (4π r² N)``.
"""

import math

import MDAnalysis as mda
import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from mda_electrolyte import IntraInterRDF
from mda_electrolyte.rdf import DEFAULT_BIN_WIDTH

BOX = 20.0
N_PAIRS = 100
MU, SIGMA = 1.95, 0.07
KEY = ("Li", "O")


def _li_o_gas(n_frames, seed):
    """Independent frames of N_PAIRS Li–O pairs placed uniformly, distances N(MU, SIGMA)."""
    rng = np.random.default_rng(seed)
    u = mda.Universe.empty(2 * N_PAIRS, n_residues=N_PAIRS,
                           atom_resindex=np.arange(2 * N_PAIRS) // 2, trajectory=True)
    u.add_TopologyAttr("elements", ["Li", "O"] * N_PAIRS)
    # each pair one molecule (compound="fragments"): atoms of different pairs may lie closer
    # than a covalent bond, which the residue check would take for a split molecule
    u.add_TopologyAttr("bonds", [(2 * i, 2 * i + 1) for i in range(N_PAIRS)])
    a = rng.uniform(0, BOX, (n_frames, N_PAIRS, 3))
    d = rng.normal(MU, SIGMA, (n_frames, N_PAIRS))
    v = rng.normal(size=(n_frames, N_PAIRS, 3))
    v /= np.linalg.norm(v, axis=-1, keepdims=True)
    coords = np.stack([a, a + d[..., None] * v], axis=2).reshape(n_frames, 2 * N_PAIRS, 3) % BOX
    u.load_new(coords.astype(np.float32), order="fac",
               dimensions=np.tile([BOX] * 3 + [90.0] * 3, (n_frames, 1)).astype(np.float32))
    return u


def _true_height():
    scale = BOX**3 / (4 * np.pi * N_PAIRS) / (SIGMA * np.sqrt(2 * np.pi))

    def minus_g(r):
        return -((N_PAIRS - 1) / N_PAIRS
                 + scale * np.exp(-(r - MU) ** 2 / (2 * SIGMA**2)) / r**2)

    return -minimize_scalar(minus_g, bounds=(MU - 3 * SIGMA, MU + 3 * SIGMA), method="bounded",
                            options={"xatol": 1e-10}).fun


@pytest.fixture(scope="module")
def gas():
    return _li_o_gas(60, seed=7)


def test_the_default_bins_are_0_05_angstrom(gas):
    rdf = IntraInterRDF(gas.atoms)
    assert DEFAULT_BIN_WIDTH == 0.05
    assert rdf._nbins == 160
    # a range that is no whole number of widths: bins no wider than the default width
    odd = IntraInterRDF(gas.atoms, range=(0.3, 7.97))
    assert odd._nbins == math.ceil(7.67 / 0.05)
    assert (7.67 / odd._nbins) <= DEFAULT_BIN_WIDTH
    # MDAnalysis' spelling still chooses the bins
    assert IntraInterRDF(gas.atoms, nbins=80)._nbins == 80


def test_a_li_o_first_peak_is_resolved_and_valid_with_the_default_bins(gas):
    truth = _true_height()
    est = IntraInterRDF(gas.atoms, compound="fragments").run().results.estimates[KEY]
    g_max, position = est["g_max"], est["g_max_position"]
    assert g_max.valid, g_max.notes
    assert position.valid, position.notes
    assert abs(g_max.value - truth) < 4 * g_max.stderr
    assert abs(position.value - MU) < 0.02
    # the old default: the same peak refused as too coarse
    coarse = IntraInterRDF(gas.atoms, nbins=80, compound="fragments").run()
    old = coarse.results.estimates[KEY]["g_max"]
    assert not old.valid and any("too coarse" in n for n in old.notes)
