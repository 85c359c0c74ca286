"""``electrolyte simulate --units/--ratio`` accept the words the Python API and plans accept.

``composition_counts``, ``electrolyte_box`` and screening plans read ``mol/kg``, ``mol/L``,
``weight``, ``molar`` (a mole ratio, as ``--ratio``) through one reader,
:func:`ase_electrolyte.build.composition_word`; the command had argparse choices of its own
and refused them ("invalid choice: 'mol/kg'"). A word that is ambiguous or unknown is refused
in one line, exit status 2, before a box is packed or a model loaded.
"""

import pytest
import test_cli_composition_options as options
from test_cli_composition_options import _simulate

packing = options.packing  # the fixture: counts the command would pack, no model loaded

_SALT = ["--solvent", "EC:3,EMC:7", "--salt", "LiPF6", "--concentration", "1",
         "--n-atoms", "400"]


@pytest.mark.parametrize("canonical, spellings", [
    (["--units", "molal"], [["--units", "mol/kg"], ["--units", " Molality"]]),
    (["--ratio", "mass"], [["--ratio", "weight"], ["--ratio", "wt"]]),
    (["--ratio", "mole"], [["--ratio", "molar"], ["--ratio", "mole fraction"]]),
])
def test_a_spelling_packs_the_box_its_canonical_word_packs(canonical, spellings, packing,
                                                           tmp_path, capsys):
    for words in [canonical, *spellings]:
        assert _simulate(_SALT + words, tmp_path / "run", capsys) == "packed"
    assert all(counts == packing[0] for counts in packing[1:])
    assert len(packing) == 1 + len(spellings)


def test_mol_per_litre_is_molar_and_needs_a_density(packing, tmp_path, capsys):
    assert _simulate(_SALT + ["--units", "mol/L"], tmp_path / "run") == 2
    assert "needs the solution's --density" in capsys.readouterr().err
    assert not packing


@pytest.mark.parametrize("words, said", [
    (["--units", "M"], "case"),
    (["--units", "mole"], "ratio"),
    (["--ratio", "molal"], "units"),
    (["--units", "furlongs"], "molal"),
])
def test_an_unknown_or_ambiguous_word_is_one_line_before_any_work(words, said, packing,
                                                                   tmp_path, capsys):
    with pytest.raises(SystemExit) as done:  # argparse's own refusal of an argument
        _simulate(_SALT + words, tmp_path / "run")
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert words[0] in err and said in err
    assert not packing
