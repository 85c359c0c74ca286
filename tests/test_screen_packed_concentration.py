"""The screening table at the concentration the box holds: in a small box the integer molecule
counts are far from the asked concentration (3.0 mol/kg of LiPF6 in 70 atoms of EC is 2 LiPF6 +
6 EC, 3.79 mol/kg), so the table reports and the figures plot the packed concentration, with
the nominal one alongside; replicas that packed different boxes, or that repeat one another's
numbers exactly, are named and their rows marked not valid."""

import importlib
import math
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("distributed")
pd = pytest.importorskip("pandas")
pytest.importorskip("rdkit")
pytest.importorskip("packmol")

from ase.io import read  # noqa: E402
from ase.units import _Nav  # noqa: E402

from ase_electrolyte.build import electrolyte_box  # noqa: E402
from ase_electrolyte.screen import aggregate, load_plan, run_task  # noqa: E402
from ase_electrolyte.screen.engine import _prepare_outdir, _spec  # noqa: E402
from ase_electrolyte.screen.plan import (  # noqa: E402
    box_of,
    packed_concentration,
    packing_shortfall,
)
from ase_electrolyte.screen.task import write_json  # noqa: E402
from mda_electrolyte.uncertainty import mean_error  # noqa: E402

MODELS = str(Path(__file__).with_name("screen_models.py"))
aggregate_module = importlib.import_module("ase_electrolyte.screen.aggregate")

PROTOCOL = {"relax_fmax": 20.0, "preequilibration_ps": 0.0, "equilibration_ps": 0.0,
            "production_ps": 0.005, "production_ensemble": "npt", "write_interval_fs": 1.0,
            "observe_interval_fs": 1.0}


def _plan(replicas=1, concentrations=(3.0, 4.0), **extra):
    return load_plan({
        "name": "packed", "seed": 7, "replicas": replicas, "temperatures": [300], "n_atoms": 70,
        "analyses": [], "model": {"calculator": f"{MODELS}:lj", "device": "cpu"},
        "protocol": PROTOCOL,
        "composition": [{"solvent": "EC", "salt": "LiPF6",
                         "concentration": list(concentrations)}], **extra,
    })


def _molality_of(atoms):
    """mol Li per kg of EC, counted in the packed atoms themselves."""
    species = atoms.arrays["molecule_species"]
    masses = atoms.get_masses()
    n_li = int(np.sum(species == "Li"))
    solvent_g = float(masses[species == "EC"].sum())
    return 1000.0 * n_li / solvent_g


@pytest.fixture
def drawn(monkeypatch):
    """x and y of every line of the figures aggregate draws, by file stem."""
    lines = {}
    save = aggregate_module.save_figure

    def keep(fig, path, **options):
        lines[path.stem] = [[(np.asarray(line.get_xdata(), float),
                              np.asarray(line.get_ydata(), float)) for line in ax.get_lines()]
                            for ax in fig.axes]
        return save(fig, path, **options)

    monkeypatch.setattr(aggregate_module, "save_figure", keep)
    return lines


def test_a_small_box_is_reported_and_plotted_at_its_packed_concentration(tmp_path, drawn):
    plan = _plan()
    out = tmp_path / "screen"
    _prepare_outdir(plan, out)
    for task in plan.tasks():
        result = run_task(_spec(plan, task, out, 1, plan.to_dict()))
        assert result["status"] == "done", result.get("error")
    summary = aggregate(out, plots=True)
    density = summary[summary["property"] == "density"].set_index("concentration")
    for nominal in (3.0, 4.0):
        atoms = read(out / "tasks" / f"EC_LiPF6-{nominal:g}molal" / "T300K" / "r0" /
                     "initial.extxyz")
        reference = _molality_of(atoms)  # counted atom by atom in the simulated box
        row = density.loc[nominal]
        assert row["packed_concentration"] == pytest.approx(reference, rel=1e-4)
        assert row["cation_molality"] == pytest.approx(reference, rel=1e-4)
        # the box is far from the asked concentration: 3.79 for 3.0, 4.54 for 4.0
        assert abs(row["packed_concentration"] - nominal) > 0.1 * nominal
    # the nominal concentration stays the row's key; tasks.csv has each replica's box
    tasks = pd.read_csv(out / "tasks.csv")
    assert set(tasks["concentration"]) == {3.0, 4.0}
    assert np.allclose(sorted(set(tasks["packed_concentration"])),
                       sorted(density["packed_concentration"]))
    # the figure: at the packed concentrations, along x, not at 3 and 4
    (panel,) = drawn["density"]
    x, y = panel[0]
    assert np.allclose(x, sorted(density["packed_concentration"]))
    # (5 fs: too short for a valid density; drawn where there is a mean)
    assert np.allclose(y, density.sort_values("packed_concentration")["mean"], equal_nan=True)


def test_a_molar_concentration_is_the_boxs_at_the_plans_density():
    # electrolyte_box packs at the given density: its cell holds the packed mol/L exactly
    atoms = electrolyte_box({"EC": 1}, "LiPF6", 2.0, units="molar", n_atoms=70, density=1.3,
                            seed=3)
    n_li = int(np.sum(atoms.arrays["molecule_species"] == "Li"))
    litres = atoms.get_volume() * 1e-27
    molar = n_li / _Nav / litres
    counts = atoms.info["composition"]
    concentration, molality = packed_concentration(counts, "LiPF6", "molar", 1.3)
    assert concentration == pytest.approx(molar, rel=1e-9)
    assert molality == pytest.approx(atoms.info["cation_molality"]["value"], rel=1e-12)
    assert abs(concentration - 2.0) > 0.02  # 1.91 mol/L in this box
    # no density: no molar concentration, rather than a number at a guessed one
    assert math.isnan(packed_concentration(counts, "LiPF6", "molar")[0])
    # a pure solvent packs no salt
    assert packed_concentration({"EC": 10}, None, "molal") == (0.0, 0.0)


def _stored(out, plan, values, boxes=None, simulation=True):
    """Finished tasks with ``values[(concentration, replica)]`` as density (and a second
    property), each recording the box of its composition (or ``boxes[...]``)."""
    _prepare_outdir(plan, out)
    for t in plan.tasks():
        key = (t.composition.concentration, t.replica)
        folder = out / "tasks" / t.id
        folder.mkdir(parents=True)
        box = (boxes or {}).get(key) or dict(box_of(t.composition, plan.n_atoms))
        rho, d = values[key]
        record = {"task": t.id, "status": "done", "seed": t.seed, "properties": {
            "density": {"value": rho, "stderr": 0.001, "unit": "g/cm^3", "converged": True,
                        "verdict": "valid"},
            "D_Li": {"value": d, "stderr": 1e-12, "unit": "m^2/s", "converged": True,
                     "verdict": "valid"}}}
        if simulation:
            record["simulation"] = {"composition_counts": box}
        write_json(folder / "result.json", record)


def _off(plan, concentration):
    """The verdict of an otherwise valid row: the 70-atom box is not the asked composition."""
    comp = next(c for c in plan.compositions if c.concentration == concentration)
    text = packing_shortfall(comp, plan.n_atoms)
    packed = packed_concentration(box_of(comp, 70), "LiPF6", "molal")[0]
    assert f"the box of 70 atoms holds {packed:.3g} mol/kg" in text
    return text


def _values(replicas, rng):
    return {(c, r): (1.3 + 0.01 * rng.standard_normal(), 1e-10 * (1 + 0.1 * rng.standard_normal()))
            for c in (3.0, 4.0) for r in range(replicas)}


def test_replicas_that_packed_different_boxes_are_named(tmp_path):
    plan = _plan(replicas=5)
    values = _values(5, np.random.default_rng(1))
    # replica 4 of 3 molal holds a result of another version's rounding: 3 LiPF6, not 2
    odd = {(3.0, 4): {"EC": 6, "Li": 3, "PF6": 3}}
    _stored(tmp_path, plan, values, boxes=odd)
    table = aggregate(tmp_path, plots=False).set_index(["concentration", "property"])
    row = table.loc[(3.0, "density")]
    assert not row["valid"]
    assert "replicas packed different boxes (3.785, 5.678 molal)" in row["verdict"]
    # the other composition, five distinct valid replicas of one box: marked only because
    # 70 atoms pack 4.54 mol/kg for the 4 asked
    row = table.loc[(4.0, "density")]
    assert not row["valid"] and row["verdict"] == _off(plan, 4.0), row["verdict"]
    assert row["packed_concentration"] == pytest.approx(4.542254, rel=1e-6)


def test_rows_without_a_recorded_box_take_the_plans_box(tmp_path):
    # results of an earlier version (no simulation record) and a composition that failed in
    # every replica: the box the plan packs, never the nominal number
    plan = _plan(replicas=1)
    _stored(tmp_path, plan, _values(1, np.random.default_rng(2)), simulation=False)
    failed = tmp_path / "tasks" / "EC_LiPF6-4molal" / "T300K" / "r0"
    (failed / "result.json").unlink()
    write_json(failed / "error.json", {"status": "failed", "error": "RuntimeError: boom"})
    table = aggregate(tmp_path, plots=False).set_index(["concentration", "property"])
    assert table.loc[(3.0, "density"), "packed_concentration"] == pytest.approx(3.785212,
                                                                                 rel=1e-6)
    row = table.loc[(4.0, "density")]
    assert row["packed_concentration"] == pytest.approx(4.542254, rel=1e-6)
    assert math.isnan(row["mean"]) and not row["valid"] and "boom" in row["verdict"]


def test_replicas_that_repeat_each_other_are_one_sample(tmp_path):
    # five seeds, but replica 3 gives replica 1's numbers to the last bit (a copied task
    # folder, a model or protocol that ignores the seed): five values, four samples
    plan = _plan(replicas=5)
    values = _values(5, np.random.default_rng(3))
    values[(3.0, 3)] = values[(3.0, 1)]
    _stored(tmp_path, plan, values)
    table = aggregate(tmp_path, plots=False).set_index(["concentration", "property"])
    seeds = {t.replica: t.seed for t in plan.tasks() if t.composition.concentration == 3.0}
    for prop in ("density", "D_Li"):
        row = table.loc[(3.0, prop)]
        assert not row["valid"]
        assert (f"replicas r1, r3 (seeds {seeds[1]}, {seeds[3]}) give identical results: one "
                "sample counted several times") in row["verdict"]
        # the numbers are still those of the five stored replicas (tasks.csv keeps them)
        five = [values[(3.0, r)][0 if prop == "density" else 1] for r in range(5)]
        assert row["mean"] == pytest.approx(np.mean(five), rel=1e-12)
        assert row["sem"] == pytest.approx(mean_error(np.array(five))[1], rel=1e-9)
    assert table.loc[(4.0, "density"), "verdict"] == _off(plan, 4.0)


def test_a_number_every_replica_shares_is_no_repeated_replica(tmp_path):
    # an NVT density is the packing density in every replica: the same in all, which the row
    # says ("no spread"), while the replicas differ elsewhere and are independent samples
    plan = _plan(replicas=5)
    values = _values(5, np.random.default_rng(4))
    values = {k: (1.25, d) for k, (_, d) in values.items()}
    _stored(tmp_path, plan, values)
    table = aggregate(tmp_path, plots=False).set_index(["concentration", "property"])
    row = table.loc[(3.0, "density")]
    assert not row["valid"] and row["verdict"].startswith("no spread: all 5 valid replicas")
    assert "identical results" not in row["verdict"]
    assert table.loc[(3.0, "D_Li"), "verdict"] == _off(plan, 3.0)
