"""The smoothing of the first-minimum search calls scipy's compiled sparse kernels on slices of
its banded matrix directly (building a scipy matrix per slice cost a third of each product):
the values equal scipy's own product of the sliced matrix bit for bit, for many columns, one
column, squared weights, and where the private kernels are missing (scipy's public product)."""

import numpy as np
import pytest
from scipy.sparse import csr_matrix

import mda_electrolyte.shell_cutoffs as sc


def _reference(matrix, i0, i1, histograms, squared=False):
    rows = matrix[i0:i1]
    if squared:
        rows = rows.multiply(rows)
    return np.ascontiguousarray(csr_matrix(rows) @ histograms).T


@pytest.mark.parametrize("edges", [np.linspace(0, 8, 81), np.linspace(0, 8, 161),
                                   np.r_[0.0, np.geomspace(0.5, 8.0, 90)],
                                   np.linspace(1.0, 7.0, 121)])
@pytest.mark.parametrize("sigma", [0.1, 0.2])
@pytest.mark.parametrize("private", [True, False])
def test_parts_equal_scipys_product_of_the_slice(edges, sigma, private, monkeypatch):
    if not private:
        monkeypatch.setattr(sc, "_csr_kernels", None)
    elif sc._csr_kernels is None:
        pytest.skip("scipy has no private sparse kernels here")
    x, matrix = sc._smoothing_weights(edges.tobytes(), float(max(sigma, np.diff(edges).max())),
                                      0.01)
    rng = np.random.default_rng(7)
    counts = rng.poisson(50.0, size=(edges.size - 1, 101)).astype(float)
    histograms = counts / np.arange(1, edges.size)[:, None]
    for i0, i1 in ((0, x.size), (3, 40), (x.size // 3, x.size // 2 + 7), (x.size - 5, x.size)):
        whole = sc._smoothed_part(matrix, i0, i1, histograms)
        assert whole.shape == (101, i1 - i0) and whole.flags.c_contiguous
        assert np.array_equal(whole, _reference(matrix, i0, i1, histograms))
        # one column, not contiguous (a view of the first column)
        one = sc._smoothed_part(matrix, i0, i1, histograms[:, :1])
        assert np.array_equal(one, _reference(matrix, i0, i1, histograms[:, :1]))
        assert np.array_equal(one[0], whole[0])
        squared = sc._smoothed_part(matrix, i0, i1, histograms[:, :1], squared=True)
        assert np.array_equal(squared, _reference(matrix, i0, i1, histograms[:, :1], True))
    # the part of the whole grid is the whole-grid smoothing of the histogram itself
    assert np.array_equal(sc._smoothed_part(matrix, 0, x.size, histograms[:, :1])[0],
                          matrix @ histograms[:, 0])


def test_first_minima_are_the_same_without_the_private_kernels(monkeypatch):
    edges = np.linspace(0, 8, 161)
    r = 0.5 * (edges[1:] + edges[:-1])
    shell = 4.0 / 3.0 * np.pi * np.diff(edges**3)
    g = 3 * np.exp(-((r - 2) / 0.2) ** 2) + 1 / (1 + np.exp(-(r - 3) / 0.15))
    counts = np.random.default_rng(3).poisson(20 * g * shell).astype(float)
    direct = sc.first_minimum(edges, counts / shell, counts=counts).as_dict()
    monkeypatch.setattr(sc, "_csr_kernels", None)
    assert sc.first_minimum(edges, counts / shell, counts=counts).as_dict() == direct
