"""The velocities of a heavy-hydrogen run are weighed by the masses the run integrated with.

A run with 3 amu hydrogens (Ju et al. 2025) stores the physical masses as the particles'
masses, and a Universe of the file (``from_ase``, MDAnalysis' own reader) carries those, as it
should for densities; its velocities are those of the heavy hydrogens. Weighed by the
Universe's masses, the kinetic temperature of methane run at 314 K was 146 K: nothing gave the
masses the velocities belong to. ``bridge.kinetic_masses`` does, from the file.
"""

import warnings

import ase
import h5py
import MDAnalysis as mda
import numpy as np
import pytest
from ase.build import molecule
from ase.data import atomic_masses
from ase.md.velocitydistribution import Stationary

from ase_electrolyte.md import velocity_temperature
from ase_electrolyte.trajectory import H5MDWriter, h5md_series, integration_masses, read_h5md
from ase_electrolyte.units import VELOCITY_TO_ANGSTROM_PER_PS
from mda_electrolyte.bridge import from_ase, kinetic_masses

HEAVY = 3.0


def _methane_box(hydrogen, seed=0):
    """20 methanes, hydrogens of ``hydrogen`` amu, equipartitioned velocities at 300 K."""
    atoms = ase.Atoms()
    rng = np.random.default_rng(seed)
    for k in range(20):
        m = molecule("CH4")
        m.translate([3.5 * (k % 4) + 1.5, 3.5 * ((k // 4) % 4) + 1.5, 4.0 * (k // 16) + 1.5])
        atoms += m
    atoms.cell = [14.0, 14.0, 14.0]
    atoms.pbc = True
    masses = atoms.get_masses()
    masses[atoms.numbers == 1] = hydrogen
    atoms.set_masses(masses)
    # each atom's velocity drawn with its own mass: kT/m per component
    sigma = np.sqrt(300.0 * ase.units.kB / masses)[:, None]
    atoms.set_velocities(rng.normal(size=(len(atoms), 3)) * sigma)
    Stationary(atoms)
    return atoms


def _write(path, atoms, physical=None, run_info=None, frames=3):
    with H5MDWriter(path, atoms, masses=physical, forces=False, run_info=run_info) as w:
        for step in range(frames):
            w.write(atoms, step=step, time=0.01 * step)


def _temperature(masses, universe):
    """The kinetic temperature (K) of the Universe's current frame, by hand: 2 K / (N_dof k_B)
    with the centre-of-mass motion left out (the count the writer states)."""
    v = universe.atoms.velocities.astype(np.float64) / VELOCITY_TO_ANGSTROM_PER_PS
    p = masses[:, None] * v
    kinetic = 0.5 * np.sum(masses[:, None] * v**2) - 0.5 * np.sum(p.sum(0) ** 2) / masses.sum()
    return 2 * kinetic / ((3 * len(masses) - 3) * ase.units.kB)


def _universe(path, how):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if how == "from_ase":
            return from_ase(path)
        return mda.Universe(str(path), format="H5MD")


@pytest.mark.parametrize("how", ["from_ase", "MDAnalysis"])
@pytest.mark.parametrize("hydrogen", [HEAVY, 2.014])  # repartitioned, deuterium
def test_the_kinetic_temperature_of_a_heavy_run_is_the_one_it_ran_at(tmp_path, how, hydrogen):
    atoms = _methane_box(hydrogen)
    physical = np.array([atomic_masses[z] for z in atoms.numbers])
    path = tmp_path / "heavy.h5md"
    _write(path, atoms, physical=physical, run_info={"hydrogen_mass": hydrogen})
    stored = h5md_series(path, "temperature")[2]
    u = _universe(path, how)
    if how == "from_ase":  # MDAnalysis' minimal H5MD topology has no masses at all
        np.testing.assert_allclose(u.atoms.masses, physical, rtol=1e-12)  # densities stay
    masses = kinetic_masses(u)
    np.testing.assert_allclose(masses, atoms.get_masses(), rtol=0, atol=0)
    by_hand = _temperature(masses, u)
    assert by_hand == pytest.approx(stored[0], rel=1e-6)
    assert float(velocity_temperature(masses, u.atoms.velocities.astype(np.float64)
                                      / VELOCITY_TO_ANGSTROM_PER_PS, 3 * len(masses) - 3,
                                      True)) == pytest.approx(stored[0], rel=1e-6)
    # the physical masses give another temperature, by the hydrogens' share of the heat
    assert abs(_temperature(physical, u) / stored[0] - 1) > 0.2


def test_a_file_of_an_earlier_version_gives_the_masses_it_stored(tmp_path):
    """Earlier versions stored the heavy masses as the particles'; from_ase gives hydrogen
    its standard mass back, and the velocities still belong to the stored ones."""
    atoms = _methane_box(HEAVY)
    path = tmp_path / "old.h5md"
    _write(path, atoms, run_info={"hydrogen_mass": HEAVY})
    u = _universe(path, "from_ase")
    hydrogens = atoms.numbers == 1
    np.testing.assert_allclose(u.atoms.masses[hydrogens], atomic_masses[1])
    np.testing.assert_array_equal(kinetic_masses(u), atoms.get_masses())
    assert _temperature(kinetic_masses(u), u) == pytest.approx(
        h5md_series(path, "temperature")[2][0], rel=1e-6)


@pytest.mark.parametrize("how", ["from_ase", "MDAnalysis"])
def test_a_part_of_the_system_gets_its_own_atoms_masses(tmp_path, how):
    atoms = _methane_box(HEAVY)
    physical = np.array([atomic_masses[z] for z in atoms.numbers])
    path = tmp_path / "heavy.h5md"
    _write(path, atoms, physical=physical)
    u = _universe(path, how)
    part = u.atoms[[7, 1, 30, 2]]
    np.testing.assert_array_equal(kinetic_masses(part), atoms.get_masses()[[7, 1, 30, 2]])


def test_a_run_of_physical_masses_and_frames_in_memory_keep_the_universes_masses(tmp_path):
    atoms = _methane_box(atomic_masses[1])
    path = tmp_path / "plain.h5md"
    _write(path, atoms)
    u = _universe(path, "from_ase")
    np.testing.assert_array_equal(kinetic_masses(u), u.atoms.masses)
    # frames given in memory carry the masses they were run with
    heavy = _methane_box(HEAVY)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        memory = from_ase([heavy, heavy.copy()])
    np.testing.assert_array_equal(kinetic_masses(memory), heavy.get_masses())


def test_read_h5md_keeps_the_physical_masses_and_the_velocities_of_the_run(tmp_path):
    atoms = _methane_box(HEAVY)
    physical = np.array([atomic_masses[z] for z in atoms.numbers])
    path = tmp_path / "heavy.h5md"
    _write(path, atoms, physical=physical)
    frame = read_h5md(path, -1)
    np.testing.assert_allclose(frame.get_masses(), physical)
    np.testing.assert_allclose(frame.get_velocities(), atoms.get_velocities(), rtol=1e-12)
    np.testing.assert_array_equal(integration_masses(path), atoms.get_masses())


@pytest.mark.parametrize("bad", [np.nan, 0.0, -3.0, np.inf])
def test_damaged_integration_masses_are_named(tmp_path, bad):
    atoms = _methane_box(HEAVY)
    physical = np.array([atomic_masses[z] for z in atoms.numbers])
    path = tmp_path / "heavy.h5md"
    _write(path, atoms, physical=physical)
    with h5py.File(path, "r+") as f:
        f["parameters/ase_electrolyte/integration_mass"][4] = bad
    with pytest.raises(ValueError, match=r"damaged: the masses its run integrated with .* "
                                         r"atoms \[4\]"):
        integration_masses(path)


def test_other_files_give_no_integration_masses(tmp_path):
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f["x"] = np.arange(3)
    assert integration_masses(other) is None
    text = tmp_path / "frames.xyz"
    text.write_text("1\n\nH 0 0 0\n")
    assert integration_masses(text) is None
    with pytest.raises(TypeError, match="AtomGroup or a Universe"):
        kinetic_masses([1.0, 2.0])


def test_a_chain_of_files_of_one_run_gives_its_masses_and_of_two_runs_is_refused(tmp_path):
    heavy = _methane_box(HEAVY)
    physical = np.array([atomic_masses[z] for z in heavy.numbers])
    first, second, plain = tmp_path / "a.h5md", tmp_path / "b.h5md", tmp_path / "c.h5md"
    _write(first, heavy, physical=physical)
    _write(second, heavy, physical=physical)
    _write(plain, _methane_box(atomic_masses[1]))
    top = _universe(first, "from_ase")._topology
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        chain = mda.Universe(top, [str(first), str(second)], format="H5MD")
        mixed = mda.Universe(top, [str(plain), str(first)], format="H5MD")
    np.testing.assert_array_equal(kinetic_masses(chain), heavy.get_masses())
    with pytest.raises(ValueError, match="integrated with other masses"):
        kinetic_masses(mixed)
