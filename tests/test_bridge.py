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
    # residues follow the species library's order (solvents, cations, anions, each by name),
    # not the order of the counts dict: the same seed gives the same box for either order
    assert names == ["EC", "EC", "EMC", "EMC", "Li", "Li", "FSI", "PF6"]
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
    with pytest.warns(UserWarning, match="dt= of from_ase, --dt of electrolyte analyze"):
        timeless = from_ase(tmp_path / "data.lmp", dump=tmp_path / "dump.lammpstrj",
                            lammps_units="real",
                            lammps_atom_style="id resid type charge x y z")
    from mda_electrolyte import Diffusion

    with pytest.raises(ValueError,
                       match="carry no time.*dt= of from_ase, --dt of electrolyte analyze"):
        Diffusion(timeless, {"Li": "resname Li"})


def test_bad_input(box, trajectory, tmp_path):
    with pytest.raises(ValueError, match="atoms"):
        from_ase([box, box[:-1]])
    with pytest.raises(ValueError, match="non-empty"):
        from_ase([])
    with pytest.raises(FileNotFoundError):
        from_ase(tmp_path / "missing.h5md")
    with h5py.File(tmp_path / "foreign.h5md", "w") as f:
        f.create_group("particles/trajectory")
    with pytest.raises(ValueError, match="not an H5MD file written by ase_electrolyte"):
        from_ase(tmp_path / "foreign.h5md")
    path, _ = trajectory
    broken = tmp_path / "broken.h5md"
    broken.write_bytes(path.read_bytes())
    with h5py.File(broken, "a") as f:  # a frame half written when the job died
        f["particles/trajectory/position/value"].resize(7, axis=0)
    with pytest.raises(ValueError, match="interrupted"):
        from_ase(broken)
    with h5py.File(broken, "a") as f:
        f["particles/trajectory/position/value"].resize(6, axis=0)
        f["parameters/ase_electrolyte"].attrs["complete"] = False
    with pytest.warns(UserWarning, match="has not finished"):
        from_ase(broken)
    assert from_ase(box).atoms.n_atoms == len(box)  # the caller's Atoms untouched
    assert MOLECULE_INDEX in box.arrays


def test_h5md_without_velocities_gives_none(tmp_path):
    from ase_electrolyte.md import relax
    from mda_electrolyte.report import unmet_requirements

    atoms = electrolyte_box(counts={"EC": 2, "Li": 1, "PF6": 1}, density=1.0, seed=0)
    atoms.calc = LennardJones(sigma=1.0, epsilon=0.01, rc=4.0, smooth=True)
    relax(atoms, fmax=5.0, steps=2, trajectory=tmp_path / "relaxed.h5md")
    u = from_ase(tmp_path / "relaxed.h5md")
    assert not u.trajectory.ts.has_velocities
    assert u.trajectory.ts.has_forces
    # the report skips what needs velocities instead of failing
    assert unmet_requirements(u, ("velocities",), None) == ["velocities"]


# --- damaged or odd inputs: one ValueError/OSError naming the file and the problem ------------

def _damage_copy(src, dst, edit):
    dst.write_bytes(src.read_bytes())
    with h5py.File(dst, "a") as f:
        edit(f)
    return dst


def _delete(name):
    return lambda f: f.__delitem__(name)


def _set(name, index, value):
    def edit(f):
        f[name][index] = value
    return edit


@pytest.mark.parametrize("edit,match", [
    (_delete("particles/trajectory/position"), "no particles/trajectory/position/value"),
    (_delete("particles/trajectory/position/time"), "no particles/trajectory/position/time"),
    (_delete("particles/trajectory/position/step"), "no particles/trajectory/position/step"),
    (_delete("particles/trajectory/box"), "no particles/trajectory/box"),
    (_delete("particles/trajectory/box/edges/value"), "no particles/trajectory/box/edges/value"),
    (_delete("particles/trajectory/species"), "no particles/trajectory/species"),
    (_delete("particles/trajectory/mass"), "no particles/trajectory/mass"),
    (_delete("particles/trajectory/charge"), "no particles/trajectory/charge"),
    (_delete("particles/trajectory/velocity/value"), "no particles/trajectory/velocity/value"),
    (_delete("particles/trajectory/force/value"), "no particles/trajectory/force/value"),
    (_delete("parameters/ase_electrolyte/species_name"), "no parameters/ase_electrolyte/species"),
    (_delete("parameters/ase_electrolyte/pbc"), "no parameters/ase_electrolyte/pbc"),
    (lambda f: f["parameters/ase_electrolyte"].attrs.__delitem__("n_frames"), "'n_frames'"),
    (lambda f: f["parameters/ase_electrolyte"].attrs.__delitem__("complete"), "'complete'"),
    (lambda f: f["parameters/ase_electrolyte"].attrs.__setitem__("n_frames", 50),
     "counts 50 complete frames but stores 6"),
    (lambda f: f["parameters/ase_electrolyte"].attrs.__setitem__("n_frames", -1),
     "n_frames is -1"),
    (lambda f: f["particles/trajectory/velocity/value"].resize(3, axis=0),
     r"velocity/value has shape \(3,"),
    (lambda f: f["particles/trajectory/box/edges/value"].resize(3, axis=0),
     r"box/edges/value has shape \(3,"),
    (lambda f: f["particles/trajectory/position/time"].resize(3, axis=0),
     r"position/time has shape \(3,\)"),
    (_set("particles/trajectory/species", 0, 0), "species of atoms \\[0\\] is 0, no element"),
    (_set("particles/trajectory/species", 0, 200), "is 200, no element"),
    (_set("particles/trajectory/mass", 1, np.nan), "mass of atoms \\[1\\] is nan"),
    (_set("particles/trajectory/mass", 1, -1.0), "mass of atoms \\[1\\] is -1"),
    (_set("particles/trajectory/position/time", 2, 0.0), "frame 2 is at 0.0 ps, not after frame 1"),
    (_set("particles/trajectory/position/time", 3, np.nan), "non-finite times"),
    (_set("particles/trajectory/position/value", (0, 4, 1), np.inf),
     "frame 0: non-finite positions"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_a_damaged_h5md_is_refused_naming_file_and_dataset(edit, match, trajectory, tmp_path):
    path, _ = trajectory
    broken = _damage_copy(path, tmp_path / "broken.h5md", edit)
    with pytest.raises(ValueError, match=match) as err:
        from_ase(broken)
    assert str(broken) in str(err.value)


@pytest.mark.parametrize("fraction", [0.05, 0.5, 0.99])
def test_a_truncated_h5md_is_named_as_truncated(fraction, trajectory, tmp_path, monkeypatch):
    import mda_electrolyte.bridge as bridge

    monkeypatch.setattr(bridge.time, "sleep", lambda s: None)  # the retries of a live writer
    path, _ = trajectory
    data = path.read_bytes()
    cut = tmp_path / "cut.h5md"
    cut.write_bytes(data[: int(len(data) * fraction)])
    with pytest.raises(OSError, match=f"{cut} is truncated"):
        from_ase(cut)


def _water_frames(n=3):
    from ase.build import molecule

    w = molecule("H2O")
    w.center(vacuum=4.0)
    w.pbc = True
    return [w.copy() for _ in range(n)]


def _frames_with(edit):
    frames = _water_frames()
    for k, a in enumerate(frames):
        a.info["time_ps"] = 0.5 * k
    edit(frames)
    return frames


@pytest.mark.parametrize("edit,match", [
    (lambda fr: fr[1].positions.__setitem__((2, 0), np.nan),
     "frame 1: non-finite positions for 1 atom.*indices 2"),
    (lambda fr: fr[0].positions.__setitem__((0, 0), np.nan), "frame 0: non-finite positions"),
    (lambda fr: fr[2].cell.array.__setitem__((0, 0), np.nan), "frame 2: the cell has non-finite"),
    (lambda fr: fr[0].set_cell(np.zeros((3, 3))), "frame 0: the cell vector.*zero"),
    (lambda fr: [a.numbers.__setitem__(1, 0) for a in fr], "frame 0: atoms \\[1\\] have atomic "
                                                            "number 0"),
    (lambda fr: fr[2].info.pop("time_ps"), "2 of 3 frames carry info\\['time_ps'\\] but frame 2"),
    (lambda fr: fr[1].info.__setitem__("time_ps", "0.5"), "frame 1 info\\['time_ps'\\]"),
    (lambda fr: fr[1].info.__setitem__("time_ps", np.nan), "frame 1 info\\['time_ps'\\]"),
    (lambda fr: fr[1].info.__setitem__("time_ps", [0.5]), "frame 1 info\\['time_ps'\\]"),
    (lambda fr: fr[2].info.__setitem__("time_ps", 0.5), "frame 2 has info.*not after frame 1"),
    (lambda fr: fr[0].info.__setitem__("time_ps", 5.0), "frame 1 has info.*not after frame 0"),
])
def test_bad_frames_are_refused_naming_the_frame(edit, match):
    frames = _frames_with(edit)
    before = [(a.positions.copy(), dict(a.info)) for a in frames]
    with pytest.raises(ValueError, match=match):
        from_ase(frames)
    for a, (pos, info) in zip(frames, before, strict=True):  # nothing of the caller's changed
        np.testing.assert_array_equal(a.positions, pos)
        assert set(a.info) == set(info)


def test_dt_overrides_unusable_stored_times():
    frames = _frames_with(lambda fr: fr[2].info.pop("time_ps"))
    assert from_ase(frames, dt=0.2).trajectory.dt == pytest.approx(0.2)


def test_velocities_in_some_frames_only_are_dropped_with_a_warning():
    frames = _frames_with(lambda fr: fr[0].set_velocities(np.ones((3, 3))))
    with pytest.warns(UserWarning, match="only 1 of 3 frames carry velocities.*frame 1"):
        u = from_ase(frames)
    assert not u.trajectory.ts.has_velocities


def _cut(path, fraction):
    data = path.read_bytes()
    return data[: int(len(data) * fraction)]


@pytest.mark.parametrize("name,content", [
    ("cut.traj", lambda d: _cut(d / "ok.traj", 0.3)),
    ("cut.traj", lambda d: _cut(d / "ok.traj", 0.7)),
    ("cut.traj", lambda d: _cut(d / "ok.traj", 0.95)),
    ("cut.extxyz", lambda d: _cut(d / "ok.extxyz", 0.97)),
    ("binary.extxyz", lambda d: bytes(range(256)) * 2),
    ("binary.traj", lambda d: bytes(range(256)) * 2),
])
def test_a_damaged_ase_file_is_named(name, content, tmp_path):
    import ase.io

    frames = _frames_with(lambda fr: None) * 2
    ase.io.write(tmp_path / "ok.traj", frames)
    ase.io.write(tmp_path / "ok.extxyz", frames)
    bad = tmp_path / name
    bad.write_bytes(content(tmp_path))
    with pytest.raises(ValueError, match=f"{bad}: cannot be read"):
        from_ase(bad)


@pytest.mark.parametrize("index,error", [("abc", ValueError), ([0, 1], TypeError),
                                         (True, TypeError), (1.5, TypeError)])
def test_a_frame_index_that_is_no_selection_is_refused(index, error, tmp_path):
    import ase.io

    ase.io.write(tmp_path / "ok.traj", _water_frames())
    with pytest.raises(error, match="index"):
        from_ase(tmp_path / "ok.traj", index=index)


def _lammps_pair(tmp_path):
    import ase.io

    frames = _water_frames(1)
    a = frames[0]
    a.arrays["mol-id"] = np.ones(len(a), dtype=int)
    ase.io.write(tmp_path / "data.lmp", a, format="lammps-data", atom_style="full", masses=True)
    types = {s: i + 1 for i, s in enumerate(sorted(set(a.get_chemical_symbols())))}

    def dump(cols="id type x y z", n_atoms=3, rows=3, bounds="0.0 8.0", frames=2):
        lines = []
        for step in range(frames):
            lines += ["ITEM: TIMESTEP", str(10 * step), "ITEM: NUMBER OF ATOMS", str(n_atoms),
                      "ITEM: BOX BOUNDS pp pp pp", bounds, bounds, bounds, "ITEM: ATOMS " + cols]
            for i in range(rows):
                value = {"id": i + 1, "type": types[a[i].symbol], "x": a.positions[i, 0],
                         "y": a.positions[i, 1], "z": a.positions[i, 2]}
                lines.append(" ".join(str(value[c]) for c in cols.split()))
        path = tmp_path / "dump.lammpstrj"
        path.write_text("\n".join(lines) + "\n")
        return path

    return tmp_path / "data.lmp", dump


@pytest.mark.parametrize("kw,match", [
    ({"cols": "id type y z"}, "dump.lammpstrj: cannot be read as a LAMMPS dump"),
    ({"n_atoms": 3, "rows": 2}, "dump.lammpstrj: cannot be read as a LAMMPS dump"),
    ({"n_atoms": 2, "rows": 2}, "dump.lammpstrj: cannot be read.*number of atoms"),
    ({"frames": 0}, "dump.lammpstrj: cannot be read as a LAMMPS dump"),
    ({"bounds": "0.0 0.0"}, "dump.lammpstrj: frame 0 has no valid box"),
])
def test_a_bad_lammps_dump_is_refused_naming_the_file(kw, match, tmp_path):
    data, dump = _lammps_pair(tmp_path)
    with pytest.raises(ValueError, match=match):
        from_ase(data, dump=dump(**kw), lammps_atom_style="id resid type charge x y z")


def test_a_file_that_is_no_lammps_data_is_named(tmp_path):
    data, dump = _lammps_pair(tmp_path)
    path = dump()
    with pytest.raises(ValueError, match=f"{path}: cannot be read as a LAMMPS data file"):
        from_ase(path, dump=path)


@pytest.mark.parametrize("pbc", [(True, True, False), (True, False, False), (True, True, True),
                                 (False, False, False)])
def test_h5md_and_atoms_of_one_run_give_the_same_box(pbc, tmp_path):
    """A slab's H5MD box is not made 3D-periodic: MDAnalysis' reader would wrap across vacuum."""
    from ase.build import bulk

    from ase_electrolyte.trajectory import h5md_info, read_h5md

    atoms = bulk("Ar", "fcc", a=5.26, cubic=True).repeat((2, 2, 2))
    atoms.pbc = pbc
    for axis in np.flatnonzero(~atoms.pbc):
        atoms.center(vacuum=6.0, axis=int(axis))
    atoms.calc = LennardJones(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True)
    path = tmp_path / "run.h5md"
    run_md(atoms, ensemble="nvt", steps=4, timestep_fs=2.0, temperature_K=60, trajectory=path,
           write_interval=2, progress=False)
    frames = [read_h5md(path, k) for k in range(h5md_info(path)["n_frames"])]
    partly = any(pbc) and not all(pbc)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        from_file = from_ase(path)
        from_frames = from_ase(frames)
    boxless = [str(w.message) for w in caught if "gets no box" in str(w.message)]
    assert len(boxless) == (2 if partly else 0)
    assert from_file.trajectory.n_frames == from_frames.trajectory.n_frames == 3
    for ts_file, ts_frames in zip(from_file.trajectory, from_frames.trajectory, strict=True):
        np.testing.assert_allclose(ts_file.positions, ts_frames.positions, atol=1e-5)
        if all(pbc):
            np.testing.assert_allclose(ts_file.dimensions, [10.52] * 3 + [90] * 3, rtol=1e-6)
            np.testing.assert_allclose(ts_file.dimensions, ts_frames.dimensions, rtol=1e-6)
        else:
            assert ts_file.dimensions is None and ts_frames.dimensions is None
    assert from_file.trajectory.dt == pytest.approx(0.004)


@pytest.mark.parametrize("kwargs, match", [
    ({"dt": 0.5}, "dt = 0.5 ps given for .*an H5MD file whose frames carry their own times"),
    ({"index": "1:"}, "index = '1:' given for .*an H5MD file: every frame is read"),
    ({"index": 0}, "index = 0 given for"),
])
def test_an_argument_an_h5md_file_would_ignore_is_refused(kwargs, match, trajectory):
    # dt=0.5 was silently ignored: the Universe kept the file's 0.002 ps spacing
    path, _ = trajectory
    with pytest.raises(ValueError, match=match):
        from_ase(path, **kwargs)
    u = from_ase(path, index=":")
    assert u.trajectory.n_frames == 6 and u.trajectory.dt == pytest.approx(0.002)


def test_mdanalysis_reads_our_file_without_a_topology(trajectory):
    """``MDAnalysis.Universe(path)`` alone: MDAnalysis builds its minimal topology from the
    particle group ``particles/trajectory`` only (its writer's name; ``particles/all`` gave
    ``KeyError: 'particles/trajectory'``)."""
    path, _ = trajectory
    ours = from_ase(path)
    bare = mda.Universe(str(path))
    assert bare.atoms.n_atoms == ours.atoms.n_atoms
    assert bare.trajectory.n_frames == ours.trajectory.n_frames
    for a, b in zip(bare.trajectory, ours.trajectory, strict=True):
        np.testing.assert_allclose(a.positions, b.positions, atol=1e-5)
        np.testing.assert_allclose(a.dimensions, b.dimensions, atol=1e-5)
        assert a.time == pytest.approx(b.time)


def test_a_file_of_an_earlier_version_is_read_and_resumed(trajectory, tmp_path):
    """Files written before the particle group took MDAnalysis' name (``particles/all``)
    read as before and resume into the same group, frame for frame as a new file."""
    path, _ = trajectory
    legacy = tmp_path / "legacy.h5md"
    legacy.write_bytes(path.read_bytes())
    with h5py.File(legacy, "a") as f:
        f.move("particles/trajectory", "particles/all")
    new, old = from_ase(path), from_ase(legacy)
    assert old.trajectory.n_frames == new.trajectory.n_frames
    for a, b in zip(old.trajectory, new.trajectory, strict=True):
        np.testing.assert_array_equal(a.positions, b.positions)
    np.testing.assert_array_equal(old.atoms.masses, new.atoms.masses)
    assert list(old.residues.resnames) == list(new.residues.resnames)
    old.trajectory.close()
    new.trajectory.close()

    def resume(p):
        atoms = electrolyte_box(counts={"EC": 3, "Li": 1, "PF6": 1}, density=1.0, seed=0)
        atoms.calc = LennardJones(sigma=1.0, epsilon=0.01, rc=4.0, smooth=True)
        return run_md(atoms, ensemble="nvt", steps=10, timestep_fs=1.0, temperature_K=300,
                      trajectory=p, write_interval=2, progress=False)

    fresh = tmp_path / "fresh.h5md"
    fresh.write_bytes(path.read_bytes())
    for p in (fresh, legacy):  # a run stopped after 3 of its 6 frames
        with h5py.File(p, "a") as f:
            f["parameters/ase_electrolyte"].attrs["n_frames"] = 3
            f["parameters/ase_electrolyte"].attrs["complete"] = False
        resume(p)
    with h5py.File(legacy, "r") as f, h5py.File(fresh, "r") as g:
        assert "particles/trajectory" not in f
        assert f["parameters/ase_electrolyte"].attrs["complete"]
        assert f["parameters/ase_electrolyte"].attrs["n_frames"] == 6
        np.testing.assert_array_equal(f["particles/all/position/step"][()],
                                      g["particles/trajectory/position/step"][()])
        np.testing.assert_allclose(f["particles/all/position/value"][()],
                                   g["particles/trajectory/position/value"][()], atol=1e-12)


def test_frames_without_times_give_structure_but_no_rates(box):
    """ASE frames without ``info['time_ps']`` load with an assumed dt of 1 ps and a warning;
    a rate from them (D, σ, Density's series) would be scaled by the true spacing, so the
    transport analyses refuse them and ask for ``dt=``; structure needs no time."""
    from mda_electrolyte import Diffusion, IntraInterRDF

    rng = np.random.default_rng(3)
    frames = []
    for _ in range(6):
        a = box.copy()
        a.positions += rng.normal(scale=0.05, size=a.positions.shape)
        frames.append(a)
    with pytest.warns(UserWarning, match="carry no time"):
        u = from_ase(frames)
    with pytest.raises(ValueError, match="carry no time"):
        Diffusion(u, {"Li": "resname Li"})
    IntraInterRDF(u.atoms, range=(0, 4.0)).run()
    assert from_ase(frames, dt=0.01).trajectory.dt == pytest.approx(0.01)
    Diffusion(from_ase(frames, dt=0.01), {"Li": "resname Li"}, remove_drift=False)
    stamped = [a.copy() for a in frames]
    for k, a in enumerate(stamped):
        a.info["time_ps"] = 0.02 * k
    Diffusion(from_ase(stamped), {"Li": "resname Li"}, remove_drift=False)


@pytest.mark.parametrize("dt", [1.0, 0.02, 0.005])
def test_dt_against_evenly_spaced_stored_times_is_refused(dt):
    # --dt 1 over frames 0.01 ps apart put every transport number off by 100, silently
    frames = _frames_with(lambda fr: None)
    stored = frames[1].info["time_ps"] - frames[0].info["time_ps"]
    with pytest.raises(ValueError, match=f"dt = {dt:g} ps given, but the frames carry their "
                                         f"own times .*{stored:g} ps apart"):
        from_ase(frames, dt=dt)
    # the stored spacing itself, to within rounding, is taken
    assert from_ase(frames, dt=stored * (1 + 1e-9)).trajectory.dt == pytest.approx(stored)
    assert from_ase(frames).trajectory.dt == pytest.approx(stored)
