"""A frame with an atom on a cation (or a carbonyl oxygen on its carbon) is refused at that
frame, naming it and the atoms.

Before: the zero-length vector gave NaN angles, and the run ended after the whole pass with
"mean Oc-M-Oc angle: the per-frame values contain NaN or infinity", naming neither the frame
nor the atoms.
"""

import numpy as np
import pytest

from mda_electrolyte import SolvationShells
from tests.test_solvation import CUTOFFS, build, groups

SHELLS = [((5, 5, 5), [("EC", None, "Oc"), ("EC", None, "Oc")]),
          ((20, 20, 20), [("EC", None, "Oc"), ("PF6",)])]


def _three_frames(broken):
    """The shells in frames 0-2; in frame 1 ``broken`` (an index pair) made to coincide."""
    u = build(SHELLS)
    frames = np.repeat(u.atoms.positions[None], 3, axis=0)
    frames[1, broken[0]] = frames[1, broken[1]]
    u.load_new(frames, order="fac", dimensions=u.dimensions)
    return u


@pytest.mark.parametrize("store_table", [True, False])
def test_an_atom_on_a_cation_is_refused_at_its_frame(store_table):
    u = build(SHELLS)
    li = int(u.select_atoms("element Li")[0].ix)
    oc = int(u.select_atoms("resname EC and element O")[0].ix)
    u = _three_frames((oc, li))
    with pytest.raises(ValueError, match=f"frame 1: atom {oc} lies on cation {li} "
                                         r"\(0 Å apart\)"):
        SolvationShells(*groups(u), cutoffs=CUTOFFS, store_table=store_table).run()


def test_a_carbonyl_oxygen_on_its_carbon_is_refused_at_its_frame():
    u = build(SHELLS)
    ec = u.select_atoms("resname EC")
    oc, carbon = int(ec[0].ix), int(ec[1].ix)
    u = _three_frames((carbon, oc))
    with pytest.raises(ValueError, match=f"frame 1: carbonyl oxygen {oc} lies on its carbon "
                                         f"{carbon}"):
        SolvationShells(*groups(u), cutoffs=CUTOFFS).run()


def test_the_intact_frames_give_their_angles():
    u = build(SHELLS)
    frames = np.repeat(u.atoms.positions[None], 3, axis=0)
    u.load_new(frames, order="fac", dimensions=u.dimensions)
    angles = SolvationShells(*groups(u), cutoffs=CUTOFFS).run().results.angles
    # two Oc at tetrahedral directions around the first Li: 109.47°, in every frame
    assert angles["Oc-M-Oc"]["n"] == 3
    assert angles["Oc-M-Oc"]["mean"] == pytest.approx(np.degrees(np.arccos(-1 / 3)), abs=1e-3)
    assert angles["M-Oc-Cc"]["mean"] == pytest.approx(140.0, abs=1e-3)

