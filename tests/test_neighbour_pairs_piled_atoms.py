"""A pair search over atoms piled up in part of the cell is refused before vesin allocates.

The memory budget estimated the pairs from the mean density: 20 000 atoms at one point of a
60 Å box (a frame of zeros) were put at ~4·10⁴ pairs, and vesin was asked for the 2·10⁸ pairs
they hold (~14 GB at its peak). The estimate now also reads the local densities.
"""

import numpy as np
import pytest
import vesin
from ase import Atoms

from ase_electrolyte import neighbour_pairs
from mda_electrolyte.molecules import covalent_bonds


def _no_search(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("vesin was called")

    monkeypatch.setattr(vesin, "NeighborList", refuse)


@pytest.mark.parametrize("where", ["origin", "a corner of the cell", "a 0.3 Å ball"])
def test_atoms_at_one_point_are_refused_before_the_search(where, monkeypatch):
    # a ball across the corner of 8 grid cells is estimated at half its pairs (the estimate
    # ranges from 0.5 to 4 times them for a pile): 40 000 atoms, 8·10⁸ pairs
    n, edge = (40_000 if where == "a 0.3 Å ball" else 20_000), 60.0
    cell = np.diag([edge] * 3)
    positions = np.zeros((n, 3))
    if where == "a corner of the cell":
        positions += edge - 0.05
    elif where == "a 0.3 Å ball":
        rng = np.random.default_rng(0)
        positions += 30.0 + rng.uniform(-0.15, 0.15, size=(n, 3))
    mean = neighbour_pairs._pair_estimate(n, edge**3, 2.12)
    assert mean * 72 < neighbour_pairs.PAIR_MEMORY_BUDGET  # the mean density let it through
    _no_search(monkeypatch)
    with pytest.raises(ValueError, match="piled up in part of the cell"):
        neighbour_pairs.pairs_within(positions, cell, 2.12, "Pd")
    with pytest.raises(ValueError, match="piled up in part of the cell"):
        covalent_bonds(Atoms(f"C{n}", positions=positions, cell=cell, pbc=True))


def test_the_local_estimate_is_the_mean_one_for_atoms_spread_evenly():
    rng = np.random.default_rng(1)
    for n, edge, radius in ((20_000, 60.0, 2.12), (5_000, 30.0, 6.0), (300, 12.0, 3.0)):
        cell = np.diag([edge] * 3)
        positions = rng.uniform(0, edge, size=(n, 3))
        mean = neighbour_pairs._pair_estimate(n, edge**3, radius)
        local = neighbour_pairs._local_pair_estimate(positions, cell, radius)
        # Poisson counts per cell: unbiased, within a few standard errors
        assert abs(local / mean - 1) < 0.1
        # and the count of the pairs themselves
        found, _ = neighbour_pairs.pairs_within(positions, cell, radius, "Pd")
        assert abs(len(found) / mean - 1) < 0.1


def test_a_liquid_with_a_vacuum_gap_is_searched_as_before():
    # a slab of liquid filling half of a periodic cell: twice the mean density, searched
    rng = np.random.default_rng(2)
    cell = np.diag([30.0, 30.0, 60.0])
    positions = rng.uniform([0, 0, 0], [30, 30, 30], size=(8_000, 3))
    found, d = neighbour_pairs.pairs_within(positions, cell, 3.0, "Pd")
    expected = neighbour_pairs._pair_estimate(8_000, 30.0**3, 3.0)
    assert abs(len(found) / expected - 1) < 0.1 and d.max() < 3.0
