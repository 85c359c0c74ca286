"""One temperature convention everywhere: N_dof = 3N − N_constraints − 3 (GROMACS, LAMMPS).

run_md records and thermostats 2 (K − P²/2M) / (N_dof k_B); the frame temperature of
``mda_electrolyte.conductivity.kinetic_temperature`` and of the transport collection counted 3N
(3 % less at 32 atoms), the H5MD writer filled a missing temperature with ASE's 3N, and the
drift check of given velocities measured the drift against a temperature that counted the
drift as heat (a molecule of 10 atoms or fewer was never refused). Checked here against the
formula, against the temperatures run_md records, analytically (Maxwell–Boltzmann velocities of
known temperature, with and without the centre of mass at rest) and with constraints.
"""

import warnings

import h5py
import MDAnalysis as mda
import numpy as np
import pytest
from ase import Atoms, units
from ase.build import molecule
from ase.calculators.lj import LennardJones
from ase.constraints import FixAtoms, FixBondLengths
from ase.md.velocitydistribution import Stationary
from MDAnalysis.coordinates.memory import MemoryReader

from ase_electrolyte.md import _check_drift, _kinetic_temperature, run_md
from ase_electrolyte.trajectory import H5MDWriter, h5md_series, stated_temperature_count
from mda_electrolyte.bridge import from_ase
from mda_electrolyte.conductivity import kinetic_temperature

pytestmark = [pytest.mark.filterwarnings("ignore:there is no reference attributes"),
              pytest.mark.filterwarnings("ignore:molecules .* are not in the species library")]

#: amu Å²/ps² per kelvin: MDAnalysis' velocities (Å/ps) with masses in amu
KB_AMU_A2_PS2 = units.kB * (1000 * units.fs) ** 2


def _universe(velocities, masses):
    """A Universe of ``velocities`` (frames, N, 3), Å/ps, in memory."""
    n_frames, n, _ = velocities.shape
    u = mda.Universe.empty(n, trajectory=True, velocities=True)
    u.add_TopologyAttr("masses", masses)
    u.load_new(np.zeros((n_frames, n, 3)), format=MemoryReader, velocities=velocities)
    return u


def _maxwell(rng, masses, temperature, n_frames, at_rest):
    """Maxwell–Boltzmann velocities (Å/ps) of ``temperature`` K; the centre of mass at rest
    (``at_rest``, then 3N − 3 degrees of freedom hold T) or moving thermally."""
    v = rng.normal(size=(n_frames, len(masses), 3)) * np.sqrt(
        KB_AMU_A2_PS2 * temperature / masses)[None, :, None]
    if at_rest:
        v -= (np.einsum("tnk,n->tk", v, masses) / masses.sum())[:, None, :]
    return v


@pytest.mark.parametrize("at_rest", [True, False])
def test_maxwell_velocities_give_their_temperature_at_any_size(at_rest):
    """4 atoms: 3N would read 9/12 = 0.75 T with the centre of mass at rest."""
    rng = np.random.default_rng(7)
    masses = np.array([1.008, 12.011, 15.999, 6.94])
    u = _universe(_maxwell(rng, masses, 300.0, 4000, at_rest), masses)
    est = kinetic_temperature(u, max_frames=4000)
    # the chi-square(9)/9 spread of single frames: sd sqrt(2/9) T, 4000 independent frames
    assert abs(est.value - 300.0) < 4 * 300.0 * np.sqrt(2 / 9 / 4000)
    assert abs(est.value - 300.0) < 3 * est.stderr + 1e-9


def test_the_frames_temperature_is_the_formula_and_the_one_of_ase_atoms():
    rng = np.random.default_rng(3)
    masses = np.array([22.99, 35.45, 22.99, 35.45, 1.008, 1.008])
    v = _maxwell(rng, masses, 450.0, 5, at_rest=False) + [3.0, -1.0, 0.5]  # a drift: no heat
    u = _universe(v.astype(np.float32), masses)
    est = kinetic_temperature(u)
    v32 = v.astype(np.float32).astype(np.float64)
    p = np.einsum("tnk,n->tk", v32, masses)
    formula = (np.einsum("tnk,tnk,n->t", v32, v32, masses) - np.einsum("tk,tk->t", p, p)
               / masses.sum()) / ((3 * 6 - 3) * KB_AMU_A2_PS2)
    assert est.value == pytest.approx(formula.mean(), rel=1e-12)
    # the same velocities as ASE Atoms: run_md's count
    for k in range(5):
        atoms = Atoms(numbers=[11, 17, 11, 17, 1, 1], masses=masses)
        atoms.set_velocities(v32[k] / (1000 * units.fs))
        assert _kinetic_temperature(atoms) == pytest.approx(formula[k], rel=1e-12)
    # documented arguments for another program's run: its constraints, a centre of mass
    # that moved (atoms fixed in space)
    ke2 = np.einsum("tnk,tnk,n->t", v32, v32, masses)
    assert kinetic_temperature(u, constraints=3).value == pytest.approx(
        formula.mean() * 15 / 12, rel=1e-12)
    assert kinetic_temperature(u, com_removed=False).value == pytest.approx(
        (ke2 / (18 * KB_AMU_A2_PS2)).mean(), rel=1e-12)


@pytest.mark.parametrize("kwargs, match", [
    ({"constraints": -1}, "constraints"), ({"constraints": 2.5}, "constraints"),
    ({"constraints": 15}, "leave 0 degrees of freedom"), ({"com_removed": "yes"}, "com_removed"),
    ({"max_frames": 0}, "max_frames")])
def test_arguments_that_leave_no_count_are_refused_before_reading(kwargs, match):
    masses = np.ones(6)
    u = _universe(np.ones((3, 6, 3), dtype=np.float32), masses)
    with pytest.raises(ValueError, match=match):
        kinetic_temperature(u, **kwargs)


def test_no_velocities_is_named():
    u = mda.Universe.empty(3, trajectory=True)
    u.add_TopologyAttr("masses", [1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="no velocities.*give the temperature"):
        kinetic_temperature(u)


def _dimers(constraint):
    """Six Lennard-Jones atoms in three pairs, thermal velocities about their centre of mass."""
    atoms = Atoms("Ar6", positions=[[0, 0, 0], [3.8, 0, 0], [0, 3.8, 0], [3.8, 3.8, 0],
                                    [0, 0, 3.8], [3.8, 0, 3.8]], cell=[12, 12, 12], pbc=True)
    rng = np.random.default_rng(5)
    atoms.set_velocities(rng.normal(scale=0.004, size=(6, 3)))
    Stationary(atoms)
    atoms.set_constraint(constraint)
    atoms.calc = LennardJones(sigma=3.4, epsilon=0.0104, rc=6.0)
    return atoms


@pytest.mark.parametrize("constraint, dof, at_rest", [
    (FixBondLengths([(0, 1), (2, 3), (4, 5)]), 18 - 3 - 3, True),
    (FixAtoms(indices=[0]), 18 - 3, False)])
def test_a_run_md_file_states_its_count_and_the_analyses_read_it(constraint, dof, at_rest,
                                                                  tmp_path):
    path = tmp_path / "nve.h5md"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_md(_dimers(constraint), ensemble="nve", steps=6, timestep_fs=2.0,
               trajectory=path, write_interval=2, progress=False)
    assert stated_temperature_count(path) == (dof, at_rest)
    steps, _, recorded = h5md_series(path, "temperature")
    u = from_ase(path)
    frames = [int(ts.data["step"]) for ts in u.trajectory]
    est = kinetic_temperature(u)
    expected = recorded[np.searchsorted(steps, frames)].mean()
    assert est.value == pytest.approx(expected, rel=1e-5)  # float32 velocities
    # the file's own count given again is that count; another one contradicts what the run
    # that wrote the file stated, and is refused (it read 18/12 of the temperature)
    constraints = 18 - 3 * at_rest - dof
    assert kinetic_temperature(u, constraints=constraints, com_removed=at_rest).value == \
        pytest.approx(expected, rel=1e-5)
    with pytest.raises(ValueError, match=f"constraints=0, com_removed={at_rest} contradicts "
                                         f".*N_dof = {dof} \\({constraints} constraints"):
        kinetic_temperature(u, constraints=0, com_removed=at_rest)
    u.trajectory.close()


def test_a_writer_of_no_run_md_fills_and_states_the_same_count(tmp_path):
    atoms = molecule("CH4")
    atoms.center(vacuum=4.0)
    rng = np.random.default_rng(2)
    atoms.set_velocities(rng.normal(scale=0.01, size=(5, 3)))
    path = tmp_path / "own.h5md"
    with H5MDWriter(path, atoms, forces=False) as w:
        w.write(atoms, step=0, time=0.0)
        w.write_observables(atoms, step=1, time=0.001)
        w.write(atoms, step=2, time=0.002)
    assert stated_temperature_count(path) == (12, True)
    _, _, recorded = h5md_series(path, "temperature")
    assert recorded == pytest.approx([_kinetic_temperature(atoms)] * 3, rel=1e-12)
    # not ASE's 3N of the whole kinetic energy
    assert recorded[0] != pytest.approx(atoms.get_temperature(), rel=1e-3)
    with h5py.File(path) as f:
        assert f["observables/temperature"].attrs["degrees_of_freedom"] == 12


def test_a_drift_of_a_small_molecule_is_measured_against_its_own_heat():
    """Methane at 300 K plus 37.5 kT of drift: counted as heat, 3N read 1759 K and let it
    run (a drift was refused only beyond 10/N of the whole kinetic energy)."""
    atoms = molecule("CH4")
    rng = np.random.default_rng(0)
    masses = atoms.get_masses()
    atoms.set_velocities(rng.normal(size=(5, 3)) * np.sqrt(units.kB * 300 / masses)[:, None])
    Stationary(atoms)
    own = _kinetic_temperature(atoms)
    speed = 5 * np.sqrt(3 * units.kB * 300 / masses.sum())
    atoms.set_velocities(atoms.get_velocities() + [speed, 0, 0])
    assert _kinetic_temperature(atoms) == pytest.approx(own, rel=1e-12)
    drift_kt = 0.5 * masses.sum() * speed**2 / (units.kB * max(own, 300))
    with pytest.raises(ValueError, match=f"{drift_kt:.3g} kT at {max(own, 300):.4g} K"):
        _check_drift(atoms, 300)


def test_massless_virtual_sites_are_no_degrees_of_freedom():
    """TIP4P's M site moves with its molecule (GROMACS counts it out): 3N of all sites read a
    4-site water box 3/4 too cold."""
    rng = np.random.default_rng(11)
    masses = np.tile([15.999, 1.008, 1.008], 20)
    v = _maxwell(rng, masses, 300.0, 4, at_rest=True)
    with_sites = np.insert(v, np.arange(3, 61, 3), 0.0, axis=1)  # an M site after each water
    u = _universe(v, masses)
    u4 = _universe(with_sites, np.insert(masses, np.arange(3, 61, 3), 0.0))
    assert kinetic_temperature(u4).value == pytest.approx(kinetic_temperature(u).value,
                                                          rel=1e-12)


def test_a_topology_without_masses_is_named():
    u = mda.Universe.empty(3, trajectory=True, velocities=True)
    with pytest.raises(ValueError, match="no masses.*add_TopologyAttr"):
        kinetic_temperature(u)


def test_appending_atoms_of_another_count_is_refused_and_the_file_kept(tmp_path):
    atoms = molecule("CH4")
    atoms.center(vacuum=4.0)
    atoms.set_velocities(np.random.default_rng(4).normal(scale=0.01, size=(5, 3)))
    path = tmp_path / "own.h5md"
    with H5MDWriter(path, atoms, forces=False) as w:
        w.write(atoms, step=0, time=0.0)
    before = path.read_bytes()
    fixed = atoms.copy()
    fixed.set_constraint(FixAtoms(indices=[0]))
    with pytest.raises(ValueError, match=r"12 degrees of freedom \(centre of mass at rest\), "
                                         r"the atoms given 12 degrees of freedom \(centre of "
                                         r"mass moving\): their constraints differ"):
        H5MDWriter(path, fixed, mode="a", forces=False)
    assert path.read_bytes() == before
    with H5MDWriter(path, atoms, mode="a", forces=False) as w:  # the same count appends
        w.write(atoms, step=1, time=0.001)
    assert stated_temperature_count(path) == (12, True)
