"""``electrolyte analyze`` on the files of other engines: read with what they state, or refused.

A positions-only trajectory (GROMACS XTC/TRR, DCD, AMBER NetCDF) has no elements, molecules or
charges and the command takes no topology beside it: one line (exit 2) saying what it lacks and
what to give, before anything is read or created. A LAMMPS data file is read in the atom style
its ``Atoms # style`` comment names (MDAnalysis failed on "atomic" with advice for a keyword no
command-line user can give); its text dump's frame spacing is ``--dt``; a ``--dump`` that is no
LAMMPS text dump (a DCD beside the data file) is refused by name instead of "'utf-8' codec can't
decode byte 0xa3".
"""

import gzip

import numpy as np
import pytest
from ase import Atoms
from ase.io import write

from electrolyte_cli import main


def _box():
    """Two water molecules and a methane in an 8 Å box."""
    from ase.build import molecule

    parts = [molecule("H2O"), molecule("H2O"), molecule("CH4")]
    for part, shift in zip(parts, ([2, 2, 2], [6, 2, 5], [2, 6, 5]), strict=True):
        part.translate(shift)
    atoms = parts[0] + parts[1] + parts[2]
    atoms.cell, atoms.pbc = [8.0] * 3, True
    return atoms


def _dump(path, atoms, n_frames=4, every=100):
    types = {s: i + 1 for i, s in enumerate(sorted(set(atoms.get_chemical_symbols())))}
    rng = np.random.default_rng(0)
    lines = []
    for frame in range(n_frames):
        lines += ["ITEM: TIMESTEP", str(frame * every), "ITEM: NUMBER OF ATOMS",
                  str(len(atoms)), "ITEM: BOX BOUNDS pp pp pp"] + ["0 8.0"] * 3
        lines.append("ITEM: ATOMS id type x y z")
        pos = atoms.positions + rng.normal(0, 0.01, atoms.positions.shape)
        lines += [f"{i} {types[s]} {x} {y} {z}" for i, (s, (x, y, z))
                  in enumerate(zip(atoms.get_chemical_symbols(), pos, strict=True), 1)]
    text = "\n".join(lines) + "\n"
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)


def _run(argv, tmp_path, capsys):
    before = sorted(p.name for p in tmp_path.iterdir())
    code = main(argv)
    err = capsys.readouterr().err
    return code, err, before == sorted(p.name for p in tmp_path.iterdir())


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("name, kind", [
    ("traj.xtc", "GROMACS XTC"), ("traj.TRR", "GROMACS TRR"), ("traj.dcd", "DCD"),
    ("traj.nc", "AMBER NetCDF"), ("md.mdcrd", "AMBER mdcrd"),
])
@pytest.mark.parametrize("command", ["analyze", "diagnose"])
def test_a_positions_only_trajectory_is_refused_naming_what_it_lacks(folder, capsys, name, kind,
                                                                     command):
    (folder / name).write_bytes(b"\x00\xa3 binary frames")
    argv = [command, name] + (["--model", "sevennet-0"] if command == "diagnose" else [])
    code, err, untouched = _run(argv, folder, capsys)
    assert code == 2 and err.count("\n") == 1 and untouched, err
    assert f"{name}: a {kind} trajectory holds positions only, without the elements, " \
           "molecules and charges" in err
    assert "takes no separate topology" in err and ".extxyz" in err


@pytest.mark.parametrize("dump, what", [
    ("traj.dcd", "a DCD trajectory, not a LAMMPS text dump"),
    ("traj.xtc", "a GROMACS XTC trajectory, not a LAMMPS text dump"),
    ("box.gro", "not a LAMMPS text dump"),          # a topology given as the dump
    ("binary.lammpstrj", "not a LAMMPS text dump"),  # a binary file of a dump's name
    ("notgz.gz", "not a LAMMPS text dump"),          # not gzip at all
])
def test_a_dump_that_is_no_lammps_text_dump_is_refused_by_name(folder, capsys, dump, what):
    write(folder / "box.data", _box(), format="lammps-data", atom_style="full", masses=True)
    if dump == "box.gro":
        write(folder / dump, _box())
    else:
        (folder / dump).write_bytes(b"\x54\x00\x00\x00CORD\xa3\x01" * 8)
    code, err, untouched = _run(["analyze", "box.data", "--dump", dump], folder, capsys)
    assert code == 2 and err.count("\n") == 1 and untouched, err
    assert f"--dump {dump}: {what} (one that begins with 'ITEM: TIMESTEP'" in err


@pytest.mark.parametrize("style", ["atomic", "charge", "full", "molecular"])
@pytest.mark.parametrize("dump", ["traj.dump", "traj.dump.gz"])
def test_lammps_data_of_every_common_atom_style_with_a_text_dump_and_dt(folder, capsys,
                                                                       monkeypatch, style, dump):
    """Read in the style the data file names, frames dt apart (the analyses patched out)."""
    import electrolyte_cli.analyze as analyze

    atoms = _box()
    write(folder / "box.data", atoms, format="lammps-data",
          atom_style="full" if style == "molecular" else style, masses=True,
          specorder=sorted(set(atoms.get_chemical_symbols())))
    if style == "molecular":  # ASE writes no molecular style: full without its charge column
        head, atoms_section = (folder / "box.data").read_text().split("Atoms # full")
        rows = [" ".join(w[:3] + w[4:]) if len(w := line.split()) == 7 else line
                for line in atoms_section.splitlines()]
        (folder / "box.data").write_text(head + "Atoms # molecular" + "\n".join(rows) + "\n")
    assert f"Atoms # {style}" in (folder / "box.data").read_text()
    _dump(folder / dump, atoms)
    seen = {}

    def report(universe, out, *args, **kwargs):
        seen["u"] = universe
        return {}

    monkeypatch.setattr(analyze, "run_report", report)
    code = main(["analyze", "box.data", "--dump", dump, "--dt", "0.25", "-o", "out", "-q"])
    assert code == 0, capsys.readouterr().err
    u = seen["u"]
    assert u.trajectory.n_frames == 4 and u.trajectory.dt == pytest.approx(0.25)
    assert list(u.atoms.elements) == atoms.get_chemical_symbols()
    assert sorted(u.residues.resnames) == ["CH4", "H2O", "H2O"]


def test_an_atom_style_whose_columns_are_unknown_is_named(folder, capsys):
    write(folder / "box.data", _box(), format="lammps-data", atom_style="full", masses=True)
    text = (folder / "box.data").read_text().replace("Atoms # full", "Atoms # sphere")
    (folder / "box.data").write_text(text)
    _dump(folder / "traj.dump", _box())
    code, err, untouched = _run(["analyze", "box.data", "--dump", "traj.dump"], folder, capsys)
    assert code == 2 and untouched and err.count("\n") == 1, err
    assert "box.data: LAMMPS atom style 'sphere' (its Atoms section's comment) is not read" in err


@pytest.mark.parametrize("argv, message", [
    (["analyze", "lab.h5md", "--dt", "1"], "--dt: lab.h5md is an H5MD file whose frames carry "
     "their own times"),
    (["analyze", "lab.extxyz", "--lammps-units", "real"], "--lammps-units applies to a LAMMPS "
     "dump (--dump)"),
    (["analyze", "lab.extxyz", "--dt", "1e7"], "--dt 1e+07: give the time between frames in "
     "ps, a number above 0 and at most 1e+06"),
])
def test_time_and_unit_options_that_would_be_ignored_or_overflow_are_refused(folder, capsys,
                                                                            argv, message):
    write(folder / "lab.extxyz", Atoms("H2", positions=[[0, 0, 0], [0, 0, 0.74]]))
    (folder / "lab.h5md").write_bytes(b"\x89HDF\r\n\x1a\n")
    code, err, untouched = _run(argv, folder, capsys)
    assert code == 2 and untouched and err.count("\n") == 1, err
    assert message in err
