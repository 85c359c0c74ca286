"""IntraInterErrors analyses a shuffled frame selection as the sorted one.

Its error bars are over blocks of consecutive frames, and the correlation of consecutive frames
is read from running sums in the order the frames are analysed: a shuffled ``frames=`` made a
trajectory correlated over about 5 frames look independent (force RMSE error 0.048 eV/Å,
valid, where the same frames sorted give 0.076 eV/Å over 2 blocks, not valid), although the
model diagnostics are documented to take a shuffled selection as the sorted one
(test_frame_selections).
"""

import numpy as np
import pytest
from ase.build import molecule
from ase.calculators.lj import LennardJones

from mda_electrolyte import IntraInterErrors

N_FRAMES = 24

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.fixture(scope="module")
def frames():
    """Four waters whose atoms follow an AR(1) walk of lag-1 correlation 0.9."""
    base = molecule("H2O")
    for k in range(1, 4):
        other = molecule("H2O")
        other.positions += [3.1 * (k % 2), 3.1 * (k // 2), 0.2 * k]
        base += other
    base.arrays["molecule_index"] = np.repeat(np.arange(4), 3)
    rng = np.random.default_rng(0)
    shift, out = np.zeros((12, 3)), []
    for _ in range(N_FRAMES):
        shift = 0.9 * shift + rng.normal(0.0, 0.02, shift.shape)
        atoms = base.copy()
        atoms.positions += shift
        out.append(atoms)
    return out


def _run(trajectory, **kwargs):
    model = LennardJones(sigma=1.0, epsilon=0.01, rc=5.0, smooth=True)
    reference = LennardJones(sigma=1.0, epsilon=0.012, rc=5.0, smooth=True)
    return IntraInterErrors(trajectory, model, reference=reference,
                            quantities=["forces"]).run(**kwargs).results


@pytest.fixture(scope="module")
def in_order(frames):
    return _run(frames)


SHUFFLES = {
    "permutation": list(np.random.default_rng(1).permutation(N_FRAMES)),
    "two frames swapped": [0, 1, 3, 2] + list(range(4, N_FRAMES)),
    "back then forth": [5, 4, 3, 2, 1, 0] + list(range(6, N_FRAMES)),
    "even then odd": list(range(0, N_FRAMES, 2)) + list(range(1, N_FRAMES, 2)),
    "negative indices": [-1 - k for k in np.random.default_rng(2).permutation(N_FRAMES)],
    "backwards": list(range(N_FRAMES))[::-1],
}


def _same(a, b):
    assert a.value == pytest.approx(b.value, rel=1e-12)
    assert a.stderr == pytest.approx(b.stderr, rel=1e-9, nan_ok=True)
    assert (a.method, a.verdict, a.dof) == (b.method, b.verdict, b.dof)


def test_the_frames_in_order_are_found_correlated(in_order):
    rmse = in_order.rmse["total"]["forces"]
    assert "blocks of consecutive frames" in rmse.method
    assert not rmse.converged and "correlated frames" in rmse.verdict


@pytest.mark.parametrize("name", sorted(SHUFFLES))
def test_a_shuffled_selection_gives_the_errors_of_the_frames_in_order(frames, in_order, name):
    shuffled = _run(frames, frames=SHUFFLES[name])
    for c in ("total", "trans", "rot", "vib"):
        _same(shuffled.rmse[c]["forces"], in_order.rmse[c]["forces"])
        _same(shuffled.rrmse[c]["forces"], in_order.rrmse[c]["forces"])
    for element, fit in in_order.softening.items():
        _same(shuffled.softening[element], fit)
