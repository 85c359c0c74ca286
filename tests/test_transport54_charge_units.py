"""An ion charge given in coulombs is refused, naming its value in elementary charges.

``charges={"LI": 1.602e-19, ...}`` (coulombs, as SI tables give it) was taken as 1.6e-19 e: a
Green–Kubo conductivity of 3e-37 S/m marked valid, a Nernst–Einstein one of 1e-37 S/m valid.
No ion carries less than a thousandth of an elementary charge (scaled-charge models give
0.5-0.9 e), so a non-zero charge below that is refused by every transport entry point before
any frame is read; zero (a neutral species, where allowed) and scaled charges stay accepted.
"""

import warnings

import numpy as np
import pytest
from scipy import constants
from transport_data import integrate, ornstein_uhlenbeck, salt_universe

from mda_electrolyte import (
    Diffusion,
    EinsteinHelfandConductivity,
    GreenKuboConductivity,
    IonCollection,
    IonCollector,
    NernstEinstein,
    OnsagerCoefficients,
)

IONS = {"LI": "resname LI", "AN": "resname AN"}
T = 300.0


@pytest.fixture(scope="module")
def universe():
    v = ornstein_uhlenbeck(np.random.default_rng(54), 200, (8, 3), 0.05, 0.01, 3.0)
    return salt_universe(v, integrate(v, 0.01), n_cations=4, dt=0.01, box=30.0)


def _arrays(charges):
    x = np.cumsum(np.random.default_rng(0).normal(size=(50, 8, 3)), axis=0)
    return IonCollection.from_arrays({"LI": 4, "AN": 4}, dt=0.01, positions=x,
                                     charges=charges)


ENTRIES = {
    "GreenKuboConductivity": lambda u, q: GreenKuboConductivity(u, IONS, T, charges=q),
    "EinsteinHelfandConductivity": lambda u, q: EinsteinHelfandConductivity(u, IONS, T,
                                                                            charges=q),
    "OnsagerCoefficients": lambda u, q: OnsagerCoefficients(u, IONS, T, charges=q),
    "Diffusion": lambda u, q: Diffusion(u, IONS, charges=q),
    "IonCollector": lambda u, q: IonCollector(u, IONS, charges=q),
    "IonCollection.from_arrays": lambda u, q: _arrays(q),
    "NernstEinstein": lambda u, q: NernstEinstein(
        temperature=T, diffusivities={"LI": 0.1, "AN": 0.1}, n_ions={"LI": 4, "AN": 4},
        charges=q, volume=27000.0),
}


@pytest.mark.parametrize("entry", list(ENTRIES))
@pytest.mark.parametrize("z", [1, -1, 2])
def test_a_charge_in_coulombs_is_refused_with_its_value_in_e(universe, entry, z):
    q = {"LI": z * constants.e, "AN": -z * constants.e}
    with pytest.raises(ValueError, match=rf"is below any ion's charge.*coulombs.*= "
                                         rf"{z:g}(\.0+)? e"):
        ENTRIES[entry](universe, q)


@pytest.mark.parametrize("entry", list(ENTRIES))
@pytest.mark.parametrize("tiny", [1e-4, 5e-10, -1e-6])
def test_a_charge_below_a_thousandth_of_e_is_refused(universe, entry, tiny):
    with pytest.raises(ValueError, match="below any ion's charge"):
        ENTRIES[entry](universe, {"LI": tiny, "AN": -1.0})


@pytest.mark.parametrize("entry", list(ENTRIES))
@pytest.mark.parametrize("scaled", [0.8, 0.001, 2.0])
def test_scaled_and_whole_charges_stay_accepted(universe, entry, scaled):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ENTRIES[entry](universe, {"LI": scaled, "AN": -scaled})


def test_a_charge_per_ion_in_coulombs_is_refused_among_whole_ones():
    # one charge per ion: a single coulomb value among charges in e is found too
    with pytest.raises(ValueError, match="below any ion's charge"):
        _arrays({"LI": [1.0, 1.0, constants.e, 1.0], "AN": -1.0})
