"""Solvent shares by volume (the literature's "v/v"): the pure liquids' volumes before mixing,
turned into molecules with the library's measured densities, and the spellings of each ratio."""

import itertools

import numpy as np
import pytest

pytest.importorskip("rdkit")

from ase_electrolyte.build import (  # noqa: E402
    RATIO_SPELLINGS,
    composition_counts,
    composition_word,
    electrolyte_box,
)
from ase_electrolyte.species import LIQUID_DENSITIES, get_species  # noqa: E402


def _named(counts):
    return {sp.name: n for sp, n in counts.items()}


def _volume_fractions(named):
    v = {k: n * get_species(k).mass / LIQUID_DENSITIES[k][0] for k, n in named.items()
         if get_species(k).charge == 0}
    total = sum(v.values())
    return {k: x / total for k, x in v.items()}


@pytest.mark.parametrize("solvent, n_atoms", [
    ({"EC": 1, "DMC": 1}, 600), ({"EC": 3, "EMC": 7}, 1000), ({"PC": 1, "DEC": 2}, 450),
    ({"EC": 1, "DMC": 1, "DEC": 1}, 900),
])
def test_volume_shares_are_the_closest_volume_fractions_of_the_count(solvent, n_atoms):
    named = _named(composition_counts(solvent, n_atoms=n_atoms, ratio="v/v"))
    names = list(solvent)
    target = np.array([solvent[k] for k in names], float)
    target /= target.sum()

    def deviation(counts):
        f = _volume_fractions(dict(zip(names, counts, strict=True)))
        return sum(abs(f[k] - t) for k, t in zip(names, target, strict=True))

    got = deviation([named[k] for k in names])
    total = sum(named.values())
    # every split of the same number of molecules: none is closer by volume
    best = min(deviation(c) for c in itertools.product(range(1, total), repeat=len(names))
               if sum(c) == total)
    assert got == pytest.approx(best, abs=1e-12)
    assert got < 0.05


def test_a_volume_ratio_is_the_mass_ratio_of_the_volumes_times_the_densities():
    # 1:1 v/v of EC (1.321 g/cm³) and DMC (1.063) is 1.321:1.063 by mass: the same electrolyte
    by_volume = composition_counts({"EC": 1, "DMC": 1}, "LiPF6", 1.0, n_atoms=1500,
                                   ratio="volume")
    by_mass = composition_counts({"EC": LIQUID_DENSITIES["EC"][0],
                                  "DMC": LIQUID_DENSITIES["DMC"][0]}, "LiPF6", 1.0,
                                 n_atoms=1500, ratio="mass")
    assert _named(by_volume) == _named(by_mass)
    # and not the mass ratio of the same shares: EC is the denser liquid, so more of it
    by_mass_1_1 = _named(composition_counts({"EC": 1, "DMC": 1}, "LiPF6", 1.0, n_atoms=1500))
    assert _named(by_volume)["EC"] > by_mass_1_1["EC"]


@pytest.mark.parametrize("canonical, words", [
    ("mass", ["mass", "w/w", "WT%", " by weight ", "weight fraction"]),
    ("mole", ["mole", "mol/mol", "Mol%", "by mole", "molar"]),
    ("volume", ["volume", "v/v", "V/V", "vol", "vol%", " by volume", "volume fraction"]),
])
def test_every_spelling_of_a_ratio_gives_its_counts(canonical, words):
    reference = _named(composition_counts({"EC": 1, "DEC": 1}, n_atoms=500, ratio=canonical))
    for word in words:
        assert composition_word(word, "ratio") == canonical
        assert _named(composition_counts({"EC": 1, "DEC": 1}, n_atoms=500,
                                         ratio=word)) == reference, word
    assert set(RATIO_SPELLINGS.values()) == {"mass", "mole", "volume"}


def test_the_three_ratios_are_three_electrolytes():
    got = {r: _named(composition_counts({"EC": 1, "DEC": 1}, n_atoms=500, ratio=r))
           for r in ("mass", "mole", "volume")}
    assert len({tuple(sorted(c.items())) for c in got.values()}) == 3


def test_a_volume_ratio_of_a_solvent_without_a_measured_density_is_refused_before_packing():
    message = r"volume ratio needs .* none for FEC .*\(ratio='mass'\)"
    with pytest.raises(ValueError, match=message):
        composition_counts({"EC": 9, "FEC": 1}, "LiPF6", 1.0, ratio="v/v")
    with pytest.raises(ValueError, match=message):
        electrolyte_box({"EC": 9, "FEC": 1}, "LiPF6", 1.0, ratio="v/v", n_atoms=5000)
    # one solvent is all of it by any ratio: nothing to convert
    assert (_named(composition_counts({"FEC": 1}, n_atoms=300, ratio="v/v"))
            == _named(composition_counts({"FEC": 1}, n_atoms=300)))


def test_a_plan_labels_a_volume_ratio_apart_from_the_mass_ratio():
    pytest.importorskip("distributed")
    from ase_electrolyte.screen import load_plan

    def plan(ratio):
        return load_plan({
            "model": {"calculator": "ase.calculators.emt:EMT"}, "n_atoms": 600,
            "composition": [{"solvent": "EC:1,DMC:1", "salt": "LiPF6", "concentration": 1.0,
                             "ratio": ratio}]})

    mass, volume, vv = plan("mass"), plan("volume"), plan("v/v")
    # another electrolyte, so other task folders and seeds: a plan changed from mass to volume
    # in the same folder must not take the mass ratio's finished tasks
    assert mass.compositions[0].label != volume.compositions[0].label
    assert mass.tasks()[0].seed != volume.tasks()[0].seed
    assert volume.compositions[0].ratio == "volume"
    # the two spellings are one composition
    assert vv.compositions[0].label == volume.compositions[0].label
    assert vv.tasks()[0].seed == volume.tasks()[0].seed
