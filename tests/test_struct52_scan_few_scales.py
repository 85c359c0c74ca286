"""A scan of fewer scale factors than a fit of its minimum needs says so.

``scan_minimum`` judged the curve before counting its points: a scan of ``s = 1`` alone spans
0 meV/atom and its minimum was 'flat: ... no molecule is within the model's reach of another
or of an image (a box of one molecule, a model without intermolecular terms)' for two waters
3 Å apart under Lennard-Jones, a fault of the model named where the scan was too short; with
two to four scale factors the verdict depended on where the lowest one fell. Every scan of
fewer than MIN_MINIMUM_POINTS factors now has no minimum because of that, whatever its curve;
from MIN_MINIMUM_POINTS on the curve is judged as before.
"""

import warnings

import numpy as np
import pytest
from ase.calculators.lj import LennardJones
from test_struct50_parallel_parts import _frames

from mda_electrolyte import RigidVolumeScan
from mda_electrolyte.volume_scan import MIN_MINIMUM_POINTS, scan_minimum

V1 = 1000.0
S0 = 1.02


def _curves(scales, shape, n_frames=8, seed=0):
    rng = np.random.default_rng(seed)
    s = np.asarray(scales, dtype=float)
    curve = {"well": 400.0 * (s - S0) ** 2 - 50.0,
             "flat": np.full(s.size, -50.0),
             "falling": -30.0 * s}[shape]
    # a flat curve: each frame's energy the same at every s (no intermolecular terms)
    total = curve + rng.normal(0.0, 0.05, (n_frames, 1 if shape == "flat" else s.size))
    volumes = np.tile(V1 * s**3, (n_frames, 1))
    return volumes, total


FEW = [[1.0], [0.95, 1.05], [0.9, 1.0, 1.1], [0.9, 1.0, 1.05, 1.1]]


@pytest.mark.parametrize("scales", FEW, ids=lambda s: f"{len(s)}_scales")
@pytest.mark.parametrize("shape", ["well", "flat", "falling"])
def test_fewer_scale_factors_than_the_fit_needs_is_the_reason(scales, shape):
    volumes, total = _curves(scales, shape)
    minimum = scan_minimum(scales, volumes, total, 100)
    for est in minimum.values():
        assert not est.valid
        assert np.isnan(est.value)
        assert est.notes[0].startswith(f"too few points: {len(scales)} scale factor")
        assert "scanned in all" in est.notes[0]
        assert f"at least {MIN_MINIMUM_POINTS}" in est.notes[0]
        assert "model's reach" not in est.verdict


@pytest.mark.parametrize("shape,found", [("well", True), ("flat", False), ("falling", False)])
def test_from_enough_scale_factors_the_curve_is_judged_as_before(shape, found):
    scales = [0.9, 0.95, 1.0, 1.05, 1.1, 1.2, 1.35]
    volumes, total = _curves(scales, shape)
    minimum = scan_minimum(scales, volumes, total, 100)
    if found:
        assert minimum["scale"].valid
        assert abs(minimum["scale"].value - S0) < 3 * minimum["scale"].stderr + 1e-3
    else:
        assert not minimum["scale"].valid
        assert "scanned in all" not in minimum["scale"].verdict
        assert ("flat" if shape == "flat" else "outside the scanned range") in \
            minimum["scale"].verdict


def test_a_scan_of_one_scale_does_not_blame_the_model():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        scan = RigidVolumeScan(_frames(), LennardJones(sigma=1.0, rc=4.0), scales=[1.0]).run()
    # the molecules are within the model's reach: their intermolecular energy is not zero
    assert np.all(np.abs(scan.results.inter) > 1.0)
    assert scan.results.minimum["scale"].verdict.startswith(
        "too few points: 1 scale factor scanned in all")
