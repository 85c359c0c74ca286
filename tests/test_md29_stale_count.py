"""A finished run_md file whose temperatures were counted otherwise than this version counts
them for the same atoms and constraints (an earlier version summed constraints that hold the
same coordinates) is not reused: its temperatures and thermostat are not this run's."""

import h5py
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT
from ase.constraints import FixAtoms, FixBondLengths

from ase_electrolyte.md import atoms_temperature_dof, run_md


def _atoms():
    atoms = bulk("Cu", cubic=True).repeat(2)
    # a bond between two fixed atoms holds nothing FixAtoms does not
    atoms.set_constraint([FixAtoms([0, 1, 2]), FixBondLengths([(0, 1), (5, 6)])])
    atoms.calc = EMT()
    return atoms


def _run(path):
    return run_md(_atoms(), ensemble="nve", steps=10, timestep_fs=2.0, temperature_K=300,
                  trajectory=path, write_interval=5, progress=False, seed=3)


def _stated(path):
    with h5py.File(path, "r") as f:
        for name in ("observables/temperature", "observables"):
            group = f.get(name)
            if group is not None and "degrees_of_freedom" in group.attrs:
                return group
    raise AssertionError("no stated count")


def test_a_file_of_another_count_is_refused_and_one_of_this_count_reused(tmp_path):
    path = tmp_path / "nve.h5"
    _run(path)
    assert atoms_temperature_dof(_atoms()) == 96 - 9 - 1
    with h5py.File(path, "r") as f:
        assert f["observables/temperature"].attrs["degrees_of_freedom"] == 86
    before = path.read_bytes()
    _run(path)  # the same run: reused, the file unchanged
    assert path.read_bytes() == before
    # as the earlier version wrote it: 96 - 9 - 2, ASE's sum of get_removed_dof
    with h5py.File(path, "r+") as f:
        f["observables/temperature"].attrs["degrees_of_freedom"] = 85
    with pytest.raises(ValueError, match="count 85 degrees of freedom.*counts 86.*overwrite"):
        _run(path)
