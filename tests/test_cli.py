"""The ``electrolyte`` command end to end on a tiny system, and its error messages."""

import json

import numpy as np
import pytest

pytest.importorskip("rdkit")
pytest.importorskip("packmol")

from ase_electrolyte.cli import main  # noqa: E402
from ase_electrolyte.trajectory import h5md_info  # noqa: E402


def test_simulate_then_analyze(tmp_path, capsys):
    pytest.importorskip("sevenn")
    out = tmp_path / "run"
    rc = main(
        [
            "simulate",
            "--counts",
            "EC=2,Li=1,PF6=1",
            "--model",
            "sevennet-0",
            "--device",
            "cpu",
            "--temperature",
            "300",
            "--preequilibration-ps",
            "0.004",
            "--equilibration-ps",
            "0",
            "--production-ps",
            "0.02",
            "--ensemble",
            "nvt",
            "--write-interval-fs",
            "1",
            "-q",
            "-o",
            str(out),
        ]
    )
    assert rc == 0, capsys.readouterr().err
    summary = json.loads((out / "simulation.json").read_text())
    assert summary["composition"] == {"EC": 2, "Li": 1, "PF6": 1}
    info = h5md_info(out / "production.h5md")
    assert info["complete"] and info["n_frames"] == 21 and info["has_topology"]
    assert np.isfinite(summary["density_g_cm3"])

    rc = main(
        ["analyze", str(out / "production.h5md"), "-o", str(out / "analysis"), "-q", "--keep-going"]
    )
    assert rc == 0, capsys.readouterr().err
    report = json.loads((out / "analysis" / "summary.json").read_text())
    from mda_electrolyte.report import registered_analyses

    assert set(report) == set(registered_analyses())
    done = [k for k, v in report.items() if not ({"skipped", "failed"} & set(v))]
    assert done, report
    for name, needs in registered_analyses().items():
        if "calculator" in needs:  # no model given: skipped with the reason
            assert "calculator" in report[name]["skipped"]
        elif "failed" in report[name]:  # a 20 fs run of one ion pair is too short for some
            assert len(report[name]["failed"]) > 20


def test_errors_are_reported_not_raised(tmp_path, capsys):
    rc = main(["simulate", "--solvent", "EC:1,FOO:2", "--model", "sevennet-0", "-o", str(tmp_path)])
    assert rc == 2
    err = capsys.readouterr().err
    assert "unknown species 'FOO'" in err and "EMC" in err
    rc = main(["simulate", "--solvent", "EC:x", "--model", "sevennet-0", "-o", str(tmp_path)])
    assert rc == 2 and "NAME:NUMBER" in capsys.readouterr().err
    rc = main(["analyze", str(tmp_path / "nothing.h5md")])
    assert rc == 2 and "no such file" in capsys.readouterr().err
    assert not (tmp_path / "simulation.json").exists()


def test_analyze_lists_analyses(capsys):
    from mda_electrolyte.report import registered_analyses

    assert main(["analyze", "--list", "unused"]) == 0
    out = capsys.readouterr().out
    for name in registered_analyses():
        assert name in out
