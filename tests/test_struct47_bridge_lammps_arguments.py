"""``from_ase(data, dump=...)`` arguments that were ignored or misnamed.

Before: ``index="2:"`` with a dump was ignored (all frames read, without a word); a folder
given as ``dump`` was "no such file"; a list of dumps failed inside pathlib ("expected str,
bytes or os.PathLike object, not list"); a data file and dump given as bytes were refused
by pathlib.
"""

import pathlib
import warnings

import numpy as np
import pytest

from mda_electrolyte import from_ase

STYLE = "id resid type charge x y z"
DATA = """LAMMPS data file

6 atoms
2 atom types

0.0 10.0 xlo xhi
0.0 10.0 ylo yhi
0.0 10.0 zlo zhi

Masses

1 15.999
2 1.008

Atoms # full

1 1 1 0.0 1.0 1.0 1.0
2 1 2 0.0 1.96 1.0 1.0
3 1 2 0.0 0.76 1.93 1.0
4 2 1 0.0 5.0 5.0 5.0
5 2 2 0.0 5.96 5.0 5.0
6 2 2 0.0 4.76 5.93 5.0
"""


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lammps")
    (folder / "data.lmp").write_text(DATA)
    pos = np.array(
        [[1, 1, 1], [1.96, 1, 1], [0.76, 1.93, 1], [5, 5, 5], [5.96, 5, 5], [4.76, 5.93, 5]]
    )
    types = [1, 2, 2, 1, 2, 2]
    lines = []
    for step in range(0, 500, 100):
        lines += [
            f"ITEM: TIMESTEP\n{step}\nITEM: NUMBER OF ATOMS\n6\n",
            "ITEM: BOX BOUNDS pp pp pp\n0 10\n0 10\n0 10\n",
            "ITEM: ATOMS id type x y z vx vy vz\n",
        ]
        for i in range(6):
            x = pos[i] + 1e-4 * step
            lines.append(f"{i + 1} {types[i]} {x[0]} {x[1]} {x[2]} 0.1 0.0 0.0\n")
    (folder / "dump.lammpstrj").write_text("".join(lines))
    return folder / "data.lmp", folder / "dump.lammpstrj"


def _read(data, dump, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return from_ase(data, dump=dump, dt=0.01, lammps_atom_style=STYLE, **kw)


@pytest.mark.parametrize("index", ["2:", "::2", 0, -1, "0"])
def test_an_index_with_a_dump_is_refused(files, index):
    with pytest.raises(ValueError, match="given with dump=: a LAMMPS dump is read whole"):
        _read(*files, index=index)


def test_a_folder_as_dump_or_data_is_named(files):
    data, dump = files
    with pytest.raises(ValueError, match="dump: .* is a folder"):
        _read(data, dump.parent)
    with pytest.raises(ValueError, match=r"source \(the LAMMPS data file\): .* is a folder"):
        _read(data.parent, dump)


@pytest.mark.parametrize("dump", [["dump.lammpstrj"], 5, ("a", "b")])
def test_a_dump_that_is_no_path_is_a_type_error(files, dump):
    with pytest.raises(TypeError, match="dump must be one file path"):
        _read(files[0], dump)


@pytest.mark.parametrize("convert", [str, pathlib.Path, lambda p: str(p).encode()])
def test_paths_of_any_type_read_every_frame(files, convert):
    u = _read(*(convert(p) for p in files))
    assert u.trajectory.n_frames == 5
    assert u.trajectory.dt == pytest.approx(0.01)
    assert list(u.atoms.elements) == ["O", "H", "H"] * 2
