"""The species library's measurements are of molecules, not of names.

A :class:`Species` of another name or another spelling of a library molecule's SMILES is that
molecule: its measured liquid density, its salt's measured volume in solution, water's mixing
doubt, the carbonates the salt volume was measured in and the measured rotamer enthalpies hold
for it. By name alone, ``Species("ethylene_carbonate", "C1COC(=O)O1")`` had no density (its
estimate and a volume ratio refused) and LP30 with ``Species("PF6", "[P-](F)(F)(F)(F)(F)F")``
started at 1.205 g/cm³ (van der Waals rule, not valid) instead of 1.292 ± 0.011.
"""

import warnings

import pytest
from rdkit import Chem

from ase_electrolyte.build import composition_counts, electrolyte_box, estimate_density
from ase_electrolyte.species import (
    IONS,
    LIQUID_DENSITIES,
    SALT_VOLUMES,
    SALTS,
    SOLVENTS,
    Species,
    _rotamer_enthalpies,
)


def _respelled(sp, name):
    """``sp``'s molecule under ``name``, its SMILES written from its last heavy atom (another
    text of one molecule; the library's own text where RDKit writes no other)."""
    mol = Chem.MolFromSmiles(sp.smiles)
    text = Chem.MolToSmiles(mol, rootedAtAtom=mol.GetNumAtoms() - 1, canonical=False)
    return Species(name, text)


def _same(a, b):
    assert a.value == pytest.approx(b.value, rel=1e-12)
    assert a.stderr == pytest.approx(b.stderr, rel=1e-12)
    assert a.valid == b.valid


@pytest.mark.parametrize("name", sorted(LIQUID_DENSITIES))
@pytest.mark.parametrize("how", ["renamed", "respelled"])
def test_pure_solvent_density_of_the_molecule(name, how):
    sp = SOLVENTS[name]
    other = (Species(f"my_{name}", sp.smiles) if how == "renamed"
             else _respelled(sp, f"my_{name}"))
    got = estimate_density({other: 12})
    _same(got, estimate_density({name: 12}))
    assert got.value == pytest.approx(LIQUID_DENSITIES[name].value_g_cm3)


@pytest.mark.parametrize("salt", sorted(SALT_VOLUMES))
@pytest.mark.parametrize("which", ["cation", "anion", "both"])
def test_measured_salt_volume_for_ions_of_other_names(salt, which):
    lib = SALTS[salt]
    cation, anion = lib.cation, lib.anion
    if which in ("cation", "both"):
        cation = _respelled(cation, f"{cation.name}_ion")
    if which in ("anion", "both"):
        anion = _respelled(anion, f"{anion.name}_ion")
    lp30 = {"EC": 130, "DMC": 128}
    n_c, n_a = lib.stoichiometry
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the van der Waals rule warns: it must not be taken
        got = estimate_density({**lp30, cation: 20 * n_c, anion: 20 * n_a})
    _same(got, estimate_density({**lp30, lib.cation.name: 20 * n_c, lib.anion.name: 20 * n_a}))
    assert got.valid


@pytest.mark.parametrize("ion", ["PF6", "Li"])
def test_library_name_in_another_spelling_is_the_library_ion(ion):
    """A library name with its own SMILES written otherwise is that ion."""
    sp = IONS[ion]
    spelled = Species(ion, {"PF6": "[P-](F)(F)(F)(F)(F)F", "Li": "[Li+1]"}[ion])
    assert spelled.smiles != sp.smiles
    counts = {"EC": 130, "DMC": 128, "Li": 20, "PF6": 20}
    counts[spelled] = counts.pop(ion)
    _same(estimate_density(counts), estimate_density({"EC": 130, "DMC": 128, "Li": 20,
                                                       "PF6": 20}))


@pytest.mark.parametrize("other", ["DMC", "EMC", "PC"])
def test_water_mixing_doubt_by_molecule(other):
    """Water's 7 % mixing doubt (against 1 %) is water's under any name."""
    water = Species("Wasser", "[H]O[H]")
    _same(estimate_density({other: 10, water: 30}), estimate_density({other: 10, "H2O": 30}))


@pytest.mark.parametrize("solvent", ["EC", "DMC", "EMC", "PC", "DEC"])
def test_carbonate_under_another_name_keeps_the_measured_salt_volume(solvent):
    """LiPF6's volume was measured in carbonates: a renamed carbonate is one."""
    mine = Species(f"{solvent.lower()}_solvent", SOLVENTS[solvent].smiles)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = estimate_density({mine: 80, "Li": 8, "PF6": 8})
    _same(got, estimate_density({solvent: 80, "Li": 8, "PF6": 8}))
    assert got.valid


@pytest.mark.parametrize("shares", [{"EC": 1, "DMC": 1}, {"EC": 3, "EMC": 7},
                                    {"PC": 1, "DME": 2}])
def test_volume_ratio_with_renamed_solvents(shares):
    renamed = {_respelled(SOLVENTS[k], f"x{k}"): v for k, v in shares.items()}
    got = composition_counts(renamed, "LiPF6", 1.0, n_atoms=800, ratio="volume")
    want = composition_counts(shares, "LiPF6", 1.0, n_atoms=800, ratio="volume")
    assert sorted(got.values()) == sorted(want.values())
    assert {sp.formula: n for sp, n in got.items()} == {sp.formula: n for sp, n in want.items()}


def test_rotamer_enthalpies_of_a_renamed_dmc():
    """DMC's measured cis-trans enthalpy (7.4 % cis-trans at 298 K) holds for the molecule:
    under another name the box was weighed by MMFF94 (0.045 % cis-trans)."""
    dmc = Species("dimethyl_carbonate", "O=C(OC)OC")
    assert _rotamer_enthalpies(dmc) == _rotamer_enthalpies(SOLVENTS["DMC"])
    atoms = electrolyte_box(counts={dmc: 6}, seed=0)
    assert atoms.info["conformer_energies"]["dimethyl_carbonate"].startswith("measured")


@pytest.mark.parametrize("sp", [Species("EC", "O"), Species("PC", "C[C@@H]1COC(=O)O1"),
                                Species("my_PC", "C[C@H]1COC(=O)O1")])
def test_other_molecules_get_no_library_density(sp):
    """A library name on another molecule, or one enantiomer of the racemic liquid measured,
    is not the library's molecule."""
    with pytest.raises(ValueError, match="no measured liquid density"):
        estimate_density({sp: 10})


@pytest.mark.parametrize(("smiles", "same"), [
    ("O=C1O[C@@H](F)[C@H](F)O1 |&1:3,5|", True),  # the library's text
    ("F[C@H]1OC(=O)O[C@@H]1F |&1:1,6|", True),  # the racemate from the other enantiomer
    ("O=C1O[C@@H](F)[C@H](F)O1", False),  # one enantiomer
    ("O=C1O[C@@H](F)[C@@H](F)O1", False),  # cis
])
def test_racemic_dfec_is_matched_with_its_enhanced_stereo(smiles, same):
    from ase_electrolyte.species import _library_counterpart

    found = _library_counterpart(Species("my_dfec", smiles))
    assert (found is not None and found.name == "DFEC") is same
