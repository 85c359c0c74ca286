"""A YAML plan reads numbers in exponent form as TOML does.

PyYAML follows YAML 1.1, where ``1e-3`` (no decimal point) is text: ``concentration: 1e-3`` was
refused as the string ``'1e-3'``, and ``task_timeout_s: 1e5`` likewise, while the same plan in
TOML (and YAML 1.2) reads numbers.
"""

import pytest

yaml = pytest.importorskip("yaml")

from ase_electrolyte.screen import load_plan  # noqa: E402

TOML = """
replicas = 2
temperatures = [2.98e2, 318]
task_timeout_s = 1e5
[model]
calculator = "ase.calculators.emt:EMT"
[protocol]
production_ps = 2E2
preequilibration_ps = 1.0e1
[[composition]]
solvent = "EC:3,EMC:7"
salt = "LiPF6"
concentration = [5e-1, 1.2E0, 15e-1]
"""

YAML = """
replicas: 2
temperatures: [2.98e2, 318]
task_timeout_s: 1e5
model:
  calculator: ase.calculators.emt:EMT
protocol:
  production_ps: 2E2
  preequilibration_ps: 1.0e1
composition:
  - solvent: "EC:3,EMC:7"
    salt: LiPF6
    concentration: [5e-1, 1.2E0, 15e-1]
"""


def test_yaml_and_toml_plans_with_exponents_are_one_plan(tmp_path):
    (tmp_path / "p.toml").write_text(TOML)
    (tmp_path / "p.yaml").write_text(YAML)
    a = load_plan(tmp_path / "p.toml")
    b = load_plan(tmp_path / "p.yaml")
    assert [c.concentration for c in b.compositions] == [0.5, 1.2, 1.5]
    assert b.temperatures == [298.0, 318.0]
    assert b.task_timeout_s == 1e5 and b.protocol["production_ps"] == 200.0
    assert a.fingerprint() == b.fingerprint()
    assert [t.id for t in a.tasks()] == [t.id for t in b.tasks()]
    assert [t.seed for t in a.tasks()] == [t.seed for t in b.tasks()]


@pytest.mark.parametrize("text, value", [
    ("1e-3", 1e-3), ("5E4", 5e4), ("-2.5e+2", -250.0), ("1_000e1", 1e4), ("1.0e-3", 1e-3),
    ("12", 12), ("1.5", 1.5)])
def test_exponent_forms_are_numbers(tmp_path, text, value):
    from ase_electrolyte.screen.plan import _unique_key_loader

    read = yaml.load(f"a: {text}", Loader=_unique_key_loader(yaml))["a"]  # noqa: S506
    assert read == value and type(read) is type(value)


@pytest.mark.parametrize("text", ["'1e-3'", '"5e4"', "1e", "e5", "abc", "EC:3"])
def test_quoted_and_other_text_stays_text(text):
    from ase_electrolyte.screen.plan import _unique_key_loader

    assert isinstance(yaml.load(f"a: {text}", Loader=_unique_key_loader(yaml))["a"],  # noqa: S506
                      str)


def test_quoted_number_in_a_yaml_plan_is_still_refused(tmp_path):
    """A quoted number stays text, refused as in TOML (a unit that lost its number)."""
    (tmp_path / "q.yaml").write_text(YAML.replace("task_timeout_s: 1e5", "task_timeout_s: '1e5'"))
    with pytest.raises(ValueError, match="task_timeout_s"):
        load_plan(tmp_path / "q.yaml")


def test_pyyaml_itself_is_left_as_it_is():
    """The resolver belongs to the plan's loader only: PyYAML's own SafeLoader, which other
    code reads YAML with, is not changed."""
    assert yaml.safe_load("a: 1e-3")["a"] == "1e-3"
