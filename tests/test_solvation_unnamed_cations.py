"""Cations without an element symbol: their shells are labelled by their atom names, and a
topology with neither is refused by name.

A LAMMPS data file with element symbols set for every atom but the cations ('' is allowed,
for virtual sites) made SolvationShells fall back to the cations' atom names, which such a
topology does not have: MDAnalysis' NoDataError ("This Universe does not contain name
information") from inside the constructor.
"""

import numpy as np
import pytest
from test_solvation import bn_fec

from mda_electrolyte import SolvationShells

CUTOFFS = {"pf6": 2.8, "bn": 2.6, "fec": 2.4}


def _args(u):
    return (u.atoms.select_atoms("type 22"), {"pf6": u.atoms.select_atoms("byres type 20")},
            {"bn": u.atoms.select_atoms("byres type 5"),
             "fec": u.atoms.select_atoms("byres type 19")})


def _without_cation_elements():
    u = bn_fec()
    elements = np.array(u.atoms.elements, dtype=object)
    elements[u.atoms.types == "22"] = ""
    u.add_TopologyAttr("elements", elements.tolist())
    return u


def test_cations_without_element_or_name_are_refused_by_name():
    u = _without_cation_elements()
    assert not hasattr(u.atoms, "names")
    with pytest.raises(ValueError, match="the cations have no element symbol"):
        SolvationShells(*_args(u), cutoffs=CUTOFFS)


def test_cations_without_element_are_labelled_by_their_names():
    u = _without_cation_elements()
    u.add_TopologyAttr("names", ["LI" if t == "22" else "X1" for t in u.atoms.types])
    shells = SolvationShells(*_args(u), cutoffs=CUTOFFS).run(stop=3)
    reference = SolvationShells(*_args(bn_fec()), cutoffs=CUTOFFS).run(stop=3)
    # the same shells, only the label's cation written as its name
    assert {k.replace("LI", "Li", 1): v for k, v in shells.results.labels.items()} \
        == reference.results.labels
    assert shells.results.fractions == reference.results.fractions
