"""The HTML report's rows say what the terminal says: no unit "1" for a dimensionless number
(the terminal shows none), and no "(n = 0)" after an exact count-derived value or a setting,
which have no samples (it read as a count of nothing)."""

import pytest

from ase_electrolyte.build import COUNTED_METHOD
from ase_electrolyte.estimate import Estimate
from ase_electrolyte.html_report import _estimate_row


def _cells(row):
    return [c.split("</td>")[0] for c in row.split("<td>")[1:]]


@pytest.mark.parametrize("est, unit, method", [
    (Estimate(0.25, 0.0, "1", COUNTED_METHOD), "", COUNTED_METHOD),
    (Estimate(0.924, 0.0, "mol/L", COUNTED_METHOD), "mol/L", COUNTED_METHOD),
    (Estimate(0.5, 0.1, "1", "block average", n_samples=12), "", "block average (n = 12)"),
    (Estimate(1.2, 0.1, "g/cm^3", "block average", n_samples=12), "g/cm^3",
     "block average (n = 12)"),
    (Estimate.given_value(298.15, "K"), "K", None),
])
def test_unit_and_count_cells(est, unit, method):
    cells = _cells(_estimate_row("x", est))
    assert cells[1] == unit
    if method is not None:
        assert cells[3] == method
    assert "(n = 0)" not in cells[3] or not (est.given or est.method.startswith("exact"))
