"""relabel refuses calculator options beside a committee calculator, before any work.

``relabel(frames, committee, device="cuda")`` passed the options to the committee it builds
from a list of models; beside a committee calculator (loaded already) they were dropped
without a word, and the frames were labelled wherever that committee ran. They are refused
before the frames are read, naming them; with a list of models they still reach the
committee built from it.
"""

import re

import pytest
from ase.build import bulk

from ase_electrolyte import calculator as calculator_module
from ase_electrolyte import distill


class _Committee:
    """A committee calculator as relabel recognises one (its ``members``), never evaluated."""

    members = ("a", "b")


def _frames():
    return [bulk("Cu", cubic=True)]


@pytest.mark.parametrize("options", [{"device": "cuda"}, {"device": "cpu"},
                                     {"dispersion": "d3-bj"}, {"device": "cpu", "foo": 1}])
def test_options_beside_a_committee_calculator_are_refused(monkeypatch, options):
    def never(*args, **kwargs):
        raise AssertionError("the frames were read before the options were refused")

    monkeypatch.setattr("ase_electrolyte.finetuning._frame_list", never)
    said = f"relabel: {sorted(options)} are options of a committee given as a list of models"
    with pytest.raises(ValueError, match=re.escape(said)):
        distill.relabel(_frames(), _Committee(), **options)


def test_options_reach_the_committee_built_from_a_list(monkeypatch):
    built = []

    class Stop(Exception):
        """The committee was built: the options it got are recorded, nothing is labelled."""

    def recorded(model, **options):
        built.append((model, options))
        raise Stop

    monkeypatch.setattr(calculator_module, "Calculator", recorded)
    with pytest.raises(Stop):
        distill.relabel(_frames(), ["a.pth", "b.pth"], device="cpu")
    assert built == [(["a.pth", "b.pth"], {"device": "cpu"})]
