"""``from_ase`` takes frames the way ASE users hold them, and refuses arguments it would ignore.

An open ``ase.io.Trajectory`` and a generator of Atoms were refused with Python's bare
"expected str, bytes or os.PathLike object, not TrajectoryReader"; ``index`` given with frames
in memory and the LAMMPS options given without a dump were silently ignored.
"""

import numpy as np
import pytest
from ase.build import molecule
from ase.io.trajectory import Trajectory

from mda_electrolyte import from_ase


@pytest.fixture
def frames():
    water = molecule("H2O")
    water.center(vacuum=4.0)
    water.pbc = True
    rng = np.random.default_rng(3)
    out = []
    for k in range(4):
        a = water.copy()
        a.positions += rng.normal(scale=0.02, size=a.positions.shape)
        a.info["time_ps"] = 0.01 * k
        out.append(a)
    return out


@pytest.fixture
def traj_path(frames, tmp_path):
    path = tmp_path / "water.traj"
    with Trajectory(path, "w") as t:
        for a in frames:
            t.write(a)
    return path


def _positions(u):
    return np.stack([ts.positions.copy() for ts in u.trajectory])


def _times(u):
    return np.array([ts.time for ts in u.trajectory])


@pytest.mark.parametrize("kind", ["tuple", "generator", "trajectory_reader", "bytes_path"])
def test_every_way_of_holding_frames_gives_the_list_universe(kind, frames, traj_path):
    reference = from_ase(frames)
    source = {
        "tuple": lambda: tuple(frames),
        "generator": lambda: (a for a in frames),
        "trajectory_reader": lambda: Trajectory(traj_path),
        "bytes_path": lambda: bytes(traj_path),
    }[kind]()
    u = from_ase(source)
    assert u.trajectory.n_frames == len(frames)
    # .traj stores float64 like the Atoms: the same float32 positions as from the list
    np.testing.assert_array_equal(_positions(u), _positions(reference))
    np.testing.assert_allclose(_times(u), _times(reference))
    assert list(u.residues.resnames) == list(reference.residues.resnames)


def test_frames_in_memory_are_not_changed(frames):
    before = [a.positions.copy() for a in frames]
    u = from_ase(a for a in frames)
    u.trajectory[1]
    u.atoms.positions = u.atoms.positions + 1.0
    for a, p in zip(frames, before, strict=True):
        np.testing.assert_array_equal(a.positions, p)


@pytest.mark.parametrize(
    "source, exc, words",
    [
        (5, TypeError, "not int"),
        (3.5, TypeError, "not float"),
        (None, TypeError, "not NoneType"),
        ({"H2O": 1}, ValueError, "not a dict"),
        (iter(()), ValueError, "non-empty"),
    ],
)
def test_sources_that_are_not_frames_are_named(source, exc, words):
    with pytest.raises(exc, match=words):
        from_ase(source)


def test_a_list_mixing_atoms_and_other_objects_names_the_frame(frames):
    with pytest.raises(ValueError, match="frame 2 is a ndarray"):
        from_ase([frames[0], frames[1], frames[2].positions])


@pytest.mark.parametrize("index", [0, "1:", slice(0, 2), -1])
@pytest.mark.parametrize("holder", [list, tuple, Trajectory])
def test_index_with_frames_in_memory_is_refused(index, holder, frames, traj_path):
    source = Trajectory(traj_path) if holder is Trajectory else holder(frames)
    with pytest.raises(ValueError, match="in memory"):
        from_ase(source, index=index)


def test_index_still_selects_frames_of_a_file(frames, traj_path):
    u = from_ase(traj_path, index="1:3")
    np.testing.assert_array_equal(_positions(u), _positions(from_ase(frames[1:3])))


@pytest.mark.parametrize(
    "kwargs, name",
    [({"lammps_units": "real"}, "lammps_units"),
     ({"lammps_units": "si"}, "lammps_units"),
     ({"lammps_atom_style": "id type x y z"}, "lammps_atom_style")],
)
@pytest.mark.parametrize("as_file", [False, True])
def test_lammps_options_without_a_dump_are_refused(kwargs, name, as_file, frames, traj_path):
    source = traj_path if as_file else frames
    with pytest.raises(ValueError, match=f"{name}=.*without dump="):
        from_ase(source, **kwargs)
