"""Device spellings: one torch-free parser, the availability check separate.

parse_device reads what users write in any case (torch's own "cpu:0" included) and refuses
the rest naming the fix, without importing torch; resolve_device("cpu") needs no torch
either (the command line checks devices before any heavy import).
"""

import subprocess
import sys

import pytest

from ase_electrolyte.device import Device, parse_device

CHECK = """
import sys
from ase_electrolyte.device import parse_device, resolve_device
for text in {texts!r}:
    try:
        parse_device(text)
    except ValueError:
        pass
resolve_device("CPU")
resolve_device(" cpu:0 ")
print("torch" in sys.modules)
"""


def test_spellings_are_settled_without_torch():
    texts = ["cpu", "CPU", "cuda", "Cuda:3", "gpu", "auto", "cuda:x"]
    out = subprocess.run([sys.executable, "-c", CHECK.format(texts=texts)],
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("text, expected", [
    ("cpu", Device("cpu")), (" CPU ", Device("cpu")), ("cpu:0", Device("cpu")),
    ("Cpu:00", Device("cpu")), ("cuda", Device("cuda", 0)), ("CUDA:2", Device("cuda", 2)),
    ("cuda:01", Device("cuda", 1)),
])
def test_equivalent_spellings_give_one_device(text, expected):
    assert parse_device(text) == expected
    assert parse_device(str(parse_device(text))) == expected  # the written form reads back


def test_torch_and_our_spelling_of_the_cpu_agree():
    torch = pytest.importorskip("torch")
    for text in ("cpu", "cpu:0"):
        assert parse_device(torch.device(text)) == parse_device(text) == Device("cpu")


@pytest.mark.parametrize("text, hint", [
    ("gpu", "spelt 'cuda'"), ("GPU:1", "spelt 'cuda:1'"), ("cpu:1", "no index other than 0"),
    ("cuda:\u0661", "'cuda:N'"), ("cuda:-1", "'cuda:N'"), ("mps", "'cuda:N'"),
])
def test_other_spellings_are_refused_naming_the_fix(text, hint):
    with pytest.raises(ValueError, match="device must be") as err:
        parse_device(text)
    assert hint in str(err.value) and repr(text) in str(err.value)


def test_auto_where_not_accepted_says_so():
    assert parse_device("AUTO") == "auto"
    with pytest.raises(ValueError, match="'auto' is not accepted here"):
        parse_device("auto", allow_auto=False)
