"""The H5MD writer's chunks are sized in bytes, and a closed file keeps no reserved blocks.

1. A series whose row held more than 16 numbers was stored one row per chunk: the charge current
   of 6 charged species (6 x 3 float64, 144 B) then took ~79 B more per sample than that of 5
   (measured over 20 001 samples, for 24 B of data), the index entry of a chunk per sample, and
   read back 12x slower. Chunks of a series now hold up to 32 KiB of rows.
2. The room reserved ahead of each write (``fallocate`` with ``FALLOC_FL_KEEP_SIZE``) was
   punched back past the file's end, which ext4 ignores (it punches up to the file's size only):
   every stage file kept 66 to 136 kB of blocks beyond its size after closing.
"""

import os

import h5py
import numpy as np
import pytest
from ase.build import bulk

from ase_electrolyte import trajectory
from ase_electrolyte.trajectory import _CHUNK_BYTES, H5MDWriter, h5md_series, read_h5md

_CURRENT = "parameters/ase_electrolyte/series/charge_current/value"


def _atoms():
    atoms = bulk("Cu", cubic=True) * (2, 2, 2)  # 32 atoms
    atoms.rattle(0.05, seed=1)
    return atoms


def _write(path, values, frame_every, mode="w", first=0):
    """Samples of ``values`` (the charge current, one row per step from ``first``), a frame
    (moved positions) every ``frame_every`` steps and at the last one; the positions written."""
    atoms = _atoms()
    positions = []
    with H5MDWriter(path, atoms, mode=mode, velocities=False, forces=False) as w:
        for i, value in enumerate(values, start=first):
            obs = {"charge_current": value}
            if (i - first) % frame_every == 0 or i - first == len(values) - 1:
                atoms.positions[0, 0] = 0.001 * i
                w.write(atoms, step=i, time=1e-3 * i, observables=obs)
                positions.append(atoms.get_positions())
            else:
                w.write_observables(atoms, step=i, time=1e-3 * i, observables=obs)
    return positions


def test_a_sixth_charged_species_costs_its_data_bytes_per_sample(tmp_path):
    n = 8000
    rng = np.random.default_rng(0)
    sizes = {}
    for species in (5, 6):
        path = tmp_path / f"{species}.h5md"
        _write(path, rng.normal(size=(n, species, 3)), frame_every=1000)
        sizes[species] = path.stat().st_size
    # the files differ by the sixth species' 3 float64 a sample (24 B), up to a partial chunk
    # (32 KiB, 4 B a sample here); one row a chunk made it 74 B a sample (0.59 MB here)
    extra = (sizes[6] - sizes[5]) / n
    assert 24 - _CHUNK_BYTES / n <= extra <= 1.25 * 24, sizes


def test_values_read_back_bit_for_bit(tmp_path):
    n = 3001
    rng = np.random.default_rng(1)
    # numbers of every magnitude, with subnormals and signed zeros: no rounding on the way
    values = rng.normal(size=(n, 6, 3)) * 10.0 ** rng.integers(-310, 300, size=(n, 6, 3))
    values[0, 0] = [-0.0, 0.0, 5e-324]
    path = tmp_path / "bits.h5md"
    positions = _write(path, values, frame_every=7)
    step, time, stored = h5md_series(path, "charge_current")
    assert stored.dtype == np.float64
    assert stored.tobytes() == values.tobytes()
    assert np.array_equal(step, np.arange(n))
    assert np.array_equal(time, 1e-3 * np.arange(n))
    # the particle data stay a frame per chunk; every frame reads back as written, here and by
    # MDAnalysis' reader
    with h5py.File(path) as f:
        assert f[_CURRENT].chunks == (227, 6, 3)  # 32 KiB of 144 B rows
        stored_positions = f["particles/trajectory/position/value"]
        assert stored_positions.chunks == (1, 32, 3)
        assert stored_positions[()].tobytes() == np.array(positions).tobytes()
    assert len(positions) == 430
    for index in (0, 215, -1):
        assert read_h5md(path, index).get_positions().tobytes() == positions[index].tobytes()
    mda = pytest.importorskip("MDAnalysis")
    u = mda.Universe(str(path))
    assert u.trajectory.n_frames == len(positions)
    for ts, written in zip(u.trajectory[::37], positions[::37], strict=True):
        np.testing.assert_array_equal(ts.positions, written.astype(np.float32))


def _old_rows_per_chunk(shape, itemsize=8):
    """The rule of files written before the chunks were sized in bytes."""
    return 1 if int(np.prod(shape)) > 16 else 256


def test_a_file_of_one_row_chunks_is_appended_to_and_read(tmp_path, monkeypatch):
    rng = np.random.default_rng(2)
    values = rng.normal(size=(700, 6, 3))
    path = tmp_path / "old.h5md"
    with monkeypatch.context() as patch:
        patch.setattr(trajectory, "series_chunk_rows", _old_rows_per_chunk)
        before = _write(path, values[:300], frame_every=50)
    with h5py.File(path) as f:
        assert f[_CURRENT].chunks == (1, 6, 3)
        assert f["particles/trajectory/position/value"].chunks == (1, 32, 3)
    after = _write(path, values[300:], frame_every=50, mode="a", first=300)
    with h5py.File(path) as f:
        # chunks are the dataset's own: the old layout stays, and holds the appended rows
        assert f[_CURRENT].chunks == (1, 6, 3)
        assert f["particles/trajectory/position/value"].chunks == (1, 32, 3)
    step, _, stored = h5md_series(path, "charge_current")
    assert np.array_equal(step, np.arange(700))
    assert stored.tobytes() == values.tobytes()
    with h5py.File(path) as f:
        stored_positions = f["particles/trajectory/position/value"][()]
    assert stored_positions.tobytes() == np.array(before + after).tobytes()
    assert read_h5md(path).get_positions().tobytes() == after[-1].tobytes()


def test_no_reserved_blocks_are_kept_past_the_end(tmp_path):
    # run everywhere: on a file system that allocates past a file's end (ext4, CI's) this found
    # the kept reserve (91 800 B); where nothing is allocated ahead the bound holds as well
    path = tmp_path / "run.h5md"
    atoms = _atoms()
    slack = []

    def excess():
        st = os.stat(path)
        return st.st_blocks * 512 - st.st_size, st.st_blksize

    with H5MDWriter(path, atoms, velocities=False, forces=False) as w:
        for i in range(300):
            obs = {"charge_current": np.full((6, 3), float(i))}
            if i % 100 == 0:
                atoms.positions[0, 0] = 0.001 * i
                w.write(atoms, step=i, time=1e-3 * i, observables=obs)
                slack.append(excess())
            else:
                w.write_observables(atoms, step=i, time=1e-3 * i, observables=obs)
    slack.append(excess())
    # the reserve (its 64 KiB margin and more) was kept after each write and after closing;
    # what stays is the last block's tail and the file system's own extent blocks
    for kept, block in slack:
        assert kept <= 4 * block, slack
