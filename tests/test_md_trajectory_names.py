"""A trajectory name whose suffix names another format is refused before the run.

run_md and relax write H5MD whatever the name; under ``run.xyz``, ``run.traj`` or a name without
a suffix the whole run was done, and then every reader took the file for the format its
suffix names and failed (from_ase: "cannot be read as .xyz: UnicodeDecodeError"; MDAnalysis:
"'TRAJ' isn't a valid topology format").
"""

import warnings

import pytest
from ase.build import bulk
from ase.calculators.lj import LennardJones

from ase_electrolyte.md import relax, run_md
from ase_electrolyte.trajectory import h5md_info
from mda_electrolyte.bridge import from_ase


class _CountingLJ(LennardJones):
    calls = 0

    def calculate(self, *args, **kwargs):
        type(self).calls += 1
        super().calculate(*args, **kwargs)


def _argon():
    atoms = bulk("Ar", "fcc", a=5.26, cubic=True).repeat((2, 2, 2))
    atoms.rattle(0.05, seed=3)
    atoms.calc = _CountingLJ(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True)
    return atoms


def _run(call, path):
    if call == "relax":
        return relax(_argon(), trajectory=path)
    return run_md(_argon(), ensemble="nve", steps=2, timestep_fs=2.0, temperature_K=60,
                  trajectory=path, progress=False)


@pytest.mark.parametrize("call", ["run_md", "relax"])
@pytest.mark.parametrize("name, what", [
    ("run.xyz", "the suffix '.xyz'"),
    ("run.traj", "the suffix '.traj'"),
    ("run.extxyz", "the suffix '.extxyz'"),
    ("run.h5md.part", "the suffix '.part'"),
    ("run", "a name without a suffix"),
])
def test_a_name_of_another_format_is_refused_before_any_evaluation(call, name, what, tmp_path):
    _CountingLJ.calls = 0
    with pytest.raises(ValueError, match=f"{what} they would take the finished run for another "
                                         "format: name it \\*.h5md"):
        _run(call, tmp_path / name)
    assert _CountingLJ.calls == 0 and not list(tmp_path.iterdir())


@pytest.mark.parametrize("name", ["run.h5md", "run.h5", "run.hdf5", "RUN.H5MD"])
def test_h5md_suffixes_are_written_and_read_back(name, tmp_path):
    path = tmp_path / name
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _run("run_md", path)
        universe = from_ase(path)
    assert universe.trajectory.n_frames == h5md_info(path)["n_frames"] == 2
    universe.trajectory.close()


@pytest.mark.parametrize("call", ["run_md", "relax"])
@pytest.mark.parametrize("name, error, match", [
    (b"run.h5md", TypeError, "must be a file name \\(str or pathlib.Path\\), not bytes"),
    (5, TypeError, "not int 5"),
    ("", ValueError, "trajectory is an empty name"),
])
def test_a_trajectory_that_is_no_file_name_is_named(call, name, error, match):
    """bytes, an open file or a number failed with os' "expected str, bytes or os.PathLike"."""
    _CountingLJ.calls = 0
    with pytest.raises(error, match=match):
        _run(call, name)
    assert _CountingLJ.calls == 0


def test_an_open_file_is_no_trajectory_name(tmp_path):
    with open(tmp_path / "run.h5md", "wb") as handle, pytest.raises(
            TypeError, match="not BufferedWriter"):
        _run("run_md", handle)
    assert (tmp_path / "run.h5md").read_bytes() == b""
