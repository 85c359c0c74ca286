"""A screening row whose box is not the asked composition says so and is not valid.

3.0 mol/kg of LiPF6 in a 70-atom box of EC packs 2 LiPF6 + 6 EC, 3.79 mol/kg: its row showed
the packed value in a column only, and its verdict ("valid") and numbers read as those of
3.0 mol/kg. The same stored replicas in a 600-atom plan (2.95 mol/kg) are valid."""

import math

import numpy as np
import pytest

pytest.importorskip("distributed")
pd = pytest.importorskip("pandas")

from ase_electrolyte.build import composition_counts  # noqa: E402
from ase_electrolyte.screen import aggregate, load_plan  # noqa: E402
from ase_electrolyte.screen.engine import _prepare_outdir  # noqa: E402
from ase_electrolyte.screen.plan import (  # noqa: E402
    PACKING_TOLERANCE,
    box_of,
    packed_concentration,
    packing_shortfall,
)
from ase_electrolyte.screen.task import write_json  # noqa: E402

EC3 = {"solvent": {"EC": 1.0}, "ratio": "mass", "salt": "LiPF6", "concentration": 3.0,
       "units": "molal"}


def _molality(counts):
    """mol LiPF6 per kg EC, by hand from the molecule counts."""
    counts = {getattr(k, "name", k): n for k, n in dict(counts).items()}
    return 1000.0 * counts["Li"] / (counts["EC"] * 88.062)


def test_the_shortfall_names_asked_packed_and_a_box_that_holds_it():
    text = packing_shortfall(EC3, 70)
    packed = _molality(box_of(EC3, 70))
    assert packed == pytest.approx(3.785, abs=1e-3)
    assert f"holds {packed:.3g} mol/kg of LiPF6, not the 3 mol/kg asked (+26 %)" in text
    size = int(text.split("n_atoms = ")[1].split()[0])
    # every box from that size on (sampled up to twice it) holds 3 mol/kg within 5 %
    for n in range(size, 2 * size, 7):
        c = _molality(composition_counts({"EC": 1}, "LiPF6", 3.0, n_atoms=n))
        assert abs(c / 3.0 - 1) <= PACKING_TOLERANCE, n
    assert packing_shortfall(EC3, size) == ""
    # a box within the tolerance is not marked; nor is a pure solvent
    assert packing_shortfall(EC3, 3000) == ""
    assert packing_shortfall({**EC3, "salt": None, "concentration": 0.0}, 70) == ""


def _folder(tmp_path, n_atoms, rng):
    plan = load_plan({
        "name": "packed", "seed": 7, "replicas": 5, "temperatures": [300], "n_atoms": n_atoms,
        "analyses": [], "model": {"calculator": "ase.calculators.lj:LennardJones",
                                  "device": "cpu"},
        "composition": [{"solvent": "EC", "salt": "LiPF6", "concentration": [3.0]}]})
    _prepare_outdir(plan, tmp_path)
    for t in plan.tasks():
        folder = tmp_path / "tasks" / t.id
        folder.mkdir(parents=True)
        write_json(folder / "result.json", {
            "task": t.id, "status": "done", "seed": t.seed,
            "simulation": {"composition_counts": dict(box_of(t.composition, n_atoms))},
            "properties": {"density": {"value": 1.3 + 0.01 * rng.standard_normal(),
                                       "stderr": 0.001, "unit": "g/cm^3", "converged": True,
                                       "verdict": "valid"}}})
    return plan


@pytest.mark.parametrize("n_atoms", [70, 600])
def test_the_row_of_a_box_off_the_composition_is_marked_in_every_table(tmp_path, n_atoms):
    _folder(tmp_path, n_atoms, np.random.default_rng(5))
    row = aggregate(tmp_path, plots=False).iloc[0]
    packed = packed_concentration(box_of(EC3, n_atoms), "LiPF6", "molal")[0]
    assert row["packed_concentration"] == pytest.approx(packed, rel=1e-12)
    off = abs(packed / 3.0 - 1) > PACKING_TOLERANCE
    assert off == (n_atoms == 70)
    # the mean and its error are the same either way: only the verdict judges the box
    assert row["n_replicas"] == 5 and math.isfinite(row["sem"])
    assert bool(row["valid"]) is not off
    if off:
        assert row["verdict"] == packing_shortfall(EC3, n_atoms)
        assert "3.79 mol/kg of LiPF6, not the 3 mol/kg asked" in row["verdict"]
    else:
        assert row["verdict"] == "valid"
    for name, read in (("summary.csv", pd.read_csv), ("summary.parquet", pd.read_parquet)):
        written = read(tmp_path / name).iloc[0]
        assert written["verdict"] == row["verdict"] and bool(written["valid"]) is not off
