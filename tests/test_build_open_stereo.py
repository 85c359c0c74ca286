"""A SMILES that leaves a diastereomer open is refused before the box is built.

An unassigned stereocentre beside another stereo element (open or fixed) or an unassigned
stereo double bond names diastereomers.

``O=C1OC(F)C(F)O1`` (DFEC without its stereo) is cis- or trans-DFEC, ``CC=CC`` E- or
Z-2-butene: isomers of different shapes and energies. The box packed, for every molecule, the
one isomer ETKDG and MMFF94 made lowest, without a word (the library's DFEC is the racemic trans
isomer of Ju et al. 2025, written with its stereo). One open stereocentre stays allowed: its
two forms are mirror images, packed as a racemic mixture.
"""

import pytest

pytest.importorskip("rdkit")

import builder_stops  # noqa: E402
from rdkit import Chem  # noqa: E402

import ase_electrolyte.build as build  # noqa: E402
from ase_electrolyte.build import conformer, electrolyte_box  # noqa: E402
from ase_electrolyte.species import IONS, SOLVENTS, Species  # noqa: E402

no_work = builder_stops.no_work  # the shared fixture


@pytest.mark.parametrize("smiles, match", [
    ("O=C1OC(F)C(F)O1", r"relative configuration of its stereocentre\(s\) at atom\(s\) 3, 5 "
                        r"\(2 stereo elements in all\)"),
    ("CC(F)C(F)OC(=O)OC", r"relative configuration of its stereocentre\(s\) at atom\(s\) 1, 3"),
    # one fixed centre and one open: R,R or R,S
    ("C[C@@H](O)C(C)CC", r"relative configuration of its stereocentre\(s\) at atom\(s\) 3 "
                         r"\(2 stereo elements in all\)"),
    ("F/C=C/C(F)CC(C)O", r"relative configuration of its stereocentre\(s\) at atom\(s\) 3, 6 "
                         r"\(3 stereo elements"),
    ("CC=CC", r"E/Z configuration of its double bond between atoms 1 and 2"),
    ("CC=CCOC(=O)OC", r"E/Z configuration of its double bond between atoms 1 and 2"),
    ("FC=CC(F)C(F)C", r"relative configuration of its stereocentre.*; and the E/Z "
                      r"configuration"),
])
def test_an_open_diastereomer_is_refused_before_any_work(smiles, match, no_work):
    sp = Species("X", smiles)
    with pytest.raises(ValueError, match=rf"species X: SMILES .* leaves open the {match}"):
        electrolyte_box(counts={sp: 4, "EC": 2}, density=1.0, seed=0)
    # a screening plan's packability check, before any task
    with pytest.raises(ValueError, match=match):
        build._check_packable_at({sp: 4}, 1.0, {})


@pytest.mark.parametrize("smiles", [
    "CC1COC(=O)O1",  # PC: one open centre, a racemate of mirror images
    "C[C@@H]1COC(=O)O1",
    "O=C1O[C@@H](F)[C@@H](F)O1",  # cis (meso)
    "O=C1O[C@@H](F)[C@H](F)O1 |&1:3,5|",  # racemic trans
    "C/C=C/C",
    r"C/C=C\C",
    "C=CC",  # no E/Z: a terminal double bond
    "O=C1OC=CO1",  # VC: a double bond in a ring of five
])
def test_a_defined_or_mirror_only_stereo_passes(smiles):
    build._check_stereo_defined(Species("X", smiles))


def test_every_library_species_passes():
    for sp in (*SOLVENTS.values(), *IONS.values()):
        build._check_stereo_defined(sp)


def test_the_open_smiles_gave_one_isomer_for_every_molecule():
    # what the refused box held: every seed's conformer one and the same diastereomer
    sp = Species("X", "O=C1OC(F)C(F)O1")
    relative = set()
    for seed in range(3):
        mol = Chem.Mol(sp.rdkit_mol)
        conf = Chem.Conformer(mol.GetNumAtoms())
        for i, p in enumerate(conformer(sp, seed=seed).positions):
            conf.SetAtomPosition(i, p.tolist())
        mol.AddConformer(conf, assignId=True)
        Chem.AssignStereochemistryFrom3D(mol)
        tags = [t for _, t in Chem.FindMolChiralCenters(mol, useLegacyImplementation=False)]
        relative.add("like" if len(set(tags)) == 1 else "unlike")
    assert len(relative) == 1
