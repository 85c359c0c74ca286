"""An analysis is named by the words a user reads, in any case and spelling of its separators.

Before: ``analysis_names(["GREEN_KUBO_CONDUCTIVITY "])`` was read but ``"Green-Kubo
conductivity"`` (the words of the figures' titles and the report's headings) and ``"green kubo
conductivity"`` were unknown analyses, and ``electrolyte analyze --only`` had a reading of its
own (arguments.choice).
"""

import pytest

from ase_electrolyte.screen import PlanError, load_plan
from electrolyte_cli.analyze import _analysis_names
from mda_electrolyte.report import analysis_names, registered_analyses


def _spellings(name):
    words = name.split("_")
    return [
        " ".join(words).title(),                       # "Green Kubo Conductivity"
        "-".join(words[:-1]).title() + " " + words[-1] if len(words) > 1 else name.upper(),
        "–".join(words).capitalize(),                  # en dash, as the figures' titles
        f" {name.upper()} ",
        " - ".join(words),
    ]


@pytest.mark.parametrize("name", list(registered_analyses()))
def test_every_analysis_is_read_in_the_words_of_a_heading(name):
    for given in _spellings(name):
        assert analysis_names([given]) == [name], given
        assert _analysis_names([given]) == [name], given
    assert analysis_names(_spellings(name) + [name]) == [name]  # once


def test_report_words_name_the_transport_analyses():
    assert analysis_names(["Green-Kubo conductivity", "Einstein–Helfand conductivity",
                           "Nernst-Einstein", "intra/inter RDF", "Solvation shells"]) == [
        "green_kubo_conductivity", "einstein_helfand_conductivity", "nernst_einstein",
        "intra_inter_rdf", "solvation_shells"]


# "einstein helfand" and "solvation shell" were near misses here; they are now short names
# that mean one analysis each (cli26: mda_electrolyte.report.ANALYSIS_ALIASES), so misspelt
# words stand in for them
@pytest.mark.parametrize("given, close", [
    ("Green-Kubo conductivty", "green_kubo_conductivity"),
    ("einstien helfand conductivty", "einstein_helfand_conductivity"),
    ("solvaton shels", "solvation_shells"),
    ("densty", "density"),
])
def test_a_near_miss_is_refused_naming_the_analysis(given, close):
    with pytest.raises(ValueError, match=rf"unknown analyses \[{given!r}\] \(did you mean "
                                         rf"{close!r}\?\)"):
        analysis_names([given])
    with pytest.raises(ValueError, match=rf"^--only: unknown analyses.*{close!r}"):
        _analysis_names([given])


def test_the_words_do_not_merge_two_names():
    # separators are read alike, letters are not dropped: no name reaches another
    keys = {n.replace("_", "") for n in registered_analyses()}
    assert len(keys) == len(registered_analyses())
    with pytest.raises(ValueError, match="unknown analyses"):
        analysis_names(["greenkuboconductivity"])


def test_a_plan_reads_the_words_of_a_heading():
    def plan(analyses):
        return load_plan({
            "name": "names", "seed": 3, "replicas": 1, "temperatures": [298], "n_atoms": 400,
            "analyses": analyses,
            "model": {"calculator": "ase.calculators.emt:EMT", "device": "cpu"},
            "composition": [{"solvent": "EC", "salt": "LiPF6", "concentration": 1.0}],
        })

    worded = plan(["Green-Kubo conductivity", "Solvation shells"])
    plain = plan(["green_kubo_conductivity", "solvation_shells"])
    assert worded.analyses == plain.analyses
    assert worded.fingerprint() == plain.fingerprint()
    with pytest.raises(PlanError, match="did you mean 'green_kubo_conductivity'"):
        plan(["Green-Kubo conductivty"])


@pytest.mark.parametrize("names, said", [
    ([5, "density"], "not 5 (int)"), ([["density"]], "not ['density'] (list)"),
    ("density", "not the string 'density'")])
def test_names_that_are_no_strings_are_named(names, said):
    # a mixed list failed in sorting ('<' not supported between str and int), a nested one
    # as unhashable
    with pytest.raises(TypeError, match=__import__("re").escape(said)):
        analysis_names(names)
