"""An analysis' name is read in any case, once, wherever it is given.

``electrolyte analyze --only DENSITY`` is read as ``density``; ``run_analyses(only=["Density"])``
and a screening plan's ``analyses = ["Diffusion"]`` were refused as unknown, and a misspelling
got the list of every name but no hint. All three read through ``report.analysis_names`` now.
"""

import pytest
from cli_inputs import empty_registry, two_atoms

from ase_electrolyte.screen import PlanError, load_plan
from mda_electrolyte import report


@pytest.fixture
def counted(monkeypatch):
    empty_registry(monkeypatch)
    runs = []

    @report.register_analysis("counted_atoms", needs=("box",))
    def counted_atoms(universe, outdir, *, calculator=None, verbose=False):
        runs.append(outdir)
        return {"n_atoms": universe.atoms.n_atoms}

    return runs


@pytest.mark.parametrize("given", [["Counted_Atoms"], [" counted_atoms "], ["COUNTED_ATOMS",
                                                                           "counted_atoms"]])
def test_run_analyses_reads_a_name_in_any_case_once(counted, tmp_path, given):
    summary = report.run_analyses(two_atoms(box=10.0), tmp_path / "out", only=given)
    assert len(counted) == 1
    assert summary["counted_atoms"]["n_atoms"] == 2


def test_a_misspelt_name_is_refused_with_the_closest_before_any_analysis(counted, tmp_path):
    with pytest.raises(ValueError, match=r"unknown analyses \['counted_atom'\] \(did you mean "
                                         r"'counted_atoms'\?\)"):
        report.run_analyses(two_atoms(box=10.0), tmp_path / "out", only=["counted_atom"])
    assert counted == [] and not (tmp_path / "out").exists()


def _plan(analyses):
    return load_plan({
        "name": "names", "seed": 3, "replicas": 1, "temperatures": [298], "n_atoms": 400,
        "analyses": analyses,
        "model": {"calculator": "ase.calculators.emt:EMT", "device": "cpu"},
        "composition": [{"solvent": "EC", "salt": "LiPF6", "concentration": 1.0}],
    })


def test_a_plan_reads_analysis_names_in_any_case():
    upper = _plan(["Diffusion", "SOLVATION_SHELLS", "diffusion"])
    lower = _plan(["diffusion", "solvation_shells"])
    assert upper.analyses == ["diffusion", "solvation_shells"]
    assert upper.fingerprint() == lower.fingerprint()
    with pytest.raises(PlanError, match="did you mean 'diffusion'"):
        _plan(["difusion"])
