"""Cations of several elements in one SolvationShells are refused before the pass.

Before: a selection of Li⁺ and Na⁺ (or Mg²⁺) was analysed as one cation: every shell was
labelled with the first cation's symbol (on bn_fec with half the Li made Na, the labels read
"Na(BN)5", "Na(BN)4", ... for the Li shells too), one RDF first minimum cut both shells, and
the Li⁺ donor presets of ``cutoff_convention="donor_atoms"`` applied to every cation when the
first one was Li. Each element alone keeps working, its labels carrying its own symbol.
"""

import numpy as np
import pytest

from mda_electrolyte import SolvationShells
from tests.test_solvation import CUTOFFS, build

SHELLS = [((5, 5, 5), [("EC", None, "Oc"), ("PF6",)]),
          ((20, 20, 20), [("EC", None, "Oc"), ("EC", None, "Oc")]),
          ((5, 20, 30), [("PF6",), ("EC", None, "Oe")])]


def _universe(cations):
    u = build(SHELLS)
    elements = np.array(u.atoms.elements, dtype=object)
    resnames = np.array(u.residues.resnames, dtype=object)
    first = u.select_atoms("element Li")
    for atom, element in zip(first, cations, strict=True):
        elements[atom.ix] = element
        resnames[atom.resindex] = element.upper()
    u.add_TopologyAttr("elements", list(elements))
    u.add_TopologyAttr("resnames", list(resnames))
    return u, u.atoms[first.ix]


def _species(u):
    return {"PF6": u.select_atoms("resname PF6")}, {"EC": u.select_atoms("resname EC")}


@pytest.mark.parametrize("cations", [("Li", "Na", "Li"), ("Na", "Li", "Li"),
                                     ("Li", "Li", "Mg"), ("Li", "Na", "Mg")])
@pytest.mark.parametrize("cutoff_convention", ["whole_molecule", "donor_atoms"])
def test_cations_of_several_elements_are_refused(cations, cutoff_convention):
    u, ions = _universe(cations)
    anions, solvents = _species(u)
    counts = {e: cations.count(e) for e in set(cations)}
    cutoffs = CUTOFFS if cutoff_convention == "whole_molecule" else None
    with pytest.raises(ValueError, match=f"cations are of {len(counts)} elements") as err:
        SolvationShells(ions, anions, solvents, cutoffs=cutoffs,
                        cutoff_convention=cutoff_convention)
    for element, n in counts.items():
        assert f"{n} {element}" in str(err.value)


@pytest.mark.parametrize("element", ["Li", "Na", "Mg"])
def test_one_element_is_analysed_and_labelled_with_its_symbol(element):
    u, ions = _universe((element,) * 3)
    anions, solvents = _species(u)
    shells = SolvationShells(ions, anions, solvents, cutoffs=CUTOFFS).run()
    labels = shells.results.shell_labels[0]
    assert sorted(labels) == sorted([f"{element}(ECc)(PF6)", f"{element}(ECc)2",
                                     f"{element}(ECe)(PF6)"])
    assert shells.results.fractions == pytest.approx({"SSIP": 1 / 3, "CIP": 2 / 3, "AGG": 0.0})
