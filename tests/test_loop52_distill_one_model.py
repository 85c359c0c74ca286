"""distill refuses a committee of one model given several times, before any work.

Before: distill(["a.pth", "a.pth"], ...) (or a copy, a link, a name in two spellings) loaded
the committee, labelled every frame with its 'mean' (the model's own labels, spread 0 with a
RepeatedMemberWarning) and fine-tuned students on them, which changes nothing, its notes
reporting a teacher spread of 0 eV/Å as if the teacher were confident.
"""

import os
import shutil

import pytest
from ase.build import bulk

from ase_electrolyte.distill import distill


@pytest.fixture
def files(tmp_path):
    a = tmp_path / "a.pth"
    a.write_bytes(b"weights of model a")
    b = tmp_path / "b.pth"
    b.write_bytes(b"weights of model b")
    copy = tmp_path / "copy_of_a.pth"
    shutil.copy(a, copy)
    link = tmp_path / "link_to_a.pth"
    os.symlink(a, link)
    return {"a": str(a), "b": str(b), "copy": str(copy), "link": str(link),
            "relative": os.path.relpath(a)}


@pytest.mark.parametrize("names", [["a", "a"], ["a", "copy"], ["a", "link"], ["a", "a", "a"],
                                   ["copy", "link", "a"], ["a", "relative"]])
def test_one_model_given_several_times_is_refused_before_any_work(files, names, tmp_path):
    out = tmp_path / "distilled"
    with pytest.raises(ValueError, match=r"holds one model \d times"):
        distill([files[n] for n in names], [bulk("Cu", cubic=True)], epochs=1, out=out,
                device="cpu")
    assert not out.exists()


@pytest.mark.parametrize("spellings", [["sevennet-0", "SevenNet-0"], ["sevennet-0"] * 2])
def test_one_registered_model_in_two_spellings_is_refused(spellings, tmp_path):
    with pytest.raises(ValueError, match=r"holds one model 2 times"):
        distill(spellings, [bulk("Cu", cubic=True)], epochs=1, out=tmp_path / "d",
                device="cpu")


@pytest.mark.parametrize("names", [["a", "b"], ["a", "copy", "b"]])
def test_distinct_models_pass_to_the_next_check(files, names, tmp_path):
    # the next refusal, epochs, is reached: the committee itself was taken
    with pytest.raises(ValueError, match=r"epochs"):
        distill([files[n] for n in names], [bulk("Cu", cubic=True)], epochs=0,
                out=tmp_path / "d", device="cpu")
