"""The compiled pair histogram's Python boundary (mda_electrolyte.pair_histogram): arguments
the kernel would misread are refused by name before it runs; what numpy converts exactly
(whole-number floats, Fortran order) gives the same counts."""

import numpy as np
import pytest

from mda_electrolyte.pair_histogram import pair_histogram_kernel

# three atoms in three molecules: intermolecular pairs at 1.0, sqrt(2) and sqrt(5) Å
POSITIONS = np.array([[1.0, 1.0, 1.0], [2.0, 1.0, 1.0], [3.0, 2.0, 1.0]])
CELL = np.eye(3) * 10.0


@pytest.fixture(scope="module")
def kernel():
    kernel = pair_histogram_kernel()
    if kernel is None:
        pytest.fail("the pair-histogram kernel could not be built (no C++ compiler?)",
                    pytrace=False)
    return kernel


def count(kernel, **changes):
    args = dict(positions=POSITIONS, cell=CELL, edges=np.linspace(0.0, 4.0, 5),
                first_code=np.zeros(3, dtype=np.int64), second_code=np.zeros(3, dtype=np.int64),
                mol=np.array([0, 1, 2]), row=4, counts=np.zeros(8, dtype=np.int64))
    args.update(changes)
    return kernel(**args).tolist()


def test_reference_counts(kernel):
    # bins of 1 Å: 1.0 and 1.41 in bin 1, 2.24 in bin 2, all in the intermolecular row
    assert count(kernel) == [0, 0, 0, 0, 0, 2, 1, 0]
    # two atoms of one molecule: their pair moves to the intramolecular row
    assert count(kernel, mol=np.array([0, 0, 2])) == [0, 1, 0, 0, 0, 1, 1, 0]


@pytest.mark.parametrize("changes, match", [
    # a float molecule index was truncated: 0.5, 0.6, 0.7 made the three molecules one
    (dict(mol=np.array([0.5, 0.6, 0.7])), "mol must hold integers, not float64"),
    (dict(first_code=np.array([0.7, 0.7, 0.7])), "first_code must hold integers"),
    (dict(second_code=np.array([np.nan, 0, 0])), "second_code must hold integers"),
    (dict(mol=np.array(["a", "b", "c"])), "mol must hold integers"),
    # the kernel bins by the first and last edge: a NaN or an unordered edge inside was
    # ignored, an empty array an IndexError
    (dict(edges=np.array([0.0, 1.0, np.nan, 3.0, 4.0])), "edges must be at least 2 finite"),
    (dict(edges=np.array([0.0, 2.0, 1.0, 3.0, 4.0])), "increasing"),
    (dict(edges=np.array([0.0, 1.0, 1.0, 3.0, 4.0])), "increasing"),
    (dict(edges=np.array([])), "edges must be at least 2"),
    (dict(edges=np.zeros((2, 3))), "edges must be at least 2"),
    (dict(counts=[0] * 8), "counts must be a contiguous, writeable int64 numpy array"),
    (dict(counts=np.zeros(16, dtype=np.int64)[::2]), "contiguous"),
])
def test_arguments_the_kernel_would_misread_are_refused(kernel, changes, match):
    with pytest.raises(ValueError, match=match):
        count(kernel, **changes)


def test_read_only_counts_are_refused_not_written(kernel):
    counts = np.zeros(8, dtype=np.int64)
    counts.flags.writeable = False
    with pytest.raises(ValueError, match="writeable"):
        count(kernel, counts=counts)
    assert counts.tolist() == [0] * 8


def test_exact_conversions_give_the_same_counts(kernel):
    reference = count(kernel)
    assert count(kernel, mol=np.array([0.0, 1.0, 2.0])) == reference
    assert count(kernel, first_code=[0, 0, 0], second_code=np.zeros(3, dtype=np.int32)) == reference
    assert count(kernel, positions=np.asfortranarray(POSITIONS)) == reference
    assert count(kernel, positions=POSITIONS.astype(np.float32)) == reference
