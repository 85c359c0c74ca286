"""A concentration beyond any salt's solubility passed without a word: 25 mol/kg of LiPF6 in EC
(2.2 formula units per EC molecule) was packed as asked, below warn_implausible's 30 mol/kg
unit-slip bound. composition_counts now doubts, with a UserWarning, any concentration that puts
more than one formula unit of salt beside each solvent molecule (a 1:1 solvate ionic liquid
is the most a solvent holds), in mol/kg and mol/L alike; below it, no such doubt."""
import warnings

import pytest

from ase_electrolyte.build import composition_counts
from ase_electrolyte.species import SOLVENTS, get_salt

_DOUBT = "formula units of salt beside each solvent molecule"
_SOLVENTS = sorted(SOLVENTS)


def _doubts(**kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        counts = composition_counts(n_atoms=4000, **kwargs)
    return [str(w.message) for w in caught if _DOUBT in str(w.message)], counts


@pytest.mark.parametrize("solvent", _SOLVENTS)
@pytest.mark.parametrize("side", [0.9, 1.1])
def test_a_molality_past_one_salt_per_solvent_molecule_is_doubted(solvent, side):
    # one formula unit per molecule: 1 mol per M g of solvent, 1000 / M mol/kg
    one = 1000.0 / SOLVENTS[solvent].mass
    doubts, counts = _doubts(solvent={solvent: 1}, salt="LiPF6", concentration=side * one)
    assert len(doubts) == (side > 1), doubts
    if doubts:
        assert f"one per molecule is {one:.3g} mol/kg" in doubts[0]
        assert "counts=" in doubts[0]
        # a doubt, not a refusal: the box holds what was asked, as close as whole molecules go
        n_solvent = counts[SOLVENTS[solvent]]
        n_salt = sum(n for sp, n in counts.items() if sp.charge > 0)
        assert n_salt / n_solvent == pytest.approx(side, rel=0.05)


@pytest.mark.parametrize("solvent", ["EC", "DME", "H2O"])
# 1.02: in water 1.1 of it leaves no litre for the solvent (refused as such)
@pytest.mark.parametrize("side", [0.9, 1.02])
def test_a_molarity_past_one_salt_per_solvent_molecule_is_doubted(solvent, side):
    # c mol/L at ρ g/cm³: per litre, 1000 ρ g hold c formula units and (1000 ρ - c M_salt) / M
    # solvent molecules; one each at c = 1000 ρ / (M + M_salt)
    density, salt = 1.6, get_salt("LiTFSI")
    one = 1000.0 * density / (SOLVENTS[solvent].mass + salt.mass)
    doubts, _ = _doubts(solvent={solvent: 1}, salt=salt, concentration=side * one,
                        units="molar", density=density)
    assert len(doubts) == (side > 1), doubts


def test_a_mixture_counts_its_mean_solvent_molecule():
    # EC:DMC 1:1 by moles: a mean molecule of (88.06 + 90.08) / 2 g/mol
    mean = (SOLVENTS["EC"].mass + SOLVENTS["DMC"].mass) / 2
    for side in (0.95, 1.05):
        doubts, _ = _doubts(solvent={"EC": 1, "DMC": 1}, salt="LiPF6", ratio="mole",
                            concentration=side * 1000.0 / mean)
        assert len(doubts) == (side > 1)
        if doubts:
            assert "EC+DMC" in doubts[0] or "DMC+EC" in doubts[0]
