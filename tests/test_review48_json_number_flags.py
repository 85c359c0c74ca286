"""json_number writes numbers only: flags and text are not read as numbers."""

import numpy as np
import pytest

from ase_electrolyte.estimate import json_number


@pytest.mark.parametrize("value", [True, False, np.bool_(True), np.array(True), "1.2", "nan",
                                   b"3", None, [1.0], float("inf"), -float("inf"),
                                   np.float64("nan")])
def test_not_a_number_is_none(value):
    assert json_number(value) is None


@pytest.mark.parametrize("value, number", [(1.5, 1.5), (np.float32(0.25), 0.25), (np.int64(7), 7.0),
                                            (0, 0.0), (-1e300, -1e300), (np.array(2.5), 2.5)])
def test_numbers_pass(value, number):
    out = json_number(value)
    assert type(out) is float and out == number
