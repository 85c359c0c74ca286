"""check_smoothable (public: RDF and SolvationShells call it before any frame) with bad
arguments: a NaN smoothing failed in int() ("cannot convert float NaN to integer"), step=0
with an OverflowError, reversed or single edges without naming them; flags passed as numbers.
"""

import numpy as np
import pytest

from mda_electrolyte.shell_cutoffs import check_smoothable

EDGES = np.linspace(0.0, 8.0, 161)


@pytest.mark.parametrize("kw, match", [
    ({"smoothing": np.nan}, r"smoothing \(Å\) must be a finite number >= 0, got nan"),
    ({"smoothing": -0.1}, "smoothing"),
    ({"smoothing": True}, "smoothing"),
    ({"step": 0}, r"step \(Å\) must be a finite number > 0, got 0"),
    ({"step": np.inf}, "step"),
    ({"step": "0.01"}, "step"),
    ({"edges": EDGES[::-1]}, "increasing finite bin edges.*from 8 to 0"),
    ({"edges": [1.0]}, "at least 2"),
    ({"edges": []}, "at least 2"),
    ({"edges": [0.0, np.nan, 2.0]}, "increasing finite"),
    ({"edges": [0.0, 1.0, 1.0, 2.0]}, "increasing"),
    ({"edges": np.ones((2, 3))}, r"shape \(2, 3\)"),
    ({"edges": [True, 2.0]}, "real numbers"),
])
def test_bad_arguments_named(kw, match):
    args = {"edges": EDGES, **kw}
    with pytest.raises(ValueError, match=match):
        check_smoothable(**args)


@pytest.mark.parametrize("edges", [EDGES, EDGES.tolist(), np.arange(0, 9), (0.0, 4.0, 8.0)])
def test_good_edges_give_the_grid(edges):
    assert check_smoothable(edges) == 801
    assert check_smoothable(edges, smoothing=np.float32(0.3), step=np.float64(0.02)) == 401
