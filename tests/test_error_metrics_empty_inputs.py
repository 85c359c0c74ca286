"""Empty inputs of the error metrics are named, not a numpy reduction error.

Arrays of no frames were refused as "must have the same shape" although their shapes were the
same, and frames of no values (an empty atom selection) ended in numpy's "zero-size array to
reduction operation maximum".
"""

import numpy as np
import pytest

from mda_electrolyte.error_metrics import error_estimates, fit_estimates


@pytest.mark.parametrize("shape, said", [
    ((0, 5, 3), r"shape \(0, 5, 3\): no frames"),
    ((6, 0, 3), r"shape \(6, 0, 3\): frames of no values"),
    ((6, 0), r"shape \(6, 0\): frames of no values"),
])
def test_empty_inputs_are_named(shape, said):
    empty = np.zeros(shape)
    with pytest.raises(ValueError, match=said):
        error_estimates(empty, empty.copy(), "eV/Å", component_axes=1 if len(shape) > 2 else 0)
    with pytest.raises(ValueError, match=said):
        fit_estimates(empty, empty.copy(), "eV/Å")


def test_different_shapes_are_still_named_as_such():
    with pytest.raises(ValueError, match=r"reference \(4, 2\) and model \(4, 3\) must have the "
                                         "same shape"):
        error_estimates(np.ones((4, 2)), np.ones((4, 3)), "eV/Å")
