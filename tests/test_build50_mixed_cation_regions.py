"""Spread cations of several species each get a sub-cube of their own, as one cation species'.

``spread_cations`` (Ju et al. 2025: Li⁺ spread over separate regions so that they do not start
clustered) drew the sub-cubes per species: 4 Li⁺ and 4 Na⁺ each took 4 of their own 2³ grid,
so a Li⁺ and a Na⁺ shared sub-cubes, and a lone cation of a second species was placed
anywhere. Now every cation of the box takes one sub-cube of one grid; a box of one cation
species is packed as before (the same draw).
"""

import warnings

import numpy as np
import pytest

from ase_electrolyte.build import _cation_regions, electrolyte_box


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
    length = atoms.cell[0, 0]
    regions = _cation_regions(4, length, 2.0, np.random.default_rng(3))
    cations = atoms.positions[atoms.arrays["formal_charge"] > 0]
    # PACKMOL holds its region constraints to a few hundredths of an ångström
    for position, (lo, hi) in zip(cations, regions, strict=True):
        assert np.all(position >= lo - 0.1) and np.all(position <= hi + 0.1)
