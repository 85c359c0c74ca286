"""Electrolytes beyond the source papers' species, read from files that carry no topology.

Boxes of LiBF4, LiClO4, LiDFOB, LiBOB and LiTFSI in diglyme, acetonitrile (a user species),
water, FEC, VC and DME, written as another program would (elements, positions, cell), must come
back from :func:`mda_electrolyte.from_ase` with the builder's molecules, names and formal
charges (acetonitrile named by its formula), and
their covalent bonds must be the bonds of the species' SMILES (so the atom categories of Ju et
al. 2025 are those of the molecules). Before, BF4⁻, ClO4⁻, DFOB⁻ and BOB⁻ were named by formula
with formal charge 0 and the solvents by formula.
"""

import warnings

import numpy as np
import pytest
from ase import Atoms

pytest.importorskip("rdkit")
pytest.importorskip("packmol")

from ase_electrolyte.build import electrolyte_box  # noqa: E402
from ase_electrolyte.species import (  # noqa: E402
    Species,
    get_salt,
    get_species,
    species_from_formula,
)
from mda_electrolyte import from_ase  # noqa: E402
from mda_electrolyte.atom_categories import atom_categories  # noqa: E402
from mda_electrolyte.molecules import covalent_bonds  # noqa: E402

ACN = Species("ACN", "CC#N")
BOXES = {
    "LiBF4 in diglyme": ("LiBF4", {"G2": 3}),
    "LiClO4 in acetonitrile": ("LiClO4", {ACN: 6}),
    "LiDFOB in FEC": ("LiDFOB", {"FEC": 4}),
    "LiBOB in VC and DME": ("LiBOB", {"VC": 3, "DME": 2}),
    "LiTFSI in water": ("LiTFSI", {"H2O": 12}),
}


@pytest.fixture(scope="module", params=sorted(BOXES))
def box(request):
    salt, solvents = BOXES[request.param]
    salt = get_salt(salt)
    counts = {**solvents, salt.cation.name: 2, salt.anion.name: 2}
    return electrolyte_box(counts=counts, seed=1)


def _bare(atoms):
    """What another program's file holds, molecules cut by the boundary."""
    bare = Atoms(numbers=atoms.numbers, positions=atoms.positions, cell=atoms.cell, pbc=True)
    bare.positions += 0.5 * bare.cell.lengths()
    bare.wrap()
    return bare


def _smiles_bonds(atoms):
    """The bonds of every molecule's SMILES (RDKit), in box indices: the builder places a
    molecule's atoms in the order of its species' atoms."""
    ids, names = atoms.arrays["molecule_index"], atoms.arrays["molecule_species"]
    bonds = set()
    for j in np.unique(ids):
        members = np.flatnonzero(ids == j)
        name = str(names[members[0]])
        mol = (ACN if name == "ACN" else get_species(name)).rdkit_mol
        assert mol.GetNumAtoms() == members.size
        for b in mol.GetBonds():
            a, c = sorted((members[b.GetBeginAtomIdx()], members[b.GetEndAtomIdx()]))
            bonds.add((int(a), int(c)))
    return bonds


def test_the_library_names_every_species_by_its_composition():
    for name, formula, charge in [("G2", "C6H14O3", 0), ("H2O", "H2O", 0),
                                  ("BF4", "BF4", -1), ("ClO4", "ClO4", -1),
                                  ("DFOB", "C2BF2O4", -1), ("BOB", "C4BO8", -1)]:
        sp = get_species(name)
        assert (sp.formula, sp.charge) == (formula, charge)
        assert species_from_formula(sp.symbols) is sp
    assert get_species("diglyme").name == "G2"
    assert get_species("water").name == "H2O"
    assert get_species("BF4-").name == "BF4"


def test_guessed_bonds_are_the_smiles_bonds(box):
    bare = _bare(box)
    guessed = {(int(a), int(b)) for a, b in covalent_bonds(bare)}
    # exactly: the S···S of TFSI⁻ across its N (2.66 Å, within 2 r_S + 0.6 Å) was a bond too
    assert guessed == _smiles_bonds(box)
    # so the categories are those of the molecules' own bonds
    reference = atom_categories(box.numbers, sorted(_smiles_bonds(box)))
    assert np.array_equal(atom_categories(bare.numbers, covalent_bonds(bare)), reference)


def test_from_ase_gives_the_builders_molecules_names_and_charges(box):
    truth = from_ase(box)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        u = from_ase(_bare(box))
    # acetonitrile, a user species here, is named by its formula: neutral, with no word of
    # an ion of unknown charge; every other species is the library's
    assert [str(w.message).split(":")[0] for w in caught] == (
        ["molecules ['C2H3N'] are not in the species library"]
        if "ACN" in truth.residues.resnames else [])
    assert not any("odd number" in str(w.message) for w in caught)
    expected = [{"ACN": "C2H3N"}.get(n, n) for n in truth.residues.resnames.tolist()]
    assert u.residues.resnames.tolist() == expected
    assert [r.atoms.ix.tolist() for r in u.residues] == \
        [r.atoms.ix.tolist() for r in truth.residues]
    assert np.array_equal(u.atoms.formalcharges, truth.atoms.formalcharges)
    charges = {str(r.resname): int(r.atoms.formalcharges.sum()) for r in u.residues}
    assert sum(int(r.atoms.formalcharges.sum()) for r in u.residues) == 0
    assert {charges[n] for n in ("BF4", "ClO4", "DFOB", "BOB", "TFSI") if n in charges} == {-1}
    assert charges["Li"] == 1
    # per atom too: perchlorate in RDKit's charge-separated form (Cl³⁺, four O⁻) on its atoms
    if "ClO4" in charges:
        clo4 = u.select_atoms("resname ClO4")
        assert sorted(set(clo4.formalcharges[clo4.elements == "O"].tolist())) == [-1]
        assert set(clo4.formalcharges[clo4.elements == "Cl"].tolist()) == {3}


def test_an_ion_outside_the_library_is_named_as_an_ion_of_unknown_charge():
    # hexafluoroarsenate: odd electron count, so charge 0 cannot be right; the warning says so
    asf6 = Atoms("AsF6", positions=[[0, 0, 0], [1.72, 0, 0], [-1.72, 0, 0], [0, 1.72, 0],
                                    [0, -1.72, 0], [0, 0, 1.72], [0, 0, -1.72]])
    asf6.center(vacuum=6.0)
    asf6.pbc = True
    with pytest.warns(UserWarning, match=r"AsF6.*odd number of electrons.*formalcharges"):
        u = from_ase(asf6)
    assert u.residues.resnames.tolist() == ["AsF6"]


def test_formula_labels_are_each_molecules_hill_formula():
    # one formula per composition (a mask of all atoms per molecule took 4.8 s for 9 500
    # molecules): the labels of molecules in any order are each one's own Hill formula
    from ase.formula import Formula

    from mda_electrolyte.molecules import molecule_species

    rng = np.random.default_rng(7)
    numbers = rng.choice([1, 3, 6, 7, 8, 9, 15, 16], size=400)
    ids = rng.integers(0, 60, size=400)
    ids = np.unique(ids, return_inverse=True)[1].ravel()  # contiguous 0 .. n-1
    labels = molecule_species(numbers, ids)
    reference = [Formula("".join(Atoms(numbers[ids == j]).get_chemical_symbols())).format("hill")
                 for j in range(int(ids.max()) + 1)]
    assert labels == reference
    assert molecule_species(np.zeros(0, dtype=int), np.zeros(0, dtype=int)) == []
