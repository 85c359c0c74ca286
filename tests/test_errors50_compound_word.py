"""``compound`` is read as one word wherever the model diagnostics take frames.

``compound="Residues"`` (any case, as :func:`ase_electrolyte.option_words.choice_word` reads
it) passed the molecule assignment but skipped the check for residues cut by the selection,
which compared the raw word: the lone carbon of a CO2 cut by ``u.atoms[:10]`` was taken as a
molecule and its "isolated" energy subtracted as the intramolecular part. A list of Atoms took
any word (``None``, ``"molecules"``) without a look.
"""

import sys
import warnings
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from molecular_pair_model import MolecularPairModel  # noqa: E402
from test_intra_inter_errors import _frame  # noqa: E402

from mda_electrolyte.intra_inter_errors import IntraInterErrors  # noqa: E402
from mda_electrolyte.model_frames import FrameSource  # noqa: E402
from mda_electrolyte.volume_scan import RigidVolumeScan  # noqa: E402

FRAMES = [_frame(seed=s) for s in range(3)]


def _universe():
    return FrameSource(FRAMES).atomgroup.universe


@pytest.mark.parametrize("word", ["residues", "Residues", "RESIDUES", " residues "])
@pytest.mark.parametrize("analysis", [IntraInterErrors, RigidVolumeScan, "source"])
def test_a_cut_residue_is_refused_however_residues_is_spelled(word, analysis):
    # atoms 0-9: water and methanol whole, CO2 (residue 2) cut to its carbon
    cut = _universe().atoms[:10]
    with pytest.raises(ValueError, match=r"holds part of 1 residue\(s\).*select whole "
                                         r"molecules"):
        if analysis == "source":
            FrameSource(cut, compound=word)
        else:
            analysis(cut, MolecularPairModel(), compound=word)


@pytest.mark.parametrize("word", ["Residues", "FRAGMENTS", " fragments"])
def test_the_word_in_another_case_gives_the_same_molecules(word):
    u = _universe()
    u.guess_TopologyAttrs(to_guess=["bonds"], box=u.dimensions)
    want = FrameSource(u.atoms, compound=word.strip().lower())
    got = FrameSource(u.atoms, compound=word)
    assert got.ids.tolist() == want.ids.tolist()
    assert got.species == want.species


@pytest.mark.parametrize("word", [None, "molecules", 3, "residue"])
@pytest.mark.parametrize("frames", ["atoms", "universe"])
def test_an_unknown_compound_is_named_for_atoms_lists_too(word, frames):
    given = FRAMES if frames == "atoms" else _universe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=r"compound must be one of \('residues', "
                                             r"'fragments'\)"):
            IntraInterErrors(given, MolecularPairModel(), compound=word)
