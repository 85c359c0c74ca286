"""Bonds and reference points given to the molecule functions are read as given, or refused.

Every function of :mod:`mda_electrolyte.molecules` that takes bonds cast them to integers and
reshaped them to pairs: ``[0, 1.7]`` was the bond 0-1, NaN the index -2**63 (an error about a
"negative axis 1 index"), and the ``(2, n_bonds)`` form of an edge list, ``[[0, 2, 4],
[1, 3, 5]]`` (bonds 0-1, 2-3, 4-5), was read as the bonds 0-2, 4-1 and 3-5: molecules joined
and split without a word. :func:`inertia_tensors` with ``com`` given took NaN masses (NaN
tensors) and a ``com`` of three rows for one molecule (three tensors, two of them zero).
"""

import numpy as np
import pytest
from ase import Atoms
from ase.build import molecule

from mda_electrolyte import molecules
from mda_electrolyte.molecules import (
    atoms_molecule_ids,
    bonded_components,
    check_stored_molecules,
    covalent_bonds,
    covalent_contacts,
    inertia_tensors,
    make_whole,
)


def _three_waters():
    parts = []
    for k in range(3):
        w = molecule("H2O")
        w.translate([3.0 * k + 1.0, 2.0, 2.0])
        parts.append(w)
    atoms = parts[0] + parts[1] + parts[2]
    atoms.cell = [10.0, 6.0, 6.0]
    atoms.pbc = True
    return atoms


WATERS = _three_waters()
BONDS = covalent_bonds(WATERS)  # (6, 2): two O-H per water
IDS = np.repeat([0, 1, 2], 3)


def _callers():
    atoms = WATERS
    return {
        "bonded_components": lambda b: bonded_components(len(atoms), b),
        "make_whole": lambda b: make_whole(atoms.positions, IDS, atoms.cell.array, bonds=b),
        "covalent_contacts": lambda b: covalent_contacts(atoms.positions, atoms.numbers, b,
                                                         atoms.cell.array, atoms.pbc),
        "atoms_molecule_ids": lambda b: atoms_molecule_ids(atoms, bonds=b),
        "check_stored_molecules": lambda b: check_stored_molecules(atoms, IDS, bonds=b),
        "check_bonds": lambda b: molecules.check_bonds(b, len(atoms)),
    }


BAD = {
    "edge list (2, n)": (BONDS.T, r"shape \(2, 6\).*bonds\.T"),
    "fraction": (np.array([[0, 1.7], [3, 4]]), "whole numbers.*1.7"),
    "NaN": (np.array([[0, np.nan]]), "whole numbers.*nan"),
    "flags": (np.array([[True, False]]), "whole numbers.*bool"),
    "text": (np.array([["0", "1"]]), "whole numbers"),
    "triples": (np.array([[0, 1, 2]]), r"shape \(1, 3\)"),
    "flat pairs": (np.array([0, 1, 0, 2]), r"shape \(4,\)"),
    "index too large": (np.array([[0, 9]]), r"outside 0 \.\. 8.*\[0, 9\]"),
    "negative index": (np.array([[-1, 0]]), r"outside 0 \.\. 8"),
}


@pytest.mark.parametrize("caller", sorted(_callers()))
@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_bonds_are_refused_by_every_function(caller, case):
    bonds, message = BAD[case]
    with pytest.raises(ValueError, match=message):
        _callers()[caller](bonds)


@pytest.mark.parametrize("form", ["ints", "whole floats", "list", "uint"])
def test_good_bonds_in_any_form_give_the_molecules(form):
    bonds = {"ints": BONDS, "whole floats": BONDS.astype(float), "list": BONDS.tolist(),
             "uint": BONDS.astype(np.uint32)}[form]
    assert bonded_components(len(WATERS), bonds).tolist() == IDS.tolist()
    assert atoms_molecule_ids(WATERS, bonds=bonds).tolist() == IDS.tolist()
    assert molecules.check_bonds(bonds, len(WATERS)).tolist() == BONDS.tolist()


@pytest.mark.parametrize("empty", [[], np.zeros(0), np.zeros((0, 2)), np.zeros((0, 2), int)])
def test_no_bonds_is_every_atom_alone(empty):
    assert bonded_components(4, empty).tolist() == [0, 1, 2, 3]


def test_the_edge_list_form_was_what_joined_wrong_molecules():
    """Read as pairs, the (2, n) form of bonds 0-1, 2-3, 4-5 joins 0-2, 4-1 and 3-5: the
    refusal guards against exactly this; its transpose gives the three molecules."""
    edge_list = np.array([[0, 2, 4], [1, 3, 5]])
    assert bonded_components(6, edge_list.T).tolist() == [0, 0, 1, 1, 2, 2]
    with pytest.raises(ValueError, match="bonds.T"):
        bonded_components(6, edge_list)


@pytest.mark.parametrize("n_atoms", [-1, 2.5, np.nan, "4", None])
def test_bonded_components_needs_a_count(n_atoms):
    with pytest.raises((ValueError, TypeError), match="n_atoms"):
        bonded_components(n_atoms, [])


# --- inertia tensors -------------------------------------------------------------------

ETHANOL = molecule("CH3CH2OH")


def test_inertia_tensor_about_the_centre_matches_ase():
    ids = np.zeros(len(ETHANOL), dtype=int)
    com = ETHANOL.get_center_of_mass()[None]
    for given in (None, com):
        tensor = inertia_tensors(ETHANOL.positions, ETHANOL.get_masses(), ids, com=given)
        np.testing.assert_allclose(np.linalg.eigvalsh(tensor[0]),
                                   ETHANOL.get_moments_of_inertia(), rtol=1e-10)


def test_inertia_tensor_about_another_point_obeys_the_parallel_axis_theorem():
    ids = np.zeros(len(ETHANOL), dtype=int)
    masses = ETHANOL.get_masses()
    com = ETHANOL.get_center_of_mass()
    d = np.array([0.7, -1.1, 2.3])
    about_com = inertia_tensors(ETHANOL.positions, masses, ids)[0]
    about_point = inertia_tensors(ETHANOL.positions, masses, ids, com=(com + d)[None])[0]
    shift = masses.sum() * (d @ d * np.eye(3) - np.outer(d, d))
    np.testing.assert_allclose(about_point, about_com + shift, rtol=1e-10, atol=1e-10)


BAD_INERTIA = {
    "NaN mass": (dict(masses="nan"), "nan amu"),
    "negative mass": (dict(masses="negative"), "-12.011 amu"),
    "short masses": (dict(masses="short"), r"shape \(8,\)"),
    "three points for one molecule": (dict(com=np.zeros((3, 3))), r"shape \(1, 3\)"),
    "flat point": (dict(com=np.zeros(3)), r"shape \(1, 3\)"),
    "NaN point": (dict(com=np.full((1, 3), np.nan)), "non-finite"),
    "NaN position": (dict(positions="nan"), "non-finite"),
    "2D positions": (dict(positions="2d"), r"shape \(n_atoms, 3\)"),
}


@pytest.mark.parametrize("case, with_com", [(c, w) for c in sorted(BAD_INERTIA)
                                            for w in (True, False)
                                            if w or "com" not in BAD_INERTIA[c][0]])
def test_inertia_tensors_refuse_what_would_give_nan_or_extra_tensors(case, with_com):
    change, message = BAD_INERTIA[case]
    positions = ETHANOL.positions.copy()
    masses = ETHANOL.get_masses()
    com = change.get("com", ETHANOL.get_center_of_mass()[None] if with_com else None)
    if change.get("masses") == "nan":
        masses = np.r_[np.nan, masses[1:]]
    elif change.get("masses") == "negative":
        masses = -masses
    elif change.get("masses") == "short":
        masses = masses[:-1]
    if change.get("positions") == "nan":
        positions[0] = np.nan
    elif change.get("positions") == "2d":
        positions = positions[:, :2]
    with pytest.raises(ValueError, match=message):
        inertia_tensors(positions, masses, np.zeros(len(ETHANOL), dtype=int), com=com)


def test_isolated_atom_has_no_inertia():
    atoms = Atoms("Ar", positions=[[1.0, 2.0, 3.0]])
    tensor = inertia_tensors(atoms.positions, atoms.get_masses(), [0], com=atoms.positions)
    assert np.all(tensor == 0)
