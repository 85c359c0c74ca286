"""A committee reads its fidelity (``modal``) as its members do: any case, recorded as the
model spells it, so that another spelling of it is no change and reloads no member."""

import warnings

import pytest
from ase.calculators.emt import EMT

from ase_electrolyte.committee import Committee


@pytest.fixture
def loads(monkeypatch):
    """The options each SevenNet load was given; an EMT stands in for the network."""
    from ase_electrolyte import models

    seen = []

    def fake(source, device, dtype, options):
        seen.append(dict(options))
        network = EMT()
        # what the committee reads of a SevenNet member: its cutoff (Å) and fidelity
        network.cutoff, network.modal = 5.0, options.get("modal")
        return network, frozenset(range(1, 95)), False

    monkeypatch.setattr(models, "_LOADERS", {**models._LOADERS, "sevennet": fake})
    return seen


def _committee(**options):
    with warnings.catch_warnings():
        # one model named twice: the committee warns that it is one member
        warnings.simplefilter("ignore")
        return Committee(["SevenNet-MF-0", "sevennet-mf-0"], device="cpu", **options)


@pytest.mark.parametrize("typed, spelled", [("pbe", "PBE"), (" r2-scan ", "R2SCAN"),
                                            ("PBE", "PBE")])
def test_the_committee_records_the_models_spelling(typed, spelled, loads):
    calc = _committee(modal=typed)
    assert calc.parameters["modal"] == spelled
    assert {o["modal"] for o in loads} == {spelled}
    n = len(loads)
    # another spelling of the same fidelity reloads nothing; another fidelity does
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert calc.set(modal=typed.upper()) == {}
        assert len(loads) == n
        assert calc.set(modal="R2SCAN" if spelled == "PBE" else "pbe")
    assert len(loads) > n
