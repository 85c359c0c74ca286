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


@pytest.mark.parametrize("other", ["Na", "Mg"])
def test_report_names_the_cations_it_does_not_analyse(tmp_path, other):
    from mda_electrolyte.solvation import _report

    # two Li and one other cation: Li is analysed; the other is no species of Li's shells (a
    # Mg²⁺ was a "solvent" for its positive charge) and the report lists it
    u, ions = _universe(("Li", other, "Li"))
    charges = np.zeros(u.atoms.n_atoms)
    charges[ions.ix] = [1, 2 if other == "Mg" else 1, 1]
    charges[u.select_atoms("element P").ix] = -1
    u.add_TopologyAttr("formalcharges", charges)
    summary = _report(u, tmp_path)
    assert summary["cation"] == "Li"
    assert summary["cations_not_analysed"]["counts"] == {other: 1}
    assert other in summary["cations_not_analysed"]["note"]
    assert set(summary["settings"]["cutoffs_angstrom"]) == {"EC", "PF6"}
    assert not any(other in label for label in summary["labels"])
    alone, _ = _universe(("Li", "Li", "Li"))
    alone.add_TopologyAttr("formalcharges", np.where(np.isin(alone.atoms.ix, ions.ix), 1.0,
                                                     charges * (charges < 0)))
    assert "cations_not_analysed" not in _report(alone, tmp_path)
