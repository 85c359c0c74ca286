"""D3 reads a device as the calculator does (``device.parse_device``): it had its own pattern,
which refused torch's ``cpu:0`` and any case but lower, and read ``cuda:<non-ASCII digit>``."""
import pytest
from ase.build import molecule

from ase_electrolyte import D3
from ase_electrolyte.d3.backend import select_device
from ase_electrolyte.device import parse_device


@pytest.mark.parametrize("device", ["cpu", "CPU", " Cpu ", "cpu:0", "CPU:0"])
def test_every_spelling_of_the_cpu_gives_the_cpu_energy(device):
    atoms = molecule("CH3CH2OH")
    reference = D3(device="cpu").get_potential_energy(atoms)
    assert select_device(device) == "cpu"
    assert D3(device=device).get_potential_energy(atoms) == reference


@pytest.mark.parametrize("device, hint", [
    ("gpu", "a GPU is spelt 'cuda'"), ("cpu:1", "the CPU has no index other than 0"),
    ("cuda:\u0661", "not 'cuda:\u0661'"), ("tpu", "not 'tpu'"),
])
def test_a_device_the_calculator_refuses_d3_refuses_with_its_hint(device, hint):
    with pytest.raises(ValueError) as d3_error:
        select_device(device)
    with pytest.raises(ValueError) as parser_error:
        parse_device(device)
    assert hint in str(d3_error.value) and str(d3_error.value) == str(parser_error.value)
