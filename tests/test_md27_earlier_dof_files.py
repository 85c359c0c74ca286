"""A trajectory written before run_md counted the centre of mass out of its thermostat (no
``temperature_dof`` in its settings) is refused by name at resume and in run_protocol's reuse
check: its temperatures are those of a 3N thermostat, not this version's."""

import json

import h5py
import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT

from ase_electrolyte.md import run_md


def _earlier_version(path):
    with h5py.File(path, "r+") as f:
        meta = f["parameters/ase_electrolyte"]
        info = json.loads(meta.attrs["run_info"])
        assert "temperature_dof" in info
        del info["temperature_dof"]
        meta.attrs["run_info"] = json.dumps(info)


def test_a_file_of_the_3n_thermostat_is_named_at_resume(tmp_path):
    atoms = bulk("Cu", cubic=True).repeat((2, 1, 1))
    atoms.calc = EMT()
    path = tmp_path / "md.h5md"
    kwargs = dict(temperature_K=300, timestep_fs=2.0, ensemble="nvt", write_interval=2, seed=1)
    run_md(atoms, trajectory=path, steps=4, **kwargs)
    _earlier_version(path)
    before = path.read_bytes()
    with pytest.raises(ValueError, match=r"earlier version.*3N degrees of freedom") as err:
        run_md(atoms, trajectory=path, steps=4, **kwargs)
    assert "stored {" not in str(err.value)  # the reason, not two dumps of settings
    assert path.read_bytes() == before
    with pytest.raises(ValueError, match=r"\['steps', 'temperature_dof'\].*; and the file was "
                       r"written by an earlier version"):
        run_md(atoms, trajectory=path, steps=8, **kwargs)
    # overwrite=True recomputes it with this version's count
    run_md(atoms, trajectory=path, steps=4, overwrite=True, **kwargs)
    with h5py.File(path, "r") as f:
        assert "temperature_dof" in json.loads(f["parameters/ase_electrolyte"].attrs["run_info"])
        positions = [f[k][()] for k in f["particles"] for k in [f"particles/{k}/position/value"]]
        assert positions and all(np.isfinite(p).all() for p in positions)
