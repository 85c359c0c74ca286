"""A from-scratch ``base`` dict is checked before any data is read or folder written.

sevenn ignores a model key it does not know, so ``{"cuttoff": 3.2}`` trained a model of its
default 4.5 Å cutoff without a word; other bad values failed inside sevenn or e3nn after the
data were preprocessed ("Class values must be non-negative" for species lacking an element,
"training diverged ... lower lr" for a cutoff within which no atoms are, a JSON error for a
NaN cutoff). Each is now a ValueError naming the key, raised before ``out`` exists.
"""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from tiny_models import TINY, emt_copper  # noqa: E402

from ase_electrolyte.finetuning import finetune  # noqa: E402


@pytest.fixture(scope="module")
def copper():
    return emt_copper(4)


@pytest.mark.parametrize("config,match", [
    ({"channel": 4, "lmax": 1, "num_convolution_layer": 1, "cuttoff": 3.2},
     r"'cuttoff' is not a sevenn model key \(did you mean 'cutoff'\?\)"),
    (dict(TINY, cutoff=float("nan")), r"base\['cutoff'\] \(Å\) must be a finite number > 0"),
    (dict(TINY, cutoff=-1.0), r"base\['cutoff'\] \(Å\) must be a finite number > 0"),
    (dict(TINY, channel=0), r"base\['channel'\] must be a whole number >= 1"),
    (dict(TINY, lmax=-1), r"base\['lmax'\] must be a whole number >= 0"),
    (dict(TINY, chemical_species="Cu"), r"'auto' .* or a list of element symbols"),
    (dict(TINY, chemical_species=["O"]), r"\['O'\] lacks the element\(s\) Cu"),
    # the nearest copper neighbours are 2.3-2.7 Å apart: a 1.5 Å model sees none
    (dict(TINY, cutoff=1.5), r"base\['cutoff'\] 1.5 Å: no two atoms of any training frame"),
], ids=["typo", "nan-cutoff", "negative-cutoff", "no-channel", "negative-lmax",
        "species-string", "species-lacking", "cutoff-below-neighbours"])
def test_a_bad_scratch_config_is_named_before_any_work(copper, tmp_path, config, match):
    out = tmp_path / "run"
    with pytest.raises(ValueError, match=match):
        finetune(config, copper, epochs=1, out=out, device="cpu", plot=False)
    assert not out.exists()


def test_species_beyond_the_data_and_the_cutoff_are_kept(copper, tmp_path):
    from sevenn.util import load_checkpoint

    res = finetune(dict(TINY, chemical_species=["Cu", "O"], cutoff=3.0), copper, epochs=1,
                   out=tmp_path / "run", device="cpu", plot=False)
    config = load_checkpoint(str(res.checkpoint)).config
    assert float(config["cutoff"]) == 3.0
    assert set(config["chemical_species"]) == {"Cu", "O"}
