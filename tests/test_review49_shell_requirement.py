"""The shells report declares that it needs shell cations, so ``--only`` refuses it before any
analysis runs.

``register_analysis`` took the requirement ``"shell cations"`` (single-atom Li/Na/K residues
with formal charges, judged from the topology alone by
:func:`mda_electrolyte.report.unmet_requirements`), but the shells report did not declare it:
``electrolyte analyze --only intra_inter_rdf,solvation_shells`` of water ran the RDFs, wrote
their figure, and only then skipped the shells and failed with exit status 2."""

import json

import pytest
from test_transport51_charged_species_needs import water  # noqa: F401

from mda_electrolyte import report
from mda_electrolyte.solvation import SHELL_CATIONS


@pytest.mark.parametrize("first", [True, False])
def test_only_refuses_the_shells_of_water_before_any_work(water, tmp_path, capsys,  # noqa: F811
                                                           first):
    from electrolyte_cli import main

    out = tmp_path / "analysis"
    order = ["solvation_shells", "intra_inter_rdf"]
    order = order if first else order[::-1]
    status = main(["analyze", str(water), "--only", ",".join(order), "-o", str(out)])
    err = capsys.readouterr().err
    assert status == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert "--only solvation_shells: the analysis needs shell cations (" in err, err
    assert not out.exists() or not any(out.iterdir())


def test_without_only_the_shells_are_skipped_up_front(water, tmp_path, capsys):  # noqa: F811
    from electrolyte_cli import main

    out = tmp_path / "analysis"
    assert main(["analyze", str(water), "-o", str(out)]) == 0, capsys.readouterr().err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["solvation_shells"]["skipped"].startswith("needs shell cations ("), summary
    assert "r_angstrom" in summary["intra_inter_rdf"]


def test_the_declaration_names_the_cations_the_shells_take():
    assert "shell cations" in report._REGISTRY["solvation_shells"][1]
    assert SHELL_CATIONS == ("Li", "Na", "K")
