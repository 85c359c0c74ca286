"""The error bars of :func:`mda_electrolyte.plotting.estimate_bars` span each Estimate's
one-sigma interval.

A conductivity's interval is symmetric in log value (``interval_scale="log"``: the
distribution of a mean of few quadratic forms is right-skewed); its bar was drawn as
value ± stderr, lower and shorter than the interval the Estimate reports (0.5 ± 0.3 S/m:
0.2 to 0.8 drawn, 0.27 to 0.91 meant). A linear Estimate keeps value ± stderr.
"""

import math

import matplotlib.pyplot as plt
import pytest

from ase_electrolyte.estimate import Estimate
from mda_electrolyte.plotting import estimate_bars


def _bar_ends(bars):
    """``[(low, high)]`` of each bar's error bar, from the drawn segments."""
    segments = bars.errorbar.lines[2][0].get_segments()
    return [(float(s[0][1]), float(s[1][1])) for s in segments]


@pytest.mark.parametrize("value, stderr, dof", [(0.5, 0.3, 9), (2.0, 0.1, None), (1e-3, 5e-4, 4)])
def test_bars_span_the_one_sigma_interval(value, stderr, dof):
    log = Estimate(value, stderr, "S/m", "blocks", 10, dof=dof, interval_scale="log")
    linear = Estimate(value, stderr, "S/m", "blocks", 10, dof=dof)
    fig, ax = plt.subplots()
    try:
        ends = _bar_ends(estimate_bars(ax, ["log", "linear"], [log, linear]))
    finally:
        plt.close(fig)
    # analytic: symmetric in log value, value · exp(± stderr / value), for any dof (stderr is
    # the t-scaled one-sigma error already)
    assert ends[0] == pytest.approx((value * math.exp(-stderr / value),
                                     value * math.exp(stderr / value)), rel=1e-9)
    assert ends[0][0] > 0  # a positive quantity's bar stays above zero
    assert ends[1] == pytest.approx((value - stderr, value + stderr), rel=1e-9)


def test_an_unknown_error_draws_no_bar_and_an_invalid_one_keeps_its_bar():
    unknown = Estimate(1.0, math.nan, "S/m", "none", 0, converged=False, notes=("no error",))
    invalid = Estimate(2.0, 0.2, "S/m", "blocks", 10, converged=False, notes=("too short",),
                       interval_scale="log")
    fig, ax = plt.subplots()
    try:
        ends = _bar_ends(estimate_bars(ax, ["unknown", "invalid"], [unknown, invalid]))
    finally:
        plt.close(fig)
    assert ends[0] == (1.0, 1.0)
    assert ends[1] == pytest.approx((2.0 * math.exp(-0.1), 2.0 * math.exp(0.1)))
