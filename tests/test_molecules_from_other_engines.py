"""Molecules of boxes written by other programs: files without bonds, or residues that are not
molecules (ASE writes every atom of a PDB or GRO file in one residue, a LAMMPS data file of
molecule ids 0), for Li⁺, Na⁺ and Mg²⁺ salts. Molecules, species and charges must be those of
the box builder's own topology; cations are never bonded to their solvation shell."""

import warnings

import ase.io
import MDAnalysis as mda
import numpy as np
import pytest
from ase import Atoms

pytest.importorskip("rdkit")
pytest.importorskip("packmol")

from ase_electrolyte.build import electrolyte_box  # noqa: E402
from ase_electrolyte.species import Species  # noqa: E402
from mda_electrolyte import from_ase  # noqa: E402
from mda_electrolyte.atom_categories import atom_categories  # noqa: E402
from mda_electrolyte.model_frames import FrameSource  # noqa: E402
from mda_electrolyte.molecules import (  # noqa: E402
    FREE_ION_NUMBERS,
    atoms_molecule_ids,
    check_residues_are_molecules,
    covalent_bonds,
)

MG = Species("Mg", "[Mg+2]")
SALTS = {
    "LiPF6": {"EC": 3, "Li": 1, "PF6": 1},
    "LiFSI": {"DME": 2, "Li": 1, "FSI": 1},
    "NaPF6": {"PC": 3, "Na": 1, "PF6": 1},
    "Mg(TFSI)2": {"DME": 2, MG: 1, "TFSI": 2},
}
ORDER = ["H", "Li", "C", "N", "O", "F", "Na", "Mg", "P", "S"]


@pytest.fixture(scope="module", params=sorted(SALTS))
def salt_box(request):
    atoms = electrolyte_box(counts=SALTS[request.param], seed=0)
    return request.param, atoms


def _split_across_boundary(atoms):
    """A copy shifted by half a box and wrapped: some molecules cross the periodic boundary."""
    wrapped = atoms.copy()
    wrapped.positions += 0.5 * wrapped.cell.lengths()
    wrapped.wrap()
    ids = wrapped.arrays["molecule_index"]
    span = [np.ptp(wrapped.positions[ids == j], axis=0).max() for j in np.unique(ids)]
    assert max(span) > 0.5 * wrapped.cell.lengths().min()  # a molecule is split
    return wrapped


def _bare(atoms):
    """Positions, elements and cell only: what another program's file holds."""
    return Atoms(numbers=atoms.numbers, positions=atoms.positions, cell=atoms.cell, pbc=True)


def _molecules(u):
    """Molecules as sets of atom indices, with their species and ionic charge."""
    return sorted((tuple(r.atoms.ix), str(r.resname), int(r.atoms.formalcharges.sum()))
                  for r in u.residues)


def _write_lammps(atoms, folder):
    """A data file of atom style full with every molecule id 0, and a one-frame dump with an
    element column."""
    data, dump = folder / "box.data", folder / "box.lammpstrj"
    specorder = [s for s in ORDER if s in set(atoms.get_chemical_symbols())]
    ase.io.write(data, _bare(atoms), format="lammps-data", atom_style="full", masses=True,
                 specorder=specorder)
    a, b, c = atoms.cell.lengths()
    lines = ["ITEM: TIMESTEP", "0", "ITEM: NUMBER OF ATOMS", str(len(atoms)),
             "ITEM: BOX BOUNDS pp pp pp", f"0 {a}", f"0 {b}", f"0 {c}",
             "ITEM: ATOMS id type element x y z"]
    for k, (sym, (x, y, z)) in enumerate(zip(atoms.get_chemical_symbols(), atoms.positions,
                                             strict=True)):
        lines.append(f"{k + 1} {specorder.index(sym) + 1} {sym} {x} {y} {z}")
    dump.write_text("\n".join(lines) + "\n")
    return data, dump


@pytest.mark.parametrize("fmt", ["gro", "pdb", "xyz", "lammps"])
def test_files_without_molecules_give_the_builders_molecules_and_charges(salt_box, fmt,
                                                                         tmp_path):
    name, atoms = salt_box
    expected = _molecules(from_ase(atoms))
    charges = sorted(q for _, _, q in expected)
    assert charges.count(0) < len(charges) and sum(charges) == 0  # ions and solvent
    if fmt == "xyz":
        # plain XYZ has no cell: the molecules must be whole in the file
        path = tmp_path / "box.xyz"
        ase.io.write(path, _bare(atoms), format="xyz")
        u = from_ase(path)
    elif fmt == "lammps":
        data, dump = _write_lammps(_split_across_boundary(atoms), tmp_path)
        u = from_ase(data, dump=dump, lammps_atom_style="id resid type charge x y z")
        # MDAnalysis reads the data file as one residue; the refusal counts the molecules
        one = mda.Universe(str(data), topology_format="DATA",
                           atom_style="id resid type charge x y z")
        with pytest.raises(ValueError, match=f"form {len(expected)} bonded molecules"):
            check_residues_are_molecules(one.atoms)
    else:
        path = tmp_path / f"box.{fmt}"
        ase.io.write(path, _bare(_split_across_boundary(atoms)))
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no "not in the species library" for these salts
            u = from_ase(path)
    assert _molecules(u) == expected, name


def test_free_cations_are_never_bonded(salt_box):
    # a cation 1.9 Å from an oxygen is within the covalent cutoffs (Li 1.28 + O 0.66 + 0.3 Å)
    _, atoms = salt_box
    free = np.flatnonzero(np.isin(atoms.numbers, list(FREE_ION_NUMBERS)))
    oxygen = np.flatnonzero(atoms.numbers == 8)[0]
    close = atoms.copy()
    close.positions[free[0]] = close.positions[oxygen] + [1.9, 0.0, 0.0]
    bonds = covalent_bonds(close)
    assert not np.isin(bonds, free).any()
    ids = atoms_molecule_ids(_bare(close))
    assert all(np.sum(ids == ids[k]) == 1 for k in free)
    # atom categories of the carbonyl or ether oxygen are not changed by the cation
    labels = atom_categories(close.numbers, bonds)
    assert labels[oxygen] in ("Oc", "Oe", "O")
    assert labels[oxygen] == atom_categories(atoms.numbers, covalent_bonds(atoms))[oxygen]


def _lipf6_ec(seed=0):
    return electrolyte_box(counts=SALTS["LiPF6"], seed=seed)


def test_labels_holding_several_molecules_are_set_aside():
    atoms = _lipf6_ec()
    truth = atoms.arrays["molecule_index"]
    bare = _bare(atoms)
    # one label for every atom (ASE's PDB and GRO): no information, no warning
    one = bare.copy()
    one.arrays["residuenumbers"] = np.ones(len(atoms), dtype=int)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(atoms_molecule_ids(one), truth)
    # the ion pair in one residue (or residue numbers wrapped at 10⁵): the bonds, with a warning
    pair = bare.copy()
    labels = truth.copy()
    labels[labels == labels.max()] = labels.max() - 1  # PF6 joins Li
    pair.arrays["mol-id"] = labels + 7
    with pytest.warns(UserWarning, match=r"1 of its 4 labels hold several covalently bonded"):
        np.testing.assert_array_equal(atoms_molecule_ids(pair), truth)
    # labels that agree with the bonds are used
    agree = bare.copy()
    agree.arrays["mol_id"] = truth * 3 + 5
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(atoms_molecule_ids(agree), truth)
    # labels that cut a covalent bond (a molecule cut in two, every atom its own label) are no
    # molecules: the bonds, with a warning naming the bond (they were kept before)
    finer = bare.copy()
    split = truth.copy()
    first = np.flatnonzero(truth == 0)
    split[first[: len(first) // 2]] = 99
    finer.arrays["mol_id"] = split
    with pytest.warns(UserWarning, match=r"covalent bond\(s\) join atoms of two labels"):
        np.testing.assert_array_equal(atoms_molecule_ids(finer), truth)
    each = bare.copy()
    each.arrays["mol-id"] = np.arange(len(atoms))
    with pytest.warns(UserWarning, match="join atoms of two labels"):
        np.testing.assert_array_equal(atoms_molecule_ids(each), truth)


def test_labels_that_part_molecules_the_guess_joins_by_a_hydrogen_bond_are_kept():
    # two waters with H···O 1.45 Å: within the guess's O–H reach (1.57 Å), but the H's valence
    # is full (its certain O–H bond): two molecules, as the labels say (before, the guess made
    # one molecule of them, and only labels parted it)
    from ase.build import molecule

    a, b = molecule("H2O"), molecule("H2O")
    o, h = a.positions[0], a.positions[1]
    axis = (h - o) / np.linalg.norm(h - o)
    b.positions += h + 1.45 * axis - b.positions[0]
    dimer = a + b
    dimer.center(vacuum=5.0)
    dimer.pbc = True
    assert atoms_molecule_ids(dimer).tolist() == [0, 0, 0, 1, 1, 1]
    dimer.arrays["residuenumbers"] = np.array([1, 1, 1, 2, 2, 2])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert atoms_molecule_ids(dimer).tolist() == [0, 0, 0, 1, 1, 1]
    # two CO2 with a C···O contact of 1.95 Å (reach 2.02 Å, no valence full): one molecule
    # to the guess, two by the labels, which cut no certain bond (1.2 × radii: 1.70 Å)
    c, d = molecule("CO2"), molecule("CO2")
    d.positions += c.positions[0] + [0.0, 1.95, 0.0] - d.positions[1]
    pair = c + d
    pair.center(vacuum=5.0)
    pair.pbc = True
    assert atoms_molecule_ids(pair).tolist() == [0] * 6
    pair.arrays["residuenumbers"] = np.array([1, 1, 1, 2, 2, 2])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert atoms_molecule_ids(pair).tolist() == [0, 0, 0, 1, 1, 1]


def test_frame_source_of_a_gro_universe_has_masses_and_formula_species(tmp_path):
    atoms = _lipf6_ec()
    path = tmp_path / "box.gro"
    ase.io.write(path, _bare(atoms))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MDAnalysis: "Unknown masses are set to 0.0"
        u = mda.Universe(str(path))
    assert u.atoms.masses[atoms.numbers == 3].tolist() == [0.0]  # MDAnalysis' guess for "LI"
    # one residue (1DUM) holding five molecules: refused, naming the count and from_ase
    with pytest.raises(ValueError, match="form 5 bonded molecules.*from_ase"):
        FrameSource(u)
    u.guess_TopologyAttrs(to_guess=["bonds"], box=u.dimensions)
    with pytest.warns(UserWarning, match=r"1 atom\(s\) have no mass.*\['Li'\]"):
        source = FrameSource(u, compound="fragments")
    np.testing.assert_allclose(source.masses, atoms.get_masses(), atol=1e-3)
    assert source.species == ["C3H4O3"] * 3 + ["Li", "F6P"]
    # from the Atoms of the same file: the residue name "1DUM" of every atom names no species
    assert FrameSource([ase.io.read(path)]).species == source.species
    # the builder's names survive an extxyz round trip (read back as object arrays)
    ase.io.write(tmp_path / "box.extxyz", atoms)
    assert FrameSource([ase.io.read(tmp_path / "box.extxyz")]).species == [
        "EC", "EC", "EC", "Li", "PF6"]


def test_frame_source_refuses_negative_masses():
    atoms = _lipf6_ec()
    u = from_ase(atoms)
    masses = u.atoms.masses.copy()
    masses[4] = -1.0
    u.atoms.masses = masses
    with pytest.raises(ValueError, match="atom 4 has -1.0"):
        FrameSource(u)


def test_a_wrapped_box_without_its_cell_is_refused_not_read_as_fragments(tmp_path):
    # plain XYZ keeps no cell: molecules wrapped across the boundary fall apart (EC into
    # C2HO2 + CHO + H + H); refused before any analysis, naming the cause
    atoms = _lipf6_ec()
    path = tmp_path / "wrapped.xyz"
    ase.io.write(path, _bare(_split_across_boundary(atoms)), format="xyz")
    with pytest.raises(ValueError, match=r"wrapped.xyz: \d+ hydrogen atom\(s\) .* bonded to "
                                         r"nothing: the molecules are split.*extxyz"):
        from_ase(path)
    # the same frame with its cell: the builder's molecules
    assert _molecules(from_ase(_bare(_split_across_boundary(atoms)))) == _molecules(
        from_ase(atoms))


def test_the_split_frame_is_refused_by_every_molecule_guess():
    # one implementation: the diagnostics' FrameSource and atoms_molecule_ids refuse it too
    atoms = _bare(_split_across_boundary(_lipf6_ec()))
    atoms.pbc = False
    for guess in (atoms_molecule_ids, lambda a: FrameSource([a])):
        with pytest.raises(ValueError, match="bonded to nothing: the molecules are split"):
            guess(atoms)
    # with its cell the same frame gives the five molecules
    atoms.pbc = True
    assert atoms_molecule_ids(atoms).max() == 4


def test_a_stored_molecule_index_that_no_longer_fits_is_refused():
    # two boxes joined with '+' keep each part's indices: every molecule index held two
    # molecules (EC residues of 20 atoms, a "Li" of charge +2), without a word
    box = _lipf6_ec()
    other = box.copy()
    other.positions += box.cell[2]
    joined = box + other
    joined.cell[2] *= 2
    for frames in (joined, [joined]):
        with pytest.raises(ValueError, match=r"joined with '\+' keep each part's molecule "):
            from_ase(frames)
    with pytest.raises(ValueError, match="several covalently bonded groups"):
        FrameSource([joined])
    # renumbered as the message says: ten molecules, each species' charge
    other.arrays["molecule_index"] += box.arrays["molecule_index"].max() + 1
    joined = box + other
    joined.cell[2] *= 2
    u = from_ase(joined)
    assert u.residues.n_residues == 2 * (box.arrays["molecule_index"].max() + 1)
    assert {int(r.atoms.formalcharges.sum()) for r in u.residues if r.resname == "Li"} == {1}
    # atoms removed from one molecule: one species name on two compositions
    ec = np.flatnonzero(box.arrays["molecule_species"] == "EC")
    hydrogen = ec[box.numbers[ec] == 1][0]
    cut = box[[k for k in range(len(box)) if k != hydrogen]]
    with pytest.raises(ValueError, match=r"molecules named 'EC' are C3H3O3 and C3H4O3"):
        from_ase(cut)
