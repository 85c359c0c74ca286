"""D3's tail correction: vacuum across any family of lattice planes, and slabs and wires.

Before, the check for vacuum looked across the three cell-vector planes only: a slab whose
vacuum lies across (110) of a cubic cell, or across a plane of a triclinic cell that holds no
cell vector's normal, was corrected as a homogeneous liquid without a word. And a slab given
as ``pbc=(True, True, False)`` (the advice of the warning) got no correction at all: 1.7e-5
eV/atom from simple-dftd3 at 200 Å with a 30 Å cutoff, the in-plane virial 8e-4 eV off. Now
every family of Miller index up to 3 whose spacing could hold a 6 Å layer is measured, and
slabs and wires get the tail of the sheets (lines) of their periodic images.
"""

import warnings

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk, molecule
from d3_structures import electrolyte_like_box
from test_d3 import reference
from test_d3_slabs import electrolyte_slab, lif_slab
from test_d3_tail_derivatives import STEP, VOIGT, fd_forces, strained

from ase_electrolyte.d3 import D3, InhomogeneousTailWarning, backend
from ase_electrolyte.d3.calculator import (
    TAIL_MAX_EMPTY_LAYER,
    TAIL_MAX_MILLER_INDEX,
    _plane_families,
    _widest_empty_layer,
)


def run(atoms, device="cpu", **options):
    work = atoms.copy()
    work.calc = D3(device=device, **options)
    out = {"energy": work.get_potential_energy(), "forces": work.get_forces(),
           "energies": work.get_potential_energies()}
    if work.pbc.any() and work.cell.rank == 3:
        out["virial"] = work.get_stress(voigt=False) * work.get_volume()
    return out


def quiet(atoms, **options):
    """``run`` with InhomogeneousTailWarning as an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", InhomogeneousTailWarning)
        return run(atoms, **options)


def cut(atoms, keep):
    """``atoms`` without the atoms whose fractional coordinates fail ``keep``."""
    return atoms[[bool(keep(f)) for f in atoms.get_scaled_positions()]]


def rocksalt_block(repeat=3, keep=None):
    """Rattled rocksalt LiF, cubic cells ``repeat`` times; with ``keep``, only the atoms of
    the unrattled block whose fractional coordinates pass it."""
    block = bulk("LiF", "rocksalt", a=4.03, cubic=True).repeat(repeat)
    if keep is not None:
        block = cut(block, keep)
    block.rattle(0.03, seed=4)
    return block


def slab_across_110():
    """Rocksalt LiF in a cubic 16 Å cell holding the planes f_a + f_b = 0, 1/8, 2/8, 3/8 of
    (110), whose spacing is 11.4 Å: a 7 Å vacuum across (110), none across a, b or c."""
    return rocksalt_block(4, lambda f: (f[0] + f[1] + 1e-6) % 1.0 < 0.45)


def slab_in_a_triclinic_cell():
    """A liquid-like box in a triclinic cell, emptied across the (1 0 -1) planes."""
    box = electrolyte_like_box((4, 4, 4), 4.4, seed=3)
    cell = box.cell[:] + np.array([[0.0, 0, 0], [3.0, 0, 0], [-2.0, 2.5, 0]])
    box.set_cell(cell, scale_atoms=True)
    return cut(box, lambda f: (f[0] - f[2]) % 1.0 < 0.4)


@pytest.mark.parametrize("make, family", [
    (slab_across_110, r"\(1 1 0\) planes"),
    (slab_in_a_triclinic_cell, r"\(1 0 -1\) planes"),
], ids=["cubic-110", "triclinic-10-1"])
def test_vacuum_across_other_plane_families_is_marked_before_the_kernel(make, family,
                                                                        monkeypatch):
    atoms = make()
    # the three cell-vector families see no vacuum: the old check let these through
    assert _widest_empty_layer(atoms.get_scaled_positions(), atoms.cell[:]).max() \
        < TAIL_MAX_EMPTY_LAYER
    before = atoms.copy()

    def fail(*args, **kwargs):
        raise AssertionError("kernel reached")

    monkeypatch.setattr(backend, "run_kernel", fail)
    with pytest.warns(InhomogeneousTailWarning, match=f"across {family}.*a slab with vacuum"), \
            pytest.raises(AssertionError, match="kernel reached"):
        run(atoms, cutoff=12.0, cn_cutoff=8.0, tail_correction=True)
    assert atoms == before


@pytest.mark.parametrize("make", [
    lambda: rocksalt_block(3),  # (111) spacing 7 Å is measured
    lambda: electrolyte_like_box((3, 3, 3), 4.4, seed=5),
    lambda: bulk("Cs", "bcc", a=6.14, cubic=True).repeat(2),
    lambda: bulk("Xe", "fcc", a=6.2, cubic=True).repeat((3, 2, 2)),
    lambda: Atoms("C4", scaled_positions=[[0, 0, 0.25], [1 / 3, 2 / 3, 0.25], [0, 0, 0.75],
                                          [2 / 3, 1 / 3, 0.75]],
                  cell=[[2.46, 0, 0], [-1.23, 2.13, 0], [0, 0, 6.7]], pbc=True).repeat((4, 4, 2)),
], ids=["LiF-333", "liquid-27", "Cs-bcc-222", "Xe-fcc-322", "graphite-442"])
def test_bulk_phases_in_large_cells_are_not_marked(make):
    atoms = make()
    miller = _plane_families(atoms.cell[:])
    assert len(miller) > 3  # families beyond the cell vectors' are measured
    assert _widest_empty_layer(atoms.get_scaled_positions(), atoms.cell[:], miller).max() \
        < TAIL_MAX_EMPTY_LAYER
    quiet(atoms, cutoff=12.0, cn_cutoff=6.0, tail_correction=True)


def test_the_families_are_every_primitive_one_wide_enough():
    cell = np.array([[13.0, 0.0, 0.0], [4.0, 11.0, 0.0], [-3.0, 2.0, 14.0]])
    miller = _plane_families(cell)
    spacing = 1.0 / np.linalg.norm(miller @ np.linalg.inv(cell).T, axis=1)
    n = TAIL_MAX_MILLER_INDEX
    expected = set()
    for h in range(-n, n + 1):
        for k in range(-n, n + 1):
            for m in range(-n, n + 1):
                v = np.array([h, k, m])
                if not v.any() or np.gcd.reduce(np.abs(v)) != 1:
                    continue
                if 1.0 / np.linalg.norm(np.linalg.inv(cell) @ v) > TAIL_MAX_EMPTY_LAYER:
                    expected.add(tuple(v if v[np.flatnonzero(v)[0]] > 0 else -v))
    assert {tuple(v) for v in miller} | {(1, 0, 0), (0, 1, 0), (0, 0, 1)} == \
        expected | {(1, 0, 0), (0, 1, 0), (0, 0, 1)}
    assert all(spacing[k] > TAIL_MAX_EMPTY_LAYER or np.abs(miller[k]).sum() == 1
               for k in range(len(miller)))
    # along the periodic vectors only: no index on a non-periodic one
    assert not _plane_families(cell, (True, True, False))[:, 2].any()


@pytest.mark.parametrize("seed", range(6))
def test_the_widths_are_exact_where_they_reach_the_limit_and_bounded_below_it(seed):
    rng = np.random.default_rng(seed)
    cell = np.diag(rng.uniform(8.0, 30.0, 3)) + rng.uniform(-3.0, 3.0, (3, 3))
    frac = rng.random((int(rng.integers(1, 60)), 3))
    frac[:, 0] *= rng.uniform(0.2, 1.0)  # sometimes a vacuum
    miller = _plane_families(cell)
    spacing = 1.0 / np.linalg.norm(miller @ np.linalg.inv(cell).T, axis=1)
    # brute force: every family's sorted projections
    p = np.sort((frac @ miller.T) % 1.0, axis=0)
    exact = np.maximum(np.diff(p, axis=0).max(axis=0, initial=0.0),
                       p[0] + 1.0 - p[-1]) * spacing
    np.testing.assert_allclose(_widest_empty_layer(frac, cell, miller), exact, rtol=1e-12)
    bounded = _widest_empty_layer(frac, cell, miller, at_least=TAIL_MAX_EMPTY_LAYER)
    wide = exact >= TAIL_MAX_EMPTY_LAYER
    np.testing.assert_allclose(bounded[wide], exact[wide], rtol=1e-12)
    assert np.all(bounded >= exact - 1e-12)
    assert np.all(bounded[~wide] < TAIL_MAX_EMPTY_LAYER)
    # atoms a million cells away: the same widths (wrapped before the projection)
    far = frac + rng.integers(-10**6, 10**6, frac.shape)
    np.testing.assert_allclose(_widest_empty_layer(far, cell, miller), exact, rtol=0, atol=1e-8)


# ---- slabs and wires: the tail of the periodic images' sheets and lines -----------------
def isolated(atoms, vacuum=260.0):
    """``atoms`` in a 3D cell whose non-periodic vectors are ``vacuum`` Å long and normal to
    the periodic ones: with a cutoff below ``vacuum`` minus its size, no pair crosses it."""
    far = atoms.copy()
    cell = far.cell[:].copy()
    for k in np.flatnonzero(~atoms.pbc):
        cell[k] = np.eye(3)[k] * vacuum
    far.set_cell(cell, scale_atoms=False)
    far.pbc = True
    return far


def lif_wire():
    base = bulk("LiF", "rocksalt", a=4.15, cubic=True)
    base.rattle(0.05, seed=3)
    wire = base.repeat((2, 1, 1))
    cell = wire.cell[:].copy()
    cell[1, 1] = cell[2, 2] = 40.0
    wire.set_cell(cell, scale_atoms=False)
    wire.pbc = (True, False, False)
    return wire


@pytest.mark.parametrize("smooth", [None, 5.0])
@pytest.mark.parametrize("make, energy_gain, virial_gain", [
    (lif_slab, 30.0, 15.0), (electrolyte_slab, 20.0, 3.0), (lif_wire, 20.0, 3.0),
], ids=["LiF-slab", "electrolyte-slab", "LiF-wire"])
def test_slabs_and_wires_come_to_simple_dftd3_at_a_large_cutoff(make, energy_gain,
                                                                virial_gain, smooth):
    """Measured at a 30 Å cutoff (hard / 5 Å switch), energy per atom and largest diagonal
    virial error along the periodic directions: LiF slab 1.7e-5 -> 1.8e-7 / 2.5e-5 -> 1e-8
    eV, 8.2e-4 -> 2.1e-5 / 4.0e-4 -> 6.9e-6 eV; electrolyte slab (in-plane cell 8.8 Å,
    molecules: its structure inside the switch is what is left) 4.4e-6 -> 2.8e-8 / 6.2e-6
    -> 5e-9 eV, 7.7e-4 -> 3.9e-6 / 3.0e-4 -> 6.9e-5 eV; LiF wire 2.9e-7 -> 9e-9 / 4.8e-7
    -> 3e-9 eV, 2.8e-5 -> 1.0e-6 / 9e-6 -> 1.4e-6 eV."""
    pytest.importorskip("dftd3.interface")
    atoms = make()
    far = isolated(atoms)
    n = len(atoms)
    e_ref, f_ref, s_ref = reference(far, cutoff=200.0, cn_cutoff=12.0)
    virial_ref = s_ref[[0, 5, 4, 5, 1, 3, 4, 3, 2]].reshape(3, 3) * far.get_volume()
    options = dict(cutoff=30.0, cn_cutoff=12.0, smooth_cutoff=smooth)
    plain = quiet(atoms, **options)
    corrected = quiet(atoms, tail_correction=True, **options)
    de_plain = (plain["energy"] - e_ref) / n
    de_corr = (corrected["energy"] - e_ref) / n
    assert de_plain > 1e-7  # the missing attraction is real
    assert abs(de_corr) < de_plain / energy_gain
    # the virial along the periodic directions (not across: there the sum is complete)
    periodic = np.flatnonzero(atoms.pbc)
    dv_plain = np.abs(np.diag(plain["virial"] - virial_ref)[periodic]).max()
    dv_corr = np.abs(np.diag(corrected["virial"] - virial_ref)[periodic]).max()
    assert dv_corr < dv_plain / virial_gain
    # per-atom energies carry the correction
    assert corrected["energies"].sum() == pytest.approx(corrected["energy"], rel=1e-12)


def test_a_slabs_tail_is_the_same_at_any_height_and_image_of_its_atoms():
    """The sheet of an atom's images beyond the cutoff sums to the same at any height below
    the cutoff: moving one layer across the slab, or an atom by lattice vectors, changes the
    tail only through the coordination numbers (here: not at all, the layer moves rigidly
    beyond cn_cutoff)."""
    slab = lif_slab()
    options = dict(cutoff=20.0, cn_cutoff=8.0)
    tail0 = (quiet(slab, tail_correction=True, **options)["energy"]
             - quiet(slab, **options)["energy"])
    moved = slab.copy()
    top = moved.positions[:, 2] > np.median(moved.positions[:, 2])
    moved.positions[top, 2] += 9.0  # now 9 Å farther across, still within the cutoff
    tail1 = (quiet(moved, tail_correction=True, **options)["energy"]
             - quiet(moved, **options)["energy"])
    assert tail1 == pytest.approx(tail0, rel=1e-12)
    images = slab.copy()
    images.positions += np.random.default_rng(2).integers(-10**4, 10**4, (len(slab), 1)) \
        * slab.cell[0]
    assert quiet(images, tail_correction=True, **options)["energy"] == pytest.approx(
        quiet(slab, tail_correction=True, **options)["energy"], rel=1e-12)


def electrolyte_wire():
    """Solvent-like molecules, PF6- and Li+ periodic along a only, 40 Å cell across."""
    wire = electrolyte_like_box((3, 1, 1), 4.4, seed=2)
    cell = wire.cell[:].copy()
    cell[1, 1] = cell[2, 2] = 40.0
    wire.set_cell(cell, scale_atoms=False)
    wire.pbc = (True, False, False)
    return wire


@pytest.mark.parametrize("make, cutoff", [(electrolyte_slab, 12.0), (electrolyte_wire, 24.0)],
                         ids=["slab", "wire"])
def test_the_tails_forces_and_stress_are_the_derivatives_of_its_energy(make, cutoff):
    """The tail's C6 follow the coordination numbers (its forces, and the virial across the
    periodic directions too); along them its energy falls as 1/area (1/length)."""
    atoms = make()
    options = dict(cutoff=cutoff, cn_cutoff=7.0, smooth_cutoff=2.0)

    def tail_energy(a):
        return (quiet(a, tail_correction=True, **options)["energy"]
                - quiet(a, **options)["energy"])

    corrected, plain = quiet(atoms, tail_correction=True, **options), quiet(atoms, **options)
    forces = corrected["forces"] - plain["forces"]
    # the CN dependence is there to be checked (slab 1e-6, wire 2.5e-8 eV/Å); the central
    # differences of energies of ~1 eV hold ~1e-12 eV/Å of rounding
    assert np.abs(forces).max() > 1e-8
    indices = list(range(0, len(atoms), 3))
    fd = fd_forces(tail_energy, atoms, indices)
    assert np.abs(fd - forces[indices]).max() < 1e-3 * np.abs(forces).max()
    virial = corrected["virial"] - plain["virial"]
    fd_v = np.array([(tail_energy(strained(atoms, p, q, STEP))
                      - tail_energy(strained(atoms, p, q, -STEP))) / (2 * STEP)
                     for p, q in VOIGT])
    expected = np.array([virial[p, q] for p, q in VOIGT])
    np.testing.assert_allclose(fd_v, expected, rtol=0, atol=1e-4 * np.abs(expected).max())


def test_the_tensor_api_and_cuda_host_give_the_same_slab_tail():
    torch = pytest.importorskip("torch")
    atoms = lif_slab()
    atoms.positions += 5000.0 * atoms.cell[1]  # far out along a periodic vector
    options = dict(cutoff=20.0, cn_cutoff=8.0, smooth_cutoff=3.0, tail_correction=True)
    expected = quiet(atoms, **options)
    backend.set_cuda_host("host", "reverse", seed=0)
    try:
        calc = D3(device="cuda", **options)
        with warnings.catch_warnings():
            warnings.simplefilter("error", InhomogeneousTailWarning)
            out = calc.compute_tensor(torch.tensor(atoms.positions), atoms.numbers,
                                      atoms.cell, atoms.pbc)
    finally:
        backend.set_cuda_host(None)
    assert float(out["energy"]) == pytest.approx(expected["energy"], rel=1e-12)
    np.testing.assert_allclose(out["forces"].numpy(), expected["forces"], rtol=0,
                               atol=1e-10 * np.abs(expected["forces"]).max())
    stress = expected["virial"] / atoms.get_volume()
    np.testing.assert_allclose(out["stress"].numpy(),
                               stress.flat[[0, 4, 8, 5, 2, 1]], rtol=0,
                               atol=1e-10 * np.abs(stress).max())


def test_a_slab_thicker_than_the_cutoff_is_marked():
    slab = electrolyte_slab()  # 8.8 Å thick
    with warnings.catch_warnings():
        warnings.simplefilter("error", InhomogeneousTailWarning)
        run(slab, cutoff=12.0, cn_cutoff=6.0, tail_correction=True)
    with pytest.warns(InhomogeneousTailWarning, match="slab.*Å thick"):
        run(slab, cutoff=8.0, cn_cutoff=6.0, tail_correction=True)
    # the switch narrows what the sheets hold for: 12 Å less a 4 Å switch
    with pytest.warns(InhomogeneousTailWarning, match="slab.*Å thick"):
        run(slab, cutoff=12.0, cn_cutoff=6.0, smooth_cutoff=4.0, tail_correction=True)


def test_vacuum_along_a_slabs_periodic_plane_is_marked_and_molecules_get_nothing():
    atoms = molecule("CH3CH2OH")
    atoms.center(vacuum=4.0)
    atoms.pbc = (True, True, False)
    with pytest.warns(InhomogeneousTailWarning, match="cell vector a.*cluster in a box"):
        run(atoms, cutoff=10.0, tail_correction=True)
    atoms.pbc = False
    plain = quiet(atoms, cutoff=10.0)
    corrected = quiet(atoms, cutoff=10.0, tail_correction=True)
    assert corrected["energy"] == plain["energy"]
    np.testing.assert_array_equal(corrected["forces"], plain["forces"])


def test_the_layer_search_holds_a_bounded_share_of_memory():
    """10^5 atoms in a 100 Å cell, 145 families: the projections of all families at once held
    N x M x 8 bytes three times (350 MB; 1.4 GB for 10^6 atoms); a few families at a time
    hold ~3 x 32 MB whatever the number of atoms."""
    import tracemalloc

    from ase_electrolyte.d3.calculator import _LAYER_VALUES

    cell = np.diag([100.0, 100.0, 100.0])
    frac = np.random.default_rng(0).random((100_000, 3))
    frac[:, 2] *= 0.5  # a 50 Å vacuum: those families are sorted too
    miller = _plane_families(cell)
    all_at_once = 3 * frac.shape[0] * len(miller) * 8
    tracemalloc.start()
    try:
        widths = _widest_empty_layer(frac, cell, miller, at_least=TAIL_MAX_EMPTY_LAYER)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * _LAYER_VALUES * 8 < all_at_once / 2
    assert widths[(miller == [0, 0, 1]).all(axis=1)][0] == pytest.approx(50.0, abs=0.01)


def test_the_mark_is_given_once_per_calculator_along_a_run():
    """Along an MD run the layer's width changes at every step: each new message text was
    another warning and another entry in the warnings registry (without bound)."""
    slab = lif_slab(45.0)
    slab.pbc = True
    calc = D3(device="cpu", cutoff=10.0, cn_cutoff=6.0, tail_correction=True)
    rng = np.random.default_rng(0)
    energies = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(5):
            step = slab.copy()
            step.positions += rng.normal(0.0, 0.05, step.positions.shape)
            step.calc = calc
            energies.append(step.get_potential_energy())
    marks = [w for w in caught if issubclass(w.category, InhomogeneousTailWarning)]
    assert len(marks) == 1 and "slab with vacuum" in str(marks[0].message)
    assert len(set(energies)) == 5  # five evaluations, not one result reused
    # another calculator, or new options, mark again
    for fresh in (D3(device="cpu", cutoff=10.0, cn_cutoff=6.0, tail_correction=True), calc):
        if fresh is calc:
            calc.set(cutoff=11.0)
        step = slab.copy()
        step.calc = fresh
        with pytest.warns(InhomogeneousTailWarning, match="slab with vacuum"):
            step.get_potential_energy()


@pytest.mark.parametrize("make", [lif_slab, lif_wire], ids=["slab", "wire"])
def test_the_tail_is_the_same_whichever_axes_are_periodic_and_however_the_frame_turns(make):
    """The same slab (wire) with its cell vectors permuted (pbc permuted alike), with the
    whole structure rotated, and with a left-handed cell: the same corrected energy."""
    atoms = make()
    options = dict(cutoff=20.0, cn_cutoff=8.0, smooth_cutoff=2.0, tail_correction=True)
    expected = quiet(atoms, **options)
    order = [1, 2, 0]
    permuted = Atoms(atoms.numbers, positions=atoms.positions, cell=atoms.cell[:][order],
                     pbc=atoms.pbc[order])
    turned = atoms.copy()
    turned.rotate(37.0, (1.0, -2.0, 0.5), rotate_cell=True)
    left = atoms.copy()
    left.set_cell(atoms.cell[:] * [[1.0], [-1.0], [1.0]], scale_atoms=False)
    ints = atoms.copy()
    ints.pbc = atoms.pbc.astype(int)
    for other in (permuted, turned, left, ints):
        result = quiet(other, **options)
        assert result["energy"] == pytest.approx(expected["energy"], rel=1e-12)
        np.testing.assert_allclose(result["energies"], expected["energies"], rtol=0,
                                   atol=1e-12)


@pytest.mark.parametrize("make, cutoff", [(electrolyte_slab, 8.0), (electrolyte_wire, 7.0)],
                         ids=["slab", "wire"])
def test_the_tensor_api_marks_a_thick_slab_or_wire_as_calculate_does(make, cutoff):
    torch = pytest.importorskip("torch")
    atoms = make()
    options = dict(cutoff=cutoff, cn_cutoff=6.0, tail_correction=True)
    with pytest.warns(InhomogeneousTailWarning, match="Å thick") as marked:
        expected = run(atoms, **options)
    backend.set_cuda_host("host", "forward", seed=0)
    try:
        calc = D3(device="cuda", **options)
        with pytest.warns(InhomogeneousTailWarning, match="Å thick") as tensor_marked:
            out = calc.compute_tensor(torch.tensor(atoms.positions), atoms.numbers,
                                      atoms.cell, atoms.pbc)
    finally:
        backend.set_cuda_host(None)
    assert [str(w.message) for w in tensor_marked] == [str(w.message) for w in marked]
    assert float(out["energy"]) == pytest.approx(expected["energy"], rel=1e-12)
