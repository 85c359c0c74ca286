"""Element symbols in upper case ('LI', 'CL': GRO/PDB files, MDAnalysis' element guesser) read
as MDAnalysis' PDB parser reads them, by one function (atom_categories.element_symbols).

Before: SolvationShells refused 'LI' ("elements ['LI'] are not element symbols as written ...
set them with ..."), the CLI's shell report skipped it ("no single-atom Li/Na/K residues"),
and IntraInterRDF(pairs="elements") keyed its pairs ('LI', 'O') where the same system written
'Li' gave ('Li', 'O'). Now 'LI' and 'Li' give identical results in each, and 'CL' is chlorine,
never carbon.
"""

import warnings

import MDAnalysis as mda
import numpy as np
import pytest
from MDAnalysis.coordinates.memory import MemoryReader
from test_solvation import build, groups

from mda_electrolyte import IntraInterRDF, SolvationShells, solvation
from mda_electrolyte.atom_categories import element_symbols, oxygen_classes
from mda_electrolyte.shell_cutoffs import donor_atoms
from mda_electrolyte.shell_table import OC, OTHER

SHELLS = [((10, 10, 10), [("EC", None, "Oc")] * 3 + [("PF6", None)]),
          ((30, 30, 30), [("EC", None, "Oc"), ("EC", None, "Oe")])]


def both_cases():
    """The same two Li⁺ shells with elements as written and in upper case (as MDAnalysis'
    guesser writes them from GRO atom names)."""
    written = build(SHELLS)
    upper = build(SHELLS)
    upper.add_TopologyAttr("elements", [e.upper() for e in upper.atoms.elements])
    assert "LI" in set(upper.atoms.elements)
    return written, upper


def test_symbols_are_read_as_mdanalysis_pdb_parser_reads_them():
    from MDAnalysis.topology.tables import SYMB2Z

    written = ["LI", "CL", "NA", "MG", "c", " O ", "Br", "OW", "", "X"]
    read = list(element_symbols(written))
    assert read == ["Li", "Cl", "Na", "Mg", "C", "O", "Br", "OW", "", "X"]
    # the PDB parser's own rule (MDAnalysis.topology.PDBParser): capitalised if an element
    for w, r in zip(written[:7], read[:7], strict=True):
        assert r == w.strip().capitalize() and r in SYMB2Z
    # chlorine is no carbon: an O bonded to a 'CL' is no carbonyl, to a 'C' it is
    assert oxygen_classes(["O", "CL"], [(0, 1)])[0][0] == OTHER
    assert oxygen_classes(["O", "C"], [(0, 1)])[0][0] == OC
    assert oxygen_classes(["O", "c"], [(0, 1)])[0][0] == OC


@pytest.mark.parametrize("kwargs", [{"cutoffs": {"EC": 2.3, "PF6": 2.3}},
                                    {"cutoff_convention": "donor_atoms"}])
def test_solvation_shells_are_the_same_whatever_the_case(kwargs):
    results = []
    for u in both_cases():
        res = SolvationShells(*groups(u, "Li" if "Li" in u.atoms.elements else "LI"),
                              **kwargs).run().results
        results.append(res)
    a, b = results
    # one Li(ECc)3(PF6) contact pair, one Li(ECc)(ECe) with no anion
    assert list(a.shell_labels[0]) == ["Li(ECc)3(PF6)", "Li(ECc)(ECe)"]
    assert list(b.shell_labels[0]) == list(a.shell_labels[0])
    assert b.coordination_numbers == a.coordination_numbers == {"EC": 2.5, "PF6": 0.5}
    assert b.cutoffs == a.cutoffs and b.fractions == a.fractions
    assert b.shells.equals(a.shells)


def test_donor_atoms_read_the_case_alike():
    written, upper = both_cases()
    for name in ("EC", "PF6"):
        a = donor_atoms(written.select_atoms(f"resname {name}"))
        b = donor_atoms(upper.select_atoms(f"resname {name}"))
        assert np.array_equal(a[0].ix, b[0].ix) and a[1] == b[1]


def test_element_pair_rdfs_are_keyed_and_valued_alike():
    written, upper = both_cases()
    est = [IntraInterRDF(u.atoms, pairs="elements", range=(0.0, 8.0), nbins=40).run()
           .results.estimates for u in (written, upper)]
    assert list(est[0]) == list(est[1])
    assert list(est[0])[0] == ("Li", "Li") and ("Li", "O") in est[0]
    for key in est[0]:
        for name, value in est[0][key].items():
            other = est[1][key][name]
            assert other.value == pytest.approx(value.value, nan_ok=True), (key, name)


def test_chlorine_written_cl_is_an_anion_element_not_carbon():
    # Li⁺ and Cl⁻ with element 'CL' (a GRO file's guess): the pairs are Li-Cl, no C appears
    rng = np.random.default_rng(0)
    n = 40
    u = mda.Universe.empty(n, n_residues=n, atom_resindex=np.arange(n), trajectory=True)
    u.add_TopologyAttr("elements", ["LI"] * 20 + ["CL"] * 20)
    u.add_TopologyAttr("names", ["LI"] * 20 + ["CL"] * 20)
    u.load_new(rng.uniform(0, 20, (3, n, 3)).astype(np.float32), format=MemoryReader,
               dimensions=[20.0] * 3 + [90] * 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        est = IntraInterRDF(u.atoms, pairs="elements", range=(0.0, 8.0), nbins=40).run()
    assert list(est.results.estimates) == [("Li", "Li"), ("Li", "Cl"), ("Cl", "Cl")]


def test_the_cli_shell_report_reads_li_in_any_case(tmp_path):
    summaries = []
    for k, u in enumerate(both_cases()):
        charges = np.zeros(u.atoms.n_atoms)
        charges[element_symbols(u.atoms.elements) == "Li"] = 1
        charges[element_symbols(u.atoms.elements) == "P"] = -1
        u.add_TopologyAttr("formalcharges", charges)
        out = tmp_path / str(k)
        out.mkdir()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            summaries.append(solvation._report(u, out))
    a, b = summaries
    assert "skipped" not in b, b
    assert {k: v.value for k, v in b["labels"].items()} == {
        k: v.value for k, v in a["labels"].items()}
    assert b["settings"]["cutoffs_angstrom"] == a["settings"]["cutoffs_angstrom"]


def test_an_empty_element_selection_of_an_upper_case_topology_says_how_to_select():
    # MDAnalysis' selections match the case written: "element Li" selects no 'LI'
    written, upper = both_cases()
    with pytest.raises(ValueError, match=r"selection 'element Li' matches no atom .*writes "
                                         r"elements \['LI'\] in another case.*'element LI'"):
        IntraInterRDF(upper.atoms, pairs=[("element Li", "element O")])
    with pytest.raises(ValueError, match=r"cation selection is empty .*\['LI'\].*element_symbols"):
        SolvationShells(upper.select_atoms("element Li"), {},
                        {"EC": upper.select_atoms("resname EC")}, cutoffs={"EC": 2.3})
    # the hint's own remedy gives the written topology's results
    upper.add_TopologyAttr("elements", element_symbols(upper.atoms.elements))
    a = SolvationShells(*groups(upper), cutoffs={"EC": 2.3, "PF6": 2.3}).run().results
    b = SolvationShells(*groups(written), cutoffs={"EC": 2.3, "PF6": 2.3}).run().results
    assert list(a.shell_labels[0]) == list(b.shell_labels[0])
    # a topology written as symbols has no such hint: the plain refusal
    with pytest.raises(ValueError, match=r"matches no atom of the atomgroup$"):
        IntraInterRDF(written.atoms, pairs=[("element Xe", "element O")])
