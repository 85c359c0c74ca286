"""A box too dense for its molecules is refused with its numbers before PACKMOL searches.

PACKMOL keeps ``tolerance`` between atoms of different molecules, so each molecule keeps the union
of spheres of radius ``tolerance/2`` around its atoms to itself (``excluded_volume``), and, as
measured, nearly the convex hull of that union (``_hull_volume``). A request whose molecules'
hulls would fill more than their packing limit (``MAX_PACKING_FRACTION``, lower for
molecules nearly as round as a sphere) of the box is refused before PACKMOL (which
would otherwise search until its timeout, 600 s by default); every density at which PACKMOL
searched until the timeout is refused. The limit is conservative for extended chains: with the
lowest-MMFF of ten embeddings (all-trans DEC, EMC) PACKMOL also packs hull fractions up to 0.90,
which are refused; the densities listed as packed pass.
"""

import math
import re

import pytest

pytest.importorskip("rdkit")
pytest.importorskip("packmol")

import ase_electrolyte.build as build  # noqa: E402
from ase_electrolyte.build import (  # noqa: E402
    conformer,
    electrolyte_box,
    excluded_volume,
)
from ase_electrolyte.species import (  # noqa: E402
    LIQUID_DENSITIES,
    SALTS,
    SOLVENTS,
    Species,
    get_species,
)
from ase_electrolyte.trajectory import GCM3_TO_AMU_PER_A3  # noqa: E402


def _lens(r, d):
    """Volume shared by two spheres of radius r, d apart (0 <= d <= 2r)."""
    return math.pi * (4 * r + d) * (2 * r - d) ** 2 / 12


@pytest.mark.parametrize("r", [0.25, 1.0, 1.5])
def test_excluded_volume_is_the_union_of_the_spheres(r):
    ball = 4 / 3 * math.pi * r**3
    assert excluded_volume([[1.0, 2.0, 3.0]], r) == pytest.approx(ball, rel=0.01)
    # apart: volumes add; overlapping: one lens less; the same sphere twice: one sphere
    assert excluded_volume([[0, 0, 0], [2.5 * r, 0, 0]], r) == pytest.approx(2 * ball, rel=0.01)
    for d in (0.3 * r, r, 1.7 * r):
        pair = excluded_volume([[0, 0, 0], [0, d, 0]], r)
        assert pair == pytest.approx(2 * ball - _lens(r, d), rel=0.01)
    assert excluded_volume([[0, 0, 0], [0, 0, 0]], r) == pytest.approx(ball, rel=0.01)
    # three in a line, 1.2 r apart: the outer two do not meet, two lenses
    line = excluded_volume([[0, 0, 0], [1.2 * r, 0, 0], [2.4 * r, 0, 0]], r)
    assert line == pytest.approx(3 * ball - 2 * _lens(r, 1.2 * r), rel=0.01)


def test_excluded_volume_does_not_depend_on_the_atom_order():
    atoms = conformer("TFSI")
    forward = excluded_volume(atoms.positions, 1.0)
    backward = excluded_volume(atoms.positions[::-1], 1.0)
    assert forward == pytest.approx(backward, rel=0.01)
    assert forward < len(atoms) * 4 / 3 * math.pi  # bonded atoms' spheres overlap


@pytest.fixture
def no_packmol(monkeypatch):
    def started(*args, **kwargs):
        raise AssertionError("PACKMOL was started")

    monkeypatch.setattr(build, "_run_packmol", started)


def _species(name):
    return Species("water", "O") if name == "water" else get_species(name)


def _limit(counts, tolerance):
    """g/cm³ at which the hulls of ``counts`` fill each its own packing limit of the box."""
    mass = sum(_species(k).mass * n for k, n in counts.items())
    need = 0.0
    for k, n in counts.items():
        positions = conformer(_species(k)).positions
        hull = build._hull_volume(positions, tolerance / 2)
        need += n * hull / build._packing_limit(excluded_volume(positions, tolerance / 2) / hull)
    return mass / need / GCM3_TO_AMU_PER_A3


_NUMBER = r"([0-9.e+]+)"


@pytest.mark.filterwarnings("ignore:a density of")  # beyond a liquid's, the point here
@pytest.mark.parametrize("counts, tolerance", [
    ({"EC": 30}, 2.0), ({"EMC": 20}, 2.0), ({"DME": 20}, 2.0), ({"Li": 10, "PF6": 10}, 2.0),
    ({"EC": 6, "EMC": 12, "Li": 3, "PF6": 3}, 2.0), ({"Li": 6, "TFSI": 6}, 2.0),
    ({"EC": 30}, 3.0), ({"DME": 5}, 2.5), ({"Li": 2, "PF6": 2}, 2.0), ({"EC": 2}, 2.0),
])
def test_a_density_beyond_the_packing_limit_is_refused_with_its_numbers(counts, tolerance,
                                                                      no_packmol):
    limit = _limit(counts, tolerance)
    with pytest.raises(ValueError) as err:
        electrolyte_box(counts=counts, density=1.05 * limit, tolerance=tolerance, seed=0)
    text = str(err.value)

    found = re.search(
        rf"the {sum(counts.values())} molecules cannot be packed at {_NUMBER} g/cm³ with "
        rf"{tolerance} Å between molecules: they need at least {_NUMBER} Å³ .* the "
        rf"{_NUMBER} Å box has {_NUMBER} Å³; give a lower density \(at most {_NUMBER} g/cm³\)",
        text)
    assert found, text
    rho, need, edge, box, most = (float(v) for v in found.groups())
    assert rho == pytest.approx(1.05 * limit, rel=5e-3)
    assert box == pytest.approx(edge**3, rel=3e-3) and need > box
    assert need / box == pytest.approx(1.05, rel=2e-3)  # the fraction over the limit
    assert 0.99 * limit < most <= limit  # rounded down: the named density is packable


# Densities PACKMOL packed (default nloop, seed 0, tolerance 2 Å unless given, 30 molecules of one
# kind unless given, within 30-60 s): none of them may be refused. The conformers of DEC, EMC,
# FSI⁻, TFSI⁻ and DME are the lowest of ten distinct embeddings (before, ten copies of one):
# DEC packed at 1.15-1.35, EMC at 1.33-1.50, FSI⁻ at 3.75-3.89, TFSI⁻ at 2.95-3.04, DME at 1.15-1.23
# g/cm³, each within 45 s; their limits moved (DEC 1.266 -> 1.183, EMC 1.425 -> 1.368, FSI⁻
# 3.662 -> 3.802, TFSI⁻ 2.656 -> 3.046, DME 1.208 -> 1.235 g/cm³)
_PACKED = [
    ({"EC": 30}, 2.0, 2.052), ({"DMC": 30}, 2.0, 1.668),
    ({"DEC": 30}, 2.0, 1.15), ({"PF6": 30}, 2.0, 4.012), ({"FSI": 30}, 2.0, 3.523),
    ({"FSI": 30}, 2.0, 3.75), ({"TFSI": 30}, 2.0, 2.95), ({"DME": 30}, 2.0, 1.15),
    ({"EMC": 30}, 2.0, 1.33), ({"Li": 10, "PF6": 10}, 2.0, 3.895),
    ({"Li": 10, "PF6": 10}, 3.0, 1.727), ({"EC": 30}, 3.0, 1.061),
]
# Densities at which PACKMOL searched until its timeout (30-60 s) without a packing, or gave up
# (FSI⁻ at 4.15 g/cm³, after 51 s): each must be refused before PACKMOL (EC at 2.39-2.78 g/cm³
# passed the earlier check on the union of spheres)
_NOT_PACKED = [
    ({"EC": 30}, 2.0, 2.393), ({"EC": 30}, 2.0, 2.564), ({"EC": 30}, 2.0, 2.778),
    ({"EMC": 30}, 2.0, 1.633), ({"DEC": 30}, 2.0, 1.42), ({"FSI": 30}, 2.0, 4.15),
    ({"DMC": 30}, 2.0, 1.843),
    ({"DMC": 30}, 2.0, 1.756), ({"PF6": 30}, 2.0, 4.435),
    ({"water": 30}, 2.0, 2.178), ({"EC": 30}, 3.0, 1.124), ({"EMC": 30}, 3.0, 0.9),
]


def _length(counts, rho):
    mass = sum(_species(k).mass * n for k, n in counts.items())
    return (mass / (rho * GCM3_TO_AMU_PER_A3)) ** (1 / 3)


@pytest.mark.parametrize("counts, tolerance, rho", _PACKED)
def test_every_density_packmol_packed_passes(counts, tolerance, rho):
    assert rho < _limit(counts, tolerance)
    plan = {_species(k): n for k, n in counts.items()}
    build._check_packable(plan, {sp: conformer(sp) for sp in plan}, _length(counts, rho),
                          tolerance)


@pytest.mark.parametrize("counts, tolerance, rho", _NOT_PACKED)
def test_every_density_packmol_could_not_pack_is_refused(counts, tolerance, rho):
    plan = {_species(k): n for k, n in counts.items()}
    with pytest.raises(ValueError, match=rf"the {sum(counts.values())} molecules cannot be "
                                         r"packed at ([0-9.]+) g/cm³") as err:
        build._check_packable(plan, {sp: conformer(sp) for sp in plan}, _length(counts, rho),
                              tolerance)
    named = float(re.search(r"packed at ([0-9.]+) g/cm³", str(err.value)).group(1))
    assert named == pytest.approx(rho, abs=0.006)


def test_the_pure_liquids_up_to_1_15_times_their_measured_density_pass():
    # the least compact, all-trans DEC, is refused above 1.22 times its 0.969 g/cm³ (1.3 times
    # passed with a folded conformer, which PACKMOL could not pack at 1.28 g/cm³)
    # diglyme (added in box29), all-trans at 0.939 g/cm³, fills 0.792 of the box with hulls at
    # 1.15 times: refused by MAX_PACKING_FRACTION's 0.79, which is conservative for such chains
    # (PACKMOL packed 30 of them at 1.20 times, hull fraction 0.826); 1.14 times passes
    margin = {"G2": 1.14}
    for name, (rho, *_) in LIQUID_DENSITIES.items():
        sp = get_species(name)
        for n in (2, 30):
            build._check_packable({sp: n}, {sp: conformer(sp)},
                                  _length({name: n}, margin.get(name, 1.15) * rho), 2.0)


def test_the_hull_holds_the_hollows_of_a_chain():
    # two touching spheres: the hull is a cylinder of length 2r capped by two half spheres (the
    # waist between the spheres counts); sampled spheres make it at most 2 % small
    r = 1.0
    two = build._hull_volume([[0, 0, 0], [2 * r, 0, 0]], r)
    assert two == pytest.approx(2 * math.pi * r**3 + 4 / 3 * math.pi * r**3, rel=0.02)
    assert build._hull_volume([[1.0, 2.0, 3.0]], r) == pytest.approx(4 / 3 * math.pi, rel=0.02)
    # a ring (EC) keeps more to itself than its spheres; a chain (EMC) more still, relatively
    ec, emc = conformer("EC").positions, conformer("EMC").positions
    assert excluded_volume(ec, 1.0) / build._hull_volume(ec, 1.0) > excluded_volume(
        emc, 1.0) / build._hull_volume(emc, 1.0)


def test_boxes_of_the_library_at_their_usual_densities_pass():
    """The van der Waals box of Ju et al. (2025) and the pure liquids' measured densities."""
    templates = {}
    for name in (*SOLVENTS, *(s for salt in SALTS.values() for s in
                               (salt.cation.name, salt.anion.name))):
        sp = get_species(name)
        templates[sp] = conformer(sp)
    plans = [{get_species(n): 20} for n in SOLVENTS]
    plans += [{get_species("EC"): 20, s.cation: 4, s.anion: 4} for s in SALTS.values()]
    for plan in plans:
        v0 = sum(sp.vdw_volume * n for sp, n in plan.items())
        for tolerance in (build.MIN_TOLERANCE, 2.0):
            build._check_packable(plan, templates, 1.1 * v0 ** (1 / 3), tolerance)
    for name, (rho, *_) in LIQUID_DENSITIES.items():
        sp = get_species(name)
        length = (20 * sp.mass / (rho * GCM3_TO_AMU_PER_A3)) ** (1 / 3)
        build._check_packable({sp: 20}, templates, length, 2.0)


def test_one_molecule_is_left_to_the_periodic_image_check(no_packmol):
    # one molecule has no other molecule to keep apart from; its own images are checked after
    # packing (test_build.py::test_a_box_too_short_for_one_molecule_is_refused)
    plan = {get_species("EC"): 1}
    build._check_packable(plan, {sp: conformer(sp) for sp in plan}, 1.0, 2.0)
    with pytest.raises(ValueError, match="the 2 molecules cannot be packed"):
        build._check_packable({get_species("EC"): 2}, {sp: conformer(sp) for sp in plan}, 1.0,
                              2.0)
