"""``electrolyte simulate``'s refusals of a composition name what the user typed.

Before: a box too small for the composition was refused with the builder's Python words,
``--n-atoms 20 is too small to hold every solvent and ion of 1.0 molal LiPF6 in {'EC': 1.0}:
... (counts would be {'EC': 2}); give --n-atoms 61 or more``: the shares as a Python dict
where the user had typed ``--solvent EC``, and the counts it would pack as the keyword
``counts`` and a dict, not the ``--counts`` that packs them. Now the dicts are written as the
options read them (``EC:1``, ``--counts would be EC:2``), which
:func:`ase_electrolyte.species.parse_shares` reads back to the same numbers.
"""

import ast
import functools
import re

import pytest
from test_cli50_counts_box import _ARGS, nothing_packed  # noqa: F401

from ase_electrolyte.build import composition_counts
from ase_electrolyte.species import parse_shares
from electrolyte_cli.arguments import _mapping_as_typed, _option_in_front

#: (options, the same composition as composition_counts' arguments)
TOO_SMALL = [
    (["--solvent", "EC", "--salt", "LiPF6", "--concentration", "1", "--n-atoms", "20"],
     ({"EC": 1.0}, "LiPF6", 1.0), {"n_atoms": 20}),
    (["--solvent", "EC:3,EMC:7", "--salt", "LiPF6", "--concentration", "0.001",
      "--n-atoms", "200"], ({"EC": 3.0, "EMC": 7.0}, "LiPF6", 0.001), {"n_atoms": 200}),
    (["--solvent", "EC:1,DMC:1e-6", "--n-atoms", "100"], ({"EC": 1.0, "DMC": 1e-6}, None, 0.0),
     {"n_atoms": 100}),
    (["--solvent", "H2O", "--salt", "LiPF6", "--concentration", "1", "--units", "molar",
      "--density", "1.2", "--n-atoms", "20"], ({"H2O": 1.0}, "LiPF6", 1.0),
     {"n_atoms": 20, "units": "molar", "density": 1.2}),
    (["--solvent", "EC:1,EMC:1", "--ratio", "volume", "--salt", "LiFSI",
      "--concentration", "0.01", "--n-atoms", "300"], ({"EC": 1.0, "EMC": 1.0}, "LiFSI", 0.01),
     {"n_atoms": 300, "ratio": "volume"}),
]


def _library_dicts(composition, keywords):
    """The dicts the builder's own refusal of this composition names, in order."""
    with pytest.raises(ValueError) as caught:
        composition_counts(*composition, **keywords)
    return [ast.literal_eval(d) for d in re.findall(r"\{[^{}]*\}", str(caught.value))]


@pytest.mark.parametrize("options, composition, keywords", TOO_SMALL)
def test_a_box_too_small_is_refused_in_the_options_words(options, composition, keywords,
                                                         tmp_path, capsys, nothing_packed):  # noqa: F811
    from electrolyte_cli import main

    out = tmp_path / "run"
    status = main(_ARGS + options + ["-o", str(out)])
    err = capsys.readouterr().err
    assert status == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert not out.exists()
    line = err.removeprefix("electrolyte simulate: error: ")
    # no Python: no keyword, no dict
    assert "n_atoms" not in line and "{" not in line and "counts would be" not in line.replace(
        "--counts would be", ""), line
    assert line.startswith(f"--n-atoms {keywords['n_atoms']} is too small"), line
    # the same numbers as the builder's, in the options' notation: read back by the options'
    # reader, each dict the library named is in the line
    shown = re.findall(r"(?:(?<= in )|(?<= of )|(?<=--counts would be ))"
                       r"([A-Za-z0-9]+:[-+.eE0-9]+(?:,[A-Za-z0-9]+:[-+.eE0-9]+)*)", line)
    expected = _library_dicts(composition, keywords)
    assert [parse_shares(text, "--counts") for text in shown] == [
        {k: float(v) for k, v in d.items()} for d in expected], (shown, expected)
    counts = parse_shares(line.split("--counts would be ")[1].split(")")[0], "--counts")
    assert sum(counts.values()) > 0


@pytest.mark.parametrize("mapping", [
    {"EC": 2},
    {"EC": 3.0, "EMC": 7.0},
    {"DMC": 1e-06, "EC": 1.0},
    {"H2O": 333334, "Li": 1, "PF6": 1},
    {"EC": 1234567, "FEC": 0.1},
    {"EC": 2.5e-300},
])
def test_a_dict_of_names_to_numbers_reads_back_as_the_options_read_it(mapping):
    text = _mapping_as_typed(f"counts would be {mapping}; give more")
    assert text.startswith("counts would be ") and text.endswith("; give more")
    typed = text.removeprefix("counts would be ").removesuffix("; give more")
    assert "e+" not in typed  # a count of a million is written out, not 1.23457e+06
    assert parse_shares(typed, "--counts") == {k: float(v) for k, v in mapping.items()}


@pytest.mark.parametrize("text", [
    "a set {'EC'} of names",
    "{'EC': 'many'} is text",
    "{1: 2} has no names",
    "flag {'EC': True}",
    "empty {} dict",
    "format {x} field",
    "unbalanced {'EC': 2",
])
def test_other_braces_are_left_as_they_are(text):
    assert _mapping_as_typed(text) == text


@pytest.mark.parametrize("text, renamed", [
    ("(counts would be EC:2)", "(--counts would be EC:2)"),
    ("counts would be EC:2", "--counts would be EC:2"),
    ("the recounts would be fine", None),
    ("counts would bear", None),
])
def test_a_phrase_keyword_is_replaced_where_it_stands(text, renamed):
    assert _option_in_front(text, {"counts would be": "--counts would be"}) == renamed


def _simulate(options, tmp_path, capsys):
    from electrolyte_cli import main

    out = tmp_path / "run"
    status = main(_ARGS + options + ["-o", str(out)])
    err = capsys.readouterr().err
    assert status == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err.removeprefix("electrolyte simulate: error: ").rstrip("\n")


_NOTE = ("(Python only): a keyword of the box builder in Python (ase_electrolyte.build), not "
         "an option of electrolyte simulate")


def _unmarked(line, names):
    """The names of ``names`` in ``line`` not followed by the Python-only mark."""
    from electrolyte_cli.arguments import PYTHON_ONLY

    found = []
    for name in names:
        for match in re.finditer(rf"(?<![\w-]){re.escape(name)}(?!\w)", line):
            rest = line[match.end():]
            # the mark follows the name, its "=value" or its call's arguments
            rest = re.sub(r"^(=[^\s,;)]*|\((?:[^()]|\([^()]*\))*\))", "", rest)
            if not rest.lstrip().startswith(PYTHON_ONLY):
                found.append(name)
    return found


def test_a_box_packmol_cannot_pack_in_time_marks_the_builders_python(tmp_path, capsys,
                                                                     monkeypatch):
    import ase_electrolyte.build
    import electrolyte_cli.arguments

    def forbidden(*args, **kwargs):
        raise AssertionError("packed or loaded before the refusal")

    monkeypatch.setattr(ase_electrolyte.build, "_run_packmol", forbidden)
    monkeypatch.setattr(electrolyte_cli.arguments, "make_calculator", forbidden)
    line = _simulate(["--counts", "H2O=300000"], tmp_path, capsys)
    assert "packmol_timeout" in line and "replicate_box" in line, line
    assert _unmarked(line, ["packmol_timeout", "replicate_box"]) == [], line
    assert line.count(_NOTE) == 1, line
    assert not (tmp_path / "run" / "initial.extxyz").exists()


#: (what the builder says, what simulate's line says)
BUILDER_SAYS = [
    (ValueError("give a longer packmol_timeout"),
     f"give a longer packmol_timeout (Python only); {_NOTE}"),
    (RuntimeError("PACKMOL stopped after its loops (packmol_nloop=3 given); give more"),
     f"PACKMOL stopped after its loops (packmol_nloop=3 (Python only) given); give more; "
     f"{_NOTE}"),
    (ValueError("give density= in g/cm³ from a measurement"),
     "give --density in g/cm³ from a measurement"),
    (ValueError("counts {'EC': 0, 'Li': 0} hold no molecule to pack"),
     "--counts EC:0,Li:0 hold no molecule to pack"),
    (ValueError("seed=5 cannot draw; give tolerance=1.5 or spread_cations=False"),
     f"--seed 5 cannot draw; give tolerance=1.5 (Python only) or spread_cations=False "
     f"(Python only); {_NOTE}"),
    (RuntimeError("PACKMOL failed: give a lower density or a larger tolerance"),
     "PACKMOL failed: give a lower density or a larger tolerance"),
]


@pytest.mark.parametrize("raised, said", BUILDER_SAYS)
def test_the_builders_refusal_names_options_and_marks_python(raised, said, tmp_path, capsys,
                                                            monkeypatch):
    import ase_electrolyte.build
    import electrolyte_cli.arguments

    # the builder's own signature, which names its keywords
    @functools.wraps(ase_electrolyte.build.electrolyte_box)
    def refuse(*args, **kwargs):
        raise raised

    def forbidden(*args, **kwargs):
        raise AssertionError("loaded after the builder's refusal")

    monkeypatch.setattr(ase_electrolyte.build, "electrolyte_box", refuse)
    monkeypatch.setattr(electrolyte_cli.arguments, "make_calculator", forbidden)
    line = _simulate(["--counts", "EC=3,Li=1,PF6=1"], tmp_path, capsys)
    assert line.startswith(said), line
    assert _unmarked(line, ["packmol_timeout", "packmol_nloop", "tolerance=",
                            "spread_cations", "replicate_box"]) == [], line
