"""QRd weights s that sum to zero over a composition (Chalykh et al. 2025, eq. 8).

Weights all zero are fixed charges b: with Q_total = sum b there is nothing to redistribute and
the charges are the b (the neutral NaCl of b = +-1, s = 0 was refused as "weights sum to
zero"). Weights of both signs that cancel leave eq. 8 undetermined (any multiple of s added to
b keeps the total) and are refused, as are zero weights asked to reach another total.
"""

import numpy as np
import pytest
from ase.build import bulk

from ase_electrolyte import Electrostatics
from ase_electrolyte.electrostatics import COULOMB, qrd_charges

MADELUNG_NACL = 1.747565


@pytest.mark.parametrize("numbers, qrd, total, expected", [
    ([11, 17], {"Na": (1.0, 0.0), "Cl": (-1.0, 0.0)}, 0.0, [1.0, -1.0]),
    ([11, 17, 11, 17], {"Na": (0.8, 0.0), "Cl": (-0.8, 0.0)}, 0.0, [0.8, -0.8, 0.8, -0.8]),
    # Li+ PF6-: P and F weights zero, sum of b = 0
    ([3, 15] + [9] * 6, {"Li": (1.0, 0.0), "P": (1.0, 0.0), "F": (-2.0 / 6, 0.0)}, 0.0,
     [1.0, 1.0] + [-2.0 / 6] * 6),
    # a charged composition whose b already sum to Q_total
    ([3, 8, 1, 1], {"Li": (1.0, 0), 8: (-0.8, 0), 1: (0.4, 0)}, 1.0, [1.0, -0.8, 0.4, 0.4]),
    # b summing to the total within float round-off
    ([1] * 10 + [9] * 10, {"H": (0.1, 0.0), "F": (-0.1, 0.0)}, 0.0, [0.1] * 10 + [-0.1] * 10),
])
def test_zero_weights_give_the_fixed_charges(numbers, qrd, total, expected):
    q = qrd_charges(numbers, qrd, total)
    np.testing.assert_allclose(q, expected, rtol=0, atol=1e-15)


def test_zero_weights_rocksalt_madelung():
    atoms = bulk("NaCl", "rocksalt", a=5.64)
    atoms.calc = Electrostatics(scheme="qrd", qrd={"Na": (1.0, 0.0), "Cl": (-1.0, 0.0)},
                                tolerance=1e-10)
    energy = atoms.get_potential_energy()
    assert -energy * (5.64 / 2) / COULOMB == pytest.approx(MADELUNG_NACL, abs=1e-6)
    np.testing.assert_allclose(atoms.calc.get_charges(atoms), [1.0, -1.0], atol=0)


@pytest.mark.parametrize("numbers, qrd, total, words", [
    # weights of both signs cancelling, neutral or not
    ([11, 17], {"Na": (1.0, 1.0), "Cl": (-1.0, -1.0)}, 0.0, "undetermined"),
    ([11, 17, 11, 17], {"Na": (0.8, 1.0), "Cl": (-0.8, -1.0)}, 1.0, "undetermined"),
    ([3, 9, 9], {"Li": (1.0, 2.0), "F": (-0.5, -1.0)}, 0.0, "Li: 1 × 2, F: 2 × -1"),
    # zero weights cannot reach another total
    ([11, 17], {"Na": (1.0, 0.0), "Cl": (-1.0, 0.0)}, 1.0, "all zero"),
    ([11, 17], {"Na": (1.0, 0.0), "Cl": (-1.0, 0.0)}, -0.5, "cannot be brought to the total"),
])
def test_cancelling_weights_are_refused_by_name(numbers, qrd, total, words):
    with pytest.raises(ValueError, match="QRd weights s of this composition") as err:
        qrd_charges(numbers, qrd, total)
    assert words in str(err.value)


def test_zero_weight_of_one_element_with_others_still_redistributes():
    # s_Cl = 0 with s_Na != 0: the excess goes to Na only, Q_total kept
    q = qrd_charges([11, 17, 11, 17], {"Na": (0.5, 1.0), "Cl": (-1.0, 0.0)}, 0.0)
    np.testing.assert_allclose(q, [1.0, -1.0, 1.0, -1.0], atol=1e-15)


@pytest.mark.parametrize("scale", [1e-300, 1e-200, 1e-13, 1e-6, 1.0, 1e5])
@pytest.mark.parametrize("total", [0.0, 1.0, -2.0])
def test_charges_do_not_depend_on_the_scale_of_the_weights(scale, total):
    # eq. 8 is unchanged by s -> c s; weights of 1e-13 were refused as summing to zero, and
    # 1e-300 ones divided into inf
    numbers = [3, 15] + [9] * 6 + [6, 8, 8, 1, 1]
    base = {"Li": (0.9, 0.3), "P": (1.2, 1.0), "F": (-0.35, 0.7), "C": (0.4, 1.1),
            "O": (-0.5, 0.8), "H": (0.1, 0.2)}
    scaled = {e: (b, s * scale) for e, (b, s) in base.items()}
    expected = qrd_charges(numbers, base, total)
    q = qrd_charges(numbers, scaled, total)
    np.testing.assert_allclose(q, expected, rtol=1e-12, atol=1e-12)
    assert q.sum() == pytest.approx(total, abs=1e-12)


@pytest.mark.parametrize("scale", [1e-300, 1e-13, 1.0, 1e5])
def test_cancelling_weights_are_refused_at_any_scale(scale):
    with pytest.raises(ValueError, match="sum to zero .* undetermined"):
        qrd_charges([11, 17, 17], {"Na": (1.0, 2 * scale), "Cl": (-1.0, -scale)}, 0.0)
