"""Spread cations start apart: each in a sub-cube of its own, whatever its species, and
single-atom cations in the central half of it.

``spread_cations`` (Ju et al. 2025: Li⁺ spread over separate regions so that they do not start
clustered) drew the sub-cubes per species: 4 Li⁺ and 4 Na⁺ each took 4 of their own 2³ grid,
so a Li⁺ and a Na⁺ shared sub-cubes, and a lone cation of a second species was placed
anywhere. Now every cation of the box takes one sub-cube of one grid; a box of one cation
species draws its sub-cubes as before.

Each cation was kept only tolerance/2 (1 Å) inside its sub-cube, so two in neighbouring
sub-cubes could start on either side of the shared face: Li⁺ pairs 2.2 Å and 3.4 Å apart in
boxes of 1 mol/kg LiPF6 in EC:EMC 3:7 of 1000 atoms (seeds 1 and 0). A single-atom cation now
keeps to the central half of its sub-cube: every pair starts at least half a sub-cube apart
(6.5 and 7.1 Å in those boxes).
"""

import warnings

import numpy as np
import pytest
from ase.geometry import get_distances

from ase_electrolyte.build import _cation_cells, electrolyte_box


def _cells(atoms, n_cations):
    """The sub-cube (of the grid for ``n_cations``) holding each cation."""
    g = int(np.ceil(n_cations ** (1.0 / 3.0) - 1e-9))
    length = atoms.cell[0, 0]
    cations = atoms.arrays["formal_charge"] > 0
    cells = np.floor(atoms.positions[cations] / (length / g)).astype(int)
    return [tuple(c) for c in cells], atoms.arrays["molecule_species"][cations]


@pytest.mark.parametrize("counts, seed", [
    ({"EC": 6, "Li": 4, "Na": 4, "PF6": 8}, 0),
])
def test_every_cation_has_its_own_sub_cube(counts, seed):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        atoms = electrolyte_box(counts=counts, seed=seed)
    n = sum(v for k, v in counts.items() if k in ("Li", "Na", "K"))
    cells, names = _cells(atoms, n)
    assert len(cells) == n
    assert len(set(cells)) == n, list(zip(map(str, names), cells, strict=True))


def test_one_cation_species_draws_as_before():
    """The sub-cubes of a box of one cation species are the draw of its own count."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        atoms = electrolyte_box(counts={"EC": 6, "Li": 4, "PF6": 4}, seed=3)
    cells, _ = _cells(atoms, 4)
    drawn = _cation_cells(4, np.random.default_rng(3))
    assert cells == [tuple(int(i) for i in c) for c in drawn]


@pytest.mark.parametrize("counts, seed", [
    ({"EC": 12, "Li": 8, "PF6": 8}, 0),
    ({"EC": 12, "Li": 8, "PF6": 8}, 1),
    ({"EC": 8, "Li": 3, "Na": 2, "PF6": 5}, 2),
])
def test_single_atom_cations_start_half_a_sub_cube_apart(counts, seed):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        atoms = electrolyte_box(counts=counts, seed=seed)
    cations = atoms.positions[atoms.arrays["formal_charge"] > 0]
    n = len(cations)
    side = atoms.cell[0, 0] / np.ceil(n ** (1.0 / 3.0) - 1e-9)
    d = get_distances(cations, cell=atoms.cell, pbc=True)[1]
    np.fill_diagonal(d, np.inf)
    # PACKMOL holds its region constraints to a few hundredths of an ångström
    assert d.min() >= side / 2.0 - 0.1, (d.min(), side)
