"""Descriptors that are no real numbers are refused by the selections, named, not converted.

Before, ``d_optimal_selection`` and ``farthest_point_sampling`` took complex descriptors with a
ComplexWarning and selected by their real parts alone, flags (``X > 0``) and numeric text as
numbers, and a masked array by the values under its mask.
"""

import numpy as np
import pytest

from ase_electrolyte.active_learning import d_optimal_selection, farthest_point_sampling

X = np.random.default_rng(0).normal(size=(12, 4))


def _complex():
    z = X.astype(complex)
    z[:, 0] += 1j * np.arange(len(X))
    return z


BAD = [
    (_complex, "complex values"),
    (lambda: X > 0, "flags"),
    (lambda: X.astype(str), "text"),
    (lambda: np.ma.masked_array(X, mask=X > 1.5), "masked value"),
    (lambda: [[0.1, True, 0.3, 0.4]] + X[1:].tolist(), "flag"),
]


@pytest.mark.parametrize("select", [d_optimal_selection, farthest_point_sampling])
@pytest.mark.parametrize("make, said", BAD)
def test_descriptors_that_are_no_real_numbers_are_refused(select, make, said):
    with pytest.raises(ValueError, match="descriptors") as err:
        select(make(), 3)
    assert said in str(err.value)


@pytest.mark.parametrize("select", [d_optimal_selection, farthest_point_sampling])
def test_real_descriptors_in_any_real_form_select_the_same(select):
    def picks(d):
        out = select(d, 4)
        return out[0] if isinstance(out, tuple) else out

    expected = picks(X)
    assert picks(X.tolist()) == expected
    assert picks(X.astype(np.float32).astype(np.float64)) == expected
    assert picks(np.ma.masked_array(X)) == expected  # a mask that hides nothing
    assert picks(np.rint(X * 1000).astype(int)) == picks(np.rint(X * 1000))
