"""Inputs as other MD engines give them: LAMMPS data files (numeric types, no elements, no
residue names, molecule ids or none), GRO topologies without masses, XTC/TRR round trips.

Each must end in a clear error before the trajectory pass, or in the number a Universe built
by hand gives.
"""

import warnings

import MDAnalysis as mda
import numpy as np
import pytest
from MDAnalysis.coordinates.memory import MemoryReader

from mda_electrolyte import Diffusion, EinsteinHelfandConductivity
from mda_electrolyte.atom_categories import atom_categories
from mda_electrolyte.conductivity import charged_species, transport_collection
from mda_electrolyte.molecules import molecule_ids

N, N_FRAMES, DT, D, BOX = 16, 120, 0.5, 0.1, 20.0
IONS = {"Li": "type 1", "Cl": "type 2"}


def _walk(seed=0):
    rng = np.random.default_rng(seed)
    steps = rng.normal(scale=np.sqrt(2 * D * DT), size=(N_FRAMES, N, 3))
    return (np.cumsum(steps, axis=0) + rng.uniform(0, BOX, (N, 3))).astype(np.float32)


def _lammps_data(path, style):
    """Li⁺/Cl⁻ in a LAMMPS data file: ``charge`` style (no molecule ids) or ``full``."""
    rng = np.random.default_rng(1)
    lines = ["LAMMPS data", "", f"{N} atoms", "2 atom types", "",
             f"0 {BOX} xlo xhi", f"0 {BOX} ylo yhi", f"0 {BOX} zlo zhi", "",
             "Masses", "", "1 6.941", "2 35.453", "", f"Atoms # {style}", ""]
    for i in range(N):
        t, q = (1, 1.0) if i < N // 2 else (2, -1.0)
        x, y, z = rng.uniform(0, BOX, 3)
        mol = "" if style == "charge" else f"{i + 1} "
        lines.append(f"{i + 1} {mol}{t} {q} {x:.3f} {y:.3f} {z:.3f}")
    path.write_text("\n".join(lines) + "\n")
    fmt = "id type charge x y z" if style == "charge" else "id resid type charge x y z"
    u = mda.Universe(str(path), atom_style=fmt)
    u.load_new(_walk(), format=MemoryReader, dt=DT, dimensions=[BOX, BOX, BOX, 90, 90, 90])
    return u


def test_lammps_data_without_molecule_ids_is_refused_not_one_ion(tmp_path):
    # atom style charge: every atom in residue 1, no elements; the 8 Li were one "ion" at their
    # centre of mass and σ came out 400 times too small, "valid"
    u = _lammps_data(tmp_path / "charge.data", "charge")
    assert u.residues.n_residues == 1 and not hasattr(u.atoms, "elements")
    for make in (lambda: EinsteinHelfandConductivity(u, IONS, temperature=300.0),
                 lambda: Diffusion(u, IONS, remove_drift=False),
                 lambda: molecule_ids(u.select_atoms("type 1"))):
        with pytest.raises(ValueError, match=r"one residue holding all 16 atoms .*molecule ids"):
            make()


def test_lammps_data_with_molecule_ids_gives_the_universe_numbers(tmp_path):
    u = _lammps_data(tmp_path / "full.data", "full")
    ref = mda.Universe.empty(N, n_residues=N, atom_resindex=np.arange(N), trajectory=True)
    ref.add_TopologyAttr("types", ["1"] * (N // 2) + ["2"] * (N // 2))
    ref.add_TopologyAttr("masses", [6.941] * (N // 2) + [35.453] * (N // 2))
    ref.add_TopologyAttr("charges", [1.0] * (N // 2) + [-1.0] * (N // 2))
    ref.load_new(_walk(), format=MemoryReader, dt=DT, dimensions=[BOX, BOX, BOX, 90, 90, 90])
    a = EinsteinHelfandConductivity(u, IONS, temperature=300.0, n_blocks=4).run().results
    b = EinsteinHelfandConductivity(ref, IONS, temperature=300.0, n_blocks=4).run().results
    assert a.conductivity.value == pytest.approx(b.conductivity.value, rel=1e-12)
    # no residue names: the species of the report analyses are named by them
    for f in (charged_species, transport_collection):
        with pytest.raises(ValueError, match="no residue names .*LAMMPS data"):
            f(u)


def test_zero_masses_of_a_gro_topology_are_named(tmp_path):
    # GRO has no masses: MDAnalysis guesses them from names and gives 0 for "LI"
    u = mda.Universe.empty(N, n_residues=N, atom_resindex=np.arange(N), trajectory=True)
    u.add_TopologyAttr("names", ["Li"] * (N // 2) + ["Cl"] * (N // 2))
    u.add_TopologyAttr("resnames", ["LI"] * (N // 2) + ["CL"] * (N // 2))
    u.add_TopologyAttr("resids", np.arange(1, N + 1))
    u.load_new(_walk(), format=MemoryReader, dt=DT, dimensions=[BOX, BOX, BOX, 90, 90, 90])
    gro, xtc = tmp_path / "t.gro", tmp_path / "t.xtc"
    u.atoms.write(str(gro))
    with mda.Writer(str(xtc), N) as w:
        for _ in u.trajectory:
            w.write(u.atoms)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        v = mda.Universe(str(gro), str(xtc))
    ions = {"Li": "name Li", "Cl": "name Cl"}
    with pytest.raises(ValueError, match=r"species 'Li': 8 of 8 atoms have no positive mass "
                                         r"\(masses \[0.0\] of atom types \['LI'\]"):
        Diffusion(v, ions)
    # with masses set, the XTC round trip (0.01 Å precision) gives the in-memory D
    v.add_TopologyAttr("masses", [6.941] * (N // 2) + [35.453] * (N // 2))
    u.add_TopologyAttr("masses", [6.941] * (N // 2) + [35.453] * (N // 2))
    a = Diffusion(v, ions, n_blocks=4).run().results.diffusion_coefficient
    b = Diffusion(u, ions, n_blocks=4).run().results.diffusion_coefficient
    for s in ions:
        assert abs(a[s].value - b[s].value) < 1e-3 * b[s].value
        assert abs(b[s].value - D) < 4 * b[s].stderr


@pytest.mark.parametrize("numbers", [[-1, 6], [200, 6], [3.5, 6], ["Li", "C"], [np.nan, 6],
                                     [[3, 6]]])
def test_atom_categories_refuses_what_is_not_an_atomic_number(numbers):
    # -1 was read as the last element (Og), 200 an IndexError
    with pytest.raises(ValueError, match=r"numbers must be one atomic number \(0 \.\. 118\)"):
        atom_categories(numbers, [[0, 1]])
    # integral floats are atomic numbers
    assert atom_categories([3.0, 9.0], np.zeros((0, 2))).tolist() == ["Li", "F"]


def _npt_universe(masses=True):
    rng = np.random.default_rng(5)
    lengths = BOX * (1 + 0.01 * rng.normal(size=N_FRAMES))
    dims = np.zeros((N_FRAMES, 6))
    dims[:, :3], dims[:, 3:] = lengths[:, None], 90.0
    u = mda.Universe.empty(N, n_residues=N, atom_resindex=np.arange(N), trajectory=True)
    if masses:
        u.add_TopologyAttr("masses", [6.941] * (N // 2) + [35.453] * (N // 2))
    u.load_new(_walk(), format=MemoryReader, dt=DT, dimensions=dims)
    return u, lengths


def test_density_of_an_npt_universe_is_its_mass_over_each_box():
    from ase_electrolyte.units import GCM3_TO_AMU_PER_A3
    from mda_electrolyte import Density

    u, lengths = _npt_universe()
    u.trajectory[7]
    r = Density(u, detect_equilibration=False).run().results
    exact = (N // 2) * (6.941 + 35.453) / lengths**3 / GCM3_TO_AMU_PER_A3
    np.testing.assert_allclose(r.series, exact, rtol=1e-6)
    assert r.equilibrium_density.value == pytest.approx(exact.mean(), rel=1e-6)
    # the mean box: ρ at BOX (with <L⁻³> = BOX⁻³ (1 + 6 s²) for 1 % spread s) within its error
    at_box = (N // 2) * (6.941 + 35.453) / BOX**3 / GCM3_TO_AMU_PER_A3 * (1 + 6e-4)
    assert abs(r.equilibrium_density.value - at_box) < 4 * r.equilibrium_density.stderr
    assert r.time[1] == pytest.approx(DT) and u.trajectory.frame == 7
    # the same numbers as the array path
    a = Density(exact, dt=DT, detect_equilibration=False).run().results
    assert a.equilibrium_density.stderr == pytest.approx(r.equilibrium_density.stderr, rel=1e-5)


@pytest.mark.parametrize("fault, message", [
    ("no masses", r"every atom's mass: 16 of 16 atoms have none"),
    ("dt", r"dt= is for an array of densities"),
    ("box missing", r"frame 3 \(and 0 more\) has no box"),
    ("restart overlap", r"the time does not increase between analysed frames"),
    ("one frame", r"at least 2 frames, the Universe has 1"),
])
def test_density_of_a_universe_refuses_faults_before_averaging(fault, message, tmp_path):
    from mda_electrolyte import Density

    u, _ = _npt_universe(masses=fault != "no masses")
    kw = {"dt": DT} if fault == "dt" else {}
    if fault == "box missing":
        u.trajectory.dimensions_array[3] = 0.0
    elif fault == "restart overlap":
        # frames 0..59 then 55..: the same times twice (joined restarts)
        u = _joined_restarts(u, tmp_path, [range(0, 60), range(55, N_FRAMES)])
    elif fault == "one frame":
        u.load_new(_walk()[:1], format=MemoryReader, dt=DT, dimensions=[BOX] * 3 + [90] * 3)
    with pytest.raises(ValueError, match=message):
        Density(u, **kw)


def _joined_restarts(u, tmp_path, parts):
    """XTC files of the frame ranges ``parts`` of ``u``, read as one trajectory (ChainReader)."""
    paths = []
    for k, frames in enumerate(parts):
        paths.append(str(tmp_path / f"part{k}.xtc"))
        with mda.Writer(paths[-1], u.atoms.n_atoms) as w:
            for _ in u.trajectory[list(frames)]:
                w.write(u.atoms)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an XTC as topology: no names to guess masses from
        v = mda.Universe(paths[0], paths)
    v.add_TopologyAttr("masses", u.atoms.masses)
    return v


def test_too_few_frames_for_the_blocks_names_frames_when_given():
    u, _ = _npt_universe()
    with pytest.raises(ValueError, match=r"holds 3 frames, which cannot be split into 10 blocks "
                                         r"of at least 2 \(frames= picking 3 frames\)"):
        Diffusion(u, {"Li": "index 0:7", "Cl": "index 8:15"},
                  n_blocks=10).run(frames=[0, 5, 9])


def _typed_molecule(types, masses, resindex=(0, 0, 0)):
    u = mda.Universe.empty(3, n_residues=max(resindex) + 1, atom_resindex=list(resindex),
                           trajectory=True)
    u.add_TopologyAttr("types", types)
    u.add_TopologyAttr("masses", masses)
    u.load_new(np.array([[[5, 5, 5], [6.1, 5, 5], [5, 6.4, 5]]], dtype=np.float32),
               format=MemoryReader, dimensions=[12, 12, 12, 90, 90, 90])
    return u


@pytest.mark.parametrize("types, masses, shown", [
    # AMBER: aromatic carbon, hydroxyl hydrogen, ether oxygen
    (["CA", "HO", "OS"], [12.011, 1.008, 15.999], "type 'CA' reads as Ca, but its mass 12.01 "
                                                  "amu is C's"),
    # GROMACS-style ion types are elements; a wrong mass of one of them is named
    (["LI", "NA", "CL"], [6.94, 22.99, 15.999], "type 'CL' reads as Cl, but its mass 16 amu "
                                                "is O's"),
])
def test_force_field_types_are_not_taken_for_elements_their_masses_contradict(types, masses,
                                                                              shown):
    from ase.calculators.emt import EMT

    from mda_electrolyte import RigidVolumeScan
    from mda_electrolyte.model_frames import FrameSource

    u = _typed_molecule(types, masses)
    with pytest.raises(ValueError, match=r"has no elements and .* contradict their masses "
                                         rf"\(e\.g\. {shown}\)"):
        RigidVolumeScan(u, EMT())
    # element types with their masses (or hydrogen-mass repartitioned, 3.024 amu: no element's
    # mass) are read as those elements
    # three ions: three residues (one residue of them is refused as several molecules)
    assert FrameSource(_typed_molecule(["LI", "NA", "CL"], [6.94, 22.99, 35.45],
                                       resindex=(0, 1, 2))).numbers.tolist() == [3, 11, 17]
    assert FrameSource(_typed_molecule(["O", "H", "H"], [15.999, 3.024, 3.024])).numbers \
        .tolist() == [8, 1, 1]


_SHELL_POSITIONS = np.array([[[1, 1, 1], [10, 10, 10], [19, 1, 1], [10, 12.5, 10], [1, 1, 3],
                              [10, 10, 14]]], dtype=np.float32)


def _shell_universe(elements, positions):
    u = mda.Universe.empty(6, n_residues=6, atom_resindex=np.arange(6), trajectory=True)
    u.add_TopologyAttr("names", ["Li", "Li", "Cl", "Cl", "N", "N"])
    u.add_TopologyAttr("elements", elements)
    u.load_new(positions, format=MemoryReader, dimensions=[20, 20, 20, 90, 90, 90])
    groups = (u.select_atoms("name Li"), {"Cl": u.select_atoms("name Cl")},
              {"W": u.select_atoms("name N")})
    return groups


def test_solvation_refuses_elements_that_are_not_element_symbols():
    # types given as elements (GROMACS 'OW'): the oxygens and carbons the shells look for by
    # element would silently be none of them
    from mda_electrolyte import SolvationShells

    groups = _shell_universe(["Li", "Li", "Cl", "Cl", "OW", "N"],
                             np.random.default_rng(0).uniform(0, 20, (2, 6, 3)).astype(np.float32))
    with pytest.raises(ValueError, match=r"SolvationShells: the molecules of species 'W': "
                                         r"elements \['OW'\] are not element symbols"):
        SolvationShells(*groups, cutoffs={"Cl": 3.0, "W": 2.5})


@pytest.mark.parametrize("elements", [
    ["Li", "Li", "Cl", "Cl", "N", "N"],
    # upper case as GRO/PDB files and MDAnalysis' guesser write them, lower case: read as
    # MDAnalysis' PDBParser reads them (atom_categories.element_symbols), never refused
    ["LI", "LI", "CL", "CL", "N", "N"], ["Li", "Li", "cl", "Cl", "n", "N"],
])
def test_solvation_counts_exact_shells_whatever_the_case_of_the_elements(elements):
    from mda_electrolyte import SolvationShells

    groups = _shell_universe(elements, _SHELL_POSITIONS)
    r = SolvationShells(*groups, cutoffs={"Cl": 3.0, "W": 2.5}, rdf_range=(0, 9)).run().results
    # Li 0: a Cl 2 Å away across the box and an N at 2 Å; Li 1: a Cl at 2.5 Å, the N at 4 Å
    assert r.coordination_numbers == {"Cl": 1.0, "W": 0.5}


def test_a_trajectory_without_times_needs_dt(tmp_path):
    # a multi-model PDB records no time: MDAnalysis assumed 1 ps (a warning per frame) and D
    # came out 0.05 Å²/ps, "valid", for frames 0.5 ps apart (D = 0.1)
    from mda_electrolyte import Density

    u, _ = _npt_universe()
    u.add_TopologyAttr("resids", np.arange(1, N + 1))
    pdb = str(tmp_path / "m.pdb")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with mda.Writer(pdb, N, multiframe=True) as w:
            for _ in u.trajectory:
                w.write(u.atoms)
        bare, timed = mda.Universe(pdb), mda.Universe(pdb, dt=DT)
    ions = {"Li": "index 0:7", "Cl": "index 8:15"}
    for v in (bare, timed):
        v.add_TopologyAttr("masses", u.atoms.masses)
    for make in (lambda: Diffusion(bare, ions), lambda: Density(bare),
                 lambda: EinsteinHelfandConductivity(bare, ions, temperature=300.0,
                                                     charges={"Li": 1, "Cl": -1},
                                                     volume=BOX**3)):
        with pytest.raises(ValueError, match=r"\(PDB\) records no time, .*dt=<ps between "
                                             r"frames>"):
            make()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = Diffusion(timed, ions, n_blocks=4).run().results.diffusion_coefficient
    b = Diffusion(u, ions, n_blocks=4).run().results.diffusion_coefficient
    for s in ions:
        assert a[s].value == pytest.approx(b[s].value, rel=1e-3)
        assert abs(b[s].value - D) < 4 * b[s].stderr
