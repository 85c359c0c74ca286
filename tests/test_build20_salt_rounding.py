"""composition_counts: the salt count is the whole number whose concentration, beside the solvent
molecules actually packed, is closest to the one asked for (molal and molar).

The realised concentrations are computed here from ``ase.data`` atomic masses and the counts
alone, independently of the builder's own bookkeeping.
"""

import itertools
import math

import numpy as np
import pytest
from ase.data import atomic_masses, atomic_numbers

pytest.importorskip("rdkit")

from ase_electrolyte.build import composition_counts  # noqa: E402
from ase_electrolyte.species import get_salt  # noqa: E402

DENSITY = 1.25  # g/cm³, the molar conversions' solution density


def _mass(sp):
    return sum(atomic_masses[atomic_numbers[s]] for s in sp.symbols)


def _realised(counts, salt, units, n_salt):
    """mol/kg of solvent, or mol/L of a box of DENSITY, with ``n_salt`` formula units."""
    solvent_mass = sum(_mass(sp) * n for sp, n in counts.items() if sp.charge == 0)
    if units == "molal":
        return 1000.0 * n_salt / solvent_mass
    salt_mass = _mass(salt.cation) + _mass(salt.anion)
    return 1000.0 * DENSITY * n_salt / (solvent_mass + n_salt * salt_mass)


def _check_closest(solvent, salt_name, concentration, units, n_atoms, ratio):
    counts = composition_counts(solvent, salt_name, concentration, units=units,
                                n_atoms=n_atoms, ratio=ratio,
                                density=DENSITY if units == "molar" else None)
    salt = get_salt(salt_name)
    n_salt = counts[salt.cation]
    assert counts[salt.anion] == n_salt  # the 1:1 salts of the library
    got = abs(_realised(counts, salt, units, n_salt) - concentration)
    for other in (n_salt - 1, n_salt + 1):
        if other >= 1:
            assert got <= abs(_realised(counts, salt, units, other) - concentration) + 1e-12, (
                solvent, salt_name, concentration, units, n_atoms, ratio, n_salt, other)
    return counts, n_salt


@pytest.mark.parametrize("case, n_salt", [
    # before: 9 ion pairs, 4.29 mol/kg beside the 8 that make 3.81 mol/kg
    (({"EMC": 1, "DEC": 9}, "LiClO4", 4.0, "molal", 374, "mass"), 8),
    # before: 25 (1.228 mol/kg) beside 24 (1.179)
    (({"DEC": 9, "FEC": 4}, "LiClO4", 1.2, "molal", 2920, "mole"), 24),
    # before: 11 (3.90 mol/L) beside 12 (4.08)
    (({"DEC": 7, "EC": 3}, "LiPF6", 4.0, "molar", 351, "mole"), 12),
    # before: 15 (1.033 mol/L) beside 14 (0.969)
    (({"EC": 7, "FEC": 9}, "LiBF4", 1.0, "molar", 1810, "mass"), 14),
])
def test_cases_that_were_rounded_away_from_the_closest(case, n_salt):
    assert _check_closest(*case)[1] == n_salt


def test_every_composition_of_a_grid_gets_its_closest_salt_count():
    salts = ["LiPF6", "LiFSI", "LiTFSI", "LiBF4", "LiClO4"]
    solvents = ["EC", "EMC", "DMC", "DEC", "PC", "DME", "GBL", "EA", "FEC", "VC"]
    rng = np.random.default_rng(20)
    checked = 0
    for salt, (a, b), c, units, ratio in itertools.product(
            salts, [("EC", "EMC"), ("DMC", "DEC"), ("PC", "DME"), ("GBL", "EA"), ("FEC", "VC")],
            (0.3, 1.0, 2.7), ("molal", "molar"), ("mass", "mole")):
        assert a in solvents and b in solvents
        n_atoms = int(rng.integers(150, 3000))
        shares = {a: float(rng.integers(1, 10)), b: float(rng.integers(1, 10))}
        try:
            _check_closest(shares, salt, c, units, n_atoms, ratio)
        except ValueError as err:  # fewer than one ion pair at this size
            assert "ion pairs (< 1)" in str(err)
            continue
        checked += 1
    assert checked > 250


def test_molal_count_is_exact_where_the_solvent_allows():
    """10 EC (880.6 g/mol of solvent) at 1.1356 mol/kg: exactly 10 · 88.06 · 1.1356 / 1000 =
    1.0000 ion pair, and twice the box twice that."""
    from ase_electrolyte.species import get_species

    ec = get_species("EC")
    c = 1000.0 / (10 * _mass(ec))
    for n_atoms, pairs in ((10 * ec.n_atoms + 8, 1), (20 * ec.n_atoms + 16, 2)):
        counts = composition_counts({"EC": 1}, "LiPF6", c, n_atoms=n_atoms)
        assert counts[ec] == 10 * pairs
        assert counts[get_species("Li")] == pairs
        assert math.isclose(_realised(counts, get_salt("LiPF6"), "molal", pairs), c)


def _fraction_deviation(counts, solvents, shares, ratio):
    """Summed deviation of the packed mole fractions from the asked mixture's: one mixture given
    by mass or by moles is one target in molecules (closeness measured in each ratio's own
    fractions packed the same mixture differently, as given by mass or by moles)."""
    moles = np.array(shares, dtype=float) / np.array(
        [_mass(sp) if ratio == "mass" else 1.0 for sp in solvents])
    packed = np.array([counts[sp] for sp in solvents], dtype=float)
    return float(np.abs(packed / packed.sum() - moles / moles.sum()).sum())


@pytest.mark.parametrize("shares, ratio, n_atoms, moved", [
    # before: 102 + 12 (0.880 of DMC by mass) beside 101 + 13 (0.871); asked 0.875
    ({"DMC": 7, "EMC": 1}, "mass", 1411, (101, 13)),
    # before: 30 + 263 (0.102 of FEC by moles) beside 29 + 264 (0.099); asked 0.1. 2925 atoms
    # hold exactly 292.5 molecules of 10 atoms: the total was 293 by the rounding noise of the
    # dict's order (FEC first); summed in the library's order (EC first, box31) it is 292,
    # whose closest split is 29 + 263 (0.0993)
    ({"FEC": 1, "EC": 9}, "mole", 2925, (29, 263)),
])
def test_solvent_cases_that_were_rounded_away_from_the_closest(shares, ratio, n_atoms, moved):
    from ase_electrolyte.species import get_species

    counts = composition_counts(shares, n_atoms=n_atoms, ratio=ratio)
    assert tuple(counts[get_species(k)] for k in shares) == moved


@pytest.mark.parametrize("ratio", ["mass", "mole"])
def test_no_molecule_moved_between_solvents_brings_the_fractions_closer(ratio):
    """For two- and three-solvent mixtures over a range of sizes, the packed mole fractions are
    the closest of their total count to the asked mixture's (shares by mass turned into moles
    with ase.data masses): moving any one molecule from one solvent to another does not bring
    them closer."""
    from ase_electrolyte.species import get_species

    names = ["EC", "EMC", "DMC", "DEC", "PC", "DME", "GBL", "EA", "FEC", "VC"]
    rng = np.random.default_rng(7 if ratio == "mass" else 8)
    for _ in range(300):
        k = int(rng.integers(2, 4))
        picked = list(rng.choice(names, k, replace=False))
        shares = [float(rng.integers(1, 10)) for _ in picked]
        solvent = dict(zip(picked, shares, strict=True))
        try:
            counts = composition_counts(solvent, n_atoms=int(rng.integers(100, 3000)),
                                        ratio=ratio)
        except ValueError as err:  # a minor solvent that rounds to no molecule
            assert "too small to hold every solvent" in str(err)
            continue
        species = [get_species(n) for n in picked]
        best = _fraction_deviation(counts, species, shares, ratio)
        for a, b in itertools.permutations(species, 2):
            if counts[a] > 1:
                moved = {**counts, a: counts[a] - 1, b: counts[b] + 1}
                assert best <= _fraction_deviation(moved, species, shares, ratio) + 1e-12, (
                    solvent, ratio, counts)
