"""max_lag below the frame spacing, and plateau windows between lags, refused by name.

Green–Kubo conductivity, Onsager (Green–Kubo) and Green–Kubo viscosity with a ``max_lag``
rounding to the zero lag alone (shorter than half the spacing, or exactly half) read every
frame and then failed with "the ... autocorrelation needs at least 2 lags to check sampling",
naming neither ``max_lag`` nor the spacing; a Green–Kubo conductivity ``plateau`` window
holding fewer than 2 lags was refused only after the pass.
"""

import numpy as np
import pytest
from scipy.signal import lfilter
from transport_data import IONS, integrate, ornstein_uhlenbeck, salt_universe

from mda_electrolyte import GreenKuboConductivity, GreenKuboViscosity, OnsagerCoefficients
from mda_electrolyte.ion_collection import IonCollector

DT = 0.01  # ps


@pytest.fixture(scope="module")
def universe():
    rng = np.random.default_rng(4)
    v = ornstein_uhlenbeck(rng, 400, (6, 3), 0.1, DT, 3.0)
    return salt_universe(v, integrate(v, DT), n_cations=3, dt=DT)


@pytest.fixture
def no_pass(monkeypatch):
    """Fail the test if the trajectory pass starts."""

    def refuse(*args, **kwargs):
        raise AssertionError("the trajectory was read before the refusal")

    monkeypatch.setattr(IonCollector, "run", refuse)


def carriers(kind, u, max_lag):
    if kind == "green-kubo conductivity":
        return GreenKuboConductivity(u, IONS, 300, max_lag=max_lag, check_sampling=False)
    return OnsagerCoefficients(
        u, IONS, 300, method="green-kubo", max_lag=max_lag, check_sampling=False
    )


KINDS = ["green-kubo conductivity", "onsager green-kubo"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("max_lag", [1e-6, 0.001, 0.004, 0.0049])
def test_max_lag_below_half_spacing_refused_before_the_pass(universe, no_pass, kind, max_lag):
    with pytest.raises(
        ValueError,
        match=r"max_lag = .* ps is shorter than half the spacing of "
        r"the frames \(0\.01 ps\).*give max_lag >= 0\.01 ps",
    ):
        carriers(kind, universe, max_lag).run()


@pytest.mark.parametrize("kind", KINDS)
def test_max_lag_of_half_the_spacing_named(universe, kind):
    # exactly half rounds to the zero lag; within the spacing's tolerance it is only known
    # after the pass, and is then refused by name, not by the sampling check
    with pytest.raises(ValueError, match="max_lag = 0.005 ps is shorter than half the spacing"):
        carriers(kind, universe, 0.005).run()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("max_lag", [0.006, 0.01, 0.02])
def test_max_lag_of_a_spacing_or_more_still_runs(universe, kind, max_lag):
    est = carriers(kind, universe, max_lag).run().results.conductivity
    assert np.isfinite(est.value) and np.isfinite(est.stderr)
    # two or three lags cannot show a plateau: a number, never called valid
    assert not est.valid


@pytest.mark.parametrize("max_lag", [1e-6, 0.004, 0.005])
def test_viscosity_max_lag_below_half_spacing(max_lag):
    rng = np.random.default_rng(0)
    p = lfilter([30.0], [1, -0.95], rng.normal(size=(2000, 3, 3)), axis=0)
    with pytest.raises(
        ValueError,
        match=r"max_lag = .* ps is shorter than half the spacing of "
        r"the samples \(0\.01 ps\)",
    ):
        GreenKuboViscosity(p, temperature=300, volume=1e4, dt=DT, max_lag=max_lag)


@pytest.mark.parametrize(
    ("plateau", "held"),
    [((0.101, 0.109), 0), ((0.095, 0.105), 1), ((0.0, 0.001), 1), ((0.1, 0.1049), 1)],
)
@pytest.mark.parametrize("max_lag", [None, 0.15])
def test_plateau_window_of_fewer_than_two_lags_refused_before_the_pass(
    universe, no_pass, plateau, held, max_lag
):
    with pytest.raises(
        ValueError,
        match=rf"plateau window \(.*\) ps holds {held} lags?\b.*"
        "a drift needs at least 2",
    ):
        GreenKuboConductivity(universe, IONS, 300, max_lag=max_lag, plateau=plateau).run()


def test_plateau_window_of_two_lags_runs(universe):
    gk = GreenKuboConductivity(universe, IONS, 300, max_lag=0.15, plateau=(0.1, 0.11)).run()
    assert gk.results.plateau == pytest.approx((0.1, 0.11))
    assert np.isfinite(gk.results.conductivity.value)
