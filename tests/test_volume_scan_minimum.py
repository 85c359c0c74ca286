"""The rigid-molecule equation of state of a volume scan: s0 and B0 with errors and verdicts."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_volume_scan import _box, _model  # noqa: E402

from mda_electrolyte import RigidVolumeScan  # noqa: E402
from mda_electrolyte.volume_scan import DEFAULT_SCALES, scan_minimum  # noqa: E402

N_ATOMS, V1 = 100, 1000.0
EV_PER_A3_IN_GPA = 160.21766339999996


def _curves(scales, s0, a, b, n_frames=6, noise=0.0, seed=0):
    """Energies (meV/atom) a (s − s0)² + b (s − s0)³ per frame, s0 jittered by ``noise``."""
    rng = np.random.default_rng(seed)
    scales = np.asarray(scales)
    shifts = s0 + noise * rng.normal(size=(n_frames, 1))
    total = a * (scales - shifts) ** 2 + b * (scales - shifts) ** 3 - 50.0
    volumes = np.tile(V1 * scales**3, (n_frames, 1))
    return total, volumes


def test_an_analytic_well_gives_its_minimum_and_curvature():
    scales = np.linspace(0.85, 1.25, 9)
    total, volumes = _curves(scales, 1.03, a=400.0, b=-300.0)
    m = scan_minimum(scales, volumes, total, N_ATOMS)
    assert m["scale"].value == pytest.approx(1.03, abs=1e-9)
    # B0 = E''(s0) / (9 s0 V1) with E'' = 2a meV/atom of 100 atoms
    expect = 2 * 400.0 * N_ATOMS / 1000.0 / (9 * 1.03 * V1) * EV_PER_A3_IN_GPA
    assert m["bulk_modulus"].value == pytest.approx(expect, rel=1e-9)
    assert m["bulk_modulus"].unit == "GPa"
    # identical frames: exact values, but no scatter to give an error over frames (they were
    # valid ± 0; eos26)
    assert not m["scale"].valid and "no scatter" in m["scale"].verdict


def test_the_error_over_frames_is_calibrated_over_replicas():
    scales = np.linspace(0.85, 1.25, 9)
    z = []
    for seed in range(200):
        total, volumes = _curves(scales, 1.03, a=400.0, b=-300.0, n_frames=8, noise=0.01,
                                 seed=seed)
        est = scan_minimum(scales, volumes, total, N_ATOMS)["scale"]
        assert est.valid
        z.append((est.value - 1.03) / est.stderr)
    z = np.array(z)
    assert 0.7 < z.std() < 1.35
    assert 0.55 <= np.mean(np.abs(z) < 1) <= 0.85


@pytest.mark.parametrize("scales, s0, reason", [
    (np.linspace(0.85, 1.0, 6), 1.1, "minimum outside the scanned range"),
    (np.linspace(1.05, 1.3, 6), 0.95, "minimum outside the scanned range"),
    ([0.95, 1.0, 1.05, 1.1], 1.01, "too few points"),
])
def test_a_minimum_that_the_scan_does_not_bracket_is_not_a_result(scales, s0, reason):
    total, volumes = _curves(scales, s0, a=400.0, b=0.0)
    for est in scan_minimum(scales, volumes, total, N_ATOMS).values():
        assert not est.valid and reason in est.verdict and np.isnan(est.value)


def test_a_curve_a_cubic_does_not_describe_is_a_poor_fit():
    scales = np.linspace(0.85, 1.15, 7)
    total = np.tile(300.0 * np.abs(scales - 1.0) - 50.0, (6, 1))  # a kink
    total[:, 3] -= 5.0
    m = scan_minimum(scales, np.tile(V1 * scales**3, (6, 1)), total, N_ATOMS)
    assert not m["scale"].valid and "poor fit" in m["scale"].verdict


def test_few_frames_and_non_finite_energies_are_marked():
    scales = np.linspace(0.85, 1.25, 9)
    total, volumes = _curves(scales, 1.03, a=400.0, b=0.0, n_frames=3, noise=0.01)
    assert "too few frames" in scan_minimum(scales, volumes, total, N_ATOMS)["scale"].verdict
    one = scan_minimum(scales, volumes[:1], total[:1], N_ATOMS)["scale"]
    assert not one.valid and one.value == pytest.approx(1.03, abs=0.05)
    total[1, 2] = np.nan
    assert "not finite" in scan_minimum(scales, volumes, total, N_ATOMS)["scale"].verdict


def test_a_scan_reports_the_minimum_of_its_own_curve():
    frames = [_box(seed)[0] for seed in range(2)]
    scan = RigidVolumeScan(frames, _model(), reference=_model(sigma=2.4)).run()
    r = scan.results
    for prefix in ("", "reference_"):
        again = scan_minimum(r.scales, r.volumes, r[prefix + "total"], len(frames[0]),
                             frame_values=r.orientations)
        got = r[prefix + "minimum"]
        assert set(got) == {"scale", "bulk_modulus"}
        for key in got:
            assert got[key].verdict == again[key].verdict
            np.testing.assert_equal(got[key].value, again[key].value)
    # two frames: no valid error over frames, whatever the curve
    assert not r.minimum["scale"].valid
    assert tuple(r.scales) == DEFAULT_SCALES
