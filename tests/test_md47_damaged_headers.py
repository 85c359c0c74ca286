"""Damaged H5MD files: the readers, the reuse check and a resume name the file and the damage.

A file whose HDF5 object headers were overwritten (a disk fault, a bad copy) opened, and then
``read_h5md``, ``h5md_info``, ``start_state``, ``integrator_state`` and ``h5md_series`` raised
h5py's bare ``KeyError: 'Unable to synchronously open object (bad object header version
number)'`` naming no file; a header damaged in an observable passed ``stage_file_problem`` and
the reuse check, and the resume then failed with that KeyError; a file cut short or with an
overwritten superblock failed with HDF5's ``OSError`` naming no file.
"""

import shutil
import warnings

import h5py
import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT

from ase_electrolyte import md
from ase_electrolyte import trajectory as tr

# every kind of object the writer makes: particle data, per-atom data, the box, the
# parameters, frame observables, per-step series, the integrator's variables
OBJECTS = [
    "particles/trajectory/position/value",
    "particles/trajectory/position/step",
    "particles/trajectory/velocity/value",
    "particles/trajectory/species",
    "particles/trajectory/mass",
    "particles/trajectory/box",
    "particles/trajectory/box/edges/value",
    "parameters/ase_electrolyte",
    "parameters/ase_electrolyte/start_positions",
    "parameters/ase_electrolyte/series",
    "parameters/ase_electrolyte/series/temperature/value",
    "parameters/ase_electrolyte/integrator",
    "observables",
    "observables/temperature/value",
    "observables/temperature/step",
]

READERS = {
    "read_h5md": tr.read_h5md,
    "h5md_info": tr.h5md_info,
    "start_state": tr.start_state,
    "integrator_state": tr.integrator_state,
    "h5md_series": lambda p: tr.h5md_series(p, "temperature"),
}

RUN = dict(
    ensemble="nvt", steps=4, timestep_fs=1.0, temperature_K=300.0, write_interval=1, progress=False
)


def _atoms():
    atoms = bulk("Cu", cubic=True).repeat((2, 1, 1))
    atoms.calc = EMT()
    return atoms


class _Counting(EMT):
    calls = 0

    def calculate(self, *args, **kwargs):
        type(self).calls += 1
        super().calculate(*args, **kwargs)


@pytest.fixture(scope="module")
def sound(tmp_path_factory):
    path = tmp_path_factory.mktemp("sound") / "run.h5md"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        md.run_md(_atoms(), trajectory=path, **RUN)
    return path


def _damage(sound, path, name, *, complete=True):
    """A copy of ``sound`` at ``path`` whose object ``name`` has its header overwritten."""
    shutil.copy(sound, path)
    with h5py.File(path, "r+") as f:
        if not complete:
            f["parameters/ase_electrolyte"].attrs["complete"] = False
        addr = h5py.h5o.get_info(f[name].id).addr
    with open(path, "r+b") as fh:
        fh.seek(addr)
        fh.write(b"\xff" * 16)
    return path


@pytest.mark.parametrize("name", OBJECTS)
def test_reuse_check_names_any_damaged_object(sound, tmp_path, name):
    path = _damage(sound, tmp_path / "d.h5md", name)
    problem = md.stage_file_problem(path)
    assert problem is not None and "d.h5md is damaged: HDF5 cannot" in problem, problem
    # a complete file is not reused either: refused before the model, file unchanged
    before = path.read_bytes()
    atoms = _atoms()
    atoms.calc = _Counting()
    _Counting.calls = 0
    with pytest.raises(ValueError, match="is damaged"):
        md.run_md(atoms, trajectory=path, **RUN)
    assert _Counting.calls == 0 and path.read_bytes() == before


@pytest.mark.parametrize("reader", sorted(READERS))
@pytest.mark.parametrize("name", OBJECTS)
def test_readers_never_raise_h5py_errors(sound, tmp_path, name, reader):
    path = _damage(sound, tmp_path / "d.h5md", name)
    try:
        READERS[reader](path)
    except ValueError as err:
        assert "d.h5md is damaged" in str(err), err
    # a reader that does not touch the damaged object reads its own data correctly
    else:
        if reader == "read_h5md":
            np.testing.assert_array_equal(
                tr.read_h5md(path).positions, tr.read_h5md(sound).positions
            )


@pytest.mark.parametrize(
    "name",
    [
        "observables/temperature/value",
        "parameters/ase_electrolyte/series/temperature/value",
        "parameters/ase_electrolyte/integrator",
    ],
)
def test_resume_refuses_before_the_model_and_keeps_the_file(sound, tmp_path, name):
    path = _damage(sound, tmp_path / "d.h5md", name, complete=False)
    before = path.read_bytes()
    atoms = _atoms()
    atoms.calc = _Counting()
    _Counting.calls = 0
    with pytest.raises(ValueError, match="overwrite=True") as err:
        md.run_md(atoms, trajectory=path, **RUN)
    assert "is damaged" in str(err.value)
    assert _Counting.calls == 0
    assert path.read_bytes() == before
    with pytest.raises(ValueError, match="is damaged"):
        tr.H5MDWriter(path, atoms, mode="a")
    assert path.read_bytes() == before
    # overwrite=True recomputes
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        md.run_md(atoms, trajectory=path, overwrite=True, **RUN)
    assert tr.h5md_info(path)["complete"] and tr.h5md_info(path)["n_frames"] == 5


def test_corrupt_run_info_is_damage(sound, tmp_path):
    path = tmp_path / "d.h5md"
    shutil.copy(sound, path)
    with h5py.File(path, "r+") as f:
        f["parameters/ase_electrolyte"].attrs["run_info"] = '{"ensemble": "nvt", '
    with pytest.raises(ValueError, match=r"d\.h5md is damaged"):
        tr.h5md_info(path)
    assert "is damaged" in md.stage_file_problem(path)


@pytest.mark.parametrize("cut", [100, 4000, 0.5, -64])
def test_truncated_file_is_named(sound, tmp_path, cut):
    data = sound.read_bytes()
    n = int(len(data) * cut) if isinstance(cut, float) else cut % len(data)
    path = tmp_path / "cut.h5md"
    path.write_bytes(data[:n])
    for reader in READERS.values():
        with pytest.raises(OSError, match=r"cut\.h5md is truncated"):
            reader(path)
    assert md.stage_file_problem(path).startswith("truncated or damaged")


@pytest.mark.parametrize("offset", [8, 16, 24, 32, 64, 72])
def test_damaged_superblock_is_named(sound, tmp_path, offset):
    data = bytearray(sound.read_bytes())
    data[offset : offset + 8] = b"\x7f" * 8
    path = tmp_path / "sb.h5md"
    path.write_bytes(bytes(data))
    for reader in READERS.values():
        with pytest.raises((OSError, ValueError), match=r"sb\.h5md"):
            reader(path)


def test_missing_observable_is_still_a_key_error(sound):
    with pytest.raises(KeyError, match="has no observable 'nonsense'"):
        tr.h5md_series(sound, "nonsense")
    t = tr.h5md_series(sound, "temperature")
    assert t[0].tolist() == [0, 1, 2, 3, 4]
