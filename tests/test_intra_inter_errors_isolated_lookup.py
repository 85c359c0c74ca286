"""Stored isolated-molecule labels that a code turned or reordered are named as such.

A code that reorients its input (Gaussian's standard orientation) or writes the atoms in
another order returns labels no geometry lookup finds: the run said only 'no stored reference
label', as if the molecule had not been computed. Now the stored molecule that has the
molecule's interatomic distances is named, turned or in another atom order, before any model
evaluation; labels in the orientation written still match.
"""

import sys
import warnings
from pathlib import Path

import pytest
from ase.calculators.singlepoint import SinglePointCalculator

sys.path.insert(0, str(Path(__file__).parent))
from test_intra_inter_errors_label_checks import (  # noqa: E402
    FRAMES,
    Counting,
    _isolated_labels,
    _labelled,
)

from mda_electrolyte.intra_inter_errors import IntraInterErrors  # noqa: E402


def _first(isolated, formula):
    return next(k for k, m in enumerate(isolated) if m.get_chemical_formula() == formula)


def _refused(isolated, message):
    model = Counting()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=message):
            IntraInterErrors(FRAMES, model, reference=_labelled(FRAMES),
                             reference_isolated=isolated).run()
    assert model.calls == 0


@pytest.mark.parametrize("turn", ["rotated", "mirrored"])
def test_a_turned_molecule_is_named(turn):
    isolated = _isolated_labels(FRAMES)
    k = _first(isolated, "CH4O")
    mol = isolated[k]
    energy, forces = mol.get_potential_energy(), mol.get_forces()
    turned = mol.copy()
    if turn == "rotated":
        turned.rotate(30, "z", center="COM")
    else:
        turned.positions[:, 0] *= -1.0
    turned.calc = SinglePointCalculator(turned, energy=energy, forces=forces)
    isolated[k] = turned
    _refused(isolated, f"CH4O \\(molecule 1\\): stored molecule {k} has its interatomic "
                       "distances but is turned or mirrored")


def test_a_molecule_in_another_atom_order_is_named():
    isolated = _isolated_labels(FRAMES)
    # every water of the labels in the order H H O
    for k, mol in enumerate(isolated):
        if mol.get_chemical_formula() == "H2O":
            order = [1, 2, 0]
            new = mol[order]
            new.calc = SinglePointCalculator(new, energy=mol.get_potential_energy(),
                                             forces=mol.get_forces()[order])
            isolated[k] = new
    _refused(isolated, "H2O \\(molecule 0\\): stored molecule .* has its atoms in another "
                       "order")


def test_labels_as_written_still_match():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = IntraInterErrors(FRAMES, Counting(), reference=_labelled(FRAMES),
                             reference_isolated=_isolated_labels(FRAMES)).run().results
    assert "intra" in r.rmse
