"""An error over frames is judged by the correlation its own values can show.

The forces of a frame decorrelate within tens of femtoseconds, a liquid's energy and stress far
more slowly, so independent forces say nothing of the energies of the same frames. Before, the
frames' forces (``frame_values``) "vouched" for their energies: 20 frames whose energies were
AR(1)-correlated (φ = 0.9) and whose forces were independent had energy RMSEs called valid in
every replica (z-score standard deviation 4.3, one-sigma coverage 0.20), and stresses over 7
frames in 47 % of replicas (z-score standard deviation 3.8, coverage 0.22). One value per frame
shows a correlation that makes the error bars sqrt(2) too narrow (φ = 0.577) 4 standard errors
clear of independence only from 54 frames on; the six distinct components of a stress from 14.
"""

import inspect
import math
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from molecular_pair_model import MolecularPairModel  # noqa: E402
from test_calibration import assert_calibrated  # noqa: E402
from test_intra_inter_errors import _frame  # noqa: E402

from mda_electrolyte.error_metrics import (  # noqa: E402
    _LAG1_Z,
    _RESOLVED_LAG1,
    _expected_lag1,
    error_estimates,
)
from mda_electrolyte.intra_inter_errors import IntraInterErrors  # noqa: E402

SIGMA = 0.1  # the model's error per component


def _ar1(rng, n, phi, shape):
    e = np.empty((n, *shape))
    e[0] = rng.normal(size=shape)
    for k in range(1, n):
        e[k] = phi * e[k - 1] + math.sqrt(1 - phi * phi) * rng.normal(size=shape)
    return e


def _replica(rng, kind, n, phi):
    """Reference, model, component axes, the true RMSE and independent forces of the frames."""
    forces = (SIGMA * _ar1(rng, n, 0.0, (30, 3)), _ar1(rng, n, 0.0, (30, 3)))
    if kind == "energy":
        ref, err, axes, truth = _ar1(rng, n, phi, ()), SIGMA * _ar1(rng, n, phi, ()), 0, SIGMA
    else:
        a, b = _ar1(rng, n, phi, (3, 3)), SIGMA * _ar1(rng, n, phi, (3, 3))
        # symmetric: diagonal variance 1, off-diagonal 1/2 (per entry of the nine)
        ref, err, axes = (a + a.transpose(0, 2, 1)) / 2, (b + b.transpose(0, 2, 1)) / 2, 2
        truth = SIGMA * math.sqrt((3 + 6 * 0.5) / 9)
    return ref, ref + err, axes, truth, tuple(f.reshape(n, -1) for f in forces)


def _frames_to_resolve(m):
    return next(n for n in range(3, 400) if _expected_lag1(_RESOLVED_LAG1, n)
                - _expected_lag1(0.0, n) >= _LAG1_Z / math.sqrt(m * (n - 1)))


@pytest.mark.parametrize("kind,n", [("energy", 7), ("energy", 20), ("energy", 30),
                                    ("stress", 7), ("stress", 9)])
def test_correlated_values_beside_independent_forces_are_never_valid(kind, n):
    rng = np.random.default_rng(n)
    valid = 0
    for _ in range(60):
        ref, mod, axes, _, forces = _replica(rng, kind, n, 0.9)
        rmse, rrmse = error_estimates(ref, mod, "eV", component_axes=axes, frame_values=forces)
        valid += rmse.valid + rrmse.valid
    # before: energies over 20 frames valid in every replica, stresses over 7 in 47 %
    assert valid <= 3, valid


@pytest.mark.parametrize("kind,m", [("energy", 1), ("stress", 6)])
def test_too_few_frames_of_own_values_are_refused_with_the_count_they_need(kind, m):
    needed = _frames_to_resolve(m)
    assert needed == {"energy": 54, "stress": 14}[kind]
    rng = np.random.default_rng(3)
    for n in (needed - 1, needed // 2 + 5):
        ref, mod, axes, _, forces = _replica(rng, kind, n, 0.0)
        for with_forces in ((), forces):
            for est in error_estimates(ref, mod, "eV", component_axes=axes,
                                       frame_values=with_forces):
                assert not est.valid, (n, est)
                assert est.verdict.startswith("too few frames to measure correlation"), est
                assert f"it takes {needed} frames of {m}" in est.verdict, est
    ref, mod, axes, _, forces = _replica(rng, kind, needed, 0.0)
    rmse, rrmse = error_estimates(ref, mod, "eV", component_axes=axes, frame_values=forces)
    assert rmse.valid and rrmse.valid, (rmse, rrmse)


@pytest.mark.parametrize("kind,n", [("energy", 60), ("stress", 20)])
def test_independent_frames_at_the_count_they_need_are_valid_and_calibrated(kind, n):
    rng = np.random.default_rng(11)
    z = []
    for _ in range(150):
        ref, mod, axes, truth, forces = _replica(rng, kind, n, 0.0)
        rmse, _ = error_estimates(ref, mod, "eV", component_axes=axes, frame_values=forces)
        # the lag-1 tests at 4 standard errors: no replica of 150 lost its valid error
        assert rmse.valid, rmse.verdict
        z.append((rmse.value - truth) / rmse.stderr)
    # measured standard deviation 1.05 and 1.08, coverage 0.66 and 0.66
    assert_calibrated(z, what=kind)


def test_intra_inter_energy_errors_of_few_frames_say_so_and_forces_stay_valid():
    frames = [_frame(seed=k) for k in range(24)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = IntraInterErrors(frames, MolecularPairModel(k=0.2, scale=0.9),
                             reference=MolecularPairModel(k=0.2)).run().results
    for c in ("total", "intra", "inter"):
        for tree in (r.rmse, r.rrmse):
            est = tree[c]["energy"]
            # before: the total energy's RRMSE valid, vouched for by the 24 frames' forces
            assert not est.valid, (c, est)
            assert "it takes 54 frames of 1" in " ".join(est.notes), (c, est)
    assert r.rmse["total"]["forces"].valid, r.rmse["total"]["forces"]


def test_diagnose_compares_enough_frames_for_an_energy_error_by_default():
    from mda_electrolyte.diagnose import diagnose

    default = inspect.signature(diagnose).parameters["max_error_frames"].default
    # before: 20, where no energy error could be valid
    assert default >= _frames_to_resolve(1)
