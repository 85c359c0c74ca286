"""A bar of an Estimate without a value says "n/a": its empty place read as a value of 0.

``estimate_bars`` draws a value that is not finite as no bar (height 0, never a NaN handed to
matplotlib); beside bars of 0.1 S/m, the empty place of a conductivity that could not be
computed looked like a conductivity of zero.
"""

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from ase_electrolyte.atomic_file import save_figure  # noqa: E402
from ase_electrolyte.estimate import Estimate  # noqa: E402
from mda_electrolyte.plotting import MISSING_TEXT, estimate_bars  # noqa: E402

GOOD = Estimate(0.1, 0.01, "S/m", "blocks", 10)
ZERO = Estimate(0.0, 0.01, "S/m", "blocks", 10)  # a real zero: a number, no note
NAN = Estimate.invalid(math.nan, math.nan, "S/m", "blocks", "no value: too few frames")
INF = Estimate.invalid(math.inf, math.nan, "S/m", "blocks", "diverged")


def _notes(ax):
    return [t for t in ax.texts if t.get_text() == MISSING_TEXT]


@pytest.mark.parametrize("horizontal", [False, True])
def test_each_number_without_a_value_says_so_at_its_place(tmp_path, horizontal):
    fig, ax = plt.subplots()
    bars = estimate_bars(ax, ["a", "zero", "nan", "inf", "b"], [GOOD, ZERO, NAN, INF, GOOD],
                         horizontal=horizontal)
    heights = [b.get_width() if horizontal else b.get_height() for b in bars]
    assert heights == [0.1, 0.0, 0.0, 0.0, 0.1]
    notes = _notes(ax)
    # one per missing value, at its place on the category axis, at zero on the value axis
    places = sorted((n.xy[1] if horizontal else n.xy[0]) for n in notes)
    assert places == [2.0, 3.0]
    assert all((n.xy[0] if horizontal else n.xy[1]) == 0.0 for n in notes)
    assert all(n.get_color() == "tab:red" for n in notes)
    save_figure(fig, tmp_path / "bars.png")
    assert (tmp_path / "bars.png").stat().st_size > 0


def test_bars_with_values_only_get_no_note():
    _, ax = plt.subplots()
    estimate_bars(ax, ["a", "zero"], [GOOD, ZERO])
    assert _notes(ax) == []
