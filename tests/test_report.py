"""mda_electrolyte.report: registry, requirements, failures."""

import json

import MDAnalysis as mda
import numpy as np
import pytest

from mda_electrolyte import report


@pytest.fixture
def universe():
    u = mda.Universe.empty(4, trajectory=True)
    u.atoms.positions = np.arange(12, dtype=float).reshape(4, 3)
    u.dimensions = [10, 10, 10, 90, 90, 90]
    return u


@pytest.fixture
def scratch_registry(monkeypatch):
    monkeypatch.setattr(report, "_REGISTRY", {})
    monkeypatch.setattr(report, "_ANALYSIS_MODULES", [])

    @report.register_analysis("mean_x")
    def mean_x(universe, outdir, *, calculator=None, verbose=False):
        return {"mean_x_angstrom": float(universe.atoms.positions[:, 0].mean())}

    @report.register_analysis("broken")
    def broken(universe, outdir, *, calculator=None, verbose=False):
        raise ValueError("too few frames")

    @report.register_analysis("needs_model", needs=("calculator", "velocities"))
    def needs_model(universe, outdir, *, calculator=None, verbose=False):
        return {}


def test_summary_json_and_requirements(universe, tmp_path, scratch_registry):
    summary = report.run_analyses(universe, tmp_path, only=["mean_x", "needs_model"])
    assert summary["mean_x"]["mean_x_angstrom"] == pytest.approx(4.5)
    assert "velocities" in summary["needs_model"]["skipped"]
    assert "calculator" in summary["needs_model"]["skipped"]
    assert json.loads((tmp_path / "summary.json").read_text()) == summary


def test_failure_stops_unless_keep_going(universe, tmp_path, scratch_registry):
    with pytest.raises(ValueError, match="too few frames"):
        report.run_analyses(universe, tmp_path)
    with pytest.warns(UserWarning, match="broken"):
        summary = report.run_analyses(universe, tmp_path, keep_going=True)
    assert summary["broken"] == {"failed": "ValueError: too few frames"}
    assert summary["mean_x"]["mean_x_angstrom"] == pytest.approx(4.5)


def test_unknown_analysis_is_named(universe, tmp_path, scratch_registry):
    with pytest.raises(ValueError, match="unknown analyses.*'rdf'"):
        report.run_analyses(universe, tmp_path, only=["rdf"])


def test_every_module_registers():
    names = report.registered_analyses()
    assert {"intra_inter_rdf", "solvation_shells", "green_kubo_conductivity", "diffusion",
            "rigid_volume_scan", "intra_inter_errors"} <= set(names)
