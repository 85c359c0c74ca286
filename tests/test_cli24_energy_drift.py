"""The drift of each MD stage's conserved energy reaches the command-line user.

Before: ``ase_electrolyte.md.energy_drift`` (an Estimate in meV/atom/ps with its verdict) was in
the Python API only: ``simulation.json`` (simulate, demo), a screening task's record and
``electrolyte analyze``'s summary held no drift, and a stage whose drift was too large (its time
step too long for the model, or forces that are no gradient of the energy) finished without a
word on the terminal.
"""

import json
import warnings

import numpy as np
import pytest
from test_cli_interrupted import _ARGV, _argon_box, _SignallingLJ

from ase_electrolyte.md import MAX_ENERGY_DRIFT, _drift_estimate, energy_drift
from electrolyte_cli.simulate import drift_lines

_STAGES = ("preequilibration", "equilibration", "production")


@pytest.fixture(scope="module")
def argon_run(tmp_path_factory):
    """A finished simulate run of argon (LJ): (folder, its terminal output)."""
    import ase_electrolyte.build
    import electrolyte_cli.arguments as cli_arguments
    from electrolyte_cli import main

    out = tmp_path_factory.mktemp("drift") / "run"
    with pytest.MonkeyPatch.context() as mp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mp.setattr(ase_electrolyte.build, "electrolyte_box", _argon_box)
        mp.setattr(cli_arguments, "make_calculator", lambda *a: _SignallingLJ())
        import contextlib
        import io

        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            assert main(_ARGV + ["-o", str(out)]) == 0
    return out, printed.getvalue()


def test_simulation_json_holds_each_md_stage_drift_as_the_library_computes_it(argon_run):
    out, _ = argon_run
    record = json.loads((out / "simulation.json").read_text())
    stages = [s for s in _STAGES if (out / f"{s}.h5md").is_file()]
    assert stages == ["equilibration", "production"]
    # the relaxation has no dynamics, so no drift
    assert list(record["energy_drift"]) == stages
    for stage in stages:
        expected = json.loads(json.dumps(energy_drift(out / f"{stage}.h5md").to_dict()))
        assert record["energy_drift"][stage] == expected
        assert record["energy_drift"][stage]["unit"] == "meV/atom/ps"


def test_each_stage_whose_drift_is_not_valid_gets_one_terminal_line(argon_run):
    out, printed = argon_run
    lines = [line for line in printed.splitlines() if line.startswith("energy drift")]
    expected = []
    for stage in ("equilibration", "production"):
        est = energy_drift(out / f"{stage}.h5md")
        if not est.valid:
            expected.append(f"energy drift ({stage}): no result ({est.verdict})")
    # the runs are 30 and 20 steps: too short to judge the time step, and said so
    assert lines == expected and len(expected) == 2
    assert all("too short" in line for line in lines)


def _series(slope, seed, n=400, noise=0.02):
    """Conserved energy (eV) of 32 atoms every 10 fs, drifting by ``slope`` meV/atom/ps."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) * 0.01
    return t, (slope * t + rng.normal(0.0, noise, n)) * 32 / 1000.0


def test_a_too_large_drift_is_one_line_naming_the_time_step_and_the_remedy():
    t, e = _series(20 * MAX_ENERGY_DRIFT, seed=1)
    est = _drift_estimate(t, e, 32, ensemble="nvt", timestep_fs=1.0, where="production.h5md")
    assert not est.valid and est.verdict.startswith("too large")
    # the slope it reports is the one it was given, within its error bar's reach
    assert abs(est.value - 20 * MAX_ENERGY_DRIFT) < 4 * est.stderr
    (line,) = drift_lines({"production": est})
    assert line.startswith("energy drift (production): no result (too large")
    assert "time step 1 fs" in line and "timestep_fs=" in line
    assert "\n" not in line


def test_a_valid_drift_prints_nothing():
    t, e = _series(0.0, seed=2)
    est = _drift_estimate(t, e, 32, ensemble="nve", timestep_fs=1.0, where="production.h5md")
    assert est.valid
    assert drift_lines({"production": est}) == []


def test_analyze_records_and_says_the_drift_of_the_run_it_analyses(argon_run, tmp_path,
                                                                   capsys):
    from electrolyte_cli import main

    out, _ = argon_run
    traj = out / "production.h5md"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["analyze", str(traj), "--only", "density", "-o", str(tmp_path / "a")]) == 0
    said = capsys.readouterr().out
    record = json.loads((tmp_path / "a" / "summary.json").read_text())["input"]
    est = energy_drift(traj)
    assert record["energy_drift"] == json.loads(json.dumps(est.to_dict()))
    assert f"    energy drift of the run: no result ({est.verdict})" in said.splitlines()


def test_a_screening_task_records_its_stages_drift(tmp_path):
    pytest.importorskip("packmol")
    pytest.importorskip("distributed")
    from pathlib import Path

    from ase_electrolyte.screen import load_plan, run_task
    from ase_electrolyte.screen.engine import _prepare_outdir, _spec

    plan = load_plan({
        "name": "drift", "seed": 7, "replicas": 1, "temperatures": [300], "n_atoms": 70,
        "analyses": [],
        "model": {"calculator": f"{Path(__file__).with_name('screen_models.py')}:lj",
                  "device": "cpu"},
        "protocol": {"relax_fmax": 20.0, "preequilibration_ps": 0.0, "equilibration_ps": 0.0,
                     "production_ps": 0.01, "production_ensemble": "npt",
                     "write_interval_fs": 1.0, "observe_interval_fs": 1.0},
        "composition": [{"solvent": "EC", "salt": "LiPF6", "concentration": 3.0}],
    })
    _prepare_outdir(plan, tmp_path)
    (task,) = plan.tasks()
    out = run_task(_spec(plan, task, tmp_path, 1, plan.to_dict()))
    assert out["status"] == "done", out.get("traceback")
    folder = tmp_path / "tasks" / task.id
    record = json.loads((folder / "result.json").read_text())["simulation"]["energy_drift"]
    expected = json.loads(json.dumps(energy_drift(folder / "production.h5md").to_dict()))
    assert record == {"production": expected}
    assert record["production"]["verdict"] == energy_drift(folder / "production.h5md").verdict


def test_screen_says_a_task_whose_stage_drifts_too_much():
    from ase_electrolyte.screen.engine import drift_lines as screen_lines

    t, e = _series(20 * MAX_ENERGY_DRIFT, seed=3)
    large = _drift_estimate(t, e, 32, ensemble="npt", timestep_fs=2.0, where="x.h5md")
    short = _drift_estimate(t[:20], e[:20], 32, ensemble="npt", timestep_fs=1.0,
                            where="y.h5md")
    assert short.verdict.startswith("too short")
    record = {"simulation": {"energy_drift": {"preequilibration": large.to_dict(),
                                              "production": short.to_dict()}}}
    # the too-short stage stays in the record: a plan of short stages would say it of each task
    assert screen_lines("c0-T300-r1", record) == [
        f"  c0-T300-r1: energy drift (preequilibration): {large.verdict}"]
    assert "time step 2 fs" in large.verdict
    assert screen_lines("c0-T300-r1", {"simulation": {}}) == []
