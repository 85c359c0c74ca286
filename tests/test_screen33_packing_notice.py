"""A plan whose box cannot hold a composition within 5 % says so when it is read.

3.0 mol/kg of LiPF6 in a 70-atom box of EC packs 3.79 mol/kg: the aggregate marked the row, but
only after every simulation had run. The plan now warns before any task (Python) or prints a
one-line notice (``electrolyte screen``). The search for the n_atoms that would hold it (some
twenty boxes, about 5 ms) is kept per composition; its answers are those of the search itself."""

import itertools
import re
import warnings

import pytest

from ase_electrolyte.build import composition_counts
from ase_electrolyte.screen import PlanError, load_plan
from ase_electrolyte.screen import plan as plan_module
from ase_electrolyte.screen.plan import PACKING_TOLERANCE, box_of, packing_shortfall

MODEL = {"calculator": "ase.calculators.lj:LennardJones", "device": "cpu"}
EC3 = {"solvent": {"EC": 1.0}, "ratio": "mass", "salt": "LiPF6", "concentration": 3.0,
       "units": "molal"}


def _plan(n_atoms, **more):
    return {"name": "notice", "replicas": 1, "temperatures": [300], "n_atoms": n_atoms,
            "analyses": [], "model": MODEL,
            "composition": [{"solvent": "EC", "salt": "LiPF6", "concentration": 3.0},
                            {"solvent": "EC"}], **more}


def _molality(n_atoms):
    """mol LiPF6 per kg EC packed at ``n_atoms``, by hand from the molecule counts."""
    counts = {sp.name: n for sp, n in composition_counts({"EC": 1}, "LiPF6", 3.0,
                                                          n_atoms=n_atoms).items()}
    return 1000.0 * counts["Li"] / (counts["EC"] * 88.062)


def _notices(caught):
    return [str(w.message) for w in caught if "whole-molecule rounding" in str(w.message)]


def test_a_plan_with_a_box_off_its_composition_warns_once_naming_it_and_the_fix(monkeypatch):
    import ase_electrolyte.build as build

    def no_packing(*args, **kwargs):
        raise RuntimeError("the packing check was reached")

    # with a density the plan checks that each task's molecules can be packed: the notice
    # comes before that (and before any model, box or task)
    monkeypatch.setattr(build, "_check_packable_at", no_packing)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(RuntimeError, match="packing check was reached"):
            load_plan(_plan(70, density=1.3))
    [text] = _notices(caught)
    assert all(w.category is UserWarning for w in caught if str(w.message) == text)
    # the 3 mol/kg composition, what its box holds, and not the pure solvent beside it
    assert text.startswith("n_atoms = 70 packs 1 of the plan's 2 compositions off what")
    assert "'EC_LiPF6-3molal' (composition 1): the box of 70 atoms holds 3.79 mol/kg" in text
    assert "not the 3 mol/kg asked (+26 %)" in text and "'EC'" not in text
    assert abs(_molality(70) / 3.0 - 1) > PACKING_TOLERANCE
    # the n_atoms it names packs 3 mol/kg within 5 %, by hand, at every size sampled above it
    size = int(re.search(r"\(n_atoms = (\d+) or more packs it within 5 %\)", text).group(1))
    assert size > 70
    assert all(abs(_molality(n) / 3.0 - 1) <= PACKING_TOLERANCE for n in range(size, 2 * size, 7))
    assert text.endswith(f"n_atoms = {size} or more packs each of them within 5 %")
    assert packing_shortfall(EC3, 70, 1.3) in text


def test_a_plan_whose_boxes_hold_their_compositions_says_nothing():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plan = load_plan(_plan(3000))
    assert _notices(caught) == [] and len(plan.compositions) == 2
    assert packing_shortfall(EC3, 3000) == ""


def test_the_command_line_prints_the_notice_in_one_line_before_its_refusal(tmp_path,
                                                                              monkeypatch, capsys):
    pytest.importorskip("distributed")
    from electrolyte_cli import _one_line_warnings, main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "plan.toml").write_text(
        'n_atoms = 70\nanalyses = []\n[model]\ncalculator = "ase.calculators.lj:LennardJones"\n'
        'device = "cpu"\n[[composition]]\nsolvent = "EC"\nsalt = "LiPF6"\nconcentration = 3.0\n')
    # a measured table without its columns: refused after the plan is read, before anything
    (tmp_path / "exp.csv").write_text("solvent,salt\nEC,LiPF6\n")
    with pytest.warns(UserWarning, match="whole-molecule rounding") as said:
        rc = main(["screen", "plan.toml", "-o", "out", "--experimental", "exp.csv", "-q"])
    err = capsys.readouterr().err
    assert rc == 2 and "Traceback" not in err, err
    assert err.startswith("electrolyte screen: error: experimental table"), err
    [notice] = _notices(said)
    # on a terminal the command shows it as one line (pytest records it instead)
    with _one_line_warnings("screen"):
        line = warnings.formatwarning(notice, UserWarning, "plan.py", 1)
    assert line.count("\n") == 1 and line.startswith(
        "electrolyte screen: warning: n_atoms = 70 packs 1 of the plan's 1 composition off "
        "what they ask"), line
    assert "'EC_LiPF6-3molal'" in line and "holds 3.79 mol/kg of LiPF6" in line
    assert re.search(r"\(n_atoms = \d+ or more packs it within 5 %\)", line), line
    assert not (tmp_path / "out").exists()


def _grid():
    solvents = [({"EC": 1.0}, "mass"), ({"EC": 3.0, "EMC": 7.0}, "mass"),
                ({"EMC": 7.0, "EC": 3.0}, "mass"), ({"EC": 3.0, "EMC": 7.0}, "mole"),
                ({"EC": 1, "DMC": 1}, "volume")]
    for (solvent, ratio), conc in itertools.product(solvents, (0.5, 1.0, 3.0, 3)):
        yield {"solvent": solvent, "ratio": ratio, "salt": "LiPF6", "concentration": conc,
               "units": "molal"}, None
    for conc in (0.8, 1.5):
        yield {"solvent": {"EC": 1.0, "DMC": 1.0}, "ratio": "mass", "salt": "LiPF6",
               "concentration": conc, "units": "molar"}, 1.25


def test_kept_answers_are_those_of_the_search_in_any_order():
    cases = [(c, density, n, tol) for c, density in _grid() for n in (70, 150, 300, 600)
             for tol in (PACKING_TOLERANCE, 0.1)]
    reference = []
    for c, density, n, tol in cases:
        plan_module._first_size_within.cache_clear()  # each the search's own answer
        reference.append(packing_shortfall(c, n, density, tolerance=tol))
    marked = [text for text in reference if text]
    assert len(marked) > 20 and any("solvent EC:EMC" in text for text in marked)
    assert all("or more packs it within" in text for text in marked)
    # all of them kept, then answered again in another order, some with the box given, from
    # the kept answers: a key that took one composition (1 for 1.0, EMC:EC for EC:EMC), size,
    # density or tolerance for another gives another text
    plan_module._first_size_within.cache_clear()
    order = list(range(len(cases)))[::-1]
    order = order[::2] + order[1::2]
    for k in [*range(len(cases)), *order]:
        c, density, n, tol = cases[k]
        try:
            box = box_of(c, n, density) if k % 3 == 0 else None
        except ValueError:  # too few atoms for one ion pair: "" either way
            box = None
        assert packing_shortfall(c, n, density, box=box, tolerance=tol) == reference[k], cases[k]
    assert plan_module._first_size_within.cache_info().hits >= len(marked)


def test_a_plan_refused_for_another_reason_does_not_warn_first():
    bad = _plan(70)
    bad["composition"] = bad["composition"] + [{"solvent": "EC", "salt": "LiPF7",
                                                "concentration": 1.0}]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(PlanError, match="unknown salt 'LiPF7'"):
            load_plan(bad)
    assert _notices(caught) == []
