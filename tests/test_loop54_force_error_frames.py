"""A fine-tuned model's force RMSE is judged by its per-atom errors, as error_metrics judges any.

Before, ``finetuning._label_error_estimates`` reduced each frame's forces to one number (the
frame's RMS force error) and took the error of the RMSE from that one series: one number per
frame shows a correlation of consecutive frames only from 54 frames on, so a validation set of
fewer frames was never valid, however many atoms; and at 60 frames of AR(1) forces (φ = 0.9)
2 % of replicas were called valid. Now frames of the same atoms give the per-atom error vectors
to :func:`mda_electrolyte.error_metrics.error_estimates`. Measured over 200 replicas of 30
atoms (σ = 0.1 eV/Å per component): independent frames valid from 5 frames (z-score sd 1.32,
1.03, 1.03, 0.94 over 5, 10, 20, 40 frames; one-sigma coverage 0.62-0.74); φ = 0.5 valid from
40 frames (sd 1.01); φ = 0.9 never valid up to 60 frames.
"""

import numpy as np
import pytest
from ase import Atoms
from ase.calculators.singlepoint import SinglePointCalculator

from ase_electrolyte.finetuning import _label_error_estimates

SIGMA = 0.1  # eV/Å per component
TRUTH = SIGMA * np.sqrt(3.0)  # RMS of the error vectors


def _frames(n_frames, n_atoms, phi, rng, sizes=None):
    """Labelled frames and predictions: reference forces and model errors AR(1) over frames."""
    frames, predicted = [], []
    ref = rng.normal(0.0, 1.0, (n_atoms, 3))
    err = rng.normal(0.0, SIGMA, (n_atoms, 3))
    for k in range(n_frames):
        if k:
            ref = phi * ref + np.sqrt(1 - phi**2) * rng.normal(0.0, 1.0, (n_atoms, 3))
            err = phi * err + np.sqrt(1 - phi**2) * rng.normal(0.0, SIGMA, (n_atoms, 3))
        n = n_atoms if sizes is None else sizes[k % len(sizes)]
        atoms = Atoms(f"Ar{n}", positions=rng.uniform(0, 10, (n, 3)), cell=[10.0] * 3, pbc=True)
        energy = float(rng.normal())
        atoms.calc = SinglePointCalculator(atoms, energy=energy, forces=ref[:n].copy())
        frames.append(atoms)
        predicted.append({"energy": energy + 0.01 * n * rng.normal(),
                          "forces": ref[:n] + err[:n]})
    return frames, predicted


@pytest.mark.parametrize("n_frames", [5, 10])
def test_independent_frames_of_many_atoms_give_a_calibrated_valid_force_error(n_frames):
    rng = np.random.default_rng(n_frames)
    z = []
    for _ in range(80):
        est = _label_error_estimates(*_frames(n_frames, 30, 0.0, rng))["force_rmse"]
        assert est.valid, est.verdict
        z.append((est.value - TRUTH) / est.stderr)
    z = np.abs(z)
    # over 4 and 9 degrees of freedom z is t-distributed, its standard deviation ruled by a
    # few tails (1.41 and 1.13 expected): the coverage and the median judge the bars
    assert 0.58 <= np.mean(z < 1) <= 0.8, np.mean(z < 1)
    assert 0.5 <= np.median(z) <= 0.85, np.median(z)
    assert np.mean(z < 2) >= 0.88, np.mean(z < 2)


@pytest.mark.parametrize("phi, n_frames", [(0.9, 10), (0.9, 60), (0.5, 10)])
def test_correlated_frames_are_not_valid(phi, n_frames):
    rng = np.random.default_rng(7)
    for _ in range(10):
        est = _label_error_estimates(*_frames(n_frames, 30, phi, rng))["force_rmse"]
        # the correlation is measured and named (before: "too few values" of one per frame)
        assert not est.valid and est.verdict.startswith("correlated frames"), est.verdict


@pytest.mark.parametrize("n_atoms", [1, 4, 30])
def test_the_value_is_the_rms_of_the_error_vectors(n_atoms):
    frames, predicted = _frames(7, n_atoms, 0.0, np.random.default_rng(3))
    errors = np.array([p["forces"] - a.calc.results["forces"]
                       for a, p in zip(frames, predicted, strict=True)])
    est = _label_error_estimates(frames, predicted)["force_rmse"]
    assert est.value == pytest.approx(np.sqrt(np.mean(np.sum(errors**2, axis=-1))), rel=1e-12)
    assert est.unit == "eV/Å"


def test_frames_of_other_atoms_weigh_each_frame_once():
    # no atom of one frame is an atom of the next: one number per frame, not valid below 54
    frames, predicted = _frames(20, 12, 0.0, np.random.default_rng(4), sizes=(6, 12))
    per_frame = [np.sqrt(np.mean(np.sum((p["forces"] - a.calc.results["forces"]) ** 2, axis=1)))
                 for a, p in zip(frames, predicted, strict=True)]
    est = _label_error_estimates(frames, predicted)["force_rmse"]
    assert est.value == pytest.approx(np.sqrt(np.mean(np.square(per_frame))), rel=1e-12)
    assert not est.valid and "too few frames" in est.verdict
