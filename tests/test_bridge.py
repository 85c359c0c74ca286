"""ASE → MDAnalysis: molecules, species, charges, units, every supported source."""

import warnings

import h5py
import MDAnalysis as mda
import numpy as np
import pytest
import scipy.constants as sc
from ase import units
from ase.calculators.lj import LennardJones
from ase.calculators.singlepoint import SinglePointCalculator

pytest.importorskip("rdkit")
pytest.importorskip("packmol")

from ase_electrolyte.build import electrolyte_box  # noqa: E402
from ase_electrolyte.md import run_md  # noqa: E402
from ase_electrolyte.topology import FORMAL_CHARGE, MOLECULE_INDEX, SPECIES  # noqa: E402
from mda_electrolyte import from_ase  # noqa: E402


@pytest.fixture(scope="module")
def box():
    atoms = electrolyte_box(counts={"EC": 2, "EMC": 2, "Li": 2, "PF6": 1, "FSI": 1}, seed=2)
    rng = np.random.default_rng(0)
    atoms.set_velocities(rng.normal(scale=0.01, size=(len(atoms), 3)))  # Å per ASE time unit
    atoms.calc = SinglePointCalculator(atoms, forces=rng.normal(size=(len(atoms), 3)), energy=1.0)
    return atoms


@pytest.fixture(scope="module")
def trajectory(tmp_path_factory):
    atoms = electrolyte_box(counts={"EC": 3, "Li": 1, "PF6": 1}, density=1.0, seed=0)
    atoms.calc = LennardJones(sigma=1.0, epsilon=0.01, rc=4.0, smooth=True)
    path = tmp_path_factory.mktemp("h5md") / "run.h5md"
    final = run_md(
        atoms,
        ensemble="nvt",
        steps=10,
        timestep_fs=1.0,
        temperature_K=300,
        trajectory=path,
        write_interval=2,
        progress=False,
    )
    return path, final


def _strip(atoms):
    a = atoms.copy()
    for k in (MOLECULE_INDEX, SPECIES, FORMAL_CHARGE):
        del a.arrays[k]
    return a


def test_residues_are_molecules_named_by_species(box):
    u = from_ase(box)
    names = list(u.residues.resnames)
    assert names == ["EC", "EC", "EMC", "EMC", "Li", "Li", "PF6", "FSI"]
    assert u.atoms.n_atoms == len(box)
    np.testing.assert_array_equal(u.atoms.elements, box.get_chemical_symbols())
    np.testing.assert_allclose(u.atoms.masses, box.get_masses())
    charge = {r.resname: int(r.atoms.formalcharges.sum()) for r in u.residues}
    assert charge == {"EC": 0, "EMC": 0, "Li": 1, "PF6": -1, "FSI": -1}
    np.testing.assert_allclose(u.dimensions, [*box.cell.lengths(), 90, 90, 90], rtol=1e-6)


def test_velocity_and_force_units(box):
    u = from_ase(box)
    # Å/ps from SI: ASE velocities are Å per (Å sqrt(amu/eV)) time unit
    ase_time_s = 1e-10 * np.sqrt(sc.atomic_mass / sc.electron_volt)
    expect_v = box.get_velocities() / ase_time_s * 1e-12
    np.testing.assert_allclose(u.atoms.velocities, expect_v, rtol=1e-5)
    # kJ/(mol Å) from SI
    expect_f = box.get_forces() * sc.electron_volt * sc.Avogadro / 1000.0
    np.testing.assert_allclose(u.atoms.forces, expect_f, rtol=1e-5, atol=1e-5)
    # the same kinetic energy on both sides: amu Å²/ps² → kJ/mol is N_A amu 1e-20/1e-24 / 1000
    ke_mda = 0.5 * np.sum(u.atoms.masses[:, None] * u.atoms.velocities.astype(float) ** 2)
    ke_kj = ke_mda * sc.atomic_mass * 1e4 * sc.Avogadro / 1000.0
    assert ke_kj == pytest.approx(
        box.get_kinetic_energy() * sc.electron_volt * sc.Avogadro / 1000, rel=1e-5
    )
    assert from_ase(box).trajectory.ts.has_velocities


def test_no_velocities_when_absent(box):
    a = box.copy()
    del a.arrays["momenta"]
    u = from_ase(a)
    assert not u.trajectory.ts.has_velocities
    assert not u.trajectory.ts.has_forces


def test_bond_guessing_recovers_topology(box):
    stripped = _strip(box)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every molecule is a library species: no warning
        u = from_ase(stripped)
    ref = from_ase(box)
    assert sorted(u.residues.resnames) == sorted(ref.residues.resnames)
    # same partition of atoms into molecules
    pairs = {(tuple(r.atoms.indices)) for r in u.residues}
    assert pairs == {tuple(r.atoms.indices) for r in ref.residues}
    np.testing.assert_array_equal(
        [r.atoms.formalcharges.sum() for r in u.residues],
        [int(round(r.atoms.formalcharges.sum())) for r in u.residues],
    )
    charge = {r.resname: int(r.atoms.formalcharges.sum()) for r in u.residues}
    assert charge == {"EC": 0, "EMC": 0, "Li": 1, "PF6": -1, "FSI": -1}
    # the charge sits on the atom the SMILES puts it on
    assert u.select_atoms("resname PF6 and element P").formalcharges[0] == -1


def test_molecules_split_across_boundary_are_guessed_whole(box):
    a = _strip(box)
    a.wrap()  # break molecules across the periodic boundary
    u = from_ase(a)
    assert sorted(u.residues.resnames) == sorted(from_ase(box).residues.resnames)


def test_h5md_roundtrip_and_mdanalysis_reader(trajectory):
    path, final = trajectory
    u = from_ase(path)
    assert u.trajectory.n_frames == 6
    assert u.trajectory.dt == pytest.approx(0.002)
    assert list(u.residues.resnames) == ["EC", "EC", "EC", "Li", "PF6"]
    u.trajectory[-1]
    assert u.trajectory.time == pytest.approx(0.010)
    np.testing.assert_allclose(u.atoms.positions, final.positions, atol=1e-5)
    np.testing.assert_allclose(
        u.atoms.velocities, final.get_velocities() * 1000 * units.fs, rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(
        u.atoms.forces, final.get_forces() * units.mol / units.kJ, rtol=1e-5, atol=1e-5
    )
    np.testing.assert_allclose(u.dimensions[:3], final.cell.lengths(), rtol=1e-6)
    # MDAnalysis' own reader sees the same particle data, units included
    plain = mda.Universe.empty(len(final), trajectory=False)
    plain.load_new(str(path), format="H5MD")
    plain.trajectory[-1]
    np.testing.assert_allclose(plain.atoms.velocities, u.atoms.velocities)
    np.testing.assert_allclose(plain.atoms.forces, u.atoms.forces)
    assert plain.trajectory.units["velocity"] == "Angstrom/ps"


def test_ase_files(box, tmp_path):
    import ase.io

    frames = []
    for k in range(3):
        a = box.copy()
        a.positions += 0.1 * k
        a.info["time_ps"] = 0.5 * k
        frames.append(a)
    ase.io.write(tmp_path / "t.extxyz", frames)
    u = from_ase(tmp_path / "t.extxyz")
    assert u.trajectory.n_frames == 3 and u.trajectory.dt == pytest.approx(0.5)
    assert list(u.residues.resnames) == list(from_ase(box).residues.resnames)
    u.trajectory[2]
    np.testing.assert_allclose(u.atoms.positions, frames[2].positions, atol=1e-5)
    ase.io.write(tmp_path / "t.traj", frames)  # .traj drops custom arrays: molecules guessed
    v = from_ase(tmp_path / "t.traj", dt=0.5)
    assert sorted(v.residues.resnames) == sorted(u.residues.resnames)
    w = from_ase(frames)
    assert w.trajectory.n_frames == 3


def test_lammps_data_and_dump(box, tmp_path):
    import ase.io

    a = box.copy()
    a.arrays["mol-id"] = box.arrays[MOLECULE_INDEX] + 1
    ase.io.write(tmp_path / "data.lmp", a, format="lammps-data", atom_style="full", masses=True)
    types = {s: i + 1 for i, s in enumerate(sorted(set(a.get_chemical_symbols())))}
    v_real = box.get_velocities() * units.fs  # Å/fs (LAMMPS "real")
    lines = []
    for step in (0, 10):
        lines += [
            "ITEM: TIMESTEP",
            str(step),
            "ITEM: NUMBER OF ATOMS",
            str(len(a)),
            "ITEM: BOX BOUNDS pp pp pp",
        ]
        lines += [f"0.0 {x}" for x in a.cell.lengths()]
        lines.append("ITEM: ATOMS id type x y z vx vy vz")
        for i, (s, p, v) in enumerate(
            zip(a.get_chemical_symbols(), a.positions, v_real, strict=True)
        ):
            lines.append(f"{i + 1} {types[s]} " + " ".join(f"{x:.12e}" for x in (*p, *v)))
    (tmp_path / "dump.lammpstrj").write_text("\n".join(lines) + "\n")
    u = from_ase(
        tmp_path / "data.lmp",
        dump=tmp_path / "dump.lammpstrj",
        lammps_units="real",
        lammps_atom_style="id resid type charge x y z",
        dt=0.01,
    )
    assert list(u.residues.resnames) == list(from_ase(box).residues.resnames)
    np.testing.assert_array_equal(u.atoms.elements, box.get_chemical_symbols())
    np.testing.assert_allclose(
        u.atoms.velocities, box.get_velocities() * 1000 * units.fs, rtol=1e-4, atol=1e-6
    )
    assert u.trajectory.n_frames == 2 and u.trajectory.dt == pytest.approx(0.01)


def test_bad_input(box, trajectory, tmp_path):
    with pytest.raises(ValueError, match="atoms"):
        from_ase([box, box[:-1]])
    with pytest.raises(ValueError, match="non-empty"):
        from_ase([])
    with pytest.raises(FileNotFoundError):
        from_ase(tmp_path / "missing.h5md")
    with h5py.File(tmp_path / "foreign.h5md", "w") as f:
        f.create_group("particles/all")
    with pytest.raises(ValueError, match="not an H5MD file written by ase_electrolyte"):
        from_ase(tmp_path / "foreign.h5md")
    path, _ = trajectory
    broken = tmp_path / "broken.h5md"
    broken.write_bytes(path.read_bytes())
    with h5py.File(broken, "a") as f:  # a frame half written when the job died
        f["particles/all/position/value"].resize(7, axis=0)
    with pytest.raises(ValueError, match="interrupted"):
        from_ase(broken)
    with h5py.File(broken, "a") as f:
        f["particles/all/position/value"].resize(6, axis=0)
        f["parameters/ase_electrolyte"].attrs["complete"] = False
    with pytest.warns(UserWarning, match="has not finished"):
        from_ase(broken)
    assert from_ase(box).atoms.n_atoms == len(box)  # the caller's Atoms untouched
    assert MOLECULE_INDEX in box.arrays


def test_h5md_without_velocities_gives_none(tmp_path):
    from ase_electrolyte.md import relax
    from mda_electrolyte.report import _unmet

    atoms = electrolyte_box(counts={"EC": 2, "Li": 1, "PF6": 1}, density=1.0, seed=0)
    atoms.calc = LennardJones(sigma=1.0, epsilon=0.01, rc=4.0, smooth=True)
    relax(atoms, fmax=5.0, steps=2, trajectory=tmp_path / "relaxed.h5md")
    u = from_ase(tmp_path / "relaxed.h5md")
    assert not u.trajectory.ts.has_velocities
    assert u.trajectory.ts.has_forces
    # the report skips what needs velocities instead of failing
    assert _unmet(u, ("velocities",), None) == ["velocities"]
