"""A topology whose formal charges record nothing is refused for the shells up front.

The shells report skips a topology whose single-atom cations have formal charge 0 or less (a
PDB file's blank charge column reads 0: anions would be counted as solvents). That was found
only when the shells ran, after every other analysis of ``--only`` had: the requirement
"shell cations" judged from the topology alone now says it before any analysis runs.
"""

import numpy as np
import pytest
from test_shells55_report_charges import _charged, universe  # noqa: F401

from mda_electrolyte.report import unmet_requirements


@pytest.mark.parametrize("li,p", [(0, 0), (0, -1), (-1, -1)])
def test_blank_cation_charges_are_an_unmet_requirement(universe, li, p):  # noqa: F811
    unmet = unmet_requirements(_charged(universe, li, p), {"shell cations"}, None)
    assert len(unmet) == 1 and unmet[0].startswith("shell cations ("), unmet
    assert f"are {li:g}" in unmet[0] and "anions from solvents" in unmet[0], unmet


def test_charged_cations_meet_it(universe):  # noqa: F811
    assert unmet_requirements(_charged(universe, 1, -1), {"shell cations"}, None) == []


def test_a_half_charged_cation_is_blank_too(universe):  # noqa: F811
    u = _charged(universe, 1, -1)
    q = np.asarray(u.atoms.formalcharges, dtype=float)
    q[u.select_atoms("element Li").ix[0]] = 0.5
    u.add_TopologyAttr("formalcharges", q)
    unmet = unmet_requirements(u, {"shell cations"}, None)
    assert len(unmet) == 1 and "1 of 16" in unmet[0], unmet
