"""An IntraInterRDF pair selection typed in another case than the topology's elements.

Before: ``pairs=[("element LI", "element O")]`` on a topology that writes ``Li`` was refused as
"selection 'element LI' matches no atom of the atomgroup" with no word of the case, though the
reverse (a topology's ``LI`` selected as ``element Li``) was told how to select it.
"""

import MDAnalysis as mda
import numpy as np
import pytest
from MDAnalysis.coordinates.memory import MemoryReader

from mda_electrolyte import IntraInterRDF


def _universe():
    u = mda.Universe.empty(4, n_residues=4, atom_resindex=np.arange(4), trajectory=True)
    u.add_TopologyAttr("elements", ["Li", "Li", "O", "O"])
    u.add_TopologyAttr("resnames", ["LI", "LI", "W", "W"])
    u.load_new(np.array([[[1, 1, 1], [6, 6, 6], [3, 1, 1], [8, 6, 6]]], np.float32),
               format=MemoryReader, dimensions=[12, 12, 12, 90, 90, 90])
    return u


@pytest.mark.parametrize("typed,fixed", [("element LI", "element Li"),
                                         ("(element li)", "(element Li)")])
def test_a_selection_in_another_case_names_the_written_one(typed, fixed):
    u = _universe()
    with pytest.raises(ValueError, match=rf"selection '{typed}' .*matches no atom.*writes "
                                         rf"element 'Li', not '{typed.split()[-1].strip('()')}'"
                                         rf".*select '{fixed}'".replace("(", r"\(")
                                         .replace(")", r"\)")):
        IntraInterRDF(u.atoms, pairs=[(typed, "element O")], range=(0.0, 5.0))
    # the selection it names is the one that runs, with the pairs at 2 Å
    rdf = IntraInterRDF(u.atoms, pairs=[(fixed.strip("()"), "element O")], range=(0.0, 5.0),
                        nbins=10).run()
    (total,) = rdf.results.total.values()
    assert np.flatnonzero(total).tolist() == [4]
