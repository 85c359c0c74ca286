"""Boxes of linear carbonates and esters start from the Boltzmann ratio of their O=C–O–C rotamers.

Ju et al. (2025) set the cis–trans ratio of linear carbonates (and syn/anti of esters) in the
initial box from a Boltzmann distribution: the ~0.4 eV barrier between rotamers is not crossed in
MD. Before, every DMC, EMC or DEC of a box was the one lowest-MMFF conformer (all cis-cis). The
rotamers here are read back from the packed positions (their dihedrals), the weights checked
against ``g·exp(-ΔE/RT)`` with the gas constant of ``scipy.constants``, the draws against binomial
margins, and ``conformers="lowest"`` against the conformer of :func:`conformer`.

MMFF94 places DMC's cis-trans 4.98 kcal/mol above cis-cis: above the measured enthalpy
difference, 8.0 ± 0.4 kJ/mol (1.91 kcal/mol) in the pure liquid and 13.6 kJ/mol in the vapour
(Bohets and van der Veken 1999; 2.6 ± 0.5 kcal/mol in the liquid, Katon and Cohen 1975). Boxes
weigh DMC with the measured liquid value by default (tests/test_build_measured_rotamers.py);
:func:`conformer_ensemble` stays MMFF94's.
"""

import math

import numpy as np
import pytest

pytest.importorskip("rdkit")

import builder_stops  # noqa: E402
import scipy.constants as const  # noqa: E402
from builder_stops import StopAtPackmol as _Stop  # noqa: E402
from rdkit import Chem  # noqa: E402
from rdkit.Chem import AllChem  # noqa: E402
from rdkit.Chem import rdMolTransforms as transforms  # noqa: E402

import ase_electrolyte.build as build  # noqa: E402
from ase_electrolyte.build import (  # noqa: E402
    conformer,
    conformer_ensemble,
    electrolyte_box,
)
from ase_electrolyte.species import IONS, SOLVENTS, Species, get_species  # noqa: E402

structures = builder_stops.structures  # the shared fixture

# kcal/mol per K, from CODATA 2018, independently of the module's ASE units (CODATA 2014:
# 3e-7 apart)
_R = const.R / const.calorie / 1000.0


def _angles(sp, positions):
    """The O=C–O–C dihedrals (degrees) of ``sp`` at ``positions``, by RDKit."""
    mol = Chem.Mol(sp.rdkit_mol)
    conf = Chem.Conformer(mol.GetNumAtoms())
    for i, p in enumerate(np.asarray(positions, dtype=float)):
        conf.SetAtomPosition(i, p.tolist())
    return [transforms.GetDihedralDeg(conf, *d) for d in sp.carbonyl_dihedrals]


def _classes(sp, positions):
    return tuple("cis" if abs(a) < 90 else "trans" for a in _angles(sp, positions))


def _mmff(sp, positions):
    mol = Chem.Mol(sp.rdkit_mol)
    conf = Chem.Conformer(mol.GetNumAtoms())
    for i, p in enumerate(np.asarray(positions, dtype=float)):
        conf.SetAtomPosition(i, p.tolist())
    mol.AddConformer(conf, assignId=True)
    props = AllChem.MMFFGetMoleculeProperties(mol)
    field = AllChem.MMFFGetMoleculeForceField(mol, props)
    return field.CalcEnergy(), max(abs(g) for g in field.CalcGrad())




def test_the_library_marks_its_linear_carbonates_and_its_ester():
    marked = {sp.name: len(sp.carbonyl_dihedrals)
              for sp in (*SOLVENTS.values(), *IONS.values()) if sp.carbonyl_dihedrals}
    # a ring fixes the dihedral of EC, PC, VC, FEC, DFEC, GBL; DFOB and BOB are rings too
    assert marked == {"DMC": 2, "EMC": 2, "DEC": 2, "EA": 1}
    # by the motif, not the name: a fluorinated linear carbonate of the user's
    assert len(Species("FEMC", "FCCOC(=O)OC").carbonyl_dihedrals) == 2


@pytest.mark.parametrize("name", ["DMC", "EMC", "DEC", "EA"])
def test_rotamers_are_distinct_minima_with_boltzmann_weights(name):
    sp = get_species(name)
    temperature = 600.0
    rotamers = conformer_ensemble(name, seed=0, temperature_K=temperature)
    labels = [r.label for r in rotamers]
    assert len(set(labels)) == len(labels) and rotamers[0].delta_e == 0.0
    lowest = _mmff(sp, rotamers[0].atoms.positions)[0]
    for r in rotamers:
        energy, gradient = _mmff(sp, r.atoms.positions)
        assert gradient < 0.05  # kcal/mol/Å: a minimum of MMFF94
        assert energy - lowest == pytest.approx(r.delta_e, abs=1e-6)
        assert "-".join(_classes(sp, r.atoms.positions)) in (r.label, "-".join(
            reversed(r.label.split("-"))))
        assert r.atoms.arrays["molecule_species"].tolist() == [name] * sp.n_atoms
    # the lowest is all cis (syn), as every measurement and calculation finds
    assert rotamers[0].label == "-".join(["cis"] * len(sp.carbonyl_dihedrals))
    z = sum(r.degeneracy * math.exp(-r.delta_e / (_R * temperature)) for r in rotamers)
    for r in rotamers:
        assert r.weight == pytest.approx(
            r.degeneracy * math.exp(-r.delta_e / (_R * temperature)) / z, rel=1e-5)
    assert sp.rdkit_mol.GetNumConformers() == 0  # the cached molecule is not written into


def test_symmetric_sides_make_one_rotamer_of_two_minima():
    dmc = {r.label: r for r in conformer_ensemble("DMC")}
    # DMC's two methoxy sides are exchanged by symmetry: cis-trans stands for trans-cis too
    assert "trans-cis" not in dmc and dmc["cis-trans"].degeneracy == 2
    assert dmc["cis-cis"].degeneracy == dmc["trans-trans"].degeneracy == 1
    # near-trans–near-trans (Bohets and van der Veken 1999), far above the others
    assert all(100 < abs(a) < 170 for a in dmc["trans-trans"].dihedrals_deg)
    assert dmc["trans-trans"].delta_e > 2 * dmc["cis-trans"].delta_e > 0
    # EMC's sides differ (ethyl first in its SMILES): two rotamers of one trans each
    emc = {r.label: r for r in conformer_ensemble("EMC")}
    assert {"cis-trans", "trans-cis"} <= set(emc)
    assert emc["cis-trans"].degeneracy == emc["trans-cis"].degeneracy == 1


def test_dmc_cis_trans_from_another_embedding_is_the_same_minimum():
    # a reference built here: one embedding of another seed, set planar cis-cis and cis-trans
    sp = get_species("DMC")
    mol = Chem.Mol(sp.rdkit_mol)
    params = AllChem.ETKDGv3()
    params.randomSeed = 12345
    assert AllChem.EmbedMolecule(mol, params) == 0
    props = AllChem.MMFFGetMoleculeProperties(mol)
    energies = []
    for angle in (0.0, 180.0):
        trial = Chem.Mol(mol)
        conf = trial.GetConformer()
        transforms.SetDihedralDeg(conf, *sp.carbonyl_dihedrals[0], 0.0)
        transforms.SetDihedralDeg(conf, *sp.carbonyl_dihedrals[1], angle)
        field = AllChem.MMFFGetMoleculeForceField(trial, props)
        assert field.Minimize(maxIts=5000) == 0
        energies.append(field.CalcEnergy())
    rotamers = {r.label: r for r in conformer_ensemble("DMC", seed=5)}
    assert rotamers["cis-trans"].delta_e == pytest.approx(energies[1] - energies[0], abs=1e-3)
    # MMFF94's gap is above the measured ones (2.6 ± 0.5 kcal/mol liquid, Katon and Cohen
    # 1975; 3.25 vapour, Bohets and van der Veken 1999): the docstring says so
    assert rotamers["cis-trans"].delta_e > 2.6 + 0.5


def test_the_drawn_rotamers_follow_the_weights(structures):
    # 600 K puts about 29 % of DMC in cis-trans: binomial margins of 4 sigma per seed. The
    # box's default energies: cis-trans the measured 8.0 kJ/mol above cis-cis (pure liquid,
    # Bohets and van der Veken 1999), trans-trans MMFF94's
    n, temperature = 120, 600.0
    mmff = {r.label: r for r in conformer_ensemble("DMC")}
    energy = {label: r.delta_e for label, r in mmff.items()}
    energy["cis-trans"] = 8.0 / 4.184
    z = sum(r.degeneracy * math.exp(-energy[label] / (_R * temperature))
            for label, r in mmff.items())
    weights = {label: r.degeneracy * math.exp(-energy[label] / (_R * temperature)) / z
               for label, r in mmff.items()}
    sp = get_species("DMC")
    pooled = dict.fromkeys(weights, 0)
    for seed in range(4):
        with pytest.raises(_Stop):
            electrolyte_box(counts={"DMC": n}, density=0.5, seed=seed, temperature_K=temperature)
        counts = dict.fromkeys(weights, 0)
        for _, template, k, _ in structures[-1]:
            classes = sorted(_classes(sp, template.positions))
            counts["-".join(classes)] += k
        assert sum(counts.values()) == n
        for label, p in weights.items():
            assert abs(counts[label] - n * p) <= 4 * math.sqrt(n * p * (1 - p)) + 1, (seed, counts)
            pooled[label] += counts[label]
    for label, p in weights.items():
        assert abs(pooled[label] - 4 * n * p) <= 4 * math.sqrt(4 * n * p * (1 - p)) + 1
    assert 0.2 < weights["cis-trans"] < 0.4  # the margins above test something


def test_the_box_holds_the_mix_its_info_reports_and_a_seed_repeats_it():
    pytest.importorskip("packmol")
    counts = {"DMC": 6, "EA": 3, "Li": 1, "PF6": 1}
    atoms = electrolyte_box(counts=counts, density=0.6, seed=3, temperature_K=2000.0)
    again = electrolyte_box(counts=counts, density=0.6, seed=3, temperature_K=2000.0)
    assert np.array_equal(atoms.positions, again.positions) and atoms.info == again.info
    mix = atoms.info["conformers"]
    assert atoms.info["conformer_temperature_K"] == 2000.0 and set(mix) == {"DMC", "EA"}
    ids, names = atoms.arrays["molecule_index"], atoms.arrays["molecule_species"]
    for name in ("DMC", "EA"):
        sp = get_species(name)
        found = {}
        for m in np.unique(ids[names == name]):
            label = "-".join(sorted(_classes(sp, atoms.positions[ids == m])))
            found[label] = found.get(label, 0) + 1
        assert found == {k: v["count"] for k, v in mix[name].items() if v["count"]}
        assert sum(v["count"] for v in mix[name].values()) == counts[name]
        for label, entry in mix[name].items():
            assert entry["delta_e_kcal_mol"] >= 0 and 0 <= entry["weight"] <= 1, label
    # at 2000 K a trans DMC is likely (p = 0.77 that one of six is); seed 3 draws one
    assert mix["DMC"]["cis-trans"]["count"] > 0


def test_lowest_packs_the_conformer_of_conformer(structures):
    with pytest.raises(_Stop):
        # (a temperature beside "lowest" has no effect and is refused:
        # test_buildio55_conformer_temperature)
        electrolyte_box(counts={"DMC": 10, "EC": 4}, density=0.8, seed=2,
                        conformers="lowest")
    (structs,) = structures
    assert [(sp.name, k) for sp, _, k, _ in structs] == [("DMC", 10), ("EC", 4)]
    for sp, template, _, _ in structs:
        assert np.array_equal(template.positions, conformer(sp, seed=2).positions)


def test_a_box_whose_draw_is_all_cis_is_the_box_of_lowest():
    pytest.importorskip("packmol")
    counts = {"EMC": 5, "EC": 2, "Li": 1, "PF6": 1}  # the CPU demo's box
    boltzmann = electrolyte_box(counts=counts, density=1.12, seed=0)
    lowest = electrolyte_box(counts=counts, density=1.12, seed=0, conformers="lowest")
    assert boltzmann.info["conformers"]["EMC"]["cis-cis"]["count"] == 5
    assert np.array_equal(boltzmann.positions, lowest.positions)
    assert "conformers" not in lowest.info
    assert {k: v for k, v in boltzmann.info.items()
            if not k.startswith("conformer")} == lowest.info


def test_species_without_rotamers_are_left_as_they_were(structures, monkeypatch):
    def refused(*args, **kwargs):
        raise AssertionError("rotamers were searched")

    monkeypatch.setattr(build, "_rotamers", refused)
    for mode in ("boltzmann", "lowest"):
        with pytest.raises(_Stop):
            electrolyte_box(counts={"EC": 6, "PC": 4, "Li": 2, "PF6": 2}, density=1.0, seed=1,
                            conformers=mode)
    a, b = structures
    assert len(a) == len(b)
    for (sa, ta, ka, ra), (sb, tb, kb, rb) in zip(a, b, strict=True):
        assert sa == sb and ka == kb and np.array_equal(ta.positions, tb.positions)
        assert (ra is None and rb is None) or all(np.array_equal(x, y)
                                                  for x, y in zip(ra, rb, strict=True))


def test_each_species_rotamers_are_searched_once_per_box(structures, monkeypatch):
    calls = []
    embeddings = build._embeddings

    def counted(sp, *args):
        calls.append(sp.name)
        return embeddings(sp, *args)

    monkeypatch.setattr(build, "_embeddings", counted)
    with pytest.raises(_Stop):
        electrolyte_box(counts={"DMC": 5, "EMC": 5, "EC": 3}, density=0.8, seed=0)
    assert sorted(calls) == ["DMC", "EC", "EMC"]


@pytest.mark.parametrize("kw, match", [
    # any case is the word ("Boltzmann" is "boltzmann"); a misspelling is refused
    ({"conformers": "Boltzman"}, r"conformers must be one of .*did you mean 'boltzmann'"),
    ({"conformers": "all"}, "conformers must be one of"),
    ({"conformers": None}, "conformers must be one of"),
    ({"conformers": ["lowest"]}, "conformers must be one of"),
    ({"temperature_K": 0}, "temperature_K"),
    ({"temperature_K": -298.15}, "temperature_K"),
    ({"temperature_K": float("nan")}, "temperature_K"),
    ({"temperature_K": float("inf")}, "temperature_K"),
    ({"temperature_K": "298"}, "temperature_K"),
    ({"temperature_K": True}, "temperature_K"),
    ({"temperature_K": 1e6}, "temperature_K"),  # beyond the MD's 1e5 K
])
def test_bad_switches_and_temperatures_are_refused_before_any_embedding(kw, match, monkeypatch):
    def started(*args, **kwargs):
        raise AssertionError("work was started")

    for name in ("_embeddings", "conformer", "_run_packmol"):
        monkeypatch.setattr(build, name, started)
    with pytest.raises(ValueError, match=match):
        electrolyte_box(counts={"DMC": 4, "EC": 2}, density=1.0, seed=0, **kw)
    if "temperature_K" in kw:
        with pytest.raises(ValueError, match=match):
            conformer_ensemble("DMC", temperature_K=kw["temperature_K"])


def test_a_carbonate_mmff_cannot_weigh_is_refused_before_any_embedding(monkeypatch):
    def started(*args, **kwargs):
        raise AssertionError("work was started")

    boron = Species("BMC", "CB(C)COC(=O)OC")  # MMFF94 has no boron
    for name in ("_embeddings", "_run_packmol"):
        monkeypatch.setattr(build, name, started)
    with pytest.raises(ValueError, match="MMFF94 has no parameters for BMC.*conformers='lowest'"):
        electrolyte_box(counts={boron: 4}, density=0.8, seed=0)
    with pytest.raises(ValueError, match="MMFF94 has no parameters"):
        conformer_ensemble(boron)
    with pytest.raises(ValueError, match="EC .* has no O=C-O-C dihedral outside a ring"):
        conformer_ensemble("EC")


def test_the_packing_check_sees_the_largest_rotamer_placed(structures):
    # DMC's cis-trans hull is larger than cis-cis's: at a density between their limits a box
    # holding a cis-trans is refused, one of cis-cis only goes on to PACKMOL
    sp = get_species("DMC")
    limits = {}
    for r in conformer_ensemble("DMC"):
        x = r.atoms.positions
        hull = build._hull_volume(x, 1.0)
        need = hull / build._packing_limit(build.excluded_volume(x, 1.0) / hull)
        limits[r.label] = sp.mass / need / build.GCM3_TO_AMU_PER_A3
    assert limits["cis-trans"] < limits["cis-cis"]
    rho = 0.5 * (limits["cis-trans"] + limits["cis-cis"])
    with pytest.raises(_Stop):
        # at 100 K the measured liquid enthalpy leaves 1.3e-4 of DMC cis-trans: all cis-cis
        electrolyte_box(counts={"DMC": 30}, density=rho, seed=0, temperature_K=100.0)
    assert {k for _, _, k, _ in structures[-1]} == {30}
    with pytest.raises(ValueError, match="the 30 molecules cannot be packed"):
        electrolyte_box(counts={"DMC": 30}, density=rho, seed=0, temperature_K=3000.0)
    # a plan's check, before any seed's draw, sees every rotamer
    with pytest.raises(ValueError, match="cannot be packed"):
        build._check_packable_at({sp: 30}, rho, {})


def test_given_rotamer_energies_replace_mmff_in_the_weights(structures):
    # Ju et al. (2025) weighed with their potential's energies; here the liquid's measured
    # 2.6 kcal/mol (Katon and Cohen 1975), given in the order trans-cis (DMC's cis-trans)
    given = {"DMC": {"cis-cis": 1.0, "trans-cis": 3.6, "trans-trans": 11.0}}
    with pytest.raises(_Stop):
        electrolyte_box(counts={"DMC": 40}, density=0.9, seed=0, rotamer_energies=given)
    sp = get_species("DMC")
    counts = {}
    for _, template, k, _ in structures[-1]:
        label = "-".join(sorted(_classes(sp, template.positions)))
        counts[label] = counts.get(label, 0) + k
    # the info of a packed box carries these weights; here they are computed and compared
    rt = _R * 298.15
    z = 1 + 2 * math.exp(-2.6 / rt) + math.exp(-10.0 / rt)
    p = 2 * math.exp(-2.6 / rt) / z
    assert 0.02 < p < 0.03 and sum(counts.values()) == 40
    assert abs(counts.get("cis-trans", 0) - 40 * p) <= 4 * math.sqrt(40 * p * (1 - p)) + 1


def test_a_packed_box_names_given_energies():
    pytest.importorskip("packmol")
    given = {"EA": {"cis": 0.0, "trans": 1.0}}
    atoms = electrolyte_box(counts={"EA": 4}, density=0.5, seed=1, temperature_K=400.0,
                            rotamer_energies=given)
    assert atoms.info["conformer_energies"] == {"EA": "given"}
    mix = atoms.info["conformers"]["EA"]
    w = math.exp(-1.0 / (_R * 400.0))
    assert mix["trans"]["weight"] == pytest.approx(w / (1 + w), rel=1e-5)
    assert mix["trans"]["delta_e_kcal_mol"] == 1.0


@pytest.mark.parametrize("given, kw, match", [
    ({"EC": {"cis": 0.0}}, {}, "does not draw rotamers of"),
    ({"DMC": {"cis-cis": 0.0}}, {"conformers": "lowest"}, "does not draw rotamers of"),
    ({"XYZ": {"cis": 0.0}}, {}, "unknown species 'XYZ'"),
    ({"DMC": {"cis-tran": 0.0}}, {}, "'cis-tran' is not a rotamer of DMC"),
    ({"DMC": {"cis": 0.0}}, {}, "'cis' is not a rotamer of DMC"),
    ({"DMC": {1: 0.0}}, {}, "1 is not a rotamer of DMC"),
    ({"DMC": {"cis-trans": 2.0, "trans-cis": 3.0}}, {}, "gives rotamer cis-trans twice"),
    ({"DMC": {"cis-cis": float("nan")}}, {}, "kcal/mol"),
    ({"DMC": {"cis-cis": "0"}}, {}, "kcal/mol"),
    ({"DMC": {}}, {}, "must be a dict"),
    ({"DMC": [0.0, 2.6]}, {}, "must be a dict"),
    ({"DMC": {"cis-cis": 0.0}, "dmc": {"cis-cis": 0.0}}, {}, "names DMC twice"),
    ([("DMC", 0.0)], {}, "rotamer_energies must be a dict"),
])
def test_bad_rotamer_energies_are_refused_before_any_embedding(given, kw, match, monkeypatch):
    def started(*args, **kwargs):
        raise AssertionError("work was started")

    for name in ("_embeddings", "conformer", "_run_packmol"):
        monkeypatch.setattr(build, name, started)
    with pytest.raises(ValueError, match=match):
        electrolyte_box(counts={"DMC": 4, "EC": 2}, density=1.0, seed=0,
                        rotamer_energies=given, **kw)


def test_rotamer_energies_that_leave_out_a_found_rotamer_are_refused_before_packmol(
        structures):
    # DMC's near-trans–near-trans is found too: a table without it would renormalise silently
    with pytest.raises(ValueError, match=r"leave out rotamer\(s\) \['trans-trans'\]"):
        electrolyte_box(counts={"DMC": 4}, density=1.0, seed=0,
                        rotamer_energies={"DMC": {"cis-cis": 0.0, "cis-trans": 2.6}})
    assert not structures


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, -1, 0, 1e308])
@pytest.mark.parametrize("call, name", [
    (lambda x: conformer_ensemble("DMC", seed=x, n_conformers=1), "seed"),
    (lambda x: conformer_ensemble("DMC", n_conformers=x), "n_conformers"),
    (lambda x: conformer_ensemble("DMC", temperature_K=x), "temperature_K"),
    (lambda x: electrolyte_box(counts={"DMC": 4}, density=1.0, temperature_K=x),
     "temperature_K"),
])
def test_the_new_numeric_parameters_refuse_what_no_size_is(call, name, value, monkeypatch):
    # the catalogue of tests/test_public_api_values.py, for the parameters this round added;
    # seed 0 is RDKit's first seed
    def started(*args, **kwargs):
        raise AssertionError("work was started")

    monkeypatch.setattr(build, "_run_packmol", started)
    if name == "seed" and value == 0:
        assert len(call(value)) >= 2
        return
    monkeypatch.setattr(build, "_embeddings", started)
    with pytest.raises(ValueError, match=name):
        call(value)


@pytest.mark.parametrize("n_esters", [5, 7])
def test_a_species_of_too_many_rotamer_classes_is_refused_before_any_embedding(n_esters,
                                                                              monkeypatch):
    # a polyol ester of seven acetates has 2^7 classes per embedding to minimise
    def started(*args, **kwargs):
        raise AssertionError("work was started")

    sp = Species("polyester", "C" + "C(OC(C)=O)" * n_esters)
    assert len(sp.carbonyl_dihedrals) == n_esters > build.MAX_ROTAMER_DIHEDRALS
    for name in ("_embeddings", "_run_packmol"):
        monkeypatch.setattr(build, name, started)
    with pytest.raises(ValueError, match=rf"{n_esters} O=C-O-C dihedrals .*conformers='lowest'"):
        electrolyte_box(counts={sp: 2}, density=0.5, seed=0)
    with pytest.raises(ValueError, match="rotamer classes"):
        conformer_ensemble(sp)


def test_a_replicated_box_counts_the_rotamers_of_every_copy():
    pytest.importorskip("packmol")
    from ase_electrolyte.build import replicate_box

    atoms = electrolyte_box(counts={"DMC": 4}, density=0.5, seed=3, temperature_K=3000.0)
    big = replicate_box(atoms, (2, 1, 1))
    sp = get_species("DMC")
    ids = big.arrays["molecule_index"]
    found = {}
    for m in np.unique(ids):
        label = "-".join(sorted(_classes(sp, big.positions[ids == m])))
        found[label] = found.get(label, 0) + 1
    assert found == {k: v["count"] for k, v in big.info["conformers"]["DMC"].items()
                     if v["count"]}
    assert sum(found.values()) == 8 and len(found) > 1  # a trans among them at 3000 K
    assert sum(v["count"] for v in atoms.info["conformers"]["DMC"].values()) == 4  # unchanged


def test_a_racemic_carbonate_stays_racemic_over_its_rotamers():
    # sec-butyl methyl carbonate: a stereocentre the SMILES leaves open, and two rotamer sides.
    # Mirrored per rotamer, the odd molecule of each rotamer was never mirrored: six molecules
    # of 4 cis-cis, 1 cis-trans and 1 trans-cis were 4 R and 2 S
    pytest.importorskip("packmol")
    sp = Species("SBMC", "CCC(C)OC(=O)OC")
    assert sp.is_racemic
    atoms = electrolyte_box(counts={sp: 6}, density=0.5, seed=0, temperature_K=2500.0)
    mix = atoms.info["conformers"]["SBMC"]
    assert sum(1 for v in mix.values() if v["count"] % 2) >= 2  # odd counts: the case above
    ids = atoms.arrays["molecule_index"]
    labels = []
    for m in np.unique(ids):
        mol = Chem.Mol(sp.rdkit_mol)
        conf = Chem.Conformer(mol.GetNumAtoms())
        for i, p in enumerate(atoms.positions[ids == m]):
            conf.SetAtomPosition(i, p.tolist())
        mol.AddConformer(conf, assignId=True)
        Chem.AssignStereochemistryFrom3D(mol)
        (centre,) = Chem.FindMolChiralCenters(mol, includeUnassigned=True,
                                              useLegacyImplementation=False)
        labels.append(centre[1])
    assert sorted(labels) == ["R"] * 3 + ["S"] * 3


@pytest.mark.parametrize("name", ["DMC", "EMC", "DEC", "EA"])
def test_every_rotamer_has_the_bonds_of_its_smiles(name):
    # the bond guess downstream finds the molecule the SMILES says in every rotamer placed (a
    # trans rotamer's closer O···H contacts are no bonds)
    from mda_electrolyte.molecules import covalent_bonds

    sp = get_species(name)
    smiles = {tuple(sorted((b.GetBeginAtomIdx(), b.GetEndAtomIdx())))
              for b in sp.rdkit_mol.GetBonds()}
    for r in conformer_ensemble(name):
        atoms = r.atoms.copy()
        atoms.pbc = False
        assert {tuple(b) for b in covalent_bonds(atoms).tolist()} == smiles, r.label
