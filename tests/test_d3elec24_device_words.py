"""Device spellings read as every option word is: blanks around the word and the colon, and a
misspelt word named (it said only what is accepted)."""

import pytest
from ase.build import molecule

from ase_electrolyte import D3, Electrostatics
from ase_electrolyte.device import parse_device


@pytest.mark.parametrize("spelling, meant", [
    ("cuda: 0", "cuda:0"), (" CUDA : 1 ", "cuda:1"), ("cpu :0", "cpu"), ("\tCuda:2\n", "cuda:2"),
])
def test_blanks_around_the_colon_read_as_without(spelling, meant):
    assert str(parse_device(spelling)) == meant


def test_d3_and_electrostatics_take_the_spaced_cpu_as_the_cpu():
    atoms = molecule("CH3CH2OH")
    assert D3(device="cpu : 0").get_potential_energy(atoms) == \
        D3(device="cpu").get_potential_energy(atoms)
    assert Electrostatics(scheme="fixed", charges=[0.5, -0.5] + [0.0] * (len(atoms) - 2),
                          device=" CPU : 0 ").parameters["device"] == "cpu"


@pytest.mark.parametrize("spelling, meant, allow_auto", [
    ("cpuu", "cpu", True), ("cdua:1", "cuda:1", True), ("CUAD", "cuda", False),
    ("atuo", "auto", True), ("cpux:0", "cpu:0", True),
    ("c u d a", "cuda", True),  # blanks inside a word are no spelling of it, only near one
])
def test_a_near_miss_is_named(spelling, meant, allow_auto):
    with pytest.raises(ValueError, match=f"not {spelling!r} \\(did you mean {meant!r}\\?\\)"):
        parse_device(spelling, allow_auto=allow_auto)


@pytest.mark.parametrize("spelling, allow_auto", [
    ("cpux:3", True),     # the CPU has no index 3: 'cpu:3' would be refused in its turn
    ("atuo", False),      # 'auto' is not accepted here
    ("tpu", True),        # another device, not a misspelt CPU
    ("cuda:0x", True),
])
def test_no_suggestion_that_would_be_refused_or_another_device(spelling, allow_auto):
    with pytest.raises(ValueError) as err:
        parse_device(spelling, allow_auto=allow_auto)
    assert "did you mean" not in str(err.value)
