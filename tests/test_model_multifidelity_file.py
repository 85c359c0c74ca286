"""A multi-fidelity SevenNet checkpoint given by path is judged for ``modal`` before the
network is built, as the registered 'sevennet-mf-0' is.

Before, ``Calculator(path_to_checkpoint_sevennet_mf_0.pth)`` built the network (7.7 s here)
and failed with sevenn's own "Calculator: modal argument missing (avail: ['R2SCAN',
'PBE'])"; a one-fidelity file with a modal was also built before being refused.
"""

from __future__ import annotations

import os
import warnings

import pytest

sevenn = pytest.importorskip("sevenn")

from ase_electrolyte import Calculator  # noqa: E402
from ase_electrolyte.calculator_errors import InputError  # noqa: E402

_PRETRAINED = os.path.join(os.path.dirname(sevenn.__file__), "pretrained_potentials")
MF_FILE = os.path.join(_PRETRAINED, "SevenNet_MF_0", "checkpoint_sevennet_mf_0.pth")
ONE_FILE = os.path.join(_PRETRAINED, "SevenNet_0__11Jul2024", "checkpoint_sevennet_0.pth")


class _Reached(Exception):
    pass


@pytest.fixture
def no_build(monkeypatch):
    """sevenn's calculator records its options and stops instead of building the network."""
    import sevenn.calculator

    seen = []

    def build(source, device="cpu", **options):
        seen.append(options)
        raise _Reached

    monkeypatch.setattr(sevenn.calculator, "SevenNetCalculator", build)
    return seen


@pytest.mark.parametrize(("path", "options", "message"), [
    (MF_FILE, {}, r"is multi-fidelity: pass modal=\.\.\., one of \['R2SCAN', 'PBE'\]"),
    (MF_FILE, {"modal": "pbe54"}, r"unknown modal 'pbe54' .* one of \['R2SCAN', 'PBE'\]"),
    (ONE_FILE, {"modal": "PBE"}, r"has one fidelity and takes no modal"),
])
def test_modal_judged_before_the_network_is_built(no_build, path, options, message):
    if not os.path.isfile(path):
        pytest.fail(f"sevenn ships {path}; its layout changed")
    with warnings.catch_warnings(), pytest.raises(InputError, match=message) as err:
        warnings.simplefilter("ignore")  # the file's untrusted-pickle warning, once per file
        Calculator(path, device="cpu", **options)
    assert isinstance(err.value, ValueError)
    assert "avail" not in str(err.value)  # not sevenn's message
    assert no_build == []


@pytest.mark.parametrize(("path", "options"), [
    (MF_FILE, {"modal": "PBE"}), (MF_FILE, {"modal": "R2SCAN"}), (ONE_FILE, {}),
])
def test_a_valid_modal_reaches_sevenn(no_build, path, options):
    with warnings.catch_warnings(), pytest.raises(_Reached):
        warnings.simplefilter("ignore")
        Calculator(path, device="cpu", **options)
    assert no_build == [options]


@pytest.mark.parametrize(("typed", "spelled"), [("pbe", "PBE"), (" r2scan", "R2SCAN")])
def test_a_fidelity_in_another_case_reaches_sevenn_as_the_file_spells_it(no_build, typed,
                                                                         spelled):
    # a fidelity is an option word (calc50); sevenn compares it exactly
    with warnings.catch_warnings(), pytest.raises(_Reached):
        warnings.simplefilter("ignore")
        Calculator(MF_FILE, device="cpu", modal=typed)
    assert no_build == [{"modal": spelled}]
