"""Plan files as users write them: typos found by their line, editors' byte-order marks, labels
that share a folder on a case-insensitive file system, limits named for the key that sets them.

All of them are refused (or read) when the plan is loaded, before any task is submitted.
"""

import json
from pathlib import Path

import pytest

from ase_electrolyte.screen import PlanError, load_plan

MODELS = str(Path(__file__).with_name("screen_models.py"))

TOML = f'''name = "typos"
replicas = 2
temperatures = [300]
n_atoms = 70
analyses = []

[model]
calculator = "{MODELS}:lj"
device = "cpu"

[protocol]
production_ps = 0.5

[[composition]]
solvent = "EC"
salt = "LiPF6"
concentration = 3.0

[[composition]]
solvent = "EMC"
salt = "LiPF6"
concentration = 3.0
'''

YAML = f'''name: typos
replicas: 2
temperatures: [300]
n_atoms: 70
analyses: []
model:
  calculator: "{MODELS}:lj"
  device: cpu
protocol:
  production_ps: 0.5
composition:
  - solvent: EC
    salt: LiPF6
    concentration: 3.0
  - solvent: EMC
    salt: LiPF6
    concentration: 3.0
'''


def _write(tmp_path, text, suffix=".toml", **kw):
    path = tmp_path / f"plan{suffix}"
    path.write_text(text, encoding="utf-8", **kw)
    return path


@pytest.mark.parametrize("old, new, message", [
    ("replicas = 2", "replica = 2",
     r"unknown plan key\(s\) \['replica'\].*\(line 2 of plan.toml\)"),
    ('device = "cpu"', 'devise = "cpu"', r"model: unknown key\(s\) \['devise'\].*\(line 9 of"),
    ("production_ps = 0.5", "production_sp = 0.5",
     r"unknown protocol setting\(s\) \['production_sp'\].*\(line 12 of"),
    # the second composition's typo: its own line, not the first composition's
    ('solvent = "EMC"', 'solvnt = "EMC"', r"composition 2: .*\['solvnt'\].*\(line 20 of"),
    ("[protocol]", "[protocl]", r"\['protocl'\].*\(line 11 of"),
    # a top-level key written after a table belongs to that table: its line says where it is
    ('concentration = 3.0\n\n[[', 'concentration = 3.0\nseed = 4\n\n[[',
     r"composition 1: unknown key\(s\) \['seed'\].*\(line 18 of"),
])
def test_a_typo_in_a_toml_plan_is_named_with_its_line(tmp_path, old, new, message):
    assert old in TOML
    with pytest.raises(PlanError, match=message):
        load_plan(_write(tmp_path, TOML.replace(old, new, 1)))
    load_plan(_write(tmp_path, TOML))  # the plan without the typo is read


@pytest.mark.parametrize("old, new, message", [
    ("replicas: 2", "replica: 2", r"\['replica'\].*\(line 2 of plan.yaml\)"),
    ("  device: cpu", "  devise: cpu", r"\['devise'\].*\(line 8 of"),
    ("  - solvent: EMC", "  - solvnt: EMC", r"composition 2: .*\['solvnt'\].*\(line 15 of"),
])
def test_a_typo_in_a_yaml_plan_is_named_with_its_line(tmp_path, old, new, message):
    pytest.importorskip("yaml")
    with pytest.raises(PlanError, match=message):
        load_plan(_write(tmp_path, YAML.replace(old, new, 1), ".yaml"))


def test_a_typo_repeated_is_named_at_every_line_and_a_dict_plan_without_lines(tmp_path):
    text = TOML.replace("salt =", "slat =")
    with pytest.raises(PlanError, match=r"\(lines 16, 21 of plan.toml\)"):
        load_plan(_write(tmp_path, text))
    with pytest.raises(PlanError, match=r"\['slat'\]; known: \[[^]]*\]$"):
        load_plan({"model": {"calculator": f"{MODELS}:lj"},
                   "composition": [{"solvent": "EC", "slat": "LiPF6"}]})


@pytest.mark.parametrize("suffix", [".toml", ".yaml"])
def test_a_plan_with_a_byte_order_mark_reads_as_without(tmp_path, suffix):
    if suffix == ".yaml":
        pytest.importorskip("yaml")
    text = TOML if suffix == ".toml" else YAML
    plain = load_plan(_write(tmp_path, text, suffix))
    marked = load_plan(_write(tmp_path, "\ufeff" + text, suffix))  # Notepad's UTF-8
    assert marked.to_dict() == plain.to_dict() and len(marked.tasks()) == 4


def test_the_box_size_ceiling_is_named_for_n_atoms_not_a_composition(tmp_path):
    with pytest.raises(PlanError, match=r"^n_atoms must be a whole number >= 1 and <= 1000000"):
        load_plan(_write(tmp_path, TOML.replace("n_atoms = 70", "n_atoms = 100000000000")))


@pytest.mark.parametrize("first, second", [
    ("A", "a"), ("EC_LiPF6-3molal", "ec_lipf6-3molal"), ("Mix.1", "MIX.1"),
])
def test_labels_that_differ_in_case_only_are_refused(tmp_path, first, second):
    text = TOML.replace('solvent = "EC"', f'solvent = "EC"\nlabel = "{first}"').replace(
        'solvent = "EMC"', f'solvent = "EMC"\nlabel = "{second}"')
    with pytest.raises(PlanError, match=f"labels '{first}' and '{second}' differ in case only"):
        load_plan(_write(tmp_path, text))
    # and against the labels an output folder already holds
    from ase_electrolyte.screen.engine import _prepare_outdir

    one = TOML.split("[[composition]]\nsolvent = \"EMC\"")[0]
    _prepare_outdir(load_plan(_write(tmp_path, one.replace('solvent = "EC"',
                                                            f'solvent = "EC"\nlabel = "{first}"'))),
                    tmp_path / "out")
    record = (tmp_path / "out" / "plan.json").read_text()
    other = one.replace('solvent = "EC"', f'solvent = "EMC"\nlabel = "{second}"')
    with pytest.raises(PlanError, match=f"holds composition '{first}'; this plan's '{second}' "
                                        "differs in case only"):
        _prepare_outdir(load_plan(_write(tmp_path, other)), tmp_path / "out")
    assert (tmp_path / "out" / "plan.json").read_text() == record
    assert [c["label"] for c in json.loads(record)["compositions"]] == [first]


@pytest.mark.parametrize("old, new, message", [
    # safe_load kept the last one silently: 'replicas: 2' then 'replicas: 1' ran one replica
    ("analyses: []", "analyses: []\nreplicas: 1",
     r"key 'replicas' is given twice \(lines 2 and 6\)"),
    ("    concentration: 3.0\n  - solvent: EMC", "    concentration: 3.0\n    salt: LiFSI\n"
     "  - solvent: EMC", r"key 'salt' is given twice \(lines 13 and 15\)"),
    ("  device: cpu", "  device: {a: 1, a: 2}", r"key 'a' is given twice \(lines 8 and 8\)"),
])
def test_a_key_given_twice_in_a_yaml_plan_is_refused_as_in_toml(tmp_path, old, new, message):
    pytest.importorskip("yaml")
    assert old in YAML
    with pytest.raises(PlanError, match=f"plan.yaml: not valid YAML \\({message}"):
        load_plan(_write(tmp_path, YAML.replace(old, new, 1), ".yaml"))
    with pytest.raises(PlanError, match="not valid TOML"):  # TOML's own refusal
        load_plan(_write(tmp_path, TOML.replace("n_atoms = 70", "n_atoms = 70\nreplicas = 1")))


def test_a_yaml_merge_key_may_override_what_it_merges(tmp_path):
    pytest.importorskip("yaml")
    text = YAML.replace("  - solvent: EC\n    salt: LiPF6\n    concentration: 3.0\n",
                        "  - &first\n    solvent: EC\n    salt: LiPF6\n    concentration: 3.0\n"
                        "  - <<: *first\n    concentration: 2.0\n")
    plan = load_plan(_write(tmp_path, text, ".yaml"))
    assert [c.label for c in plan.compositions] == ["EC_LiPF6-3molal", "EC_LiPF6-2molal",
                                                   "EMC_LiPF6-3molal"]


@pytest.mark.filterwarnings("ignore:a density of")
@pytest.mark.parametrize("density, message", [
    # kg/m³ for g/cm³: every task's electrolyte_box refused it, after its model had loaded
    # the refusal names the unit it was given in and the number to give instead
    ("1200", r"density \(g/cm³\) = 1200 is denser than any liquid .*kg/m³.* pass 1\.2"),
    # denser than EMC's molecules can be packed 2 Å apart (EC's still can): every task failed at
    # PACKMOL (limits moved from 2.8 to 1.71 g/cm³ when the check took the molecules' hulls, and
    # to 1.65 when conformer kept the lowest of ten distinct embeddings: an all-trans EMC)
    ("2.4", r"composition 2: the 6 molecules cannot be packed at 2.4 g/cm³ .*"
            r"\(at most 1.65 g/cm³\)"),
    ("1.8", r"composition 2: the 6 molecules cannot be packed at 1.8 g/cm³"),
])
def test_a_density_no_task_could_pack_is_refused_with_the_plan(tmp_path, density, message):
    text = TOML.replace("n_atoms = 70", f"n_atoms = 70\ndensity = {density}")
    with pytest.raises(PlanError, match=message):
        load_plan(_write(tmp_path, text))
    # a liquid's density is read, and packed by the task
    plan = load_plan(_write(tmp_path, TOML.replace("n_atoms = 70", "n_atoms = 70\ndensity = 1.3")))
    assert plan.density == 1.3
