"""A replica's number that no such property can have is excluded, never averaged in.

A noisy Green–Kubo integral can end below zero while its analysis still calls it valid: one
replica's viscosity of −0.4 mPa·s was averaged with four of about 3 into a valid row (mean 2.5
instead of 3.2). The measured values were checked against the admissible range of each known
property (positive, or a fraction of the cations), the simulated ones were not. Now a replica
outside it is excluded with the reason ``not physical: ...``, counted in ``n_invalid``, and the
row is not valid; properties of no known range (transference numbers, parts of a conductivity,
which may be negative) are kept as they are."""

import pytest

pd = pytest.importorskip("pandas")

from test_screen_failures import _folder  # noqa: E402
from test_screen_finite_size_diffusion import _prop, _replica  # noqa: E402

from ase_electrolyte.screen import aggregate, task_table  # noqa: E402


@pytest.mark.parametrize("name, value, unit, reason", [
    ("viscosity", -0.4, "mPa·s", "viscosity must be > 0"),
    ("density", 0.0, "g/cm^3", "density must be > 0"),
    ("D_Li", -2.0e-12, "m^2/s", "D_Li must be > 0"),
    ("conductivity_gk", -0.3, "mS/cm", "conductivity_gk must be > 0"),
    ("CIP", 1.2, "1", "CIP is a fraction of the cations (0 to 1)"),
    ("AGG", -0.05, "1", "AGG is a fraction of the cations (0 to 1)"),
])
def test_a_replica_outside_the_range_of_its_property_is_excluded(tmp_path, name, value, unit,
                                                                 reason):
    good = {"viscosity": 3.0, "density": 1.3, "D_Li": 1e-10, "conductivity_gk": 5.0,
            "CIP": 0.4, "AGG": 0.1}[name]

    def outcome(c, r):
        props = _replica(r)
        # the other replicas of the property vary, as sampled numbers do
        props[name] = _prop(value if (c == 3.0 and r == 2) else good * (1 + 0.01 * r), unit)
        return props

    _folder(tmp_path, outcome, replicas=5)
    table = aggregate(tmp_path, plots=False).set_index(["concentration", "property"])
    bad = table.loc[(3.0, name)]
    assert not bad["valid"] and bad["n_replicas"] == 4 and bad["n_invalid"] == 1
    assert f"excluded: not physical: {reason} (1/5 replicas)" in bad["verdict"]
    # the mean is over the four others only
    expected = sum(good * (1 + 0.01 * r) for r in (0, 1, 3, 4)) / 4
    assert bad["mean"] == pytest.approx(expected, rel=1e-12)
    # the same property at the other concentration, and the other properties, stay valid
    assert table.loc[(4.0, name), "valid"]
    assert table.loc[3.0].drop(index=name)["valid"].all()
    # the replica's own number stays in tasks.csv with the reason
    rows, _ = task_table(tmp_path)
    row = rows[(rows["concentration"] == 3.0) & (rows["replica"] == 2)
               & (rows["property"] == name)].iloc[0]
    assert row["value"] == value and not row["valid"]
    assert row["verdict"] == f"not physical: {reason}"


def test_a_property_of_no_known_range_may_be_negative(tmp_path):
    # a transference number of a correlated electrolyte can be negative
    def outcome(c, r):
        return {**_replica(r), "onsager.t_Li": _prop(-0.1 - 0.01 * r, "1")}

    _folder(tmp_path, outcome, replicas=5)
    table = aggregate(tmp_path, plots=False)
    rows = table[table["property"] == "onsager.t_Li"]
    assert len(rows) == 2 and rows["valid"].all()
    assert rows["mean"].to_numpy() == pytest.approx(-0.12)


def test_a_replica_already_not_valid_keeps_its_own_reason(tmp_path):
    def outcome(c, r):
        props = _replica(r)
        if r == 1:
            props["viscosity"] = _prop(-0.4, "mPa·s", valid=False)  # "no plateau"
        return props

    _folder(tmp_path, outcome, replicas=5)
    table = aggregate(tmp_path, plots=False)
    eta = table[table["property"] == "viscosity"]
    assert eta["verdict"].str.contains(r"excluded: no plateau \(1/5 replicas\)").all()
    assert not eta["verdict"].str.contains("not physical").any()
