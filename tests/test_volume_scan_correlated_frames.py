"""Scans of consecutive, correlated frames: their error over frames is not that of independent ones.

``scan_estimates`` took every scanned frame as an independent sample. Frames spread over a run
(``electrolyte analyze``, ``diagnose``) are; ``scan.run(stop=80)`` of a finely written MD is not:
AR(1) frames of lag-1 correlation 0.9 gave errors several times too small, every one marked
valid. The rows (in frame order) are now judged by ``error_metrics.frame_blocks`` (a lag-1
correlation beyond 4 standard errors), averaged in blocks and marked when too few independent
frames remain. Over fewer than about 40 frames one value per frame cannot show the correlation
(the docstring says so); independent frames stay valid and calibrated.
"""

import numpy as np

from mda_electrolyte.volume_scan import scan_estimates


def _ar1(rng, n, phi):
    x = np.empty(n)
    x[0] = rng.normal()
    for k in range(1, n):
        x[k] = phi * x[k - 1] + np.sqrt(1 - phi**2) * rng.normal()
    return x


def _replicas(phi, n=80, replicas=100, seed=11):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(replicas):
        x = _ar1(rng, n, phi)
        # two scale factors: E_inter at s = 1.5 follows the one at s = 1 (true mean 0)
        values = np.stack([x, 0.3 * x + 0.05 * rng.normal(size=n)], axis=1)
        out.append(scan_estimates(values, [1.0, 1.5])["1"])
    return out


def test_correlated_frames_are_no_longer_valid_samples():
    estimates = _replicas(0.9)
    valid = [e for e in estimates if e.valid]
    # taken as independent, all 100 were valid with |z| up to ~6; now (measured) none of 200
    assert len(valid) <= 10
    marked = [e for e in estimates if not e.valid]
    assert all("correlated frames" in e.verdict for e in marked)
    assert all(np.isfinite(e.value) for e in estimates)


def test_independent_frames_stay_valid_and_calibrated():
    estimates = _replicas(0.0)
    valid = [e for e in estimates if e.valid]
    assert len(valid) >= 97
    z = np.array([e.value / e.stderr for e in valid])
    # t-scaled errors of 79 degrees of freedom: |z| > 2 in 4.9 % (binomial 4-sigma margin)
    assert np.sum(np.abs(z) > 2.0) <= 14
    assert np.sum(np.abs(z) > 1.0) >= 20  # errors not inflated either (expected ~32)


def test_a_trend_over_every_frame_is_one_block_and_no_error():
    values = np.stack([np.linspace(-5.0, -3.0, 40), np.linspace(-2.0, -1.0, 40)], axis=1)
    est = scan_estimates(values, [1.0, 1.5])
    for key, column in zip(("1", "1.5"), values.T, strict=True):
        assert not est[key].valid and "correlated frames" in est[key].verdict
        assert est[key].value == np.mean(column)
    # five frames spread over a run (the default) are not judged: they cannot show it
    assert scan_estimates(values[::8], [1.0, 1.5])["1"].valid
