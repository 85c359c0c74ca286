"""real_array names what it refuses by kind and shape, not by a cut print of the array."""

import numpy as np
import pytest

from mda_electrolyte.uncertainty import real_array


@pytest.mark.parametrize("values, shown", [
    (np.ones((3, 4, 3)) > 0, "got an array of flags (True/False) of shape (3, 4, 3)"),
    (np.array(list("abcdef")), "got an array of text of shape (6,)"),
    (np.array([1.0, None, 2.0, 3.0, 4.0, 5.0], dtype=object),
     "got an array of shape (6,) holding None"),
    (np.array([1.0, 2.0, 3.0, True, 4.0, 5.0], dtype=object),
     "got an array of shape (6,) holding True"),
    ([True, False], "got [True, False]"),
    ([None, 1.0], "got [None, 1.0]"),
])
def test_refusals_name_the_kind_of_values(values, shown):
    with pytest.raises(ValueError) as err:
        real_array(values, "x")
    assert str(err.value) == f"x must be real numbers, {shown}"
    assert "[[[" not in str(err.value)
