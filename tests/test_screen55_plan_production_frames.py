"""A screening plan whose production cannot serve one of its analyses is refused when read.

A protocol of 0.3 ps written every 100 fs (4 frames) beside the default analyses ran every
task's whole MD, then diffusion and nernst_einstein refused ('the fit window holds 1 lag') and
einstein_helfand_conductivity ('4 frames cannot be split into 10 blocks'); 2 ps at 100 fs
(21 frames) the same for Einstein-Helfand. The plan now runs those analyses' own checks on a
synthetic production of its frame count and spacing before any task."""

import warnings
from pathlib import Path

import pytest

pytest.importorskip("rdkit")

from ase_electrolyte.screen import PlanError, load_plan  # noqa: E402

MODELS = str(Path(__file__).with_name("screen_models.py"))


def _plan(analyses, **protocol):
    return {
        "name": "frames", "seed": 7, "replicas": 1, "temperatures": [300], "n_atoms": 70,
        "analyses": analyses,
        "model": {"calculator": f"{MODELS}:lj", "device": "cpu", "options": {}},
        "protocol": {"relax_fmax": 20.0, "preequilibration_ps": 0.0, "equilibration_ps": 0.0,
                     "production_ensemble": "nvt", **protocol},
        "composition": [{"solvent": "EC", "salt": "LiPF6", "concentration": 4.0}],
    }


def _load(plan):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the 70-atom box's packing shortfall
        return load_plan(plan)


@pytest.mark.parametrize("analysis, production_ps, write_interval_fs, why", [
    ("diffusion", 0.3, 100.0, "holds 1 lag"),
    ("nernst_einstein", 0.3, 100.0, "holds 1 lag"),
    ("einstein_helfand_conductivity", 0.3, 100.0, "4 frames cannot be split into 10 blocks"),
    ("einstein_helfand_conductivity", 2.0, 100.0, "holds 0 lags"),
    ("einstein_helfand_conductivity", 0.01, 1.0, "11 frames cannot be split"),
    ("green_kubo_conductivity", 0.01, 1.0, "11 frames cannot be split"),
    ("viscosity", 0.01, 1.0, "a segment needs at least 4 samples"),
])
def test_an_analysis_the_production_cannot_serve_is_refused_with_the_setting(
        analysis, production_ps, write_interval_fs, why):
    plan = _plan([analysis, "solvation_shells"], production_ps=production_ps,
                 write_interval_fs=write_interval_fs)
    with pytest.raises(PlanError) as err:
        _load(plan)
    text = str(err.value)
    assert f"analysis {analysis} cannot work" in text
    assert f"production_ps = {production_ps:g} ps" in text
    assert why in text
    assert "leave the analysis out" in text


@pytest.mark.parametrize("analyses, production_ps, write_interval_fs", [
    # test_screen's task: 71 frames, ten blocks long enough for a diffusion fit
    (["diffusion"], 0.07, 1.0),
    # the per-step charge current is recorded whatever the frames' interval
    (["green_kubo_conductivity", "viscosity"], 0.3, 100.0),
    (["diffusion", "einstein_helfand_conductivity", "nernst_einstein"], 20.0, 100.0),
    # structure is averaged over what frames there are: no length refused
    (["solvation_shells", "intra_inter_rdf"], 0.3, 100.0),
])
def test_a_production_that_serves_its_analyses_passes(analyses, production_ps,
                                                       write_interval_fs):
    plan = _load(_plan(analyses, production_ps=production_ps,
                       write_interval_fs=write_interval_fs))
    assert plan.analyses == analyses


def test_a_sampling_interval_longer_than_the_frames_is_no_obstacle():
    """observe_interval_fs spaces the NPT stages' samples only: the production records the
    charge current every step, so Green-Kubo works with 1000 fs beside frames every 100 fs."""
    plan = _load(_plan(["green_kubo_conductivity", "einstein_helfand_conductivity"],
                       production_ps=20.0, write_interval_fs=100.0, observe_interval_fs=1000.0,
                       equilibration_ps=2.0))
    assert plan.protocol["observe_interval_fs"] == 1000.0
