"""``electrolyte analyze``'s shells skip a topology whose formal charges record nothing.

The report tells anions (residues of negative total formal charge) from solvents by the
topology's formal charges. A column that records none (a PDB file's blank charge column reads
0) gave every residue 0: before, PF6⁻ was counted as a solvent, every shell an SSIP, and the
fractions said "no anion species given ... pass anions={name: AtomGroup}", advice the
command's user cannot follow. Cations whose formal charge is not a positive whole number tell
such a column: the shells are skipped naming it, as without formal charges.
"""

import warnings

import numpy as np
import pytest
from test_shells54_cutoff_reach import _universe

from mda_electrolyte.solvation import _report


@pytest.fixture(scope="module")
def universe():
    return _universe(jitter=0.1)


def _charged(u, li, p):
    q = np.zeros(u.atoms.n_atoms, dtype=int)
    q[u.select_atoms("element Li").ix] = li
    q[u.select_atoms("element P").ix] = p
    u.add_TopologyAttr("formalcharges", q)
    return u


@pytest.mark.parametrize("li,p", [(0, 0), (0, -1), (-1, -1), (-1, 0)])
def test_cations_without_a_positive_charge_skip_the_shells(universe, tmp_path, li, p):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        result = _report(_charged(universe, li, p), tmp_path)
    assert set(result) == {"skipped"}, result
    assert f"are {li:g}" in result["skipped"] and "16 of 16" in result["skipped"]
    assert "anions from solvents" in result["skipped"]


def test_charged_cations_class_their_anions(universe, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        result = _report(_charged(universe, 1, -1), tmp_path)
    # PF6 is an anion: 4 of the 16 shells hold one (CIP), the rest none
    assert result["fractions"]["CIP"].value == pytest.approx(0.25)
    assert "no anion species" not in result["fractions"]["CIP"].verdict
