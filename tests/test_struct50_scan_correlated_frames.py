"""Volume scans judge the correlation of their frames by the molecules' orientations.

The error over scanned frames was taken as over independent samples unless the energies
themselves showed a lag-1 correlation beyond 4 standard errors, which one series of under
~25 frames never does: 20 consecutive frames of 8 water molecules whose orientations and
centres follow an AR(1) process (φ = 0.9) were called valid in 29 of 30 replicas, with
errors of 10 meV/atom where the means of the replicas scattered by 53. The scan now keeps
the orientation offsets of its molecules (``results.orientations``, thousands of values in
a liquid) and takes the statistical inefficiency of the frames from them too
(``frame_blocks(proxies=...)``): those runs are "correlated frames", not valid (0 of 30),
and so is the minimum's jackknife; independent frames stay valid with the plain t-scaled
standard error, and frames too few for their values to show a correlation are "too few
frames to measure correlation".
"""

import warnings

import numpy as np
import pytest
from ase import Atoms
from ase.build import molecule
from ase.calculators.lj import LennardJones
from scipy.spatial.transform import Rotation

from mda_electrolyte.uncertainty import mean_error
from mda_electrolyte.volume_scan import RigidVolumeScan, scan_estimates, scan_minimum


def _waters(n_frames, phi, seed, side=2, spacing=3.4):
    """Frames of side³ waters on a lattice; orientations and centre offsets AR(1) with lag-1
    correlation ``phi`` over frames (independent frames for 0)."""
    rng = np.random.default_rng(seed)
    sites = np.array([[i, j, k] for i in range(side) for j in range(side)
                      for k in range(side)], float) * spacing + spacing / 2
    n = len(sites)
    water = molecule("H2O")
    offsets = water.positions - water.get_center_of_mass()
    rot = Rotation.random(n, random_state=seed)
    shift = rng.normal(scale=0.25, size=(n, 3))
    frames = []
    for _ in range(n_frames):
        positions = np.concatenate([sites[j] + shift[j] + rot[j].apply(offsets)
                                    for j in range(n)])
        atoms = Atoms("OHH" * n, positions=positions, cell=[side * spacing] * 3, pbc=True)
        atoms.arrays["molecule_index"] = np.repeat(np.arange(n), 3)
        atoms.wrap()
        frames.append(atoms)
        if phi == 0:
            rot = Rotation.random(n, random_state=int(rng.integers(1 << 30)))
        else:
            step = rng.normal(scale=np.radians(25.0) * np.sqrt(1 - phi**2), size=(n, 3))
            rot = Rotation.from_rotvec(step) * rot
        shift = phi * shift + np.sqrt(1 - phi**2) * rng.normal(scale=0.25, size=(n, 3))
    return frames


def _scan(frames):
    calc = LennardJones(sigma=1.4, epsilon=0.01, rc=5.0, smooth=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return RigidVolumeScan(frames, calc, scales=[1.0, 1.1], keep_frames=False).run()


@pytest.mark.parametrize("seed", [0, 1])
def test_consecutive_correlated_frames_are_not_called_independent(seed):
    r = _scan(_waters(20, 0.9, seed)).results
    assert r.orientations.shape == (20, 24 * 3)
    # (rigid waters have one intramolecular energy: "no scatter")
    for component in ("total", "inter"):
        for est in r.estimates[component].values():
            assert not est.valid, component
            assert "correlated frames: 20 frames correlated over" in est.verdict


def test_independent_frames_keep_the_plain_error_over_frames():
    r = _scan(_waters(8, 0.0, 3)).results
    for k, s in enumerate(r.scales):
        est = r.estimates["inter"][f"{s:g}"]
        assert est.valid, est.verdict
        assert est.n_samples == 8 and est.dof == 7
        mean, err, _ = mean_error(r.inter[:, k])
        assert est.value == pytest.approx(mean, rel=1e-12)
        assert est.stderr == pytest.approx(err, rel=1e-12)


def test_frames_too_few_for_their_values_to_show_a_correlation():
    # one molecule of three atoms (9 values) over 6 frames: a correlation that makes the
    # error bars sqrt(2) too narrow would not stand out of the scatter
    frames = _waters(6, 0.0, 4, side=1, spacing=6.0)
    r = _scan(frames).results
    est = r.estimates["total"]["1"]
    assert not est.valid
    assert "too few frames to measure correlation: 6 scanned frames of 9 orientation" \
        in est.verdict


def _curves(n_frames, rng, noise):
    scales = np.linspace(0.85, 1.25, 9)
    base = 400.0 * (scales - 1.03) ** 2
    total = base + noise * rng.normal(size=(n_frames, 1)) + 0.01 * rng.normal(
        size=(n_frames, scales.size))
    volumes = np.tile(1000.0 * scales**3, (n_frames, 1))
    return scales, volumes, total


@pytest.mark.parametrize("phi,verdict", [(0.95, "correlated frames"), (0.0, None)])
def test_the_minimum_and_the_means_take_the_correlation_of_frame_values(phi, verdict):
    rng = np.random.default_rng(5)
    n = 30
    proxy = np.zeros((n, 500))
    proxy[0] = rng.normal(size=500)
    for k in range(1, n):
        proxy[k] = phi * proxy[k - 1] + np.sqrt(1 - phi**2) * rng.normal(size=500)
    scales, volumes, total = _curves(n, rng, noise=0.5)
    minimum = scan_minimum(scales, volumes, total, 24, frame_values=proxy)
    means = scan_estimates(total, scales, frame_values=proxy)
    # without frame_values, the same rows pass as independent (their columns show nothing)
    plain = scan_minimum(scales, volumes, total, 24)
    assert plain["scale"].valid
    for est in (minimum["scale"], minimum["bulk_modulus"], means["1"]):
        if verdict is None:
            assert est.valid, est.verdict
        else:
            assert not est.valid and verdict in est.verdict
    if verdict is None:
        assert minimum["scale"].stderr == plain["scale"].stderr


@pytest.mark.parametrize("bad,message", [
    (np.zeros((4, 3)), r"frame_values of shape \(4, 3\) must hold one row of finite values "
                       "for each of the 5 frames"),
    (np.full((5, 3), np.nan), r"frame_values of shape \(5, 3\) must hold one row of finite"),
    ([["a"] * 3] * 5, "frame_values must be real numbers")])
def test_frame_values_of_other_frames_are_refused(bad, message):
    values = np.arange(10.0).reshape(5, 2)
    with pytest.raises(ValueError, match=message):
        scan_estimates(values, [1.0, 1.1], frame_values=bad)
