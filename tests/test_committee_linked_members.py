"""A committee member given as a symbolic link to a fine-tuned model.

A member fine-tuned from another member is refused by the record finetune writes beside it;
the record was looked for beside the path given, so a link to the fine-tuned file from another
folder (a "models/current.pth" link, a shared models folder) hid it, and the committee
measured what the fine-tuning changed. The record is now looked for beside the file the link
points to.
"""

import os

import pytest
from tiny_models import emt_copper, tiny_committee

pytest.importorskip("sevenn")

from ase.calculators.calculator import InputError  # noqa: E402

from ase_electrolyte import Calculator  # noqa: E402


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return tiny_committee(tmp_path_factory.mktemp("tiny_committee_links"))[1]


@pytest.fixture(scope="module")
def fine_tuned(tiny, tmp_path_factory):
    from ase_electrolyte.finetuning import finetune

    res = finetune(tiny[0], emt_copper(4, seed=9), epochs=1, lr=1e-3, batch_size=1,
                   out=tmp_path_factory.mktemp("tiny_fine_tuned_links"), device="cpu",
                   plot=False, check_units=False)
    return str(res.checkpoint)


@pytest.mark.parametrize("linked", ["fine-tuned", "base", "both", "link to a link"])
def test_a_member_fine_tuned_from_another_is_refused_through_links(tiny, fine_tuned,
                                                                   tmp_path, linked):
    models = tmp_path / "models"
    models.mkdir()
    member, base = fine_tuned, tiny[0]
    if linked in ("fine-tuned", "both", "link to a link"):
        os.symlink(fine_tuned, models / "current.pth")
        member = str(models / "current.pth")
    if linked == "link to a link":
        os.symlink(models / "current.pth", tmp_path / "latest.pth")
        member = str(tmp_path / "latest.pth")
    if linked in ("base", "both"):
        os.symlink(tiny[0], models / "base.pth")
        base = str(models / "base.pth")
    with pytest.raises(InputError, match=r"committee member 1 .* was fine-tuned from member 0"):
        Calculator([base, member], device="cpu")


def test_links_to_members_trained_alike_are_a_committee(tiny, tmp_path):
    links = []
    for k, path in enumerate(tiny):
        os.symlink(path, tmp_path / f"m{k}.pth")
        links.append(str(tmp_path / f"m{k}.pth"))
    calc = Calculator(links, device="cpu")
    atoms = emt_copper(1, seed=5)[0]
    atoms.calc = calc
    atoms.get_potential_energy()
    assert calc.results["max_forces_std"] > 0
