"""Residues of a topology without bonds (a GRO file, a PDB without CONECT records) are checked
to be molecules, as the residues of a topology with bonds are.

Before, a Universe of several residues and no bonds was taken as it came: a residue holding an
EC and a PF6⁻ (or an ion pair) counted their pairs as intramolecular, and an EMC split over two
residues counted its own bonds as intermolecular contacts, without a word. Now the covalent
bonds guessed at the current frame judge the residues: several bonded groups in one residue, or
a bond shorter than 1.2 × the covalent radii joining two residues, are refused with the fix
named; a hydrogen bond, a free cation at its oxygen and residues of united atoms are not.
"""

import warnings

import MDAnalysis as mda
import numpy as np
import pytest
from ase.build import molecule

pytest.importorskip("rdkit")
pytest.importorskip("packmol")

from ase_electrolyte.build import electrolyte_box  # noqa: E402
from mda_electrolyte import IntraInterRDF, from_ase  # noqa: E402
from mda_electrolyte.molecules import (  # noqa: E402
    check_residues_are_molecules,
    first_appearance,
    molecule_ids,
)


@pytest.fixture(scope="module")
def box():
    return electrolyte_box(counts={"EC": 3, "EMC": 2, "Li": 2, "PF6": 2}, seed=1)


def _universe(atoms, resindex, elements=True, masses=None):
    """A Universe of ``atoms`` whose residues are ``resindex``, without bonds."""
    resindex = first_appearance(resindex)
    n_res = int(resindex.max()) + 1
    u = mda.Universe.empty(len(atoms), n_residues=n_res, atom_resindex=resindex, trajectory=True)
    if elements is True:
        u.add_TopologyAttr("elements", atoms.get_chemical_symbols())
    elif elements is not None:
        u.add_TopologyAttr("elements", elements)
    if masses is not None:
        u.add_TopologyAttr("masses", masses)
    u.add_TopologyAttr("resnames", [f"R{k}" for k in range(n_res)])
    u.atoms.positions = atoms.positions
    if atoms.pbc.all():
        u.dimensions = atoms.cell.cellpar()
    return u


def _wrapped(atoms):
    shifted = atoms.copy()
    shifted.positions += 0.5 * shifted.cell.lengths()
    shifted.wrap()
    return shifted


@pytest.mark.parametrize("wrap", [False, True])
def test_residues_that_are_molecules_are_accepted(box, wrap):
    atoms = _wrapped(box) if wrap else box
    ids = atoms.arrays["molecule_index"]
    u = _universe(atoms, ids)
    assert not hasattr(u.atoms, "bonds")
    assert np.array_equal(molecule_ids(u.atoms), first_appearance(ids))


def test_a_residue_of_two_molecules_is_refused(box):
    ids = box.arrays["molecule_index"].copy()
    species = box.arrays["molecule_species"]
    ec, pf6 = ids[species == "EC"][0], ids[species == "PF6"][0]
    ids[ids == pf6] = ec
    u = _universe(box, ids)
    with pytest.raises(ValueError, match=r"1 residue\(s\) hold several covalently bonded "
                                         r"molecules .*2 molecules.*compound='fragments'"):
        molecule_ids(u.atoms)
    # refused before an analysis does any work
    with pytest.raises(ValueError, match="residues are not molecules"):
        IntraInterRDF(u.atoms, range=(0.0, 4.0))


def test_an_ion_pair_written_as_one_residue_is_refused(box):
    ids = box.arrays["molecule_index"].copy()
    species = box.arrays["molecule_species"]
    li, pf6 = ids[species == "Li"][0], ids[species == "PF6"][0]
    ids[ids == li] = pf6
    with pytest.raises(ValueError, match="several covalently bonded molecules"):
        molecule_ids(_universe(box, ids).atoms)


@pytest.mark.parametrize("wrap", [False, True])
def test_a_molecule_split_over_two_residues_is_refused(box, wrap):
    atoms = _wrapped(box) if wrap else box
    ids = atoms.arrays["molecule_index"].copy()
    emc = np.flatnonzero(atoms.arrays["molecule_species"] == "EMC")[:15]
    ids[emc[:7]] = ids.max() + 1
    u = _universe(atoms, ids)
    with pytest.raises(ValueError, match=r"covalent bond\(s\) join two residues .* Å apart"):
        molecule_ids(u.atoms)
    # one atom of the EMC in a residue of its own: its bond is cut
    lone = atoms.arrays["molecule_index"].copy()
    lone[emc[0]] = lone.max() + 1
    with pytest.raises(ValueError, match="join two residues"):
        molecule_ids(_universe(atoms, lone).atoms)


def test_point_ions_met_at_random_are_no_split_molecule():
    # a toy gas of Li⁺ and Cl⁻ (one-atom residues): two Cl 2.0 Å apart lie within 1.2 × their
    # covalent radii (2.45 Å) but are no molecule cut in two (the conductivity docs' example)
    from ase import Atoms

    gas = Atoms("Cl2Li2", positions=[[5, 5, 5], [7, 5, 5], [5, 9, 5], [9, 9, 9]],
                cell=[15, 15, 15], pbc=True)
    u = _universe(gas, np.arange(4))
    assert molecule_ids(u.atoms).tolist() == [0, 1, 2, 3]


def test_only_the_analysed_residues_are_judged(box):
    ids = box.arrays["molecule_index"].copy()
    species = box.arrays["molecule_species"]
    ec = np.unique(ids[species == "EC"])
    ids[ids == ec[1]] = ec[0]  # two EC in one residue
    u = _universe(box, ids)
    pf6 = u.atoms[species == "PF6"]
    assert int(molecule_ids(pf6).max()) + 1 == 2
    with pytest.raises(ValueError, match="several covalently bonded"):
        molecule_ids(u.atoms[species == "EC"])


def test_hydrogen_bonds_and_cations_at_their_oxygen_join_no_residues():
    # two waters with H···O 1.45 Å (within the guess's 1.57 Å, not a covalent bond), and a Li⁺
    # 1.8 Å from an oxygen, in three residues
    a, b = molecule("H2O"), molecule("H2O")
    o, h = a.positions[0], a.positions[1]
    b.positions += o + (h - o) / np.linalg.norm(h - o) * (np.linalg.norm(h - o) + 1.45) \
        - b.positions[0]
    li = molecule("H2O")[:1]
    li.symbols[0] = "Li"
    li.positions = b.positions[:1] + [0.0, 0.0, 1.8]
    atoms = a + b + li
    atoms.center(vacuum=6.0)
    atoms.pbc = True
    u = _universe(atoms, np.array([0, 0, 0, 1, 1, 1, 2]))
    assert molecule_ids(u.atoms).tolist() == [0, 0, 0, 1, 1, 1, 2]
    # without a box too
    atoms.pbc = False
    u = _universe(atoms, np.array([0, 0, 0, 1, 1, 1, 2]))
    assert molecule_ids(u.atoms).tolist() == [0, 0, 0, 1, 1, 1, 2]


def test_united_atom_residues_are_not_judged():
    # dimethyl ether as united atoms: CH3 sites (15.035 amu) of no element; two of them in one
    # residue cannot be told apart from one molecule, so nothing is refused for them
    ether = molecule("CH3OCH3")
    heavy = ether[[a.index for a in ether if a.symbol != "H"]]
    second = heavy.copy()
    second.positions += [6.0, 0.0, 0.0]
    atoms = heavy + second
    atoms.center(vacuum=5.0)
    atoms.pbc = True
    masses = np.where(atoms.numbers == 8, 15.999, 15.035)
    u = _universe(atoms, np.zeros(6, dtype=int) + [0, 0, 0, 1, 1, 1], elements=None,
                  masses=masses)
    assert molecule_ids(u.atoms).tolist() == [0, 0, 0, 1, 1, 1]
    # a residue of known elements beside them is still judged
    u = _universe(atoms, np.array([0, 0, 0, 0, 0, 0]), elements=None, masses=masses)
    check_residues_are_molecules(u.atoms)  # one residue of unknown atoms: not counted


def test_a_gro_file_with_residues_that_are_not_molecules_is_refused(box, tmp_path):
    u = from_ase(box)
    good = tmp_path / "good.gro"
    u.atoms.write(good)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MDAnalysis' mass and element guesses
        read = mda.Universe(good)
    assert read.residues.n_residues == u.residues.n_residues
    assert np.array_equal(molecule_ids(read.atoms), molecule_ids(u.atoms))
    # the salt written as one residue (a GRO file of a packing tool): residue number and name
    species = box.arrays["molecule_species"]
    salt = np.isin(species, ["Li", "PF6"])
    resid = u.atoms.resids[salt][0]
    lines = good.read_text().splitlines()
    body = [f"{resid:5d}SALT {line[10:]}" if s else line
            for line, s in zip(lines[2:2 + len(box)], salt, strict=True)]
    bad = tmp_path / "bad.gro"
    bad.write_text("\n".join(lines[:2] + body + lines[2 + len(box):]) + "\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        read = mda.Universe(bad)
    assert read.residues.n_residues < u.residues.n_residues
    before = read.atoms.positions.copy()
    with pytest.raises(ValueError, match="several covalently bonded molecules"):
        molecule_ids(read.atoms)
    assert np.array_equal(read.atoms.positions, before)
    assert not hasattr(read.atoms, "bonds")


def test_random_points_with_residues_are_not_judged_by_the_guess():
    # test points at random (no molecular structure: hydrogens with two partners at covalent
    # distances) are no molecules the guess can read; their residues are taken as given
    rng = np.random.default_rng(4)
    n = 300
    symbols = np.array(["O", "H", "H"] * (n // 3))
    u = mda.Universe.empty(n, n_residues=n // 3, atom_resindex=np.repeat(np.arange(n // 3), 3),
                           trajectory=True)
    u.add_TopologyAttr("elements", symbols)
    u.atoms.positions = rng.random((n, 3)) * 12.0
    u.dimensions = [12.0, 12.0, 12.0, 90.0, 90.0, 90.0]
    assert molecule_ids(u.atoms).max() == n // 3 - 1


def _lammps_files(atoms, mol_ids, folder):
    """A data file of atom style full with the molecule ids ``mol_ids`` and a one-frame dump
    with an element column."""
    import ase.io
    from ase import Atoms

    order = [s for s in ["H", "Li", "C", "O", "F", "P"] if s in set(atoms.get_chemical_symbols())]
    bare = Atoms(numbers=atoms.numbers, positions=atoms.positions, cell=atoms.cell, pbc=True)
    bare.new_array("mol-id", np.asarray(mol_ids) + 1)
    data, dump = folder / "box.data", folder / "box.lammpstrj"
    ase.io.write(data, bare, format="lammps-data", atom_style="full", masses=True,
                 specorder=order)
    a, b, c = atoms.cell.lengths()
    lines = ["ITEM: TIMESTEP", "0", "ITEM: NUMBER OF ATOMS", str(len(atoms)),
             "ITEM: BOX BOUNDS pp pp pp", f"0 {a}", f"0 {b}", f"0 {c}",
             "ITEM: ATOMS id type element x y z"]
    for k, (sym, (x, y, z)) in enumerate(zip(atoms.get_chemical_symbols(), atoms.positions,
                                             strict=True)):
        lines.append(f"{k + 1} {order.index(sym) + 1} {sym} {x} {y} {z}")
    dump.write_text("\n".join(lines) + "\n")
    return data, dump


@pytest.mark.parametrize("damage", ["ion pair", "split", "atom ids"])
def test_lammps_molecule_ids_that_are_not_molecules_give_the_molecules(box, damage, tmp_path):
    # before: an ion pair under one molecule id was one neutral residue 'F6LiP' (formal charge
    # 0), refused by every analysis; ids that cut a molecule were taken as molecules
    ids = box.arrays["molecule_index"].copy()
    species = box.arrays["molecule_species"]
    if damage == "ion pair":
        ids[species == "PF6"] = ids[species == "Li"][0]
    elif damage == "split":
        emc = np.flatnonzero(species == "EMC")
        ids[emc[:6]] = ids.max() + 1
    else:
        ids = np.arange(len(box))
    data, dump = _lammps_files(box, ids, tmp_path)
    with pytest.warns(UserWarning, match=f"the molecule ids of {data} do not label molecules"):
        u = from_ase(data, dump=dump)
    truth = from_ase(box)
    assert np.array_equal(molecule_ids(u.atoms), molecule_ids(truth.atoms))
    assert u.residues.resnames.tolist() == truth.residues.resnames.tolist()
    assert np.array_equal(u.atoms.formalcharges, truth.atoms.formalcharges)
    # ids that are molecules are used as they are, without a warning
    data, dump = _lammps_files(box, box.arrays["molecule_index"], tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        u = from_ase(data, dump=dump)
    assert np.array_equal(molecule_ids(u.atoms), molecule_ids(truth.atoms))


def test_a_metal_of_one_atom_residues_is_not_judged_as_molecules():
    # fcc Cu, each atom a residue: 12 neighbours at 2.55 Å lie within 1.2 × the covalent radii,
    # which no molecule has; the residues are taken as given (they were refused as split)
    from ase.build import bulk

    copper = bulk("Cu", cubic=True).repeat((2, 2, 2))
    u = _universe(copper, np.arange(len(copper)))
    assert molecule_ids(u.atoms).tolist() == list(range(len(copper)))
