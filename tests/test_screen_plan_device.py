"""A plan's device is read as the calculator reads it (``device.parse_device``).

The plan had its own pattern: ``CPU`` and torch's ``cpu:0`` were refused while the calculator
and the command line take them, and the engine's ``device != "cpu"`` would have taken any other
spelling of the CPU for a GPU request. Now the plan stores one spelling, and a refusal carries
the calculator's own hint ("a GPU is spelt 'cuda'").
"""
import pytest

from ase_electrolyte.device import parse_device
from ase_electrolyte.screen import PlanError, load_plan


def _plan(device):
    return load_plan({
        "name": "device", "seed": 1, "replicas": 1, "temperatures": [298], "n_atoms": 400,
        "analyses": [],
        "model": {"calculator": "ase.calculators.emt:EMT", "device": device},
        "composition": [{"solvent": "EC:3,EMC:7", "salt": "LiPF6", "concentration": 1.0}],
    })


@pytest.mark.parametrize("given, stored", [
    ("cpu", "cpu"), ("CPU", "cpu"), (" Cpu ", "cpu"), ("cpu:0", "cpu"),
    ("auto", "auto"), ("AUTO", "auto"),
    # bare cuda lets the engine give each worker its own GPU; cuda:N names one GPU
    ("cuda", "cuda"), ("CUDA", "cuda"), ("cuda:1", "cuda:1"), ("CUDA:01", "cuda:1"),
])
def test_every_spelling_the_calculator_takes_is_stored_once(given, stored):
    assert _plan(given).model["device"] == stored
    # the stored spelling is the calculator's reading of what was given
    assert parse_device(stored) == parse_device(given)


@pytest.mark.parametrize("given, hint", [
    ("gpu", "a GPU is spelt 'cuda'"), ("GPU:1", "a GPU is spelt 'cuda:1'"),
    ("cpu:1", "the CPU has no index other than 0"), ("cuda:x", "not 'cuda:x'"),
    ("tpu", "not 'tpu'"), (0, "not '0'"),
])
def test_a_device_the_calculator_refuses_is_refused_with_its_hint(given, hint):
    with pytest.raises(PlanError, match=r"model: device must be .*" + hint.replace("(", r"\(")):
        _plan(given)
    with pytest.raises(ValueError):
        parse_device(str(given))


@pytest.mark.parametrize("given", ["CPU:0", " Cpu ", "cuda:01", "CUDA", "Auto", "cuda:2"])
def test_the_command_line_and_the_plan_store_one_spelling(given):
    """``--device`` (argparse type) and a plan's device store what device_spelling writes:
    ``--device cpu:0`` was passed on as typed while the plan stored ``cpu``."""
    from ase_electrolyte.device import device_spelling
    from electrolyte_cli.arguments import device_word

    assert device_word(given) == _plan(given).model["device"] == device_spelling(given)
    assert device_word(given) in ("auto", "cpu", "cuda") or device_word(given).startswith("cuda:")
    assert parse_device(device_word(given)) == parse_device(given)
