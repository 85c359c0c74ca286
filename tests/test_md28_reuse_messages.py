"""run_md on an existing file that is sound but not this version's: the reader's own message.

An early version's file and one whose unit attributes another tool rewrote were refused as
"cannot be read as an H5MD trajectory (truncated or damaged: ...)": neither is damaged, and the
reader's message says what each is and what to do. A damaged file is still named so.
"""

import sys
import warnings
from pathlib import Path

import h5py
import pytest

from ase_electrolyte.md import run_md
from ase_electrolyte.trajectory import H5MDWriter, h5md_info

sys.path.insert(0, str(Path(__file__).parent))
from test_h5md27_foreign_files import _copper  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore")


def _ours(path):
    atoms = _copper()
    with H5MDWriter(path, atoms) as w:
        for k in range(3):
            atoms.positions[0, 0] += 0.01
            w.write(atoms, step=2 * k, time=0.004 * k)
    return path


def _early_version(path):
    with h5py.File(path, "a") as f:
        meta = f["parameters/ase_electrolyte"]
        for name in ("series", "cell", "start_positions"):
            del meta[name]
        f.move("particles/trajectory", "particles/all")


def _units_rewritten(path):
    with h5py.File(path, "a") as f:
        f["particles/trajectory/position/value"].attrs["unit"] = "nm"


def _cut_short(path):
    with h5py.File(path, "a") as f:
        del f["particles/trajectory/position/value"]


def _reader_message(path):
    with pytest.raises(ValueError) as err:
        h5md_info(path)
    return str(err.value)


@pytest.mark.parametrize("alter, says", [
    (_early_version, "written by an early version of ase_electrolyte"),
    (_units_rewritten, r"position/value is in 'nm', not the 'Angstrom'")])
def test_a_sound_file_of_another_kind_is_named_by_the_readers_message(alter, says, tmp_path):
    path = _ours(tmp_path / "run.h5md")
    alter(path)
    before = path.read_bytes()
    reader = _reader_message(path)
    assert "damaged" not in reader
    with pytest.raises(ValueError, match=says) as err, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_md(_copper(), ensemble="nve", steps=2, timestep_fs=2.0, trajectory=path,
               progress=False)
    message = str(err.value)
    # the reader's message whole, then what run_md did (nothing) and the way out
    assert message.startswith(reader)
    assert "damaged" not in message and "truncated" not in message
    assert "not overwritten" in message and "overwrite=True" in message
    assert path.read_bytes() == before


def test_a_damaged_file_is_still_named_damaged(tmp_path):
    path = _ours(tmp_path / "run.h5md")
    _cut_short(path)
    with pytest.raises(ValueError, match=r"truncated or damaged: .*damaged.*not overwritten"):
        run_md(_copper(), ensemble="nve", steps=2, timestep_fs=2.0, trajectory=path,
               progress=False)
