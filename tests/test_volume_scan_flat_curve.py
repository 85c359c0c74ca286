"""A scan whose energy does not change with s has no minimum: it is named flat.

A box of one molecule out of its images' reach (or a model without intermolecular terms)
gives E(s) constant up to rounding; the cubic about the lowest point of that noise gave
s0 = 0.93-1.09 with B0 ~ 1e-15 GPa, marked 'poor fit' or 'minimum outside the scanned range;
extend the scales', neither of which is the reason nor the cure.
"""

import numpy as np
import pytest
from ase.build import molecule
from ase.calculators.lj import LennardJones

from mda_electrolyte import RigidVolumeScan
from mda_electrolyte.volume_scan import FLAT_SPAN, scan_minimum

SCALES = np.linspace(0.9, 1.1, 9)


def _lone_waters(seed, n_frames=6, side=8.0):
    rng = np.random.default_rng(seed)
    frames = []
    for _ in range(n_frames):
        water = molecule("H2O")
        water.rotate(rng.uniform(0, 360), rng.normal(size=3))
        water.positions += rng.normal(0.0, 0.02, (3, 3))
        water.cell = [side] * 3
        water.pbc = True
        water.center()
        water.arrays["molecule_index"] = np.zeros(3, dtype=int)
        frames.append(water)
    return frames


@pytest.mark.parametrize("seed", [0, 3, 4])
def test_a_box_of_one_molecule_beyond_its_images_reach_has_no_minimum(seed):
    # LJ of 3 Å cutoff: the images are 8·0.9 - 1.5 Å > 3 Å apart at every factor
    model = LennardJones(sigma=1.0, epsilon=0.01, rc=3.0, smooth=True)
    scan = RigidVolumeScan(_lone_waters(seed), model, scales=SCALES).run()
    assert np.ptp(scan.results.inter) == 0.0 or np.max(np.abs(scan.results.inter)) < 1e-9
    for est in scan.results.minimum.values():
        assert not est.valid and np.isnan(est.value)
        assert "flat: the energy does not change with s" in est.verdict
        assert "poor fit" not in est.verdict and "extend the scales" not in est.verdict


@pytest.mark.parametrize("level", [0.0, -5000.0, 1e4])
def test_rounding_noise_about_any_level_is_flat(level):
    rng = np.random.default_rng(1)
    total = level + 1e-13 * max(abs(level), 1.0) * rng.normal(size=(6, SCALES.size))
    volumes = np.tile(500.0 * SCALES**3, (6, 1))
    m = scan_minimum(SCALES, volumes, total, 3)
    assert all("flat" in est.verdict and np.isnan(est.value) for est in m.values())


def test_a_shallow_well_just_above_rounding_is_still_fitted():
    # a span of 100 × FLAT_SPAN of the level: a curve, its minimum found and valid
    level, s0 = -5000.0, 1.01
    a = 100 * FLAT_SPAN * abs(level) / np.ptp((SCALES - s0) ** 2)
    # frames whose wells differ by 5 % in depth (identical frames have no error over them)
    depth = 1.0 + 0.05 * np.random.default_rng(2).normal(size=(6, 1))
    total = level + a * depth * (SCALES - s0) ** 2
    m = scan_minimum(SCALES, np.tile(500.0 * SCALES**3, (6, 1)), total, 3)
    assert m["scale"].valid and m["scale"].value == pytest.approx(s0, abs=1e-6)
