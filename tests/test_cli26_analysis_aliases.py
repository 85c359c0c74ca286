"""The short names a chemist types name an analysis, or every analysis they could mean.

Before: ``electrolyte analyze --only rdf`` was an unknown analysis with no near miss (the
analysis is ``intra_inter_rdf``), as were msd, gk, eh, shells and solvation; ``conductivity``
named nothing either. Now one table (``mda_electrolyte.report.ANALYSIS_ALIASES``), read by the
one analysis-name reader of ``--only``, ``run_analyses`` and screening plans, maps each short
name to what it means; a name that means several analyses is refused naming all of them.
"""

import re

import pytest

from ase_electrolyte.screen import PlanError, load_plan
from electrolyte_cli import main
from electrolyte_cli.analyze import _analysis_names
from mda_electrolyte.report import ANALYSIS_ALIASES, analysis_names, registered_analyses

_ONE = {alias: meant[0] for alias, meant in ANALYSIS_ALIASES.items() if len(meant) == 1}
_SEVERAL = {alias: meant for alias, meant in ANALYSIS_ALIASES.items() if len(meant) > 1}


def test_the_table_names_registered_analyses_and_shadows_none():
    known = registered_analyses()
    assert all(name in known for meant in ANALYSIS_ALIASES.values() for name in meant)
    # an alias spelt like a registered name would hide it: the registered name wins, but the
    # table must not carry such a row at all
    from mda_electrolyte.report import _analysis_key

    assert not {_analysis_key(a) for a in ANALYSIS_ALIASES} & {_analysis_key(n) for n in known}
    # every analysis a chemist asks for by a short name in the issue is covered
    for word, name in [("rdf", "intra_inter_rdf"), ("msd", "diffusion"),
                       ("gk", "green_kubo_conductivity"), ("eh", "einstein_helfand_conductivity"),
                       ("shells", "solvation_shells"), ("solvation", "solvation_shells")]:
        assert _ONE[word] == name


@pytest.mark.parametrize("alias", sorted(_ONE))
def test_a_short_name_of_one_analysis_is_read_in_any_case_by_every_reader(alias):
    name = _ONE[alias]
    for given in (alias, alias.upper(), f" {alias.title()} ", alias.replace(" ", "-")):
        assert analysis_names([given]) == [name], given
        assert _analysis_names([given]) == [name], given
    # with the registered name beside it: once
    assert analysis_names([alias, name]) == [name]


@pytest.mark.parametrize("alias", sorted(_SEVERAL))
def test_a_name_of_several_analyses_is_refused_naming_each(alias):
    with pytest.raises(ValueError) as caught:
        analysis_names([alias.upper()])
    said = str(caught.value)
    assert all(name in said for name in _SEVERAL[alias]), said
    with pytest.raises(ValueError, match=r"^--only: .*means any of"):
        _analysis_names([alias])


def test_a_misspelt_short_name_gets_its_analysis_as_near_miss():
    with pytest.raises(ValueError, match=r"did you mean 'intra_inter_rdf'\?"):
        analysis_names(["rdff"])
    with pytest.raises(ValueError, match=r"did you mean 'solvation_shells'\?"):
        analysis_names(["shels"])


def test_a_plan_reads_short_names_as_the_command_does():
    def plan(analyses):
        return load_plan({
            "name": "aliases", "seed": 3, "replicas": 1, "temperatures": [298], "n_atoms": 400,
            "analyses": analyses,
            "model": {"calculator": "ase.calculators.emt:EMT", "device": "cpu"},
            "composition": [{"solvent": "EC", "salt": "LiPF6", "concentration": 1.0}],
        })

    short = plan(["RDF", "msd", "GK"])
    plain = plan(["intra_inter_rdf", "diffusion", "green_kubo_conductivity"])
    assert short.analyses == plain.analyses
    assert short.fingerprint() == plain.fingerprint()
    with pytest.raises(PlanError, match="green_kubo_conductivity, einstein_helfand"):
        plan(["conductivity"])


def test_the_command_names_every_analysis_a_short_name_may_mean(tmp_path, capsys,
                                                                 monkeypatch):
    from cli_inputs import water_frames

    monkeypatch.chdir(tmp_path)
    water_frames("w.extxyz", 2)
    assert main(["analyze", "w.extxyz", "--only", "rdf,Conductivity", "-o", "an"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert re.search(r"--only: 'Conductivity' means any of green_kubo_conductivity, "
                     r"einstein_helfand_conductivity, nernst_einstein", err), err
    assert not (tmp_path / "an").exists()  # refused before any analysis


def test_the_list_shows_the_short_names_and_each_reads_back_as_its_line(capsys):
    assert main(["analyze", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == list(registered_analyses())
    shown = 0
    for line in lines:
        name = line.split()[0]
        found = re.search(r"\(also: (.+)\)$", line)
        for alias in found.group(1).split(", ") if found else ():
            assert analysis_names([alias]) == [name], (alias, line)
            shown += 1
    assert shown == len(_ONE)  # every short name of one analysis is listed, once
