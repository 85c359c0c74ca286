"""replicate_box of a wrapped box: whole molecules in every copy, or a refusal before repeating.

A frame wrapped into its cell (a run's frame, molecules cut by the faces) was repeated as it
was: the atoms of a cut molecule landed in different copies, so each copy's molecule index
held pieces of several molecules. ``from_ase`` then refused the box with a hint about joining
boxes with '+' (40 of 48 molecules "several covalently bonded groups" for EC/LiPF6 × 8).
"""

import numpy as np
import pytest

pytest.importorskip("rdkit")
pytest.importorskip("packmol")

from ase_electrolyte.build import electrolyte_box, replicate_box  # noqa: E402
from ase_electrolyte.species import get_species  # noqa: E402
from ase_electrolyte.topology import MOLECULE_INDEX  # noqa: E402
from mda_electrolyte import from_ase  # noqa: E402
from mda_electrolyte.molecules import (  # noqa: E402
    bonded_components,
    covalent_bonds,
    first_appearance,
)


@pytest.fixture(scope="module")
def box():
    return electrolyte_box(counts={"EC": 4, "Li": 1, "PF6": 1}, seed=0)


def _wrapped(box):
    wrapped = box.copy()
    wrapped.positions += 0.5 * wrapped.cell.lengths()
    wrapped.wrap()
    return wrapped


@pytest.mark.parametrize("repeats", [2, (2, 1, 3), (1, 1, 2)])
def test_a_wrapped_box_repeats_into_whole_molecules(box, repeats):
    wrapped = _wrapped(box)
    before = wrapped.positions.copy()
    big = replicate_box(wrapped, repeats)
    assert np.array_equal(wrapped.positions, before)  # the caller's box is not changed
    n_copies = int(np.prod(np.broadcast_to(repeats, 3)))
    ids = first_appearance(big.arrays[MOLECULE_INDEX])
    assert ids.max() + 1 == 6 * n_copies
    # every index is one bonded molecule, and every molecule one index
    assert np.array_equal(bonded_components(len(big), covalent_bonds(big)), ids)
    u = from_ase(big)
    assert u.residues.n_residues == 6 * n_copies
    for residue in u.residues:
        assert residue.atoms.masses.sum() == pytest.approx(get_species(residue.resname).mass)
    # the box is the source's, repeated: same density
    assert big.get_volume() == pytest.approx(n_copies * box.get_volume())
    assert big.get_masses().sum() == pytest.approx(n_copies * box.get_masses().sum())


def test_a_box_of_whole_molecules_is_repeated_as_it_is(box):
    assert np.allclose(replicate_box(box, 2).positions, box.repeat(2).positions, atol=1e-9)


def test_an_index_that_is_no_molecules_is_refused_before_repeating(box):
    merged = box.copy()
    ids = merged.arrays[MOLECULE_INDEX]
    ids[ids == 1] = 0  # two EC under one index
    with pytest.raises(ValueError, match="replicate_box: the molecules of the box cannot be "
                                         "made whole"):
        replicate_box(merged, 2)
