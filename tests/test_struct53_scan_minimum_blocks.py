"""scan_minimum's Estimates over correlated frames carry the blocks' degrees of freedom.

The jackknife over blocks of consecutive correlated frames is t-scaled by the number of
blocks (:func:`mda_electrolyte.uncertainty.jackknife_error`); the Estimate said ``dof`` =
frames - 1 and "jackknife over frames", so its intervals took the t quantile of 199 degrees
of freedom where 18 blocks hold 17 (``scan_estimates`` of the same table said 17).
"""

import numpy as np
import pytest

from mda_electrolyte.volume_scan import scan_estimates, scan_minimum

SCALES = np.array([0.94, 0.96, 0.98, 1.0, 1.02, 1.04, 1.06, 1.08])
S0, V1, N_ATOMS = 1.01, 1000.0, 300


def _table(n_frames, phi, seed):
    """Scans whose frames follow an AR(1) of lag-1 correlation ``phi`` about a parabola in s."""
    rng = np.random.default_rng(seed)
    x = np.zeros(n_frames)
    for i in range(1, n_frames):
        x[i] = phi * x[i - 1] + rng.normal()
    curve = 5000.0 * (SCALES - S0) ** 2
    total = (curve[None, :] + 0.5 * x[:, None] * (1 + 3 * (SCALES - 1))[None, :]
             + 0.05 * rng.normal(size=(n_frames, SCALES.size)))
    volumes = np.outer(np.full(n_frames, V1), SCALES**3)
    return volumes, total


@pytest.mark.parametrize(("n_frames", "phi", "seed"),
                         [(200, 0.6, 0), (200, 0.5, 1), (300, 0.7, 2), (120, 0.6, 3)])
def test_correlated_frames_dof_of_blocks(n_frames, phi, seed):
    volumes, total = _table(n_frames, phi, seed)
    minimum = scan_minimum(SCALES, volumes, total, N_ATOMS)
    # the same table's blocks, as scan_estimates counts them
    blocks = scan_estimates(total, SCALES)["1"]
    assert blocks.dof is not None and blocks.dof < n_frames - 1, "frames not found correlated"
    for name in ("scale", "bulk_modulus"):
        est = minimum[name]
        assert np.isfinite(est.stderr)
        assert est.dof == blocks.dof
        assert f"{int(blocks.dof) + 1} blocks" in est.method
        # the interval takes the blocks' t quantile: wider than the frames' one
        if est.valid:
            low, high = est.interval(0.95)
            assert (high - low) / 2 / est.stderr > 1.96 * 1.01


@pytest.mark.parametrize("n_frames", [6, 12, 40])
def test_independent_frames_dof_of_frames(n_frames):
    volumes, total = _table(n_frames, 0.0, 7)
    minimum = scan_minimum(SCALES, volumes, total, N_ATOMS)
    for est in minimum.values():
        assert est.dof == n_frames - 1
        assert "over frames" in est.method


def test_bulk_modulus_of_a_harmonic_well():
    # E(V) = B0 (V - V0)^2 / (2 V0) per frame: the fitted B0 is the one put in
    b0_gpa = 2.5
    v0 = V1 * S0**3
    b0 = b0_gpa / 160.21766208  # eV/Å^3
    rng = np.random.default_rng(4)
    n_frames = 8
    volumes = np.outer(np.full(n_frames, V1), SCALES**3)
    energy = b0 * (volumes - v0) ** 2 / (2 * v0) * 1000.0 / N_ATOMS  # meV/atom
    total = energy + 1e-4 * rng.normal(size=energy.shape)
    m = scan_minimum(SCALES, volumes, total, N_ATOMS)
    assert m["scale"].value == pytest.approx(S0, abs=2e-4)
    # a cubic in s about the minimum of a parabola in V: within its curvature's change
    assert m["bulk_modulus"].value == pytest.approx(b0_gpa, rel=0.02)
