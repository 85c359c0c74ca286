"""Shell summaries' angle_edges of the wrong kind, refused by name.

np.asarray(dtype=float) failed on text with "could not convert string to float: 'abc'"
(naming nothing), showed None as "1 edges, some not finite", and read flags as 0 and 1
(edges [True, 180] binned from 1°). ShellSummaryBuilder took its edges unchecked.
"""

import numpy as np
import pytest

from mda_electrolyte.shell_summary import ShellSummaryBuilder, _check_angle_edges


@pytest.mark.parametrize("edges, error, match", [
    (None, TypeError, "angle_edges must be bin edges .*not None"),
    ("abc", ValueError, r"angle_edges \(degrees\) must be real numbers"),
    ([True, 180.0], ValueError, "flag"),
    (["0", "180"], ValueError, "must be real numbers"),
    ([0, 180 + 0j], ValueError, "complex"),
    ([0.0, 90.0], ValueError, "from 0 to 180"),
    ([0.0, np.nan, 180.0], ValueError, "some not finite"),
])
def test_bad_angle_edges(edges, error, match):
    with pytest.raises(error, match=match):
        _check_angle_edges(edges)


@pytest.mark.parametrize("edges", [[0, 180], np.linspace(0, 180, 91), (0.0, 90, 180),
                                   np.arange(0, 181, 10, dtype=np.int64)])
def test_good_angle_edges(edges):
    out = _check_angle_edges(edges)
    assert out.dtype == np.float64 and out[0] == 0 and out[-1] == 180


def test_builder_checks_its_edges():
    with pytest.raises(ValueError, match="angle_edges"):
        ShellSummaryBuilder(None, [0.0, 90.0], np.linspace(0, 8, 81))
