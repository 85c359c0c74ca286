"""A model equal to its reference has errors of exactly 0 ± 0, valid, however its frames are
correlated (the frames' forces merged 61 correlated frames into one block, and the RMSE of
energies came out 0 ± NaN, refused as a valid Estimate with an unknown error)."""
import math

import numpy as np
import pytest

from mda_electrolyte.error_metrics import error_estimates


def _correlated_forces(n_frames, n_atoms, phi, seed):
    rng = np.random.default_rng(seed)
    x = np.empty((n_frames, n_atoms, 3))
    x[0] = rng.normal(size=(n_atoms, 3))
    for k in range(1, n_frames):
        x[k] = phi * x[k - 1] + math.sqrt(1 - phi ** 2) * rng.normal(size=(n_atoms, 3))
    return x


@pytest.mark.parametrize("n_frames", [5, 12, 61])
@pytest.mark.parametrize("phi", [0.0, 0.99])
@pytest.mark.parametrize("quantity", ["energy", "forces", "stress"])
def test_a_perfect_model_has_an_exact_zero_error(n_frames, phi, quantity):
    forces = _correlated_forces(n_frames, 32, phi, seed=n_frames)
    rng = np.random.default_rng(7)
    ref, axes = {
        "energy": (np.cumsum(rng.normal(size=n_frames)), 0),
        "forces": (forces, 1),
        "stress": (rng.normal(scale=1e-3, size=(n_frames, 3, 3)), 2),
    }[quantity]
    frame_values = (np.zeros_like(forces), forces)
    rmse, rrmse = error_estimates(ref, ref.copy(), "eV", component_axes=axes,
                                  frame_values=frame_values)
    assert (rmse.value, rmse.stderr) == (0.0, 0.0)
    assert rmse.converged, rmse.notes
    assert (rrmse.value, rrmse.stderr) == (0.0, 0.0)
    assert rrmse.converged, rrmse.notes
    # an interval of an exact zero is the point
    assert rmse.interval(0.95) == (0.0, 0.0)


def test_a_model_off_by_a_little_in_correlated_frames_is_still_refused_as_correlated():
    # the exact case must not hide the correlated one: the same frames with a small error
    forces = _correlated_forces(61, 32, 0.99, seed=3)
    err = 1e-3 * _correlated_forces(61, 32, 0.99, seed=4)
    rmse, _ = error_estimates(forces, forces + err, "eV/Å", component_axes=1,
                              frame_values=(err, forces))
    assert rmse.value > 0
    assert not rmse.converged
    assert any("correlated" in n for n in rmse.notes), rmse.notes
