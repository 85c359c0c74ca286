"""align_density makes finetune's refusals that need the frames before the base model labels
them: an ensemble whose members would be one model, and a base inside a member folder the
fine-tune replaces (both were refused only after every frame had been labelled)."""

import shutil

import pytest
from tiny_models import emt_copper, tiny_committee

pytest.importorskip("sevenn")

import ase_electrolyte.calculator as calculator_module  # noqa: E402
from ase_electrolyte.density_alignment import align_density  # noqa: E402


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return tiny_committee(tmp_path_factory.mktemp("tiny_committee"))[1][0]


@pytest.fixture
def no_labelling(monkeypatch):
    """Any model built to label the frames fails the test: the refusal must come first."""
    def labelled(*args, **kwargs):
        raise AssertionError("the base model was loaded to label the frames")

    monkeypatch.setattr(calculator_module.Calculator, "__init__", labelled)


@pytest.mark.parametrize("n_frames, batch_size", [(2, 2), (2, 4), (3, 3)])
def test_an_ensemble_of_one_batch_per_epoch_is_refused_before_labelling(base, tmp_path,
                                                                         no_labelling,
                                                                         n_frames, batch_size):
    with pytest.raises(ValueError, match="one batch per epoch"):
        align_density(base, emt_copper(n_frames), 100.0, epochs=1, out=tmp_path / "a",
                      ensemble=2, batch_size=batch_size, device="cpu")
    assert not (tmp_path / "a").exists()


@pytest.mark.parametrize("member", [0, 1])
def test_a_base_in_a_member_folder_it_would_replace_is_refused_and_kept(base, tmp_path,
                                                                        no_labelling, member):
    inside = tmp_path / "a" / f"member_{member}" / "finetuned.pth"
    inside.parent.mkdir(parents=True)
    shutil.copy(base, inside)
    with pytest.raises(ValueError, match=f"lies in .*member_{member}"):
        align_density(inside, emt_copper(3), 100.0, epochs=1, out=tmp_path / "a",
                      ensemble=2, batch_size=1, device="cpu")
    assert inside.read_bytes() == open(base, "rb").read()


def test_a_base_outside_the_members_it_replaces_passes_the_checks(base, tmp_path,
                                                                  no_labelling):
    # beside the output folder; one frame per batch lets the members differ
    outside = tmp_path / "a_base" / "member_0" / "finetuned.pth"
    outside.parent.mkdir(parents=True)
    shutil.copy(base, outside)
    with pytest.raises(AssertionError, match="loaded to label the frames"):
        align_density(outside, emt_copper(3), 100.0, epochs=1, out=tmp_path / "a",
                      ensemble=2, batch_size=1, device="cpu")
