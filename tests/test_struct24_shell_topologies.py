"""Shells of unusual topologies: a bidentate anion (two O of one FSI within the cutoff) is one
molecule of the shell, an anion bridging two Li⁺ is counted in both (CIP/AGG by either
convention), and a topology without molecule ids (every atom in one residue) is refused with
what was found and where residues come from."""

import warnings

import MDAnalysis as mda
import numpy as np
import pytest
from MDAnalysis.coordinates.memory import MemoryReader

import mda_electrolyte as mdae

BOX = 40.0
#: FSI-like anion around its Li: two O at 1.97 Å (both within the cutoff), N and S beyond
ANION = (((1.0, 1.7, 0.0), "O"), ((-1.0, 1.7, 0.0), "O"), ((0.0, 2.6, 0.0), "N"),
         ((0.0, 3.6, 0.0), "S"))


def _universe(bridged, one_residue=False, n_frames=40):
    """8 Li, each with its own bidentate anion; with ``bridged`` Li 1 sits 1.9 Å from an O of
    Li 0's anion as well."""
    centres = [np.array([5.0 + 10 * i, 5.0 + 10 * j, 5.0 + 10 * k])
               for i in range(2) for j in range(2) for k in range(2)]
    if bridged:
        centres[1] = centres[0] + np.array([2.9, 1.7, 0.0])
    positions, elements, resindex, resnames = [], [], [], []
    for c in centres:
        positions.append(c)
        elements.append("Li")
        resindex.append(len(resnames))
        resnames.append("LI")
    for c in centres:
        r = len(resnames)
        resnames.append("FSI")
        for offset, element in ANION:
            positions.append(c + np.array(offset))
            elements.append(element)
            resindex.append(r)
    n = len(elements)
    if one_residue:
        resindex, resnames = [0] * n, ["SYS"]
    u = mda.Universe.empty(n, n_residues=len(resnames), atom_resindex=resindex, trajectory=True)
    u.add_TopologyAttr("elements", elements)
    u.add_TopologyAttr("names", elements)
    u.add_TopologyAttr("resnames", resnames)
    # O, O and N bonded to S
    u.add_TopologyAttr("bonds", [(8 + 4 * k + a, 8 + 4 * k + 3)
                                 for k in range(8) for a in range(3)])
    rng = np.random.default_rng(0)
    frames = np.array(positions)[None] + rng.normal(scale=0.05, size=(n_frames, n, 3))
    u.load_new(frames.astype(np.float32), format=MemoryReader, dimensions=[BOX] * 3 + [90] * 3)
    return u


def _shells(u, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return mdae.SolvationShells(u.select_atoms("resname LI"),
                                    {"FSI": u.select_atoms("resname FSI")}, {},
                                    cutoffs={"FSI": 2.3}, **kw).run()


def test_a_bidentate_anion_is_one_molecule_of_the_shell():
    res = _shells(_universe(bridged=False)).results
    # two O of one anion within 2.3 Å: coordination number 1, not 2
    assert res.coordination_numbers["FSI"] == 1.0
    assert res.fractions == {"SSIP": 0.0, "CIP": 1.0, "AGG": 0.0}
    assert res.labels == {"Li(FSI)": 1.0}
    # a fraction that is 1 in every frame has no error to show: not valid, not ± 0
    est = res.estimates["fractions"]["CIP"]
    assert not est.valid and not est.stderr == 0.0


def test_an_anion_bridging_two_cations_counts_in_both_shells():
    u = _universe(bridged=True)
    res = _shells(u).results
    # Li 0: its own anion, which is also in Li 1's shell; Li 1: its own and Li 0's
    assert res.coordination_numbers["FSI"] == pytest.approx(9 / 8)
    assert list(res.classes[0]) == ["CIP", "AGG"] + ["CIP"] * 6
    assert res.free_ion_fraction == 0.0
    bridging = _shells(u, convention="bridging").results
    # mdgo's convention: a shell holding an anion that another cation shares is AGG
    assert list(bridging.classes[0]) == ["AGG", "AGG"] + ["CIP"] * 6
    assert bridging.fractions == pytest.approx({"SSIP": 0.0, "CIP": 0.75, "AGG": 0.25})


def test_a_topology_without_molecule_ids_is_refused_naming_what_was_found():
    u = _universe(bridged=False, one_residue=True)
    with pytest.raises(ValueError, match=r"8 cation\(s\) lie in 1 residue\(s\) of 40 atoms.*"
                                         r"molecule ids"):
        mdae.SolvationShells(u.select_atoms("element Li"),
                             {"FSI": u.select_atoms("not element Li")}, {},
                             cutoffs={"FSI": 2.3})
