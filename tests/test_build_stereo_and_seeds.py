"""The box builder on SMILES with stereo and charges, on seeds, and on salts of several ions.

Handedness is read back from each packed molecule's 3D positions by RDKit
(``AssignStereochemistryFrom3D``, CIP labels), independently of how the builder mirrors.
"""

import numpy as np
import pytest
from rdkit import Chem

from ase_electrolyte.build import composition_counts, conformer, electrolyte_box
from ase_electrolyte.species import Salt, Species, get_species


def _labels(atoms, sp):
    """CIP labels of the stereocentres of every ``sp`` molecule of ``atoms``, from 3D."""
    ids = atoms.arrays["molecule_index"]
    names = atoms.arrays["molecule_species"]
    out = []
    for m in np.unique(ids[names == sp.name]):
        mol = Chem.Mol(sp.rdkit_mol)
        conf = Chem.Conformer(mol.GetNumAtoms())
        for i, p in enumerate(atoms.positions[ids == m]):
            conf.SetAtomPosition(i, p.tolist())
        mol.RemoveAllConformers()
        mol.AddConformer(conf, assignId=True)
        Chem.AssignStereochemistryFrom3D(mol)
        out.append(tuple(t for _, t in Chem.FindMolChiralCenters(
            mol, includeUnassigned=True, useLegacyImplementation=False)))
    return out


@pytest.mark.parametrize("smiles, label", [("C[C@@H]1COC(=O)O1", "R"),
                                           ("C[C@H]1COC(=O)O1", "S")])
def test_an_enantiomer_given_by_its_smiles_is_packed_as_written(smiles, label):
    # half of the molecules were packed mirrored: the other enantiomer of the one asked for
    sp = Species("PC1", smiles)
    assert sp.is_chiral and not sp.is_racemic
    atoms = electrolyte_box(counts={sp: 6}, seed=0)
    assert _labels(atoms, sp) == [(label,)] * 6


def test_pc_without_stereo_is_packed_racemic():
    sp = get_species("PC")
    assert sp.is_racemic
    labels = _labels(electrolyte_box(counts={"PC": 6}, seed=0), sp)
    assert sorted(labels) == [("R",)] * 3 + [("S",)] * 3


def test_library_dfec_is_the_racemic_trans_isomer():
    sp = get_species("DFEC")
    assert sp.is_racemic  # the "&1" group of its CXSMILES
    labels = _labels(electrolyte_box(counts={"DFEC": 6}, seed=0), sp)
    # trans: both centres alike (R,R or S,S); racemic: three of each
    assert sorted(labels) == [("R", "R")] * 3 + [("S", "S")] * 3


def test_a_meso_isomer_is_packed_as_written():
    cis = Species("cisDFEC", "O=C1O[C@@H](F)[C@@H](F)O1")
    assert not cis.is_racemic
    labels = _labels(electrolyte_box(counts={cis: 4}, seed=1), cis)
    assert len(set(labels)) == 1 and sorted(labels[0]) == ["R", "S"]


def test_one_fixed_centre_among_open_ones_is_not_racemic():
    # mirroring would invert the fixed centre in half of the molecules
    assert not Species("X", "C[C@@H](O)C(C)CC").is_racemic
    assert Species("Y", "CC(O)C(C)CC").is_racemic
    assert not get_species("EC").is_racemic


def test_the_library_is_unchanged_in_composition_by_the_stereo_group():
    sp = get_species("DFEC")
    assert sp.formula == "C3H2F2O3" and sp.n_atoms == 10 and sp.charge == 0
    ref = Chem.MolToSmiles(Chem.MolFromSmiles("O=C1O[C@@H](F)[C@H](F)O1"))
    assert Chem.MolToSmiles(Chem.RemoveHs(sp.rdkit_mol)) == ref


def _same_box(a, b):
    return (np.array_equal(a.numbers, b.numbers) and np.array_equal(a.positions, b.positions)
            and np.array_equal(a.cell.array, b.cell.array) and a.info == b.info
            and set(a.arrays) == set(b.arrays)
            and all(np.array_equal(a.arrays[k], b.arrays[k]) for k in a.arrays))


def test_one_seed_gives_one_box_and_another_seed_another():
    counts = {"PC": 4, "EC": 3, "Li": 2, "PF6": 2}  # racemic solvent and spread cations
    a = electrolyte_box(counts=counts, seed=11)
    b = electrolyte_box(counts=counts, seed=11)
    c = electrolyte_box(counts=counts, seed=12)
    assert _same_box(a, b)
    assert np.array_equal(a.numbers, c.numbers) and a.info == c.info
    # not the same packing: most atoms elsewhere (beyond a tolerance of a molecule's size)
    moved = np.linalg.norm(a.positions - c.positions, axis=1)
    assert np.median(moved) > 2.0


def test_a_seed_outside_the_range_is_refused_before_work():
    for seed in (-1, 2**31 - 1, 1.5, True, "3"):
        with pytest.raises(ValueError, match="seed"):
            electrolyte_box(counts={"EC": 4}, seed=seed)


def test_a_salt_of_a_dianion_is_neutral_with_the_charges_on_its_atoms():
    so4 = Species("SO4", "[O-]S(=O)(=O)[O-]")
    salt = Salt("Li2SO4", "Li", so4)
    assert salt.stoichiometry == (2, 1)
    counts = composition_counts({"H2O": 1}, salt, 1.0, n_atoms=300)
    named = {sp.name: n for sp, n in counts.items()}
    assert named["Li"] == 2 * named["SO4"]
    atoms = electrolyte_box({"H2O": 1}, salt, 1.0, n_atoms=300, seed=0)
    charge = atoms.arrays["formal_charge"]
    assert charge.sum() == 0
    ids, names = atoms.arrays["molecule_index"], atoms.arrays["molecule_species"]
    for m in np.unique(ids[names == "SO4"]):
        members = ids == m
        assert charge[members].sum() == -2
        assert sorted(charge[members].tolist()) == [-1, -1, 0, 0, 0]
    # the realised molality, from the integer counts, is the salt's: cations / 2 per kg water
    water = named["H2O"] * get_species("H2O").mass / 1000.0
    assert atoms.info["cation_molality"]["value"] == pytest.approx(named["Li"] / water)


def test_a_dication_salt_with_two_anions_per_cation():
    mg = Species("Mg", "[Mg+2]")
    salt = Salt("MgTFSI2", mg, "TFSI")
    assert salt.stoichiometry == (1, 2)
    atoms = electrolyte_box({"DME": 1}, salt, 0.5, n_atoms=400, seed=0)
    comp = atoms.info["composition"]
    assert comp["TFSI"] == 2 * comp["Mg"] and atoms.arrays["formal_charge"].sum() == 0


def test_two_anions_of_one_cation_by_counts():
    atoms = electrolyte_box(counts={"EC": 8, "Li": 2, "PF6": 1, "FSI": 1}, seed=0)
    assert atoms.info["composition"] == {"EC": 8, "Li": 2, "PF6": 1, "FSI": 1}
    charges = np.bincount(atoms.arrays["molecule_index"],
                          weights=atoms.arrays["formal_charge"]).astype(int)
    names = atoms.arrays["molecule_species"][
        np.unique(atoms.arrays["molecule_index"], return_index=True)[1]]
    assert dict(zip(names.tolist(), charges.tolist(), strict=True)) == {
        "EC": 0, "Li": 1, "PF6": -1, "FSI": -1}


def test_packed_molecules_are_their_conformers_and_keep_the_tolerance_apart():
    from ase_electrolyte.neighbour_pairs import pairs_within

    tolerance = 2.0
    atoms = electrolyte_box(counts={"EMC": 5, "Li": 2, "FSI": 2}, seed=4, tolerance=tolerance)
    ids = atoms.arrays["molecule_index"]
    names = atoms.arrays["molecule_species"]
    for m in np.unique(ids):
        x = atoms.positions[ids == m]
        ref = conformer(str(names[ids == m][0]), seed=4).positions
        # rigid copies: the same distance matrix (whole, not wrapped)
        np.testing.assert_allclose(np.linalg.norm(x[:, None] - x[None], axis=-1),
                                   np.linalg.norm(ref[:, None] - ref[None], axis=-1),
                                   atol=1e-3)
    pairs, d = pairs_within(atoms.positions, atoms.cell.array, tolerance, "Pd")
    other = ids[pairs[:, 0]] != ids[pairs[:, 1]]
    # PACKMOL's tolerance, with the small slack it allows
    assert not other.any() or d[other].min() > tolerance - 0.1
