# ruff: noqa: F811 (the fixtures imported from test_cli_analyze_inputs are parameters here)
"""The analyses declare what their input must hold, so ``electrolyte analyze`` refuses what
cannot be analysed before reading it (``tests/test_cli_analyze_inputs.py`` tests the
mechanism with stand-in declarations; these are the real ones):

* density and viscosity read the per-step observables of a ``run_md`` H5MD file
  (``"observables"``): ``--only density`` of an extxyz read the whole trajectory, then skipped;
* transport (diffusion, conductivities, viscosity) is a property of the dynamics, which a
  stage integrated with hydrogen at 3 amu does not have (``"real masses"``): its D and σ are
  those of heavier molecules;
* structure is not: the RDF and the shells of a heavy-hydrogen stage are the liquid's.
* ``electrolyte diagnose`` of a trajectory still being written is refused as ``analyze`` is.
"""

import warnings

import pytest
from test_cli_analyze_inputs import _refused, heavy_hydrogen, inputs, unread  # noqa: F401

from mda_electrolyte import report

TRANSPORT = ("diffusion", "green_kubo_conductivity", "einstein_helfand_conductivity",
             "nernst_einstein", "viscosity")


def test_every_analysis_declares_what_it_reads():
    registry = report.registered_analyses()
    needs = {name: set(report._REGISTRY[name][1]) for name in registry}
    assert {"observables"} <= needs["density"] and {"observables"} <= needs["viscosity"]
    for name in TRANSPORT:
        assert "real masses" in needs[name], name
    for name in ("intra_inter_rdf", "solvation_shells", "density"):
        assert "real masses" not in needs[name], name


@pytest.mark.parametrize("only", ["density", "viscosity"])
def test_an_observable_analysis_of_frames_is_refused_unread(only, inputs, unread, capsys,
                                                            tmp_path):
    _, extxyz, _ = inputs
    err = _refused(["analyze", str(extxyz), "--only", only], capsys, tmp_path / "out")
    assert err.startswith(f"electrolyte analyze: error: --only {only}: the analysis needs "), err
    assert "observables (a run_md H5MD file)" in err


@pytest.mark.parametrize("only", TRANSPORT)
def test_transport_of_a_heavy_hydrogen_stage_is_refused(only, heavy_hydrogen, capsys,
                                                        tmp_path):
    err = _refused(["analyze", str(heavy_hydrogen), "--only", only], capsys, tmp_path / "out")
    assert "real masses (this run integrated hydrogen at 3 amu" in err, err


def test_structure_of_a_heavy_hydrogen_stage_is_analysed(heavy_hydrogen, tmp_path):
    from electrolyte_cli import main

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["analyze", str(heavy_hydrogen), "--only", "intra_inter_rdf", "-o",
                     str(tmp_path / "out"), "-q"]) == 0


def test_diagnose_of_a_trajectory_being_written_is_refused_unread(inputs, unread, capsys,
                                                                  tmp_path):
    from ase_electrolyte.writer_lock import WriterLock, lock_file

    h5md, _, _ = inputs
    with WriterLock(h5md, "trajectory") as claim:
        err = _refused(["diagnose", str(h5md), "--model", "sevennet-0"], capsys,
                       tmp_path / "out")
        assert claim.held and lock_file(h5md).exists()
    assert err.startswith(f"electrolyte diagnose: error: {h5md} is being written by "), err


def test_the_cli_refuses_the_npt_stages_the_protocol_cannot_average():
    """One threshold: the CLI's refusal of a too-short NPT stage and the protocol's mean volume
    after detected equilibration use the same fewest samples."""
    import numpy as np

    from electrolyte_cli.simulate import MIN_MEAN_VOLUME_SAMPLES
    from mda_electrolyte.uncertainty import MIN_SERIES_SAMPLES, detect_equilibration

    assert MIN_MEAN_VOLUME_SAMPLES == MIN_SERIES_SAMPLES
    # the fewest samples are enough for the detection, one fewer is not
    x = np.array([1.0, 1.1, 0.9, 1.05, 0.95])
    detect_equilibration(x[:MIN_SERIES_SAMPLES])
    with pytest.raises(ValueError, match=f"at least {MIN_SERIES_SAMPLES} samples"):
        detect_equilibration(x[:MIN_SERIES_SAMPLES - 1])
