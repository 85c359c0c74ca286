"""The kinetic temperature of a foreign trajectory counts the run's constraints.

``electrolyte analyze`` took a GROMACS or LAMMPS run of rigid water (3 constraints per molecule)
as 3N − 3 degrees of freedom: 300 K read as 200 K and every Green–Kubo or Einstein–Helfand
conductivity (σ ∝ 1/T) came out 1.5 times too high, marked valid, with no option to say
otherwise. Checked here analytically: rigid-body velocities drawn for a known N_dof (rigid
waters: 6 of 9 per molecule), read with the right count (given), the wrong one (refused or
marked when assumed), a temperature given instead, and a count that contradicts an H5MD file's.
"""

import warnings

import MDAnalysis as mda
import numpy as np
import pytest
from ase import Atoms, units
from ase.build import molecule
from ase.constraints import FixBondLengths
from MDAnalysis.coordinates.memory import MemoryReader
from scipy.spatial.transform import Rotation

from ase_electrolyte.trajectory import H5MDWriter
from mda_electrolyte.bridge import from_ase
from mda_electrolyte.conductivity import kinetic_temperature, rigid_bonds
from mda_electrolyte.ion_collection import IonCollector
from mda_electrolyte.report import run_analyses

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

T = 300.0


#: amu Å²/ps² per kelvin: MDAnalysis' velocities (Å/ps) with masses in amu
KB_AMU_A2_PS2 = units.kB * (1000 * units.fs) ** 2


def _bodies(n_water, n_salt):
    """Rigid waters, then Li+ and BF4- (rigid) pairs, centred on their centres of mass."""
    bf4 = Atoms("BF4", positions=[[0, 0, 0], [0.8, 0.8, 0.8], [-0.8, -0.8, 0.8],
                                  [-0.8, 0.8, -0.8], [0.8, -0.8, -0.8]])
    bodies = [molecule("H2O") for _ in range(n_water)]
    for _ in range(n_salt):
        bodies += [Atoms("Li"), bf4.copy()]
    for body in bodies:
        body.positions -= body.get_center_of_mass()
    return bodies


def _rigid_universe(n_water=16, n_salt=0, n_frames=200, seed=0, vibration=0.0, walk=0.0,
                    dt=0.01):
    """Independent frames of rigid waters (and Li+ BF4- pairs, BF4 rigid) in a 12 Å box, as a
    Universe with bonds, charges and velocities (Å/ps): each molecule turned at random, its
    velocities the rigid-body part (mass-weighted projection) of Maxwell–Boltzmann velocities
    of ``T``, so that 6 quadratic terms per molecule hold T. ``vibration`` (Å): a Gaussian
    displacement of every atom, as flexible bonds have (their velocities then the whole
    Maxwell–Boltzmann draw: 3 per atom). ``walk`` (Å): the molecules' centres take Gaussian
    steps of it between frames (a diffusive dipole)."""
    rng = np.random.default_rng(seed)
    bodies = _bodies(n_water, n_salt)
    side = int(np.ceil(len(bodies) ** (1 / 3)))
    sites = 12.0 / side * (np.indices((side,) * 3).reshape(3, -1).T + 0.5)[:len(bodies)]
    n = sum(len(b) for b in bodies)
    pos, vel = np.zeros((n_frames, n, 3)), np.zeros((n_frames, n, 3))
    for t in range(n_frames):
        sites = sites + rng.normal(scale=walk, size=sites.shape)
        turns = Rotation.random(len(bodies), random_state=rng).as_matrix()
        i = 0
        for body, site, turn in zip(bodies, sites, turns, strict=True):
            m = body.get_masses()
            r = body.positions @ turn.T
            v = rng.normal(size=r.shape) * np.sqrt(KB_AMU_A2_PS2 * T / m)[:, None]
            if len(body) > 1 and not vibration:
                inertia = np.einsum("n,nij->ij", m, (r**2).sum(1)[:, None, None] * np.eye(3)
                                    - r[:, :, None] * r[:, None, :])
                omega = np.linalg.solve(inertia, np.cross(r, m[:, None] * v).sum(0))
                v = (m[:, None] * v).sum(0) / m.sum() + np.cross(omega, r)
            pos[t, i:i + len(body)] = site + r + rng.normal(scale=vibration, size=r.shape)
            vel[t, i:i + len(body)] = v
            i += len(body)
    sizes = [len(b) for b in bodies]
    u = mda.Universe.empty(n, n_residues=len(bodies), atom_resindex=np.repeat(
        np.arange(len(bodies)), sizes), trajectory=True, velocities=True)
    symbols = [s for b in bodies for s in b.get_chemical_symbols()]
    u.add_TopologyAttr("elements", symbols)
    u.add_TopologyAttr("names", symbols)
    u.add_TopologyAttr("masses", np.concatenate([b.get_masses() for b in bodies]))
    u.add_TopologyAttr("resnames", [b.get_chemical_formula(mode="hill") if len(b) > 1
                                    else "Li" for b in bodies])
    charges = np.zeros(n)
    charges[[k for k, s in enumerate(symbols) if s == "Li"]] = 1.0
    charges[[k + 1 for k, s in enumerate(symbols) if s == "B"]] = -1.0
    u.add_TopologyAttr("formalcharges", charges)
    starts = np.cumsum([0] + sizes[:-1])
    u.add_TopologyAttr("bonds", [(s0, s0 + j) for s0, b in zip(starts, bodies, strict=True)
                                 for j in range(1, len(b))])
    u.load_new(pos, velocities=vel, dimensions=[12.0, 12.0, 12.0, 90, 90, 90],
               format=MemoryReader, dt=dt)
    return u


@pytest.fixture(scope="module")
def rigid():
    return _rigid_universe()


def test_rigid_water_reads_its_temperature_with_its_constraints_only(rigid):
    right = kinetic_temperature(rigid, constraints=3 * 16)  # N_dof = 96 - 3
    assert right.valid and "N_dof = 3N - 48 - 3 = 93" in right.method
    assert abs(right.value - T) < 4 * right.stderr
    # 200 independent frames of chi-square(93)/93: the error is calibrated
    assert right.stderr == pytest.approx(T * np.sqrt(2 / 93 / 200), rel=0.25)
    # the count of flexible molecules, 3N - 3 = 141, reads 93/141 of it: refused as a result
    assumed = kinetic_temperature(rigid)
    assert abs(assumed.value - T * 93 / 141) < 4 * assumed.stderr
    assert T - assumed.value > 4 * right.stderr
    assert not assumed.valid and assumed.verdict.startswith("temperature count assumed 3N - 3")
    assert "H-O of H2O" in assumed.verdict and "constraints=" in assumed.verdict
    # given by the caller, the wrong count is the caller's word, said in the method
    wrong = kinetic_temperature(rigid, constraints=0)
    assert wrong.valid and "constraints=0, com_removed=True given" in wrong.method
    assert wrong.value == pytest.approx(assumed.value, rel=1e-12)


def test_the_collection_counts_as_kinetic_temperature_and_refuses_before_reading(rigid):
    species = {"H2O": "resname H2O"}
    col = IonCollector(rigid, species, positions=False, constraints=48).run().collection
    est = col.temperature_estimate()
    assert est.value == pytest.approx(kinetic_temperature(rigid, constraints=48).value,
                                      rel=1e-6)
    assert est.valid and "constraints=48" in est.method
    assumed = IonCollector(rigid, species, positions=False).run().collection
    assert not assumed.temperature_estimate().valid
    for kwargs, said in [({"constraints": -3}, "constraints"), ({"com_removed": "no"},
                                                                "com_removed"),
                         ({"constraints": 200}, "exceeds the 141 coordinates")]:
        with pytest.raises(ValueError, match=said):
            IonCollector(rigid, species, positions=False, **kwargs)
    with pytest.raises(ValueError, match="no velocities are collected"):
        IonCollector(rigid, species, velocities=False, unwrap=True, constraints=48)


@pytest.mark.parametrize("temperature", [20.0, 300.0])
def test_flexible_molecules_raise_no_alarm(temperature):
    """Bonds that vibrate as a 45 eV/Å² O–H bond does (0.024 Å at 300 K, 0.006 Å at 20 K) are
    not taken for constraints, and 3N - 3 reads the temperature of 3N velocities."""
    sd = np.sqrt(units.kB * temperature / 45.0)
    u = _rigid_universe(n_frames=60, seed=1, vibration=sd / np.sqrt(2))
    assert rigid_bonds(u) == []
    est = kinetic_temperature(u)
    assert est.valid and "assumed" in est.method
    assert abs(est.value - T) < 4 * est.stderr


def test_the_analyses_divide_by_the_temperature_of_the_count_or_the_one_given(tmp_path):
    u = _rigid_universe(n_water=8, n_salt=4, n_frames=150, seed=2, walk=0.3, dt=0.04)
    only = ["einstein_helfand_conductivity"]
    dof = 3 * len(u.atoms) - 3 * 8 - 9 * 4 - 3
    runs = {name: run_analyses(u, tmp_path / name, only=only, **kwargs)[only[0]]
            for name, kwargs in [("assumed", {}), ("given", {"constraints": 60}),
                                 ("temperature", {"temperature": T})]}
    counted = runs["given"]["temperature_K (kinetic)"]
    assert counted["converged"] and "constraints=60" in counted["method"]
    assert abs(counted["value"] - T) < 4 * counted["stderr"]
    given = runs["temperature"]["temperature_K (given)"]
    assert given["value"] == T and given["method"].startswith("given")
    assumed = runs["assumed"]["temperature_K (kinetic)"]
    assert assumed["value"] == pytest.approx(counted["value"] * dof / (dof + 60), rel=1e-9)
    # σ ∝ 1/T: the assumed count's σ is the counted one's times their ratio, and not valid
    sigma = {name: r["conductivity"] for name, r in runs.items()}
    assert sigma["assumed"]["value"] == pytest.approx(
        sigma["given"]["value"] * counted["value"] / assumed["value"], rel=1e-9)
    assert sigma["temperature"]["value"] == pytest.approx(
        sigma["given"]["value"] * counted["value"] / T, rel=1e-9)
    assert not sigma["assumed"]["converged"]
    assert "temperature count assumed" in sigma["assumed"]["verdict"]
    assert "temperature count" not in sigma["given"]["verdict"]


@pytest.fixture
def stated(tmp_path):
    """An H5MD file whose writer states its count: 4 waters, bonds fixed (N_dof = 36 - 12 -
    3 = 21 by ASE's count of FixBondLengths: 3 per water)."""
    atoms = Atoms()
    for k in range(4):
        w = molecule("H2O")
        w.positions += [3.0 * k + 1.5, 2.0, 2.0]
        atoms += w
    atoms.cell, atoms.pbc = [12.0, 6.0, 6.0], True
    atoms.set_velocities(np.random.default_rng(3).normal(scale=0.01, size=(12, 3)))
    atoms.set_constraint(FixBondLengths([(3 * k + i, 3 * k + j) for k in range(4)
                                         for i, j in ((0, 1), (0, 2), (1, 2))]))
    path = tmp_path / "rigid.h5md"
    with H5MDWriter(path, atoms, forces=False) as w:
        for step in range(3):
            w.write(atoms, step=step, time=0.01 * step)
    return path


def test_a_count_contradicting_the_files_is_refused_before_any_analysis(stated, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        u = from_ase(stated)
    assert kinetic_temperature(u, constraints=12).value == pytest.approx(
        kinetic_temperature(u).value, rel=1e-12)
    for kwargs in ({"constraints": 0}, {"com_removed": False}):
        with pytest.raises(ValueError, match=r"contradicts .*N_dof = 21 \(12 constraints, "
                                             r"centre of mass at rest\)"):
            kinetic_temperature(u, **kwargs)
        with pytest.raises(ValueError, match="contradicts"):
            run_analyses(u, tmp_path / "out", **kwargs)
        assert not (tmp_path / "out").exists()
    with pytest.raises(ValueError, match="give the temperature or the count, not both"):
        run_analyses(u, tmp_path / "out", temperature=T, constraints=12)
    with pytest.raises(ValueError, match=r"temperature= applies .* \(density\) are none"):
        run_analyses(u, tmp_path / "out", only=["density"], temperature=T)
    assert not (tmp_path / "out").exists()
    u.trajectory.close()


def _cli_error(argv, capsys):
    from electrolyte_cli import main

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            status = main(argv)
        except SystemExit as stop:
            status = stop.code
    err = capsys.readouterr().err
    assert status == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


@pytest.mark.parametrize("options, said", [
    (["--constraints", "-1"], "--constraints -1: give the holonomic constraints"),
    (["--constraints", "2.5"], "--constraints: invalid int value"),
    (["--com-removed", "maybe"], "--com-removed 'maybe': use yes or no"),
    (["--temperature", "-5"], "--temperature must be a finite number > 0, got -5.0; is it "
                              "in °C? -5 °C = 268.15 K"),
    (["--temperature", "300", "--com-removed", "yes"], "not both"),
    # ignored without a word by the analyses asked for
    (["--only", "rdf", "--constraints", "3"], "--constraints applies to the analyses that "
                                              "divide by k_B T"),
])
def test_cli_refuses_bad_counts_before_reading(options, said, tmp_path, monkeypatch, capsys):
    import ase.io

    import mda_electrolyte.bridge as bridge

    def forbidden(*args, **kwargs):
        raise AssertionError("read the trajectory before refusing")

    monkeypatch.setattr(bridge, "from_ase", forbidden)
    path = tmp_path / "frames.extxyz"
    ase.io.write(path, molecule("H2O", cell=[8.0] * 3, pbc=True))
    assert said in _cli_error(["analyze", str(path), "--dt", "0.01", *options], capsys)


def test_cli_names_its_option_where_the_file_states_another_count(stated, capsys):
    err = _cli_error(["analyze", str(stated), "--constraints", "0", "-o",
                      str(stated.with_name("out"))], capsys)
    # refused from the file's metadata before the frames are read (test_cli55_before_reading),
    # in words without a keyword-like N_dof, which made the refusal import every analysis
    assert "--constraints 0 contradicts" in err and "21 degrees of freedom" in err
