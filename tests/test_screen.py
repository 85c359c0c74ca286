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
         "does not parse"),
        ({"composition": [{"solvent": "EC:3,EMC:-7", "salt": "LiPF6", "concentration": 3}]},
         "positive"),
        ({"composition": [{"solvent": "EC", "salt": "LiPF6", "concentration": 0}]}, "positive"),
        ({"composition": [{"solvent": "EC", "salt": "LiPF6", "concentration": -1.0}]},
         "positive"),
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

    summary = pd.read_parquet(out / "summary.parquet")
    pd.testing.assert_frame_equal(summary, result.summary)
    assert list(summary["property"]) == ["density", "density"]
    for _, row in summary.iterrows():
        values = [
            r["properties"][row["property"]]["value"]
            for k, r in results.items()
            if k.startswith(f"{row['composition']}/")
        ]
        assert row["n_replicas"] == len(values) == 2
        n = len(values)
        mean = sum(values) / n
        se = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) / math.sqrt(n)
        assert row["mean"] == pytest.approx(mean, rel=1e-12)
        assert row["sem"] == pytest.approx(se, rel=1e-9)
        assert row["sem"] > 0  # independent replicas differ
    csv = pd.read_csv(out / "summary.csv")
    assert np.allclose(csv["mean"], summary["mean"]) and np.allclose(csv["sem"], summary["sem"])
    assert (out / "plots" / "density.png").stat().st_size > 1000

    comparison = pd.read_csv(out / "comparison.csv")
    errors = pd.read_csv(out / "errors.csv")
    dens = summary[summary["property"] == "density"].set_index("concentration")["mean"]
    dev = np.array([dens[3.0] - 1.2, dens[4.0] - 1.3])
    assert len(comparison) == 2
    assert errors.loc[0, "MAE"] == pytest.approx(np.mean(np.abs(dev)))
    assert errors.loc[0, "MAPE_percent"] == pytest.approx(
        np.mean(100 * np.abs(dev) / [1.2, 1.3])
    )
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
    assert set(grown.summary["n_replicas"]) == {2}
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
    assert set(result.summary["composition"]) == {"EC_LiPF6-4molal"}


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
    # one replica: no standard error, and the verdict says why the density is not measured
    assert math.isnan(summary.loc[0, "sem"])
    assert "single replica" in summary.loc[0, "verdict"]
    assert "fixed by NVT" in summary.loc[0, "verdict"]

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
    species = set(report["diffusion"]["D_m2_per_s"])
    assert {"Li", "PF6"} <= species
    for ion in species:
        prop = out["properties"][f"D_{ion}"]
        assert prop["value"] == report["diffusion"]["D_m2_per_s"][ion]
        assert prop["error"] == report["diffusion"]["D_err_m2_per_s"][ion]
        assert prop["unit"] == "m2/s"
        # the analysis' own verdict: "valid", else why the MSD is not diffusive
        own = report["diffusion"]["verdict"][ion]
        assert prop["verdict"] == ("ok" if own == "valid" else own)
    # NVT production: the density is the box's, and marked as not measured
    assert out["properties"]["density"]["verdict"] == "fixed by NVT/NVE production"
    # done-marker: a second call does no work
    again = run_task(_spec(plan, task, tmp_path, 1, plan.to_dict()))
    assert again["skipped"] and again["properties"] == out["properties"]
    rows, failures = task_table(tmp_path)
    assert set(rows["property"]) == {"density"} | {f"D_{sp}" for sp in species}
    assert failures.empty
    table = aggregate(tmp_path, plots=True)
    assert table["sem"].isna().all()  # one replica: no spread to give an error
    assert table["verdict"].str.contains("single replica").all()
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
