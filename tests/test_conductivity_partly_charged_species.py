"""A species whose ions are partly uncharged is named, not silently left out of σ.

The conductivities take the charged species of a collection when none are listed. A species
with some ions of zero charge (per-ion charges of which one is 0: a selection mixing ions and
neutral molecules, a charge assignment gone wrong) was left out whole: the refusal then blamed
the rest ("a net charge of +4 e (Li +4 e)... list every charged species"), though the species
was there. It is now refused by name with its count of charged ions, before any estimate;
a wholly neutral species is still left out and the charged ones give σ as before.
"""

import warnings

import numpy as np
import pytest
from transport_data import integrate, ornstein_uhlenbeck

from mda_electrolyte import EinsteinHelfandConductivity, GreenKuboConductivity, NernstEinstein
from mda_electrolyte.ion_collection import IonCollection


def _collection(charges, extra=0):
    rng = np.random.default_rng(5)
    n = 8 + extra
    v = ornstein_uhlenbeck(rng, 400, (n, 3), 0.2, 0.05, 2.0)
    species = {"Li": 4, "AN": 4}
    if extra:
        species["W"] = extra
    return IonCollection.from_arrays(species, dt=0.05, velocities=v, positions=integrate(v, 0.05),
                                     volume=27000.0, charges=charges)


@pytest.mark.parametrize("cls", [EinsteinHelfandConductivity, GreenKuboConductivity])
def test_a_partly_charged_species_is_named(cls):
    col = _collection({"Li": 1.0, "AN": [-1.0, -1.0, -1.0, 0.0]})
    with pytest.raises(ValueError, match=r"species 'AN' \(3 of 4 ions charged\) mix charged "
                                         r"and uncharged ions"):
        cls.from_collections(col, temperature=300.0)


def test_nernst_einstein_names_it_too():
    col = _collection({"Li": 1.0, "AN": [-1.0, -1.0, -1.0, 0.0]})
    with pytest.raises(ValueError, match="'AN'"):
        NernstEinstein.from_collections(col, temperature=300.0)


@pytest.mark.parametrize("cls", [EinsteinHelfandConductivity, GreenKuboConductivity])
def test_a_neutral_species_is_left_out_and_sigma_unchanged(cls):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with_w = cls.from_collections(_collection({"Li": 1.0, "AN": -1.0, "W": 0.0}, extra=1),
                                      temperature=300.0, species=None)
        listed = cls.from_collections(_collection({"Li": 1.0, "AN": -1.0, "W": 0.0}, extra=1),
                                      temperature=300.0, species=["Li", "AN"])
    assert with_w.results.conductivity == listed.results.conductivity
