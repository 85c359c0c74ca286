"""Unwrapping when the box changes every frame (NPT) follows MDAnalysis' NoJump.

A barostat that scales coordinates with the box keeps each particle's fractional track
continuous; the engine's unwrapped positions are that track times each frame's box. Summing
minimum-image steps in Å instead added every image's share of each box change: D of 16 ions
wandering across a 20 Å box that fluctuates by 2 % per frame came out 0.5154 Å²/ps from wrapped
input against 0.4965 from the same run unwrapped, and molecules cut by the boundary were
stretched by the box's change. Here the wrapped and unwrapped inputs of one run must give the
same numbers, also when the run is read in several parts, and ``unwrap_trajectory`` must equal
MDAnalysis' own ``NoJump`` (Kulke & Vermaas 2022) on a triclinic box changing shape.
"""

import warnings

import numpy as np
import pytest
from MDAnalysis.lib.mdamath import triclinic_vectors
from MDAnalysis.transformations import NoJump
from transport_data import IONS, salt_universe

from mda_electrolyte import Diffusion, OnsagerCoefficients
from mda_electrolyte.carriers import unwrap_trajectory

DT = 0.1  # ps
L0 = 20.0  # Å


def _npt_run(seed, n_cations=8, n_frames=400, d=0.5, spread=0.02, drift=0.0):
    """Fractional tracks of Brownian ions (D = ``d`` Å²/ps) in a cubic box whose side
    fluctuates by ``spread`` per frame and shrinks by ``drift`` over the run; anions are
    two atoms 1.5 Å apart. Returns (unwrapped, wrapped positions, boxes)."""
    rng = np.random.default_rng(seed)
    n_ions = 2 * n_cations
    side = L0 * (1 - drift * np.linspace(0, 1, n_frames)) * (1 + spread * rng.normal(size=n_frames))
    steps = rng.normal(scale=np.sqrt(2 * d * DT), size=(n_frames, n_ions, 3)) / L0
    # the run starts inside the box, as an engine's unwrapped track does (NoJump, like any
    # fractional unwrapping, keeps the images of frame 0: a track starting one box further
    # out scales with the box by one box more)
    steps[0] = 0.0
    # ions start on a 4 x 2 x 2 grid, 5 Å apart at least: no pair looks bonded at frame 0; the
    # last anion is cut by the boundary at frame 0 (its second atom lies beyond it)
    grid = np.stack(np.meshgrid(np.arange(4) / 4, np.arange(2) / 2, np.arange(2) / 2,
                                indexing="ij"), axis=-1).reshape(-1, 3)
    grid[n_ions - 1, 0] = 0.97
    ions = grid[:n_ions] + 0.02 * (grid[:n_ions] < 0.9) + np.cumsum(steps, axis=0)
    second = ions[:, n_cations:] + np.array([1.5 / L0, 0.0, 0.0])
    frac = np.concatenate([ions, second], axis=1)
    # atom order of salt_universe: cations, then each anion's atoms A, B in turn
    order = np.concatenate([np.arange(n_cations),
                            np.column_stack([np.arange(n_cations, n_ions),
                                             np.arange(n_ions, n_ions + n_cations)]).ravel()])
    frac = frac[:, order]
    unwrapped = frac * side[:, None, None]
    wrapped = (frac % 1.0) * side[:, None, None]
    boxes = np.column_stack([side, side, side, np.full((n_frames, 3), 90.0)])
    return unwrapped, wrapped, boxes


def _universe(positions, boxes, n_cations=8):
    u = salt_universe(np.zeros_like(positions), positions, n_cations=n_cations, dt=DT,
                      anion_atoms=2, box=L0)
    u.trajectory.dimensions_array[:] = boxes
    return u


def _results(cls, positions, boxes, unwrap, **run):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kw = {"temperature": 300.0} if cls is OnsagerCoefficients else {}
        return cls(_universe(positions, boxes), IONS, unwrap=unwrap, **kw).run(**run).results


@pytest.mark.parametrize("drift", [0.0, 0.08])
def test_wrapped_and_unwrapped_input_give_the_same_diffusion(drift):
    unwrapped, wrapped, boxes = _npt_run(3, drift=drift)
    # the wrapped copy really is wrapped: molecules cut, ions far from their track
    assert np.abs(wrapped - unwrapped).max() > L0
    plain = _results(Diffusion, unwrapped, boxes, unwrap=False)
    for positions in (unwrapped, wrapped):
        res = _results(Diffusion, positions, boxes, unwrap=True)
        for name in IONS:
            np.testing.assert_allclose(res.msd[name], plain.msd[name], rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(res.D[name], plain.D[name], rtol=1e-5)
            np.testing.assert_allclose(res.D_err[name], plain.D_err[name], rtol=1e-4)


def test_onsager_coefficients_of_wrapped_input_are_those_of_the_unwrapped_run():
    # a volume spread of 3 %, under the conductivities' 5 % limit
    unwrapped, wrapped, boxes = _npt_run(5, spread=0.01, drift=0.02)
    plain = _results(OnsagerCoefficients, unwrapped, boxes, unwrap=False)
    res = _results(OnsagerCoefficients, wrapped, boxes, unwrap=True)
    np.testing.assert_allclose(res.L, plain.L, rtol=1e-4, atol=1e-9 * np.abs(plain.L).max())


def test_a_run_read_in_parts_is_joined_as_one_pass():
    # parts begin with wrapped frames of molecules cut by the boundary, in a changing box
    _, wrapped, boxes = _npt_run(7, drift=0.05)
    one = _results(Diffusion, wrapped, boxes, unwrap=True)
    parts = _results(Diffusion, wrapped, boxes, unwrap=True, backend="multiprocessing",
                     n_workers=2, n_parts=3)
    for name in IONS:
        np.testing.assert_allclose(parts.msd[name], one.msd[name], rtol=1e-9, atol=1e-9)
        assert parts.verdict[name] == one.verdict[name]


def test_unwrap_trajectory_is_mdanalysis_nojump_in_a_changing_triclinic_box():
    rng = np.random.default_rng(11)
    n_frames, n = 200, 12
    lengths = np.array([14.0, 16.0, 18.0]) * (1 + 0.03 * rng.normal(size=(n_frames, 1)))
    angles = np.array([80.0, 95.0, 70.0]) + 2.0 * rng.normal(size=(n_frames, 3))
    boxes = np.column_stack([lengths, angles])
    h = np.array([triclinic_vectors(b) for b in boxes])
    steps = rng.normal(scale=0.05, size=(n_frames, n, 3))
    steps[0] = 0.0  # frame 0 inside the box: the unwrapped track starts there
    frac = rng.random((n, 3)) + np.cumsum(steps, axis=0)
    wrapped = np.einsum("tnj,tjk->tnk", frac % 1.0, h)
    expected = np.einsum("tnj,tjk->tnk", frac, h)

    u = salt_universe(np.zeros((n_frames, n, 3)), wrapped, n_cations=n // 2, dt=DT)
    u.trajectory.dimensions_array[:] = boxes
    u.trajectory.add_transformations(NoJump())
    nojump = np.array([ts.positions.copy() for ts in u.trajectory])

    ours = unwrap_trajectory(wrapped, boxes)
    np.testing.assert_allclose(ours, expected, atol=1e-9)
    # NoJump works in float32; its track starts at the wrapped frame 0 as ours does
    np.testing.assert_allclose(nojump, ours, atol=2e-3)
    # a track continued from an unwrapped start keeps its images
    np.testing.assert_allclose(unwrap_trajectory(wrapped[100:], boxes[100:], start=expected[100]),
                               expected[100:], atol=1e-9)
