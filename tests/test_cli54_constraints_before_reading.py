"""``analyze --constraints`` more than the atoms' coordinates is refused from the file's
header, before a frame is read.

The count was checked against the atoms only once the whole trajectory had been read (every
frame of an extxyz file: seconds to minutes), then refused: ``--constraints 100000`` on a box
of a few atoms. The header of an H5MD, (ext)XYZ, .gro or LAMMPS data file states the atoms;
3N coordinates, less the centre of mass's 3 unless ``--com-removed no``, bound the count.
"""

import warnings

import ase
import ase.io
import h5py
import pytest


def _box(n_waters=2):
    """``n_waters`` water molecules (3 atoms each) in a periodic 9 Å cube."""
    from ase.build import molecule

    atoms = ase.Atoms(cell=[9.0, 9.0, 9.0], pbc=True)
    for k in range(n_waters):
        water = molecule("H2O")
        water.positions += 2.0 + 3.0 * k
        atoms += water
    return atoms


def _h5md(path, atoms):
    """A minimal H5MD file: one particle group with one frame of positions."""
    with h5py.File(path, "w") as f:
        f.create_group("h5md")
        group = f.create_group("particles/all")
        group.create_dataset("position/value", data=atoms.positions[None])
        group.create_dataset("position/step", data=[0])
        group.create_dataset("position/time", data=[0.0])


def _lammps(path, atoms):
    ase.io.write(path, atoms, format="lammps-data")
    dump = path.with_name("run.dump")
    lines = ["ITEM: TIMESTEP", "0", "ITEM: NUMBER OF ATOMS", str(len(atoms)),
             "ITEM: BOX BOUNDS pp pp pp", "0 9", "0 9", "0 9", "ITEM: ATOMS id type x y z"]
    lines += [f"{i + 1} 1 {x} {y} {z}" for i, (x, y, z) in enumerate(atoms.positions)]
    dump.write_text("\n".join(lines) + "\n")
    return ["--dump", str(dump)]


#: Each format: its file name and what writes it (returns extra arguments).
FORMATS = {
    "extxyz": ("box.extxyz", lambda p, a: ase.io.write(p, [a, a, a]) or []),
    "xyz": ("box.xyz", lambda p, a: ase.io.write(p, a, format="xyz") or []),
    "gro": ("box.gro", lambda p, a: ase.io.write(p, a, format="gromacs") or []),
    "h5md": ("box.h5md", lambda p, a: _h5md(p, a) or []),
    "lammps": ("box.data", _lammps),
}


@pytest.fixture
def unread(tmp_path, monkeypatch):
    """The frames' readers fail the test: a refusal must come before them."""
    import electrolyte_cli.arguments as cli_arguments
    import mda_electrolyte.bridge as bridge

    def forbidden(*args, **kwargs):
        raise AssertionError("read the trajectory before refusing")

    monkeypatch.setattr(bridge, "read_ase_frames", forbidden)
    monkeypatch.setattr(bridge, "from_ase", forbidden)
    monkeypatch.setattr(cli_arguments, "make_calculator", forbidden)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _run(argv, capsys):
    from electrolyte_cli import main

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        status = main(argv)
    return status, capsys.readouterr().err


def _input(fmt, tmp_path, n_waters=2):
    name, write = FORMATS[fmt]
    path = tmp_path / name
    extra = write(path, _box(n_waters))
    return [str(path), *extra]


REFUSED = [(100000, [], "exceeds the 15 coordinates of 6 atoms about their centre of mass"),
           (15, [], "no degree of freedom")]
#: The bounds either side, with and without the centre of mass (one format is enough: the
#: header's count is the same for all).
REFUSED_EXTXYZ = [(16, [], "exceeds the 15 coordinates of 6 atoms"),
                  (19, ["--com-removed", "no"], "exceeds the 18 coordinates of 6 atoms:"),
                  (18, ["--com-removed", "no"], "no degree of freedom")]


@pytest.mark.parametrize("fmt, constraints, com, said",
                         [(fmt, *case) for fmt in sorted(FORMATS) for case in REFUSED]
                         + [("extxyz", *case) for case in REFUSED_EXTXYZ])
def test_more_constraints_than_coordinates_refused_from_the_header(
        fmt, constraints, com, said, unread, capsys):
    argv = ["analyze", *_input(fmt, unread), "--constraints", str(constraints), *com,
            "-o", "out"]
    status, err = _run(argv, capsys)
    assert status == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith(f"electrolyte analyze: error: --constraints {constraints}"), err
    assert said in err, err
    assert not (unread / "out").exists()


@pytest.mark.parametrize("fmt, constraints, com",
                         [(fmt, 14, []) for fmt in sorted(FORMATS)]
                         + [("extxyz", 17, ["--com-removed", "no"]), ("extxyz", 6, [])])
def test_a_count_that_leaves_degrees_of_freedom_goes_on_to_the_frames(
        fmt, constraints, com, unread, capsys):
    """Two rigid waters (6 constraints) and counts up to one degree of freedom short of none
    pass the header's bound: the command goes on to read the frames."""
    argv = ["analyze", *_input(fmt, unread), "--constraints", str(constraints), *com,
            "-o", "out"]
    status, err = _run(argv, capsys)
    assert "read the trajectory before refusing" in err, err


def test_a_header_that_states_no_atoms_leaves_the_count_to_the_library(unread, capsys):
    """An extxyz whose first line is no count is left to the reader (no refusal guessed)."""
    path = unread / "odd.extxyz"
    path.write_text("six\n\nO 0 0 0\n")
    status, err = _run(["analyze", str(path), "--constraints", "100000", "-o", "out"], capsys)
    assert "--constraints 100000" not in err, err
