"""Distilling into a folder of an earlier distillation with more students is refused first.

The earlier run's ``student_2`` stayed beside this run's ``student_0`` and ``student_1``: the
folder read as a committee of three students, one of another teacher, frames or settings. Now
the extra students are named before the committee labels any frame.
"""

import pytest
from tiny_models import emt_copper

from ase_electrolyte import distill as distill_module
from ase_electrolyte.distill import distill


def _no_labelling(*args, **kwargs):
    raise AssertionError("the committee labelled frames")


@pytest.mark.parametrize("earlier, n_students, named", [
    (["student_0", "student_1", "student_2"], 2, "student_2"),
    (["student_0", "student_1", "student_2", "student_10"], 1, "student_1, student_2, "
     "student_10"),
])
def test_students_of_a_larger_earlier_distillation_are_named_before_labelling(
        tmp_path, monkeypatch, earlier, n_students, named):
    out = tmp_path / "distill"
    for name in earlier:
        (out / name / "member_0").mkdir(parents=True)
        (out / name / "member_0" / "finetuned.pth").write_bytes(b"an earlier student")
    monkeypatch.setattr(distill_module, "relabel", _no_labelling)
    with pytest.raises(ValueError, match=f"holds {named} of an earlier distillation with more "
                                         f"students than this one \\({n_students}\\)"):
        distill(["a.pth", "b.pth", "c.pth"], emt_copper(4), epochs=1, out=out,
                n_students=n_students, device="cpu")
    # nothing written or removed
    assert sorted(p.name for p in out.iterdir()) == sorted(earlier)


def test_as_many_or_fewer_earlier_students_and_other_folders_pass_the_check(tmp_path,
                                                                            monkeypatch):
    out = tmp_path / "distill"
    for name in ("student_0", "student_1", "student_x", "notes"):
        (out / name).mkdir(parents=True)
    (out / "student_7").write_text("a file, not a student folder")
    reached = []

    def labelled(*args, **kwargs):
        reached.append(True)
        raise RuntimeError("stop after the checks")

    monkeypatch.setattr(distill_module, "relabel", labelled)
    with pytest.raises(RuntimeError, match="stop after the checks"):
        distill(["a.pth", "b.pth"], emt_copper(4), epochs=1, out=out, n_students=2,
                device="cpu")
    assert reached == [True]
