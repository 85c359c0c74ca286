"""A fidelity (``modal``) of a multi-fidelity model is an option word.

SevenNet-MF-0's ``modal="pbe"`` was refused ("did you mean 'PBE'? fidelity names are
case-sensitive") where every other word option of the package (D3's functional, the CLI's
--modal) is read in any case; sevenn itself compares exactly, so the model's spelling is what
is passed on and recorded.
"""

import pytest
from ase.calculators.emt import EMT

from ase_electrolyte import Calculator
from ase_electrolyte.calculator_errors import InputError
from ase_electrolyte.models import check_model, modal_spelling


@pytest.fixture
def loads(monkeypatch):
    """The options each SevenNet load was given; an EMT stands in for the network."""
    from ase_electrolyte import models

    seen = []

    def fake(source, device, dtype, options):
        seen.append(dict(options))
        return EMT(), frozenset(range(1, 95)), False

    monkeypatch.setattr(models, "_LOADERS", {**models._LOADERS, "sevennet": fake})
    return seen


@pytest.mark.parametrize("typed, spelled", [
    ("pbe", "PBE"), ("Pbe", "PBE"), (" PBE ", "PBE"), ("r2scan", "R2SCAN"), ("R2-SCAN", "R2SCAN"),
    ("r2_scan", "R2SCAN"), ("PBE", "PBE"),
])
def test_the_calculator_passes_and_records_the_models_spelling(typed, spelled, loads):
    calc = Calculator("SevenNet-MF-0", device="cpu", modal=typed)
    assert loads == [{"modal": spelled}]
    assert calc.parameters["modal"] == spelled
    assert calc.todict()["modal"] == spelled
    # the record builds the same calculator; another spelling of it is no change
    assert calc.set(modal=typed.lower()) == {}
    assert len(loads) == 1
    assert calc.set(modal="R2SCAN" if spelled == "PBE" else "PBE")
    assert len(loads) == 2


@pytest.mark.parametrize("typed, spelled", [("pbe", "PBE"), ("R2scan", "R2SCAN")])
def test_check_model_takes_the_fidelity_in_any_case(typed, spelled):
    assert check_model("sevennet-mf-0", modal=typed) == "sevennet"
    assert modal_spelling(typed, ("PBE", "R2SCAN")) == spelled


@pytest.mark.parametrize("typed, words", [
    ("PBE0", r"unknown modal 'PBE0' for 'sevennet-mf-0' \(did you mean 'PBE'\?\); choose one"),
    ("scan", r"unknown modal 'scan' .*choose one of \['PBE', 'R2SCAN'\]"),
    ("", r"unknown modal ''"),
])
def test_a_fidelity_the_model_lacks_is_still_refused(typed, words, loads):
    with pytest.raises(InputError, match=words):
        Calculator("sevennet-mf-0", device="cpu", modal=typed)
    assert loads == []


def test_a_one_fidelity_model_still_takes_no_modal_in_any_case(loads):
    with pytest.raises(InputError, match="has one fidelity and takes no modal"):
        Calculator("sevennet-0", device="cpu", modal="pbe")
