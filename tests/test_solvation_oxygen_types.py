"""Carbonyl (Oc) and ether (Oe) oxygens of the shell labels: an alkoxide is neither.

The O of an alkoxide (CH3O⁻, one bond to a four-bonded carbon) has one bond to a carbon like a
carbonyl O; before, a methoxide in a Li⁺ shell was labelled "c" (``Li(MEOc)``) and its Li–O–C
angle counted among the Li–Oc–Cc angles. A carbonyl carbon has at most three bonds.
"""

import warnings

import numpy as np
import pytest
from test_solvation_boundary_and_multivalent import _universe

from mda_electrolyte import SolvationShells
from mda_electrolyte.solvation import oxygen_types

METHOXIDE = ("MEO", ["O", "C", "H", "H", "H"], [(0, 1), (1, 2), (1, 3), (1, 4)])
ACETONE = ("ACE", ["O", "C", "C", "C"], [(0, 1), (1, 2), (1, 3)])
ETHER = ("DME", ["O", "C", "C"], [(0, 1), (0, 2)])


def _place(li, direction, molecule):
    """A molecule's atoms with its O 2.0 Å from ``li`` along ``direction``, the rest behind."""
    d = np.asarray(direction, float) / np.linalg.norm(direction)
    o = li + 2.0 * d
    side = np.cross(d, [0.3, 0.5, 0.8])
    side /= np.linalg.norm(side)
    atoms = [o]
    for k in range(1, len(molecule[1])):
        atoms.append(o + 1.4 * d + 1.2 * (k - 1) * side)
    return atoms


def _shell(n_frames=6):
    li = np.array([10.0, 10.0, 10.0])
    molecules = [("LI", ["Li"], []), METHOXIDE, ACETONE, ETHER]
    atoms = [li]
    for mol, d in zip(molecules[1:], ([1, 0, 0], [-1, 0, 0], [0, 1, 0]), strict=True):
        atoms += _place(li, d, mol)
    rng = np.random.default_rng(2)
    frames = np.asarray(atoms)[None] + rng.normal(0, 0.003, (n_frames, len(atoms), 3))
    return _universe(molecules, frames, [30.0] * 3 + [90.0] * 3)


def test_oxygen_types_tell_an_alkoxide_from_a_carbonyl_and_an_ether():
    u = _shell()
    types, carbon = oxygen_types(u.atoms)
    o = {name: u.select_atoms(f"resname {name} and element O")[0].ix
         for name in ("MEO", "ACE", "DME")}
    assert types[o["MEO"]] == 0 and carbon[o["MEO"]] == -1
    assert types[o["ACE"]] == 1 and carbon[o["ACE"]] == o["ACE"] + 1
    assert types[o["DME"]] == 2 and carbon[o["DME"]] == -1


def test_the_shell_label_of_a_methoxide_has_no_carbonyl_suffix():
    u = _shell()
    species = {n: u.select_atoms(f"resname {n}") for n in ("MEO", "ACE", "DME")}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = SolvationShells(u.select_atoms("element Li"), {}, species,
                            cutoffs=dict.fromkeys(species, 2.5)).run().results
    assert r.labels == pytest.approx({"Li(MEO)(ACEc)(DMEe)": 1.0})
    # the Li–Oc–Cc angles are those of the one carbonyl: 6 frames, one angle each
    assert r.angles["M-Oc-Cc"]["n"] == 6
