"""``conformer`` keeps the lowest-MMFF of ``n_conformers`` distinct embeddings, reproducibly.

With one ``randomSeed`` for the whole ``EmbedMultipleConfs`` call every embedding repeated the
first (RDKit 2026.09), so the documented search over ``n_conformers`` embeddings was one
embedding: TFSI⁻ came out 9.6 and DME 2.7 kcal/mol above the lowest of 10 distinct ones.
The reference here is an explicit loop of single embeddings, each MMFF-optimised on its own.
"""

import numpy as np
import pytest

pytest.importorskip("rdkit")

from rdkit import Chem  # noqa: E402
from rdkit.Chem import AllChem  # noqa: E402

from ase_electrolyte.build import MAX_CONFORMERS, conformer  # noqa: E402
from ase_electrolyte.species import get_species  # noqa: E402

# chains, a ring, anions with many rotamers, and a stereocentre (PC)
_SPECIES = ["TFSI", "DME", "EMC", "DEC", "EC", "FSI", "PC"]


def _mmff(sp, positions):
    """MMFF94 energy (kcal/mol) of ``sp`` at ``positions`` (Å, in the species' atom order)."""
    mol = Chem.Mol(sp.rdkit_mol)
    conf = Chem.Conformer(mol.GetNumAtoms())
    for i, p in enumerate(np.asarray(positions, dtype=float)):
        conf.SetAtomPosition(i, p.tolist())
    mol.RemoveAllConformers()
    mol.AddConformer(conf, assignId=True)
    props = AllChem.MMFFGetMoleculeProperties(mol)
    return AllChem.MMFFGetMoleculeForceField(mol, props).CalcEnergy()


def _one_embedding(sp, seed):
    """Positions (centred, Å) and MMFF energy of one ETKDG embedding of ``sp``, optimised."""
    mol = Chem.Mol(sp.rdkit_mol)
    params = AllChem.ETKDGv3()
    params.randomSeed = seed
    assert AllChem.EmbedMolecule(mol, params) == 0
    (_, energy), = AllChem.MMFFOptimizeMoleculeConfs(mol, maxIters=2000)
    x = mol.GetConformer().GetPositions()
    return x - x.mean(axis=0), energy


@pytest.mark.parametrize("name", _SPECIES)
@pytest.mark.parametrize("seed", [0, 7])
def test_the_lowest_of_an_explicit_loop_over_seeds_is_returned(name, seed):
    sp = get_species(name)
    n = 6
    # RDKit's sequential seeds: embedding i of a call seeded s is the embedding seeded s + i + 1
    loop = [_one_embedding(sp, seed + i + 1) for i in range(n)]
    energies = np.array([e for _, e in loop])
    atoms = conformer(sp, seed=seed, n_conformers=n)
    got = _mmff(sp, atoms.positions)
    assert got == pytest.approx(energies.min(), abs=1e-6)
    # the very geometry of one lowest embedding (two may tie: mirror images of one rotamer)
    lowest = [x for x, e in loop if e < energies.min() + 1e-6]
    assert any(np.allclose(atoms.positions, x, atol=1e-6) for x in lowest)


@pytest.mark.parametrize("name", _SPECIES)
def test_more_embeddings_never_give_a_higher_energy(name):
    # the first k embeddings of a call are those of a call for k: the minimum can only fall
    sp = get_species(name)
    energies = [_mmff(sp, conformer(sp, seed=3, n_conformers=n).positions)
                for n in (1, 2, 4, 10)]
    assert all(b <= a + 1e-6 for a, b in zip(energies, energies[1:], strict=False))


@pytest.mark.parametrize("name, gain", [("TFSI", 5.0), ("DME", 1.5)])
def test_ten_embeddings_are_distinct(name, gain):
    # the defect: ten identical embeddings, so n_conformers=10 was no lower than 1 (measured,
    # seed 0: TFSI⁻ 196.27 against 186.66, DME 31.18 against 28.51 kcal/mol)
    sp = get_species(name)
    one = _mmff(sp, conformer(sp, seed=0, n_conformers=1).positions)
    ten = _mmff(sp, conformer(sp, seed=0, n_conformers=10).positions)
    assert ten < one - gain
    distinct = {np.round(_one_embedding(sp, s)[0], 3).tobytes() for s in range(1, 11)}
    assert len(distinct) > 1


@pytest.mark.parametrize("name", _SPECIES)
def test_the_same_seed_gives_the_same_conformer(name):
    sp = get_species(name)
    a = conformer(sp, seed=11)
    b = conformer(sp, seed=11)
    assert np.array_equal(a.positions, b.positions)
    assert a.get_chemical_symbols() == b.get_chemical_symbols() == list(sp.symbols)
    assert sp.rdkit_mol.GetNumConformers() == 0  # the cached molecule is not written into
    assert np.allclose(a.positions.mean(axis=0), 0.0, atol=1e-9)


def test_an_enantiomer_keeps_its_configuration_over_the_embeddings():
    # the lowest of ten embeddings of (R)-PC is still R: ETKDG keeps the SMILES' centre
    from ase_electrolyte.species import Species

    sp = Species("RPC", "C[C@@H]1COC(=O)O1")
    mol = Chem.Mol(sp.rdkit_mol)
    conf = Chem.Conformer(mol.GetNumAtoms())
    for i, p in enumerate(conformer(sp, seed=0, n_conformers=10).positions):
        conf.SetAtomPosition(i, p.tolist())
    mol.RemoveAllConformers()
    mol.AddConformer(conf, assignId=True)
    Chem.AssignStereochemistryFrom3D(mol)
    centres = Chem.FindMolChiralCenters(mol, includeUnassigned=True,
                                        useLegacyImplementation=False)
    assert [label for _, label in centres] == ["R"]


@pytest.mark.parametrize("seed", [2**31 - 1, 2**31 - 2, 2**31 - 11, 2**31 - 10_001])
def test_the_top_seeds_give_a_conformer(seed):
    # embedding i is seeded seed + i + 1: from 2³¹ - 10 up, ten embeddings went past 2³¹ - 1
    # and RDKit raised "Invariant Violation ... calculating a new seed" (seed 2³¹ - 2 is the
    # largest electrolyte_box takes); those seeds wrap round, and stay reproducible
    a = conformer("TFSI", seed=seed)
    assert np.isfinite(a.positions).all()
    assert np.array_equal(a.positions, conformer("TFSI", seed=seed).positions)
    assert np.array_equal(a.positions,
                          conformer("TFSI", seed=seed % (2**31 - 1 - MAX_CONFORMERS)).positions)


def test_the_longest_search_at_the_highest_unwrapped_seed():
    # its last embedding is seeded 2³¹ - 1, RDKit's largest
    from ase_electrolyte.species import Species

    water = Species("water", "O")
    seed = 2**31 - 2 - MAX_CONFORMERS
    atoms = conformer(water, seed=seed, n_conformers=MAX_CONFORMERS)
    assert np.isfinite(atoms.positions).all()
    assert 0.9 < atoms.get_distance(0, 1) < 1.05  # an O-H bond (Å)


def test_a_box_at_the_largest_seed_is_packed():
    pytest.importorskip("packmol")
    from ase_electrolyte.build import electrolyte_box

    atoms = electrolyte_box(counts={"EMC": 2, "Li": 1, "TFSI": 1}, density=1.0, seed=2**31 - 2)
    assert atoms.info["composition"] == {"EMC": 2, "Li": 1, "TFSI": 1}
    assert np.isfinite(atoms.positions).all()
