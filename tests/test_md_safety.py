"""Failure paths of the MD driver and the H5MD writer: unstable dynamics, full disks, stale files,
readers of running trajectories, and what MDAnalysis' own H5MD reader sees in our files."""

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import h5py
import numpy as np
import pytest
from ase import units
from ase.build import bulk, molecule
from ase.calculators.emt import EMT
from ase.calculators.lj import LennardJones
from MDAnalysis.coordinates.H5MD import H5MDReader

from ase_electrolyte.md import MDInstabilityError, relax, run_md, run_protocol
from ase_electrolyte.trajectory import (
    H5MDWriter,
    TrajectoryFullError,
    h5md_info,
    h5md_series,
    read_h5md,
)
from mda_electrolyte.bridge import from_ase
from mda_electrolyte.observables import read_observable


def _argon(n=2, pbc=True):
    atoms = bulk("Ar", "fcc", a=5.26, cubic=True).repeat((n, n, n))
    atoms.pbc = pbc
    atoms.calc = _lj()
    return atoms


def _lj():
    return LennardJones(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True)


class _PoisonedLJ(LennardJones):
    """Argon LJ whose forces turn NaN from the n-th evaluation on (a model that blew up)."""

    def __init__(self, nan_from):
        super().__init__(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True)
        self.calls, self.nan_from = 0, nan_from

    def calculate(self, *args, **kwargs):
        super().calculate(*args, **kwargs)
        self.calls += 1
        if self.calls >= self.nan_from:
            self.results["forces"] = np.full_like(self.results["forces"], np.nan)


# poses as plain LJ, so that plain LJ may resume what it started
_PoisonedLJ.__module__, _PoisonedLJ.__name__ = LennardJones.__module__, LennardJones.__name__


def _nve(atoms, path, steps=40, **kw):
    kw.setdefault("write_interval", 5)
    return run_md(
        atoms,
        ensemble="nve",
        steps=steps,
        timestep_fs=2.0,
        temperature_K=60,
        trajectory=path,
        progress=False,
        **kw,
    )


# --- MD guards ---------------------------------------------------------------------------------
def test_nan_forces_stop_the_run_and_keep_good_frames(tmp_path):
    path = tmp_path / "nan.h5md"
    atoms = _argon()
    atoms.calc = _PoisonedLJ(nan_from=18)
    with pytest.raises(MDInstabilityError, match="non-finite forces"):
        _nve(atoms, path)
    info = h5md_info(path)
    assert not info["complete"]
    # steps 0..15 were evaluated with finite forces: frames 0, 5, 10, 15
    assert info["n_frames"] == 4 and info["last_step"] == 15
    with h5py.File(path) as f:
        assert np.all(np.isfinite(f["particles/trajectory/position/value"][()]))
        assert np.all(np.isfinite(f["particles/trajectory/force/value"][()]))
    # the good part equals an undisturbed run
    ref = tmp_path / "ref.h5md"
    _nve(_argon(), ref, steps=15)
    with h5py.File(path) as f, h5py.File(ref) as g:
        np.testing.assert_array_equal(
            f["particles/trajectory/position/value"][()],
            g["particles/trajectory/position/value"][()]
        )


def test_runaway_temperature_and_jumping_atom_are_caught(tmp_path):
    squeezed = _argon()
    squeezed.positions[1] = squeezed.positions[0] + [2.4, 0, 0]  # 0.7 sigma: violent repulsion
    t = squeezed.copy()
    t.calc = _lj()
    with pytest.raises(MDInstabilityError, match="temperature"):
        _nve(t, tmp_path / "t.h5md", max_displacement=None)
    a = squeezed.copy()
    a.calc = _lj()
    with pytest.raises(MDInstabilityError, match=r"moved .* Å in one step"):
        _nve(a, tmp_path / "d.h5md", max_temperature_factor=None, max_displacement=0.02)
    assert not h5md_info(tmp_path / "d.h5md")["complete"]
    # the same system with the guards loosened runs: they are configurable, not fixed
    b = squeezed.copy()
    b.calc = _lj()
    _nve(b, tmp_path / "ok.h5md", steps=4, max_temperature_factor=1e6, max_displacement=None)
    assert h5md_info(tmp_path / "ok.h5md")["complete"]


def test_guard_arguments_are_checked(tmp_path):
    for kw, match in (
        ({"tdamp_fs": -100}, "tdamp_fs"),
        ({"pdamp_fs": 0}, "pdamp_fs"),
        ({"max_displacement": -1}, "max_displacement"),
        ({"temperature_K": float("nan")}, "temperature_K"),
        ({"pressure_bar": float("nan")}, "pressure_bar"),
    ):
        args = dict(ensemble="npt", steps=2, timestep_fs=1.0, temperature_K=80, progress=False)
        args.update(kw)
        with pytest.raises(ValueError, match=match):
            run_md(_argon(), **args)
    with pytest.raises(ValueError, match="steps"):
        relax(_argon(), steps=-5)


def test_writer_refuses_nonfinite_data_and_steps_that_do_not_increase(tmp_path):
    atoms = _argon()
    with H5MDWriter(tmp_path / "w.h5md", atoms) as w:
        w.write(atoms, step=10, time=0.01)
        with pytest.raises(ValueError, match="does not follow"):
            w.write(atoms, step=10, time=0.01)
        with pytest.raises(ValueError, match="does not follow"):
            w.write(atoms, step=3, time=0.003)
        bad = atoms.copy()
        bad.calc = _lj()
        bad.positions[3, 1] = np.nan
        with pytest.raises(ValueError, match="non-finite position"):
            w.write(bad, step=11, time=0.011)
        with pytest.raises(ValueError, match="non-finite pressure"):
            w.write(atoms, step=12, time=0.012, observables={"pressure": np.inf})
        with pytest.raises(ValueError, match="does not follow"):
            w.write_observables(atoms, step=5, time=0.005)
        w.write(atoms, step=20, time=0.02)
    info = h5md_info(tmp_path / "w.h5md")
    assert info["n_frames"] == 2 and info["complete"]
    with h5py.File(tmp_path / "w.h5md") as f:
        # refused writes left nothing behind
        for name in ("position", "velocity", "force", "box/edges"):
            assert f[f"particles/trajectory/{name}/value"].shape[0] == 2
        assert f["observables/temperature/value"].shape == (2,)


# --- disk full, file-size limits -----------------------------------------------------------------
def _run_script(path, limit):
    """Run the NVE reference job in a child process with a file-size limit; return its result."""
    code = textwrap.dedent(
        f"""
        import resource, signal, sys
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG instead of being killed
        if {limit}:
            resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))
        from ase.build import bulk
        from ase.calculators.lj import LennardJones
        from ase_electrolyte.md import run_md
        atoms = bulk("Ar", "fcc", a=5.26, cubic=True).repeat((2, 2, 2))
        atoms.calc = LennardJones(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True)
        try:
            run_md(atoms, ensemble="nve", steps=60, timestep_fs=2.0, temperature_K=60,
                   trajectory={str(path)!r}, write_interval=1, progress=False)
        except OSError as err:
            print("ERRNO", err.errno, err)
            sys.exit(3)
        """
    )
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300
    )


def _check_prefix_and_resume(path, ref):
    info = h5md_info(path)  # readable
    assert not info["complete"] and 1 < info["n_frames"] < 61
    n = info["n_frames"]
    with h5py.File(path) as f, h5py.File(ref) as g:
        got = f["particles/trajectory/position/value"][:n]
        assert not np.any(np.all(got == 0, axis=(1, 2)))  # never zeros as data
        np.testing.assert_array_equal(got, g["particles/trajectory/position/value"][:n])
    assert H5MDReader(str(path)).n_frames == n
    # room again: the same call resumes and finishes the run
    atoms = _argon()
    _nve(atoms, path, steps=60, write_interval=1)
    assert h5md_info(path)["complete"]
    with h5py.File(path) as f, h5py.File(ref) as g:
        np.testing.assert_allclose(
            f["particles/trajectory/position/value"][()],
            g["particles/trajectory/position/value"][()], atol=1e-9
        )
    return n


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory):
    path = tmp_path_factory.mktemp("ref") / "ref.h5md"
    done = _run_script(path, 0)
    assert done.returncode == 0, done.stderr
    return path


def test_file_size_limit_stops_cleanly_and_resumes(tmp_path, reference_run):
    path = tmp_path / "limited.h5md"
    # room for about half the run: the first frames allocate ~330 kB of chunks and index
    # nodes, then each frame ~2.3 kB, and the writer keeps ~70 kB in reserve
    two = tmp_path / "two.h5md"
    _nve(_argon(), two, steps=1, write_interval=1)
    done = _run_script(path, two.stat().st_size + 70_000 + 30 * 2_300)
    assert done.returncode == 3, done.stderr
    assert "ERRNO 27" in done.stdout and "file-size limit" in done.stdout, done.stdout
    assert "Exception ignored" not in done.stderr and "Traceback" not in done.stderr
    _check_prefix_and_resume(path, reference_run)


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("mount") is None, reason="mounting a tmpfs needs root"
)
def test_full_disk_stops_cleanly_and_resumes(tmp_path, reference_run):
    mnt = tmp_path / "small"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=460k", "tmpfs", str(mnt)]).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        path = mnt / "full.h5md"
        done = _run_script(path, 0)
        assert done.returncode == 3, done.stderr
        assert "ERRNO 28" in done.stdout and "no space left" in done.stdout
        assert "Exception ignored" not in done.stderr and "Traceback" not in done.stderr
        moved = tmp_path / "moved.h5md"  # "make room": continue on a disk with space
        shutil.copy(path, moved)
        n = _check_prefix_and_resume(moved, reference_run)
        assert n > 5
    finally:
        subprocess.run(["umount", str(mnt)])


def test_writer_raises_before_touching_the_file_when_full(tmp_path, monkeypatch):
    atoms = _argon()
    path = tmp_path / "w.h5md"
    w = H5MDWriter(path, atoms)
    w.write(atoms, step=0, time=0.0)
    before = path.read_bytes()

    class _Full:
        f_bavail, f_frsize = 10, 4096

    monkeypatch.setattr(os, "statvfs", lambda p: _Full())
    with pytest.raises(TrajectoryFullError, match="no space left"):
        w.write(atoms, step=1, time=0.001)
    assert path.read_bytes() == before
    monkeypatch.undo()
    w.write(atoms, step=1, time=0.001)
    w.close()
    assert h5md_info(path)["n_frames"] == 2


# --- readers and a running writer -----------------------------------------------------------------
_PEEK = """
import sys
from MDAnalysis.coordinates.H5MD import H5MDReader
reader = H5MDReader(sys.argv[1])
print(reader.n_frames, *reader[-1].positions[0], flush=True)
if len(sys.argv) > 2:  # hold the file open until told to let go
    sys.stdin.readline()
reader.close()
"""

# our bridge: a Universe of the complete frames, with the stored topology
_PEEK_BRIDGE = """
import sys, warnings
from mda_electrolyte.bridge import from_ase
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    u = from_ase(sys.argv[1])
assert any("has not finished" in str(w.message) for w in caught)
u.trajectory[-1]
print(u.trajectory.n_frames, *u.atoms.positions[0], flush=True)
"""


class _Peeking(LennardJones):
    """LJ that has another process read the trajectory with MDAnalysis while the run writes it."""

    def __init__(self, path, at_call):
        super().__init__(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True)
        self.path, self.at_call, self.calls, self.seen = path, at_call, 0, None

    def calculate(self, *args, **kwargs):
        super().calculate(*args, **kwargs)
        self.calls += 1
        if self.calls == self.at_call:
            self.seen = []
            for script in (_PEEK, _PEEK_BRIDGE):
                out = subprocess.run(
                    [sys.executable, "-c", script, str(self.path)],
                    capture_output=True, text=True, timeout=120,
                )
                assert out.returncode == 0, out.stderr
                self.seen.append([float(x) for x in out.stdout.split()])


_Peeking.__module__, _Peeking.__name__ = LennardJones.__module__, LennardJones.__name__


def test_running_trajectory_is_readable_and_readers_do_not_block_resume(tmp_path):
    path = tmp_path / "live.h5md"
    atoms = _argon()
    atoms.calc = _Peeking(path, at_call=13)
    _nve(atoms, path, steps=20)
    for n_seen, *first_atom in atoms.calc.seen:  # MDAnalysis' reader, then from_ase
        assert n_seen == 3  # frames 0, 5, 10 were written when step 12 was evaluated
        with h5py.File(path) as f:
            np.testing.assert_allclose(
                first_atom, f["particles/trajectory/position/value"][2, 0], atol=1e-5
            )
    # an interrupted file, held open by an MDAnalysis reader in another process, is resumed
    crashed = tmp_path / "crashed.h5md"
    a = _argon()
    a.calc = _PoisonedLJ(nan_from=9)
    with pytest.raises(MDInstabilityError):
        _nve(a, crashed)
    reader = subprocess.Popen(
        [sys.executable, "-c", _PEEK, str(crashed), "hold"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert reader.stdout.readline().split()[0] == "2"
        _nve(_argon(), crashed)
    finally:
        reader.communicate("\n", timeout=60)
    assert reader.returncode == 0
    assert h5md_info(crashed)["complete"]


# --- what MDAnalysis reads --------------------------------------------------------------------
@pytest.mark.parametrize(
    "write_interval,observe_interval", [(1, 1), (4, 2), (5, 1), (2, 3), (3, 7)]
)
def test_mdanalysis_reads_frame_aligned_observables(tmp_path, write_interval, observe_interval):
    path = tmp_path / "o.h5md"
    run_md(
        _argon(),
        ensemble="nvt",
        steps=14,
        timestep_fs=2.0,
        temperature_K=80,
        trajectory=path,
        write_interval=write_interval,
        observe_interval=observe_interval,
        progress=False,
    )
    frames = sorted(set(range(0, 15, write_interval)) | {14})
    reader = H5MDReader(str(path))
    masses = _argon().get_masses()
    assert reader.n_frames == len(frames)
    for ts, step in zip(reader, frames, strict=True):
        assert ts.data["step"] == step
        # the temperature MDAnalysis shows is that of this frame's velocities (Å/ps → K), of
        # the 3N - 3 degrees of freedom about the centre of mass (at rest)
        v = ts.velocities / (1000 * units.fs)
        ke = 0.5 * np.sum(masses[:, None] * v**2)
        assert ts.data["temperature"] == pytest.approx(
            2 * ke / ((3 * len(masses) - 3) * units.kB), rel=1e-5
        )
        assert ts.data["volume"] == pytest.approx(ts.volume, rel=1e-5)
    # the sampled series is the observe_interval grid alone, evenly spaced, whatever the frames
    step, time, rho = h5md_series(path, "density")
    expect = np.arange(0, 15, observe_interval)
    np.testing.assert_array_equal(step, expect)
    np.testing.assert_allclose(time, expect * 0.002, rtol=1e-12)
    assert rho.shape == (len(expect),)
    # ... which the readers of the series (Green–Kubo, viscosity) accept
    if len(expect) > 1:
        assert read_observable(path, "pressure_tensor")["dt"] == pytest.approx(
            0.002 * observe_interval
        )


def test_nonperiodic_and_docstring_files_read_in_mdanalysis_and_from_ase(tmp_path):
    cluster = _argon(pbc=False)
    cluster.cell = np.zeros((3, 3))
    path = tmp_path / "cluster.h5md"
    run_md(
        cluster,
        ensemble="nvt",
        steps=6,
        timestep_fs=2.0,
        temperature_K=50,
        trajectory=path,
        write_interval=3,
        progress=False,
    )
    reader = H5MDReader(str(path))
    assert reader.n_frames == 3 and reader.ts.dimensions is None
    assert reader[2].data["step"] == 6
    assert "density" not in reader.ts.data
    v = from_ase(path)
    assert v.trajectory.n_frames == 3 and v.dimensions is None
    assert read_h5md(path).pbc.tolist() == [False] * 3
    # the writer's own docstring example
    water = molecule("H2O", vacuum=3.0, pbc=True)
    water.calc = EMT()
    doc = tmp_path / "t.h5md"
    with H5MDWriter(doc, water) as w:
        w.write(water, step=0, time=0.0)
    assert H5MDReader(str(doc))[0].data["temperature"] == 0.0
    assert from_ase(doc).residues.resnames.tolist() == ["H2O"]


def test_nonuniform_frame_times_are_refused(tmp_path):
    frames = []
    for t in (0.0, 0.1, 0.3):
        a = _argon()
        a.info["time_ps"] = t
        frames.append(a)
    with pytest.raises(ValueError, match="not evenly spaced"):
        from_ase(frames)
    assert from_ase(frames, dt=0.1).trajectory.dt == pytest.approx(0.1)


# --- stale results ----------------------------------------------------------------------------
def test_stage_files_of_other_settings_or_calculators_are_not_reused(tmp_path):
    from ase_electrolyte.topology import set_topology

    box = _argon()
    set_topology(box, np.arange(len(box)), np.array(["Ar"] * len(box)), np.zeros(len(box), int))
    kw = dict(
        temperature_K=80,
        preequilibration_ps=0.0,
        equilibration_ps=0.004,
        production_ps=0.004,
        production_ensemble="nvt",
        timestep_fs=2.0,
        write_interval_fs=2.0,
        observe_interval_fs=2.0,
        progress=False,
    )
    first = run_protocol(box, _lj(), tmp_path, **kw)
    other = LennardJones(sigma=3.3, epsilon=0.0104, rc=8.0, smooth=True)
    with pytest.raises(ValueError, match="different run.*calculator"):
        run_protocol(box, other, tmp_path, **kw)
    with pytest.raises(ValueError, match="different run.*fmax"):
        run_protocol(box, _lj(), tmp_path, relax_fmax=0.5, **kw)
    moved = box.copy()
    moved.positions += 0.3
    with pytest.raises(ValueError, match="other positions"):
        run_protocol(moved, _lj(), tmp_path, **kw)
    redone = run_protocol(box, other, tmp_path, overwrite=True, **kw)
    info = h5md_info(redone.files["production"])
    assert info["run_info"]["calculator"]["parameters"]["sigma"] == 3.3
    assert not np.allclose(redone.atoms.positions, first.atoms.positions)
    assert json.dumps(info["run_info"])  # plain JSON


class _FileLJ(LennardJones):
    """Argon LJ whose sigma is read from a file that its parameters name, as a model file."""

    def __init__(self, model):
        sigma = float(Path(model).read_text())
        super().__init__(sigma=sigma, epsilon=0.0104, rc=8.0, smooth=True)
        self.model = str(model)

    def todict(self):  # as an MLIP's: the file's name, not what it holds
        return {"model": self.model}


def _retrain(model, text, how):
    """Give ``model`` other content of the same size, as a retraining (or a copy) would."""
    import os

    stat = model.stat()
    if how == "renamed into place":  # an atomic write: another inode
        new = model.with_suffix(".new")
        new.write_text(text)
        os.replace(new, model)
    else:
        model.write_text(text)
    if how != "written":  # cp -p, rsync -a, tar x: the old modification time comes back
        os.utime(model, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        assert model.stat().st_mtime_ns == stat.st_mtime_ns


@pytest.mark.parametrize("how", ["written", "written, time kept", "renamed into place"])
def test_a_model_retrained_into_the_same_file_is_another_calculator(how, tmp_path):
    from ase_electrolyte.md import calculator_fingerprint, run_md

    model = tmp_path / "model.txt"
    model.write_text("3.4")
    box = _argon()
    kw = dict(temperature_K=80, steps=2, timestep_fs=2.0, ensemble="nvt", write_interval=1,
              trajectory=tmp_path / "md.h5md", progress=False)
    box.calc = _FileLJ(model)
    before = calculator_fingerprint(box.calc)
    run_md(box, **kw)
    _retrain(model, "3.3", how)  # retrained: same path, same size, other content
    box.calc = _FileLJ(model)
    after = calculator_fingerprint(box.calc)
    assert after["parameters"] == before["parameters"]  # the names are the same
    assert after["file_sha256"] != before["file_sha256"]
    with pytest.raises(ValueError, match="calculator"):
        run_md(box, **kw)



class _ArrayLJ(LennardJones):
    """A calculator whose record holds an array (per-atom charges, tables): ASE's todict()
    gives the ndarray itself."""

    def __init__(self, table, **kw):
        super().__init__(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True, **kw)
        self.table = np.asarray(table)

    def todict(self):
        return {**super().todict(), "table": self.table}


@pytest.mark.parametrize("n", [4, 17, 2000])
def test_an_array_in_the_calculator_record_enters_the_fingerprint_whole(n, tmp_path):
    """numpy's repr leaves out the middle of arrays over 1000 values: two calculators that
    differed only there had one fingerprint, and a rerun would have reused the other's run."""
    from ase_electrolyte.md import calculator_fingerprint, run_md

    table = np.tile([0.5, -0.5], n // 2 + 1)[:n]
    other = table.copy()
    other[n // 2] += 1e-9  # the middle, beyond what repr shows
    same = calculator_fingerprint(_ArrayLJ(table.copy()))
    assert calculator_fingerprint(_ArrayLJ(table)) == same
    assert calculator_fingerprint(_ArrayLJ(other)) != same
    json.dumps(same)  # stored as JSON in the trajectory
    box = _argon()
    kw = dict(temperature_K=80, steps=2, timestep_fs=2.0, ensemble="nvt", write_interval=1,
              trajectory=tmp_path / "md.h5md", progress=False)
    box.calc = _ArrayLJ(table)
    run_md(box, **kw)
    box.calc = _ArrayLJ(table.copy())
    run_md(box, **kw)  # the same calculator: the finished run is reused
    box.calc = _ArrayLJ(other)
    with pytest.raises(ValueError, match="calculator"):
        run_md(box, **kw)


def _ar1(n, phi, seed):
    rng = np.random.default_rng(seed)
    x = np.empty(n)
    x[0] = rng.normal() / np.sqrt(1 - phi**2)  # drawn from the stationary distribution
    for k in range(1, n):  # AR(1): statistical inefficiency (1 + phi) / (1 - phi)
        x[k] = phi * x[k - 1] + rng.normal()
    return x


def test_series_estimate_counts_independent_samples_after_equilibration():
    from ase_electrolyte.md import series_estimate

    phi, n = 0.9, 20000
    rho = 1.2 + 1e-3 * _ar1(n, phi, 1)
    est, t0 = series_estimate(rho, "g/cm^3")
    # the error of the mean of AR(1) data: sigma * sqrt(g / N), g = 19
    expect = np.std(rho[t0:], ddof=1) * np.sqrt(19 / (n - t0))
    assert est.verdict == "valid" and est.unit == "g/cm^3"
    assert est.stderr == pytest.approx(expect, rel=0.3)
    assert est.n_samples == pytest.approx((n - t0) / 19, rel=0.3)
    # a run that starts far from equilibrium: the relaxation is cut away, the mean unbiased
    relaxing = rho.copy()
    relaxing[:3000] += 0.05 * np.exp(-np.arange(3000) / 300.0)
    est2, t2 = series_estimate(relaxing, "g/cm^3")
    assert t2 >= 1000 and abs(est2.value - 1.2) < 4 * est2.stderr
    assert "discarded" in est2.method
    # still drifting at the end: not equilibrated, never valid
    drifting = 1.1 + 1e-3 * np.arange(400.0) + 1e-4 * _ar1(400, 0.5, 2)
    est3, _ = series_estimate(drifting, "g/cm^3")
    assert not est3.valid and ("too short" in est3.verdict or "not equilibrated" in est3.verdict)
    short, _ = series_estimate([1.0, 1.1, 1.2], "g/cm^3")
    assert not short.valid and short.verdict.startswith("too short")


def test_series_estimate_errors_are_calibrated_over_replicas():
    from ase_electrolyte.md import series_estimate

    z = []
    for seed in range(40):
        est, _ = series_estimate(5.0 + _ar1(2000, 0.8, 100 + seed), "K")
        z.append((est.value - 5.0) / est.stderr)
    assert 0.7 < np.std(z) < 1.35
