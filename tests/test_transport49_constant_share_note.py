"""A transference number with no scatter says why for its own case.

Every constant share was blamed on frozen ions ("a species carrying exactly none of the current
has ions that do not move"), also t = 0.5 of two equal-mass ion species whose momenta cancel,
where every ion moves.
"""

import numpy as np
import pytest

from ase_electrolyte.estimate import Estimate
from mda_electrolyte.carriers import transference_estimate

FROZEN = "ions that do not move"
SYSTEM = "fixed by the system itself"


def _est(value):
    return Estimate(value, 0.0, "1", "t-scaled standard error over 5 segments", 5, dof=4)


@pytest.mark.parametrize("value, why", [
    (0.0, FROZEN), (1.0, FROZEN), (-0.0, FROZEN), (1.0 + 1e-12, FROZEN),
    (0.5, SYSTEM), (0.25, SYSTEM), (0.999, SYSTEM),
])
def test_a_constant_share_names_its_cause(value, why):
    out = transference_estimate(_est(value), value, np.full(5, value), "Li")
    assert not out.valid and np.isnan(out.stderr)
    assert why in out.verdict
    assert (FROZEN in out.verdict) != (SYSTEM in out.verdict)


def test_a_share_that_scatters_is_not_marked():
    samples = np.array([0.4, 0.5, 0.45, 0.55, 0.5])
    out = transference_estimate(_est(0.48), 0.48, samples, "Li")
    assert out.valid and "no scatter" not in out.verdict
