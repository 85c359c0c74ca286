"""spread_calibration: the factor that turns a committee's spread into an RMS error bar.

Analytic case: K members scattered independently (sigma) about the truth give a mean whose
error is sigma/sqrt(K) and a population spread of sigma sqrt((K-1)/K), so the factor is
1/sqrt(K-1); over replicas the jackknife error must cover it about 68 % of the time. A real
committee (tiny SevenNet models, tests/tiny_models.py) is refused on its own training
frames, and its factor on held-out frames is what the frames' errors and spreads say.
"""

import numpy as np
import pytest
from ase.calculators.calculator import Calculator as AseCalculator
from ase.calculators.calculator import all_changes
from ase.calculators.emt import EMT
from ase.calculators.singlepoint import SinglePointCalculator
from tiny_models import emt_copper

from ase_electrolyte.committee import committee_spread, spread_calibration

K, SIGMA_E, SIGMA_F = 4, 0.05, 0.1


def _results(spread):
    """committee_spread's output as a calculator's results (ASE's: floats and arrays)."""
    return {key: getattr(value, "value", value) for key, value in spread.items()}


def _emt(atoms):
    emt = EMT()
    emt.calculate(atoms, ["energy", "forces"], all_changes)
    return emt.results["energy"], emt.results["forces"]


class ScatteredMembers(AseCalculator):
    """K members: the truth (EMT) plus independent normal noise per member (the analytic
    committee); ``truth`` maps positions to EMT's labels, computed once."""

    implemented_properties = ["energy", "forces", "energy_std", "forces_std"]

    def __init__(self, rng, truth=None):
        super().__init__()
        self.rng, self.truth = rng, truth

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        key = self.atoms.positions.tobytes()
        energy, forces = self.truth[key] if self.truth else _emt(self.atoms)
        n = len(self.atoms)
        energies = energy + SIGMA_E * self.rng.normal(size=K)
        forces = forces + SIGMA_F * self.rng.normal(size=(K, n, 3))
        self.results = _results(committee_spread(energies, forces))


@pytest.fixture(scope="module")
def frames():
    return emt_copper(10, seed=5)


def test_independent_members_give_one_over_sqrt_k_minus_one(frames):
    expected = 1 / np.sqrt(K - 1)
    rng = np.random.default_rng(11)
    truth = {a.positions.tobytes(): _emt(a) for a in frames}
    values, covered = {"energy": [], "forces": []}, {"energy": [], "forces": []}
    replicas = 120
    for _ in range(replicas):
        out = spread_calibration(ScatteredMembers(rng, truth), frames)
        for key, est in out.items():
            # Satterthwaite's dof of the spread-weighted sum: frames - 1 only for equal spreads
            assert est.valid and est.unit == "1" and 1 <= est.dof <= len(frames) - 1
            values[key].append(est.value)
            covered[key].append(abs(est.value - expected) < est.stderr)
    for key in values:
        v = np.array(values[key])
        # unbiased to first order: the replica mean within 4 standard errors of 1/sqrt(K-1)
        assert abs(v.mean() - expected) < 4 * v.std() / np.sqrt(replicas) + 0.02 * expected
        # calibrated: one-sigma coverage near 0.68 (4 binomial errors)
        assert abs(np.mean(covered[key]) - 0.68) < 4 * np.sqrt(0.68 * 0.32 / replicas)


def test_frames_not_changed_and_few_frames_not_valid(frames):
    before = [(a.positions.copy(), a.calc.results["energy"]) for a in frames[:3]]
    out = spread_calibration(ScatteredMembers(np.random.default_rng(0)), frames[:3])
    for key in ("energy", "forces"):
        assert not out[key].valid and "too few frames" in out[key].verdict
    for a, (pos, e) in zip(frames[:3], before, strict=True):
        assert np.array_equal(a.positions, pos) and a.calc.results["energy"] == e


def test_members_that_agree_have_no_factor(frames):
    class Identical(ScatteredMembers):
        def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
            AseCalculator.calculate(self, atoms, properties, system_changes)
            emt = EMT()
            emt.calculate(self.atoms, ["energy", "forces"], all_changes)
            self.results = _results(committee_spread([emt.results["energy"]] * 2,
                                                     [emt.results["forces"]] * 2))

    out = spread_calibration(Identical(None), frames[:6])
    assert not out["forces"].valid and "agree exactly" in out["forces"].verdict


def test_refusals_before_any_evaluation(frames):
    class Counting(ScatteredMembers):
        calls = 0

        def calculate(self, *args, **kwargs):
            Counting.calls += 1
            super().calculate(*args, **kwargs)

    with pytest.raises(ValueError, match="energy_std and forces_std"):
        spread_calibration(EMT(), frames)
    unlabelled = [a.copy() for a in frames]  # copies hold no calculator: no labels
    with pytest.raises(ValueError, match="energy"):
        spread_calibration(Counting(np.random.default_rng(0)), unlabelled)
    assert Counting.calls == 0


def test_tiny_committee_refuses_its_training_frames(tmp_path):
    from tiny_models import tiny_committee

    from ase_electrolyte import Calculator

    _, paths = tiny_committee(tmp_path, k=2, epochs=3)
    committee = Calculator(paths, device="cpu")
    with pytest.raises(ValueError, match="fine-tuned on these very frames"):
        spread_calibration(committee, emt_copper(6))
    held = emt_copper(6, seed=99)
    # an element the members lack in the last frame: refused before any frame is evaluated
    silver = emt_copper(1, seed=3)[0]
    silver.numbers[0] = 47
    silver.calc = EMT()
    silver.calc = SinglePointCalculator(silver, energy=silver.get_potential_energy(),
                                        forces=silver.get_forces())
    evaluated = []
    committee.callbacks.append(lambda atoms, results: evaluated.append(len(atoms)))
    with pytest.raises(ValueError, match=r"frame 6: .*does not cover the element\(s\) Ag"):
        spread_calibration(committee, held + [silver])
    assert evaluated == []
    out = spread_calibration(committee, held)
    # the factor is the ratio of the RMS error to the RMS spread, frame by frame
    err2, spread2 = [], []
    for atoms in held:
        work = atoms.copy()
        work.calc = committee
        err2.append(np.mean(np.sum((work.get_forces() - atoms.get_forces()) ** 2, axis=1)))
        spread2.append(np.mean(committee.results["forces_std"] ** 2))
    assert out["forces"].value == pytest.approx(np.sqrt(np.sum(err2) / np.sum(spread2)),
                                                rel=1e-6)
    assert out["forces"].valid
