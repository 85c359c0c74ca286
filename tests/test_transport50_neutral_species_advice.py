"""A neutral species (a solvent) listed among the ions of Green–Kubo or Einstein–Helfand was
refused with "did the selection include the whole ion? or pass charges=...", advice for a cut
ion, not for a solvent. A species all of whose ions are neutral is now told to be left out of
ions (it carries no current); a species only partly neutral keeps the old advice."""

import numpy as np
import pytest
from transport_data import integrate, ornstein_uhlenbeck, salt_universe

from mda_electrolyte import EinsteinHelfandConductivity, GreenKuboConductivity


@pytest.fixture(scope="module")
def universe():
    v = ornstein_uhlenbeck(np.random.default_rng(0), 50, (8, 3), 0.1, 0.01, 3.0)
    return salt_universe(v, integrate(v, 0.01), n_cations=4, dt=0.01)


@pytest.mark.parametrize("cls", [GreenKuboConductivity, EinsteinHelfandConductivity])
@pytest.mark.parametrize("charges, words", [
    ({"AN": 0.0}, "has ions of zero charge (4 of 4); a charge carrier needs a charge (a neutral "
                  "species carries no current: leave it out of ions"),
    ("one", "(1 of 4); a charge carrier needs a charge (did the selection include the whole "
            "ion?"),
])
def test_neutral_species_advice(universe, cls, charges, words):
    if charges == "one":
        # one anion of the topology without its formal charge
        v = ornstein_uhlenbeck(np.random.default_rng(0), 50, (8, 3), 0.1, 0.01, 3.0)
        universe = salt_universe(v, integrate(v, 0.01), n_cations=4, dt=0.01)
        universe.atoms[4].formalcharge = 0
        charges = None
    with pytest.raises(ValueError) as err:
        cls(universe, {"LI": "resname LI", "AN": "resname AN"}, charges=charges,
            temperature=300.0)
    assert "species 'AN'" in str(err.value) and words in str(err.value)
