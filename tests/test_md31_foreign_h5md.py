"""H5MD files of other programs under our names: every reader and run_md say what the file is
and how it is read, if at all. An observables-only file (no particles) was sent to
MDAnalysis.Universe(path), which fails on it with a bare KeyError."""

import h5py
import MDAnalysis as mda
import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT

from ase_electrolyte.md import run_md
from ase_electrolyte.trajectory import h5md_info, h5md_series, read_h5md
from mda_electrolyte.bridge import from_ase


def _observables_only(path):
    with h5py.File(path, "w") as f:
        f.create_group("h5md").attrs["version"] = np.array([1, 1])
        g = f.create_group("observables/temperature")
        g["value"] = np.linspace(300.0, 310.0, 5)
        g["step"] = np.arange(5)
        g["time"] = 0.001 * np.arange(5)
    return path


def _mdanalysis_file(path):
    from MDAnalysis.coordinates.H5MD import H5MDWriter

    atoms = bulk("Cu", cubic=True)
    u = mda.Universe.empty(len(atoms), trajectory=True)
    u.trajectory.units = {"time": "ps", "length": "Angstrom"}
    u.atoms.positions = atoms.positions
    u.dimensions = list(atoms.cell.cellpar())
    with H5MDWriter(str(path), len(atoms), velocities=False, forces=False) as w:
        w.write(u.atoms)
    return path


_READERS = {
    "read_h5md": read_h5md, "h5md_info": h5md_info,
    "h5md_series": lambda p: h5md_series(p, "temperature"), "from_ase": from_ase,
}


@pytest.mark.parametrize("reader", sorted(_READERS))
def test_an_observables_only_file_is_named_and_not_sent_to_mdanalysis(reader, tmp_path):
    path = _observables_only(tmp_path / "obs.h5md")
    with pytest.raises(ValueError, match="of another program.*holds no particles") as err:
        _READERS[reader](path)
    assert "MDAnalysis.Universe(path)" not in str(err.value)
    # the advice holds: MDAnalysis does fail on it
    with pytest.raises(KeyError):
        mda.Universe(str(path))


@pytest.mark.parametrize("reader", sorted(_READERS))
def test_an_mdanalysis_file_is_sent_to_mdanalysis_which_reads_it(reader, tmp_path):
    path = _mdanalysis_file(tmp_path / "md.h5md")
    with pytest.raises(ValueError, match="written by MDAnalysis.*read it with "
                                         r"MDAnalysis\.Universe\(path\)"):
        _READERS[reader](path)
    u = mda.Universe(str(path))
    np.testing.assert_allclose(u.atoms.positions, bulk("Cu", cubic=True).positions, atol=1e-5)


@pytest.mark.parametrize("make", [_observables_only, _mdanalysis_file])
def test_run_md_leaves_another_programs_file_unchanged(make, tmp_path):
    path = make(tmp_path / "run.h5md")
    before = path.read_bytes()
    atoms = bulk("Cu", cubic=True)
    atoms.calc = EMT()
    with pytest.raises(ValueError, match="not a trajectory of run_md.*overwrite=True"):
        run_md(atoms, ensemble="nve", steps=2, timestep_fs=1.0, trajectory=path,
               progress=False)
    assert path.read_bytes() == before


@pytest.mark.parametrize("mass", [0.0, -1.0, np.nan])
def test_a_mass_that_is_no_positive_number_is_named_as_a_number(mass):
    atoms = bulk("Cu", cubic=True)
    atoms.calc = EMT()
    masses = atoms.get_masses()
    masses[2] = mass
    atoms.set_masses(masses)
    with pytest.raises(ValueError, match=rf"atoms \[2\] have mass {mass!r} amu; masses must be "
                                         "positive"):
        run_md(atoms, ensemble="nve", steps=2, timestep_fs=1.0, progress=False)


@pytest.mark.parametrize("suffix", [".h5", ".HDF5"])
def test_a_trajectory_named_h5_is_written_with_a_warning_mdanalysis_bears_out(suffix, tmp_path):
    from MDAnalysis.coordinates.H5MD import H5MDReader

    path = tmp_path / f"run{suffix}"
    atoms = bulk("Cu", cubic=True)
    atoms.calc = EMT()
    with pytest.warns(UserWarning, match=r"MDAnalysis knows an H5MD file by the suffix "
                                         r"\.h5md only.*from_ase reads it"):
        run_md(atoms, ensemble="nve", steps=2, timestep_fs=1.0, trajectory=path,
               write_interval=1, progress=False)
    # the warning holds: MDAnalysis' Universe takes no format from the suffix ...
    with pytest.raises(ValueError, match="isn't a valid topology format"):
        mda.Universe(str(path))
    # ... while the file is sound H5MD, which from_ase and MDAnalysis' reader read
    assert from_ase(path).trajectory.n_frames == H5MDReader(str(path)).n_frames == 3


@pytest.mark.parametrize("index", [":", "-3:", slice(0, 2)])
def test_many_frames_asked_of_read_h5md_are_told_how_they_are_read(index, tmp_path):
    from ase_electrolyte.trajectory import H5MDWriter

    path = tmp_path / "w.h5md"
    atoms = bulk("Cu", cubic=True)
    with H5MDWriter(path, atoms, forces=False) as writer:
        for step in range(3):
            writer.write(atoms, step=step, time=0.001 * step)
    with pytest.raises(TypeError, match="integer frame index.*reads one frame") as err:
        read_h5md(path, index)
    # the advice, run as written, reads every frame
    advice = str(err.value).split("read several with ")[1].split(", or all")[0]
    frames = eval(advice, {"read_h5md": read_h5md, "h5md_info": h5md_info, "path": path})
    assert [a.info["step"] for a in frames] == [0, 1, 2]
