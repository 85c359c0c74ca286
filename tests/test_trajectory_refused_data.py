"""What the H5MD writer refuses, for every dataset and every kind of observable, and that a
refusal leaves the file and the writer as they were.

Before: a per-step sample whose time went backwards (or a frame timed before the last sample)
was stored, a series with a negative time step for its readers; a sample lacking an observable
was stored, leaving that observable's series with a hole; a frame's own observable
(``sample=False``) of another shape reached h5py, whose broadcast error broke the writer (an
``OSError``, every later write refused); a flag, a complex number, a string or ``None`` as an
observable was stored as 1.0 or failed with a bare ``TypeError`` naming no observable.
"""

import h5py
import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.lj import LennardJones

from ase_electrolyte.trajectory import H5MDWriter, h5md_info, h5md_series, open_h5md


def _argon():
    atoms = bulk("Ar", "fcc", a=5.26, cubic=True)
    atoms.rattle(0.02, seed=2)
    atoms.calc = LennardJones(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True)
    return atoms


class _Forces(LennardJones):
    """LJ whose forces are replaced by ``forces``."""

    def __init__(self, forces):
        super().__init__(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True)
        self.forces = forces

    def calculate(self, *args, **kwargs):
        super().calculate(*args, **kwargs)
        self.results["forces"] = self.forces.copy()


def _rows(path):
    """Rows of every time series of the file (frames, frame observables, samples)."""
    out = {}
    with open_h5md(path) as f:  # open by the writer in this process
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset) and name.rsplit("/", 1)[-1] in ("value", "step",
                                                                              "time"):
                out[name] = obj.shape[0]
        f.visititems(visit)
    return out


def _nan_velocity(a):
    v = a.get_velocities()
    v[1, 2] = np.nan
    a.set_velocities(v)
    return {}


def _inf_cell(a):
    cell = a.cell.array.copy()
    cell[0, 0] = np.inf
    a.cell.array[:] = cell
    return {}


def _nan_forces(a):
    forces = np.zeros((len(a), 3))
    forces[2, 0] = np.nan
    a.calc = _Forces(forces)
    return {}


_DATA = {
    "velocity": (_nan_velocity, "non-finite velocity"),
    "box": (_inf_cell, "non-finite box/edges"),
    "force": (_nan_forces, "non-finite force"),
    "charge current": (lambda a: {"charge_current": np.array([[0.0, np.nan, 0.0]])},
                       "non-finite charge_current"),
    "pressure tensor": (lambda a: {"pressure_tensor": np.diag([1.0, -np.inf, 1.0])},
                        "non-finite pressure_tensor"),
    "temperature": (lambda a: {"temperature": np.nan}, "non-finite temperature"),
    "a flag": (lambda a: {"pressure": True}, "pressure at step 3 must be real numbers"),
    "a complex number": (lambda a: {"pressure": 1 + 1j}, "must be real numbers .bar."),
    "a string": (lambda a: {"pressure": "1.0"}, "got str '1.0'"),
    "None": (lambda a: {"pressure": None}, "got NoneType"),
    "an object array": (lambda a: {"charge_current": np.array([[None, 1, 2]], dtype=object)},
                        "charge_current at step 3 must be real numbers"),
}

_OBS = {"pressure": 1.0, "charge_current": np.zeros((1, 3)), "pressure_tensor": np.eye(3)}


# a sample records observables only: the particle data are refused in frames
@pytest.mark.parametrize("case, how", [(case, how) for case in _DATA for how in ("frame", "sample")
                                       if how == "frame" or case not in ("velocity", "box",
                                                                         "force")])
def test_bad_data_of_every_dataset_is_refused_and_leaves_nothing(case, how, tmp_path):
    damage, match = _DATA[case]
    path = tmp_path / "w.h5md"
    atoms = _argon()
    with H5MDWriter(path, atoms) as w:
        for step in range(3):
            w.write(atoms, step=step, time=step * 0.001, observables=_OBS)
        before = _rows(path)
        bad = _argon()
        extra = damage(bad)
        obs = {**_OBS, **extra}
        with pytest.raises(ValueError, match=match):
            if how == "frame":
                w.write(bad, step=3, time=0.003, observables=obs)
            else:
                w.write_observables(bad, step=3, time=0.003, observables=obs)
        assert _rows(path) == before
        # the writer goes on: the same step with good data
        w.write(atoms, step=3, time=0.003, observables=_OBS)
    info = h5md_info(path)
    assert info["complete"] and info["n_frames"] == 4
    step, time, value = h5md_series(path, "pressure_tensor")
    np.testing.assert_array_equal(step, np.arange(4))
    assert np.isfinite(value).all()


@pytest.mark.parametrize("when", ["sample", "frame", "frame off the grid"])
@pytest.mark.parametrize("time", [0.0015, 0.002])  # before, and at, the last sample's time
def test_a_sample_or_frame_timed_before_the_last_sample_is_refused(when, time, tmp_path):
    path = tmp_path / "w.h5md"
    atoms = _argon()
    with H5MDWriter(path, atoms) as w:
        w.write(atoms, step=0, time=0.0)
        w.write_observables(atoms, step=1, time=0.001)
        w.write_observables(atoms, step=2, time=0.002)
        with pytest.raises(ValueError, match=r"time .* ps of step 3 of \w+ does not follow the "
                                             r"last recorded time 0.002 ps \(step 2\)"):
            if when == "sample":
                w.write_observables(atoms, step=3, time=time)
            else:
                w.write(atoms, step=3, time=time, sample=when == "frame")
        w.write(atoms, step=3, time=0.003)
    step, t, _ = h5md_series(path, "temperature")
    np.testing.assert_array_equal(step, [0, 1, 2, 3])
    assert np.all(np.diff(t) > 0)


def test_a_resumed_file_keeps_its_series_running_forward(tmp_path):
    path = tmp_path / "w.h5md"
    atoms = _argon()
    with H5MDWriter(path, atoms) as w:
        for step in range(3):
            w.write(atoms, step=step, time=step * 0.001)
    with H5MDWriter(path, atoms, mode="a") as w:
        with pytest.raises(ValueError, match="does not follow the last recorded time"):
            w.write_observables(atoms, step=3, time=0.0005)
        w.write(atoms, step=3, time=0.003)
    np.testing.assert_array_equal(h5md_series(path, "temperature")[0], np.arange(4))


def test_a_sample_that_lacks_an_observable_is_refused(tmp_path):
    path = tmp_path / "w.h5md"
    atoms = _argon()
    with H5MDWriter(path, atoms) as w:
        w.write(atoms, step=0, time=0.0, observables={"pressure": 1.0})
        with pytest.raises(ValueError, match="every sample needs the same ones"):
            w.write_observables(atoms, step=1, time=0.001)
        with pytest.raises(ValueError, match="every sample needs the same ones"):
            w.write_observables(atoms, step=1, time=0.001,
                                observables={"pressure": 1.0, "max_forces_std": 0.1})
        w.write_observables(atoms, step=1, time=0.001, observables={"pressure": 2.0})
        w.write(atoms, step=2, time=0.002, observables={"pressure": 3.0})
    for name in ("pressure", "temperature", "volume"):
        np.testing.assert_array_equal(h5md_series(path, name)[0], [0, 1, 2])
    np.testing.assert_array_equal(h5md_series(path, "pressure")[2], [1.0, 2.0, 3.0])


def test_a_frames_own_observable_of_another_shape_is_refused_and_the_writer_goes_on(tmp_path):
    path = tmp_path / "w.h5md"
    atoms = _argon()
    with H5MDWriter(path, atoms) as w:
        w.write(atoms, step=0, time=0.0, observables={"charge_current": np.zeros((2, 3))},
                sample=False)
        with pytest.raises(ValueError, match=r"charge_current of the frame at step 1 has shape "
                                             r"\(3, 3\), earlier frames \(2, 3\)"):
            w.write(atoms, step=1, time=0.001,
                    observables={"charge_current": np.zeros((3, 3))}, sample=False)
        w.write(atoms, step=1, time=0.001, observables={"charge_current": np.ones((2, 3))},
                sample=False)
    info = h5md_info(path)
    assert info["complete"] and info["n_frames"] == 2
    with h5py.File(path) as f:
        np.testing.assert_array_equal(f["observables/charge_current/value"][1], np.ones((2, 3)))


@pytest.mark.parametrize("index", [1.5, 2.0, True, "0", None])
def test_a_frame_index_that_is_no_integer_is_refused_by_name(index, tmp_path):
    # before: True read frame 1, a float or a string failed inside h5py or a comparison
    from ase_electrolyte.trajectory import read_h5md

    path = tmp_path / "w.h5md"
    atoms = _argon()
    with H5MDWriter(path, atoms) as w:
        for step in range(3):
            w.write(atoms, step=step, time=step * 0.001)
    with pytest.raises(TypeError, match="index must be an integer frame index"):
        read_h5md(path, index)
    assert read_h5md(path, np.int64(1)).info["step"] == 1


def test_readers_name_the_file_that_is_no_hdf5_and_the_observable_that_is_no_name(tmp_path):
    from ase_electrolyte.trajectory import read_h5md, start_state

    path = tmp_path / "notes.h5md"
    path.write_text("not a trajectory")
    for read in (h5md_info, read_h5md, start_state, lambda p: h5md_series(p, "temperature")):
        with pytest.raises(OSError, match=f"{path} is not an HDF5"):
            read(path)
    good = tmp_path / "w.h5md"
    with H5MDWriter(good, _argon()) as w:
        w.write(_argon(), step=0, time=0.0)
    with pytest.raises(TypeError, match="name must be an observable's name"):
        h5md_series(good, 3)
