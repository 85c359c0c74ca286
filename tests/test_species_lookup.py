"""Species and salts as a user writes them, and compositions as a chemist gives them.

Library names by case, blanks, charge sign or description; SMILES edge cases (isotopes, stereo,
multiply charged metals, a salt as one dotted SMILES, zwitterions, radicals); solvent shares that
do not sum to 1 (normalised); molar and molal concentrations against the analytic conversion.
"""

import math

import pytest

pytest.importorskip("rdkit")

from ase_electrolyte.build import composition_counts  # noqa: E402
from ase_electrolyte.estimate import Estimate  # noqa: E402
from ase_electrolyte.species import (  # noqa: E402
    IONS,
    SALTS,
    SOLVENTS,
    Salt,
    Species,
    get_salt,
    get_species,
)


@pytest.mark.parametrize("alias, name", [
    ("ec", "EC"), ("Ec", "EC"), (" EMC ", "EMC"), ("ethylene carbonate", "EC"),
    ("Ethyl  Methyl Carbonate", "EMC"), ("Li+", "Li"), ("li +", "Li"), ("PF6-", "PF6"),
    ("fsi-", "FSI"), ("hexafluorophosphate", "PF6"), ("lithium cation", "Li"),
])
def test_library_species_are_found_by_case_blanks_sign_and_description(alias, name):
    assert get_species(alias) is {**SOLVENTS, **IONS}[name]


@pytest.mark.parametrize("alias, match", [
    ("Li-", "unknown species 'Li-'"), ("PF6+", "unknown species 'PF6\\+'"),
    ("EC+", "unknown species 'EC\\+'"), ("LiPF6", "LiPF6 is a salt"),
    ("ethylene", "unknown species 'ethylene'"),
])
def test_an_alias_of_the_wrong_sign_or_kind_is_refused(alias, match):
    with pytest.raises(ValueError, match=match):
        get_species(alias)


@pytest.mark.parametrize("text, salt", [
    ("lipf6", "LiPF6"), (" LiTFSI ", "LiTFSI"), ("NAPF6", "NaPF6"),
])
def test_library_salts_are_found_by_case_and_blanks(text, salt):
    assert get_salt(text) is SALTS[salt]


@pytest.mark.parametrize("smiles, hint", [
    ("[Li+].F[P-](F)(F)(F)(F)F", "it is the SMILES of LiPF6: use the name 'LiPF6'"),
    ("F[P-](F)(F)(F)(F)F.[Li+]", "it is the SMILES of LiPF6"),
    ("[Na+].[Cl-]", r"a salt of one SMILES\? give its ions: Salt\(name"),
])
def test_a_salt_as_one_dotted_smiles_is_refused_with_what_to_write(smiles, hint):
    with pytest.raises(ValueError, match=hint):
        get_salt(smiles)
    with pytest.raises(ValueError, match=r"holds 2 separate molecules \('.'\)"):
        Species("salt", smiles)


@pytest.mark.parametrize("smiles, what", [
    ("[2H]O[2H]", r"names isotopes \(2H\)"), ("[13CH4]", r"names isotopes \(13C\)"),
    ("[CH3]", "unpaired electrons on C"), ("[Li]", "unpaired electrons on Li"),
    ("[Mg]", "unpaired electrons on Mg"), ("*C", "atoms without an element"),
])
def test_smiles_a_box_cannot_hold_are_refused(smiles, what):
    with pytest.raises(ValueError, match=what):
        Species("X", smiles)


def test_a_doubly_charged_metal_makes_a_one_to_two_salt():
    mg = Species("Mg", "[Mg+2]")
    assert mg.charge == 2 and mg.formula == "Mg"
    salt = Salt("MgTFSI2", mg, "TFSI")
    assert salt.stoichiometry == (1, 2)
    assert salt.mass == pytest.approx(mg.mass + 2 * get_species("TFSI").mass)
    counts = {sp.name: n for sp, n in composition_counts({"EC": 1}, salt, 0.5,
                                                         n_atoms=600).items()}
    assert counts["TFSI"] == 2 * counts["Mg"] and counts["Mg"] >= 1
    # 0.5 mol/kg of Mg: Mg per EC molecule = 0.5 · M(EC) / 1000, to the rounding of counts
    assert counts["Mg"] / counts["EC"] == pytest.approx(0.5 * SOLVENTS["EC"].mass / 1000,
                                                        rel=0.35)


def test_stereo_smiles_keep_their_chirality_and_a_zwitterion_is_neutral():
    assert get_species("DFEC").is_chiral and Species("PC2", "C[C@H]1COC(=O)O1").is_chiral
    assert not get_species("EC").is_chiral
    betaine = Species("betaine", "C[N+](C)(C)CC(=O)[O-]")
    assert betaine.charge == 0
    assert sorted(betaine.atomic_formal_charges[betaine.atomic_formal_charges != 0]) == [-1, 1]
    # a neutral molecule is a solvent, whatever charges its atoms carry
    counts = composition_counts({betaine: 1}, n_atoms=190)
    assert list(counts.values()) == [10]


@pytest.mark.parametrize("shares", [
    {"EC": 3, "EMC": 7}, {"EC": 0.3, "EMC": 0.7}, {"EC": 30, "EMC": 70}, {"EC": 0.03, "EMC": 0.07},
])
@pytest.mark.parametrize("ratio", ["mass", "mole"])
def test_shares_that_do_not_sum_to_one_are_normalised(shares, ratio):
    counts = {sp.name: n for sp, n in composition_counts(shares, "LiPF6", 1.0, n_atoms=3000,
                                                         ratio=ratio).items()}
    reference = {sp.name: n for sp, n in composition_counts({"EC": 3, "EMC": 7}, "LiPF6", 1.0,
                                                            n_atoms=3000, ratio=ratio).items()}
    assert counts == reference
    if ratio == "mole":
        assert counts["EC"] / (counts["EC"] + counts["EMC"]) == pytest.approx(0.3, abs=0.01)
    else:
        m_ec, m_emc = counts["EC"] * SOLVENTS["EC"].mass, counts["EMC"] * SOLVENTS["EMC"].mass
        assert m_ec / (m_ec + m_emc) == pytest.approx(0.3, abs=0.01)


@pytest.mark.parametrize("molar, density", [(1.0, 1.3), (2.0, 1.45), (0.5, 1.2)])
def test_molar_and_molal_agree_with_the_analytic_conversion(molar, density):
    # 1 L of solution weighs 1000·ρ g, of which c·M(salt) is salt: b = c / (ρ - c·M/1000)
    salt = SALTS["LiPF6"]
    molal = molar / (density - molar * salt.mass / 1000.0)
    by_molar = composition_counts({"EC": 1}, "LiPF6", molar, units="molar", density=density,
                                  n_atoms=20_000)
    by_molal = composition_counts({"EC": 1}, "LiPF6", molal, units="molal", n_atoms=20_000)
    assert by_molar == by_molal
    n_ec, n_li = by_molal[SOLVENTS["EC"]], by_molal[IONS["Li"]]
    assert 1000.0 * n_li / (n_ec * SOLVENTS["EC"].mass) == pytest.approx(molal, rel=0.02)


def test_an_estimate_of_negative_zero_error_is_written_as_zero():
    est = Estimate(1.0, -0.0, "S/m", "fit", 3)
    assert math.copysign(1.0, est.stderr) == 1.0 and est.to_dict()["stderr"] == 0.0
    assert str(est) == "1 ± 0 S/m (valid)"


@pytest.mark.parametrize("stderr, converged, match", [
    (-0.1, False, "an error must be non-negative"), (-math.inf, False, "non-negative"),
    (math.nan, True, "a valid estimate needs a finite"), (math.inf, True, "finite"),
])
def test_estimates_with_negative_or_non_finite_errors(stderr, converged, match):
    with pytest.raises(ValueError, match=match):
        Estimate(1.0, stderr, "S/m", "fit", 3, converged=converged,
                 notes=() if converged else ("short",))
    # an unknown error is allowed on a number that says it is not a result
    if math.isnan(stderr) or stderr == math.inf:
        est = Estimate(1.0, stderr, "S/m", "none", 0, converged=False, notes=("no error",))
        assert est.to_dict()["stderr"] is None and "error unknown" in str(est)
