"""The compiled pair histogram bins every distance as numpy.histogram does, including the
distances on a bin edge and one rounding step either side of it (the kernel's vectorised
truncation and its scalar correction against the edges), and keeps the caller's pair order
whatever the thread count.

A pair of atoms (0, y, 0) and (d, y, 0) in an orthorhombic cell is at exactly d: the
squared distance is fl(d²) and the correctly rounded square root of fl(d²) is d for every
double d, so these distances reach the kernel bit for bit.
"""

import numpy as np
import pytest

from mda_electrolyte.pair_histogram import pair_histogram_kernel


@pytest.fixture(scope="module")
def kernel():
    kernel = pair_histogram_kernel()
    if kernel is None:
        pytest.fail("the pair-histogram kernel could not be built (no C++ compiler?)",
                    pytrace=False)
    return kernel


def _isolated_pairs(distances, r_max):
    """Positions of one pair per distance, each pair farther than r_max from every other."""
    gap = 2.0 * r_max + 1.0
    n = len(distances)
    positions = np.zeros((2 * n, 3))
    positions[1::2, 0] = distances
    positions[0::2, 1] = positions[1::2, 1] = gap * np.arange(n)
    cell = np.diag([4.0 * r_max + 2.0, gap * n, 2.0 * r_max + 1.0])
    return positions, cell


@pytest.mark.parametrize("r_min, r_max, nbins", [(0.0, 8.0, 80), (1.3, 7.7, 37),
                                                 (0.0, 6.0, 1000), (0.05, 0.95, 3)])
def test_distances_on_and_beside_every_edge_are_binned_as_numpy(kernel, r_min, r_max, nbins):
    edges = np.histogram_bin_edges([], bins=nbins, range=(r_min, r_max))
    inner = np.concatenate([edges, np.nextafter(edges, -np.inf), np.nextafter(edges, np.inf),
                            0.5 * (edges[1:] + edges[:-1])])
    distances = inner[(inner > 0.0) & (inner <= r_max)]
    positions, cell = _isolated_pairs(distances, r_max)
    n_atoms = len(positions)
    row = nbins + 1
    counts = np.zeros(2 * row, dtype=np.int64)
    kernel(positions, cell, edges, np.zeros(n_atoms, np.int64), np.zeros(n_atoms, np.int64),
           np.arange(n_atoms), row, counts)
    # every pair in its own molecules: the intermolecular row; closer than r_min: the slot
    # after the last bin
    expected = np.histogram(distances[distances >= r_min], bins=edges)[0]
    assert counts[:row].tolist() == [0] * row
    assert counts[row:row + nbins].tolist() == expected.tolist()
    assert counts[row + nbins] == np.count_nonzero(distances < r_min)


@pytest.mark.parametrize("num_threads", [1, 2, 5])
def test_ordered_class_counts_match_a_brute_force_reference(kernel, num_threads):
    # a triclinic cell, three classes, molecules of three atoms: the ordered (class of the
    # earlier atom, class of the later one) counts of every pair within r_max
    rng = np.random.default_rng(11)
    cell = np.array([[14.0, 0.0, 0.0], [3.5, 13.0, 0.0], [-2.0, 4.0, 12.5]])
    n = 600
    positions = rng.uniform(0.0, 1.0, (n, 3)) @ cell + rng.normal(0.0, 20.0, (1, 3))
    classes = rng.integers(0, 3, n)
    mol = np.arange(n) // 3
    r_min, r_max, nbins = 0.7, 5.0, 43
    edges = np.histogram_bin_edges([], bins=nbins, range=(r_min, r_max))
    row = nbins + 1
    counts = np.zeros(3 * 3 * 2 * row, dtype=np.int64)
    kernel(positions, cell, edges, classes * (3 * 2 * row), classes * (2 * row), mol, row,
           counts, num_threads=num_threads)

    inverse = np.linalg.inv(cell)
    i, j = np.triu_indices(n, 1)
    delta = positions[j] - positions[i]
    frac = delta @ inverse
    frac -= np.rint(frac)
    # the minimum image of a triclinic cell: the nearest of the neighbouring images
    shifts = np.array(np.meshgrid(*[[-1, 0, 1]] * 3, indexing="ij")).reshape(3, -1).T
    d = np.min(np.linalg.norm((frac[:, None, :] + shifts[None]) @ cell, axis=2), axis=1)
    expected = np.zeros_like(counts)
    keep = d <= r_max
    i, j, d = i[keep], j[keep], d[keep]
    bins = np.where(d < r_min, nbins, np.clip(np.searchsorted(edges, d, side="right") - 1,
                                              0, nbins - 1))
    at = classes[i] * (3 * 2 * row) + classes[j] * (2 * row) + (mol[i] != mol[j]) * row + bins
    np.add.at(expected, at, 1)
    # random positions lie nowhere near an edge within rounding: the same bins
    assert counts.sum() == expected.sum() > 5000
    assert np.array_equal(counts, expected)
