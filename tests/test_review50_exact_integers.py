"""``check_number`` compares and returns whole numbers exactly.

Through ``float``, seed 2**53 + 1 came back as 2**53 (the run then drew another seed's
velocities under this seed's name) and 2**64 - 1 was refused as above ``maximum=2**64 - 1``.
"""

import numpy as np
import pytest

from ase_electrolyte.atoms_checks import check_number

BIG = [2**53 + 1, 2**60 + 3, 2**63 - 1, 2**64 - 1, 10**18 + 7]


@pytest.mark.parametrize("value", BIG)
@pytest.mark.parametrize("kind", [int, np.uint64, np.array])
def test_whole_numbers_come_back_exactly(value, kind):
    given = kind(value) if kind is not np.array else np.array(value, dtype=np.uint64)
    got = check_number("seed", given, integer=True, minimum=0, maximum=2**64 - 1)
    assert type(got) is int and got == value


@pytest.mark.parametrize("value, bound, ok", [
    (2**64 - 1, 2**64 - 1, True), (2**64, 2**64 - 1, False),
    (2**53 + 1, 2**53, False), (2**53, 2**53, True),
])
def test_bounds_hold_exactly(value, bound, ok):
    if ok:
        assert check_number("seed", value, integer=True, maximum=bound) == value
    else:
        with pytest.raises(ValueError, match=r"seed must be a whole number <= "):
            check_number("seed", value, integer=True, maximum=bound)
    # ``above`` and ``minimum`` too
    if ok:
        assert check_number("n", value, integer=True, minimum=bound) == value
    else:
        # bound < value exactly, though equal as floats for 2**53 + 1
        with pytest.raises(ValueError, match="n must be a whole number >= "):
            check_number("n", bound, integer=True, minimum=value)


def test_floats_and_refusals_are_as_before():
    assert check_number("x", 3) == 3.0 and type(check_number("x", 3)) is float
    assert check_number("x", np.int32(7), above=0) == 7.0
    for bad in (10**400, -10**400, True, np.bool_(False), float("nan")):
        with pytest.raises(ValueError):
            check_number("seed", bad, integer=True, minimum=0)
