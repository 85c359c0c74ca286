"""fit_qrd refuses bad weights, regularisers and starting points by name before any frame is
summed or any model is called."""

import numpy as np
import pytest
from ase import Atoms
from ase.calculators.calculator import Calculator

from ase_electrolyte import Electrostatics, fit_qrd

TRUTH = {"H": (0.3, 0.5), "Li": (0.9, 0.2), "O": (-0.5, 1.1)}


class NeverCalled(Calculator):
    implemented_properties = ["energy", "forces", "stress"]

    def calculate(self, *args, **kwargs):
        raise AssertionError("the model ran before the arguments were checked")


def frames_and_labels():
    rng = np.random.default_rng(6)
    frames, labels = [], []
    for k in range(3):
        counts = {"Li": rng.integers(1, 4), "O": rng.integers(2, 6), "H": rng.integers(2, 7)}
        n, length = sum(counts.values()), 6.0 + 0.3 * k
        atoms = Atoms("".join(f"{s}{c}" for s, c in counts.items()), cell=[length] * 3,
                      pbc=True, positions=rng.uniform(0, length, (n, 3)))
        atoms.info["charge"] = float(rng.integers(-1, 2))
        atoms.calc = Electrostatics(qrd=TRUTH, tolerance=1e-6, background=True)
        labels.append({"energy": atoms.get_potential_energy(), "forces": atoms.get_forces()})
        atoms.calc = None
        frames.append(atoms)
    return frames, labels


BAD = {
    # before: "math domain error" from math.sqrt
    "negative weight": ({"weights": (-1.0, 0.1, 10.0)}, r"weight w_E must be .*>= 0"),
    # before: scipy's "Residuals are not finite in the initial point", after the model ran
    "NaN weight": ({"weights": (1.0, np.nan, 10.0)}, r"weight w_F"),
    # before: an overflow in the residuals' dot product
    "huge weight": ({"weights": (1.0, 0.1, 1e308)}, r"weight w_σ"),
    # before: "not enough values to unpack"
    "two weights": ({"weights": (1.0, 0.1)}, r"weights must be three numbers"),
    "string weights": ({"weights": "abc"}, r"weights must be three numbers"),
    # before: a "fit" of the regulariser alone, reported as a success
    "all weights 0": ({"weights": (0.0, 0.0, 0.0)}, r"weights are all 0"),
    # before: NaN residuals (sqrt of a negative) and scipy's error after the model ran
    "negative regularization": ({"regularization": -1.0}, r"regularization"),
    "NaN regularization": ({"regularization": np.nan}, r"regularization"),
    # before: a division by the norm 0 of s and NaN starting charges
    "initial s all zero": ({"initial": {"H": (0.0, 0.0), "Li": (0.0, 0.0), "O": (0.0, 0.0)}},
                           r"initial: every s .* is 0"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_argument_is_refused_before_any_model_call(case):
    options, match = BAD[case]
    frames, labels = frames_and_labels()
    before = [a.copy() for a in frames]
    with pytest.raises(ValueError, match=match):
        fit_qrd(frames, NeverCalled(), labels, tolerance=1e-6, background=True, **options)
    for atoms, copy in zip(frames, before, strict=True):
        assert np.array_equal(atoms.positions, copy.positions)


def test_an_initial_with_some_s_zero_is_accepted_and_finite():
    # s = 0 for one element is a valid start (the others fix the charges)
    frames, labels = frames_and_labels()
    fit = fit_qrd(frames, None, labels, regularization=0.0, tolerance=1e-6, background=True,
                  initial={"H": (0.0, 0.0)})
    assert fit.success
    values = [v for pair in fit.qrd.values() for v in pair]
    assert np.isfinite(values).all()
    assert fit.errors_after["forces"] <= fit.errors_before["forces"]
