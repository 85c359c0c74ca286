"""Screening on dask.distributed: plan checks, a 2-worker LocalCluster run, a killed worker, reruns,
and the aggregated table against the per-task results."""

import json
import math
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("rdkit")
pytest.importorskip("packmol")
distributed = pytest.importorskip("distributed")
pd = pytest.importorskip("pandas")

from ase_electrolyte.screen import PlanError, aggregate, load_plan, run_screen  # noqa: E402
from electrolyte_cli import main  # noqa: E402
from mda_electrolyte.uncertainty import t_factor  # noqa: E402

MODELS = str(Path(__file__).with_name("screen_models.py"))

# tiny boxes (76 and 66 atoms), 10 fs of NPT: seconds per task
PROTOCOL = {
    "relax_fmax": 20.0,
    "preequilibration_ps": 0.0,
    "equilibration_ps": 0.0,
    "production_ps": 0.01,
    "production_ensemble": "npt",
    "write_interval_fs": 1.0,
    "observe_interval_fs": 1.0,
}


def _plan(function="lj", options=None, **extra):
    plan = {
        "name": "test screen",
        "seed": 7,
        "replicas": 2,
        "temperatures": [300],
        "n_atoms": 70,
        "analyses": [],
        "model": {
            "calculator": f"{MODELS}:{function}",
            "device": "cpu",
            "options": options or {},
        },
        "protocol": dict(PROTOCOL),
        "composition": [{"solvent": "EC", "salt": "LiPF6", "concentration": [3.0, 4.0]}],
    }
    plan.update(extra)
    return plan


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        memory_limit=0,
        dashboard_address=":0",
        silence_logs=50,
    )
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


# -- plan checks: all before any submission ----------------------------------------------------


@pytest.mark.parametrize(
    "change, message",
    [
        ({"composition": [{"solvent": "XYZ", "salt": "LiPF6", "concentration": 1}]}, "XYZ"),
        ({"composition": [{"solvent": "EC", "salt": "LiPF7", "concentration": 1}]}, "LiPF7"),
        ({"composition": [{"solvent": "EC:3,EMC:x", "salt": "LiPF6", "concentration": 3}]},
         r"solvent ratio 'EC:3,EMC:x': bad solvent entry 'EMC:x' .* e\.g\. EC:3,EMC:7$"),
        ({"composition": [{"solvent": "EC:3,EMC:-7", "salt": "LiPF6", "concentration": 3}]},
         r"solvent ratio 'EC:3,EMC:-7': solvent share of EMC must be a finite number > 0, "
         r"not -7"),
        ({"composition": [{"solvent": "EC", "salt": "LiPF6", "concentration": 0}]},
         r"concentration 0 of salt LiPF6: a pure solvent is a composition without salt"),
        ({"composition": [{"solvent": "EC:1,EC:2", "salt": "LiPF6", "concentration": 1}]},
         "EC is named twice"),
        ({"composition": [{"solvent": {"EC": 1, "ec": 2}, "salt": "LiPF6", "concentration": 1}]},
         "EC is named twice"),
        ({"composition": [{"solvent": "EC", "salt": "LiPF6", "concentration": -1.0}]},
         r"concentration \(molal\) must be a finite number > 0, got -1.0"),
        ({"composition": [{"solvent": "EC", "salt": "LiPF6", "concentration": 0.1}]},
         "ion pairs"),
        ({"composition": [{"solvent": "EC", "concentration": 1.0}]}, "without a salt"),
        ({"model": {"calculator": "no_such_package_xyz:make"}}, "cannot import"),
        ({"model": {"calculator": f"{MODELS}:nothing_here"}}, "has no"),
        ({"model": {"name": "no-such-model"}}, "unknown model"),
        ({"model": {"file": "missing.model"}}, "does not exist"),
        ({"model": {"name": "sevennet-0", "dispersion": "d4"}}, "dispersion"),
        ({"analyses": ["difusion"]}, "unknown analyses"),
        ({"protocol": {"production_ps": 0}}, "production_ps"),
        ({"temperatures": [300, -5]}, "temperature"),
        ({"replicas": 0}, "replicas"),
        ({"colour": "blue"}, "unknown plan key"),
    ],
)
def test_bad_plans_are_refused_with_the_reason(change, message):
    with pytest.raises(PlanError, match=message):
        load_plan(_plan(**change))


def test_missing_model_package_is_named(monkeypatch):
    from ase_electrolyte import models

    monkeypatch.setattr(models, "_installed", lambda backend: False)
    with pytest.raises(PlanError, match="pip install"):
        load_plan(_plan(model={"name": "sevennet-0"}))


def test_seeds_follow_task_keys_not_plan_order():
    plan = load_plan(_plan())
    more = load_plan(
        _plan(
            replicas=3,
            composition=[{"solvent": "EC", "salt": "LiPF6", "concentration": [4.0, 3.0]}],
        )
    )
    seeds = {t.id: t.seed for t in plan.tasks()}
    assert len(set(seeds.values())) == len(seeds) == 4
    # reordered compositions and an extra replica keep the shared tasks' seeds
    assert {t.id: t.seed for t in more.tasks() if t.id in seeds} == seeds
    assert plan.fingerprint() == more.fingerprint()
    other = load_plan(_plan(seed=8))
    assert not set(t.seed for t in other.tasks()) & set(seeds.values())


def test_toml_and_yaml_plans_read_the_same(tmp_path):
    toml = tmp_path / "plan.toml"
    toml.write_text(
        f"""
seed = 7
replicas = 2
temperatures = [300]
n_atoms = 40
analyses = ["diffusion"]
[model]
calculator = "{MODELS}:lj"
device = "cpu"
[[composition]]
solvent = {{EC = 1}}
salt = "LiPF6"
concentration = [2.0, 3.0]
"""
    )
    yaml = tmp_path / "plan.yaml"
    yaml.write_text(
        f"""
seed: 7
replicas: 2
temperatures: [300]
n_atoms: 40
analyses: [diffusion]
model: {{calculator: "{MODELS}:lj", device: cpu}}
composition:
  - {{solvent: EC, salt: LiPF6, concentration: [2.0, 3.0]}}
"""
    )
    a, b = load_plan(toml), load_plan(yaml)
    assert [t.id for t in a.tasks()] == [t.id for t in b.tasks()]
    assert [t.seed for t in a.tasks()] == [t.seed for t in b.tasks()]
    bad = tmp_path / "bad.toml"
    bad.write_text("replicas = [")
    with pytest.raises(PlanError, match="TOML"):
        load_plan(bad)


# -- running on the cluster --------------------------------------------------------------------


def _write_yaml(plan, path):
    import yaml

    path.write_text(yaml.safe_dump(plan))
    return str(path)


def _results(outdir):
    return {
        str(p.parent.relative_to(outdir / "tasks")): json.loads(p.read_text())
        for p in sorted((outdir / "tasks").rglob("result.json"))
    }


def test_screen_runs_and_table_is_mean_and_standard_error(client, tmp_path):
    exp = tmp_path / "exp.csv"
    # the experiment: 1.2 g/cm3 at 3 molal, 1.3 at 4 molal (shares as fractions match EC:1)
    exp.write_text(
        "solvent,salt,concentration,property,value\nEC:100,LiPF6,3.0,density,1.2\n"
        "EC:100,LiPF6,4.0,density,1.3\n"
    )
    out = tmp_path / "screen"
    result = run_screen(_plan(), out, client=client, experimental=exp, progress=False)
    assert (result.n_tasks, result.n_done, result.n_failed, result.n_skipped) == (4, 4, 0, 0)
    results = _results(out)
    assert sorted(results) == [
        f"EC_LiPF6-{c}molal/T300K/r{r}" for c in ("3", "4") for r in (0, 1)
    ]
    # each task ran its own box and trajectory with its own seed
    assert len({r["seed"] for r in results.values()}) == 4
    assert {r["simulation"]["n_atoms"] for r in results.values()} == {66, 76}
    # the record's flat density numbers only where the density is a result (earlier readers
    # take them as results); its Estimate keeps the number with the verdict
    for record in results.values():
        sim = record["simulation"]
        if sim["density"]["converged"]:
            assert sim["density_g_cm3"] == sim["density"]["value"]
        else:
            assert sim["density_g_cm3"] is None and sim["density_sem_g_cm3"] is None
            assert sim["density_verdict"] == sim["density"]["verdict"] != "valid"

    summary = pd.read_parquet(out / "summary.parquet")
    pd.testing.assert_frame_equal(summary, result.summary)
    assert list(summary["property"]) == ["density", "density"]
    for _, row in summary.iterrows():
        props = [
            r["properties"][row["property"]]
            for k, r in results.items()
            if k.startswith(f"{row['composition']}/")
        ]
        values = [p["value"] for p in props]
        assert len(values) == 2 and values[0] != values[1]  # independent replicas differ
        # 10 fs of NPT: the protocol refuses each replica's density (too short), so the row has
        # no mean and says why (the numbers of the means are checked on stored results below)
        assert not any(p["converged"] for p in props)
        assert (row["n_replicas"], row["n_invalid"], row["valid"]) == (0, 2, False)
        assert math.isnan(row["mean"]) and "no valid replica" in row["verdict"]
        assert all(f"excluded: {p['verdict']}" in row["verdict"] for p in props)
    tasks = pd.read_csv(out / "tasks.csv")
    assert len(tasks) == 4 and not tasks["valid"].any()
    assert sorted(tasks["value"]) == sorted(
        r["properties"]["density"]["value"] for r in results.values()
    )
    assert (out / "plots" / "density.png").stat().st_size > 1000

    comparison = pd.read_csv(out / "comparison.csv")
    errors = pd.read_csv(out / "errors.csv")
    assert len(comparison) == 2 and not comparison["valid"].any()
    assert (errors.loc[0, "n"], errors.loc[0, "n_excluded"]) == (0, 2)
    assert math.isnan(errors.loc[0, "MAE"])  # nothing valid to compare
    assert (out / "plots" / "parity_density.png").exists()

    # a rerun submits nothing and gives the same table
    mtimes = {p: p.stat().st_mtime_ns for p in (out / "tasks").rglob("result.json")}
    again = run_screen(_plan(), out, client=client, progress=False, plots=False)
    assert (again.n_done, again.n_skipped) == (0, 4)
    assert {p: p.stat().st_mtime_ns for p in (out / "tasks").rglob("result.json")} == mtimes
    pd.testing.assert_frame_equal(again.summary, summary)

    # an output folder of another plan is refused before anything is submitted
    with pytest.raises(PlanError, match="different plan.*protocol"):
        run_screen(
            _plan(protocol={**PROTOCOL, "production_ps": 0.03}), out, client=client,
            progress=False,
        )


def test_killed_worker_and_failing_task(client, tmp_path):
    sentinel = tmp_path / "killed"
    out = tmp_path / "screen"
    short = {**PROTOCOL, "production_ps": 0.012, "write_interval_fs": 2.0}
    # the first worker to reach its 10th force call dies, mid-production of its task (about 15
    # calls: the relaxation and 13 MD steps)
    kill = {"sentinel": str(sentinel), "kill_at": 10}
    plan = _plan("killing_lj", kill, protocol=short, replicas=1)
    result = run_screen(plan, out, client=client, progress=False, plots=False)
    assert sentinel.exists(), "no worker was killed"
    assert (result.n_done, result.n_failed) == (2, 0)
    from ase_electrolyte.trajectory import h5md_info

    for key in _results(out):
        info = h5md_info(out / "tasks" / key / "production.h5md")
        assert info["complete"] and info["n_frames"] == 7

    # one more replica: only the two new tasks run, the old ones are kept
    grown = run_screen(
        _plan("killing_lj", kill, protocol=short, replicas=2),
        out, client=client, progress=False, plots=False,
    )
    assert (grown.n_done, grown.n_skipped) == (2, 2)
    assert set(grown.summary["n_replicas"] + grown.summary["n_invalid"]) == {2}
    # exactly one result per (task, property): nothing lost, nothing twice
    assert len(_results(out)) == 4
    tasks = pd.read_csv(out / "tasks.csv")
    assert not tasks.duplicated(["composition", "temperature_K", "replica", "property"]).any()
    assert len(tasks) == 4 and set(tasks["property"]) == {"density"}

    # a task that raises is recorded and the others finish
    out2 = tmp_path / "failing"
    result = run_screen(
        _plan("picky_lj", {"max_atoms": 70}, protocol=short, replicas=1),
        out2, client=client, progress=False, plots=False,
    )
    assert (result.n_done, result.n_failed) == (1, 1)
    assert list(result.failures) == ["EC_LiPF6-3molal/T300K/r0"]
    assert "at most 70 atoms" in result.failures["EC_LiPF6-3molal/T300K/r0"]
    failures = pd.read_csv(out2 / "failures.csv")
    assert list(failures["task"]) == ["EC_LiPF6-3molal/T300K/r0"]
    assert "at most 70 atoms" in json.loads(
        (out2 / "tasks" / "EC_LiPF6-3molal/T300K/r0" / "error.json").read_text()
    )["traceback"]
    # the failed composition keeps its row: no number, the reason as its verdict
    table = result.summary.set_index("composition")
    assert set(table.index) == {"EC_LiPF6-3molal", "EC_LiPF6-4molal"}
    assert math.isnan(table.loc["EC_LiPF6-3molal", "mean"])
    assert "1 replica(s) failed: RuntimeError: this model takes at most 70 atoms" in (
        table.loc["EC_LiPF6-3molal", "verdict"])


def test_cli_screen_against_a_running_scheduler(client, tmp_path, capsys):
    plan = tmp_path / "plan.toml"
    plan.write_text(
        f"""
seed = 3
replicas = 1
n_atoms = 40
analyses = []
[model]
calculator = "{MODELS}:lj"
device = "cpu"
[protocol]
relax_fmax = 20.0
preequilibration_ps = 0.0
equilibration_ps = 0.0
production_ps = 0.005
production_ensemble = "nvt"
write_interval_fs = 1.0
[[composition]]
solvent = "EC"
salt = "LiPF6"
concentration = 3.0
"""
    )
    out = tmp_path / "out"
    address = client.scheduler.address
    rc = main(["screen", str(plan), "-o", str(out), "--scheduler", address, "--no-plots"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert "1 done" in captured.out and "dashboard" in captured.out
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary["property"]) == ["density"]
    # one replica of an NVT run: the density is the input, not a result, and the row says so
    assert math.isnan(summary.loc[0, "sem"]) and not summary.loc[0, "valid"]
    assert "no valid replica" in summary.loc[0, "verdict"]
    assert "not a result" in summary.loc[0, "verdict"]

    bad = tmp_path / "bad.toml"
    bad.write_text(plan.read_text().replace('salt = "LiPF6"', 'salt = "LiPF7"'))
    rc = main(["screen", str(bad), "-o", str(tmp_path / "bad"), "--scheduler", address])
    err = capsys.readouterr().err
    assert rc == 2
    assert len(err.strip().splitlines()) == 1 and "LiPF7" in err
    assert not (tmp_path / "bad").exists()


def test_task_runs_analyses_and_reports_their_numbers(tmp_path):
    """One task in this process: the report's diffusion numbers and verdicts reach the table."""
    from ase_electrolyte.screen import run_task, task_table
    from ase_electrolyte.screen.engine import _prepare_outdir, _spec

    # 70 frames: ten blocks of a single trajectory, each long enough for a diffusion fit
    plan = load_plan(
        _plan(
            replicas=1,
            analyses=["diffusion"],
            protocol={**PROTOCOL, "production_ps": 0.07, "production_ensemble": "nvt"},
            composition=[{"solvent": "EC", "salt": "LiPF6", "concentration": 4.0}],
        )
    )
    _prepare_outdir(plan, tmp_path)
    (task,) = plan.tasks()
    out = run_task(_spec(plan, task, tmp_path, 1, plan.to_dict()))
    assert out["status"] == "done", out.get("traceback")
    assert out["analyses"] == {"diffusion": "done"}
    report = json.loads((tmp_path / "tasks" / task.id / "analysis" / "summary.json").read_text())
    # the report holds one Estimate per species (value, stderr, unit, verdict)
    estimates = report["diffusion"]["D"]
    species = set(estimates)
    assert {"Li", "PF6"} <= species
    for ion in species:
        prop = out["properties"][f"D_{ion}"]
        assert prop["value"] == estimates[ion]["value"] > 0
        assert prop["stderr"] == estimates[ion]["stderr"] > 0
        assert prop["unit"] == estimates[ion]["unit"] == "m^2/s"
        # the analysis' own verdict: "valid", else why the MSD is not diffusive
        own = estimates[ion]["verdict"]
        assert prop["verdict"] == own and prop["converged"] == (own == "valid")
    # NVT production: the density is the box's, and marked as not measured
    assert not out["properties"]["density"]["converged"]
    assert "not a result" in out["properties"]["density"]["verdict"]
    # done-marker: a second call does no work
    again = run_task(_spec(plan, task, tmp_path, 1, plan.to_dict()))
    assert again["skipped"] and again["properties"] == out["properties"]
    rows, failures = task_table(tmp_path)
    assert set(rows["property"]) == {"density"} | {f"D_{sp}" for sp in species}
    assert failures.empty
    table = aggregate(tmp_path, plots=True)
    assert table["sem"].isna().all()  # one replica: no spread to give an error
    assert not table["valid"].any()
    assert table["verdict"].str.contains("single valid replica|no valid replica").all()
    assert (tmp_path / "plots" / "diffusivity.png").exists()


def test_interrupted_task_resumes_from_its_last_frame(tmp_path):
    from ase_electrolyte.screen import run_task
    from ase_electrolyte.screen.engine import _prepare_outdir, _spec
    from ase_electrolyte.screen.task import make_calculator
    from ase_electrolyte.trajectory import h5md_info

    plan = load_plan(
        _plan(
            "crashing_lj",
            {"crash_at": 12},
            replicas=1,
            protocol={**PROTOCOL, "production_ps": 0.016, "write_interval_fs": 2.0},
            composition=[{"solvent": "EC", "salt": "LiPF6", "concentration": 4.0}],
        )
    )
    _prepare_outdir(plan, tmp_path)
    (task,) = plan.tasks()
    spec = _spec(plan, task, tmp_path, 1, plan.to_dict())
    folder = tmp_path / "tasks" / task.id
    first = run_task(spec)
    assert first["status"] == "failed" and "simulated interruption" in first["error"]
    assert json.loads((folder / "error.json").read_text())["error"] == first["error"]
    partial = h5md_info(folder / "production.h5md")
    assert not partial["complete"] and 0 < partial["last_step"] < 16

    calc = make_calculator(plan.model)  # the worker's cached calculator: it counts its calls
    before = calc.calls
    second = run_task(spec)
    assert second["status"] == "done" and not (folder / "error.json").exists()
    info = h5md_info(folder / "production.h5md")
    assert info["complete"] and info["last_step"] == 16 and info["n_frames"] == 9
    # only the missing steps ran (plus the force call of the restart)
    assert calc.calls - before == 16 - partial["last_step"] + 1


# -- the table from stored per-task results ----------------------------------------------------


def _estimate(value, stderr, unit, converged=True, note=None):
    from ase_electrolyte.estimate import Estimate

    notes = () if note is None else (note,)
    return Estimate(value, stderr, unit, "t-scaled standard error over 5 blocks", 5,
                    converged, notes).to_dict()


def _box_off(concentration):
    """The verdict's word on a composition of _plan's 70-atom box of EC: not the one asked."""
    from ase_electrolyte.screen.plan import box_of, packed_concentration, packing_shortfall

    comp = {"solvent": {"EC": 1.0}, "ratio": "mass", "salt": "LiPF6",
            "concentration": concentration, "units": "molal"}
    text = packing_shortfall(comp, 70)
    packed = packed_concentration(box_of(comp, 70), "LiPF6", "molal")[0]
    assert text.startswith(f"the box of 70 atoms holds {packed:.3g} mol/kg")
    return text


def _stored_folder(tmp_path, replicas=3):
    """A screening folder of 2 compositions × 3 replicas, results written as tasks write them.

    3 molal: replica 0 reports Estimate dicts, replica 1 today's scalar keys, replica 2 Estimate
    dicts whose Green–Kubo conductivity did not converge; 4 molal: replica 0 a result.json of an
    earlier version (``error`` and ``"ok"``), replica 1 current, replica 2 failed.
    """
    from ase_electrolyte.screen.engine import _prepare_outdir
    from ase_electrolyte.screen.task import task_properties, write_json

    plan = load_plan(_plan(replicas=replicas))
    _prepare_outdir(plan, tmp_path)
    tasks = {t.id: t for t in plan.tasks()}
    rng = np.random.default_rng(3)

    def simulation(rho):
        return {"density_g_cm3": rho, "density_sem_g_cm3": 0.002, "density_verdict": "valid",
                "production_ensemble": "npt"}

    def new_summary(sigma_s_m, d_li_a2_ps, converged=True):
        return {
            "green_kubo_conductivity": {
                "sigma": _estimate(sigma_s_m, 0.1 * sigma_s_m, "S/m", converged,
                                   None if converged else "no plateau"),
                "transference": _estimate(0.4, 0.05, "1"),
            },
            "diffusion": {"D": {"Li": _estimate(d_li_a2_ps, 0.01, "Å^2/ps")}},
            "solvation_shells": {"fractions": {"SSIP": 0.2, "CIP": 0.5, "AGG": 0.3}},
            "viscosity": {"skipped": "needs the pressure tensor"},
        }

    def old_summary(sigma_ms_cm, d_li_m2_s):
        return {
            "green_kubo_conductivity": {"sigma_mS_per_cm": sigma_ms_cm,
                                        "sigma_err_mS_per_cm": 0.5, "verdict": "valid",
                                        "valid": True, "plateau_converged": True},
            "diffusion": {"D_m2_per_s": {"Li": d_li_m2_s}, "D_err_m2_per_s": {"Li": 1e-11},
                          "verdict": {"Li": "valid"}, "r2": {"Li": 0.99}},
            "solvation_shells": {"fractions": {"SSIP": 0.3, "CIP": 0.4, "AGG": 0.3}},
        }

    numbers = {}  # task id → (density, sigma mS/cm, D_Li m2/s)
    for tid, task in tasks.items():
        rho = 1.2 + 0.01 * rng.standard_normal()
        sigma = 1.0 + 0.2 * rng.standard_normal()  # S/m
        d = 0.1 + 0.01 * rng.standard_normal()  # Å²/ps
        numbers[tid] = (rho, 10.0 * sigma, 1e-8 * d)
        folder = tmp_path / "tasks" / tid
        folder.mkdir(parents=True)
        conc, rep = task.composition.concentration, task.replica
        if conc == 4.0 and rep == 2:
            write_json(folder / "error.json", {"task": tid, "status": "failed",
                                               "error": "RuntimeError: boom"})
            continue
        if conc == 4.0 and rep == 0:  # written by an earlier version of run_task
            props = {"density": {"value": rho, "error": 0.002, "unit": "g/cm3", "verdict": "ok"}}
        elif rep == 1:
            props = task_properties(simulation(rho), old_summary(10.0 * sigma, 1e-8 * d))
        else:
            props = task_properties(simulation(rho), new_summary(sigma, d, converged=rep != 2))
        write_json(folder / "result.json", {"task": tid, "status": "done", "seed": task.seed,
                                            "properties": props})
    return numbers


def _mean_sem(values):
    n = len(values)
    mean = sum(values) / n
    sem = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) / math.sqrt(n) if n > 1 \
        else math.nan
    # t-scaled for n - 1 degrees of freedom, as every error over independent runs
    return mean, sem * (t_factor(n - 1) if n > 1 else 1.0)


def test_table_from_stored_results_excludes_invalid_replicas(tmp_path):
    numbers = _stored_folder(tmp_path, replicas=5)
    exp = tmp_path / "exp.csv"
    exp.write_text("solvent,salt,concentration,property,value\nEC:1,LiPF6,3.0,density,1.25\n"
                   "EC:1,LiPF6,4.0,density,1.15\n")
    table = aggregate(tmp_path, experimental=exp, plots=True).set_index(
        ["concentration", "property"])
    c3 = [f"EC_LiPF6-3molal/T300K/r{r}" for r in range(5)]
    c4 = [f"EC_LiPF6-4molal/T300K/r{r}" for r in (0, 1, 3, 4)]  # r2 failed

    # density, 3 molal: five valid replicas, two formats; the error t-scaled for 4 dof
    row = table.loc[(3.0, "density")]
    mean, sem = _mean_sem([numbers[t][0] for t in c3])
    assert row["mean"] == pytest.approx(mean, rel=1e-12)
    assert row["sem"] == pytest.approx(sem, rel=1e-9)
    # valid but for the 70-atom box, which packs 3.79 mol/kg for the 3 asked
    assert (row["n_replicas"], row["n_invalid"], row["valid"], row["verdict"]) == (
        5, 0, False, _box_off(3.0))
    assert row["unit"] == "g/cm^3"
    assert row["method"] == "t-scaled standard error over 5 independent runs"
    # 4 molal: an old-format result.json and current ones average together; a failed replica
    row = table.loc[(4.0, "density")]
    mean, sem = _mean_sem([numbers[t][0] for t in c4])
    assert row["mean"] == pytest.approx(mean, rel=1e-12)
    assert row["sem"] == pytest.approx(sem, rel=1e-9)
    assert row["n_failed"] == 1 and not row["valid"] and "1 replica(s) failed" in row["verdict"]

    # Green–Kubo, 3 molal: Estimate dicts in S/m and scalar keys in mS/cm are put in mS/cm;
    # replica 2 did not converge: out of the mean and the error, counted, named, row not valid
    row = table.loc[(3.0, "conductivity_gk")]
    mean, sem = _mean_sem([numbers[t][1] for t in c3[:2] + c3[3:]])
    assert row["unit"] == "mS/cm"
    assert row["mean"] == pytest.approx(mean, rel=1e-12)
    assert row["sem"] == pytest.approx(sem, rel=1e-9)
    assert (row["n_replicas"], row["n_invalid"]) == (4, 1)
    assert not row["valid"] and "excluded: no plateau (1/5 replicas)" in row["verdict"]
    # D of Li in m²/s from Å²/ps (Estimate) and m²/s (scalar keys)
    row = table.loc[(3.0, "D_Li")]
    mean, sem = _mean_sem([numbers[t][2] for t in c3])
    assert row["unit"] == "m^2/s" and row["mean"] == pytest.approx(mean, rel=1e-9)
    assert row["sem"] == pytest.approx(sem, rel=1e-6) and row["verdict"] == _box_off(3.0)
    # fractions (no in-run error) and an Estimate the table has no name for
    row = table.loc[(3.0, "SSIP")]
    assert row["mean"] == pytest.approx((4 * 0.2 + 0.3) / 5)
    assert row["verdict"] == _box_off(3.0)
    # identical replicas: no spread, so no error bar (an error of 0 was shown as valid)
    row = table.loc[(3.0, "green_kubo_conductivity.transference")]
    assert row["mean"] == pytest.approx(0.4) and math.isnan(row["sem"]) and not row["valid"]
    assert "no spread: all 4 valid replicas give 0.4" in row["verdict"]
    # a property one of four finished replicas lacks; three replicas: too few for an error
    row = table.loc[(4.0, "conductivity_gk")]
    assert row["n_replicas"] == 3 and not row["valid"]
    assert "no value from 1/4 replicas" in row["verdict"]
    assert "too few valid replicas: 2 degrees of freedom" in row["verdict"]

    # every replica, invalid ones too, is in tasks.csv with its verdict
    tasks = pd.read_csv(tmp_path / "tasks.csv")
    gk = tasks[(tasks["property"] == "conductivity_gk") & (tasks["concentration"] == 3.0)]
    assert list(gk["valid"]) == [True, True, False, True, True]
    assert list(gk["verdict"])[2] == "no plateau"

    # experiment: only valid rows enter the MAE; the other is listed as excluded
    errors = pd.read_csv(tmp_path / "errors.csv")
    assert (errors.loc[0, "n"], errors.loc[0, "n_excluded"]) == (1, 1)
    # the 70-atom box of 3 molal holds 3.79 molal: the measurements at 3 and 4 molal are
    # interpolated to it
    measured = 1.25 - 0.1 * (table.loc[(3.0, "density"), "packed_concentration"] - 3.0)
    assert errors.loc[0, "MAE"] == pytest.approx(
        abs(table.loc[(3.0, "density"), "mean"] - measured), rel=1e-12)
    assert errors.loc[0, "MAPE_percent"] == pytest.approx(
        100 * abs(table.loc[(3.0, "density"), "mean"] - measured) / measured, rel=1e-12)
    # one compared row: its MAE has no error and is not a result
    assert math.isnan(errors.loc[0, "MAE_error"]) and not errors.loc[0, "valid"]
    assert "one compared row" in errors.loc[0, "verdict"]
    comparison = pd.read_csv(tmp_path / "comparison.csv").set_index("concentration")
    # no measured error given: the deviation's error is the simulation's
    assert comparison.loc[3.0, "deviation_error"] == pytest.approx(
        table.loc[(3.0, "density"), "sem"], rel=1e-12)
    assert (tmp_path / "plots" / "conductivity.png").stat().st_size > 1000


def test_three_replicas_give_a_t_scaled_error_that_is_not_yet_a_result(tmp_path):
    numbers = _stored_folder(tmp_path)  # 3 replicas
    row = aggregate(tmp_path, plots=False).set_index(["concentration", "property"]).loc[
        (3.0, "density")]
    mean, sem = _mean_sem([numbers[f"EC_LiPF6-3molal/T300K/r{r}"][0] for r in range(3)])
    assert row["sem"] == pytest.approx(sem, rel=1e-9)  # 1.32 times the plain standard error
    assert row["n_replicas"] == 3 and not row["valid"]
    assert row["verdict"] == ("too few valid replicas: 2 degrees of freedom for the error over "
                              "replicas (a calibrated error needs at least 4); "
                              + _box_off(3.0))


def test_comparison_errors_carry_their_uncertainty_and_verdict(tmp_path):
    from ase_electrolyte.screen.aggregate import KEYS, compare_experimental

    rng = np.random.default_rng(7)
    concs = [0.5, 1.0, 1.5, 2.0, 2.5, 3.0]
    sim = 1.2 + 0.02 * rng.standard_normal(len(concs))
    exp_values = 1.21 + 0.01 * rng.standard_normal(len(concs))
    summary = pd.DataFrame([
        {"composition": f"c{c}", "solvent": "EC:1", "ratio": "mass", "salt": "LiPF6",
         "concentration": c, "units": "molal", "temperature_K": 300.0, "property": "density",
         "unit": "g/cm^3", "mean": m, "sem": 0.003, "valid": True, "verdict": "valid"}
        for c, m in zip(concs, sim, strict=True)])
    assert set(KEYS) <= set(summary)
    exp = tmp_path / "exp.csv"
    exp.write_text("solvent,salt,concentration,property,value,error\n" + "".join(
        f"EC:1,LiPF6,{c},density,{float(v)!r},0.004\n"
        for c, v in zip(concs, exp_values, strict=True)))
    errors = compare_experimental(summary, exp, tmp_path, plots=True)
    row = errors.iloc[0]
    dev = sim - exp_values
    n = len(concs)
    t = t_factor(n - 1)
    assert row["MAE"] == pytest.approx(np.abs(dev).mean(), rel=1e-12)
    assert row["MAE_error"] == pytest.approx(np.abs(dev).std(ddof=1) / np.sqrt(n) * t, rel=1e-9)
    assert row["mean_signed_error_error"] == pytest.approx(
        dev.std(ddof=1) / np.sqrt(n) * t, rel=1e-9)
    assert row["valid"] and row["verdict"] == "valid"
    comparison = pd.read_csv(tmp_path / "comparison.csv")
    assert np.allclose(comparison["deviation_error"], np.hypot(0.003, 0.004), rtol=1e-12)
    assert (tmp_path / "plots" / "parity_density.png").stat().st_size > 1000
    # four rows: a t-scaled error, but too few for a verdict of valid
    with pytest.warns(UserWarning, match="2 of 6 row"):
        errors = compare_experimental(summary.iloc[:4], exp, tmp_path, plots=False)
    assert not errors.iloc[0]["valid"]
    assert "too few compared rows: 3 degrees of freedom" in errors.iloc[0]["verdict"]


def test_task_properties_read_both_summary_formats():
    from ase_electrolyte.screen.task import task_properties

    sim = {"density_g_cm3": 1.1, "density_sem_g_cm3": 0.01,
           "density_verdict": "too short: 3.0 independent samples (< 10)",
           "production_ensemble": "npt"}
    old = {"einstein_helfand_conductivity": {"sigma_mS_per_cm": 5.0, "sigma_err_mS_per_cm": 1.0,
                                             "r2": 0.5},
           "diffusion": {"refused": "box volume varies"}}
    props = task_properties(sim, old)
    assert set(props) == {"density", "conductivity_eh"}
    assert not props["density"]["converged"]
    assert props["density"]["verdict"].startswith("too short")
    # no verdict of its own: the fit-quality check decides
    assert props["conductivity_eh"]["verdict"] == "poor fit"
    new = {"einstein_helfand_conductivity": {"sigma": _estimate(0.5, 0.1, "S/m")},
           "viscosity": {"viscosity": _estimate(float("nan"), float("nan"), "mPa·s", False,
                                                "not finite: too short")}}
    props = task_properties({}, new)
    assert props["conductivity_eh"]["value"] == pytest.approx(5.0)
    assert props["conductivity_eh"]["stderr"] == pytest.approx(1.0)
    assert props["conductivity_eh"]["converged"]
    assert props["viscosity"]["value"] is None and not props["viscosity"]["converged"]
    assert "too short" in props["viscosity"]["verdict"]


def test_folder_of_another_plan_and_missing_experiment_are_refused_before_submission(tmp_path):
    from ase_electrolyte.screen.engine import _prepare_outdir

    _prepare_outdir(load_plan(_plan()), tmp_path)
    # no client, no cluster: the refusal comes before either is needed
    with pytest.raises(PlanError, match="different plan.*seed"):
        run_screen(_plan(seed=8), tmp_path, client=object(), progress=False)
    with pytest.raises(PlanError, match="does not exist"):
        run_screen(_plan(), tmp_path, client=object(), experimental=tmp_path / "none.csv",
                   progress=False)
    (tmp_path / "exp.csv").write_text("solvent,salt,value\nEC,LiPF6,1.2\n")
    with pytest.raises(PlanError, match="missing column"):
        from ase_electrolyte.screen import compare_experimental

        compare_experimental(pd.DataFrame(), tmp_path / "exp.csv", tmp_path)
    assert not (tmp_path / "tasks").exists()


@pytest.mark.parametrize("change, message", [
    # one task folder T300K for both: the second was answered with the first one's result
    ({"temperatures": [300, 300.0000001]}, "300 K and 300.0000001 K are both task folder T300K"),
    ({"temperatures": [300, 300.0]}, "300 K and 300 K are both task folder T300K"),
    # the same electrolyte twice: simulated twice, reported as two rows
    ({"composition": [{"solvent": "EC:3,EMC:7", "salt": "LiPF6", "concentration": 3.0},
                      {"solvent": "EC:6,EMC:14", "salt": "LiPF6", "concentration": 3.0}]},
     "'EC3-EMC7_LiPF6-3molal' and 'EC6-EMC14_LiPF6-3molal' are the same electrolyte"),
    ({"composition": [{"solvent": "EC", "salt": "LiPF6", "concentration": 3.0, "label": "a"},
                      {"solvent": {"EC": 2}, "salt": "LiPF6", "concentration": 3, "label": "b"}]},
     "'a' and 'b' are the same electrolyte"),
    ({"composition": [{"solvent": "EC", "salt": "LiPF6", "concentration": 3.0, "label": "a"},
                      {"solvent": "EC", "ratio": "mole", "salt": "LiPF6", "concentration": 3.0,
                       "label": "b"}]}, "'a' and 'b' are the same electrolyte"),
    # outside tasks/, or hidden
    ({"composition": [{"solvent": "EC", "salt": "LiPF6", "concentration": 3.0, "label": ".."}]},
     "label '..'"),
    ({"composition": [{"solvent": "EC", "salt": "LiPF6", "concentration": 3.0, "label": ".a"}]},
     "label '.a'"),
])
def test_plans_whose_tasks_would_share_a_folder_or_repeat_are_refused(change, message):
    with pytest.raises(PlanError, match=message):
        load_plan(_plan(**change))


def test_same_electrolyte_in_another_ratio_or_salt_is_not_a_repeat():
    # 1000 atoms: at 70 the mass and mole ratios pack the same 1 EC + 3 EMC (refused as one
    # box, tests/test_screen_plan_grids.py)
    plan = load_plan(_plan(n_atoms=1000, composition=[
        {"solvent": "EC:3,EMC:7", "salt": "LiPF6", "concentration": 3.0},
        {"solvent": "EC:3,EMC:7", "ratio": "mole", "salt": "LiPF6", "concentration": 3.0},
        {"solvent": "EC:3,EMC:7", "salt": "LiFSI", "concentration": 3.0},
    ]))
    assert len(plan.compositions) == 3


def test_a_label_of_the_folder_given_to_another_composition_is_refused(tmp_path):
    from ase_electrolyte.screen.engine import _prepare_outdir

    first = {"solvent": "EC", "salt": "LiPF6", "concentration": 3.0, "label": "A"}
    _prepare_outdir(load_plan(_plan(composition=[first])), tmp_path)
    record = (tmp_path / "plan.json").read_text()
    task = tmp_path / "tasks" / "A" / "T300K" / "r0"
    task.mkdir(parents=True)
    (task / "result.json").write_text('{"status": "done", "properties": {}}')
    # same label, another electrolyte: its tasks were skipped and reported the old results
    other = dict(first, concentration=4.0)
    with pytest.raises(PlanError, match="holds composition 'A' as .*LiPF6 3.0 molal.*this plan "
                                        r"gives it \{'EC': 1\.0\} .*LiPF6 4\.0 molal"):
        run_screen(_plan(composition=[other]), tmp_path, client=object(), progress=False)
    assert (tmp_path / "plan.json").read_text() == record
    # the same electrolyte under its label, with more compositions, is the growth that is allowed
    more = [dict(first, solvent={"EC": 5}), dict(first, concentration=4.0, label="B")]
    _prepare_outdir(load_plan(_plan(composition=more)), tmp_path)
    labels = [c["label"] for c in json.loads((tmp_path / "plan.json").read_text())["compositions"]]
    assert labels == ["A", "B"]


def test_an_output_folder_that_is_a_file_or_holds_a_foreign_record_is_refused(tmp_path):
    (tmp_path / "file").write_text("notes")
    for outdir, message in ((tmp_path / "file", "is a file; give a folder"),
                            (tmp_path / "file" / "sub", "file is a file, not a folder")):
        with pytest.raises(PlanError, match=message):
            run_screen(_plan(), outdir, client=object(), progress=False)
    (tmp_path / "list").mkdir()
    (tmp_path / "list" / "plan.json").write_text("[1, 2]")
    with pytest.raises(PlanError, match="not a screening plan record"):
        run_screen(_plan(), tmp_path / "list", client=object(), progress=False)
    assert (tmp_path / "file").read_text() == "notes"


def test_torch_threads_are_the_cores_per_task_at_once(client):
    from ase_electrolyte.environment import _usable_cpus
    from ase_electrolyte.screen.engine import _workers_per_host
    from ase_electrolyte.screen.task import task_threads

    per_host = _workers_per_host(client)
    assert sum(per_host.values()) == 2  # the fixture's two single-threaded workers, one host
    cores = _usable_cpus()  # affinity and any cgroup CPU quota, as the worker counts them
    on_worker = client.submit(task_threads, {"workers_per_host": per_host}, pure=False).result()
    assert on_worker == max(1, cores // 2)
    # the engine's own choice wins; outside a worker nothing is set
    assert task_threads({"threads": 3, "workers_per_host": per_host}) == 3
    assert task_threads({"workers_per_host": per_host}) is None


# -- a cluster started by hand, as on a remote machine ------------------------------------------


@pytest.fixture
def separate_cluster(tmp_path):
    """A scheduler and two workers started with dask's own command line in their own processes.

    They run from another folder with a clean environment, as workers on another machine would:
    nothing of this test process (its sys.path, its imported modules) reaches them.
    """
    import os
    import shutil
    import subprocess
    import sys
    import time

    dask = shutil.which("dask") or pytest.skip("the dask command is not installed")
    home = tmp_path / "cluster"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["OMP_NUM_THREADS"] = "1"
    file = home / "scheduler.json"
    procs = [
        subprocess.Popen(
            [dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
             "--scheduler-file", str(file)],
            cwd=home, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
    ]
    try:
        deadline = time.monotonic() + 60
        while not file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert file.exists(), "the dask scheduler did not start"
        procs.append(
            subprocess.Popen(
                [dask, "worker", "--scheduler-file", str(file), "--nworkers", "2",
                 "--nthreads", "1", "--memory-limit", "0", "--no-dashboard"],
                cwd=home, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
        )
        address = json.loads(file.read_text())["address"]
        with distributed.Client(address, timeout=60) as c:
            c.wait_for_workers(2, timeout=120)
            assert sys.executable  # the workers run the same interpreter as found on PATH
        yield address
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in reversed(procs):
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()


def test_same_plan_runs_unchanged_on_a_separately_started_cluster(separate_cluster, tmp_path):
    """The plan run on the in-process cluster runs unchanged against a scheduler address."""
    plan = _plan(protocol={**PROTOCOL, "production_ensemble": "nvt"}, replicas=1)
    out = tmp_path / "remote"
    rc = main(["screen", _write_yaml(plan, tmp_path / "plan.yaml"), "-o", str(out),
               "--scheduler", separate_cluster, "--no-plots"])
    assert rc == 0
    results = _results(out)
    assert sorted(results) == [f"EC_LiPF6-{c}molal/T300K/r0" for c in ("3", "4")]
    # the tasks ran in the separate cluster's worker processes, not in this one
    workers = {r["timing"]["worker"] for r in results.values()}
    assert all(w.startswith("tcp://127.0.0.1:") for w in workers)
    # each task ran with the seed the plan derives for it, wherever it ran
    seeds = {t.id: t.seed for t in load_plan(plan).tasks()}
    assert {k: r["seed"] for k, r in results.items()} == seeds
    assert {r["simulation"]["n_atoms"] for r in results.values()} == {66, 76}
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary["composition"]) == ["EC_LiPF6-3molal", "EC_LiPF6-4molal"]


def test_workers_that_cannot_run_the_plan_are_named_before_submission(
    separate_cluster, tmp_path, monkeypatch, capsys
):
    """A calculator importable here but not on the workers: one line, exit 2, nothing run."""
    import sys

    package = tmp_path / "only_here"
    package.mkdir()
    (package / "only_here_models.py").write_text(
        f"import importlib.util\n"
        f"_s = importlib.util.spec_from_file_location('m', {MODELS!r})\n"
        f"_m = importlib.util.module_from_spec(_s)\n_s.loader.exec_module(_m)\nlj = _m.lj\n"
    )
    monkeypatch.syspath_prepend(str(package))
    plan = _plan(protocol={**PROTOCOL, "production_ensemble": "nvt"}, replicas=1)
    plan["model"]["calculator"] = "only_here_models:lj"
    out = tmp_path / "refused"
    rc = main(["screen", _write_yaml(plan, tmp_path / "plan.yaml"), "-o", str(out),
               "--scheduler", separate_cluster, "--no-plots"])
    err = capsys.readouterr().err
    assert rc == 2
    assert len(err.strip().splitlines()) == 1
    assert "cannot import the model calculator 'only_here_models:lj'" in err
    assert err.count("tcp://127.0.0.1:") == 3  # the scheduler and both workers named
    assert not out.exists()  # no trace of a plan that never ran
    sys.modules.pop("only_here_models", None)


def test_a_worker_that_does_not_share_the_output_folder_is_named(tmp_path):
    from ase_electrolyte.screen.task import worker_problems

    model = {"kind": "file", "value": str(tmp_path / "gone.model")}
    problems = worker_problems(str(tmp_path / "absent" / ".probe"), model)
    assert len(problems) == 2
    assert "shared" in problems[0] and "absent" in problems[0]
    assert "gone.model" in problems[1]
    probe = tmp_path / ".probe"
    probe.write_text("")
    assert worker_problems(str(probe), {"kind": "calculator", "value": f"{MODELS}:lj"}) == []


def _startup_environment(name):
    import os

    entries = open(f"/proc/{os.getpid()}/environ", "rb").read().split(b"\0")
    found = [e.split(b"=", 1)[1].decode() for e in entries if e.startswith(name.encode() + b"=")]
    return found[0] if found else None


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs Linux /proc")
def test_local_cluster_workers_keep_glibc_allocation_defaults(monkeypatch):
    """The nanny's MALLOC_TRIM_THRESHOLD_ (which made every large tensor an mmap) is unset.

    Also when an earlier cluster of this process left it in the environment (distributed writes
    its pre-spawn variables into the parent process too); the caller's environment is kept.
    """
    import os

    from ase_electrolyte.screen.engine import start_local_cluster

    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "65536")
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    cluster = start_local_cluster(1)
    assert os.environ["MALLOC_TRIM_THRESHOLD_"] == "65536"
    assert "OMP_NUM_THREADS" not in os.environ
    try:
        with distributed.Client(cluster) as c:
            # what glibc read when the worker process started (the nanny copies its variables
            # into os.environ later, when the allocator no longer looks)
            env = c.run(_startup_environment, "MALLOC_TRIM_THRESHOLD_")
            threads = c.run(_startup_environment, "OMP_NUM_THREADS")
            profiling = c.run(
                lambda: __import__("dask").config.get("distributed.worker.profile.enabled")
            )
    finally:
        cluster.close()
    assert list(env.values()) == [None]
    assert list(threads.values()) == ["1"]  # the rest of the nanny's environment stays
    assert list(profiling.values()) == [False]


# -- plan values, the experimental table and stored results: refused before submission ------


@pytest.mark.parametrize("change, message", [
    # a quoted number is a string: YAML and TOML write numbers unquoted
    ({"temperatures": ["300"]}, r"temperatures: each must be a finite number > 0, got '300'"),
    ({"temperatures": "300"}, r"temperatures: each must be a finite number > 0, got '300'"),
    ({"density": "1.2"}, r"density \(g/cm³\) must be a finite number > 0 and <= 10, got '1.2'"),
    ({"replicas": "2"}, "replicas must be a whole number >= 1, got '2'"),
    ({"seed": [1]}, r"seed must be a whole number >= 0, got \[1\]"),
    ({"composition": [{"solvent": "EC", "salt": "LiPF6", "concentration": "3"}]},
     r"concentration \(molal\) must be a finite number > 0, got '3'"),
    ({"composition": [{"solvent": "EC", "salt": "LiPF6", "concentration": [3.0, None]}]},
     r"concentration \(molal\) must be a finite number > 0, got None"),
    ({"protocol": {**PROTOCOL, "production_ps": "0.01"}},
     "protocol production_ps must be a finite number > 0, got '0.01'"),
    ({"protocol": {**PROTOCOL, "pressure_bar": [1.0]}},
     r"protocol pressure_bar must be a finite number > 0, got \[1.0\]"),
    # a flag is no concentration (False == 0 in Python)
    ({"composition": [{"solvent": "EC", "concentration": False}]},
     "a concentration without a salt"),
    # an empty grid dropped the entry without a word
    ({"composition": [{"solvent": [], "salt": "LiPF6", "concentration": 3.0},
                      {"solvent": "EMC", "salt": "LiPF6", "concentration": 3.0}]},
     "composition 1: solvent is an empty list"),
    # a label over a grid was dropped for the generated ones
    ({"composition": [{"solvent": "EC", "salt": "LiPF6", "concentration": [3.0, 4.0],
                       "label": "mine"}]}, "label 'mine' names one composition, but this entry "
                                           "makes 2"),
    # what run_protocol refuses, refused here: on the workers it came after packing every box
    ({"protocol": {**PROTOCOL, "production_ps": 0.01, "write_interval_fs": 100.0}},
     "protocol: production_ps = 0.01 ps is shorter than one frame interval"),
    ({"protocol": {**PROTOCOL, "production_ensemble": "nvt", "timestep_fs": 5.0,
                   "production_ps": 0.002, "write_interval_fs": 1.0}},
     "shorter than one frame interval"),
    # text fields given as lists, numbers or flags were str()-ed: a plan named "['a', 'b']",
    # a label "True", a model looked up as "['sevennet-0']"
    ({"name": ["a", "b"]}, r"name must be a non-empty text in quotes, not \['a', 'b'\]"),
    ({"name": 5}, "name must be a non-empty text in quotes, not 5"),
    ({"name": " "}, "name must be a non-empty text in quotes, not ' '"),
    ({"composition": [{"solvent": "EC", "salt": "LiPF6", "concentration": 3.0, "label": True}]},
     "composition 1: label must be a non-empty text in quotes, not True"),
    ({"composition": [{"solvent": "EC", "salt": "LiPF6", "concentration": 3.0, "label": 7}]},
     "composition 1: label must be a non-empty text in quotes, not 7"),
    ({"model": {"name": ["sevennet-0"]}},
     r"model name must be a non-empty text in quotes, not \['sevennet-0'\]"),
    ({"model": {"file": ["a.pth", "b.pth"]}}, "model file must be a non-empty text in quotes"),
    ({"model": {"calculator": [f"{MODELS}:lj"]}},
     "model calculator must be a non-empty text in quotes"),
    # a registered model's modal, checked as Calculator checks it: it failed every task
    ({"model": {"name": "sevennet-mf-0"}}, "'sevennet-mf-0' is multi-fidelity: pass modal"),
    ({"model": {"name": "SevenNet-MF-0", "options": {"modal": "pbe54"}}},
     "unknown modal 'pbe54' for 'SevenNet-MF-0'"),
    ({"model": {"name": "sevennet-0", "options": {"modal": "PBE"}}},
     "'sevennet-0' has one fidelity and takes no modal"),
])
def test_plan_values_of_the_wrong_kind_are_refused_by_name(change, message):
    with pytest.raises(PlanError, match=message):
        load_plan(_plan(**change))


_EXP_HEADER = "solvent,salt,concentration,property,value\n"


@pytest.mark.parametrize("text, message", [
    ("", "the file is empty"),
    ("solvent,salt,value\nEC,LiPF6,1.2\n", r"missing column\(s\) \['concentration', 'property'\]"),
    # a typo of temperature_K was ignored, and the row compared at the plan's temperature
    ("solvent,salt,concentration,property,value,temperature\nEC,LiPF6,3,density,1.2,300\n",
     r"column 'temperature': name it 'temperature_K' and give kelvin"),
    (_EXP_HEADER + "EC,LiPF6,3,density,\n", "row 1: value must be a number .*not ''"),
    (_EXP_HEADER + "EC,LiPF6,3,density,nan\n", "row 1: value must be a number .*not 'nan'"),
    (_EXP_HEADER + "EC,LiPF6,3,density,inf\n", "row 1: value must be a number .*not 'inf'"),
    (_EXP_HEADER + "EC,LiPF6,3,density,1.2 g/cm3\n", "row 1: value must be a number"),
    (_EXP_HEADER + "EC,LiPF6,,density,1.2\n", "row 1: concentration must be a number"),
    (_EXP_HEADER + "EC,LiPF6,0,density,1.2\n", "row 1: concentration 0 of LiPF6 must be > 0"),
    (_EXP_HEADER + "EC,,3,density,1.2\n", "row 1: concentration 3 without a salt"),
    (_EXP_HEADER + "EC,LiPF7,3,density,1.2\n", "row 1: unknown salt 'LiPF7'"),
    (_EXP_HEADER + "EC,LiPF6,3,,1.2\n", "row 1: no property name"),
    ("solvent,salt,concentration,property,value,error\nEC,LiPF6,3,density,1.2,-0.1\n",
     "row 1: error must be a number .*>= 0.*not '-0.1'"),
    # mol/kg and weight are the plan's spellings of molal and mass; mmol/kg and percent are none
    # (volume, v/v, is a ratio: of the pure liquids before mixing)
    ("solvent,salt,concentration,property,value,units\nEC,LiPF6,3,density,1.2,mmol/kg\n",
     "row 1: units must be one of 'molal', 'mol/kg', .*not 'mmol/kg'"),
    ("solvent,salt,concentration,property,value,ratio\nEC,LiPF6,3,density,1.2,percent\n",
     "row 1: ratio must be one of 'mass', 'weight', .*not 'percent'"),
    ("solvent,salt,concentration,property,value,unit\nEC,LiPF6,3,density,1.2,g/gal\n",
     "row 1: unknown unit 'g/gal'"),
    # an unquoted "EC:3,EMC:7" shifted every field: the error named 'LiPF6' an unknown species
    (_EXP_HEADER + "EC,LiPF6,3,density,1.2,5\n",
     r"row 1: 6 fields, the header has 5 .*quote a solvent with commas"),
    (_EXP_HEADER + "EC,LiPF6,3,density\n", "row 1: 4 fields, the header has 5"),
    ("solvent,salt,concentration,property,value,value\nEC,LiPF6,3,density,1.2,1.3\n",
     r"column\(s\) \['value'\] given twice"),
    ("solvent,salt,concentration,property,value (g/cm3)\nEC,LiPF6,3,density,1.2\n",
     r"column 'value \(g/cm3\)': name it 'value' and give the unit .* in a 'unit' column"),
    ("solvent,salt,concentration,property,value [mS/cm]\nEC,LiPF6,3,conductivity_gk,1.2\n",
     r"column 'value \[mS/cm\]': name it 'value'"),
    (_EXP_HEADER, "a header but no rows"),
    # a known property: its unit's dimension and its range, before any simulation (the
    # dimension failed after the last one; a negative density entered the MAE)
    ("solvent,salt,concentration,property,value,unit\nEC,LiPF6,3,density,1.2,mS/cm\n",
     r"row 1: unit 'mS/cm' is a conductivity, but density is a density \(the table gives it "
     r"in g/cm\^3\)"),
    ("solvent,salt,concentration,property,value,unit\nEC,LiPF6,3,viscosity,2.0,S/m\n",
     "row 1: unit 'S/m' is a conductivity, but viscosity is a viscosity"),
    (_EXP_HEADER + "EC,LiPF6,3,density,-1.2\n", r"row 1: density must be > 0, got -1.2 g/cm\^3"),
    (_EXP_HEADER + "EC,LiPF6,3,conductivity_gk,0\n", "row 1: conductivity_gk must be > 0"),
    (_EXP_HEADER + "EC,LiPF6,3,D_Li,-1e-10\n", "row 1: D_Li must be > 0"),
    (_EXP_HEADER + "EC,LiPF6,3,CIP,1.5\n", r"row 1: CIP is a fraction of the cations \(0 to 1\)"),
    ("solvent,salt,concentration,property,value,unit\nEC,LiPF6,3,AGG,150,%\n",
     "row 1: AGG is a fraction of the cations .*got 1.5"),
    # the same measurement twice, in any spelling, was counted twice in the MAE
    (_EXP_HEADER + "EC:3,EMC:7,LiPF6,3,density,1.2\nEMC:70,EC:30,lipf6,3.0,density,1.3\n"
     .replace("EC:3,EMC:7", '"EC:3,EMC:7"').replace("EMC:70,EC:30", '"EMC:70,EC:30"'),
     "row 2 repeats row 1"),
])
def test_a_bad_experimental_table_is_refused_before_submission(tmp_path, text, message):
    exp = tmp_path / "exp.csv"
    exp.write_text(text)
    out = tmp_path / "screen"
    # no client: the refusal comes before one is needed, and before the folder is recorded
    with pytest.raises(PlanError, match=message):
        run_screen(_plan(), out, client=object(), experimental=exp, progress=False)
    assert not out.exists()
    with pytest.raises(PlanError, match=message):
        load_plan(_plan(experimental=str(exp)))


def test_a_table_without_temperatures_is_refused_for_a_plan_with_several(tmp_path):
    exp = tmp_path / "exp.csv"
    exp.write_text(_EXP_HEADER + "EC,LiPF6,3,density,1.2\n")
    with pytest.raises(PlanError, match="row 1: give temperature_K, the plan has 2 temperatures"):
        load_plan(_plan(temperatures=[300, 320], experimental=str(exp)))


def test_experiment_is_matched_in_any_spelling_and_converted_from_its_unit(tmp_path):
    _stored_folder(tmp_path, replicas=5)
    summary = aggregate(tmp_path, plots=False).set_index(["concentration", "property"])
    exp = tmp_path / "exp.csv"
    # the composition as fractions and lower-case salt, the density in kg/m³
    # (and the other side of the box's 3.79 molal in g/cm³: taken there by interpolation)
    exp.write_text("solvent,salt,concentration,property,value,unit,error\n"
                   "EC:100,lipf6,3.0,density,1250,kg/m^3,10\n"
                   "EC:1,LiPF6,4,density,1.15,g/cm^3,0.02\n")
    aggregate(tmp_path, experimental=exp, plots=False)
    errors = pd.read_csv(tmp_path / "errors.csv")
    comparison = pd.read_csv(tmp_path / "comparison.csv").set_index("concentration")
    packed = summary.loc[(3.0, "density"), "packed_concentration"]
    w = packed - 3.0
    assert comparison.loc[3.0, "experiment_concentration"] == pytest.approx(packed, rel=1e-12)
    assert comparison.loc[3.0, "experiment"] == pytest.approx(1.25 - 0.1 * w, rel=1e-12)
    assert comparison.loc[3.0, "experiment_error"] == pytest.approx(
        math.hypot((1 - w) * 0.01, w * 0.02), rel=1e-12)
    assert errors.loc[0, "MAE"] == pytest.approx(
        abs(summary.loc[(3.0, "density"), "mean"] - (1.25 - 0.1 * w)), rel=1e-12)
    # a unit of another dimension cannot be compared (refused when the table is read)
    exp.write_text("solvent,salt,concentration,property,value,unit\nEC,LiPF6,3,density,1.2,S/m\n")
    with pytest.raises(PlanError, match="row 1: unit 'S/m' is a conductivity, but density is a "
                                        "density \\(the table gives it in g/cm\\^3\\)"):
        aggregate(tmp_path, experimental=exp, plots=False)


def test_rows_that_match_nothing_are_named_and_old_parity_plots_removed(tmp_path):
    _stored_folder(tmp_path)
    exp = tmp_path / "exp.csv"
    exp.write_text(_EXP_HEADER + "EC,LiPF6,3,density,1.2\n")
    aggregate(tmp_path, experimental=exp, plots=True)
    assert (tmp_path / "plots" / "parity_density.png").exists()
    # a property the summary does not hold (a misspelt name is refused when the table is
    # read: test_build20_experimental_property_names), and a temperature in °C: compared
    # with nothing
    exp.write_text("solvent,salt,concentration,property,value,temperature_K\n"
                   "EC,LiPF6,3,viscosity,1.2,300\nEC,LiPF6,3,density,1.2,27\n")
    with pytest.warns(UserWarning, match=r"2 of 2 row\(s\) match no screened .*row 1 \(EC, "
                                         r"LiPF6 3 molal, 300 K, viscosity\); row 2 .*27 K"):
        aggregate(tmp_path, experimental=exp, plots=True)
    assert pd.read_csv(tmp_path / "errors.csv").empty
    # the parity plot of the earlier comparison is not left to stand for this one
    assert not (tmp_path / "plots" / "parity_density.png").exists()


def _damage(folder, how):
    """Damage the stored result of EC_LiPF6-3molal/T300K/r0 of a _stored_folder."""
    result = folder / "tasks" / "EC_LiPF6-3molal" / "T300K" / "r0" / "result.json"
    content = json.loads(result.read_text())
    if how == "half-written":
        result.write_text(result.read_text()[:40])
    elif how == "not a result":
        result.write_text("[1, 2]")
    elif how == "no properties":
        result.write_text(json.dumps({"status": "done", "seed": content["seed"]}))
    elif how == "property without unit":
        content["properties"]["density"].pop("unit")
        result.write_text(json.dumps(content))
    elif how == "another plan's seed":
        result.write_text(json.dumps({**content, "seed": content["seed"] + 1}))
    elif how == "another task":
        result.write_text(json.dumps({**content, "task": "EC_LiPF6-4molal/T300K/r0"}))
    return result


_DAMAGE = {
    "half-written": "is not readable JSON",
    "not a result": "is not a task result",
    "no properties": "is not a task result",
    "property without unit": "property 'density' is not a result entry with a unit",
    "another plan's seed": "was run with seed .* but the plan gives this task seed",
    "another task": "is the result of task 'EC_LiPF6-4molal/T300K/r0', not of "
                    "'EC_LiPF6-3molal/T300K/r0'",
}


@pytest.mark.parametrize("how", list(_DAMAGE))
def test_a_damaged_or_foreign_result_is_a_failed_replica_not_a_number(tmp_path, how):
    numbers = _stored_folder(tmp_path)
    result = _damage(tmp_path, how)
    table = aggregate(tmp_path, plots=False).set_index(["concentration", "property"])
    row = table.loc[(3.0, "density")]
    # replicas 1 and 2 only; the damaged one is counted as failed and the row is not valid
    mean, _ = _mean_sem([numbers[f"EC_LiPF6-3molal/T300K/r{r}"][0] for r in (1, 2)])
    assert row["mean"] == pytest.approx(mean, rel=1e-12)
    assert (row["n_replicas"], row["n_failed"], row["valid"]) == (2, 1, False)
    failures = pd.read_csv(tmp_path / "failures.csv")
    failed = failures[failures["task"] == "EC_LiPF6-3molal/T300K/r0"]
    assert len(failed) == 1 and str(result) in failed["error"].iloc[0]
    assert pd.Series(failed["error"]).str.contains(_DAMAGE[how]).all()
    # a rerun would skip the task (its result.json marks it done): refused, before submission
    with pytest.raises(PlanError, match="1 finished task\\(s\\) hold a result that cannot be "
                                        f"used: .*{_DAMAGE[how]}.*Delete those result.json"):
        run_screen(_plan(replicas=3), tmp_path, client=object(), progress=False)


def test_a_damaged_error_record_is_still_a_failure(tmp_path):
    _stored_folder(tmp_path)
    record = tmp_path / "tasks" / "EC_LiPF6-4molal" / "T300K" / "r2" / "error.json"
    record.write_text('{"task": ')
    aggregate(tmp_path, plots=False)
    failures = pd.read_csv(tmp_path / "failures.csv")
    assert list(failures["task"]) == ["EC_LiPF6-4molal/T300K/r2"]
    assert "error.json is not readable" in failures["error"].iloc[0]
    (tmp_path / "plan.json").write_text("{")
    with pytest.raises(PlanError, match="plan.json is not readable JSON"):
        aggregate(tmp_path, plots=False)


def test_known_properties_in_other_units_and_in_range_are_read():
    """The unit and range checks refuse only what is wrong: % fractions, cP, S/m are read."""
    import tempfile

    from ase_electrolyte.screen.aggregate import read_experimental

    text = ("solvent,salt,concentration,property,value,unit\n"
            "EC,LiPF6,3,CIP,40,%\nEC,LiPF6,3,viscosity,2.5,cP\nEC,LiPF6,3,conductivity_gk,0.9,S/m\n"
            "EC,LiPF6,3,green_kubo.t_plus,-0.3,\n")
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
        f.write("\ufeff" + text)  # a byte-order mark, as spreadsheets write
    rows = read_experimental(f.name, [300.0])
    Path(f.name).unlink()
    assert [(r["property"], r["value"], r["unit"]) for r in rows] == [
        ("CIP", 40.0, "%"), ("viscosity", 2.5, "cP"), ("conductivity_gk", 0.9, "S/m"),
        # a property the table does not know (a transference number may be negative)
        ("green_kubo.t_plus", -0.3, None)]


@pytest.mark.parametrize("change, message", [
    ({"replicas": 10**9}, r"the plan makes 1,000,000,000 tasks \(1 temperature × 1000000000 "
                          r"replicas\); at most 100,000 tasks per plan"),
    ({"temperatures": list(range(200, 10**6))}, r"the plan makes 1,999,600 tasks \(999800 "
                                                  r"temperatures × 2 replicas\)"),
    ({"composition": [{"solvent": "EC", "salt": "LiPF6",
                       "concentration": [1.0 + k for k in range(10**6)]}]},
     r"the plan makes 2,000,000 tasks \(1000000 compositions × 2 temperatures and replicas"),
    ({"composition": [{"solvent": "EC", "salt": "LiPF6", "concentration": 3.0}] * 60_000},
     r"the plan makes 120,000 tasks \(60000 compositions × 2 temperatures and replicas"),
])
def test_a_plan_of_too_many_tasks_is_refused_before_any_per_task_work(change, message):
    import time

    tick = time.perf_counter()
    with pytest.raises(PlanError, match=message):
        load_plan(_plan(**change))
    # before each temperature, concentration and box is checked (a million took minutes, and
    # run_screen then built a million task records before the first submission)
    # (a bound for a loaded CI machine: the million-task case took minutes)
    assert time.perf_counter() - tick < 30.0


def test_a_plan_at_the_task_ceiling_is_read():
    from ase_electrolyte.screen.plan import MAX_TASKS

    plan = load_plan(_plan(replicas=MAX_TASKS // 2))  # 2 compositions × 1 temperature
    assert len(plan.compositions) * len(plan.temperatures) * plan.replicas == MAX_TASKS


def test_plan_model_faults_a_task_would_meet_are_refused_when_the_plan_is_read(tmp_path):
    (tmp_path / "empty.pth").write_bytes(b"")
    (tmp_path / "text.pth").write_text("not a model\n")
    (tmp_path / "folder.pth").mkdir()
    for name, message in (("empty.pth", "is empty"), ("text.pth", "is not a torch file"),
                          ("folder.pth", "folder.pth. is not a file"),
                          ("missing.pth", "does not exist")):
        with pytest.raises(PlanError, match=f"model.*{message}"):
            load_plan(_plan(model={"file": name}), base_dir=tmp_path)
    # options the calculator function does not take failed every task on the workers
    with pytest.raises(PlanError, match=r"picky_lj' cannot be called with options "
                                        r"\['max_atom', 'max_atoms'\] \(got an unexpected"):
        load_plan(_plan("picky_lj", options={"max_atoms": 70, "max_atom": 70}))
    with pytest.raises(PlanError, match="missing a required argument: 'max_atoms'"):
        load_plan(_plan("picky_lj"))
    with pytest.raises(PlanError, match="label 'aaaa.*is 300 bytes long; a folder name holds "
                                        "at most 255"):
        load_plan(_plan(composition=[{"solvent": "EC", "salt": "LiPF6", "concentration": 3.0,
                                      "label": "a" * 300}]))


def test_a_model_that_fails_to_load_fails_its_task_before_the_box_is_packed(tmp_path):
    from ase_electrolyte.screen import run_task
    from ase_electrolyte.screen.engine import _prepare_outdir, _spec

    plan = load_plan(_plan("broken_model", replicas=1,
                           composition=[{"solvent": "EC", "salt": "LiPF6", "concentration": 3.0}]))
    _prepare_outdir(plan, tmp_path)
    (task,) = plan.tasks()
    out = run_task(_spec(plan, task, tmp_path, 1, plan.to_dict()))
    folder = tmp_path / "tasks" / task.id
    assert out["status"] == "failed"
    assert out["error"] == "RuntimeError: no weights on this worker"
    assert json.loads((folder / "error.json").read_text())["error"] == out["error"]
    assert not (folder / "initial.extxyz").exists()
    assert not (folder / "result.json").exists()


# -- a call that fails before any submission leaves the output folder as it was ---------------


@pytest.fixture
def unreachable(monkeypatch):
    """A scheduler address where nothing listens, given up on after half a second."""
    import dask

    with dask.config.set({"distributed.comm.timeouts.connect": "0.5s"}):
        yield "tcp://127.0.0.1:1"


def test_an_unreachable_scheduler_leaves_no_plan_record(tmp_path, unreachable):
    outdir = tmp_path / "new" / "screen"
    with pytest.raises(PlanError, match="cannot reach the dask scheduler at 'tcp://127.0.0.1:1'"
                                        ".*nothing was submitted"):
        run_screen(_plan(), outdir, scheduler=unreachable, progress=False)
    # the plan.json of a plan that never ran made a corrected plan "a different plan"
    assert not (tmp_path / "new").exists()
    with pytest.raises(PlanError, match="cannot reach"):
        run_screen(_plan(seed=8), outdir, scheduler=unreachable, progress=False)
    assert not (tmp_path / "new").exists()


def test_a_failed_rerun_keeps_the_earlier_record(tmp_path, unreachable):
    from ase_electrolyte.screen.engine import _prepare_outdir

    first = {"solvent": "EC", "salt": "LiPF6", "concentration": 3.0, "label": "A"}
    _prepare_outdir(load_plan(_plan(composition=[first])), tmp_path)
    record = (tmp_path / "plan.json").read_bytes()
    grown = [first, dict(first, concentration=4.0, label="B")]
    with pytest.raises(PlanError, match="cannot reach"):
        run_screen(_plan(composition=grown, temperatures=[300, 320]), tmp_path,
                   scheduler=unreachable, progress=False)
    # 'B' and 320 K never ran: the record must not claim them
    assert (tmp_path / "plan.json").read_bytes() == record
    # a damaged result is refused before submission, and the record again kept
    task = tmp_path / "tasks" / "A" / "T300K" / "r0"
    task.mkdir(parents=True)
    (task / "result.json").write_text("{not json")
    with pytest.raises(PlanError, match="cannot be used"):
        run_screen(_plan(composition=grown), tmp_path, client=object(), progress=False)
    assert (tmp_path / "plan.json").read_bytes() == record
    assert (task / "result.json").read_text() == "{not json"
    # B given to another electrolyte is then still free
    other = dict(first, solvent="EMC", concentration=2.0, label="B")
    _prepare_outdir(load_plan(_plan(composition=[first, other])), tmp_path)
    stored = json.loads((tmp_path / "plan.json").read_text())["compositions"]
    assert [c["label"] for c in stored] == ["A", "B"] and stored[1]["concentration"] == 2.0


def test_a_plan_record_that_is_not_a_text_file_is_refused(tmp_path):
    (tmp_path / "dir" / "plan.json").mkdir(parents=True)
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "plan.json").write_bytes(b"\xff\xfe\x00")
    for folder in ("dir", "bin"):
        with pytest.raises(PlanError, match="plan.json is not readable JSON"):
            run_screen(_plan(), tmp_path / folder, client=object(), progress=False)
    assert (tmp_path / "bin" / "plan.json").read_bytes() == b"\xff\xfe\x00"


@pytest.mark.parametrize("name, content, message", [
    ("p.toml", b"", "p.toml: the plan file is empty"),
    ("p.yaml", b"  \n", "p.yaml: the plan file is empty"),
    ("p.toml", b"\xff\xfe\x00",
     r"p.toml: not a text file in UTF-8 \(invalid start byte at byte 0\)"),
    ("p.yaml", b"x: [\n", r"p.yaml: not valid YAML \(while parsing a flow node expected the node "
                          r"content, but found '<stream end>' in .*line 2, column 1: \^\)$"),
    ("p.yaml", b"- a\n", "p.yaml: a plan is a mapping of keys, not list"),
    ("p.json", b'{"name": "x"}', "p.json: a plan is a .toml or .yaml file, not '.json'"),
    ("p.toml", None, "plan file '.*p.toml' is a folder, not a .toml or .yaml file"),
])
def test_a_plan_file_that_is_no_plan_is_named_in_one_line(tmp_path, name, content, message):
    path = tmp_path / name
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    with pytest.raises(PlanError, match=message) as err:
        load_plan(path)
    assert "\n" not in str(err.value)
