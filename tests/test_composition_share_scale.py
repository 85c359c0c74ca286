"""Only the proportions of solvent shares count: every common scale gives the same box.

Shares of 1e-323 underflowed to NaN mole fractions ("cannot convert float NaN to integer") and
shares of 1e308 overflowed their sum (a ZeroDivisionError with ratio="mole").
"""

import pytest

from ase_electrolyte.build import composition_counts


def _named(counts):
    return {sp.name: n for sp, n in counts.items()}


@pytest.mark.parametrize("scale", [1e-323, 1e-300, 1e-8, 0.1, 1.0, 7.0, 1e8, 1e300, 1e308])
@pytest.mark.parametrize("ratio", ["mass", "mole"])
@pytest.mark.parametrize(
    "shares", [{"EC": 3, "EMC": 7}, {"EC": 1, "DMC": 1}, {"EC": 1, "EMC": 1, "DEC": 1}]
)
def test_scaled_shares_give_the_same_counts(scale, ratio, shares):
    reference = _named(composition_counts(shares, "LiPF6", 1.0, n_atoms=600, ratio=ratio))
    # the largest share becomes ``scale``
    largest = max(shares.values())
    scaled = {k: v / largest * scale for k, v in shares.items()}
    got = _named(composition_counts(scaled, "LiPF6", 1.0, n_atoms=600, ratio=ratio))
    if scale >= 1e-300:
        assert got == reference
    else:
        # subnormal shares carry a digit or two: 3:7 of 1e-323 is not exactly 3:7
        assert sum(got.values()) == pytest.approx(sum(reference.values()), abs=2)
        assert got["Li"] == reference["Li"]


@pytest.mark.parametrize("scale", [1e-323, 1e308])
def test_molar_concentrations_use_the_same_proportions(scale):
    shares = {"EC": 1, "EMC": 1}
    reference = composition_counts(shares, "LiPF6", 1.0, units="molar", density=1.2,
                                   n_atoms=800)
    scaled = {k: v * scale for k, v in shares.items()}
    got = composition_counts(scaled, "LiPF6", 1.0, units="molar", density=1.2, n_atoms=800)
    assert _named(got) == _named(reference)


def test_the_caller_shares_are_not_changed():
    shares = {"EC": 3e300, "EMC": 7e300}
    before = dict(shares)
    composition_counts(shares, "LiPF6", 1.0, n_atoms=600)
    assert shares == before
