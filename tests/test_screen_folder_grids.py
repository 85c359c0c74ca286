"""A plan added to an output folder is checked against the compositions the folder records, as
a plan's compositions are checked against each other: one that packs the same molecules at the
plan's ``n_atoms`` as a recorded one, or is the same electrolyte under another label, is refused
before anything is recorded or submitted (no cluster is started for these refusals)."""

import json
from pathlib import Path

import pytest

pytest.importorskip("distributed")
pd = pytest.importorskip("pandas")

from screen_folders import finish_every_task  # noqa: E402

from ase_electrolyte.screen import PlanError, aggregate, load_plan, run_screen  # noqa: E402
from ase_electrolyte.screen.engine import _prepare_outdir  # noqa: E402
from ase_electrolyte.screen.plan import box_of  # noqa: E402

MODELS = str(Path(__file__).with_name("screen_models.py"))


def _plan(compositions, n_atoms=300, **extra):
    return load_plan({
        "name": "grid", "seed": 7, "replicas": 1, "temperatures": [300], "n_atoms": n_atoms,
        "analyses": [], "model": {"calculator": f"{MODELS}:lj", "device": "cpu"},
        "composition": compositions, **extra,
    })


def _mix(concentration, solvent="EC:3,EMC:7", **extra):
    return {"solvent": solvent, "salt": "LiPF6", "concentration": concentration, **extra}


def _state(out):
    """The record and every file below ``out``."""
    return (out / "plan.json").read_bytes(), sorted(
        str(p.relative_to(out)) for p in out.rglob("*") if p.name != "plan.json")


@pytest.mark.parametrize("added, message", [
    # 1.0 and 1.05 molal both pack 7 EC + 14 EMC + 2 LiPF6 in 300 atoms
    ([_mix(1.05)], r"compositions 'EC3-EMC7_LiPF6-1molal' \(recorded in the output folder\) and "
                   r"'EC3-EMC7_LiPF6-1.05molal' give the same box at n_atoms = 300 \(7 EC, "
                   r"14 EMC, 2 Li, 2 PF6\).*drop it from this plan"),
    # in a grid with a new point that the box does resolve: the grid is refused as a whole
    ([_mix([1.05, 2.0])], "give the same box at n_atoms = 300"),
    # proportional shares under a label of their own: the same electrolyte, whatever the box
    # (without a label they are the recorded composition: test_screen_plan_spellings.py)
    ([_mix(1.0, solvent="EC:6,EMC:14", label="EC6-EMC14")],
     r"'EC3-EMC7_LiPF6-1molal' \(recorded in the output folder\) and 'EC6-EMC14' "
     r"are the same electrolyte .*give it as 'EC3-EMC7_LiPF6-1molal'"),
    ([_mix(1.0, label="my-electrolyte")], "are the same electrolyte"),
    # another mixture that rounds to the same molecules (EC:3.2,EMC:6.8 did only while the
    # solvents were rounded in moles: 8 EC + 13 EMC is closer to it than 7 + 14)
    ([_mix(1.0, solvent="EC:3.1,EMC:6.9")], "give the same box at n_atoms = 300"),
])
def test_a_plan_added_to_a_folder_is_checked_against_its_compositions(tmp_path, added, message):
    out = tmp_path / "screen"
    finish_every_task(_plan([_mix(1.0)]), out)
    before = _state(out)
    with pytest.raises(PlanError, match=message):
        run_screen(_plan(added), out, progress=False, plots=False)
    # nothing recorded, nothing of the refused plan made
    assert _state(out) == before


def test_the_same_box_check_in_a_folder_is_the_plans_own(tmp_path):
    # what one plan of both compositions is refused for, two plans into one folder are too, and
    # what it accepts (a box that resolves the step) they may add
    grid = [_mix(1.0), _mix(1.05)]
    with pytest.raises(PlanError, match="give the same box"):
        _plan(grid)
    big = _plan(grid, n_atoms=3000)
    assert box_of(big.compositions[0], 3000) != box_of(big.compositions[1], 3000)
    out = tmp_path / "screen"
    finish_every_task(_plan([_mix(1.0)], n_atoms=3000), out)
    _prepare_outdir(_plan([_mix(1.05)], n_atoms=3000), out)
    record = json.loads((out / "plan.json").read_text())
    assert [c["label"] for c in record["compositions"]] == [
        "EC3-EMC7_LiPF6-1molal", "EC3-EMC7_LiPF6-1.05molal"]


def test_a_rerun_and_a_plan_that_repeats_recorded_labels_are_not_refused(tmp_path):
    out = tmp_path / "screen"
    plan = _plan([_mix([1.0, 2.0])])
    finish_every_task(plan, out)
    # the same plan: its own compositions are not "another label" of themselves
    again = run_screen(plan, out, progress=False, plots=False)
    assert (again.n_skipped, again.n_done, again.n_failed) == (2, 0, 0)
    # a plan of one recorded composition and a distinct new one: accepted and recorded
    _prepare_outdir(_plan([_mix(2.0), _mix(3.0)]), out)
    record = json.loads((out / "plan.json").read_text())
    assert [c["concentration"] for c in record["compositions"]] == [1.0, 2.0, 3.0]


def test_molar_compositions_are_compared_at_the_plans_density(tmp_path):
    out = tmp_path / "screen"
    molar = {"units": "molar"}
    finish_every_task(_plan([_mix(1.0, **molar)], density=1.2), out)
    before = _state(out)
    a = box_of(_plan([_mix(1.0, **molar)], density=1.2).compositions[0], 300, 1.2)
    b = box_of(_plan([_mix(1.05, **molar)], density=1.2).compositions[0], 300, 1.2)
    assert a == b  # the same box, found through the density
    with pytest.raises(PlanError, match="give the same box at n_atoms = 300"):
        run_screen(_plan([_mix(1.05, **molar)], density=1.2), out, progress=False, plots=False)
    assert _state(out) == before


def test_a_recorded_composition_this_version_cannot_pack_does_not_block_the_folder(tmp_path):
    # a record edited by hand, or of a species this version no longer has: nothing of it can
    # run, so there is nothing to compare (its own tasks are refused where they are read)
    out = tmp_path / "screen"
    finish_every_task(_plan([_mix(1.0)]), out)
    record = json.loads((out / "plan.json").read_text())
    record["compositions"].append({"solvent": {"NoSuchSolvent": 1.0}, "ratio": "mass",
                                   "salt": "LiPF6", "concentration": 1.0, "units": "molal",
                                   "label": "odd"})
    (out / "plan.json").write_text(json.dumps(record))
    _prepare_outdir(_plan([_mix(2.0)]), out)
    labels = [c["label"] for c in json.loads((out / "plan.json").read_text())["compositions"]]
    assert labels == ["EC3-EMC7_LiPF6-1molal", "odd", "EC3-EMC7_LiPF6-2molal"]
    # and the table of the folder is made (its rows: the plan's compositions)
    table = aggregate(out, plots=False)
    assert list(table["composition"]) == ["EC3-EMC7_LiPF6-1molal", "EC3-EMC7_LiPF6-2molal"]


def test_a_recorded_composition_without_its_entries_is_refused_before_the_folder_is_used(
        tmp_path):
    # it was taken on here, then the table of the screen failed on it (KeyError 'solvent')
    # after every task had run
    out = tmp_path / "screen"
    finish_every_task(_plan([_mix(1.0)]), out)
    record = json.loads((out / "plan.json").read_text())
    record["compositions"].append({"label": "no-fields"})
    (out / "plan.json").write_text(json.dumps(record))
    written = (out / "plan.json").read_bytes()
    with pytest.raises(PlanError, match=r"plan.json: composition 2 has no concentration, "
                                        r"ratio, salt, solvent, units: not a usable screening "
                                        r"plan record"):
        _prepare_outdir(_plan([_mix(2.0)]), out)
    assert (out / "plan.json").read_bytes() == written


def test_a_folder_filled_before_the_check_still_takes_reruns_and_distinct_additions(tmp_path):
    # 1.0 and 1.05 molal recorded together (by plans run before the check): a rerun of either
    # adds nothing and is not refused; a new composition is compared with both
    out = tmp_path / "screen"
    finish_every_task(_plan([_mix(1.0)]), out)
    record = json.loads((out / "plan.json").read_text())
    other = _plan([_mix(1.05)]).to_dict()["compositions"][0]
    record["compositions"].append(other)
    (out / "plan.json").write_text(json.dumps(record))
    again = run_screen(_plan([_mix(1.0)]), out, progress=False, plots=False)
    assert (again.n_skipped, again.n_failed) == (1, 0)
    _prepare_outdir(_plan([_mix(2.0)]), out)
    with pytest.raises(PlanError, match=r"'EC3-EMC7_LiPF6-1molal' \(recorded in the output "
                                        r"folder\) and 'EC3-EMC7_LiPF6-1.1molal' give the same"):
        _prepare_outdir(_plan([_mix(1.1)]), out)
