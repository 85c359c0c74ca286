"""Species whose selections overlap were refused as "species 'ALL' shares atoms with another
species": neither the other species nor how many atoms nor the cure. The refusal now names both
species with their selections, the shared count and the cure, for every transport analysis and
for either order of the overlap."""

import numpy as np
import pytest
from transport_data import integrate, ornstein_uhlenbeck, salt_universe

from mda_electrolyte import (
    Diffusion,
    EinsteinHelfandConductivity,
    GreenKuboConductivity,
    OnsagerCoefficients,
)


@pytest.fixture(scope="module")
def universe():
    v = ornstein_uhlenbeck(np.random.default_rng(0), 50, (8, 3), 0.1, 0.01, 3.0)
    return salt_universe(v, integrate(v, 0.01), n_cations=4, dt=0.01)


@pytest.mark.parametrize("cls", [GreenKuboConductivity, EinsteinHelfandConductivity,
                                 OnsagerCoefficients, Diffusion])
@pytest.mark.parametrize("ions, shown", [
    ({"LI": "resname LI", "ALL": "resname LI AN"},
     "species 'ALL' ('resname LI AN') shares atoms with species 'LI' ('resname LI'): 4 of its "
     "8 atoms are in both"),
    ({"ALL": "resname LI AN", "AN": "resname AN"},
     "species 'AN' ('resname AN') shares atoms with species 'ALL' ('resname LI AN'): 4 of its "
     "4 atoms are in both"),
    ({"LI": "resname LI", "AN": "resname AN", "A1": "index 0 4"},
     "species 'A1' ('index 0 4') shares atoms with species 'LI' ('resname LI'): 2 of its 2"),
])
def test_overlapping_species_are_named(universe, cls, ions, shown):
    kw = {} if cls is Diffusion else {"temperature": 300.0}
    with pytest.raises(ValueError) as err:
        cls(universe, ions, **kw)
    assert shown in str(err.value)
    assert "select disjoint groups" in str(err.value)
