"""A Universe without a trajectory (a topology alone) is named before any analysis is made.

``mda.Universe.empty(n, trajectory=False)`` or a topology format without coordinates has no
``trajectory`` attribute; every analysis read it in its constructor, and the user got
MDAnalysis' ``AttributeError: No trajectory loaded into Universe`` from inside our code (an
AttributeError reads as a bug, and names nothing to do). The viscosity, which reads the per-step
pressure tensor, took a Universe as an array (``float() argument must be ... not 'Universe'``).
"""

import MDAnalysis as mda
import numpy as np
import pytest

from mda_electrolyte.analysis_base import check_universe
from mda_electrolyte.conductivity import (
    EinsteinHelfandConductivity,
    GreenKuboConductivity,
    NernstEinstein,
)
from mda_electrolyte.diffusion import Diffusion
from mda_electrolyte.ion_collection import IonCollector
from mda_electrolyte.onsager import OnsagerCoefficients
from mda_electrolyte.rdf import IntraInterRDF
from mda_electrolyte.solvation import SolvationShells
from mda_electrolyte.viscosity import EinsteinHelfandViscosity, GreenKuboViscosity

IONS = {"Li": "name Li", "F": "name F"}


def _topology(trajectory):
    """Two LiF pairs and an EC-like neutral 'solvent' of C and O, as a topology."""
    n = 8
    u = mda.Universe.empty(n, n_residues=6, atom_resindex=[0, 1, 2, 3, 4, 4, 5, 5],
                           trajectory=trajectory)
    u.add_TopologyAttr("names", ["Li", "F", "Li", "F", "C", "O", "C", "O"])
    u.add_TopologyAttr("elements", ["Li", "F", "Li", "F", "C", "O", "C", "O"])
    u.add_TopologyAttr("types", ["Li", "F", "Li", "F", "C", "O", "C", "O"])
    u.add_TopologyAttr("masses", [6.94, 19.0, 6.94, 19.0, 12.0, 16.0, 12.0, 16.0])
    u.add_TopologyAttr("charges", [1.0, -1.0, 1.0, -1.0, 0.3, -0.3, 0.3, -0.3])
    u.add_TopologyAttr("resnames", ["Li", "F", "Li", "F", "S", "S"])
    u.add_TopologyAttr("bonds", [(4, 5), (6, 7)])
    return u


MAKERS = {
    "IntraInterRDF": lambda u: IntraInterRDF(u.atoms, range=(0.0, 4.0)),
    "SolvationShells": lambda u: SolvationShells(u.select_atoms("name Li"),
                                                 u.select_atoms("name F"),
                                                 {"S": u.select_atoms("resname S")}),
    "IonCollector": lambda u: IonCollector(u, IONS),
    "Diffusion": lambda u: Diffusion(u, IONS),
    "GreenKuboConductivity": lambda u: GreenKuboConductivity(u, IONS, 300.0),
    "EinsteinHelfandConductivity": lambda u: EinsteinHelfandConductivity(u, IONS, 300.0),
    "OnsagerCoefficients": lambda u: OnsagerCoefficients(u, IONS, 300.0),
    "GreenKuboConductivity of a list": lambda u: GreenKuboConductivity([u], IONS, 300.0),
}


@pytest.mark.parametrize("name", list(MAKERS))
def test_an_analysis_of_a_topology_alone_names_the_missing_trajectory(name):
    with pytest.raises(ValueError, match="has no trajectory .*load coordinates"):
        MAKERS[name](_topology(trajectory=False))


@pytest.mark.parametrize("name", list(MAKERS))
def test_the_same_topology_with_coordinates_passes_that_check(name):
    u = _topology(trajectory=True)
    rng = np.random.default_rng(0)
    u.load_new(rng.uniform(0, 12, (6, 8, 3)).astype(np.float32), order="fac",
               dimensions=np.tile([12.0, 12, 12, 90, 90, 90], (6, 1)).astype(np.float32))
    try:
        MAKERS[name](u)
    except (ValueError, TypeError) as err:  # refused for what a random box is, never this
        assert "no trajectory" not in str(err)


@pytest.mark.parametrize("obj, error, words", [
    ("u.atoms", TypeError, "must be an MDAnalysis Universe, not AtomGroup (pass its .universe)"),
    ("42", TypeError, "must be an MDAnalysis Universe, not int"),
])
def test_check_universe_names_what_it_was_given(obj, error, words):
    u = _topology(trajectory=True)
    value = {"u.atoms": u.atoms, "42": 42}[obj]
    with pytest.raises(error) as info:
        check_universe("the Universe", value)
    assert words in str(info.value)
    assert check_universe("the Universe", u) is u


@pytest.mark.parametrize("cls", [GreenKuboViscosity, EinsteinHelfandViscosity])
@pytest.mark.parametrize("source", ["universe", "atoms", "text", "object"])
def test_a_viscosity_source_that_holds_no_pressure_tensor_is_named(cls, source):
    u = _topology(trajectory=True)
    value = {"universe": u, "atoms": u.atoms, "text": ["abc"], "object": [object()]}[source]
    with pytest.raises(TypeError, match="pressure tensor|pressure-tensor input 0") as info:
        cls(value, temperature=300.0)
    assert "float()" not in str(info.value)


def test_nernst_einstein_of_a_topology_alone_is_refused_by_its_diffusion():
    with pytest.raises(ValueError, match="has no trajectory"):
        NernstEinstein(Diffusion(_topology(trajectory=False), IONS))
