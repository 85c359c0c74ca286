"""Inputs read by name before any work: a GPU index torch can hold, ``cutoff="AUTO"`` in any
case, and QRd starts or parameters that name an element the frames do not hold or twice.

``parse_device("cuda:999999999999999999999")`` was accepted and refused only at the GPU check
(and torch wraps "cuda:128" onto cuda:-128); ``Electrostatics(cutoff="AUTO")`` was refused
while every other option word reads any case; ``fit_qrd(frames, initial={"Na": (1, 1)})`` on
Li/F frames dropped the start without a word; ``qrd={"Li": (0, 1), 3: (1, 1)}`` kept the last
pair.
"""

import numpy as np
import pytest
from ase import Atoms
from ase.calculators.singlepoint import SinglePointCalculator

from ase_electrolyte import Electrostatics, fit_qrd
from ase_electrolyte.device import Device, device_spelling, parse_device

_FIXED = {"scheme": "fixed", "charges": [1.0, -1.0]}


@pytest.mark.parametrize("text", [
    "cuda:128", "cuda:999999999999999999999", " CUDA : 1000 ", "cuda:" + "9" * 5000,
    "cuda:0000000000000000000000128",
], ids=["128", "1e21", "blanks-1000", "5000-digits", "zeros-128"])
def test_a_gpu_index_beyond_torchs_range_is_refused_when_parsed(text):
    with pytest.raises(ValueError, match="at most 127"):
        parse_device(text)
    with pytest.raises(ValueError, match="at most 127"):
        device_spelling(text)


@pytest.mark.parametrize("index", [128, 10**21, np.int64(200)])
def test_a_device_of_a_larger_index_cannot_be_made(index):
    with pytest.raises(ValueError, match="at most 127"):
        Device("cuda", index)


@pytest.mark.parametrize("text, expected", [
    ("cuda:127", "cuda:127"), ("cuda:0000000000000000000000007", "cuda:7"),
    ("cpu:0000000000000000000000000", "cpu"),
])
def test_indices_within_range_still_parse(text, expected):
    assert str(parse_device(text)) == expected


def test_a_cpu_index_of_many_digits_is_the_cpu_message_not_pythons_digit_limit():
    with pytest.raises(ValueError, match="the CPU has no index other than 0"):
        parse_device("cpu:" + "1" * 5000)


@pytest.mark.parametrize("word", ["AUTO", " Auto ", "aUtO"])
def test_cutoff_auto_reads_any_case_in_the_constructor_and_set(word):
    term = Electrostatics(cutoff=word, **_FIXED)
    assert term.parameters["cutoff"] == "auto" and term.todict()["cutoff"] == "auto"
    term = Electrostatics(cutoff=9.0, **_FIXED)
    term.set(cutoff=word)
    assert term.parameters["cutoff"] == "auto"


@pytest.mark.parametrize("word, match", [
    ("autoo", "did you mean 'auto'"), ("", "cutoff"), ("8", "not as text"),
    ("nan", "finite number"),
])
def test_cutoff_words_that_are_not_auto_are_refused_by_name(word, match):
    with pytest.raises(ValueError, match=match):
        Electrostatics(cutoff=word, **_FIXED)


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


@pytest.mark.parametrize("initial, named", [
    ({"Na": (1.0, 1.0)}, "Na"), ({"Li": (0.5, 1.0), "Cl": (-1.0, 1.0)}, "Cl"),
    ({11: (1.0, 1.0), "F": (-1.0, 1.0)}, "Na"),
])
def test_fit_qrd_refuses_a_start_for_an_element_the_frames_do_not_hold(initial, named):
    with pytest.raises(ValueError, match=f"initial names {named}, which the frames do not hold"):
        fit_qrd(_frames(), None, initial=initial)


@pytest.mark.parametrize("qrd", [
    {"Li": (0.0, 1.0), 3: (1.0, 1.0)}, {np.int64(3): (0.0, 1.0), "Li": (1.0, 1.0)},
    {"F": (0.0, 1.0), np.int32(9): (1.0, 1.0)},
])
def test_qrd_parameters_naming_one_element_twice_are_refused(qrd):
    with pytest.raises(ValueError, match="twice"):
        Electrostatics(scheme="qrd", qrd=qrd)
    with pytest.raises(ValueError, match="twice"):
        fit_qrd(_frames(), None, initial=qrd)


@pytest.mark.parametrize("key", [True, False, np.True_])
def test_a_flag_is_no_element_key(key):
    with pytest.raises(ValueError, match="keyed by element"):
        Electrostatics(scheme="qrd", qrd={key: (0.0, 1.0), "Li": (1.0, 1.0)})
