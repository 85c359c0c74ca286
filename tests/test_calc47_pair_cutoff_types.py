"""The pair searches of ``neighbour_pairs`` take any real scalar cutoff and refuse the rest.

A NumPy float32 cutoff (MDAnalysis' dtype) passed the old type test and then failed in
``math.trunc`` with "type numpy.float32 doesn't define __trunc__ method"; ``True`` was taken as a
1 Å cutoff while ``np.True_`` was refused; ``quantities=None`` was an AttributeError.
"""

import numpy as np
import pytest

from ase_electrolyte.neighbour_pairs import half_pairs, pairs_within, search_cutoff

_POSITIONS = np.array([[0.0, 0.0, 0.0], [1.5, 0.0, 0.0], [0.0, 2.5, 0.0]])
_CELL = np.diag([5.0, 5.0, 5.0])


@pytest.mark.parametrize(
    "cutoff",
    [
        np.float32(2.0),
        np.float16(2.0),
        np.int32(2),
        np.int64(2),
        np.array(2.0),
        np.array(2, dtype=np.int8),
        2,
        2.0,
    ],
)
def test_a_real_scalar_cutoff_of_any_type_finds_the_same_pairs(cutoff):
    i, j, shifts = half_pairs(_POSITIONS, _CELL, cutoff)
    assert sorted(zip(i.tolist(), j.tolist(), strict=True)) == [(0, 1)]
    pairs, d = pairs_within(_POSITIONS, _CELL, cutoff, "Pd")
    assert pairs.tolist() == [[0, 1]] and d.tolist() == pytest.approx([1.5])
    radius = search_cutoff(_CELL, cutoff)
    assert type(radius) is float and radius == 2.0


@pytest.mark.parametrize(
    "cutoff",
    [
        True,
        False,
        np.True_,
        "2",
        [2.0],
        np.array([2.0]),
        None,
        np.float32(np.nan),
        np.float32(-1.0),
        1j,
    ],
)
@pytest.mark.parametrize(
    "search",
    [
        lambda c: half_pairs(_POSITIONS, _CELL, c),
        lambda c: pairs_within(_POSITIONS, _CELL, c, "Pd"),
        lambda c: search_cutoff(_CELL, c),
    ],
    ids=["half_pairs", "pairs_within", "search_cutoff"],
)
def test_a_cutoff_that_is_no_real_number_is_refused_by_name(search, cutoff):
    with pytest.raises(ValueError, match="the pair cutoff must be a finite number > 0"):
        search(cutoff)


@pytest.mark.parametrize("quantities", [None, 3, ["P", "d"], "Pd ", "P"])
def test_quantities_that_are_not_letters_ending_in_d_are_refused(quantities):
    with pytest.raises(ValueError, match="quantities must end with 'd'"):
        pairs_within(_POSITIONS, _CELL, 2.0, quantities)
