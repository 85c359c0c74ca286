"""Yeh–Hummer inputs of Diffusion refused by name, and a viscosity of another temperature.

Found by probing: ``yeh_hummer_correction(300, 1.0, "40")`` and an Estimate viscosity raised
TypeError from ">", an array "truth value ... ambiguous", ``temperature=True`` was 1 K;
``check_cubic_box`` passed a NaN box and three lengths as cubic; ``Diffusion(viscosity=...)``
with a viscosity analysis not run raised AttributeError from inside Results, ``(1.0,)`` "not
enough values to unpack"; and a viscosity analysis of 300 K corrected D at ``temperature=350``
without a word (k_B T / (6 π η L) with η of another state point).
"""

import numpy as np
import pytest
from scipy.signal import lfilter
from transport_data import IONS, integrate, ornstein_uhlenbeck, salt_universe

from ase_electrolyte.estimate import Estimate
from mda_electrolyte import Diffusion, GreenKuboViscosity
from mda_electrolyte.diffusion import YEH_HUMMER_XI, check_cubic_box, yeh_hummer_correction


@pytest.fixture(scope="module")
def universe():
    rng = np.random.default_rng(2)
    v = ornstein_uhlenbeck(rng, 400, (8, 3), 0.1, 0.01, 3.0)
    return salt_universe(v, integrate(v, 0.01), n_cations=4, dt=0.01)


@pytest.fixture(scope="module")
def viscosity_300():
    rng = np.random.default_rng(0)
    p = lfilter([30.0], [1, -0.95], rng.normal(size=(4000, 3, 3)), axis=0)
    p = 0.5 * (p + p.transpose(0, 2, 1))
    return GreenKuboViscosity(p, temperature=300, volume=64000, dt=0.01, max_lag=1.0).run()


def test_correction_value():
    # ξ k_B T / (6 π η L): 300 K, 1 mPa·s, 40 Å, in Å²/ps (1 Å²/ps = 1e-8 m²/s)
    k = 1.380649e-23
    expected = YEH_HUMMER_XI * k * 300 / (6 * np.pi * 1e-3 * 40e-10) / 1e-8
    assert yeh_hummer_correction(300, 1.0, 40.0) == pytest.approx(expected, rel=1e-12)
    assert yeh_hummer_correction(np.float32(300), 1, np.int64(40)) == pytest.approx(
        expected, rel=1e-6
    )


@pytest.mark.parametrize(
    ("args", "name"),
    [
        ((300, 1.0, "40"), "box length"),
        ((300, Estimate(1.0, 0.1, "mPa·s", "given"), 40.0), "viscosity"),
        ((300, np.array([1.0, 2.0]), 40.0), "viscosity"),
        ((True, 1.0, 40.0), "temperature"),
        ((300, 1.0, np.nan), "box length"),
        ((300, -1.0, 40.0), "viscosity"),
        ((0, 1.0, 40.0), "temperature"),
        ((300, 1.0, [40.0]), "box length"),
    ],
)
def test_correction_inputs_named(args, name):
    with pytest.raises(ValueError, match=rf"{name} .* must be a finite number > 0"):
        yeh_hummer_correction(*args)


@pytest.mark.parametrize(
    "box",
    [
        [np.nan] * 6,
        [40.0, 40.0, 40.0],
        [40.0, 40.0, np.inf, 90, 90, 90],
        [0.0, 0.0, 0.0, 90.0, 90.0, 90.0],
        [-40, -40, -40, 90, 90, 90],
    ],
)
def test_cubic_box_without_a_box_refused(box):
    with pytest.raises(ValueError, match="needs the box of run 1 as"):
        check_cubic_box(box, "run 1")


@pytest.mark.parametrize(
    "box", [None, [40, 40, 40, 90, 90, 90], np.array([40.0, 40.2, 40, 90, 90, 90.5])]
)
def test_cubic_boxes_pass(box):
    check_cubic_box(box, "run 1")


def test_viscosity_analysis_not_run_named(universe):
    gv = GreenKuboViscosity(
        np.zeros((10, 3, 3)) + np.eye(3), temperature=300, volume=1e4, dt=0.01, n_blocks=2
    )
    with pytest.raises(ValueError, match="the GreenKuboViscosity has no result .* run it first"):
        Diffusion(universe, IONS, viscosity=gv, temperature=300)


@pytest.mark.parametrize("viscosity", [(1.0,), (1.0, 0.1, 0.2), [], np.zeros((2, 2))])
def test_viscosity_pairs_of_another_length_named(universe, viscosity):
    with pytest.raises(
        ValueError,
        match="viscosity must be an Estimate, a run viscosity analysis, or a number in mPa·s",
    ):
        Diffusion(universe, IONS, viscosity=viscosity, temperature=300)


@pytest.mark.parametrize("temperature", [250.0, 284.0, 316.0, 350.0])
def test_viscosity_of_another_temperature_refused(universe, viscosity_300, temperature):
    with pytest.raises(
        ValueError,
        match=rf"temperature={temperature:g} K, but the viscosity "
        "analysis is of 300 K",
    ):
        Diffusion(universe, IONS, viscosity=viscosity_300, temperature=temperature)


@pytest.mark.parametrize("temperature", [None, 300, 290.0, 310.0])
def test_viscosity_of_this_temperature_corrects(universe, viscosity_300, temperature):
    res = Diffusion(universe, IONS, viscosity=viscosity_300, temperature=temperature).run().results
    used = 300.0 if temperature is None else float(temperature)
    eta = viscosity_300.results.shear_viscosity.value
    assert res.yeh_hummer_correction == pytest.approx(
        yeh_hummer_correction(used, eta, 64000.0 ** (1 / 3))
    )
    assert res.D_yeh_hummer["Li"] == pytest.approx(res.D["Li"] + res.yeh_hummer_correction)
