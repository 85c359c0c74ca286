"""One plan spelled otherwise: what is the same chemistry reuses the folder's finished tasks, what
is not stays apart.

A rerun of a finished screen whose plan names the same compositions, analyses and dispersion in
another spelling (solvents reordered or in proportional shares, names in another case, ``mol/kg``
for ``molal``, the analyses reordered, ``D3(BJ)`` for ``d3-bj``) was refused as "the same
electrolyte" or "a different plan", or, with units and ratios, refused as unknown words. Each is
now the folder's own composition and task, with its seed; a different electrolyte is not.
"""

import json

import pytest
from screen_folders import finish_every_task

from ase_electrolyte.screen import PlanError, load_plan, run_screen
from ase_electrolyte.screen.plan import fingerprint_of, spelled_as_recorded

ANALYSES = ["diffusion", "solvation_shells"]
REFERENCE = {"solvent": "EC:3,EMC:7", "salt": "LiPF6", "concentration": 1.0}


def _plan(*compositions, analyses=ANALYSES, dispersion="d3-bj", **extra):
    return load_plan({
        "name": "spellings", "seed": 3, "replicas": 2, "temperatures": [298], "n_atoms": 400,
        "analyses": analyses,
        "model": {"calculator": "ase.calculators.emt:EMT", "device": "cpu",
                  "dispersion": dispersion},
        "composition": list(compositions), **extra,
    })


def _finished(tmp_path):
    out = tmp_path / "screen"
    plan = _plan(REFERENCE, {"solvent": "DMC"})
    finish_every_task(plan, out)
    return out, plan


SAME = [
    {"solvent": "EMC:7,EC:3", "salt": "LiPF6", "concentration": 1.0},
    {"solvent": {"EMC": 7, "EC": 3}, "salt": "LiPF6", "concentration": 1},
    {"solvent": "ec:6, emc:14", "salt": "lipf6", "concentration": 1},
    {"solvent": " EMC : 0.7 , EC : 0.3 ", "salt": " LiPF6 ", "concentration": 1.0},
    {"solvent": "EC:3,EMC:7", "salt": "LiPF6", "concentration": 1.0, "units": "mol/kg"},
    {"solvent": "EC:3,EMC:7", "salt": "LiPF6", "concentration": 1.0, "units": " Molal"},
    {"solvent": "EC:3,EMC:7", "salt": "LiPF6", "concentration": 1.0, "ratio": "Weight"},
]


@pytest.mark.parametrize("variant", SAME, ids=range(len(SAME)))
def test_the_same_composition_spelled_otherwise_reuses_the_folders_tasks(tmp_path, variant):
    out, first = _finished(tmp_path)
    record = (out / "plan.json").read_text()
    plan = _plan(variant, {"solvent": "dmc"}, analyses=ANALYSES[::-1], dispersion="D3(BJ)")
    given = list(plan.compositions)
    result = run_screen(plan, out, progress=False, plots=False)
    # every task is the folder's: same folders, same seeds, nothing to run
    assert result.n_tasks == result.n_skipped == len(first.tasks())
    assert (out / "plan.json").read_text() == record
    assert json.loads(record)["fingerprint"] == first.fingerprint()
    assert plan.compositions == given  # the caller's plan is not respelled
    summary = result.summary
    rows = summary[summary["property"] == "density"]
    assert sorted(rows["composition"]) == sorted(c.label for c in first.compositions)


DIFFERENT = [
    {"solvent": "EC:7,EMC:3", "salt": "LiPF6", "concentration": 1.0},   # shares swapped
    {"solvent": "EC:3,EMC:7", "salt": "LiPF6", "concentration": 1.0, "ratio": "mole"},
    {"solvent": "EC:3,EMC:7", "salt": "LiFSI", "concentration": 1.0},
    {"solvent": "EC:3,EMC:7", "salt": "LiPF6", "concentration": 2.0},
    {"solvent": "EC:3,DMC:7", "salt": "LiPF6", "concentration": 1.0},
    {"solvent": "EC", "salt": "LiPF6", "concentration": 1.0},
]


@pytest.mark.parametrize("variant", DIFFERENT, ids=range(len(DIFFERENT)))
def test_another_electrolyte_keeps_its_own_label_and_seeds(tmp_path, variant):
    out, first = _finished(tmp_path)
    record = json.loads((out / "plan.json").read_text())
    plan = _plan(variant)
    respelled = spelled_as_recorded(plan, record)
    held = {c.label for c in first.compositions}
    assert [c.label for c in respelled.compositions] == [c.label for c in plan.compositions]
    assert not {t.id for t in respelled.tasks()} & {t.id for t in first.tasks()}
    assert respelled.compositions[0].label not in held


def test_a_labelled_composition_is_not_relabelled(tmp_path):
    # its label is the user's name for it: the folder refuses one electrolyte under two names
    out, _ = _finished(tmp_path)
    plan = _plan(dict(SAME[0], label="baseline"))
    with pytest.raises(PlanError, match="'baseline' are the same electrolyte"):
        run_screen(plan, out, progress=False, plots=False)


def test_a_folder_recorded_with_another_dispersion_spelling_is_taken_on(tmp_path):
    # a record written before the spelling was made one ("D3-BJ" kept as given)
    out, first = _finished(tmp_path)
    record = json.loads((out / "plan.json").read_text())
    record["model"]["dispersion"] = "D3-BJ"
    invariant = first.invariant()
    invariant["model"] = dict(invariant["model"], dispersion="D3-BJ")
    record["fingerprint"] = fingerprint_of(invariant)
    (out / "plan.json").write_text(json.dumps(record))
    result = run_screen(_plan(REFERENCE, {"solvent": "DMC"}), out, progress=False, plots=False)
    assert result.n_tasks == result.n_skipped == len(first.tasks())
    # a damping that differs is another plan
    with pytest.raises(PlanError, match="different plan"):
        run_screen(_plan(REFERENCE, {"solvent": "DMC"}, dispersion="d3-zero"), out,
                   progress=False, plots=False)


@pytest.mark.parametrize("given, canonical", [("D3(BJ)", "d3-bj"), (" d3 ", "d3-bj"),
                                              ("D3_ZERO", "d3-zero"), (" None ", None)])
def test_the_dispersion_has_one_spelling(given, canonical):
    plan = _plan({"solvent": "EC"}, dispersion=given)
    assert plan.model["dispersion"] == canonical
    assert plan.fingerprint() == _plan({"solvent": "EC"}, dispersion=canonical).fingerprint()


@pytest.mark.parametrize("key, value", [("units", "mmol/kg"), ("units", "M"),
                                        ("ratio", "percent"), ("units", 1)])
def test_an_unknown_unit_or_ratio_word_is_refused_naming_the_choices(key, value):
    with pytest.raises(PlanError, match=f"composition 1: {key} must be one of .*not {value!r}"):
        _plan(dict(REFERENCE, **{key: value}))


@pytest.mark.parametrize("solvent", ["EC:3,EMC", "EC, EMC=7", "EC:3,EMC:7,DMC"])
def test_a_mixture_with_a_share_left_out_is_refused(solvent):
    # "EC:3,EMC" was packed as EC:3,EMC:1 (the share of a bare name), a quarter EMC for seventy
    # per cent
    with pytest.raises(PlanError, match=r"gives the share of .* but not of .*give every share"):
        _plan({"solvent": solvent})


def test_a_mixture_without_any_share_is_equal_shares():
    assert _plan({"solvent": "EC,EMC"}).compositions[0].solvent == {"EC": 1.0, "EMC": 1.0}


@pytest.mark.parametrize("variant, shown", [
    (dict(REFERENCE, concentration=1.0000001), r"LiPF6 1\.0000001 molal"),
    (dict(REFERENCE, solvent="EC:3.0000001,EMC:7"), r"\{'EC': 3\.0000001, 'EMC': 7\.0\}"),
])
def test_a_label_held_for_another_electrolyte_names_the_numbers_that_differ(tmp_path, variant,
                                                                            shown):
    # the label's 6 digits are the folder's; the numbers below them differ, and the message
    # wrote both as "1": a refusal of the composition as itself
    out, _ = _finished(tmp_path)
    with pytest.raises(PlanError, match=f"this plan gives it .*{shown}"):
        run_screen(_plan(variant, {"solvent": "DMC"}), out, progress=False, plots=False)
