"""Errors of a model over consecutive (correlated) frames: blocks, verdicts, calibration.

Synthetic frames of known truth: reference forces and model errors whose every component is an
AR(1) series over the frames with lag-1 correlation φ (φ = 0: independent frames). The model is
``0.8 x + 0.1 e``, so the true RMSE is ``sqrt(0.04 + 0.01)`` and the true softening slope 0.8.
"""

import numpy as np
import pytest

from mda_electrolyte.error_metrics import (
    MIN_CORRELATED_FRAMES,
    error_estimates,
    fit_estimates,
    frame_blocks,
)

TRUE_RMSE = np.sqrt(0.2**2 + 0.1**2)


def _ar1(rng, n_frames, phi, n_atoms):
    e = np.empty((n_frames, n_atoms, 3))
    e[0] = rng.normal(size=(n_atoms, 3))
    for k in range(1, n_frames):
        e[k] = phi * e[k - 1] + np.sqrt(1 - phi**2) * rng.normal(size=(n_atoms, 3))
    return e


def _replicas(n_frames, phi, n_replicas, seed, n_atoms=10):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_replicas):
        ref = _ar1(rng, n_frames, phi, n_atoms)
        out.append((ref, 0.8 * ref + 0.1 * _ar1(rng, n_frames, phi, n_atoms)))
    return out


def _scores(replicas):
    """RMSE and slope Estimates of every replica."""
    rmse, slope = [], []
    for ref, mod in replicas:
        rmse.append(error_estimates(ref, mod, "eV/Å", component_axes=1)[0])
        slope.append(fit_estimates(ref, mod, "eV/Å")["slope_origin"])
    return rmse, slope


def test_strongly_correlated_frames_are_not_called_valid():
    # before: every replica valid, RMSE z-scores of standard deviation 3.2 (coverage 0.23)
    rmse, slope = _scores(_replicas(50, 0.9, 60, seed=1))
    assert sum(e.valid for e in rmse) <= 3
    assert sum(e.valid for e in slope) <= 3
    note = rmse[0].verdict
    assert note.startswith("correlated frames") and "independent ones" in note


@pytest.mark.parametrize("phi", [0.0, 0.5])
def test_errors_called_valid_are_calibrated_over_replicas(phi):
    rmse, slope = _scores(_replicas(50, phi, 80, seed=2))
    for estimates, truth in ((rmse, TRUE_RMSE), (slope, 0.8)):
        valid = [e for e in estimates if e.valid]
        # independent frames stay valid (98-100 % measured); φ = 0.5 in about 80 %
        assert len(valid) >= (72 if phi == 0 else 48)
        z = np.array([(e.value - truth) / e.stderr for e in valid])
        assert z.std() < 1.45
        coverage = np.mean(np.abs(z) < 1)
        assert 0.5 <= coverage <= 0.88


def test_independent_frames_are_the_samples_and_correlated_ones_are_blocked():
    rng = np.random.default_rng(3)
    white = rng.normal(size=(60, 90))
    blocks, g = frame_blocks(values=(white,))
    assert g == 1.0 and len(blocks) == 60
    # squares of an AR(1) series of φ = 0.95: g = (1 + φ²)/(1 − φ²) = 19.5
    series = _ar1(rng, 400, 0.95, 30).reshape(400, -1)
    blocks, g = frame_blocks(values=(series,))
    assert 19.5 / 1.4 < g < 19.5 * 1.4
    sizes = np.array([b.size for b in blocks])
    # blocks of 2 g frames, the remainder shared out
    assert np.all((sizes >= round(2 * g)) & (sizes <= 1.15 * 2 * g + 1)) and np.ptp(sizes) <= 1
    # consecutive, every frame once
    assert np.array_equal(np.concatenate(blocks), np.arange(400))
    # the method says how the error was obtained
    ref = series.reshape(400, 30, 3)
    rmse, rrmse = error_estimates(ref, ref + 0.1 * _ar1(rng, 400, 0.95, 30), "eV/Å",
                                  component_axes=1)
    assert "blocks of consecutive frames" in rmse.method
    # the error is over the blocks: their count less one is its degrees of freedom
    # (blocks at least as long as the reference's correlation alone makes them)
    assert rmse.dof is not None and 1 <= rmse.dof + 1 <= 400 // round(2 * g)
    assert "leave one block out" in rrmse.method
    assert rmse.valid == (400 / g >= MIN_CORRELATED_FRAMES)


def test_a_correlated_energy_series_is_blocked_from_its_own_autocorrelation():
    # one value per frame: a slow drift of the error over the run
    rng = np.random.default_rng(4)
    ref = rng.normal(size=40)
    drift = np.cumsum(rng.normal(size=40)) * 0.05
    rmse, _ = error_estimates(ref, ref + drift, "meV/atom")
    assert not rmse.valid and "correlated frames" in rmse.verdict
    # the same errors in a random frame order look independent and are judged as before
    order = rng.permutation(40)
    shuffled, _ = error_estimates(ref[order], (ref + drift)[order], "meV/atom")
    assert shuffled.value == pytest.approx(rmse.value, rel=1e-12)
