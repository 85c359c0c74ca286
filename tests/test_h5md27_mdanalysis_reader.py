"""run_md's files through MDAnalysis' own H5MD reader, for interval combinations, boxes and
particle data not tested elsewhere.

Every number MDAnalysis gives is compared with the ASE state or a dataset MDAnalysis does not
read: positions with the Atoms run_md returns (last frame), velocities and forces converted
from ASE units by ase.units, ``ts.time`` with step × time step, ``ts.data`` observables with
the per-step series at the frame's step.
"""

import warnings

import MDAnalysis as mda
import numpy as np
import pytest
from ase import units
from ase.build import bulk
from ase.calculators.emt import EMT

from ase_electrolyte.md import run_md
from ase_electrolyte.trajectory import H5MDWriter, h5md_series, read_h5md
from mda_electrolyte.bridge import from_ase

pytestmark = pytest.mark.filterwarnings("ignore:there is no reference attributes",
                                        "ignore:Reader has no dt information",
                                        "ignore:.*partly periodic",
                                        "ignore:.*not evenly spaced")

_DT_FS = 2.0


def _atoms(kind):
    if kind == "triclinic":
        atoms = bulk("Cu", "fcc", a=3.6)  # primitive fcc cell, 60 degree angles
        atoms = atoms.repeat((2, 2, 1))
    else:
        atoms = bulk("Cu", "fcc", a=3.6, cubic=True)
    if kind == "slab":
        atoms.pbc = [True, True, False]
        atoms.center(vacuum=3.0, axis=2)
    elif kind == "cluster":
        atoms.pbc = False
        atoms.center(vacuum=3.0)
    atoms.rattle(0.05, seed=1)
    atoms.calc = EMT()
    return atoms


@pytest.mark.parametrize("kind, steps, write, observe", [
    ("cubic", 9, 3, 1),        # observables every step, frames every 3
    ("cubic", 8, 2, 4),        # frames more often than observables
    ("triclinic", 13, 4, 6),   # intervals that do not divide each other; last step off-grid
    ("slab", 1, 1, 1),         # mixed pbc, one step
    ("cluster", 3, 5, 1),      # non-periodic, interval beyond the run: first and last frame
])
def test_mdanalysis_reads_the_numbers_ase_wrote(kind, steps, write, observe, tmp_path):
    path = tmp_path / "md.h5md"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the off-grid last frame's warning
        end = run_md(_atoms(kind), ensemble="nve", steps=steps, timestep_fs=_DT_FS,
                     temperature_K=300, trajectory=path, write_interval=write,
                     observe_interval=observe, progress=False)
    expected_steps = sorted(set(range(0, steps + 1, write)) | {steps})
    u = mda.Universe(str(path))
    sample_steps, _, temperatures = h5md_series(path, "temperature")
    assert [ts.data["step"] for ts in u.trajectory] == expected_steps
    for ts in u.trajectory:
        step = ts.data["step"]
        assert ts.time == pytest.approx(step * _DT_FS / 1000, rel=1e-12, abs=1e-15)
        ref = read_h5md(path, ts.frame)
        np.testing.assert_allclose(ts.positions, ref.positions, atol=1e-5)
        if step in sample_steps:  # frame-aligned copy equals the per-step sample
            assert ts.data["temperature"] == temperatures[list(sample_steps).index(step)]
        if kind in ("cubic", "triclinic"):
            np.testing.assert_allclose(ts.dimensions, ref.cell.cellpar(), atol=1e-4)
        elif kind == "cluster":
            assert ts.dimensions is None
    # the last frame is the returned state: Å, Å/ps, kJ/(mol·Å), eV
    ts = u.trajectory[-1]
    np.testing.assert_allclose(ts.positions, end.positions, atol=1e-5)
    np.testing.assert_allclose(ts.velocities, end.get_velocities() * 1000 * units.fs, rtol=1e-5,
                               atol=1e-5)
    np.testing.assert_allclose(ts.forces, end.get_forces() * units.mol / units.kJ, rtol=1e-5,
                               atol=1e-4)
    assert ts.data["potential_energy"] == pytest.approx(end.get_potential_energy(), rel=1e-9)
    u.trajectory.close()
    v = from_ase(path)
    if kind in ("slab", "cluster"):
        # MDAnalysis' own reader makes a slab's cell a 3D-periodic box (see the module notes)
        assert v.dimensions is None
    if len(expected_steps) > 1:
        assert v.trajectory.dt == pytest.approx(
            (expected_steps[1] - expected_steps[0]) * _DT_FS / 1000, rel=1e-12)
    v.trajectory.close()


def test_a_file_without_velocities_or_forces_reads_positions_and_times(tmp_path):
    atoms = _atoms("cubic")
    path = tmp_path / "pos.h5md"
    positions = []
    with H5MDWriter(path, atoms, velocities=False, forces=False) as w:
        for k in range(3):
            atoms.positions[k, 1] += 0.1
            positions.append(atoms.positions.copy())
            w.write(atoms, step=5 * k, time=0.01 * k)
    u = mda.Universe(str(path))
    assert not u.trajectory.ts.has_velocities and not u.trajectory.ts.has_forces
    for ts, expected in zip(u.trajectory, positions, strict=True):
        np.testing.assert_allclose(ts.positions, expected, atol=1e-5)
        assert ts.time == pytest.approx(0.002 * ts.data["step"], abs=1e-15)
    assert len(u.trajectory) == 3
    u.trajectory.close()
