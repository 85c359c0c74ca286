"""A frame selection that gives too few frames is shown as given, not by its length.

``run(frames=[])`` was reported as "(..., frames=0) gives 0 of the trajectory's N frames", which
reads as the keyword ``frames=0``; a boolean mask selecting nothing read "frames=12".
"""

import warnings

import numpy as np
import pytest
from test_structure_invariances import _liquid, _universe

import mda_electrolyte as mdae


@pytest.fixture(scope="module")
def universe():
    warnings.simplefilter("ignore", UserWarning)
    molecules, frames = _liquid(n_frames=4, n_li=2, n_an=2, n_so=4)
    return _universe(molecules, frames)


@pytest.mark.parametrize("frames, shown", [
    ([], r"frames=\[\] \(0 given\)"),
    (np.zeros(4, dtype=bool), r"frames=a mask selecting 0 of 4"),
    (np.array([], dtype=int), r"frames=\[\] \(0 given\)"),
])
def test_an_empty_selection_is_shown_as_given(universe, frames, shown):
    rdf = mdae.IntraInterRDF(universe.atoms, range=(0.0, 4.0), nbins=20)
    with pytest.raises(ValueError, match=f"no frames analysed.*{shown}.*gives 0 of the "
                                         f"trajectory's 4 frames"):
        rdf.run(frames=frames)


def test_a_long_selection_is_shortened():
    from mda_electrolyte.analysis_base import _frames_text

    assert _frames_text(list(range(10))) == "[0, 1, 2, 3, 4, 5, ...] (10 given)"
    assert _frames_text(None) == "None"
    assert _frames_text(np.array([True, False, True])) == "a mask selecting 2 of 3"


@pytest.mark.parametrize("pick", [slice(0, 2), slice(-3, None), [5]])
def test_a_repeated_atom_is_named_by_its_index(universe, pick):
    """``check_atomgroup`` read the atom indices as positions in ``group.ix``: an IndexError
    for a group of few atoms high in the Universe, another atom's index named otherwise."""
    from mda_electrolyte.analysis_base import check_atomgroup

    atoms = universe.atoms[-6:]
    twice = atoms[pick]
    with pytest.raises(ValueError, match=rf"holds {len(twice)} atom\(s\) more than once "
                                         rf"\(e\.g\. index {twice.ix.min()}\)"):
        check_atomgroup("the ions", atoms + twice)
