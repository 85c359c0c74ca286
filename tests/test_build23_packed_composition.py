"""What whole molecules realise of an asked composition (build._packed_composition and
electrolyte_box's info["packed_composition"]), against a hand computation from the species'
masses and the library's measured liquid densities."""

import copy
import math

import pytest

from ase_electrolyte.build import _packed_composition as packed_composition
from ase_electrolyte.build import composition_counts, electrolyte_box
from ase_electrolyte.screen.plan import packed_concentration
from ase_electrolyte.species import LIQUID_DENSITIES, get_salt, get_species

CASES = [
    # solvent, salt, concentration, keywords (units, ratio, density), n_atoms
    ({"EC": 3, "EMC": 7}, "LiPF6", 1.0, {}, 100),
    ({"EC": 3, "EMC": 7}, "LiPF6", 1.0, {}, 1000),
    ({"EC": 1, "DMC": 1}, "LiPF6", 1.0, {"units": "mol/L", "density": 1.3}, 1000),
    ({"EC": 1, "DMC": 1}, "LiFSI", 1.2, {"ratio": "v/v"}, 800),
    ({"PC": 1, "DEC": 4}, "LiBF4", 0.7, {"ratio": "Mole", "units": "Molarity",
                                          "density": 1.1}, 600),
    ({"EC": 1}, None, 0.0, {}, 300),
]


def _by_hand(counts, solvent, salt, concentration, kw):
    names = {get_species(k).name: n for k, n in counts.items()}
    solvent_names = [get_species(k).name for k in solvent]
    ratio = kw.get("ratio", "mass").lower()
    per = {n: (get_species(n).mass if ratio == "mass" else
               1.0 if ratio == "mole" else get_species(n).mass / LIQUID_DENSITIES[n][0])
           for n in solvent_names}
    amounts = {n: names[n] * per[n] for n in solvent_names}
    total = sum(amounts.values())
    shares = {n: a / total for n, a in amounts.items()}
    if salt is None:
        return 0.0, shares
    s = get_salt(salt)
    pairs = names[s.cation.name] / s.stoichiometry[0]
    solvent_g = sum(get_species(n).mass * names[n] for n in solvent_names)
    if kw.get("units", "molal").lower() in ("molal",):
        return 1000.0 * pairs / solvent_g, shares
    box_g = sum(get_species(n).mass * c for n, c in names.items())
    return 1000.0 * kw["density"] * pairs / box_g, shares


@pytest.mark.parametrize("solvent,salt,conc,kw,n_atoms", CASES)
def test_packed_matches_hand_computation(solvent, salt, conc, kw, n_atoms):
    counts = composition_counts(solvent, salt, conc, n_atoms=n_atoms, **kw)
    asked_solvent = copy.deepcopy(solvent)
    p = packed_composition(counts, solvent, salt, conc, **kw)
    assert solvent == asked_solvent  # the caller's dict is not touched
    c_hand, shares_hand = _by_hand(counts, solvent, salt, conc, kw)
    assert p["concentration_packed"] == pytest.approx(c_hand, rel=1e-12)
    assert p["concentration_asked"] == conc
    if salt is not None:
        assert p["concentration_deviation"] == pytest.approx(c_hand / conc - 1.0, rel=1e-9)
    total = sum(solvent.values())
    asked = {get_species(k).name: v / total for k, v in solvent.items()}
    assert p["solvent_shares_asked"] == pytest.approx(asked)
    assert p["solvent_shares_packed"] == pytest.approx(shares_hand)
    assert math.fsum(p["solvent_shares_packed"].values()) == pytest.approx(1.0)
    assert p["solvent_share_deviation"] == pytest.approx(
        max(abs(shares_hand[n] - asked[n]) for n in asked))
    # the counts are the closest whole numbers: one ion pair more or fewer is further off
    if salt is not None:
        cation = get_salt(salt).cation
        for step in (-1, 1):
            other = dict(counts)
            other[cation] += step
            other[get_salt(salt).anion] += step
            if other[cation] < 1:
                continue
            c_other, _ = _by_hand(other, solvent, salt, conc, kw)
            assert abs(c_other - conc) >= abs(c_hand - conc)


@pytest.mark.parametrize("solvent,salt,conc,kw,n_atoms", CASES)
def test_screen_reads_the_same_concentration(solvent, salt, conc, kw, n_atoms):
    """The screening table's packed_concentration is the builder's number."""
    counts = composition_counts(solvent, salt, conc, n_atoms=n_atoms, **kw)
    p = packed_composition(counts, solvent, salt, conc, **kw)
    units = "molal" if p["units"] == "mol/kg" else "molar"
    box = {sp.name: n for sp, n in counts.items()}
    screened, molality = packed_concentration(box, salt, units, kw.get("density"))
    assert screened == pytest.approx(p["concentration_packed"], rel=1e-12)
    assert molality >= 0


def test_box_records_what_it_packed():
    """A 100-atom box misses 1 mol/kg by tens of per cent: the box says so."""
    solvent = {"EC": 3, "EMC": 7}
    asked = dict(solvent)
    atoms = electrolyte_box(solvent, "LiPF6", 1.0, n_atoms=100, seed=0, conformers="lowest")
    assert solvent == asked
    p = atoms.info["packed_composition"]
    counts = atoms.info["composition"]
    hand, _ = _by_hand(counts, solvent, "LiPF6", 1.0, {})
    assert p["concentration_packed"]["value"] == pytest.approx(hand)
    assert p["concentration_packed"]["value"] == pytest.approx(
        atoms.info["cation_molality"]["value"])
    assert abs(p["concentration_deviation"]["value"]) > 0.1
    assert p["units"] == "mol/kg" and p["ratio"] == "mass"


def test_counts_box_has_no_asked_composition():
    atoms = electrolyte_box(counts={"EC": 3}, seed=0)
    assert "packed_composition" not in atoms.info


@pytest.mark.parametrize("bad,match", [
    ({"counts": {"EC": 4, "Li": 1, "PF6": 1}}, "no EMC"),
    ({"units": "mol/L"}, "density"),
    ({"salt": "LiPF7"}, "LiPF7"),
])
def test_refusals_name_the_problem(bad, match):
    kw = dict(counts={"EC": 4, "EMC": 7, "Li": 1, "PF6": 1}, solvent={"EC": 3, "EMC": 7},
              salt="LiPF6", concentration=1.0)
    kw.update(bad)
    with pytest.raises(ValueError, match=match):
        packed_composition(kw.pop("counts"), **kw)


@pytest.mark.parametrize("box", [
    dict(solvent={"EC": 3, "EMC": 7}, salt="LiPF6", concentration=1.0, n_atoms=150),
    dict(counts={"EC": 4, "EMC": 7, "Li": 1, "PF6": 1}),
])
def test_an_implausible_density_is_doubted_once(box):
    """0.05 g/cm³ (kg/L read as something else) is one doubt, said once: the composition's
    check and the box's said it twice. A timeout too short refuses the box before PACKMOL."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ValueError, match="packmol_timeout"):
            electrolyte_box(**box, density=0.05, packmol_timeout=1e-3)
    doubts = [w for w in caught if "0.05 g/cm³" in str(w.message)]
    assert len(doubts) == 1, [str(w.message) for w in caught]
