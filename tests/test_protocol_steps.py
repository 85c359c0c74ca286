"""``protocol_steps``: the one conversion of the protocol's lengths and intervals into steps.

``run_protocol`` ran its stages with steps computed inside it, and ``electrolyte simulate``
repeated that computation through the private ``md._n_steps`` to compare a folder's stage
files before resuming: two copies of one rounding, kept equal only by hand. Both now use
:func:`ase_electrolyte.md.protocol_steps`; these tests check it against the steps
``run_protocol`` really hands to ``run_md``, its rounding against analytic cases, its bad
inputs, and that the command imports no private name of the library.
"""

import ast
from pathlib import Path

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT

import ase_electrolyte.md as md
from ase_electrolyte.md import StageSteps, protocol_steps

ROOT = Path(__file__).resolve().parents[1]


class _Stop(Exception):
    pass


@pytest.mark.filterwarnings("ignore:.*(multiple of|whole number|carries no):UserWarning")
@pytest.mark.parametrize("lengths", [
    dict(preequilibration_ps=0.05, equilibration_ps=0.02, production_ps=0.03,
         write_interval_fs=10.0),
    # (preequilibration_timestep_fs of the skipped stage is refused as having no effect)
    dict(preequilibration_ps=0.0, equilibration_ps=0.013, production_ps=0.041,
         write_interval_fs=7.0, observe_interval_fs=3.0, timestep_fs=0.5),
    dict(preequilibration_ps=0.0304, equilibration_ps=0.0, production_ps=0.0299,
         write_interval_fs=0.3, observe_interval_fs=25.0),
])
def test_run_protocol_runs_the_stages_protocol_steps_gives(tmp_path, monkeypatch, lengths):
    calls = {}

    def recorded(state, **kw):
        calls[kw["description"]] = StageSteps(kw["timestep_fs"], kw["steps"],
                                              kw["write_interval"], kw["observe_interval"])
        if kw["description"] == "production":
            raise _Stop
        return state

    monkeypatch.setattr(md, "run_md", recorded)
    atoms = bulk("Cu", cubic=True) * (2, 2, 2)
    atoms.rattle(0.01, seed=1)
    with pytest.raises(_Stop):
        md.run_protocol(atoms, EMT(), tmp_path / "run", temperature_K=300.0,
                        production_ensemble="npt", progress=False, **lengths)
    plan = protocol_steps(**lengths)
    assert calls == {name: stage for name, stage in plan.items() if stage.steps > 0}


def test_the_rounding_of_lengths_and_intervals():
    plan = protocol_steps(preequilibration_ps=1.0, equilibration_ps=0.2, production_ps=0.2,
                          preequilibration_timestep_fs=2.0, timestep_fs=1.0,
                          write_interval_fs=100.0, observe_interval_fs=10.0)
    assert plan == {"preequilibration": StageSteps(2.0, 500, 50, 5),
                    "equilibration": StageSteps(1.0, 200, 100, 10),
                    # production observes every step (Green–Kubo needs it)
                    "production": StageSteps(1.0, 200, 100, 1)}
    # an interval shorter than the step is every step; a stage of under half a step runs none
    plan = protocol_steps(preequilibration_ps=0.0009, equilibration_ps=0.0,
                          production_ps=0.0255, timestep_fs=1.0, write_interval_fs=0.2,
                          observe_interval_fs=0.4)
    assert plan["preequilibration"].steps == 0 and plan["equilibration"].steps == 0
    assert plan["production"] == StageSteps(1.0, 26, 1, 1)


@pytest.mark.parametrize("production_ps, write_fs, dt", [
    (0.2, 100.0, 1.0), (0.25, 100.0, 1.0), (0.0301, 7.0, 0.5), (1.0, 30.0, 2.0),
    (0.0149, 10.0, 1.0),
])
def test_the_production_ends_on_the_frame_grid_nearest_its_length(production_ps, write_fs, dt):
    stage = protocol_steps(production_ps=production_ps, timestep_fs=dt,
                           write_interval_fs=write_fs)["production"]
    assert stage.steps % stage.write_interval == 0 and stage.steps >= stage.write_interval
    frame_fs = stage.write_interval * dt
    # the nearest whole number of frame intervals (at least one)
    n = max(1, int(np.round(production_ps * 1000.0 / frame_fs)))
    assert stage.steps == n * stage.write_interval
    assert abs(stage.steps * dt - production_ps * 1000.0) <= frame_fs / 2 + 1e-9 or n == 1


@pytest.mark.parametrize("kwargs, named", [
    (dict(production_ps=-1.0), "production_ps"),
    (dict(equilibration_ps=float("nan")), "equilibration_ps"),
    (dict(timestep_fs=0.0), "timestep_fs"),
    (dict(preequilibration_timestep_fs=-2.0), "preequilibration_timestep_fs"),
    (dict(write_interval_fs=float("inf")), "write_interval_fs"),
    (dict(observe_interval_fs=0.0), "observe_interval_fs"),
    (dict(production_ps=1e12), "production_ps"),
    (dict(production_ps="200"), "production_ps"),
])
def test_bad_lengths_and_steps_are_refused_by_name(kwargs, named):
    with pytest.raises(ValueError, match=named):
        protocol_steps(**kwargs)


def _private_library_names(path):
    """Private names of ase_electrolyte/mda_electrolyte a module imports or reads."""
    tree = ast.parse(path.read_text())
    modules, found = set(), []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in (
                "ase_electrolyte", "mda_electrolyte"):
            for alias in node.names:
                if alias.name.startswith("_"):
                    found.append(f"{node.module}.{alias.name}")
                else:
                    modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in ("ase_electrolyte", "mda_electrolyte"):
                    modules.add(alias.asname or alias.name.split(".")[0])
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and node.attr.startswith("_")
                and not node.attr.startswith("__") and isinstance(node.value, ast.Name)
                and node.value.id in modules):
            found.append(f"{node.value.id}.{node.attr}")
    return found


def test_the_command_uses_no_private_name_of_the_library(tmp_path):
    found = {p.name: _private_library_names(p)
             for p in sorted((ROOT / "electrolyte_cli").glob("*.py"))}
    assert not {k: v for k, v in found.items() if v}, found
    # the check sees what it looks for
    probe = ROOT / "electrolyte_cli" / "simulate.py"
    assert _private_library_names(probe) == []
    fake = tmp_path / "probe.py"
    fake.write_text("from ase_electrolyte.md import _n_steps\nimport ase_electrolyte.md as m"
                    "\nm._SIGTERM\n")
    assert _private_library_names(fake) == ["ase_electrolyte.md._n_steps", "m._SIGTERM"]
