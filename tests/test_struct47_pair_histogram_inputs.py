"""Arguments of the compiled pair histogram that counted pairs in the wrong slots.

Before (``PairHistogramKernel.__call__``, public):

- ``row`` smaller than ``nbins`` overlapped the two rows: with 4 bins and ``row=2`` an
  intermolecular pair at 1 Å was counted in slot 3, an intramolecular bin; ``row=4.5`` was
  cut to 4.
- a negative ``first_code``/``second_code`` moved a pair into another slot inside ``counts``
  (``-1``: slot 4 instead of 5), counted there without a word.
- unevenly spaced ``edges`` were binned as if even (the kernel guesses from the spacing and
  corrects by one bin): ``[0, 0.5, 3, 3.5, 4]`` put a pair at 2 Å in bin 2, numpy.histogram
  in bin 1.

Edges within a bin width of even ones (the RDF's own, whose lowest edge may be clipped to
0) are counted exactly as numpy.histogram counts them.
"""

import numpy as np
import pytest

from mda_electrolyte.pair_histogram import pair_histogram_kernel

kernel = pair_histogram_kernel()
pytestmark = pytest.mark.skipif(kernel is None, reason="no C++ compiler for the kernel")

TWO = np.array([[1.0, 1.0, 1.0], [3.0, 1.0, 1.0]])  # 2 Å apart
EVEN = np.linspace(0.0, 4.0, 5)


def _call(edges=EVEN, row=4, first=(0, 0), second=(0, 0), mol=(0, 1), size=None):
    nbins = len(edges) - 1
    counts = np.zeros(size or 2 * (nbins + 1), dtype=np.int64)
    kernel(
        TWO, np.eye(3) * 10.0, edges, np.array(first), np.array(second), np.array(mol), row, counts
    )
    return counts


@pytest.mark.parametrize("row", [0, 1, 2, 3, -4, 4.5, "4", True, np.nan])
def test_a_row_that_overlaps_the_bins_or_is_no_whole_number_is_refused(row):
    with pytest.raises(ValueError, match="pair_histogram: row must be a whole number >= 4"):
        _call(row=row)


@pytest.mark.parametrize("row", [4, 5, np.int64(4), 4.0])
def test_a_row_after_the_bins_counts_the_pair_there(row):
    counts = _call(row=row, size=12)
    assert counts.sum() == 1 and counts[int(row) + 2] == 1  # intermolecular, bin 2 (2-3 Å)


@pytest.mark.parametrize(
    "first,second,name",
    [
        ((-1, 0), (0, 0), "first_code"),
        ((0, 0), (0, -2), "second_code"),
        ((-1, -1), (1, 1), "first_code"),
    ],
)
def test_negative_codes_are_refused(first, second, name):
    with pytest.raises(ValueError, match=f"{name} must be >= 0"):
        _call(first=first, second=second, size=20)


@pytest.mark.parametrize(
    "edges",
    [
        [0.0, 0.5, 3.0, 3.5, 4.0],
        [0.0, 2.5, 3.0, 3.5, 4.0],
        [1.0, 1.1, 1.2, 1.3, 4.0],
        np.geomspace(0.1, 4.0, 9),
    ],
)
def test_uneven_edges_are_refused(edges):
    with pytest.raises(ValueError, match="edges must be evenly spaced"):
        _call(edges=np.asarray(edges), row=len(edges))


@pytest.mark.parametrize("jitter", [0.0, 0.3, 0.9, "clipped"])
def test_edges_near_even_ones_count_as_numpy_histogram(jitter):
    rng = np.random.default_rng(7)
    n, width = 60, 0.25
    edges = np.linspace(0.0, 4.0, 17)
    if jitter == "clipped":
        edges[1:] -= 0.2  # the first bin narrower (a lower edge clipped to 0)
        edges[-1] = 4.0
        edges = np.unique(np.r_[0.0, edges[1:]])
    else:
        edges[1:-1] += jitter * width * rng.uniform(-1, 1, 15)
        edges[1:-1] = np.sort(edges[1:-1])
    positions = rng.uniform(0.0, 10.0, (n, 3))
    counts = np.zeros(2 * edges.size, dtype=np.int64)
    kernel(
        positions,
        np.eye(3) * 10.0,
        edges,
        np.zeros(n, np.int64),
        np.zeros(n, np.int64),
        np.arange(n),
        edges.size,
        counts,
    )
    d = positions[:, None, :] - positions[None, :, :]
    d -= 10.0 * np.round(d / 10.0)
    r = np.sqrt((d**2).sum(-1))[np.triu_indices(n, 1)]
    expected = np.histogram(r[r < 4.0], bins=edges)[0]
    assert counts[edges.size : edges.size + edges.size - 1].tolist() == expected.tolist()
