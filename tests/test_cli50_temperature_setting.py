"""A temperature given to ``electrolyte analyze --temperature`` is a setting, shown beside the
run's own measured temperature, not as a result.

Before: ``analyze --temperature 300`` printed ``temperature_K (given): 300 ± 0 K (valid)`` among
the results of the conductivity (and ``temperature_K: 300 ± 0 K (valid)`` of the viscosity), a
setting read as a measured, valid temperature; the run's own temperature (273.7 ± 0.96 K in a
short run_md file) appeared only inside a verdict, whose cure was marked "temperature=273.7
(Python only)" although analyze has ``--temperature``. Now the summary's input record holds
``settings``, ``run_temperature`` (an Estimate) and ``temperature_check``; the terminal shows
them as such, and the given value as "a setting given, not a result".
"""

import math

import MDAnalysis as mda
import numpy as np
import pytest
from ase.units import kB
from cli_inputs import empty_registry

from ase_electrolyte.estimate import Estimate
from electrolyte_cli.arguments import ANALYSIS_COMMANDS, print_summary, python_only

#: Argon-like atoms: amu, count, frames.
_MASS, _N, _FRAMES = 39.948, 100, 64


def _thermal_universe(temperature, seed=0, n_frames=_FRAMES):
    """``_N`` atoms in a 30 Å cube, ``_FRAMES`` frames of Maxwell–Boltzmann velocities at
    ``temperature`` (K), centre-of-mass motion removed; returns the Universe and the exact
    kinetic temperature of its frames (3N − 3 degrees of freedom)."""

    rng = np.random.default_rng(seed)
    u = mda.Universe.empty(_N, n_residues=_N, atom_resindex=np.arange(_N), trajectory=False)
    u.add_TopologyAttr("masses", np.full(_N, _MASS))
    u.add_TopologyAttr("elements", ["Ar"] * _N)
    u.add_TopologyAttr("resnames", ["Ar"] * _N)
    # Å/ps: sqrt(kB T / m) with kB T in eV and m in amu; 1 eV/amu = 9648.53 Å²/ps²
    sigma = math.sqrt(kB * temperature / _MASS * 9648.5332)
    velocities = rng.normal(0.0, sigma, size=(n_frames, _N, 3))
    velocities -= velocities.mean(axis=1, keepdims=True)
    positions = rng.uniform(0, 30, size=(n_frames, _N, 3))
    from MDAnalysis.coordinates.memory import MemoryReader

    u.load_new(positions.astype(np.float32), format=MemoryReader,
               velocities=velocities.astype(np.float32), dimensions=[30, 30, 30, 90, 90, 90],
               dt=0.1)
    kinetic = 0.5 * _MASS * np.sum(velocities.astype(np.float32).astype(float) ** 2,
                                   axis=(1, 2)) / 9648.5332
    exact = 2 * kinetic / ((3 * _N - 3) * kB)
    return u, exact


@pytest.fixture(scope="module")
def thermal():
    return _thermal_universe(300.0)


@pytest.mark.parametrize("given,agrees", [(300.0, True), (np.float64(290.0), True),
                                          (400.0, False), (200, False)])
def test_the_run_temperature_is_measured_and_compared(thermal, given, agrees):
    from mda_electrolyte.report import given_temperature_record

    u, exact = thermal
    u.trajectory[3]
    record = given_temperature_record(u, given)
    setting = record["settings"]["temperature_K"]
    assert isinstance(setting, Estimate) and setting.given and setting.valid
    assert setting.value == float(given) and setting.unit == "K" and setting.stderr == 0
    measured = record["run_temperature"]
    assert isinstance(measured, Estimate) and measured.unit == "K"
    # the mean of 2 K / (N_dof k_B) over the frames, N_dof = 3N - 3
    assert measured.value == pytest.approx(exact.mean(), rel=1e-4)
    assert math.isfinite(measured.stderr) and 0 < measured.stderr < 10
    check = record["temperature_check"]
    assert ("they agree" in check) is agrees, check
    assert ("another temperature than the run's" in check) is not agrees, check
    assert ("above" if given > exact.mean() else "below") in check, check
    assert u.trajectory.ts.frame == 3


def test_a_measurement_that_is_not_valid_judges_no_setting():
    """8 frames: too few independent samples for a valid mean temperature."""
    from mda_electrolyte.report import given_temperature_record

    u, exact = _thermal_universe(300.0, n_frames=8)
    record = given_temperature_record(u, 400.0)
    assert not record["run_temperature"].valid
    assert record["run_temperature"].value == pytest.approx(exact.mean(), rel=1e-4)
    check = record["temperature_check"]
    assert "no verdict on the setting: too short" in check, check
    assert "another temperature" not in check and "agree" not in check, check


def test_a_run_without_velocities_has_the_setting_alone():
    from mda_electrolyte.report import given_temperature_record

    record = given_temperature_record(mda.Universe.empty(3, trajectory=True), 300.0)
    assert set(record) == {"settings"}
    assert record["settings"]["temperature_K"].value == 300.0


def test_run_analyses_records_the_setting_beside_the_input(thermal, tmp_path, monkeypatch):
    from mda_electrolyte import report

    empty_registry(monkeypatch)

    @report.register_analysis("viscosity", needs=("velocities",))
    def _viscosity(universe, outdir, *, calculator=None, verbose=False):
        settings = report.temperature_settings()
        return {"temperature_K": Estimate(settings.temperature or 1.0, 0.0, "K", "given (test)")}

    u, exact = thermal
    summary = report.run_analyses(u, tmp_path / "out", temperature=400.0,
                                  source={"trajectory": "t.h5md", "frames": _FRAMES})
    record = summary[report.INPUT_KEY]
    assert record["trajectory"] == "t.h5md"
    setting = Estimate.from_dict(record["settings"]["temperature_K"])
    assert setting.given and setting.valid and setting.value == 400.0
    assert Estimate.from_dict(record["run_temperature"]).value == pytest.approx(
        exact.mean(), rel=1e-4)
    assert "another temperature" in record["temperature_check"]
    # without a temperature given, nothing is added
    plain = report.run_analyses(u, tmp_path / "plain", source={"trajectory": "t.h5md"})
    assert set(plain[report.INPUT_KEY]) == {"trajectory"}


def test_the_terminal_shows_a_setting_as_a_setting(capsys, tmp_path):
    measured = Estimate(273.7, 0.96, "K", "mean of the recorded temperature")
    summary = {
        "input": {"trajectory": "run.h5md", "frames": 21,
                  "settings": {"temperature_K": 300.0}, "run_temperature": measured.to_dict(),
                  "temperature_check": "the 300 K given is 9.6% above the run's 273.7 K"},
        "viscosity": {"viscosity": Estimate(1.2, 0.1, "mPa·s", "Green-Kubo").to_dict(),
                      "temperature_K": Estimate(300.0, 0.0, "K", "given (temperature=, "
                                                "electrolyte analyze --temperature)").to_dict()},
    }
    print_summary(summary, tmp_path, command="analyze")
    out = capsys.readouterr().out
    assert "300 ± 0 K (valid)" not in out, out
    assert "temperature_K: 300 K (a setting given, not a result)" in out, out
    assert "setting: temperature 300 K (given" in out, out
    assert "run's temperature: 273.70 ± 0.96 K (valid)" in out, out
    assert "9.6% above" in out, out


@pytest.mark.parametrize("keyword", ["temperature", "constraints", "dt"])
def test_advice_of_an_option_of_analyze_is_not_marked_python_only(keyword):
    """"give the run's temperature (temperature=273.7)" was marked Python only in analyze's
    terminal, which has --temperature (and --constraints): left to its option, as dt is."""
    text = f"give the run's value ({keyword}=273.7); or not"
    assert python_only(text, ANALYSIS_COMMANDS["analyze"]) == (text, False)
    # demo has no such option: marked
    said, marked = python_only(text, ANALYSIS_COMMANDS["demo"])
    assert marked and f"{keyword}=273.7 (Python only)" in said
