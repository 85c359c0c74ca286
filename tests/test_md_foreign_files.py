"""Another program's file at a run's trajectory path, or at a protocol stage's, is refused
before any model evaluation, named for what it is, and left byte for byte; ``overwrite=True``
replaces it with the run.

An H5MD file written by MDAnalysis, or any other HDF5 file, was refused as "truncated or
damaged": a sound file of another program sent users looking for a fault. An ASE trajectory
(``.traj``, not HDF5) under an ``.h5md`` name, and our own file with a group deleted (damaged),
keep their own messages.
"""

import warnings

import h5py
import numpy as np
import pytest
from ase.build import bulk
from stopping_argon import StoppingArgon, argon  # noqa: E402

from ase_electrolyte.md import run_md, run_protocol
from ase_electrolyte.trajectory import h5md_info

mda = pytest.importorskip("MDAnalysis")


_Counting = StoppingArgon  # counts its evaluations, never stops


def _argon():
    atoms = argon(_Counting(), rattle=0.05, seed=1)
    return atoms


def _mdanalysis_h5md(path):
    u = mda.Universe.empty(32, trajectory=True)
    u.atoms.positions = np.random.default_rng(0).random((32, 3)) * 10
    u.dimensions = [10, 10, 10, 90, 90, 90]
    with mda.Writer(str(path), n_atoms=32, convert_units=False) as writer:
        writer.write(u)
    return "exists and is an H5MD file written by MDAnalysis, not a trajectory of run_md"


def _plain_hdf5(path):
    with h5py.File(path, "w") as f:
        f["data"] = np.arange(10.0)
    return "exists and is an HDF5 file of another program, not a trajectory of run_md"


def _anonymous_h5md(path):
    with h5py.File(path, "w") as f:
        f.create_group("h5md").attrs["version"] = [1, 1]
        f.create_group("particles/all/position")
    return "exists and is an H5MD file of another program"


def _ase_traj(path):
    import ase.io

    atoms = bulk("Ar", "fcc", a=5.26, cubic=True).repeat(2)
    ase.io.write(str(path.with_suffix(".traj")), atoms)
    path.write_bytes(path.with_suffix(".traj").read_bytes())
    path.with_suffix(".traj").unlink()
    return "exists and is not an HDF5"


_KINDS = {"MDAnalysis H5MD": _mdanalysis_h5md, "plain HDF5": _plain_hdf5,
          "anonymous H5MD": _anonymous_h5md, "ASE trajectory": _ase_traj}

_MD = dict(ensemble="nvt", steps=6, timestep_fs=2.0, temperature_K=60, write_interval=2,
           progress=False)


@pytest.mark.parametrize("kind", list(_KINDS))
def test_run_md_refuses_another_programs_file_and_overwrite_replaces_it(tmp_path, kind):
    path = tmp_path / "run.h5md"
    match = _KINDS[kind](path)
    before = path.read_bytes()
    atoms = _argon()
    with pytest.raises(ValueError, match=match) as err:
        run_md(atoms, trajectory=path, **_MD)
    assert "overwrite=True" in str(err.value) and str(path) in str(err.value)
    assert atoms.calc.calls == 0
    assert path.read_bytes() == before
    run_md(atoms, trajectory=path, overwrite=True, **_MD)
    assert h5md_info(path)["complete"] and h5md_info(path)["last_step"] == 6


def test_our_file_with_a_group_lost_is_still_called_damaged(tmp_path):
    path = tmp_path / "run.h5md"
    run_md(_argon(), trajectory=path, **_MD)
    with h5py.File(path, "a") as f:
        del f["parameters/ase_electrolyte"]
    atoms = _argon()
    with pytest.raises(ValueError, match="cannot be read as an H5MD trajectory"):
        run_md(atoms, trajectory=path, **_MD)
    assert atoms.calc.calls == 0


_PROTOCOL = dict(temperature_K=60, relax_fmax=0.05, preequilibration_ps=0.024,
                 preequilibration_timestep_fs=2.0, equilibration_ps=0.024,
                 production_ps=0.024, timestep_fs=2.0, write_interval_fs=4.0,
                 observe_interval_fs=2.0, progress=False)


@pytest.mark.parametrize("stage", ["relaxed", "production"])
@pytest.mark.parametrize("kind", ["MDAnalysis H5MD", "plain HDF5"])
def test_run_protocol_refuses_it_at_a_stage_before_the_first_stage(tmp_path, stage, kind):
    folder = tmp_path / "run"
    folder.mkdir()
    path = folder / f"{stage}.h5md"
    match = _KINDS[kind](path)
    before = path.read_bytes()
    atoms = _argon()
    calc = atoms.calc
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=match):
            run_protocol(atoms, calc, folder, **_PROTOCOL)
    assert calc.calls == 0
    assert path.read_bytes() == before
