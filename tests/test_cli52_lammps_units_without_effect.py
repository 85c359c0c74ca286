"""``--lammps-units`` beside a dump without velocities or forces is refused: it changes nothing.

The unit style converts a dump's velocities (Å/ps or Å/fs) and forces (eV/Å or kcal/(mol·Å));
positions are in Å in metal and real alike, and the times come from ``--dt``. ``electrolyte
analyze data.lmp --dump positions.dump --dt 0.01 --lammps-units real`` ran every analysis and
exited 0, the option without effect and without a word. Now one line, exit 2, before the dump
is read; a dump with velocities or forces takes it as before.
"""

import bz2
import gzip
import json

import numpy as np
import pytest

from electrolyte_cli import main
from electrolyte_cli.analyze import dump_columns

POSITIONS = [[2.0, 2.0, 2.119262], [2.763239, 1.522953, 2.0], [1.236761, 1.522953, 2.0]]


def _data_file(path):
    import ase.io
    from ase.build import molecule

    water = molecule("H2O", cell=[8, 8, 8], pbc=True)
    water.positions += 2
    ase.io.write(path, water, format="lammps-data", atom_style="full", masses=True)
    return path


def _dump(path, columns, n_frames=4, opener=open):
    """A dump of the data file's water (atom types: H 1, O 2), ``columns`` after id type."""
    lines = []
    for t in range(n_frames):
        lines += ["ITEM: TIMESTEP", str(10 * t), "ITEM: NUMBER OF ATOMS", "3",
                  "ITEM: BOX BOUNDS pp pp pp", "0 8", "0 8", "0 8",
                  "ITEM: ATOMS id type " + " ".join(columns)]
        for k, (kind, xyz) in enumerate(zip([2, 1, 1], POSITIONS, strict=True)):
            values = {"x": xyz[0] + 0.01 * t, "y": xyz[1], "z": xyz[2],
                      "xu": xyz[0] + 0.01 * t, "yu": xyz[1], "zu": xyz[2],
                      "vx": 0.1, "vy": 0.2, "vz": 0.3, "fx": 0.01, "fy": -0.02, "fz": 0.0}
            lines.append(f"{k + 1} {kind} " + " ".join(f"{values[c]:g}" for c in columns))
    with opener(path, "wt") as f:
        f.write("\n".join(lines) + "\n")
    return path


NO_UNIT_COLUMNS = [("x", "y", "z"), ("xu", "yu", "zu")]
OPENERS = {".dump": open, ".dump.gz": gzip.open, ".dump.bz2": bz2.open}


@pytest.mark.parametrize("columns", NO_UNIT_COLUMNS)
@pytest.mark.parametrize("suffix", list(OPENERS))
@pytest.mark.parametrize("units", ["metal", "real"])
def test_refused_without_velocities_or_forces(tmp_path, capsys, columns, suffix, units):
    data = _data_file(tmp_path / "data.lmp")
    dump = _dump(tmp_path / f"traj{suffix}", columns, opener=OPENERS[suffix])
    out = tmp_path / "out"
    status = main(["analyze", str(data), "--dump", str(dump), "--dt", "0.01",
                   "--lammps-units", units, "-o", str(out), "-q"])
    captured = capsys.readouterr()
    assert status == 2
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith(f"electrolyte analyze: error: --lammps-units {units}")
    assert "no velocities or forces" in lines[0]
    assert not out.exists()


@pytest.mark.parametrize("columns", [("x", "y", "z", "vx", "vy", "vz"),
                                     ("x", "y", "z", "fx", "fy", "fz")])
def test_taken_with_velocities_or_forces(tmp_path, capsys, columns):
    data = _data_file(tmp_path / "data.lmp")
    dump = _dump(tmp_path / "traj.dump", columns)
    out = tmp_path / "out"
    status = main(["analyze", str(data), "--dump", str(dump), "--dt", "0.01",
                   "--lammps-units", "real", "-o", str(out), "-q",
                   "--only", "intra_inter_rdf"])
    assert status == 0, capsys.readouterr().err
    assert json.loads((out / "summary.json").read_text())["input"]["frames"] == 4


def test_real_velocities_are_read_per_fs():
    # what the option does where it applies: Å/fs read as 1000 Å/ps
    import tempfile
    from pathlib import Path

    from mda_electrolyte.bridge import from_ase

    with tempfile.TemporaryDirectory() as folder:
        data = _data_file(Path(folder) / "data.lmp")
        dump = _dump(Path(folder) / "v.dump", ("x", "y", "z", "vx", "vy", "vz"))
        metal = from_ase(data, dump=dump, dt=0.01, lammps_units="metal")
        real = from_ase(data, dump=dump, dt=0.01, lammps_units="real")
        np.testing.assert_allclose(real.atoms.velocities, 1000.0 * metal.atoms.velocities)


@pytest.mark.parametrize(("header", "found"), [
    ("ITEM: ATOMS id type x y z", ["id", "type", "x", "y", "z"]),
    ("ITEM: ATOMS id type element xu yu zu vx vy vz",
     ["id", "type", "element", "xu", "yu", "zu", "vx", "vy", "vz"]),
    ("ITEM: TIMESTEP", None),  # no ATOMS line: unknown, left to the reader
])
def test_dump_columns(tmp_path, header, found):
    path = tmp_path / "d.dump"
    path.write_text(f"ITEM: TIMESTEP\n0\n{header}\n")
    assert dump_columns(path) == found


def test_dump_columns_of_an_unreadable_file(tmp_path):
    path = tmp_path / "d.dump.gz"
    path.write_bytes(b"not gzip at all")
    assert dump_columns(path) is None
