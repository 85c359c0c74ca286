"""Boxes weigh O=C–O–C rotamers by measured enthalpies where the species library has them.

MMFF94 places DMC's cis-trans 4.98 kcal/mol above cis-cis; the pure liquid's measured enthalpy
difference is 8.0 ± 0.4 kJ/mol (1.91 kcal/mol, Bohets and van der Veken 1999; Katon and Cohen
1975: 2.6 ± 0.5 kcal/mol). With MMFF94 a 298 K box held 0.045 % cis-trans DMC where the liquid's
enthalpy gives 7.4 %. The library's measured values are now the default for the species that
have them, MMFF94's for the rest; explicit ``rotamer_energies`` still win, ``"lowest"`` is
unchanged, and ``info`` names each energy's source. The expected populations here are computed
from the cited 8.0 kJ/mol with the gas constant of ``scipy.constants``.

Also here: the ethyl groups' O–CH₂ rotation (not weighed: its barrier is crossed by MD), the
unit check of given energies, and the second PACKMOL run's share of ``packmol_timeout``.
"""

import io
import math
import types

import ase.io
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
from ase_electrolyte.build import conformer, conformer_ensemble, electrolyte_box  # noqa: E402
from ase_electrolyte.species import ROTAMER_ENTHALPIES, Species, get_species  # noqa: E402

structures = builder_stops.structures  # the shared fixture

_R = const.R / const.calorie / 1000.0  # kcal/mol/K
_DMC_CIS_TRANS = 8.0 / 4.184  # kcal/mol: Bohets and van der Veken (1999), pure liquid




def _label(sp, positions):
    conf = Chem.Conformer(sp.n_atoms)
    for i, p in enumerate(np.asarray(positions, dtype=float)):
        conf.SetAtomPosition(i, p.tolist())
    classes = ["cis" if abs(transforms.GetDihedralDeg(conf, *d)) < 90 else "trans"
               for d in sp.carbonyl_dihedrals]
    return "-".join(sorted(classes))


def _dmc_weights(temperature, cis_trans=_DMC_CIS_TRANS):
    """Boltzmann weights of DMC's rotamers: cis-trans measured, trans-trans MMFF94's."""
    rotamers = {r.label: r for r in conformer_ensemble("DMC")}
    energy = {label: r.delta_e for label, r in rotamers.items()}
    energy["cis-trans"] = cis_trans
    factors = {label: r.degeneracy * math.exp(-energy[label] / (_R * temperature))
               for label, r in rotamers.items()}
    z = sum(factors.values())
    return {label: f / z for label, f in factors.items()}


def test_the_default_dmc_box_draws_cis_trans_at_the_measured_ratio(structures):
    weights = _dmc_weights(298.15)
    p = weights["cis-trans"]
    assert 0.07 < p < 0.08  # 7.4 %, where MMFF94's 4.98 kcal/mol gave 0.045 %
    n, seeds = 1000, 4
    sp = get_species("DMC")
    pooled = 0
    for seed in range(seeds):
        with pytest.raises(_Stop):
            electrolyte_box(counts={"DMC": n}, density=1.0, seed=seed)
        counts = {}
        for _, template, k, _ in structures[-1]:
            label = _label(sp, template.positions)
            counts[label] = counts.get(label, 0) + k
        assert sum(counts.values()) == n
        k = counts.get("cis-trans", 0)
        assert abs(k - n * p) <= 4 * math.sqrt(n * p * (1 - p)), (seed, counts)
        pooled += k
    total = n * seeds
    assert abs(pooled - total * p) <= 4 * math.sqrt(total * p * (1 - p))
    # the count is far beyond MMFF94's weights (1.8 of 4000 expected)
    mmff = {r.label: r.weight for r in conformer_ensemble("DMC")}["cis-trans"]
    assert pooled - total * mmff > 20 * math.sqrt(total * mmff * (1 - mmff))


def test_a_packed_box_names_each_energy_source():
    pytest.importorskip("packmol")
    atoms = electrolyte_box(counts={"DMC": 3, "EMC": 2}, density=0.5, seed=0,
                            temperature_K=350.0)
    sources = atoms.info["conformer_energies"]
    assert sources["EMC"] == "MMFF94"  # no measurement in the library
    assert sources["DMC"] == ("measured: Bohets and van der Veken 1999 (cis-cis, cis-trans); "
                              "MMFF94: trans-trans")
    dmc = atoms.info["conformers"]["DMC"]
    assert dmc["cis-trans"]["source"].startswith("Bohets and van der Veken 1999, pure liquid")
    assert "1.91 +/- 0.10 kcal/mol" in dmc["cis-trans"]["source"]
    assert dmc["trans-trans"]["source"] == "MMFF94"
    assert dmc["cis-trans"]["delta_e_kcal_mol"] == pytest.approx(_DMC_CIS_TRANS, rel=1e-12)
    for label, w in _dmc_weights(350.0).items():
        assert dmc[label]["weight"] == pytest.approx(w, rel=1e-5), label
    # the weights with the enthalpy one standard uncertainty (0.4 kJ/mol) either way
    low, high = (_dmc_weights(350.0, _DMC_CIS_TRANS + d / 4.184) for d in (0.4, -0.4))
    for label in dmc:
        expected = sorted([low[label], high[label]])
        assert dmc[label]["weight_range"] == pytest.approx(expected, rel=1e-5), label
        assert expected[0] <= dmc[label]["weight"] <= expected[1]
    assert 0.09 < dmc["cis-trans"]["weight_range"][0] < dmc["cis-trans"]["weight_range"][1] < 0.13
    assert "weight_range" not in atoms.info["conformers"]["EMC"]["cis-cis"]  # MMFF94's
    # a screening task writes its box to extended XYZ and reads it back on a rerun: the
    # records come back as they were ('±' came back as 'u00b1')
    buffer = io.StringIO()
    ase.io.write(buffer, atoms, format="extxyz")
    buffer.seek(0)
    back = ase.io.read(buffer, format="extxyz")
    for key in ("conformers", "conformer_energies", "conformer_temperature_K", "composition"):
        assert back.info[key] == atoms.info[key], key
    assert {e["source"] for e in atoms.info["conformers"]["EMC"].values()} == {"MMFF94"}


def test_explicit_rotamer_energies_win_over_the_measured_ones(structures):
    given = {"DMC": {"cis-cis": 0.0, "cis-trans": 4.98, "trans-trans": 18.9}}
    sp = get_species("DMC")
    with pytest.raises(_Stop):
        electrolyte_box(counts={"DMC": 1000}, density=1.0, seed=0, rotamer_energies=given)
    drawn = sum(k for _, t, k, _ in structures[-1] if _label(sp, t.positions) == "cis-trans")
    # 2 exp(-4.98 / RT) = 0.045 %: 0.45 of 1000 expected, the measured 74 not drawn
    assert drawn <= 5
    sources = build._energies_source(dict.fromkeys(given["DMC"], "given"))
    assert sources == "given"


def test_lowest_is_unchanged_by_the_measured_energies(structures):
    with pytest.raises(_Stop):
        electrolyte_box(counts={"DMC": 40}, density=1.0, seed=4, conformers="lowest")
    ((sp, template, k, _),) = structures[-1]
    assert (sp.name, k) == ("DMC", 40)
    assert np.array_equal(template.positions, conformer("DMC", seed=4).positions)


def test_only_the_library_molecule_takes_the_library_measurement():
    # the same molecule written otherwise is DMC; another molecule named DMC is not
    same = Species("DMC", "O=C(OC)OC")
    other = Species("DMC", "CCOC(=O)OC")
    from ase_electrolyte.species import _rotamer_enthalpies

    assert _rotamer_enthalpies(same) is ROTAMER_ENTHALPIES["DMC"]
    assert _rotamer_enthalpies(other) is None
    assert _rotamer_enthalpies(get_species("EMC")) is None


def test_a_search_without_the_all_cis_rotamer_falls_back_to_mmff():
    # the measurements are above the all-cis rotamer: without it they have no reference (a
    # StopIteration before); nothing measured is used, the sources say MMFF94
    found = [r for r in build._rotamers(get_species("DMC"), 0, 10) if r[0] != "cis-cis"]
    energies, sources = build._measured_energies(found, ROTAMER_ENTHALPIES["DMC"])
    assert energies is None and sources == {"cis-trans": "MMFF94", "trans-trans": "MMFF94"}
    assert build._energies_source(sources) == "MMFF94"


@pytest.mark.parametrize("name", sorted(ROTAMER_ENTHALPIES))
def test_the_library_enthalpies_name_rotamers_the_search_finds(name):
    enthalpies, phase, citation, source = ROTAMER_ENTHALPIES[name]
    found = {r.label: r for r in conformer_ensemble(name)}
    all_cis = "-".join(["cis"] * len(get_species(name).carbonyl_dihedrals))
    assert found[all_cis].delta_e == 0.0  # the reference of the measurements is the lowest
    for label, (value, sigma) in enthalpies.items():
        assert label in found and label != all_cis
        assert 0 < value < build.MAX_ROTAMER_ENERGY_SPREAD and 0 < sigma < value
    assert phase and citation.split()[-1].isdigit() and citation.split()[0] in source


@pytest.mark.parametrize("table, match", [
    ({"cis-cis": 0.0, "cis-trans": 8000.0, "trans-trans": 30000.0}, "J/mol or cal/mol"),
    ({"cis-cis": 0.0, "cis-trans": 2600.0, "trans-trans": 19000.0}, "J/mol or cal/mol"),
    ({"cis-cis": -1e308, "cis-trans": 1e308, "trans-trans": 0.0}, "spans inf kcal/mol"),
])
def test_given_energies_of_another_unit_are_refused_before_any_embedding(table, match,
                                                                         monkeypatch):
    def started(*args, **kwargs):
        raise AssertionError("work was started")

    for name in ("_embeddings", "conformer", "_run_packmol"):
        monkeypatch.setattr(build, name, started)
    with pytest.raises(ValueError, match=match):
        electrolyte_box(counts={"DMC": 4}, density=1.0, rotamer_energies={"DMC": table})


def test_absolute_given_energies_are_taken_by_their_differences(structures):
    # a potential's total energies in kcal/mol: a spread of 5, whatever the offset
    offset = -2.5e5
    given = {"DMC": {"cis-cis": offset, "cis-trans": offset + 1.9, "trans-trans": offset + 5}}
    with pytest.raises(_Stop):
        electrolyte_box(counts={"DMC": 4}, density=1.0, seed=0, rotamer_energies=given)


def _scan(sp, positions, dihedral, angles):
    """MMFF94 energies (kcal/mol) with ``dihedral`` held at each of ``angles``, the rest
    relaxed."""
    mol = Chem.Mol(sp.rdkit_mol)
    conf = Chem.Conformer(mol.GetNumAtoms())
    for i, p in enumerate(positions):
        conf.SetAtomPosition(i, p.tolist())
    mol.AddConformer(conf, assignId=True)
    props = AllChem.MMFFGetMoleculeProperties(mol)
    energies = []
    for angle in angles:
        trial = Chem.Mol(mol)
        transforms.SetDihedralDeg(trial.GetConformer(), *dihedral, float(angle))
        field = AllChem.MMFFGetMoleculeForceField(trial, props)
        field.MMFFAddTorsionConstraint(*dihedral, False, angle - 0.5, angle + 0.5, 1e4)
        field.Minimize(maxIts=5000)
        energies.append(field.CalcEnergy())
    return np.array(energies)


@pytest.mark.parametrize("name", ["EMC", "DEC"])
def test_the_ethyl_rotation_is_left_to_md(name):
    # C(=O)-O-CH2-CH3 gauche/trans: a barrier MD crosses within picoseconds, unlike O=C-O-C's
    sp = get_species(name)
    cis = conformer_ensemble(name)[0]
    (match, *_) = sp.rdkit_mol.GetSubstructMatches(
        Chem.MolFromSmarts("[CX3](=O)-[OX2]-[CH2]-[CH3]"))
    ethyl = (match[0], match[2], match[3], match[4])
    angles = np.arange(60.0, 181.0, 10.0)
    ethyl_scan = _scan(sp, cis.atoms.positions, ethyl, angles)
    ethyl_scan -= ethyl_scan.min()
    ether_o = match[2]
    carbonyl = next(d for d in sp.carbonyl_dihedrals if d[2] == ether_o)
    carbonyl_scan = _scan(sp, cis.atoms.positions, carbonyl, np.arange(0.0, 181.0, 15.0))
    carbonyl_scan -= carbonyl_scan[0]
    rt = _R * 298.15
    ethyl_barrier = ethyl_scan[angles >= 90].max()  # between gauche (~87°) and trans
    # transition-state theory rate kT/h exp(-E/RT): crossed at least once per 10 ps
    rate = const.k * 298.15 / const.h * math.exp(-ethyl_barrier / rt)
    assert ethyl_barrier < 2.0 and rate > 1e11
    # the O=C-O-C turn is MD-frozen: > 8 kcal/mol, rarer than once per microsecond
    assert carbonyl_scan.max() > 8.0
    assert const.k * 298.15 / const.h * math.exp(-carbonyl_scan.max() / rt) < 1e6


_CO2 = Species("CO2", "O=C=O")


def _co2_contact(edge):
    """Two CO₂ in a cubic box of ``edge`` Å, one's O 1.6 Å from the other's C, side on: beyond
    half the 2 Å tolerance, within the 2.02 Å C–O reach of the bond guess."""
    one = conformer(_CO2).positions
    axis = (one[0] - one[1]) / np.linalg.norm(one[0] - one[1])
    side = np.cross(axis, [1.0, 0.0, 0.0] if abs(axis[0]) < 0.9 else [0.0, 1.0, 0.0])
    side /= np.linalg.norm(side)
    bond = np.linalg.norm(one[0] - one[1])
    other = one[1] + side * np.array([[1.6], [1.6 + bond], [1.6 + 2 * bond]])
    return np.vstack([one, other]) + edge / 2


@pytest.fixture
def clock(monkeypatch):
    """The builder's clock, advanced by the fake PACKMOL runs (no real time is measured)."""
    now = [1000.0]
    monkeypatch.setattr(build, "time", types.SimpleNamespace(monotonic=lambda: now[0]))
    return now


@pytest.mark.parametrize("first_run_s, left", [(70.0, 30.0), (99.5, 0.5), (100.0, None),
                                                (250.0, None)])
def test_the_bond_contact_repack_gets_what_is_left_of_packmol_timeout(first_run_s, left, clock,
                                                                      monkeypatch):
    # one budget for both PACKMOL runs: the repacking of a box with a bond contact was given
    # what the first run left of packmol_timeout; none left: refused without a second run
    edge, timeouts = 20.0, []
    mass = 2 * _CO2.mass
    density = mass / (edge**3 * build.GCM3_TO_AMU_PER_A3)

    def packmol(exe, structures, length, tolerance, seed, timeout, *args, **kwargs):
        timeouts.append(timeout)
        clock[0] += first_run_s if len(timeouts) == 1 else 1.0
        return _co2_contact(length)

    monkeypatch.setattr(build, "_run_packmol", packmol)
    structures = [(_CO2, conformer(_CO2), 2, None)]
    probe = build._packed_atoms(structures, _co2_contact(edge), edge)
    assert build._bond_contacts(probe).tolist() == [[1, 3]]  # the contact this test needs
    with pytest.warns(UserWarning, match="a density of"):  # a sparse box, on purpose
        with pytest.raises(RuntimeError) as err:
            electrolyte_box(counts={_CO2: 2}, density=density, seed=0, packmol_timeout=100)
    assert timeouts[0] == 100
    if left is None:
        assert timeouts == [100]
        assert (f"the first packing took {first_run_s:.3g} s of packmol_timeout=100 s, leaving "
                "0 s") in str(err.value)
    else:
        assert timeouts[1] == pytest.approx(left, abs=1e-9)
        assert "packed with every atom its bond reach" in str(err.value)  # the contact stayed


@pytest.mark.parametrize("temperature, warned", [(25.0, True), (30000.0, True), (298.15, False),
                                                 (400.0, False)])
def test_a_rotamer_temperature_in_celsius_is_doubted(temperature, warned, structures, recwarn):
    # 25 (°C) drew the rotamers of 25 K, all cis, silently; the doubt is only where the
    # temperature weighs rotamers
    with pytest.raises(_Stop):
        electrolyte_box(counts={"DMC": 4}, density=1.0, seed=0, temperature_K=temperature)
    # the doubt asks about °C below the plausible range and about a typo or unit above it
    doubts = [w for w in recwarn if "is far from a liquid's" in str(w.message)]
    assert len(doubts) == int(warned)
    assert all(("°C" in str(w.message)) == (temperature < 50.0) for w in doubts)
    recwarn.clear()
    with pytest.raises(_Stop):
        electrolyte_box(counts={"EC": 4}, density=1.0, seed=0, temperature_K=temperature)
    assert not [w for w in recwarn if "is far from a liquid's" in str(w.message)]


def test_a_given_rotamer_the_search_did_not_find_is_refused_before_packmol(structures):
    # MMFF94 finds no trans-trans minimum of DEC: a table giving it 0.5 kcal/mol had that
    # weight dropped from the draw without a word
    assert "trans-trans" not in {r.label for r in conformer_ensemble("DEC")}
    given = {"DEC": {"cis-cis": 0.0, "cis-trans": 2.0, "trans-trans": 0.5}}
    with pytest.raises(ValueError, match=r"rotamer_energies of DEC give rotamer\(s\) "
                                         r"\['trans-trans'\], which MMFF94's search did not "
                                         r"find as minima \(found: \['cis-cis', 'cis-trans'\]"):
        electrolyte_box(counts={"DEC": 4}, density=0.8, seed=0, rotamer_energies=given)
    assert not structures
    del given["DEC"]["trans-trans"]
    with pytest.raises(_Stop):
        electrolyte_box(counts={"DEC": 4}, density=0.8, seed=0, rotamer_energies=given)


def test_a_repack_that_cannot_finish_in_the_time_left_is_not_started(clock, monkeypatch):
    # 30 s left, but PACKMOL's least time for the box (packmol_seconds) is 40 s: refused at
    # once instead of a second run stopped at the timeout
    timeouts = []

    def packmol(exe, structures, length, tolerance, seed, timeout, *args, **kwargs):
        timeouts.append(timeout)
        clock[0] += 70.0
        return _co2_contact(length)

    monkeypatch.setattr(build, "_run_packmol", packmol)
    monkeypatch.setattr(build, "packmol_seconds", lambda n: 40.0 if n == 6 else 0.0)
    density = 2 * _CO2.mass / (20.0**3 * build.GCM3_TO_AMU_PER_A3)
    with pytest.warns(UserWarning, match="a density of"):
        with pytest.raises(RuntimeError, match=r"took 70 s of packmol_timeout=100 s, leaving "
                                               r"30 s, less than .* at least \(40 s\)"):
            electrolyte_box(counts={_CO2: 2}, density=density, seed=0, packmol_timeout=100)
    assert timeouts == [100]
