"""D3 with partial periodicity (slabs, wires): image invariance and equality with 3D cells."""

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk
from d3_structures import electrolyte_like_box
from test_d3 import assert_matches, ours

KW = dict(cutoff=20.0, cn_cutoff=12.0)


def lif_slab(vacuum_cell=45.0):
    """Four rattled rocksalt LiF (001) layers in an oblique in-plane cell, c along z."""
    a = 4.03 * 1.03
    base = bulk("LiF", "rocksalt", a=a, cubic=True)
    base.rattle(0.05, seed=2)
    slab = base.repeat((1, 1, 2))
    cell = slab.cell.array.copy()
    cell[1] += 0.3 * cell[0]  # oblique in-plane lattice
    slab.set_cell(cell, scale_atoms=True)
    cell[2] = [0.0, 0.0, vacuum_cell]
    slab.set_cell(cell, scale_atoms=False)
    slab.pbc = (True, True, False)
    return slab


def electrolyte_slab():
    box = electrolyte_like_box((2, 2, 2), 4.4, seed=11)
    cell = box.cell.array.copy()
    cell[2, 2] = 8.8 + 45.0
    box.set_cell(cell, scale_atoms=False)
    box.pbc = (True, True, False)
    return box


@pytest.mark.parametrize("damping", ["bj", "zero", "op"])
@pytest.mark.parametrize("make", [lif_slab, electrolyte_slab], ids=["LiF", "electrolyte"])
def test_slab_equals_3d_cell_with_vacuum_against_reference(make, damping):
    slab = make()
    bulk3d = slab.copy()
    bulk3d.pbc = True
    # vacuum (45 Å minus the slab) is wider than every cutoff: no z images interact
    assert_matches(bulk3d, damping, **KW)
    e2, f2, _, en2 = ours(slab, damping=damping, **KW)
    e3, f3, _, en3 = ours(bulk3d, damping=damping, **KW)
    assert e2 == pytest.approx(e3, rel=1e-11)
    assert np.abs(f2 - f3).max() < 1e-10
    assert np.abs(en2 - en3).max() < 1e-11


@pytest.mark.parametrize(
    "pbc", [(True, True, False), (True, False, True), (False, False, True), (True, False, False)]
)
def test_results_independent_of_periodic_image(pbc):
    atoms = electrolyte_slab()
    atoms.pbc = pbc
    e0, f0, _, en0 = ours(atoms, **KW)
    moved = atoms.copy()
    rng = np.random.default_rng(5)
    shifts = rng.integers(-4, 5, size=(len(atoms), 3)) * np.asarray(pbc)
    moved.positions += shifts @ atoms.cell.array
    e1, f1, _, en1 = ours(moved, **KW)
    assert e1 == pytest.approx(e0, rel=1e-12)
    assert np.abs(f1 - f0).max() < 1e-11
    assert np.abs(en1 - en0).max() < 1e-12
    assert np.abs(f0.sum(axis=0)).max() < 1e-11  # translation invariance


def test_wire_equals_brute_force_replica_sum():
    # a thin periodic wire with atoms outside its cell: the central copy of a finite stack of
    # replicas long enough for every cutoff sees the same neighbours (and CN)
    wire = Atoms(
        "LiFCOH",
        positions=[
            [0, 0, 0.3], [1.6, 0.2, 1.9], [0.4, 1.5, -2.8], [-0.9, 1.3, 4.9], [0.1, -1.1, 2.0]
        ],
        cell=[[9.0, 0, 0], [0, 9.0, 0], [0.8, -0.5, 3.7]],
        pbc=(False, False, True),
    )
    kw = dict(cutoff=15.0, cn_cutoff=8.0)
    energy, forces, _, _ = ours(wire, **kw)
    m = 7  # 7 * 3.7 Å > 15 Å + 8 Å: every neighbour of the central copy is in the stack
    replicas = Atoms()
    for k in range(-m, m + 1):
        copy = wire.copy()
        copy.pbc = False
        copy.positions += k * wire.cell[2]
        replicas += copy
    _, rforces, _, energies = ours(replicas, **kw)
    n = len(wire)
    centre = slice(m * n, (m + 1) * n)
    assert energies[centre].sum() == pytest.approx(energy, rel=1e-12)
    # forces on the central copy: its neighbours' CN are those of the periodic system only
    # for copies at least one CN cutoff from the ends, so compare energies per atom instead
    np.testing.assert_allclose(energies[centre], ours(wire, **kw)[3], rtol=1e-11, atol=1e-16)
    assert np.isfinite(rforces).all() and np.abs(forces.sum(axis=0)).max() < 1e-12
