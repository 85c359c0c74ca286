"""rigid_bonds judges bond lengths against the precision a file rounds positions to.

Before, the probe compared the median range of lengths over 5 frames with a fixed 1e-3 Å (or
1.5 grid steps of a grid found on the raw coordinates): rigid waters and BF4⁻ written with
``%.2f`` to a LAMMPS dump, or with scaled ``xs ys zs`` at ``%.4f``, were missed in 30 of 30
boxes (MDAnalysis shifts a dump's positions by the box origin, off the grid), and flexible
water at 20 K in a GRO/XTC pair (0.01 Å) was marked rigid in 1 of 5 boxes. Now the variance
of the lengths is tested against the rounding variance of the grid (found on differences, in
Å or in box fractions) plus a constraint's, and against a flexible bond's thermal one; where
the precision cannot separate them, a warning says "cannot tell".
"""

import warnings

import MDAnalysis as mda
import numpy as np
import pytest
from ase.units import kB
from MDAnalysis.coordinates.memory import MemoryReader
from scipy.spatial.transform import Rotation

from mda_electrolyte.conductivity import rigid_bonds

K_OH = 7.8 * 6.2415  # eV/Å², the O–H stretch (7.8 mdyn/Å)
HALF = np.deg2rad(104.52 / 2)
WATER = 0.9572 * np.array([[0, 0, 0], [np.sin(HALF), np.cos(HALF), 0],
                           [-np.sin(HALF), np.cos(HALF), 0]])


def _water_frames(n_side, temperature, rigid, seed, n_frames=5):
    """Independent frames of n_side³ waters on a 3.1 Å lattice (Å), turned at random; rigid
    bonds vary by 3e-5 Å (SHAKE), flexible ones by sqrt(k_B T / k)."""
    rng = np.random.default_rng(seed)
    side = 3.1 * n_side
    sites = 3.1 * (np.indices((n_side,) * 3).reshape(3, -1).T + 0.5)
    sd = 3e-5 if rigid else np.sqrt(kB * temperature / K_OH)
    x = np.empty((n_frames, 3 * len(sites), 3))
    for t in range(n_frames):
        turns = Rotation.random(len(sites), random_state=rng).as_matrix()
        for k, (site, turn) in enumerate(zip(sites, turns, strict=True)):
            r = WATER.copy()
            for h in (1, 2):
                r[h] *= 1 + rng.normal(scale=sd) / 0.9572
            x[t, 3 * k:3 * k + 3] = site + r @ turn.T
    return x, side


def _universe(x, side):
    n = x.shape[1]
    u = mda.Universe.empty(n, n_residues=n // 3, atom_resindex=np.arange(n) // 3,
                           trajectory=True)
    u.add_TopologyAttr("elements", ["O", "H", "H"] * (n // 3))
    u.add_TopologyAttr("resnames", ["SOL"] * (n // 3))
    u.add_TopologyAttr("masses", [15.999, 1.008, 1.008] * (n // 3))
    u.add_TopologyAttr("bonds", [(i, i + h) for i in range(0, n, 3) for h in (1, 2)])
    u.load_new(x.astype(np.float32), format=MemoryReader,
               dimensions=np.array([side] * 3 + [90.0] * 3, dtype=np.float32))
    return u


def _rounded(x, side, grid, scaled, origin=-3.2173456):
    """Positions as a reader gives them from a file that rounds them to ``grid`` (Å, or a
    fraction of the box for scaled coordinates), shifted by a box origin off the grid."""
    if scaled:
        return np.round(np.mod(x, side) / side / grid) * grid * side
    return np.round((np.mod(x, side) + origin) / grid) * grid - origin


def _judged(u, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        found = rigid_bonds(u, **kwargs)
    told = [str(w.message) for w in caught if "cannot tell" in str(w.message)]
    return found, told


@pytest.mark.parametrize("grid, scaled", [(1e-2, False), (1e-3, False), (1e-6, False),
                                          (1e-4, True), (1e-6, True)])
def test_rigid_water_is_found_at_any_precision(grid, scaled):
    for seed in range(3):
        x, side = _water_frames(3, 300.0, True, seed)
        found, told = _judged(_universe(_rounded(x, side, grid, scaled), side),
                              temperature=180.0)
        assert found and found[0].startswith("H-O of SOL") and not told


@pytest.mark.parametrize("temperature", [20.0, 50.0, 300.0])
@pytest.mark.parametrize("grid, scaled", [(1e-2, False), (1e-3, False), (1e-4, True)])
def test_flexible_water_is_never_marked(temperature, grid, scaled):
    for seed in range(3):
        x, side = _water_frames(3, temperature, False, seed)
        found, told = _judged(_universe(_rounded(x, side, grid, scaled), side))
        assert found == [] and not told


def test_too_coarse_a_precision_for_the_temperature_cannot_tell():
    # 2 waters on a 0.01 Å grid (GRO): rounding varies a length by 0.004 Å, a flexible O–H at
    # 10 K by 0.002 Å: neither a mark nor silence
    x, side = _water_frames(2, 300.0, True, 0)
    x = x[:, :6]
    found, told = _judged(_universe(_rounded(x, side, 1e-2, False), side), temperature=10.0)
    assert found == [] and told and "0.01 Å" in told[0] and "constraints=" in told[0]
    # the same frames at full precision are judged
    found, told = _judged(_universe(x, side), temperature=10.0)
    assert found and not told


def test_a_lammps_dump_with_two_decimals_is_judged(tmp_path):
    """The case as a user reads it: data file + dump through MDAnalysis' reader, which shifts
    the positions by the box origin (off the file's grid)."""
    x, side = _water_frames(3, 300.0, True, 1)
    n, lo = x.shape[1], -3.2173456
    data = tmp_path / "w.data"
    data.write_text(
        f"w\n\n{n} atoms\n{2 * n // 3} bonds\n2 atom types\n1 bond types\n\n"
        + "".join(f"{lo} {lo + side} {a}lo {a}hi\n" for a in "xyz")
        + "\nMasses\n\n1 15.999\n2 1.008\n\nAtoms # full\n\n"
        + "".join(f"{i + 1} {i // 3 + 1} {1 if i % 3 == 0 else 2} 0.0 "
                  + " ".join(f"{v:.6f}" for v in np.mod(x[0, i], side) + lo) + "\n"
                  for i in range(n))
        + "\nBonds\n\n"
        + "".join(f"{2 * (i // 3) + h} 1 {i + 1} {i + 1 + h}\n" for i in range(0, n, 3)
                  for h in (1, 2)))
    dump = tmp_path / "w.lammpstrj"
    with open(dump, "w") as f:
        for t, frame in enumerate(x):
            f.write(f"ITEM: TIMESTEP\n{10 * t}\nITEM: NUMBER OF ATOMS\n{n}\n"
                    "ITEM: BOX BOUNDS pp pp pp\n" + f"{lo} {lo + side}\n" * 3
                    + "ITEM: ATOMS id type x y z\n")
            for i, p in enumerate(np.mod(frame, side) + lo):
                f.write(f"{i + 1} {1 if i % 3 == 0 else 2} {p[0]:.2f} {p[1]:.2f} {p[2]:.2f}\n")
    u = mda.Universe(str(data), str(dump), topology_format="DATA", format="LAMMPSDUMP")
    assert abs(u.atoms.positions[0, 0] * 100 - round(u.atoms.positions[0, 0] * 100)) > 0.1
    found, told = _judged(u, temperature=180.0)
    assert found and not told


@pytest.mark.parametrize("flexible", [False, True])
def test_the_velocities_bound_the_flexible_spread(flexible):
    """Without temperature=, the frames' velocities (300 K, read as 200 K over 3N - 3 where
    the waters are rigid) set the thermal spread a flexible bond would have: rigid waters on
    the 0.01 Å grid of a GRO/XTC file are told from flexible ones at 300 K."""
    from test_tcount30_temperature_count import _rigid_universe

    vibration = np.sqrt(kB * 300.0 / 45.0) / np.sqrt(2) if flexible else 0.0
    u = _rigid_universe(n_frames=20, seed=1, vibration=vibration)
    x = u.trajectory.timeseries(order="fac")
    v = np.array([ts.velocities.copy() for ts in u.trajectory])
    u.load_new(np.round(x / 0.01) * 0.01, format=MemoryReader, velocities=v,
               dimensions=u.dimensions, dt=0.01)
    found, told = _judged(u)
    assert not told
    assert (found == []) if flexible else found[0].startswith("H-O of H2O")


def test_atoms_wrapped_by_a_box_off_the_grid_leave_it_found():
    # a GRO box has 1e-4 Å: the few atoms a reader wraps back by it leave the 0.01 Å grid
    for seed in range(3):
        x, side = _water_frames(3, 300.0, True, seed)
        box = side + 3.7e-3
        wrapped = np.mod(np.round(np.mod(x, side) / 1e-2) * 1e-2 + 1.0, box)
        u = _universe(wrapped, box)
        found, told = _judged(u, temperature=180.0)
        assert found and not told
