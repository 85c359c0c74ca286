"""Selections an analysis evaluates once, when it is created, must not depend on the frame:
a selection string that follows the coordinates (around, sphzone, point, prop z, ...) and an
UpdatingAtomGroup are refused by name before any frame is read; selections by what the atoms
are (element, name, residue, bonds, mass) are taken."""

import warnings

import numpy as np
import pytest
from test_structure_invariances import _liquid, _universe
from test_volume_scan import _model

import mda_electrolyte as mdae
from mda_electrolyte.analysis_base import check_static_selection

MOVING = {
    "around 3 element Li": "AroundSelection",
    "byres around 3.5 element Li": "AroundSelection",
    "element O and not around 3 element Li": "AroundSelection",
    "sphzone 4 element Li": "SphericalZoneSelection",
    "sphlayer 2 4 element Li": "SphericalLayerSelection",
    "cyzone 5 3 -3 element Li": "CylindricalZoneSelection",
    "cylayer 2 5 3 -3 element Li": "CylindricalLayerSelection",
    "point 5.0 5.0 5.0 3.0": "PointSelection",
    "isolayer 2 4 element Li": "IsoLayerSelection",
    "element O and prop z < 5": "PropertySelection",
    "(element F) or (prop abs x <= 2)": "PropertySelection",
}
STATIC = ["element O", "name C and resname SOL", "prop mass > 15", "same residue as element P",
          "bonded element P", "index 0:5", "not element Li"]


@pytest.fixture(scope="module")
def liquid():
    warnings.simplefilter("ignore", UserWarning)
    molecules, frames = _liquid(n_frames=3)
    u = _universe(molecules, frames)
    mass = {"Li": 6.94, "O": 16.0, "C": 12.011, "F": 19.0, "P": 30.97}
    u.add_TopologyAttr("masses", [mass[e] for e in u.atoms.elements])
    return u


def test_a_selection_that_follows_the_coordinates_picks_other_atoms_in_other_frames(liquid):
    """Why: evaluated at frame 0 and at frame 2, the same string selects other atoms."""
    picked = []
    for frame in (0, 2):
        liquid.trajectory[frame]
        picked.append(set(liquid.select_atoms("around 3 element Li").ix))
    liquid.trajectory[0]
    assert picked[0] != picked[1]


@pytest.mark.parametrize("selection", list(MOVING))
def test_rdf_pairs_that_follow_the_coordinates_are_refused(liquid, selection):
    if MOVING[selection] == "IsoLayerSelection":
        pytest.importorskip("MDAnalysis.core.selection").__dict__.get("IsoLayerSelection") \
            or pytest.skip("this MDAnalysis has no isolayer")
    liquid.trajectory[1]
    with pytest.raises(ValueError, match=f"IntraInterRDF: pairs: the selection .* depends on "
                                         f"the coordinates \\({MOVING[selection]}\\)"):
        mdae.IntraInterRDF(liquid.atoms, pairs=[("element Li", selection)], range=(0, 6))
    # either side of the pair
    with pytest.raises(ValueError, match="depends on the coordinates"):
        mdae.IntraInterRDF(liquid.atoms, pairs=[(selection, "element Li")], range=(0, 6))
    assert liquid.trajectory.ts.frame == 1


@pytest.mark.parametrize("selection", STATIC)
def test_selections_by_what_the_atoms_are_are_taken(liquid, selection):
    check_static_selection("pairs", selection)
    rdf = mdae.IntraInterRDF(liquid.atoms, pairs=[("element Li", selection)], range=(0, 6),
                             nbins=57).run()
    expected = liquid.select_atoms(selection)
    assert rdf._n_b[0] == expected.n_atoms


def test_a_selection_mdanalysis_cannot_parse_is_left_to_its_own_message(liquid):
    check_static_selection("pairs", "element Li and (")
    with pytest.raises(Exception, match="(?i)unexpected|parse|selection"):
        mdae.IntraInterRDF(liquid.atoms, pairs=[("element Li", "element Li and (")],
                           range=(0, 6))


@pytest.mark.parametrize("selection", ["resname SOL", "byres around 3 resname LI"])
def test_a_volume_scan_refuses_an_updating_group_and_takes_it_static(liquid, selection):
    with pytest.raises(ValueError, match="RigidVolumeScan: the atomgroup is an UpdatingAtomGroup"):
        mdae.RigidVolumeScan(liquid.select_atoms(selection, updating=True), _model(),
                             scales=[1.0])
    static = liquid.select_atoms("resname SOL")
    scan = mdae.RigidVolumeScan(static, _model(), scales=[1.0, 1.1], keep_frames=False)
    assert np.all(np.isfinite(scan.run(frames=[0]).results.inter))


def test_a_pair_named_twice_is_refused_and_reversed_pairs_are_two(liquid):
    """Results are keyed by the pair: a second ('a', 'b') was a counts row without a key."""
    with pytest.raises(ValueError, match=r"pairs names \('element Li', 'element O'\) twice"):
        mdae.IntraInterRDF(liquid.atoms, pairs=[("element Li", "element O"),
                                                ("element O", "element Li"),
                                                ("element Li", "element O")], range=(0, 6))
    rdf = mdae.IntraInterRDF(liquid.atoms, pairs=[("element Li", "element O"),
                                                  ("element O", "element Li")],
                             range=(0, 6), nbins=57).run()
    forward, backward = rdf.results.pairs
    # the same ordered pairs counted from either end: one g(r), CNs scaled by N_b / N_a
    np.testing.assert_allclose(rdf.results.total[forward], rdf.results.total[backward],
                               rtol=1e-12)
    n_li, n_o = (liquid.select_atoms(f"element {e}").n_atoms for e in ("Li", "O"))
    np.testing.assert_allclose(rdf.results.cn_total[forward] * n_li,
                               rdf.results.cn_total[backward] * n_o, rtol=1e-12)
