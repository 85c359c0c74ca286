"""A file-size limit (``RLIMIT_FSIZE``; a full disk is the same check) met at every moment of a
trajectory's life: its creation, its first frame, a flush of buffered samples, its closing, and
every frame of a long run whose room is exactly what the writer asks for.

Before, a limit below the size of a new file's skeleton (about 25 kB) made HDF5 fail its
flush and then its close, and the process died at exit by SIGSEGV, after a ``RuntimeError``
naming neither the trajectory nor the cause; a relaxation met the limit only once it had run.
Each case runs in a child process: the limit is the process'.
"""

import subprocess
import sys
import textwrap

import h5py
import numpy as np
import pytest
from test_runs_stopped_early import _assert_readable_by_both

from ase_electrolyte.trajectory import h5md_info, h5md_series

_PRELUDE = """
import resource, signal, sys, os, errno
import numpy as np
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of being killed
from ase.build import bulk
from ase.calculators.lj import LennardJones
from ase_electrolyte.md import run_md, relax
from ase_electrolyte.trajectory import H5MDWriter, TrajectoryFullError

class Counting(LennardJones):
    calls = 0
    def calculate(self, *args, **kwargs):
        type(self).calls += 1
        super().calculate(*args, **kwargs)

Counting.__module__, Counting.__name__ = LennardJones.__module__, LennardJones.__name__

def argon():
    atoms = bulk("Ar", "fcc", a=5.26, cubic=True).repeat(2)
    atoms.rattle(0.02, seed=1)
    atoms.calc = Counting(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True)
    return atoms

def limit(nbytes):
    resource.setrlimit(resource.RLIMIT_FSIZE, (nbytes, resource.RLIM_INFINITY))

path = sys.argv[1]
"""


def _child(body, path):
    code = (_PRELUDE + "try:\n" + textwrap.indent(textwrap.dedent(body).strip("\n"), "    ")
            + "\nexcept TrajectoryFullError as err:\n"
            + "    print('FULL', err.errno, Counting.calls, err)\n    sys.exit(3)\n"
            + "print('DONE', Counting.calls)\n")
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                          text=True, timeout=600)
    # never a crash, a traceback or an error HDF5 printed while closing
    assert done.returncode in (0, 3), (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr, done.stderr
    return done.returncode, done.stdout.split()


_RUN = ('dict(ensemble="nve", steps=10, timestep_fs=2.0, temperature_K=60, write_interval=5, '
        'progress=False)')


@pytest.mark.parametrize("nbytes", [0, 500, 20_000, 60_000])
@pytest.mark.parametrize("old_file", [False, True])
def test_a_limit_below_a_new_files_skeleton_is_refused_before_the_model_runs(
        nbytes, old_file, tmp_path):
    path = tmp_path / "md.h5md"
    if old_file:
        path.write_bytes(b"an old run")  # replaced only with a first frame (overwrite=True)
    code, out = _child(f"""
        limit({nbytes})
        run_md(argon(), trajectory=path, overwrite=True, **{_RUN})
    """, path)
    assert code == 3 and out[:3] == ["FULL", "27", "0"]  # EFBIG, no model evaluation
    assert "nothing was written" in " ".join(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == (["md.h5md"] if old_file else [])
    if old_file:
        assert path.read_bytes() == b"an old run"


@pytest.mark.parametrize("nbytes", [20_000, 200_000])
def test_a_relaxation_is_refused_before_it_runs_when_its_frame_would_not_fit(nbytes, tmp_path):
    path = tmp_path / "relaxed.h5md"
    code, out = _child(f"""
        limit({nbytes})
        relax(argon(), fmax=0.01, steps=50, trajectory=path)
    """, path)
    assert code == 3 and out[:3] == ["FULL", "27", "0"]
    assert not list(tmp_path.iterdir())
    # with room the same call relaxes and writes it
    code, out = _child("relax(argon(), fmax=0.01, steps=50, trajectory=path)", path)
    assert code == 0 and int(out[1]) > 1
    assert h5md_info(path)["complete"] and h5md_info(path)["n_frames"] == 1


def _same_positions(path, reference):
    """The trajectory ``path`` holds the positions of ``reference``, frame by frame."""
    with h5py.File(path) as f, h5py.File(reference) as g:
        np.testing.assert_allclose(f["particles/trajectory/position/value"][()],
                                   g["particles/trajectory/position/value"][()], rtol=0,
                                   atol=1e-9)


def _readable_up_to(path, n_frames, last_step):
    info = h5md_info(path)
    assert not info["complete"] and info["n_frames"] == n_frames
    assert info["last_step"] == last_step
    _assert_readable_by_both(path, n_frames)
    step, _, _ = h5md_series(path, "temperature")
    assert step.size == 0 or step[-1] <= last_step


def test_a_limit_met_by_a_flush_of_buffered_samples_keeps_the_frames_and_resumes(tmp_path):
    path = tmp_path / "w.h5md"
    code, out = _child("""
        atoms = argon()
        w = H5MDWriter(path, atoms, buffer_samples=4)
        w.write(atoms, step=0, time=0.0)
        w.write(atoms, step=1, time=0.001)
        limit(os.path.getsize(path) + 1000)  # no room for a new chunk of samples
        try:
            for step in range(2, 400):
                w.write_observables(atoms, step=step, time=step / 1000)
        finally:
            w.close(complete=False)
    """, path)
    assert code == 3 and out[:2] == ["FULL", "27"]
    assert "buffered samples after the last frame were dropped" in " ".join(out)
    _readable_up_to(path, 2, 1)
    code, out = _child("""
        atoms = argon()
        with H5MDWriter(path, atoms, mode="a") as w:
            for step in range(2, 40):
                w.write_observables(atoms, step=step, time=step / 1000)
            w.write(atoms, step=40, time=0.040)
    """, path)
    assert code == 0
    step, _, _ = h5md_series(path, "temperature")
    np.testing.assert_array_equal(step, np.arange(41))
    assert h5md_info(path)["complete"]


def test_a_limit_met_while_closing_leaves_the_file_incomplete_readable_and_resumable(tmp_path):
    path = tmp_path / "w.h5md"
    code, out = _child("""
        atoms = argon()
        w = H5MDWriter(path, atoms)
        for step in range(3):
            w.write(atoms, step=step, time=step / 1000)
        for step in range(3, 300):  # buffered after the last frame, written when closing
            w.write_observables(atoms, step=step, time=step / 1000)
        limit(os.path.getsize(path) + 1000)
        w.close(complete=True)
    """, path)
    assert code == 3 and out[:2] == ["FULL", "27"]
    _readable_up_to(path, 3, 2)
    code, _ = _child("""
        atoms = argon()
        with H5MDWriter(path, atoms, mode="a") as w:
            w.write(atoms, step=3, time=0.003)
    """, path)
    assert code == 0 and h5md_info(path)["complete"] and h5md_info(path)["n_frames"] == 4


def test_a_limit_met_by_a_run_mid_way_resumes_to_the_uninterrupted_run(tmp_path):
    reference = tmp_path / "reference.h5md"
    code, _ = _child(f"run_md(argon(), trajectory=path, **{_RUN.replace('5,', '1,')})",
                     reference)
    assert code == 0
    path = tmp_path / "md.h5md"
    # room for the first frames, then none: the limit is met by a frame in the middle
    code, out = _child(f"""
        from ase_electrolyte import trajectory
        write = trajectory.H5MDWriter.write
        def limited(self, atoms, step, *a, **k):
            if step == 4:
                limit(os.path.getsize(self._where) + 100)
            return write(self, atoms, step, *a, **k)
        trajectory.H5MDWriter.write = limited
        run_md(argon(), trajectory=path, **{_RUN.replace('5,', '1,')})
    """, path)
    assert code == 3 and out[:2] == ["FULL", "27"]
    _readable_up_to(path, 4, 3)
    code, _ = _child(f"run_md(argon(), trajectory=path, **{_RUN.replace('5,', '1,')})", path)
    assert code == 0
    _same_positions(path, reference)


def test_the_room_the_writer_asks_for_is_enough_for_every_write(tmp_path):
    # the limit set to exactly the room the writer asks for before each write, over new
    # datasets (vector and tensor observables appearing), chunk boundaries (256 rows) and
    # flushes of buffered samples: no write may fail inside HDF5
    path = tmp_path / "w.h5md"
    code, out = _child("""
        atoms = argon()
        obs = {"pressure": 1.0, "charge_current": np.ones((2, 3)),
               "pressure_tensor": np.eye(3)}
        w = H5MDWriter(path, atoms, buffer_samples=37)
        for step in range(600):
            if step % 7 == 0:
                # the room of the frame with the observables the writer adds (volume, ...)
                need = w._room_needed(w._observables(atoms, obs, step, step / 1000))
                limit(max(os.path.getsize(w._where), w._file.id.get_filesize()) + need)
                w.write(atoms, step=step, time=step / 1000, observables=obs)
            else:
                limit(resource.RLIM_INFINITY)
                if w._n_pending + 1 >= w.buffer_samples:
                    need = w._room_needed()
                    limit(max(os.path.getsize(w._where), w._file.id.get_filesize()) + need)
                w.write_observables(atoms, step=step, time=step / 1000, observables=obs)
        limit(resource.RLIM_INFINITY)
        w.close()
    """, path)
    assert code == 0, out
    info = h5md_info(path)
    assert info["complete"] and info["n_frames"] == len(range(0, 600, 7))
    step, _, current = h5md_series(path, "charge_current")
    np.testing.assert_array_equal(step, np.arange(595 + 1))  # up to the last frame's step
    assert current.shape == (596, 2, 3)
