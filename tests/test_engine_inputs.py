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
