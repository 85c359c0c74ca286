"""The Yeh–Hummer correction's inputs: ξ = 2.837297 holds for a cubic box of side V^(1/3).

An elongated or triclinic box has a finite-size correction that differs by direction (Kikugawa
et al. 2015); it is refused by name, before any frame is read when the first frame shows it,
and after the pass when a barostat stretched the box. Cubic boxes, also of varying volume (NPT),
are corrected with the side of the mean volume.
"""

import MDAnalysis as mda
import numpy as np
import pytest
from MDAnalysis.coordinates.memory import MemoryReader
from scipy import constants
from transport_data import IONS, integrate, ornstein_uhlenbeck

from mda_electrolyte import Diffusion
from mda_electrolyte.diffusion import check_cubic_box
from mda_electrolyte.ion_collection import IonCollection

N, DT, T, ETA = 8, 0.05, 300.0, (0.9, 0.05)   # ion pairs, ps, K, mPa·s


def _correction(side):
    """ξ k_B T / (6 π η L) in Å²/ps (1 m²/s = 1e8 Å²/ps)."""
    return 2.837297 * constants.k * T / (6 * np.pi * ETA[0] * 1e-3 * side * 1e-10) * 1e8


def _universe(boxes, seed=0):
    """N Li and N AN single-atom ions on a 5 Å lattice moving by OU velocities (unwrapped
    positions, so no minimum image is needed); ``boxes``: one box or one per frame."""
    boxes = np.asarray(boxes, dtype=np.float64)
    n_frames = 400 if boxes.ndim == 1 else boxes.shape[0]
    rng = np.random.default_rng(seed)
    v = ornstein_uhlenbeck(rng, n_frames, (2 * N, 3), 0.1, DT, 2.0)
    grid = 5.0 * np.array(np.unravel_index(np.arange(2 * N), (4, 4, 4))).T + 2.0
    x = integrate(v, DT, grid)
    u = mda.Universe.empty(2 * N, n_residues=2 * N, atom_resindex=np.arange(2 * N),
                           trajectory=True)
    u.add_TopologyAttr("names", ["Li"] * N + ["A"] * N)
    u.add_TopologyAttr("resnames", ["LI"] * N + ["AN"] * N)
    u.add_TopologyAttr("masses", [6.94] * 2 * N)
    u.add_TopologyAttr("formalcharges", [1.0] * N + [-1.0] * N)
    dims = np.broadcast_to(boxes, (n_frames, 6)).copy()
    u.load_new(x.astype(np.float32), format=MemoryReader, dt=DT, dimensions=dims)
    return u


@pytest.mark.parametrize("box, shape", [
    ([20.0, 20.0, 160.0, 90.0, 90.0, 90.0], "20 x 20 x 160"),     # a slab-like cell
    ([40.0, 40.0, 40.9, 90.0, 90.0, 90.0], "40 x 40 x 40.9"),     # 2 % longer
    ([40.0, 40.0, 40.0, 60.0, 60.0, 90.0], "angles 60, 60, 90"),  # a rhombohedral cell
])
def test_non_cubic_boxes_are_refused_before_reading(box, shape):
    """Before, a 20 × 20 × 160 Å box was corrected as a 40 Å cube (0.0156 Å²/ps, valid)."""
    u = _universe(box)
    with pytest.raises(ValueError, match=f"cubic box.*{shape}.*Kikugawa"):
        Diffusion(u, IONS, viscosity=ETA, temperature=T)
    # without the correction the box shape does not matter
    assert Diffusion(u, IONS).run().results.diffusion_coefficient_yeh_hummer is None


def test_a_box_stretched_during_the_run_is_refused_after_the_pass():
    """An anisotropic barostat: cubic at the first frame, 1.3 times longer in z later."""
    n = 400
    boxes = np.tile([40.0, 40.0, 40.0, 90.0, 90.0, 90.0], (n, 1))
    boxes[:, 2] = np.linspace(40.0, 52.0, n)
    boxes[:, 0] = boxes[:, 1] = np.sqrt(40.0**3 / boxes[:, 2])   # one volume: no spread refusal
    d = Diffusion(_universe(boxes), IONS, viscosity=ETA, temperature=T)
    with pytest.raises(ValueError, match="cubic box; Universe 0"):
        d.run()


def test_cubic_npt_boxes_take_the_side_of_the_mean_volume():
    n = 400
    sides = 40.0 * (1 + 0.01 * np.sin(np.linspace(0, 6 * np.pi, n)))   # isotropic barostat
    boxes = np.column_stack([sides, sides, sides, np.full((n, 3), 90.0)])
    r = Diffusion(_universe(boxes), IONS, viscosity=ETA, temperature=T).run().results
    side = np.mean(sides**3) ** (1 / 3)
    assert r.volume == pytest.approx(np.mean(sides**3), rel=1e-5)
    assert r.yeh_hummer_correction == pytest.approx(_correction(side), rel=1e-5)
    for name in ("Li", "AN"):
        assert r.D_yeh_hummer[name] == pytest.approx(r.D[name] + r.yeh_hummer_correction)


def test_collections_without_a_box_take_the_given_volume():
    rng = np.random.default_rng(4)
    v = ornstein_uhlenbeck(rng, 2000, (2 * N, 3), 0.1, DT, 2.0)
    col = IonCollection.from_arrays({"Li": N, "AN": N}, dt=DT, velocities=v,
                                    positions=integrate(v, DT), volume=35.0**3)
    assert col.box is None
    r = Diffusion.from_collections(col, viscosity=ETA, temperature=T).results
    assert r.yeh_hummer_correction == pytest.approx(_correction(35.0), rel=1e-9)


@pytest.mark.parametrize("box", [[30, 30, 30, 90, 90, 90], [30, 30.2, 29.9, 90, 90.5, 90],
                                 None])
def test_check_cubic_box_accepts_cubes_within_one_percent(box):
    check_cubic_box(box, "a box")


def test_a_trajectory_without_a_box_is_refused_before_reading_unless_volume_is_given():
    """Before, a Universe without a box ran the whole pass and then failed ("the Yeh–Hummer
    correction needs the box (volume)")."""
    u = _universe([40.0, 40.0, 40.0, 90.0, 90.0, 90.0])
    no_box = mda.Universe.empty(u.atoms.n_atoms, n_residues=u.atoms.n_residues,
                                atom_resindex=u.atoms.resindices, trajectory=True)
    for attr in ("names", "resnames", "masses", "formalcharges"):
        no_box.add_TopologyAttr(attr, getattr(u.atoms, attr) if attr != "resnames"
                                else u.residues.resnames)
    no_box.load_new(u.trajectory.timeseries(order="fac"), format=MemoryReader, dt=DT)
    with pytest.raises(ValueError, match="needs the box length.*has no box.*volume="):
        Diffusion(no_box, IONS, viscosity=ETA, temperature=T)
    # the cube of the given volume is the box: the same numbers as the trajectory with its box
    given = Diffusion(no_box, IONS, viscosity=ETA, temperature=T, volume=40.0**3).run().results
    boxed = Diffusion(u, IONS, viscosity=ETA, temperature=T).run().results
    assert given.yeh_hummer_correction == pytest.approx(_correction(40.0), rel=1e-6)
    for name in ("Li", "AN"):
        assert given.D_yeh_hummer[name] == pytest.approx(boxed.D_yeh_hummer[name], rel=1e-6)
