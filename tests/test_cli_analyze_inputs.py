"""``electrolyte analyze`` on inputs that cannot give what is asked of them: refused before the
trajectory is read, or before any analysis runs.

* ``--only density`` (or ``viscosity``) of a file that is not an H5MD file of ``run_md`` read
  the whole trajectory and then skipped the analysis: the requirement ``"observables"`` of
  :func:`mda_electrolyte.report.register_analysis` is judged from the file's name first.
* Frames on which no analysis can run (no periodic box, not an H5MD file) skipped every
  analysis one by one and ended with exit status 0 and a summary of reasons only.
* The ``production.h5md`` of a run that is still going was analysed as far as it had been
  written and reported with exit status 0, as if of the finished run.
"""

import json
import warnings

import numpy as np
import pytest
from cli_inputs import free_run

from mda_electrolyte import report


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """``(h5md, extxyz, no_box)``: one short run_md trajectory of a packed 1 LiPF6 + 2 EC box,
    its frames as extxyz, and those frames without a periodic box."""
    pytest.importorskip("rdkit")
    import ase.io

    from ase_electrolyte.trajectory import h5md_info, read_h5md

    folder = tmp_path_factory.mktemp("inputs")
    h5md = free_run(folder / "production.h5md", {"EC": 2, "Li": 1, "PF6": 1}, steps=12,
                    timestep_fs=0.5, write_interval=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frames = [read_h5md(h5md, i) for i in range(h5md_info(h5md)["n_frames"])]
    for i, frame in enumerate(frames):
        frame.info["time_ps"] = 0.001 * i
    extxyz = folder / "frames.extxyz"
    ase.io.write(extxyz, frames)
    for frame in frames:
        frame.pbc = False
        frame.cell = None
    no_box = folder / "nobox.extxyz"
    ase.io.write(no_box, frames)
    return h5md, extxyz, no_box


@pytest.fixture
def declared(monkeypatch):
    """The density and the viscosity declare that they need the observables of a run_md H5MD
    file (they check it inside, after the trajectory has been read)."""
    report.registered_analyses()
    for name, needs in (("density", ("box", "observables")), ("viscosity", ("observables",))):
        func, _ = report._REGISTRY[name]
        monkeypatch.setitem(report._REGISTRY, name, (func, needs))


@pytest.fixture
def unread(monkeypatch):
    """Reading the trajectory fails the test."""
    import mda_electrolyte.bridge

    def forbidden(*args, **kwargs):
        raise AssertionError("the trajectory was read before the refusal")

    monkeypatch.setattr(mda_electrolyte.bridge, "from_ase", forbidden)


def _refused(argv, capsys, out):
    from electrolyte_cli import main

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        status = main(argv + ["-o", str(out), "-q"])
    err = capsys.readouterr().err
    assert status == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert not out.exists()  # no folder, no summary of nothing
    return err


def test_the_file_requirement_is_judged_by_name():
    assert report.unmet_file_requirements("run/production.h5md", ("observables",)) == []
    assert report.unmet_file_requirements("run/production.H5", ("box", "observables")) == []
    for name in ("frames.extxyz", "data.lmp", "x.traj", "production.h5md.bak"):
        assert report.unmet_file_requirements(name, ("observables",)) == [
            "observables (a run_md H5MD file)"]
    assert report.unmet_file_requirements("frames.extxyz", ("box", "velocities")) == []
    assert "observables" in report.REQUIREMENTS


def test_a_universe_meets_the_requirement_by_its_file(inputs):
    from mda_electrolyte.bridge import from_ase

    h5md, extxyz, _ = inputs
    assert report.unmet_requirements(from_ase(h5md), ("observables", "box"), None) == []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frames = from_ase(extxyz)
    assert report.unmet_requirements(frames, ("observables",), None) == [
        "observables (a run_md H5MD file)"]


@pytest.mark.parametrize("name", ["density", "viscosity"])
def test_only_an_h5md_analysis_of_another_file_is_refused_unread(name, inputs, declared,
                                                                 unread, capsys, tmp_path):
    _, extxyz, _ = inputs
    err = _refused(["analyze", str(extxyz), "--only", name], capsys, tmp_path / "out")
    assert err == (f"electrolyte analyze: error: --only {name}: the analysis needs observables "
                   f"(a run_md H5MD file), which {extxyz} is not; give the H5MD file of "
                   "electrolyte simulate\n"), err


def test_a_declared_requirement_skips_the_analysis_by_name(inputs, declared, tmp_path):
    """Without --only, the analysis is skipped with the requirement as the reason, and the
    others run."""
    from electrolyte_cli import main

    _, extxyz, _ = inputs
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["analyze", str(extxyz), "-o", str(tmp_path / "out"), "-q",
                     "--keep-going"]) == 0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["viscosity"] == {"skipped": "needs observables (a run_md H5MD file)"}
    assert summary["density"] == {"skipped": "needs observables (a run_md H5MD file)"}
    assert "skipped" not in summary["intra_inter_rdf"]


def test_frames_on_which_no_analysis_can_run_are_refused(inputs, declared, capsys, tmp_path):
    _, _, no_box = inputs
    err = _refused(["analyze", str(no_box)], capsys, tmp_path / "out")
    assert err.startswith(f"electrolyte analyze: error: no analysis can run on {no_box}: "), err
    assert "intra_inter_rdf needs box" in err and "viscosity needs observables" in err
    for name in report.registered_analyses():
        assert f"{name} needs " in err, name


def test_frames_with_a_box_are_analysed_as_before(inputs, declared, tmp_path):
    from electrolyte_cli import main

    h5md, _, _ = inputs
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["analyze", str(h5md), "-o", str(tmp_path / "out"), "-q",
                     "--only", "intra_inter_rdf,density"]) == 0
    assert (tmp_path / "out" / "summary.json").is_file()


def test_a_trajectory_being_written_is_refused_unread(inputs, unread, capsys, tmp_path):
    """The writer's claim is probed, not taken: nothing is created or removed beside the file,
    and the writer keeps its claim."""
    from ase_electrolyte.writer_lock import WriterLock, lock_file

    h5md, _, _ = inputs
    with WriterLock(h5md, "trajectory") as claim:
        beside = sorted(p.name for p in h5md.parent.iterdir())
        err = _refused(["analyze", str(h5md)], capsys, tmp_path / "out")
        assert claim.held and lock_file(h5md).exists()
        assert sorted(p.name for p in h5md.parent.iterdir()) == beside
    assert err.startswith(f"electrolyte analyze: error: {h5md} is being written by this "
                          "process: "), err  # another process's claim: tests of writer_of
    assert "analyse it when the run has finished" in err
    assert not lock_file(h5md).exists()  # the writer's release removed it, as before


def test_the_lock_file_of_a_killed_run_does_not_block_the_analysis(inputs, tmp_path):
    """A run killed with SIGKILL leaves its lock file without a lock: no writer."""
    from ase_electrolyte.writer_lock import lock_file
    from electrolyte_cli import main

    h5md, _, _ = inputs
    left = lock_file(h5md)
    left.write_text(json.dumps({"pid": 999999, "host": "elsewhere"}))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert main(["analyze", str(h5md), "-o", str(tmp_path / "out"), "-q",
                         "--only", "intra_inter_rdf"]) == 0
        assert left.read_text() == json.dumps({"pid": 999999, "host": "elsewhere"})
    finally:
        left.unlink()


def test_an_analysis_asked_for_that_refuses_its_input_is_an_error(inputs, capsys, tmp_path):
    """One frame holds no displacement: the diffusion refuses it. Asked for by name, that is
    exit status 2 naming the reason (was 0 with a summary of the refusal only); the summary
    with the reason is still written."""
    import ase.io

    from electrolyte_cli import main

    _, extxyz, _ = inputs
    one = tmp_path / "one.extxyz"
    ase.io.write(one, ase.io.read(extxyz, index=0))
    for extra in ([], ["--keep-going"]):
        out = tmp_path / f"out{len(extra)}"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            status = main(["analyze", str(one), "--only", "diffusion", "-o", str(out), "-q",
                           *extra])
        err = capsys.readouterr().err
        assert status == 2, err
        assert err.startswith("electrolyte analyze: error: --only: refused, no result: "
                              "diffusion ("), err
        assert "refused" in json.loads((out / "summary.json").read_text())["diffusion"]


def test_an_analysis_asked_for_that_fails_under_keep_going_is_an_error(inputs, capsys,
                                                                      monkeypatch, tmp_path):
    from electrolyte_cli import main

    _, extxyz, _ = inputs
    report.registered_analyses()

    def broken(universe, outdir, *, calculator=None, verbose=False):
        raise RuntimeError("a bug in the analysis")

    monkeypatch.setitem(report._REGISTRY, "broken", (broken, ()))
    out = tmp_path / "out"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        status = main(["analyze", str(extxyz), "--only", "broken,intra_inter_rdf",
                       "--keep-going", "-o", str(out), "-q"])
    err = capsys.readouterr().err
    assert status == 2, err
    assert err.startswith("electrolyte analyze: error: --only: failed, no result: broken ("), err
    summary = json.loads((out / "summary.json").read_text())
    assert "failed" in summary["broken"] and "failed" not in summary["intra_inter_rdf"]


@pytest.fixture(scope="module")
def heavy_hydrogen(tmp_path_factory):
    """A run_md H5MD file of dynamics with hydrogen at 3 amu (the 2 fs pre-equilibration of
    Ju et al. 2025)."""
    pytest.importorskip("rdkit")
    return free_run(tmp_path_factory.mktemp("heavy") / "preequilibration.h5md",
                    {"EC": 2, "Li": 1, "PF6": 1}, steps=12, timestep_fs=2.0, write_interval=2,
                    hydrogen_mass=3.0)


def test_dynamics_with_raised_hydrogen_masses_do_not_meet_real_masses(inputs, heavy_hydrogen):
    from mda_electrolyte.bridge import from_ase

    h5md, extxyz, _ = inputs
    heavy = from_ase(heavy_hydrogen)
    assert report.unmet_requirements(heavy, ("real masses",), None) == [
        "real masses (this run integrated hydrogen at 3 amu: analyse the production stage)"]
    # the structure of such a run is that of real masses (classical equilibrium): no other
    # requirement is touched, and the Universe carries hydrogen's real mass
    assert report.unmet_requirements(heavy, ("box", "observables"), None) == []
    h = heavy.select_atoms("element H")
    assert np.allclose(h.masses, 1.008, atol=1e-3)
    assert report.unmet_requirements(from_ase(h5md), ("real masses",), None) == []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert report.unmet_requirements(from_ase(extxyz), ("real masses",), None) == []


def test_a_transport_analysis_of_a_heavy_hydrogen_stage_is_refused_by_name(
        heavy_hydrogen, monkeypatch, capsys, tmp_path):
    from electrolyte_cli import main

    report.registered_analyses()
    func, _ = report._REGISTRY["diffusion"]
    monkeypatch.setitem(report._REGISTRY, "diffusion", (func, ("box", "real masses")))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        status = main(["analyze", str(heavy_hydrogen), "--only", "diffusion", "-o",
                       str(tmp_path / "out"), "-q"])
    err = capsys.readouterr().err
    assert status == 2, err
    assert err == ("electrolyte analyze: error: --only diffusion: the analysis needs real "
                   "masses (this run integrated hydrogen at 3 amu: analyse the production "
                   "stage), which this trajectory does not have\n"), err
