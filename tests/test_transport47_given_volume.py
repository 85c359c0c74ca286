"""A volume= far off the box volume makes the transport numbers not valid.

Found by probing: ``GreenKuboConductivity(u, ions, 300, volume=64.0)`` on a 64 000 Å³ box (64
meant as nm³) gave σ = 29 000 S/m, valid; Einstein–Helfand and the Onsager coefficients the
same; η of a file with ``volume=2.9`` (its box 2986 Å³), the Yeh–Hummer corrected D and σ_NE
with such a volume likewise. A given volume replaced the box's without a look at it.
"""

import warnings

import numpy as np
import pytest
from scipy.signal import lfilter
from transport_data import IONS, integrate, ornstein_uhlenbeck, salt_universe

from mda_electrolyte import (
    Diffusion,
    EinsteinHelfandConductivity,
    GreenKuboConductivity,
    GreenKuboViscosity,
    IonCollector,
    NernstEinstein,
    OnsagerCoefficients,
)

BOX = 40.0  # Å, 64 000 Å³


@pytest.fixture(scope="module")
def universe():
    rng = np.random.default_rng(11)
    v = ornstein_uhlenbeck(rng, 1000, (16, 3), 0.1, 0.01, 3.0)
    return salt_universe(v, integrate(v, 0.01), n_cations=8, dt=0.01, box=BOX)


ESTIMATES = {
    "green-kubo": lambda u, v: (
        GreenKuboConductivity(u, IONS, 300, max_lag=0.5, volume=v).run().results.conductivity
    ),
    "einstein-helfand": lambda u, v: (
        EinsteinHelfandConductivity(u, IONS, 300, volume=v).run().results.conductivity
    ),
    "onsager": lambda u, v: (
        OnsagerCoefficients(u, IONS, 300, volume=v).run().results.coefficients["Li-Li"]
    ),
    "yeh-hummer": lambda u, v: (
        Diffusion(u, IONS, volume=v, viscosity=1.0, temperature=300)
        .run()
        .results.diffusion_coefficient_yeh_hummer["Li"]
    ),
    "nernst-einstein (diffusion's volume)": lambda u, v: (
        NernstEinstein(Diffusion(u, IONS, volume=v).run(), temperature=300).results.conductivity
    ),
    "nernst-einstein (its own volume)": lambda u, v: (
        NernstEinstein(Diffusion(u, IONS).run(), temperature=300, volume=v).results.conductivity
    ),
    "nernst-einstein (collections)": lambda u, v: (
        NernstEinstein.from_collections(
            IonCollector(u, IONS).run().collection, temperature=300, volume=v
        ).results.conductivity
    ),
}


def note_of(est):
    return [n for n in est.notes if n.startswith("not a result: the volume given")]


@pytest.mark.parametrize("kind", list(ESTIMATES))
@pytest.mark.parametrize("volume", [640.0, 700_000.0])
def test_a_volume_far_off_the_box_is_not_a_result(universe, kind, volume):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        est = ESTIMATES[kind](universe, volume)
    assert not est.valid
    (note,) = note_of(est)
    assert f"{volume:.6g} Å³, is {volume / BOX**3:.3g} times the box volume" in note


@pytest.mark.parametrize("kind", list(ESTIMATES))
@pytest.mark.parametrize("volume", [BOX**3, 7000.0])
def test_a_volume_within_the_ratio_is_judged_as_before(universe, kind, volume):
    # a slab's liquid volume is a fraction of its box: accepted
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        est = ESTIMATES[kind](universe, volume)
    assert note_of(est) == []


def test_viscosity_of_a_file_with_a_volume_far_off(tmp_path):
    from transport_data import ion_run_file

    path = ion_run_file(tmp_path)
    kw = {"n_blocks": 2, "check_sampling": False}
    with pytest.warns(RuntimeWarning):
        eta = GreenKuboViscosity(path, volume=2.9, **kw).run().results.shear_viscosity
    assert not eta.valid and note_of(eta)
    with pytest.warns(RuntimeWarning):
        fine = GreenKuboViscosity(path, volume=2900.0, **kw).run().results.shear_viscosity
    assert note_of(fine) == []


def test_viscosity_of_an_array_takes_its_volume():
    rng = np.random.default_rng(0)
    p = lfilter([30.0], [1, -0.95], rng.normal(size=(2000, 3, 3)), axis=0)
    p = 0.5 * (p + p.transpose(0, 2, 1))
    eta = GreenKuboViscosity(p, temperature=300, volume=5.0, dt=0.01, max_lag=0.5)
    with pytest.warns(RuntimeWarning):
        assert note_of(eta.run().results.shear_viscosity) == []


class _Col:
    def __init__(self, volume, volume_range=None, label=""):
        self.volume, self.volume_range, self.label = volume, volume_range, label


@pytest.mark.parametrize(
    ("volume", "expected"),
    [(None, 0), (1000.0, 0), (99.0, 0), (98.0, 1), (10100.0, 0), (10200.0, 1)],
)
def test_the_ratio_is_against_the_box_range(volume, expected):
    from mda_electrolyte.carriers import MAX_GIVEN_VOLUME_RATIO, given_volume_notes

    assert MAX_GIVEN_VOLUME_RATIO == 10.0
    cols = [_Col(1000.0, (990.0, 1010.0)), _Col(None), _Col(float("nan"))]
    assert len(given_volume_notes(cols, volume)) == expected
