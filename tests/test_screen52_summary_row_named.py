"""summary_estimate names the row it refuses.

Measured before: the row of a property whose replicas gave a unit that is not one of
``ase_electrolyte.units`` (``"g per cc"``, a summary's ``"unknown"``) raised "unknown unit 'g per
cc'; known: ..." from the Estimate, without naming the row (composition, temperature,
property) among the table's; so did a row whose ``valid`` is no flag or whose error is
negative. A table of an earlier version's display spelling ``"g/cm3"`` was refused outright.
"""

import csv

import pytest
from test_screen50_summary_rows_as_text import PLAN, _property

from ase_electrolyte.screen import aggregate, load_plan, summary_estimate
from ase_electrolyte.screen.aggregate import _UNIT_SPELLING
from ase_electrolyte.screen.engine import _prepare_outdir
from ase_electrolyte.screen.task import write_json

ODD_UNITS = {"oddity_a": "g per cc", "oddity_b": "unknown", "oddity_c": "furlongs/fortnight"}


@pytest.fixture(scope="module")
def rows(tmp_path_factory):
    """The table's rows (pandas and csv text) of 3 replicas whose odd properties' units are
    none of ase_electrolyte.units, beside a density in g/cm^3."""
    plan = load_plan({**PLAN, "replicas": 3, "temperatures": [298.0, 330.0]})
    out = tmp_path_factory.mktemp("named") / "out"
    _prepare_outdir(plan, out)
    for r, t in enumerate(plan.tasks()):
        folder = out / "tasks" / t.id
        folder.mkdir(parents=True)
        write_json(folder / "result.json", {
            "task": t.id, "status": "done", "seed": t.seed, "properties": {
                "density": _property(1.2 + 0.01 * r, "g/cm^3"),
                **{name: _property(2.0 + r, unit) for name, unit in ODD_UNITS.items()},
            }})
    frame = aggregate(out, plots=False)
    with open(out / "summary.csv", newline="") as f:
        text = list(csv.DictReader(f))
    return [row for _, row in frame.iterrows()], text


@pytest.mark.parametrize("as_text", [False, True], ids=["pandas", "csv"])
@pytest.mark.parametrize("name", sorted(ODD_UNITS))
def test_a_row_in_an_unknown_unit_is_refused_naming_the_row(rows, as_text, name):
    table = rows[as_text]
    odd = [row for row in table if row["property"] == name]
    assert len(odd) == 2  # one per temperature
    for row in odd:
        with pytest.raises(ValueError) as info:
            summary_estimate(row)
        message = str(info.value)
        assert ODD_UNITS[name] in message
        assert row["composition"] in message and name in message
        assert f"{float(row['temperature_K']):g} K" in message
    # the other rows of the same table read
    for row in table:
        if row["property"] == "density":
            assert summary_estimate(row).unit == "g/cm^3"


BAD = [("valid", "maybe", "valid must be True or False"),
       ("sem", -0.1, "non-negative"),
       ("unit", "g per cc", "unknown unit")]


@pytest.mark.parametrize("key, value, says", BAD)
def test_every_refusal_names_the_row(key, value, says):
    row = {"composition": "EC_LiPF6_2", "temperature_K": 350.0, "property": "density",
           "mean": 1.2, "sem": 0.01, "unit": "g/cm^3", "valid": True, "verdict": "valid",
           "dof": 4.0, "n_replicas": 5, key: value}
    with pytest.raises(ValueError, match=f"summary row composition EC_LiPF6_2, 350 K, density: "
                                         f".*{says}"):
        summary_estimate(row)


@pytest.mark.parametrize("old, unit", sorted(_UNIT_SPELLING.items()))
def test_an_earlier_tables_unit_spelling_reads_as_the_units_own(old, unit):
    row = {"composition": "EC_LiPF6_2", "temperature_K": 350.0, "property": "x",
           "mean": 1.2, "sem": 0.01, "valid": True, "verdict": "valid", "dof": 4.0,
           "n_replicas": 5}
    got, want = summary_estimate({**row, "unit": old}), summary_estimate({**row, "unit": unit})
    assert (got.value, got.stderr, got.unit, got.dof) == (want.value, want.stderr, unit, 4.0)
