"""Runs killed (SIGKILL: no clean-up at all) at every kind of point, then run again.

Whatever the point (a force evaluation of the relaxation or of a stage, while a trajectory file
is being created, between two stages, between two frames, inside a frame's write), every file
left behind is read by MDAnalysis' own H5MD reader and by :func:`~mda_electrolyte.bridge.from_ase`
up to its last complete frame, neither claiming more frames than the file records, and the same
call run again finishes. A kill while a file was being created left a damaged HDF5 file that
every rerun refused ("cannot be read ... remove it") although it held no frame.

What a resume reproduces: an NVE run resumed from a frame continues from the stored positions
and velocities (velocities round-trip through Å/ps, 1 ulp) and ends within 1e-9 Å of the run
that was not interrupted; a kill before the first frame of a stage reruns it bit for bit. A
thermostatted stage resumed mid-way restarts the Nosé–Hoover chain variables from zero (as
:mod:`ase_electrolyte.md` documents): the same ensemble, another trajectory.
"""

import multiprocessing
import os
import signal
import warnings

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.lj import LennardJones
from MDAnalysis.coordinates.H5MD import H5MDReader

from ase_electrolyte import trajectory as trajectory_module
from ase_electrolyte.md import relax, run_md, run_protocol
from ase_electrolyte.trajectory import h5md_info, read_h5md
from mda_electrolyte.bridge import from_ase

_FORK = multiprocessing.get_context("fork")
_STAGES = ("relaxed", "preequilibration", "equilibration", "production")
_NVE = dict(temperature_K=60, relax_fmax=0.05, preequilibration_ps=0.0, equilibration_ps=0.0,
            production_ps=0.04, production_ensemble="nve", timestep_fs=2.0,
            write_interval_fs=4.0, observe_interval_fs=2.0, progress=False)
_THERMOSTATTED = dict(_NVE, preequilibration_ps=0.02, equilibration_ps=0.02,
                      production_ensemble="nvt")


def _argon():
    atoms = bulk("Ar", "fcc", a=5.26, cubic=True).repeat((2, 2, 2))
    atoms.rattle(0.05, seed=3)
    return atoms


def _lj():
    return LennardJones(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True)


def _die_at(owner, name, n, before=False):
    """Make ``owner.name`` kill its process (SIGKILL) at its ``n``-th call.

    ``_append_rows`` counts only its calls that append positions, the last data of a frame.
    """
    original = getattr(owner, name)
    calls = [0]

    def dying(*args, **kwargs):
        if name != "_append_rows" or args[0][0].name.endswith("position/value"):
            calls[0] += 1
        if before and calls[0] == n:
            os.kill(os.getpid(), signal.SIGKILL)
        out = original(*args, **kwargs)
        if not before and calls[0] == n:
            os.kill(os.getpid(), signal.SIGKILL)
        return out

    setattr(owner, name, dying)


# where a run dies: (what is patched, its n-th call, before or after the call)
_POINTS = {
    "relaxation evaluation": (LennardJones, "calculate", 3, False),
    "creating the relaxed file": (trajectory_module.H5MDWriter, "_create", 1, False),
    "creating a stage file": (trajectory_module.H5MDWriter, "_create", 2, False),
    "between stages": (trajectory_module.H5MDWriter, "__init__", 2, True),
    "stage evaluation": (LennardJones, "calculate", 15, False),
    "between frames": (trajectory_module.H5MDWriter, "write", 4, False),
    # inside the 4th frame (the 3rd of the production): its observables, box, forces and
    # velocities appended, its positions and the frame count not yet
    "inside a frame's write": (trajectory_module, "_append_rows", 4, True),
}


def _killed_protocol(folder, point, kw):
    owner, name, n, before = _POINTS[point]
    _die_at(owner, name, n, before)
    warnings.simplefilter("ignore")
    run_protocol(_argon(), _lj(), folder, **kw)
    os._exit(0)  # not killed: the test's kill point was never reached


def _kill(target, *args):
    child = _FORK.Process(target=target, args=args)
    child.start()
    child.join(120)
    assert child.exitcode == -signal.SIGKILL, "the run was not killed where the test meant"


def _assert_readable(path):
    """Both readers give exactly the complete frames the file records, with finite data."""
    info = h5md_info(path)
    if not info["n_frames"]:  # MDAnalysis opens no trajectory of no frame
        with pytest.raises(ValueError, match="holds no complete frame"):
            from_ase(path)
        return
    reader = H5MDReader(str(path))
    try:
        assert reader.n_frames == info["n_frames"]
        for ts in reader:
            assert np.isfinite(ts.positions).all() and np.any(ts.positions)
        if info["n_frames"]:
            np.testing.assert_array_equal(reader[-1].positions,
                                          read_h5md(path, -1).positions.astype(np.float32))
    finally:
        reader.close()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        universe = from_ase(path)
    assert universe.trajectory.n_frames == info["n_frames"]
    universe.trajectory.close()


@pytest.fixture(scope="module")
def solo_runs(tmp_path_factory):
    """Uninterrupted runs of both protocols, the references."""
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, kw in (("nve", _NVE), ("thermostatted", _THERMOSTATTED)):
            out[name] = run_protocol(_argon(), _lj(), tmp_path_factory.mktemp(name), **kw)
    return out


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("point", list(_POINTS))
def test_a_protocol_killed_anywhere_leaves_readable_files_and_resumes(point, tmp_path,
                                                                      solo_runs):
    folder = tmp_path / "run"
    _kill(_killed_protocol, folder, point, _NVE)
    left = [folder / f"{s}.h5md" for s in _STAGES if (folder / f"{s}.h5md").exists()]
    for path in left:
        _assert_readable(path)
    done = run_protocol(_argon(), _lj(), folder, **_NVE)
    # the skeleton of a file whose creation was killed is removed by the next writer
    assert not [p.name for p in folder.iterdir() if ".part" in p.name]
    solo = solo_runs["nve"]
    for stage, path in done.files.items():
        info, reference = h5md_info(path), h5md_info(solo.files[stage])
        assert info["complete"] and info["n_frames"] == reference["n_frames"], stage
        _assert_readable(path)
    production = done.files["production"]
    frames_before = h5md_info(folder / "production.h5md")["n_frames"] if (
        folder / "production.h5md") in left else 0
    if frames_before == 0:  # the production ran whole in the rerun: the same numbers
        np.testing.assert_array_equal(done.atoms.positions, solo.atoms.positions)
        np.testing.assert_array_equal(done.atoms.get_velocities(), solo.atoms.get_velocities())
    else:  # resumed from a frame: velocities round-trip through Å/ps
        np.testing.assert_allclose(done.atoms.positions, solo.atoms.positions, rtol=0,
                                   atol=1e-9)
    for frame in (0, -1):
        np.testing.assert_allclose(read_h5md(production, frame).positions,
                                   read_h5md(solo.files["production"], frame).positions,
                                   rtol=0, atol=1e-9)


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("point", ["stage evaluation", "between frames", "creating a stage file"])
def test_a_thermostatted_protocol_killed_mid_stage_resumes_to_complete_files(point, tmp_path,
                                                                            solo_runs):
    folder = tmp_path / "run"
    _kill(_killed_protocol, folder, point, _THERMOSTATTED)
    for s in _STAGES:
        if (folder / f"{s}.h5md").exists():
            _assert_readable(folder / f"{s}.h5md")
    done = run_protocol(_argon(), _lj(), folder, **_THERMOSTATTED)
    solo = solo_runs["thermostatted"]
    assert set(done.files) == set(solo.files)
    for stage, path in done.files.items():
        info = h5md_info(path)
        assert info["complete"] and info["n_frames"] == h5md_info(solo.files[stage])["n_frames"]
        assert info["last_step"] == h5md_info(solo.files[stage])["last_step"]
    # the same system at the same temperature: the chain variables restart, not the ensemble
    assert abs(done.atoms.get_volume() - solo.atoms.get_volume()) < 0.05 * solo.atoms.get_volume()


def _write(path, call, overwrite=False):
    """A short relaxation or NVE run of argon into ``path``."""
    atoms = _argon()
    atoms.calc = _lj()
    if call == "relax":
        relax(atoms, trajectory=path, overwrite=overwrite)
    else:
        run_md(atoms, ensemble="nve", steps=6, timestep_fs=2.0, temperature_K=60,
               write_interval=2, trajectory=path, overwrite=overwrite, progress=False)


def _killed_create(path, overwrite, call):
    _die_at(trajectory_module.H5MDWriter, "_create", 1)
    _write(path, call, overwrite)
    os._exit(0)


@pytest.mark.parametrize("call", ["relax", "run_md"])
@pytest.mark.parametrize("overwrite", [False, True])
def test_a_kill_while_a_trajectory_is_created_leaves_the_old_file_or_none(call, overwrite,
                                                                          tmp_path):
    """HDF5 writes a new file's structure at its first flush: killed before it, a run left a
    damaged file that every rerun refused."""
    path = tmp_path / "md.h5md"
    old = None
    if overwrite:  # a finished run that the killed overwrite was replacing
        _write(path, call)
        old = path.read_bytes()
    _kill(_killed_create, path, overwrite, call)
    if overwrite:
        assert path.read_bytes() == old  # replaced whole or not at all
    else:
        assert not path.exists()
    skeletons = [p.name for p in tmp_path.iterdir() if ".part" in p.name]
    assert len(skeletons) == 1  # the killed writer's, hidden ...
    # ... and removed by the next writer of the file, which runs from scratch
    _write(path, call, overwrite)
    assert h5md_info(path)["complete"]
    assert not [p.name for p in tmp_path.iterdir() if ".part" in p.name]


# --- an interrupt or a failure inside a frame's write ----------------------------------------
def _nve_run(path, **kw):
    atoms = _argon()
    atoms.calc = _lj()
    return run_md(atoms, ensemble="nve", steps=12, timestep_fs=2.0, temperature_K=60,
                  write_interval=2, observe_interval=1, trajectory=path, progress=False, **kw)


def _rows_after(path):
    """Rows each frame-aligned dataset holds, by name."""
    import h5py

    out = {}
    with h5py.File(path, "r", locking=False) as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset) and name.endswith("/step") and (
                    name.startswith(("particles", "observables"))):
                out[name] = obj.shape[0]
        f.visititems(visit)
    return out


# the calls of one frame's write, in order: its observables (H5MDWriter._append), the box,
# forces, velocities and positions (_append_rows on particle data), the frame count
# (h5py.File.flush)
_INSIDE = {
    "after its observables": ("_append", 3),
    "after its forces": ("_append_rows", 2),
    "after its positions": ("_append_rows", 4),
    "after its frame count": ("flush", 1),
}


@pytest.mark.parametrize("error", [KeyboardInterrupt, SystemExit, OSError])
@pytest.mark.parametrize("where", list(_INSIDE))
def test_a_frame_interrupted_inside_its_write_is_not_counted_by_any_reader(
        where, error, tmp_path, monkeypatch):
    """Ctrl-C between the positions and the frame count left a frame that MDAnalysis counted
    and the file did not (3 frames for MDAnalysis, 2 for from_ase and a resume)."""
    import h5py

    reference = _nve_run(tmp_path / "solo.h5md")
    path = tmp_path / "md.h5md"
    name, n = _INSIDE[where]
    owner = {"_append": trajectory_module.H5MDWriter, "_append_rows": trajectory_module,
             "flush": h5py.File}[name]
    original = getattr(owner, name)
    calls = {"frame": 0, "in frame": 0}
    real_write = trajectory_module.H5MDWriter.write

    def write(self, *args, **kwargs):  # count calls within the 3rd frame only
        calls["frame"] += 1
        calls["in frame"] = 0
        return real_write(self, *args, **kwargs)

    def interrupted(*args, **kwargs):
        out = original(*args, **kwargs)
        if name == "_append_rows" and not args[0][0].name.startswith("/particles"):
            return out  # the buffered per-step samples, written before the frame
        if calls["frame"] == 3:
            calls["in frame"] += 1
            if calls["in frame"] == n:
                calls["frame"] = -1
                raise error("interrupted")
        return out

    monkeypatch.setattr(trajectory_module.H5MDWriter, "write", write)
    monkeypatch.setattr(owner, name, interrupted)
    with pytest.raises(error):
        _nve_run(path)
    monkeypatch.undo()
    info = h5md_info(path)
    kept = 3 if where == "after its frame count" else 2
    assert info["n_frames"] == kept and not info["complete"]
    assert set(_rows_after(path).values()) == {kept}  # no row of an uncounted frame
    _assert_readable(path)
    steps, _, _ = trajectory_module.h5md_series(path, "temperature")
    np.testing.assert_array_equal(steps, np.arange(info["last_step"] + 1))
    done = _nve_run(path)  # resumes
    steps, _, temperature = trajectory_module.h5md_series(path, "temperature")
    solo_steps, _, solo_temperature = trajectory_module.h5md_series(tmp_path / "solo.h5md",
                                                                    "temperature")
    np.testing.assert_array_equal(steps, solo_steps)
    np.testing.assert_allclose(temperature, solo_temperature, rtol=1e-9)
    np.testing.assert_allclose(done.positions, reference.positions, rtol=0, atol=1e-9)
    _assert_readable(path)
