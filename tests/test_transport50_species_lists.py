"""``species=`` of the transport estimators (from_collections): one name as a string was read
as its letters ("species 'L' is not collected"); an empty list gave Green–Kubo "'int' object is
not subscriptable", Einstein–Helfand "nothing moves" and took every species in Onsager and
Diffusion without a word; a name given twice had its charge counted twice ("a net charge of
+4 e (Li +4 e, Li +4 e, A -4 e)"). A string is now one name, the empty and doubled lists are
refused by name (carriers.species_list), and lists, tuples and numpy arrays of names agree."""

import warnings

import numpy as np
import pytest
from transport_data import integrate, ornstein_uhlenbeck

from mda_electrolyte import (
    Diffusion,
    EinsteinHelfandConductivity,
    GreenKuboConductivity,
    NernstEinstein,
    OnsagerCoefficients,
)
from mda_electrolyte.ion_collection import IonCollection

CONDUCTIVITIES = [GreenKuboConductivity, EinsteinHelfandConductivity, OnsagerCoefficients]


@pytest.fixture(scope="module")
def collection():
    v = ornstein_uhlenbeck(np.random.default_rng(0), 600, (10, 3), 0.1, 0.01, 3.0)
    return IonCollection.from_arrays({"Li": 4, "A": 4, "W": 2}, dt=0.01, velocities=v,
                                     positions=integrate(v, 0.01),
                                     charges={"Li": 1, "A": -1, "W": 0}, volume=8000.0)


def _run(cls, col, species):
    kw = {} if cls is Diffusion else {"temperature": 300.0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cls.from_collections(col, species=species, **kw).results


@pytest.mark.parametrize("cls", [*CONDUCTIVITIES, Diffusion])
@pytest.mark.parametrize("species, message", [
    ([], "species is empty; give the names of the species to analyse, or species=None"),
    (["Li", "Li", "A"], "species names ['Li'] more than once"),
    (("A", "Li", "A"), "species names ['A'] more than once")])
def test_empty_and_doubled_species_are_refused(collection, cls, species, message):
    with pytest.raises(ValueError) as err:
        _run(cls, collection, species)
    assert message in str(err.value)
    assert cls.__name__ in str(err.value)


def test_one_name_as_a_string_is_that_species(collection):
    d = _run(Diffusion, collection, "Li")
    assert list(d.diffusion_coefficient) == ["Li"]
    assert d.diffusion_coefficient["Li"].value == _run(
        Diffusion, collection, ["Li"]).diffusion_coefficient["Li"].value
    # a charged set of one sign: the net-charge refusal, naming Li, not the letter 'L'
    with pytest.raises(ValueError, match=r"net charge of \+4 e \(Li \+4 e\)"):
        _run(GreenKuboConductivity, collection, "Li")


@pytest.mark.parametrize("cls", CONDUCTIVITIES)
def test_sequences_of_names_agree(collection, cls):
    sigmas = {_run(cls, collection, s).conductivity.value
              for s in (["Li", "A"], ("Li", "A"), np.array(["Li", "A"]), None)}
    assert len(sigmas) == 1


def test_nernst_einstein_species_are_checked_alike(collection):
    with pytest.raises(ValueError, match="species is empty"):
        NernstEinstein.from_collections(collection, temperature=300.0, species=[])
    with pytest.raises(ValueError, match=r"species names \['A'\] more than once"):
        NernstEinstein.from_collections(collection, temperature=300.0, species=["A", "Li", "A"])
