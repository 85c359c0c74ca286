"""The shared plot helpers refuse what they cannot draw by name, before drawing; an Estimate's
dict (as ``summary.json`` holds it) is drawn as the Estimate.

Before: ``mark_invalid(ax, 1.0)`` and ``estimate_bars(ax, ["a"], [1.0])`` failed with
"'float' object has no attribute 'valid'/'unit'", and with an Estimate's dict the same way;
``ax=None`` with "'NoneType' object has no attribute 'title'"; ``estimate_bars(ax, "ab", ...)``
drew one bar per letter.
"""

import matplotlib
import matplotlib.pyplot as plt
import pytest

from ase_electrolyte.estimate import Estimate
from mda_electrolyte import report
from mda_electrolyte.plotting import axes_to_draw_into, estimate_bars, note_empty

matplotlib.use("Agg")

GOOD = Estimate(1.0, 0.1, "S/m", "block averages")
BAD = Estimate.invalid(2.0, 0.3, "S/m", "block averages", "too short")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize("call, error, named", [
    (lambda ax: report.mark_invalid(ax, 1.0), TypeError,
     "mark_invalid's estimates must be Estimates \\(or None\\), not float"),
    (lambda ax: report.mark_invalid(ax, {"value": 1.0}), TypeError, "not dict"),
    (lambda ax: report.mark_invalid(None, BAD), TypeError, "ax must be a matplotlib Axes"),
    (lambda ax: estimate_bars(ax, ["a"], [1.0]), TypeError,
     "estimate_bars' estimates must be Estimates, not float"),
    (lambda ax: estimate_bars(ax, ["a"], [None]), TypeError, "not NoneType"),
    (lambda ax: estimate_bars(None, ["a"], [GOOD]), TypeError, "ax must be a matplotlib Axes"),
    (lambda ax: estimate_bars(ax.figure, ["a"], [GOOD]), TypeError, "not Figure"),
    (lambda ax: estimate_bars(ax, "ab", [GOOD, GOOD]), TypeError, "not the string 'ab'"),
    (lambda ax: note_empty(None, "nothing"), TypeError, "ax must be a matplotlib Axes"),
    (lambda ax: axes_to_draw_into("ax"), TypeError,
     "ax must be a matplotlib Axes \\(or None for a new figure\\), not str"),
])
def test_what_cannot_be_drawn_is_named_before_drawing(call, error, named):
    fig, ax = plt.subplots()
    with pytest.raises(error, match=named):
        call(ax)
    assert not ax.patches and not ax.texts and ax.get_title() == ""


def test_an_estimates_dict_is_drawn_as_the_estimate():
    # as summary.json stores them: the same bars, error bars, hatching and stamp
    fig, (a1, a2) = plt.subplots(1, 2)
    from_objects = estimate_bars(a1, ["g", "b"], [GOOD, BAD])
    from_dicts = estimate_bars(a2, ["g", "b"], [GOOD.to_dict(), BAD.to_dict()])
    for x, y in zip(from_objects, from_dicts, strict=True):
        assert (x.get_height(), x.get_hatch(), x.get_facecolor()) == (
            y.get_height(), y.get_hatch(), y.get_facecolor())
    report.mark_invalid(a1, GOOD, None, BAD)
    report.mark_invalid(a2, GOOD.to_dict(), None, BAD.to_dict())
    assert [t.get_text() for t in a1.texts] == [t.get_text() for t in a2.texts] == [
        "NOT VALID\ntoo short"]
    # valid numbers alone: no stamp
    fig, ax = plt.subplots()
    report.mark_invalid(ax, GOOD.to_dict(), None)
    assert not ax.texts
