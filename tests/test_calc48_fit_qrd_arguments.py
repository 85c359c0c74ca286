"""``fit_qrd`` refuses by type a ``reference`` or ``initial`` of the wrong kind, before any sum.

One dict of labels as ``reference`` for three frames was told "1 reference entries for 3
frames" (its key count), and one of three keys ended in ``KeyError: 0``; a number in
"object of type 'int' has no len()". ``initial=[]`` or ``0`` was taken for no start, and a
list of pairs was told "scheme='qrd' needs qrd={...}".
"""

import numpy as np
import pytest
from ase import Atoms
from ase.calculators.singlepoint import SinglePointCalculator

from ase_electrolyte import Electrostatics, fit_qrd


def _frames():
    truth = {"Li": (0.9, 1.0), "F": (-0.7, 2.0)}
    frames = []
    for n, charge in ((1, 0), (2, 1), (2, 0)):
        atoms = Atoms("LiF" * n + "Li" * charge)
        atoms.positions = [[2.1 * k, 0.4 * (k % 2), 0.0] for k in range(len(atoms))]
        atoms.info["charge"] = charge
        labelled = atoms.copy()
        labelled.calc = Electrostatics(scheme="qrd", qrd=truth)
        atoms.calc = SinglePointCalculator(
            atoms, energy=labelled.get_potential_energy(), forces=labelled.get_forces())
        frames.append(atoms)
    return frames


def _labels(frames):
    return [{"energy": f.calc.results["energy"], "forces": f.calc.results["forces"]}
            for f in frames]


@pytest.mark.parametrize("make, match", [
    (lambda labels: labels[0], "not a dict; for one frame pass"),
    (lambda labels: {"energy": 0.0, "forces": None, "stress": None}, "not a dict"),
    (lambda labels: 5, "not a int"),
    (lambda labels: "labels.xyz", "not a str"),
    (lambda labels: 2.5, "not a float"),
], ids=["one-dict", "dict-of-three-keys", "int", "str", "float"])
def test_a_reference_that_is_no_sequence_of_dicts_is_refused_by_type(make, match):
    frames = _frames()
    with pytest.raises(TypeError, match=f"reference must be None, .*{match}"):
        fit_qrd(frames, None, reference=make(_labels(frames)))


@pytest.mark.parametrize("make", [
    tuple, list, lambda labels: (x for x in labels), lambda labels: np.array(labels, dtype=object),
], ids=["tuple", "list", "generator", "object-array"])
def test_every_sequence_of_dicts_fits_as_the_labels_the_frames_carry(make):
    frames = _frames()
    carried = fit_qrd(frames, None)
    given = fit_qrd(frames, None, reference=make(_labels(frames)))
    for element in ("Li", "F"):
        assert np.allclose(given.qrd[element], carried.qrd[element], atol=1e-9)


@pytest.mark.parametrize("initial", [[], 0, (), [("Li", (1.0, 1.0))], "Li", 1.5],
                         ids=repr)
def test_an_initial_that_is_no_dict_is_refused_by_type(initial):
    with pytest.raises(TypeError, match="initial must be None or a dict"):
        fit_qrd(_frames(), None, initial=initial)


def test_an_empty_dict_or_none_is_the_default_start():
    frames = _frames()
    default = fit_qrd(frames, None).qrd
    assert fit_qrd(frames, None, initial={}).qrd == default
    assert fit_qrd(frames, None, initial=None).qrd == default
