"""The packages' environment variables are read one way (ase_electrolyte.environment).

``MDA_ELECTROLYTE_NO_KERNEL=0``, written to keep the compiled pair histogram, turned it off (any
value did), and ``OMP_NUM_THREADS=4,2`` failed a Python user's model load inside numexpr's
import as "invalid literal for int()", naming neither the variable nor the cure.
"""

import os
import subprocess
import sys

import pytest

from ase_electrolyte.d3 import backend as d3_backend
from ase_electrolyte.environment import OFF_WORDS, check_thread_variables, switch_on
from mda_electrolyte import pair_histogram


@pytest.mark.parametrize("value", [*OFF_WORDS, " OFF ", "False", "No", "0 "])
def test_off_words_and_unset_are_off(value):
    assert not switch_on("X", {"X": value})
    assert not switch_on("X", {})


@pytest.mark.parametrize("value", ["1", "yes", "on", "true", "asan", "2"])
def test_other_values_are_on(value):
    assert switch_on("X", {"X": value})


@pytest.fixture
def fresh_kernel_choice(monkeypatch):
    pair_histogram.pair_histogram_kernel.cache_clear()
    yield monkeypatch
    pair_histogram.pair_histogram_kernel.cache_clear()


def test_no_kernel_zero_keeps_the_compiled_kernel(fresh_kernel_choice):
    fresh_kernel_choice.delenv("MDA_ELECTROLYTE_NO_KERNEL", raising=False)
    if pair_histogram.pair_histogram_kernel() is None:
        pytest.skip("no C++ compiler here: the kernel cannot be built")
    for off in ("0", "false", "off"):
        pair_histogram.pair_histogram_kernel.cache_clear()
        fresh_kernel_choice.setenv("MDA_ELECTROLYTE_NO_KERNEL", off)
        assert pair_histogram.pair_histogram_kernel() is not None, off
    pair_histogram.pair_histogram_kernel.cache_clear()
    fresh_kernel_choice.setenv("MDA_ELECTROLYTE_NO_KERNEL", "1")
    assert pair_histogram.pair_histogram_kernel() is None


@pytest.mark.parametrize("value, mode", [("0", None), ("off", None), ("No", None), ("", None),
                                         ("1", "host"), ("asan", "asan"), ("ASan", "asan")])
def test_d3_cuda_host_switch_reads_the_same_words(monkeypatch, value, mode):
    monkeypatch.setattr(d3_backend, "_cuda_host_mode", None)
    monkeypatch.setenv("ASE_ELECTROLYTE_D3_CUDA_HOST", value)
    assert d3_backend.cuda_host_mode() == mode


def test_nested_openmp_counts_are_named_before_the_backend_import():
    """In a fresh interpreter (numexpr not imported yet), as a Python user meets it."""
    code = (
        "import sys\n"
        "from ase_electrolyte.models import load_model\n"
        "try:\n"
        "    load_model('SevenNet-0', device='cpu')\n"
        "except ValueError as err:\n"
        "    print('ERR', err)\n"
        "print('numexpr' in sys.modules, 'sevenn' in sys.modules)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "NUMEXPR_NUM_THREADS"}
    env["OMP_NUM_THREADS"] = "4,2"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert lines[0].startswith("ERR") and "OMP_NUM_THREADS='4,2'" in lines[0], out.stdout
    assert "NUMEXPR_NUM_THREADS=4" in lines[0]
    # refused before the backend (and numexpr with it) was imported
    assert lines[-1] == "False False", out.stdout


def test_a_readable_environment_passes():
    check_thread_variables({"OMP_NUM_THREADS": "2"})
    check_thread_variables({"OMP_NUM_THREADS": "4,2", "NUMEXPR_NUM_THREADS": "4"})
    check_thread_variables({})
