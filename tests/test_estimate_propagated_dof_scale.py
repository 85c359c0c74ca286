"""Welch–Satterthwaite degrees of freedom over the whole range of error sizes.

``propagated_dof`` depends on the terms' ratios only. Before, errors of 1e-200 (a diffusion
coefficient in m²/s times a small derivative) had fourth powers that underflowed to 0, read as
"zero errors" and gave the fewest dof (4 for two equal terms of 4 dof each, not 8); errors of
1e200 overflowed to an OverflowError.
"""

import math

import pytest

from ase_electrolyte.estimate import propagated_dof

CASES = [
    ([(1.0, 4), (1.0, 4)], 8.0),                     # two equal terms: the dofs add
    ([(1.0, 4), (1.0, None)], 16.0),                 # (1 + 1)^2 / (1/4)
    ([(3.0, 9), (4.0, 2)], 625 / (81 / 9 + 256 / 2)),
    ([(1.0, 1), (1e-9, 4)], 1.0),
    ([(2.0, 5)], 5.0),
]


@pytest.mark.parametrize("terms, expected", CASES)
@pytest.mark.parametrize("scale", [1e-300, 1e-200, 1e-80, 1.0, 1e80, 1e200, 1e300])
def test_the_dof_depends_on_the_ratios_of_the_terms_only(terms, expected, scale):
    scaled = [(a * scale, dof) for a, dof in terms]
    assert propagated_dof(scaled) == pytest.approx(max(1.0, expected), rel=1e-12)
    # and on no sign
    assert propagated_dof([(-a, dof) for a, dof in scaled]) == pytest.approx(
        max(1.0, expected), rel=1e-12)


def test_zero_and_missing_errors_keep_the_fewest_dof_and_normal_ones_none():
    assert propagated_dof([(0.0, 4), (0.0, 9)]) == 4.0
    assert propagated_dof([(math.nan, 4), (1.0, 9)]) == 4.0
    assert propagated_dof([(1.0, None), (2.0, None)]) is None
