"""One reader of boxes (and times) for every check and report: ``frame_boxes``.

Before, ``trajectory_boxes`` (the RDF and shell reports) read every frame of an H5MD file,
``selection_volumes`` (the NPT refusal before a transport pass) had its own copy of the H5MD box
reading, and ``Density(universe)`` read every frame's coordinates to get its boxes. Now each
takes ``frame_boxes``: the box of every frame equals what ``Timestep.dimensions`` gives, for
every kind of reader (in memory, H5MD in other units, XTC, DCD, TRR, files joined by a
ChainReader, a transformation that changes the box), and where the reader keeps its boxes
apart from the coordinates no frame is read.
"""

import warnings

import h5py
import MDAnalysis as mda
import numpy as np
import pytest
from MDAnalysis.coordinates.memory import MemoryReader
from MDAnalysis.transformations import boxdimensions

from ase_electrolyte.units import GCM3_TO_AMU_PER_A3
from mda_electrolyte import Density
from mda_electrolyte.analysis_base import frame_boxes, trajectory_boxes
from mda_electrolyte.ion_collection import VOLUME_PROBE_FRAMES, selection_volumes

N_ATOMS, N_FRAMES, DT = 6, 40, 0.5


def _memory(seed=0, triclinic=True, n_frames=N_FRAMES):
    rng = np.random.default_rng(seed)
    u = mda.Universe.empty(N_ATOMS, n_residues=N_ATOMS, atom_resindex=np.arange(N_ATOMS),
                           trajectory=True)
    u.add_TopologyAttr("masses", rng.uniform(1.0, 20.0, N_ATOMS))
    pos = rng.uniform(0.0, 10.0, (n_frames, N_ATOMS, 3)).astype(np.float32)
    lengths = 20.0 + rng.uniform(0.0, 2.0, (n_frames, 3))
    angles = (75.0 + rng.uniform(0.0, 30.0, (n_frames, 3)) if triclinic
              else np.full((n_frames, 3), 90.0))
    u.load_new(pos, format=MemoryReader, dimensions=np.column_stack([lengths, angles]), dt=DT)
    return u


def _write(u, path, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with mda.Writer(str(path), N_ATOMS, **kwargs) as writer:
            for _ in u.trajectory:
                writer.write(u.atoms)
    return path


def _load(u, files, **kwargs):
    v = mda.Universe.empty(N_ATOMS, n_residues=N_ATOMS, atom_resindex=np.arange(N_ATOMS))
    v.add_TopologyAttr("masses", u.atoms.masses)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        v.load_new([str(f) for f in files] if isinstance(files, list) else str(files),
                   **kwargs)
    return v


def _frame_by_frame(trajectory, index=None):
    """(boxes, times) of ``index`` as the Timesteps give them: the reference."""
    index = range(trajectory.n_frames) if index is None else index
    boxes, times = [], []
    for k in index:
        ts = trajectory[int(k)]
        boxes.append(np.zeros(6) if ts.dimensions is None else ts.dimensions.copy())
        times.append(ts.time)
    trajectory[0]
    return np.array(boxes, dtype=np.float64), np.array(times)


class _CountReads:
    """Counts the frames a reader class reads (its ``_read_frame``) while in the block."""

    def __init__(self, monkeypatch, reader_class):
        self.count = 0
        original = reader_class._read_frame

        def counted(reader, frame):
            self.count += 1
            return original(reader, frame)

        monkeypatch.setattr(reader_class, "_read_frame", counted)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("boxes")
    u = _memory()
    out = {"memory": u}
    # nm and fs in the file: the boxes and times are converted as the reader converts them
    out["h5md"] = _write(u, folder / "a.h5md", lengthunit="nm", timeunit="fs")
    for ext in ("xtc", "dcd", "trr"):
        out[ext] = _write(u, folder / f"a.{ext}")
    # a second part later in time, for the joined files
    later = _memory(seed=1)
    later.trajectory.dimensions_array[:, 3:] = 90.0
    out["h5md_later"] = _write(later, folder / "b.h5md", lengthunit="Angstrom", timeunit="ps")
    out["xtc_later"] = _write(later, folder / "b.xtc")
    # a cuboid box stored as its space diagonal, the H5MD form of a rectangular box
    cuboid = _write(_memory(seed=2, triclinic=False), folder / "cuboid.h5md",
                    lengthunit="Angstrom", timeunit="ps")
    with h5py.File(cuboid, "r+") as f:
        box = f["particles/trajectory/box/edges"]
        diagonal = np.einsum("tii->ti", box["value"][()])
        del box["value"]
        box.create_dataset("value", data=diagonal)
    out["h5md_cuboid"] = cuboid
    return out


KINDS = ["memory", "h5md", "h5md_cuboid", "xtc", "dcd", "trr"]
APART = {"memory", "h5md", "h5md_cuboid"}


@pytest.mark.parametrize("kind", KINDS)
def test_every_reader_gives_the_boxes_and_times_of_its_timesteps(files, kind, monkeypatch):
    u = files["memory"] if kind == "memory" else _load(files["memory"], files[kind])
    reference = _frame_by_frame(u.trajectory)
    u.trajectory[3]
    counter = _CountReads(monkeypatch, type(u.trajectory))
    read, boxes, times = frame_boxes(u.trajectory, times=True)
    np.testing.assert_array_equal(read, np.arange(N_FRAMES))
    np.testing.assert_array_equal(boxes, reference[0])
    np.testing.assert_array_equal(times, reference[1])
    assert u.trajectory.ts.frame == 3
    if kind in APART:
        assert counter.count == 0
    # a selection, and at most max_read of it where frames must be read
    index = np.arange(5, N_FRAMES, 3)
    read, boxes, _ = frame_boxes(u.trajectory, index, max_read=4)
    if kind in APART:
        np.testing.assert_array_equal(read, index)
    else:
        assert read.size == 4 and read[0] == index[0] and read[-1] == index[-1]
        assert set(read) <= set(index)
    np.testing.assert_array_equal(boxes, _frame_by_frame(u.trajectory, read)[0])
    # trajectory_boxes and selection_volumes give the same boxes
    pairs = trajectory_boxes(u.trajectory)
    np.testing.assert_array_equal(np.array([b for _, b in pairs]), reference[0])
    volumes, exact = selection_volumes(u.trajectory, np.arange(N_FRAMES))
    assert exact == (kind in APART)
    probe = np.arange(N_FRAMES) if exact else np.unique(
        np.linspace(0, N_FRAMES - 1, VOLUME_PROBE_FRAMES).round().astype(int))
    np.testing.assert_allclose(volumes, [u.trajectory[int(k)].volume for k in probe],
                               rtol=1e-5)


@pytest.mark.parametrize("parts", [("h5md", "h5md_later"), ("xtc", "h5md_later"),
                                   ("xtc", "xtc_later")])
def test_joined_files_give_the_boxes_of_their_parts(files, parts, monkeypatch):
    u = _load(files["memory"], [files[p] for p in parts])
    assert type(u.trajectory).__name__ == "ChainReader"
    reference = _frame_by_frame(u.trajectory)
    counters = {cls: _CountReads(monkeypatch, cls)
                for cls in {type(r) for r in u.trajectory.readers}}
    read, boxes, times = frame_boxes(u.trajectory, times=True)
    np.testing.assert_array_equal(boxes, reference[0])
    np.testing.assert_array_equal(times, reference[1])
    # both parts hold their boxes apart from the coordinates: no frame read
    reads = sum(c.count for c in counters.values())
    assert (reads == 0) == all(p.startswith("h5md") for p in parts)
    # a selection across the joint
    index = np.arange(N_FRAMES - 3, N_FRAMES + 4)
    _, boxes, times = frame_boxes(u.trajectory, index, times=True)
    np.testing.assert_array_equal(boxes, reference[0][index])
    np.testing.assert_array_equal(times, reference[1][index])


@pytest.mark.parametrize("kind", ["memory", "h5md"])
def test_a_transformation_that_changes_the_box_is_read_from_the_frames(files, kind):
    u = files["memory"] if kind == "memory" else _load(files["memory"], files[kind])
    if kind == "memory":
        u = _memory()
    stored = frame_boxes(u.trajectory)[1]
    new = [30.0, 31.0, 32.0, 90.0, 90.0, 90.0]
    u.trajectory.add_transformations(boxdimensions.set_dimensions(new))
    read, boxes, _ = frame_boxes(u.trajectory)
    np.testing.assert_array_equal(read, np.arange(N_FRAMES))
    np.testing.assert_allclose(boxes, np.tile(new, (N_FRAMES, 1)))
    assert not np.allclose(stored, boxes)
    assert all(np.allclose(b, new) for _, b in trajectory_boxes(u.trajectory, distinct=True))
    volumes, exact = selection_volumes(u.trajectory, np.arange(N_FRAMES))
    assert not exact
    np.testing.assert_allclose(volumes, 30.0 * 31.0 * 32.0, rtol=1e-6)


def test_frames_without_a_box_are_zero_rows_and_none_pairs():
    u = mda.Universe.empty(2, trajectory=True)
    u.load_new(np.zeros((3, 2, 3), np.float32), format=MemoryReader)
    read, boxes, _ = frame_boxes(u.trajectory)
    np.testing.assert_array_equal(boxes, np.zeros((3, 6)))
    assert trajectory_boxes(u.trajectory, distinct=True) == [(0, None)]


@pytest.mark.parametrize("kind", ["memory", "h5md", "xtc", "dcd"])
def test_density_of_a_universe_is_that_of_its_frames_without_reading_coordinates(
        files, kind, monkeypatch):
    # a DCD of MDAnalysis' writer records a placeholder step: its spacing is given
    extra = {"dt": DT} if kind == "dcd" else {}
    u = files["memory"] if kind == "memory" else _load(files["memory"], files[kind], **extra)
    frames = [(ts.volume, ts.time) for ts in u.trajectory]
    u.trajectory[0]
    expected = u.atoms.masses.sum() / np.array([v for v, _ in frames]) / GCM3_TO_AMU_PER_A3
    counter = _CountReads(monkeypatch, type(u.trajectory))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d = Density(u, detect_equilibration=False).run().results
    np.testing.assert_allclose(d.series, expected, rtol=1e-5)
    np.testing.assert_allclose(d.time - d.time[0], [t - frames[0][1] for _, t in frames],
                               rtol=1e-6, atol=1e-9)
    if kind in APART:
        assert counter.count == 0
    else:
        assert counter.count >= N_FRAMES


@pytest.mark.parametrize("kind", ["memory", "h5md", "xtc"])
def test_negative_frames_count_from_the_end_and_a_frame_past_it_is_refused(files, kind):
    u = files["memory"] if kind == "memory" else _load(files["memory"], files[kind])
    read, boxes, _ = frame_boxes(u.trajectory, [-1, -2])
    np.testing.assert_array_equal(read, [N_FRAMES - 1, N_FRAMES - 2])
    np.testing.assert_array_equal(boxes, _frame_by_frame(u.trajectory, read)[0])
    with pytest.raises(IndexError):
        frame_boxes(u.trajectory, [N_FRAMES])
