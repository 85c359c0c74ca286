"""The extent of a molecule (its largest atom-atom distance) without its full distance matrix.

The box builder's checks of a molecule against its periodic images and against the cations'
sub-cubes built the molecule's whole n x n x 3 difference array: 600 MB for a 5000-atom
polymer chain, 9.6 GB for 20 000 atoms, before PACKMOL. The extent is now searched among the
convex hull's vertices, in blocks; it equals the brute-force maximum.
"""

import tracemalloc

import numpy as np
import pytest

pytest.importorskip("rdkit")

from scipy.spatial.distance import pdist  # noqa: E402

import ase_electrolyte.build as build  # noqa: E402
from ase_electrolyte.build import conformer  # noqa: E402
from ase_electrolyte.species import IONS, SOLVENTS  # noqa: E402


@pytest.mark.parametrize("name", [*SOLVENTS, *IONS])
def test_the_extent_of_every_library_molecule_is_the_largest_distance(name):
    x = conformer(name).positions
    expected = float(pdist(x).max()) if len(x) > 1 else 0.0
    assert build._extent(x) == pytest.approx(expected, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("points", [
    np.zeros((1, 3)),
    np.array([[0.0, 0, 0], [1.16, 0, 0], [2.32, 0, 0]]),  # collinear (CO2)
    np.c_[np.random.default_rng(0).uniform(-5, 5, (40, 2)), np.zeros(40)],  # flat: no hull
    np.random.default_rng(1).normal(size=(300, 3)),
])
def test_degenerate_and_random_clouds(points):
    expected = float(pdist(points).max()) if len(points) > 1 else 0.0
    assert build._extent(points) == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_a_large_molecule_is_measured_in_little_memory():
    # 20 000 atoms inside a sphere of radius 30 Å with two antipodal atoms on it: extent 60 Å
    rng = np.random.default_rng(2)
    inside = rng.normal(size=(20_000, 3))
    inside *= (rng.uniform(0, 1, (20_000, 1)) ** (1 / 3) * 29.0
               / np.linalg.norm(inside, axis=1, keepdims=True))
    inside[0], inside[1] = [30.0, 0, 0], [-30.0, 0, 0]
    tracemalloc.start()
    try:
        extent = build._extent(inside)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert extent == pytest.approx(60.0, rel=1e-12)
    assert peak < 200e6  # the full difference array: 9.6 GB
