"""D3 on huge cells and on cells far longer than wide (needles), and wires of long period.

Before: (1) ``tail_correction``'s search for vacuum binned every lattice-plane family in
1 Å bins, as many as the cell is long: two atoms in a 10⁶ Å box took 1.8 s and 330 MB, in
a 9·10⁷ Å box numpy's MemoryError "Unable to allocate 33.0 GiB" came out of
``calculate``. (2) The work check counted the images within the cutoff plus the cell's
diameter, (4/3)π (r + D)³ / V, ~4 L²/h² for a needle of length L and width h: a 3D cell of
12 x 12 x 8000 Å (40 atoms, ~90 images per pair) and a wire with a 10⁵ Å period (its padded
cell) were refused as "spans ~1.5e+07 periodic images ... nearly singular?".
"""

import tracemalloc
import warnings

import numpy as np
import pytest
from ase import Atoms
from test_d3 import assert_matches, ours

from ase_electrolyte.d3 import D3, InhomogeneousTailWarning
from ase_electrolyte.d3.calculator import (
    TAIL_MAX_EMPTY_LAYER,
    _plane_families,
    _widest_empty_layer,
)


def exact_widest_layers(fractional, cell, miller):
    """Every family's widest empty layer by sorting the projections (no histogram)."""
    spacing = 1.0 / np.linalg.norm(miller @ np.linalg.inv(cell).T, axis=1)
    p = (fractional - np.floor(fractional)) @ miller.T.astype(float)
    p = np.sort(p - np.floor(p), axis=0)
    gaps = np.concatenate([np.diff(p, axis=0), p[:1] + 1.0 - p[-1:]]).max(axis=0)
    return gaps * spacing


@pytest.mark.parametrize("length", [1e6, 9e7])
@pytest.mark.parametrize("natoms", [2, 7])
def test_layer_search_of_a_huge_box_is_exact_in_little_memory(length, natoms):
    rng = np.random.default_rng(natoms)
    cell = np.array([[length, 0, 0], [0.1 * length, 0.9 * length, 0], [0, 0, length]])
    fractional = rng.random((natoms, 3)) * 1e-5  # a small cluster in the corner
    miller = _plane_families(cell)
    tracemalloc.start()
    try:
        widths = _widest_empty_layer(fractional, cell, miller, at_least=TAIL_MAX_EMPTY_LAYER)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**24  # 16 MB (330 MB at 10⁶ Å, 33 GiB asked for at 9·10⁷ Å)
    exact = exact_widest_layers(fractional, cell, miller)
    np.testing.assert_allclose(widths, exact, rtol=1e-9)


def test_layer_search_bounds_are_unchanged_for_a_dense_cell():
    """A liquid-like cell keeps its 1 Å bins: families below the 6 Å limit get an upper
    bound under the limit, the others their exact width."""
    rng = np.random.default_rng(3)
    cell = np.array([[30.0, 0, 0], [4.0, 29.0, 0], [2.0, 3.0, 31.0]])
    fractional = rng.random((400, 3))
    fractional[:, 2] *= 0.6  # a 12 Å vacuum across c
    miller = _plane_families(cell)
    widths = _widest_empty_layer(fractional, cell, miller, at_least=TAIL_MAX_EMPTY_LAYER)
    exact = exact_widest_layers(fractional, cell, miller)
    wide = exact > TAIL_MAX_EMPTY_LAYER
    assert wide.any() and (~wide).any()
    np.testing.assert_allclose(widths[wide], exact[wide], rtol=1e-9)
    assert np.all(widths[~wide] >= exact[~wide] - 1e-9)
    assert np.all(widths[~wide] <= TAIL_MAX_EMPTY_LAYER)


@pytest.mark.parametrize("length", [1e7, 9e7])
def test_tail_correction_of_two_atoms_in_a_huge_box_is_computed_and_marked(length):
    atoms = Atoms("Ar2", positions=[[0, 0, 0], [3.5, 0, 0]], cell=[length] * 3, pbc=True)
    plain = ours(atoms)[0]
    atoms.calc = D3(device="cpu", tail_correction=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        energy = atoms.get_potential_energy()
    marks = [w for w in caught if issubclass(w.category, InhomogeneousTailWarning)]
    assert len(marks) == 1 and "a cluster in a box" in str(marks[0].message)
    # the tail of a box 10⁷ Å wide is ~1e-22 eV
    assert energy == pytest.approx(plain, rel=1e-12)


def needle(length, natoms=40, seed=0):
    """Argon in a 12 x 12 Å column: a dense stretch of 400 Å, then vacuum along c."""
    rng = np.random.default_rng(seed)
    atoms = Atoms(f"Ar{natoms}", cell=[12.0, 12.0, length], pbc=True)
    atoms.positions = np.c_[rng.random((natoms, 2)) * 12.0, np.linspace(0.0, 400.0, natoms)]
    return atoms


@pytest.mark.parametrize("length", [8000.0, 20000.0])
@pytest.mark.parametrize("kwargs", [{}, {"atm": True, "cn_cutoff": 10.3}])
def test_needle_cells_match_simple_dftd3(length, kwargs):
    assert_matches(needle(length), **kwargs)


@pytest.mark.parametrize("period", [1e5, 3e5])
def test_a_wire_of_long_period_equals_the_molecule(period):
    """Images 10⁵ Å apart are beyond every cutoff: the wire is the molecule."""
    wire = needle(period)
    wire.pbc = (False, False, True)
    molecule = wire.copy()
    molecule.pbc = False
    e_wire, f_wire, _, _ = ours(wire, atm=True)
    e_mol, f_mol, _, _ = ours(molecule, atm=True)
    assert e_wire == pytest.approx(e_mol, rel=1e-12)
    np.testing.assert_allclose(f_wire, f_mol, atol=1e-14)


@pytest.mark.parametrize(
    "cell, pbc, cutoff",
    [
        ([1.0, 1.0, 1.0], True, 1000.0),  # a cutoff far beyond a small cell
        ([[2.0, 0, 0], [1.9, 0.3, 0], [0, 0, 2.0]], True, 400.0),  # skewed, thin
        # a wire too thin for its cutoff (a 12 x 12 x 1e6 Å wire at 50 Å is computed since
        # the kernels count a pair's images by plane spacings: test_d352_needle_cells)
        ([0.5, 0.5, 1e6], (True, True, False), 2000.0),
    ],
)
def test_the_work_check_still_refuses_what_the_kernel_cannot_do(cell, pbc, cutoff):
    atoms = Atoms("Ar", positions=[[0.3, 0.2, 0.0]], cell=cell, pbc=pbc)
    atoms.calc = D3(device="cpu", cutoff=cutoff, cn_cutoff=min(cutoff, 20.0))
    with pytest.raises(ValueError, match=r"^D3: the largest cutoff .* periodic images"):
        atoms.get_potential_energy()
