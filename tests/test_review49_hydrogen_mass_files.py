"""Files of a box without hydrogen written before run_md refused ``hydrogen_mass`` there record
the protocol's 3 amu that never acted. The report took it as raised hydrogen masses and refused
the run's transport analyses ("real masses"); with no hydrogen among the file's elements the
masses are the real ones. A file with hydrogen keeps its recorded mass."""
import MDAnalysis as mda
import pytest
from ase import Atoms
from ase.build import bulk, molecule

from ase_electrolyte.trajectory import H5MDWriter
from mda_electrolyte.report import _raised_hydrogen_mass, unmet_requirements


def _write(path, atoms, hydrogen_mass):
    atoms = atoms.copy()
    run_info = {"ensemble": "nvt", "timestep_fs": 2.0, "hydrogen_mass": hydrogen_mass}
    with H5MDWriter(str(path), atoms, run_info=run_info, forces=False) as writer:
        for step in range(3):
            atoms.positions[0, 0] += 0.01
            writer.write(atoms, step, 0.002 * step)
    return path


def _argon():
    return bulk("Ar", "fcc", a=5.26, cubic=True).repeat(2)


def _methane():
    box = molecule("CH4", cell=[8.0, 8.0, 8.0], pbc=True)
    box.center()
    return box


@pytest.mark.parametrize("make", [_argon, lambda: Atoms("Cu4", cell=[5, 5, 5], pbc=True,
                                                      scaled_positions=[[0, 0, 0], [.5, .5, 0],
                                                                        [.5, 0, .5],
                                                                        [0, .5, .5]])])
@pytest.mark.parametrize("recorded", [3.0, 2.0])
def test_a_box_without_hydrogen_has_its_real_masses(tmp_path, make, recorded):
    path = _write(tmp_path / "run.h5md", make(), recorded)
    u = mda.Universe(str(path))
    assert _raised_hydrogen_mass(u) is None
    assert not [m for m in unmet_requirements(u, ("real masses",), None)
                if m.startswith("real masses")]


@pytest.mark.parametrize("recorded", [3.0, 2.0])
def test_a_box_with_hydrogen_keeps_its_recorded_mass(tmp_path, recorded):
    path = _write(tmp_path / "run.h5md", _methane(), recorded)
    u = mda.Universe(str(path))
    assert _raised_hydrogen_mass(u) == recorded
    assert [m for m in unmet_requirements(u, ("real masses",), None)
            if m.startswith("real masses")]
