"""A committee of models of different kinds is refused when it is made.

Members of another cutoff radius or another backend disagree by what makes them differ (what
only the longer cutoff sees; another architecture, training set and energy reference), so their
spread is not an uncertainty. They were accepted and evaluated (a 3.2 Å and a 4.0 Å tiny copper
model, or a SevenNet and a CHGNet model, made a committee). They are now refused once the
members are loaded, before any structure is evaluated, naming the member and the difference;
a calculator whose members ``set()`` would change to such a committee stays as it was.
"""

import os

import numpy as np
import pytest
from tiny_models import TINY, emt_copper, tiny_committee

pytest.importorskip("sevenn")

from ase.calculators.calculator import InputError  # noqa: E402

from ase_electrolyte import Calculator  # noqa: E402
from ase_electrolyte.committee import Committee  # noqa: E402


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return tiny_committee(tmp_path_factory.mktemp("tiny_committee_kinds"))[1]


@pytest.fixture(scope="module")
def longer_cutoff(tmp_path_factory):
    """A tiny copper model like the committee's members but with a 4.0 Å cutoff."""
    from ase_electrolyte.finetuning import finetune

    res = finetune(dict(TINY, cutoff=4.0), emt_copper(6), epochs=2, lr=0.02, batch_size=3,
                   out=tmp_path_factory.mktemp("tiny_cutoff_4"), device="cpu", plot=False)
    return str(res.checkpoint)


def _no_member_runs(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a member was evaluated")

    monkeypatch.setattr(Committee, "_members_one_by_one", refuse)
    monkeypatch.setattr(Committee, "_members_shared_graph", refuse)


@pytest.mark.parametrize("position", [0, 1, 2])
def test_a_member_of_another_cutoff_is_refused_naming_it(tiny, longer_cutoff, monkeypatch,
                                                         position):
    _no_member_runs(monkeypatch)
    models = list(tiny)
    models.insert(position, longer_cutoff)
    # the member named is the first whose cutoff differs from member 0's
    named = 1 if position == 0 else position
    first, other = (4.0, 3.2) if position == 0 else (3.2, 4.0)
    with pytest.raises(InputError, match=rf"committee member {named} .* cutoff of {other:g} Å "
                                         rf"and member 0 .* one of {first:g} Å.*between 3.2 "
                                         r"and 4 Å"):
        Calculator(models, device="cpu")


def test_members_of_one_cutoff_are_a_committee(tiny):
    calc = Calculator(list(tiny), device="cpu")
    assert calc._shared_graph
    atoms = emt_copper(1, seed=5)[0]
    atoms.calc = calc
    assert np.isfinite(atoms.get_potential_energy())
    assert calc.results["energy_std"] > 0


def test_set_to_members_of_another_cutoff_leaves_the_committee_as_it_was(tiny, longer_cutoff):
    calc = Calculator(list(tiny), device="cpu")
    atoms = emt_copper(1, seed=6)[0]
    atoms.calc = calc
    before = atoms.get_potential_energy(), calc.results["energy_std"]
    members = list(calc.members)
    with pytest.raises(InputError, match="cutoff of 4 Å"):
        calc.set(model=[tiny[0], longer_cutoff])
    assert calc.members == members
    assert [str(m) for m in calc.parameters["model"]] == [str(m) for m in tiny]
    calc.reset()
    assert atoms.get_potential_energy() == pytest.approx(before[0], abs=1e-6)
    assert calc.results["energy_std"] == pytest.approx(before[1], abs=1e-6)


def test_a_member_of_another_backend_is_refused_naming_both(tiny):
    pytest.importorskip("chgnet")
    with pytest.raises(InputError, match=r"committee member 1 \('chgnet-0.3.0'\) is a chgnet "
                                         r"model and member 0 .* a sevennet model"):
        Calculator([tiny[0], "chgnet-0.3.0"], device="cpu")


@pytest.fixture(scope="module")
def fine_tuned(tiny, tmp_path_factory):
    """Two members fine-tuned from the committee's member 0 (their records say so)."""
    from ase_electrolyte.finetuning import finetune

    res = finetune(tiny[0], emt_copper(4, seed=9), epochs=1, lr=1e-3, batch_size=1,
                   ensemble=2, out=tmp_path_factory.mktemp("tiny_fine_tuned"), device="cpu",
                   plot=False, check_units=False)
    return [str(p) for p in res.checkpoints]


@pytest.mark.parametrize("order", ["base first", "base last"])
def test_a_member_fine_tuned_from_another_member_is_refused(tiny, fine_tuned, monkeypatch,
                                                            order):
    _no_member_runs(monkeypatch)
    models = [tiny[0], fine_tuned[0]] if order == "base first" else [fine_tuned[0], tiny[0]]
    k, j = (1, 0) if order == "base first" else (0, 1)
    with pytest.raises(InputError, match=rf"committee member {k} .* was fine-tuned from "
                                         rf"member {j} .*what the fine-tuning changed"):
        Calculator(models, device="cpu")


def test_members_fine_tuned_alike_from_one_base_are_a_committee(tiny, fine_tuned, tmp_path):
    calc = Calculator(fine_tuned, device="cpu")
    atoms = emt_copper(1, seed=5)[0]
    atoms.calc = calc
    assert np.isfinite(atoms.get_potential_energy())
    # the base's copy elsewhere is the same file by content: still its base
    copy = tmp_path / "base_copy.pth"
    copy.write_bytes(open(tiny[0], "rb").read())
    with pytest.raises(InputError, match="was fine-tuned from member 1"):
        Calculator([fine_tuned[1], str(copy)], device="cpu")


def test_a_fine_tuned_file_changed_since_its_record_is_not_taken_for_its_record(
        tiny, fine_tuned, tmp_path):
    import shutil

    # a member folder whose model was replaced by another file: the record is not its
    folder = tmp_path / "member_0"
    shutil.copytree(os.path.dirname(fine_tuned[0]), folder)
    shutil.copyfile(tiny[1], folder / "finetuned.pth")
    calc = Calculator([tiny[0], str(folder / "finetuned.pth")], device="cpu")
    assert len(calc.members) == 2
