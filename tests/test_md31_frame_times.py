"""Frames read as Atoms keep their stored times (``info['time_ps']``), as MDAnalysis' own
readers keep a file's: frames from 5 ps on were shown from 0 ps, and the same frames read
from their H5MD file and as Atoms had different times."""

import warnings

import numpy as np
import pytest
from ase.build import bulk

from ase_electrolyte.trajectory import H5MDWriter, read_h5md
from mda_electrolyte.bridge import from_ase


def _frames(t0, n=4, spacing=0.01):
    frames = []
    for k in range(n):
        atoms = bulk("Ar", "fcc", a=5.26, cubic=True)
        atoms.rattle(0.02, seed=k)
        atoms.info["time_ps"] = t0 + spacing * k
        frames.append(atoms)
    return frames


def _times(u):
    return np.array([ts.time for ts in u.trajectory])


@pytest.mark.parametrize("t0", [0.0, 5.0, 123.4])
def test_frames_keep_their_times_as_their_h5md_file_gives_them(t0, tmp_path):
    frames = _frames(t0)
    stored = np.array([a.info["time_ps"] for a in frames])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # argon is no library species
        u = from_ase(frames)
        path = tmp_path / "argon.h5md"
        with H5MDWriter(path, frames[0], forces=False) as writer:
            for k, atoms in enumerate(frames):
                writer.write(atoms, step=k, time=atoms.info["time_ps"])
        # MDAnalysis' H5MD reader gives the file's times: the reference
        from_file = from_ase(path)
        # the frames read back from the file, as Atoms again
        again = from_ase([read_h5md(path, k) for k in range(len(frames))])
    np.testing.assert_allclose(_times(from_file), stored, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(_times(u), stored, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(_times(again), stored, rtol=1e-9, atol=1e-12)
    assert u.trajectory.dt == pytest.approx(0.01, rel=1e-9)


def test_a_slice_of_frames_keeps_its_times_and_a_given_dt_its_start():
    frames = _frames(5.0, n=6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_allclose(_times(from_ase(frames[3:])), [5.03, 5.04, 5.05], rtol=1e-9)
        # dt equal to the stored spacing: the stored start too
        np.testing.assert_allclose(_times(from_ase(frames, dt=0.01)),
                                   5.0 + 0.01 * np.arange(6), rtol=1e-9)
        # one frame: its own time
        assert _times(from_ase(frames[4])) == pytest.approx([5.04])
        # no stored times: dt from 0
        for atoms in frames:
            del atoms.info["time_ps"]
        np.testing.assert_allclose(_times(from_ase(frames, dt=0.02)), 0.02 * np.arange(6),
                                   rtol=1e-9, atol=1e-12)


def _dump(path, atoms, steps, element):
    lines = []
    for k, step in enumerate(steps):
        lines += ["ITEM: TIMESTEP", str(step), "ITEM: NUMBER OF ATOMS", str(len(atoms)),
                  "ITEM: BOX BOUNDS pp pp pp"]
        lines += [f"0.0 {x}" for x in atoms.cell.lengths()]
        lines.append("ITEM: ATOMS id type x y z" + (" element" if element else ""))
        for i, p in enumerate(atoms.positions + 0.01 * k):
            lines.append(f"{i + 1} 1 {p[0]:.6f} {p[1]:.6f} {p[2]:.6f}"
                         + (" Ar" if element else ""))
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("first", [0, 10000])
def test_a_lammps_dump_starts_at_its_timestep_as_mdanalysis_reads_it(first, tmp_path):
    import ase.io
    import MDAnalysis as mda

    atoms = bulk("Ar", "fcc", a=5.26, cubic=True)
    data = tmp_path / "data.lmp"
    ase.io.write(data, atoms, format="lammps-data", atom_style="atomic", masses=True)
    steps = [first, first + 100, first + 200]
    frame_ps = 0.1  # 100 MD steps of 1 fs
    # MDAnalysis' own dump reader: time = timestep × the MD step
    reference = mda.Universe(str(data), str(_dump(tmp_path / "d.lammpstrj", atoms, steps, False)),
                             topology_format="DATA", format="LAMMPSDUMP", dt=frame_ps / 100,
                             atom_style="id type x y z")
    expected = [ts.time for ts in reference.trajectory]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with_data = from_ase(data, dump=tmp_path / "d.lammpstrj", dt=frame_ps,
                             lammps_atom_style="id type x y z")
        # the same dump with elements, read by ASE without the data file
        alone = from_ase(_dump(tmp_path / "e.lammpstrj", atoms, steps, True), dt=frame_ps)
    np.testing.assert_allclose(_times(with_data), expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(_times(alone), expected, rtol=1e-9, atol=1e-12)
    assert with_data.trajectory.dt == pytest.approx(frame_ps)
