"""A trajectory holds the frames of one integration: frames of other masses are refused.

The file states the masses its velocities belong to (``integration_masses``: the heavy
hydrogen apart, or the particles' masses). Frames of atoms with other masses, written by the
same writer or appended by a later one, were stored under that statement without a word: the
same velocities gave a temperature of 3.97 K in one frame and 1.48 K in the next, and every
kinetic quantity read back weighed the later frames by masses they were not run with.
"""

import h5py
import numpy as np
import pytest
from ase.build import molecule
from ase.data import atomic_masses

from ase_electrolyte.trajectory import (
    H5MDWriter,
    h5md_info,
    h5md_series,
    integration_masses,
    read_h5md,
)


def _methane(hydrogen):
    atoms = molecule("CH4", vacuum=4.0, pbc=True)
    masses = atoms.get_masses()
    masses[atoms.numbers == 1] = hydrogen
    atoms.set_masses(masses)
    atoms.set_velocities(np.random.default_rng(0).normal(0, 0.01, (len(atoms), 3)))
    return atoms


PHYSICAL = atomic_masses[1]
# (masses the file's run integrated with, masses of the frame written later)
CASES = {
    "plain then heavy": (PHYSICAL, 3.0),
    "heavy then plain": (3.0, PHYSICAL),
    "heavy then deuterium": (3.0, 2.014),
    "heavy then a hair off": (3.0, 3.0 + 1e-6),
}


def _create(path, hydrogen, frames=2):
    atoms = _methane(hydrogen)
    physical = [atomic_masses[z] for z in atoms.numbers]
    with H5MDWriter(path, atoms, masses=physical, forces=False) as w:
        for step in range(frames):
            w.write(atoms, step=step, time=0.1 * step)
    return atoms


def _snapshot(path):
    with h5py.File(path, "r") as f:
        return {name: f[name][()].tobytes() for name in
                ("particles/trajectory/position/value", "observables/temperature/value")}


@pytest.mark.parametrize("run, other", CASES.values(), ids=CASES.keys())
def test_appending_frames_of_other_masses_is_refused_and_the_file_kept(tmp_path, run, other):
    path = tmp_path / "run.h5md"
    _create(path, run)
    before = _snapshot(path)
    frame = _methane(other)
    # refused when opened (atoms of neither the run's nor the particles' masses) or at the
    # frame (atoms of the particles' physical masses, as run_md's resume opens it)
    with pytest.raises(ValueError, match=r"(integrated with other masses|frame's masses "
                                         r"differ).*: atom 1 \(H\) has mass .* the run's .* "
                                         r"\(4 atoms differ\)"):
        with H5MDWriter(path, frame, mode="a", forces=False) as w:
            w.write(frame, step=2, time=0.2)
    assert _snapshot(path) == before
    assert h5md_info(path)["n_frames"] == 2
    # the file still takes the run's own frames
    same = _methane(run)
    with H5MDWriter(path, same, mode="a", forces=False) as w:
        w.write(same, step=2, time=0.2)
    temps = h5md_series(path, "temperature")[2]
    np.testing.assert_allclose(temps, temps[0], rtol=1e-12)


@pytest.mark.parametrize("run, other", CASES.values(), ids=CASES.keys())
def test_a_frame_of_other_masses_is_refused_by_the_writer(tmp_path, run, other):
    path = tmp_path / "run.h5md"
    atoms = _methane(run)
    physical = [atomic_masses[z] for z in atoms.numbers]
    with H5MDWriter(path, atoms, masses=physical, forces=False) as w:
        w.write(atoms, step=0, time=0.0)
        with pytest.raises(ValueError, match=r"frame's masses differ .* atom 1 \(H\)"):
            w.write(_methane(other), step=1, time=0.1)
        with pytest.raises(ValueError, match=r"frame's masses differ"):
            w.write_observables(_methane(other), step=1, time=0.1)
        w.write(atoms, step=1, time=0.1)
    assert h5md_info(path)["n_frames"] == 2
    np.testing.assert_array_equal(integration_masses(path), atoms.get_masses())
    temps = h5md_series(path, "temperature")[2]
    np.testing.assert_allclose(temps, temps[0], rtol=1e-12)
    np.testing.assert_allclose(read_h5md(path).get_velocities(), atoms.get_velocities())


@pytest.mark.parametrize("hydrogen", [PHYSICAL, 3.0])
def test_the_runs_own_masses_append_also_to_an_earlier_versions_file(tmp_path, hydrogen):
    """An earlier version stored the integration masses (heavy or not) as the particles'."""
    path = tmp_path / "old.h5md"
    atoms = _methane(hydrogen)
    with H5MDWriter(path, atoms, forces=False, run_info={"hydrogen_mass": hydrogen}) as w:
        w.write(atoms, step=0, time=0.0)
    with H5MDWriter(path, atoms, mode="a", forces=False,
                    run_info={"hydrogen_mass": hydrogen}) as w:
        w.write(atoms, step=1, time=0.1)
    assert h5md_info(path)["n_frames"] == 2
    other = _methane(2.014)
    with pytest.raises(ValueError, match="integrated with other masses|frame's masses differ"):
        with H5MDWriter(path, other, mode="a", forces=False,
                        run_info={"hydrogen_mass": hydrogen}) as w:
            w.write(other, step=2, time=0.2)
    assert h5md_info(path)["n_frames"] == 2
