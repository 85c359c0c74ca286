"""Files that are not this version's trajectories, and files the writer may not touch.

Each is named for what it is (another program's H5MD file, the first version's layout, units
rewritten by a tool, a read-only file, a file another handle of this process holds) by every
reader and by the writer's append mode, which leaves it unchanged: before, the append mode
said "cannot be read ...; it cannot be resumed: remove it" of all of them, and the readers
took a time axis in fs for ps.
"""

import errno
import os
import warnings

import h5py
import MDAnalysis as mda
import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT

import ase_electrolyte.trajectory as trajectory
from ase_electrolyte.trajectory import (
    H5MDWriter,
    foreign_h5md,
    h5md_info,
    h5md_series,
    integrator_state,
    read_h5md,
    start_state,
)
from mda_electrolyte.bridge import from_ase

# MDAnalysis guesses nothing for the minimal topology of Universe(path)
pytestmark = pytest.mark.filterwarnings("ignore:there is no reference attributes")


def _copper():
    atoms = bulk("Cu", "fcc", a=3.6, cubic=True)
    atoms.rattle(0.05, seed=1)
    atoms.calc = EMT()
    return atoms


def _ours(path, frames=3):
    atoms = _copper()
    with H5MDWriter(path, atoms) as w:
        for k in range(frames):
            atoms.positions[0, 0] += 0.01
            w.write(atoms, step=2 * k, time=0.004 * k)
    return path


_READERS = [h5md_info, read_h5md, start_state, integrator_state,
            lambda p: h5md_series(p, "temperature")]


def _mdanalysis_file(path, tmp_path):
    u = mda.Universe(str(_ours(tmp_path / "src.h5md")))
    with mda.Writer(str(path), n_atoms=u.atoms.n_atoms, velocities=True, forces=True) as w:
        for _ in u.trajectory:
            w.write(u.atoms)
    # MDAnalysis' H5MDWriter leaves its h5py file open after the with block
    w.h5md_file.close()
    u.trajectory.close()


def _minimal_file(path, tmp_path):
    with h5py.File(path, "w") as f:
        f.create_group("h5md").attrs["version"] = [1, 1]
        g = f.create_group("particles/trajectory")
        g.create_group("box").attrs["dimension"] = 3
        g["position/value"] = np.zeros((2, 4, 3))
        g["position/step"] = [0, 1]
        g["position/time"] = [0.0, 1.0]


@pytest.mark.parametrize("make, what", [(_mdanalysis_file, "written by MDAnalysis"),
                                        (_minimal_file, "of another program")])
def test_another_programs_h5md_file_is_named_and_never_to_be_removed(make, what, tmp_path):
    path = tmp_path / "foreign.h5md"
    make(path, tmp_path)
    before = path.read_bytes()
    with h5py.File(path, "r") as f:
        assert what in foreign_h5md(f)
    for read in _READERS:
        with pytest.raises(ValueError, match=rf"foreign.h5md is an H5MD file {what}, not an "
                                             r"H5MD file written by ase_electrolyte.*"
                                             r"MDAnalysis.Universe\(path\)"):
            read(path)
    with pytest.raises(ValueError, match=rf"{what}.*not appending to it, the file is "
                                         "unchanged: choose another path") as err:
        H5MDWriter(path, _copper(), mode="a")
    assert "remove it" not in str(err.value)
    assert path.read_bytes() == before


def test_a_file_of_the_first_version_is_named_by_every_reader(tmp_path):
    """The first writer stored every sampled step under /observables (7 rows for 3 frames)
    and no series, cell or start state: refused as 'not written by ase_electrolyte (no
    parameters/ase_electrolyte)' by the readers and 'damaged: no cell' by from_ase."""
    path = _ours(tmp_path / "old.h5md")
    with h5py.File(path, "a") as f:
        meta = f["parameters/ase_electrolyte"]
        for name in ("series", "cell", "start_positions"):
            del meta[name]
        f.move("particles/trajectory", "particles/all")
    before = path.read_bytes()
    match = r"old.h5md was written by an early version of ase_electrolyte.*not one value per frame"
    for read in [*_READERS, from_ase]:
        with pytest.raises(ValueError, match=match):
            read(path)
    with pytest.raises(ValueError, match=match + ".*not appending to it"):
        H5MDWriter(path, _copper(), mode="a")
    assert path.read_bytes() == before


@pytest.mark.parametrize("dataset, unit", [("position/time", "fs"), ("position/value", "nm"),
                                           ("force/value", "kJ mol-1 nm-1"),
                                           ("box/edges/value", "nm")])
def test_a_file_whose_units_were_rewritten_is_refused_not_misread(dataset, unit, tmp_path):
    """MDAnalysis converts by the unit attributes, read_h5md and from_ase's dt did not: a time
    axis in fs gave u.trajectory.dt 1000 times ts.time's spacing, read_h5md time_ps in fs."""
    path = _ours(tmp_path / "run.h5md")
    u = mda.Universe(str(path))
    spacing = u.trajectory[1].time - u.trajectory[0].time
    u.trajectory.close()
    assert spacing == pytest.approx(h5md_info(path)["last_time"] / 2, rel=1e-12)
    with h5py.File(path, "a") as f:
        f[f"particles/trajectory/{dataset}"].attrs["unit"] = unit
    for read in [*_READERS[:3], from_ase]:
        with pytest.raises(ValueError, match=rf"trajectory/{dataset} is in '{unit}', not the"):
            read(path)


@pytest.mark.parametrize("code", [errno.EACCES, errno.EROFS])
def test_a_read_only_file_at_resume_is_named_as_not_writable(code, tmp_path, monkeypatch):
    """(Simulated: the tests may run as root, whom file modes do not stop.)"""
    path = _ours(tmp_path / "run.h5md")
    before = path.read_bytes()
    opened = h5py.File

    def read_only(name, mode="r", *args, **kwargs):
        if mode != "r":
            raise OSError(code, "Unable to synchronously open file (unable to open file: "
                                f"errno = {code}, error message = '{errno.errorcode[code]}')")
        return opened(name, mode, *args, **kwargs)

    monkeypatch.setattr(trajectory.h5py, "File", read_only)
    with pytest.raises(PermissionError, match=r"run.h5md cannot be resumed: it is not writable"
                                              r".*unchanged.*chmod u\+w") as err:
        H5MDWriter(path, _copper(), mode="a")
    assert err.value.errno == code and "remove" not in str(err.value)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert h5md_info(path)["n_frames"] == 3


def test_a_file_a_writer_of_this_process_holds_is_busy_not_damaged(tmp_path):
    """HDF5's 'file locking flag values don't match' (a handle with default locking, as
    MDAnalysis' H5MDWriter leaves open) was reported as a file that cannot be read."""
    path = _ours(tmp_path / "run.h5md")
    held = h5py.File(path, "r+")
    try:
        for mode in ("a", "w"):
            with pytest.raises(OSError, match="run.h5md is open .*in this process") as err:
                H5MDWriter(path, _copper(), mode=mode)
            assert err.value.errno == errno.EBUSY
    finally:
        held.close()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with H5MDWriter(path, _copper(), mode="a") as w:
            assert w.n_frames == 3


def test_a_read_only_file_is_not_replaced_by_a_new_run(tmp_path, monkeypatch):
    """mode='w' built the new file beside it and renamed it over the read-only one (a rename
    needs only the folder's permission): run_md and a plain open refuse that file."""
    path = _ours(tmp_path / "run.h5md")
    before = path.read_bytes()
    writable = trajectory.os.access
    monkeypatch.setattr(trajectory.os, "access", lambda name, mode, **kw: (
        not (mode & os.W_OK and os.fspath(name) == str(path)) and writable(name, mode, **kw)))
    with pytest.raises(PermissionError, match=r"run.h5md is read-only: not replaced.*chmod u\+w"):
        H5MDWriter(path, _copper(), mode="w")
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.h5md"]
