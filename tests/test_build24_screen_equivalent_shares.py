"""A screening plan (and its experimental table) reads one mixture the same whether its solvent
shares are given by mass, by moles or by volume.

Before: the plan compared compositions by their shares as written, so EC:EMC 3:7 by mass and the
same mixture's mole fractions were two electrolytes: at n_atoms = 3000 both were accepted,
simulated and tabulated as two rows (the builder packed them one molecule apart), at 300 they
were refused as "a grid finer than the box resolves: use a larger n_atoms"; a measurement given
by mass matched no composition given by moles.
"""

from pathlib import Path

import pytest

pytest.importorskip("rdkit")

from ase_electrolyte.screen import PlanError, load_plan  # noqa: E402
from ase_electrolyte.screen.aggregate import _composition_key  # noqa: E402
from ase_electrolyte.screen.plan import composition_key, mole_shares  # noqa: E402
from ase_electrolyte.species import LIQUID_DENSITIES, get_species  # noqa: E402

MODELS = str(Path(__file__).with_name("screen_models.py"))

PLAN = f'''name = "shares"
replicas = 1
temperatures = [300]
n_atoms = {{n_atoms}}
analyses = []

[model]
calculator = "{MODELS}:lj"
device = "cpu"

[[composition]]
solvent = "EC:3,EMC:7"
salt = "LiPF6"
concentration = 1.0

[[composition]]
solvent = "{{second}}"
ratio = "{{ratio}}"
salt = "LiPF6"
concentration = 1.0
'''


def _as(ratio, grams):
    """``grams`` ({name: g}) as the shares of ``ratio``."""
    if ratio == "mole":
        return {k: g / get_species(k).mass for k, g in grams.items()}
    return {k: g / LIQUID_DENSITIES[k][0] for k, g in grams.items()}


@pytest.mark.parametrize("ratio", ["mole", "volume"])
@pytest.mark.parametrize("n_atoms", [300, 3000])
def test_one_mixture_given_two_ways_is_refused_as_one_electrolyte(tmp_path, ratio, n_atoms):
    shares = _as(ratio, {"EC": 3.0, "EMC": 7.0})
    second = ",".join(f"{k}:{v!r}" for k, v in shares.items())
    path = tmp_path / "plan.toml"
    path.write_text(PLAN.format(n_atoms=n_atoms, second=second, ratio=ratio))
    with pytest.raises(PlanError, match=r"are the same electrolyte"):
        load_plan(path)


def test_the_same_shares_by_another_ratio_are_another_electrolyte(tmp_path):
    path = tmp_path / "plan.toml"
    path.write_text(PLAN.format(n_atoms=3000, second="EC:3,EMC:7", ratio="mole"))
    plan = load_plan(path)
    first, second = plan.compositions
    assert composition_key(first) != composition_key(second)


def test_mole_shares_are_the_mole_fractions_of_every_ratio():
    grams = {"EC": 3.0, "DMC": 2.0, "EMC": 5.0}
    moles = {k: g / get_species(k).mass for k, g in grams.items()}
    exact = {k: m / sum(moles.values()) for k, m in moles.items()}
    for ratio, shares in (("mass", grams), ("mole", moles), ("volume", _as("volume", grams)),
                          ("w/w", grams), ("v/v", _as("volume", grams))):
        got, left = mole_shares(shares, ratio)
        assert left is None
        assert got == pytest.approx(exact, rel=1e-12)
    # a solvent without a measured density keeps its volume shares and their ratio
    shares, ratio = mole_shares({"EC": 1.0, "FEC": 1.0}, "volume")
    assert shares == {"EC": 0.5, "FEC": 0.5} and ratio is not None


def test_a_measurement_given_by_mass_matches_the_composition_given_by_moles():
    grams = {"EC": 3.0, "EMC": 7.0}
    by_mass = _composition_key(grams, "mass", "LiPF6", 1.0, "molal", 298.0)
    assert _composition_key(_as("mole", grams), "mole", "LiPF6", 1.0, "molal", 298.0) == by_mass
    assert _composition_key(_as("volume", grams), "volume", "LiPF6", 1.0, "molal",
                            298.0) == by_mass
    assert _composition_key(grams, "mole", "LiPF6", 1.0, "molal", 298.0) != by_mass


@pytest.mark.parametrize("entry, said", [
    ('solvent = "EC"\nsalt = "LiPF6+LiFSI"\nconcentration = 1.0',
     r"a mixture of LiPF6 and LiFSI.*a plan's composition holds one salt"),
    ('salt = "LiFSI"\nconcentration = 1.0', r"no solvent \(.*ionic liquid"),
])
def test_a_plan_says_why_a_salt_mixture_or_a_salt_alone_is_not_screened(tmp_path, entry, said):
    head = PLAN.split("[[composition]]")[0].format(n_atoms=300)
    path = tmp_path / "plan.toml"
    path.write_text(f"{head}[[composition]]\n{entry}\n")
    with pytest.raises(PlanError, match=said):
        load_plan(path)
