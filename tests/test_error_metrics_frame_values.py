"""The correlation of consecutive frames measured from their forces applies to their energies.

One energy per frame cannot show a correlation between consecutive frames (over 20 frames a
lag-1 autocorrelation must exceed 4/sqrt(19) = 0.92 to be seen); the thousands of force
components of the same frames show it at once. Before, energy RRMSEs of AR(1) frames of
φ = 0.9 over 20 frames were all called valid (z-score standard deviation 1.8, one-sigma
coverage 0.25), in IntraInterErrors too, where the frames' forces were at hand. The forces
show a correlation; they do not vouch for its absence: whether the frames could show one is
judged by the energies' own values, which takes 54 frames (test_errors53_own_correlation).
"""

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from molecular_pair_model import MolecularPairModel  # noqa: E402
from test_intra_inter_errors import _frame  # noqa: E402

from mda_electrolyte.error_metrics import error_estimates  # noqa: E402
from mda_electrolyte.intra_inter_errors import IntraInterErrors  # noqa: E402


def _ar1(rng, n, phi, shape):
    e = np.empty((n, *shape))
    e[0] = rng.normal(size=shape)
    for k in range(1, n):
        e[k] = phi * e[k - 1] + np.sqrt(1 - phi**2) * rng.normal(size=shape)
    return e


def _replica(rng, n, phi):
    """Energies (model 0.8 x + 0.2 e: RRMSE sqrt(0.08)) and the frames' forces and errors."""
    x, e = _ar1(rng, n, phi, ()), _ar1(rng, n, phi, ())
    forces, errors = _ar1(rng, n, phi, (30, 3)), _ar1(rng, n, phi, (30, 3))
    return x, 0.8 * x + 0.2 * e, (errors, forces)


def test_correlated_frames_are_found_from_their_forces():
    rng = np.random.default_rng(1)
    for _ in range(40):
        x, y, forces = _replica(rng, 20, 0.9)
        for est in error_estimates(x, y, "meV/atom", frame_values=forces):
            assert not est.valid and est.verdict.startswith("correlated frames"), est


def test_independent_frames_stay_valid_and_calibrated():
    rng = np.random.default_rng(2)
    z = []
    for _ in range(150):
        # 60 frames: one energy per frame resolves a correlation from 54 frames on
        x, y, forces = _replica(rng, 60, 0.0)
        _, rr = error_estimates(x, y, "meV/atom", frame_values=forces)
        # the lag-1 tests at 4 standard errors: 150 of 150 valid measured
        assert rr.valid, rr.verdict
        z.append((rr.value - np.sqrt(0.08)) / rr.stderr)
    # measured 0.77 (0.70 over 40 frames); binomial margin over 150 replicas about ±0.08
    assert 0.58 <= np.mean(np.abs(np.array(z)) < 1) <= 0.88


def test_frame_values_of_other_frames_or_not_finite_are_refused():
    x = np.arange(5.0)
    with pytest.raises(ValueError, match="frame_values\\[0\\] of shape \\(4, 3\\) must hold values"
                                         " of the 5 frames"):
        error_estimates(x, x + 0.1, "meV/atom", frame_values=(np.ones((4, 3)),))
    bad = np.ones((5, 3))
    bad[2, 1] = np.nan
    with pytest.raises(ValueError, match="frame_values\\[0\\] contains NaN"):
        error_estimates(x, x + 0.1, "meV/atom", frame_values=(bad,))


def test_intra_inter_energy_errors_of_consecutive_frames_are_marked():
    # 24 frames of a slow trajectory: every atom displaced by an AR(1) series of φ = 0.95
    base = _frame(seed=0)
    rng = np.random.default_rng(5)
    moves = 0.05 * _ar1(rng, 24, 0.95, (len(base), 3))
    frames = []
    for k in range(24):
        atoms = base.copy()
        atoms.positions += moves[k]
        frames.append(atoms)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = IntraInterErrors(frames, MolecularPairModel(k=0.2, scale=0.9),
                             reference=MolecularPairModel(k=0.2)).run().results
    for q in ("energy", "stress"):
        for tree in (r.rmse, r.rrmse):
            est = tree["total"][q]
            assert not est.valid and "correlated frames" in est.verdict, (q, est)
