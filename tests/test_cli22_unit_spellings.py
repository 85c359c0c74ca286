"""Plots and labels take one unit spelt two ways as one unit.

``estimate_bars`` compared units as strings: 1.20 ± 0.01 g/cm^3 (summary.json's spelling)
beside 1.25 ± 0.01 g/cm³ (typed) was refused as "estimates in several units", and so were
mPa·s and cP (one unit, factor 1); ``estimate_label`` wrote a ratio in ``dimensionless`` (an
alias of ``1``) with that word as its unit.
"""

import math

import pytest

pytest.importorskip("matplotlib")

from ase_electrolyte.estimate import Estimate  # noqa: E402
from ase_electrolyte.units import convert  # noqa: E402
from mda_electrolyte.plotting import estimate_bars, same_unit  # noqa: E402
from mda_electrolyte.report import estimate_label  # noqa: E402


@pytest.fixture
def ax():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


@pytest.mark.parametrize("a,b", [("g/cm^3", "g/cm³"), ("mPa·s", "cP"), ("mPa·s", "mPa s"),
                                 ("Å^2/ps", "Å²/ps"), ("1", "dimensionless")])
def test_one_unit_spelt_two_ways_shares_the_axis(ax, a, b):
    assert convert(1.0, a, b) == pytest.approx(1.0, rel=1e-12)  # the premise: one unit
    estimates = [Estimate(1.2, 0.01, a, "m"), Estimate(1.25, 0.02, b, "m")]
    bars = estimate_bars(ax, ["x", "y"], estimates)
    assert [bar.get_height() for bar in bars] == pytest.approx([1.2, 1.25])


@pytest.mark.parametrize("a,b", [("S/m", "mS/cm"), ("g/cm^3", "kg/m^3"), ("S/m", "K"),
                                 ("1", "%")])
def test_different_units_are_still_refused(ax, a, b):
    assert not same_unit(a, b)
    with pytest.raises(ValueError, match="one unit"):
        estimate_bars(ax, ["x", "y"], [Estimate(1.0, 0.1, a, "m"), Estimate(1.0, 0.1, b, "m")])


@pytest.mark.parametrize("unit,shown", [("1", "0.50 ± 0.10"), ("dimensionless", "0.50 ± 0.10"),
                                        ("", "0.50 ± 0.10"), ("%", "0.50 ± 0.10 %")])
def test_label_of_a_ratio_has_no_unit_word(unit, shown):
    assert estimate_label(Estimate(0.5, 0.1, unit, "m")) == shown


def test_same_unit_is_symmetric_and_exact():
    for a, b in [("g/cm^3", "g/cm³"), ("mPa·s", "cP"), ("S/m", "mS/cm"), ("Å", "nm")]:
        assert same_unit(a, b) == same_unit(b, a) == math.isclose(convert(1.0, a, b), 1.0)
    assert not same_unit("S/m", "no such unit")
