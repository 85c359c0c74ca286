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


def test_diagnose_model_against_its_own_labels(tmp_path, capsys):
    pytest.importorskip("sevenn")
    from ase.calculators.singlepoint import SinglePointCalculator
    from ase.io import write

    from ase_electrolyte import Calculator
    from ase_electrolyte.build import electrolyte_box

    # EC only, so every molecule is far smaller than half the ~12 Å box
    box = electrolyte_box(counts={"EC": 10, "Li": 1, "PF6": 1}, seed=1)
    calc = Calculator("sevennet-0", device="cpu")
    frames = []
    for seed in (0, 1):
        frame = box.copy()
        frame.rattle(0.02, seed=seed)
        frame.calc = calc
        frame.get_stress()
        # freeze this frame's labels: the shared calculator's results move on with the next one
        frame.calc = SinglePointCalculator(frame, **calc.results)
        frames.append(frame)
    write(tmp_path / "labelled.extxyz", frames)
    rc = main(
        [
            "diagnose", str(tmp_path / "labelled.extxyz"), "--model", "sevennet-0",
            "--device", "cpu", "--scales", "1.0,1.3", "--max-scan-frames", "1",
            "-o", str(tmp_path / "diagnose"), "-q",
        ]
    )
    assert rc == 0, capsys.readouterr().err
    diag = json.loads((tmp_path / "diagnose" / "diagnose.json").read_text())
    scan = diag["rigid_volume_scan"]
    assert "skipped" not in scan and "failed" not in scan, scan
    assert (tmp_path / "diagnose" / "rigid_volume_scan.png").exists()
    # the model against the labels it wrote itself (float32 model: reproducible to ~1e-5)
    errors = diag["intra_inter_errors"]
    assert errors["rmse"]["total"]["forces"] == pytest.approx(0.0, abs=1e-3), errors


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
