"""Boxes given to make_whole / check_whole: a box that is none is refused, a real one used.

MDAnalysis' ``triclinic_vectors`` returns a zero matrix for angles that describe no box
(0°, 180°, 60°/60°/150°): :func:`make_whole` took it as no periodicity and returned molecules
cut by the box unchanged, and :func:`check_whole` passed them. A 3×3 cell with NaN failed
with "cannot convert float NaN to integer", one with parallel vectors with "Singular matrix".
"""

import numpy as np
import pytest
from ase.geometry import wrap_positions
from MDAnalysis.lib.mdamath import triclinic_box

from mda_electrolyte.molecules import check_whole, make_whole, molecule_species


def _chains(cell, n_mol=4, n_atoms=6, bond=1.5, seed=0):
    """Whole chain molecules (random walks of C atoms 1.5 Å apart) and their wrapped copy."""
    rng = np.random.default_rng(seed)
    chains = []
    for _ in range(n_mol):
        steps = rng.normal(size=(n_atoms - 1, 3))
        steps *= bond / np.linalg.norm(steps, axis=1)[:, None]
        start = rng.uniform(0, 20, 3)
        chains.append(np.vstack([start, start + np.cumsum(steps, axis=0)]))
    whole = np.concatenate(chains)
    ids = np.repeat(np.arange(n_mol), n_atoms)
    return whole, wrap_positions(whole, cell, pbc=True), ids, np.full(len(ids), 6)


BAD_SIX = {
    "angle 0": [10, 10, 10, 0, 90, 90],
    "angle 180": [10, 10, 10, 90, 90, 180],
    "angles of no cell": [10, 10, 10, 60, 60, 150],
    "angle above 180": [10, 10, 10, 90, 90, 200],
    "negative angle": [10, 10, 10, -90, 90, 90],
}
BAD_MATRIX = {
    "NaN": np.full((3, 3), np.nan),
    "inf": np.diag([10.0, 10.0, np.inf]),
    "parallel vectors": np.array([[10.0, 0, 0], [5.0, 0, 0], [0, 0, 10.0]]),
}


@pytest.mark.parametrize("function", [make_whole, check_whole])
@pytest.mark.parametrize("case", sorted(BAD_SIX))
def test_angles_that_make_no_box_are_refused(function, case):
    cell = np.diag([10.0, 10.0, 10.0])
    _, wrapped, ids, _ = _chains(cell)
    with pytest.raises(ValueError, match="describe no box"):
        function(wrapped, ids, BAD_SIX[case])


@pytest.mark.parametrize("function", [make_whole, check_whole])
@pytest.mark.parametrize("case", sorted(BAD_MATRIX))
def test_cells_that_are_no_box_are_refused(function, case):
    cell = np.diag([10.0, 10.0, 10.0])
    _, wrapped, ids, _ = _chains(cell)
    with pytest.raises(ValueError, match="non-finite|parallel"):
        function(wrapped, ids, BAD_MATRIX[case])


@pytest.mark.parametrize("seed", range(6))
def test_triclinic_boxes_in_both_forms_make_the_molecules_whole(seed):
    rng = np.random.default_rng(100 + seed)
    cell = np.array([[9.0, 0, 0], [rng.uniform(-4, 4), 9.0, 0],
                     [rng.uniform(-4, 4), rng.uniform(-4, 4), 9.0]])
    whole, wrapped, ids, numbers = _chains(cell, seed=seed)
    six = triclinic_box(*cell)
    by_matrix = make_whole(wrapped, ids, cell)
    by_six = make_whole(wrapped, ids, six)
    np.testing.assert_allclose(by_six, by_matrix, atol=1e-4)  # six numbers in float32
    for made in (by_matrix, by_six):
        check_whole(made, ids, cell, numbers=numbers)
        # each molecule is the original one moved by a lattice vector
        for m in np.unique(ids):
            shift = made[ids == m] - whole[ids == m]
            np.testing.assert_allclose(shift, np.broadcast_to(shift[0], shift.shape),
                                       atol=1e-4)
            lattice = np.linalg.solve(cell.T, shift[0])
            np.testing.assert_allclose(lattice, np.round(lattice), atol=1e-4)


def test_rows_of_zeros_are_directions_without_periodicity():
    """ASE's convention, kept: a cell with a zero row is not periodic along it."""
    cell = np.diag([10.0, 10.0, 0.0])
    whole, _, ids, numbers = _chains(np.diag([10.0, 10.0, 10.0]))
    made = make_whole(whole, ids, cell)
    check_whole(made, ids, cell, numbers=numbers)


@pytest.mark.parametrize("names", [[], ["EC"] * 5, ["EC"] * 7, [["EC"] * 6]])
def test_molecule_species_needs_one_name_per_atom(names):
    with pytest.raises(ValueError, match="one species name per atom"):
        molecule_species([6] * 6, [0, 0, 0, 1, 1, 1], names=names)


def test_molecule_species_names_each_molecule_by_its_first_atom():
    assert molecule_species([6] * 4, [0, 1, 1, 0], names=["a", "b", "x", "y"]) == ["a", "b"]
