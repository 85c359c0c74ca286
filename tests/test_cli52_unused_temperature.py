"""Temperature settings that no analysis able to run would use are refused, not ignored.

``electrolyte analyze water.extxyz --temperature 300`` (no ``--only``) skipped every analysis
that divides by k_B T (no charged species, no velocities, no observables) and ran the others
with the temperature unused, exit status 0, without a word; ``run_analyses(u, out,
temperature=300)`` likewise. Refused now before any analysis, naming the settings and what each
analysis lacks; where one of them can run, the settings are taken as before.
"""

import MDAnalysis as mda
import numpy as np
import pytest
from cli_inputs import water_frames

from electrolyte_cli import main
from mda_electrolyte.report import (
    TEMPERATURE_ANALYSES,
    TemperatureSettings,
    check_temperature_runs,
    run_analyses,
)

#: Settings as the command takes them, and the option each is named by.
CLI_SETTINGS = [
    (["--temperature", "300"], ["--temperature"]),
    (["--constraints", "3"], ["--constraints"]),
    (["--com-removed", "no"], ["--com-removed"]),
    (["--com-removed", "yes"], ["--com-removed"]),
    (["--constraints", "0", "--com-removed", "yes"], ["--constraints", "--com-removed"]),
]


@pytest.mark.parametrize(("options", "named"), CLI_SETTINGS)
def test_analyze_refuses_settings_no_runnable_analysis_uses(tmp_path, capsys, options, named):
    traj = water_frames(tmp_path / "water.extxyz")
    out = tmp_path / "out"
    status = main(["analyze", str(traj), "-o", str(out), "-q", *options])
    captured = capsys.readouterr()
    assert status == 2
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err
    for flag in named:
        assert flag in lines[0]
    assert "none of them can run on this trajectory" in lines[0]
    # each analysis that divides by k_B T is named with what it lacks
    for name in TEMPERATURE_ANALYSES:
        assert f"{name} needs" in lines[0]
    # nothing analysed, nothing written
    assert not (out / "summary.json").exists()
    assert "report:" not in captured.out


def test_analyze_without_the_settings_still_runs(tmp_path, capsys):
    traj = water_frames(tmp_path / "water.extxyz")
    out = tmp_path / "out"
    assert main(["analyze", str(traj), "-o", str(out), "-q"]) == 0
    assert (out / "summary.json").exists()


def _water_universe(tmp_path):
    from mda_electrolyte.bridge import from_ase

    return from_ase(water_frames(tmp_path / "water.extxyz"))


@pytest.mark.parametrize("only", [None, ["green_kubo_conductivity"],
                                  ["intra_inter_rdf", "viscosity"]])
@pytest.mark.parametrize("settings", [{"temperature": 300.0}, {"constraints": 3},
                                      {"com_removed": False}])
def test_run_analyses_refuses_before_any_analysis(tmp_path, only, settings):
    u = _water_universe(tmp_path)
    out = tmp_path / "out"
    with pytest.raises(ValueError, match="none of them can run on this trajectory") as err:
        run_analyses(u, out, only=only, **settings)
    assert f"{next(iter(settings))}=" in str(err.value)
    assert not out.exists()


def _ions(n_pairs=4, velocities=True):
    """A Universe of ``n_pairs`` Li+ and Cl- ions (one residue each, formal charges), in a
    20 Å box, with velocities or without."""
    n = 2 * n_pairs
    u = mda.Universe.empty(n, n_residues=n, atom_resindex=np.arange(n), trajectory=True,
                           velocities=velocities)
    u.add_TopologyAttr("resnames", ["LI", "CL"] * n_pairs)
    u.add_TopologyAttr("names", ["Li", "Cl"] * n_pairs)
    u.add_TopologyAttr("elements", ["Li", "Cl"] * n_pairs)
    u.add_TopologyAttr("masses", [6.94, 35.45] * n_pairs)
    u.add_TopologyAttr("formalcharges", [1, -1] * n_pairs)
    u.atoms.positions = np.random.default_rng(0).uniform(0, 20, (n, 3))
    u.dimensions = [20, 20, 20, 90, 90, 90]
    return u


@pytest.mark.parametrize("velocities", [True, False])
@pytest.mark.parametrize("settings", [TemperatureSettings(temperature=300.0),
                                      TemperatureSettings(constraints=0),
                                      TemperatureSettings(com_removed=True)])
def test_settings_taken_where_an_analysis_using_them_can_run(velocities, settings):
    # charged species: the Einstein-Helfand conductivity runs (with or without velocities)
    check_temperature_runs(_ions(velocities=velocities), list(TEMPERATURE_ANALYSES),
                           settings, None)


@pytest.mark.parametrize("settings", [TemperatureSettings(),
                                      TemperatureSettings(None, None, None)])
def test_no_settings_nothing_to_refuse(tmp_path, settings):
    check_temperature_runs(_water_universe(tmp_path), list(TEMPERATURE_ANALYSES), settings,
                           None)


def test_only_velocity_analyses_without_velocities_are_refused():
    # the Green-Kubo conductivity alone, on ions without velocities: it cannot run
    with pytest.raises(ValueError, match="green_kubo_conductivity needs velocities"):
        check_temperature_runs(_ions(velocities=False), ["green_kubo_conductivity"],
                               TemperatureSettings(temperature=300.0), None)
