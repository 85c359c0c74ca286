"""The ``electrolyte`` command end to end on a tiny system, and its error messages."""

import json

import numpy as np
import pytest
from cli_inputs import water_frames

pytest.importorskip("rdkit")
pytest.importorskip("packmol")

from ase_electrolyte.trajectory import h5md_info  # noqa: E402
from electrolyte_cli import main  # noqa: E402


@pytest.mark.slow
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
            "0.03",
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
    # an NVT production's density is no result: the number with its verdict, no bare number
    assert np.isfinite(summary["estimates"]["density"]["value"])
    assert summary["estimates"]["density"]["verdict"] != "valid"
    assert summary["density_g_cm3"] is None and summary["density_verdict"] != "valid"

    rc = main(
        ["analyze", str(out / "production.h5md"), "-o", str(out / "analysis"), "-q", "--keep-going"]
    )
    assert rc == 0, capsys.readouterr().err
    report = json.loads((out / "analysis" / "summary.json").read_text())
    from mda_electrolyte.report import INPUT_KEY, registered_analyses

    # what was analysed first, then every analysis
    assert list(report)[0] == INPUT_KEY and set(report) == {INPUT_KEY, *registered_analyses()}
    # the run's conserved-energy drift, as the library computes it, judges its time step
    from ase_electrolyte.md import energy_drift

    drift = report[INPUT_KEY].pop("energy_drift")
    assert drift == json.loads(json.dumps(energy_drift(out / "production.h5md").to_dict()))
    assert report[INPUT_KEY] == {"trajectory": str(out / "production.h5md"), "frames": 21,
                                 "run_finished": True}
    done = [k for k, v in report.items()
            if k != INPUT_KEY and not ({"skipped", "failed"} & set(v))]
    assert done, report
    for name, needs in registered_analyses().items():
        if "calculator" in needs:  # no model given: skipped with the reason
            assert "calculator" in report[name]["skipped"]
        elif "failed" in report[name]:  # a 20 fs run of one ion pair is too short for some
            assert len(report[name]["failed"]) > 20


@pytest.mark.slow
def test_diagnose_model_against_its_own_labels(tmp_path, capsys):
    pytest.importorskip("sevenn")
    from ase.calculators.singlepoint import SinglePointCalculator
    from ase.io import write

    from ase_electrolyte import Calculator
    from ase_electrolyte.build import electrolyte_box

    # EC only, so every molecule (EC: 4.3 Å across) stays further than SevenNet-0's 5 Å cutoff
    # from its own images in the 10.8 Å box. Six EC, not ten: the checks below (the model
    # against its own labels, a scan that runs) do not depend on the size, and the model's
    # work, linear in the atoms at one density, is two thirds (68 atoms against 108, 8
    # molecules against 12)
    box = electrolyte_box(counts={"EC": 6, "Li": 1, "PF6": 1}, seed=1)
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
    # an Estimate: value, error over frames and verdict
    assert errors["rmse"]["total"]["forces"]["value"] == pytest.approx(0.0, abs=1e-3), errors
    assert errors["rmse"]["total"]["forces"]["unit"] == "eV/Å"


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

    assert main(["analyze", "--list"]) == 0
    out = capsys.readouterr().out
    for name in registered_analyses():
        assert name in out
    # a trajectory beside --list was ignored (nothing analysed, status 0): refused
    assert main(["analyze", "--list", "unused"]) == 2
    assert "it takes no trajectory" in capsys.readouterr().err


_BASE = ["simulate", "--solvent", "EC:3,EMC:7", "--salt", "LiPF6", "--concentration", "1",
         "--model", "sevennet-0"]


@pytest.mark.parametrize(
    "argv,message",
    [
        (_BASE + ["--temperature", "-5"], "--temperature must be a finite number > 0"),
        (_BASE + ["--pressure", "nan"], "--pressure must be a finite"),
        (_BASE + ["--production-ps", "0.0004"], "shorter than one frame interval"),
        (_BASE + ["--equilibration-ps", "nan"], "--equilibration-ps must be a finite"),
        (_BASE + ["--relax-fmax", "0"], "--relax-fmax (eV/Å) must be"),
        (_BASE + ["--write-interval-fs", "0"], "--write-interval-fs must be"),
        (_BASE + ["--density", "-1"], "--density"),
        # replaced, not given twice (an option given twice is refused: the last value won)
        (_BASE[:6] + ["-1", "--model", "sevennet-0"], "--concentration"),
        # a salt without a concentration was packed as the pure solvent
        (["simulate", "--solvent", "EC:3", "--salt", "LiPF6", "--model", "sevennet-0"],
         "--salt LiPF6 needs a --concentration > 0"),
        (_BASE[:6] + ["0", "--model", "sevennet-0"], "--salt LiPF6 needs a --concentration > 0"),
        (_BASE + ["--units", "molar"], "needs the solution's --density"),
        (["simulate", "--solvent", "XYZ:3", "--model", "sevennet-0"], "unknown species 'XYZ'"),
        (["simulate", "--solvent", "EC:3", "--salt", "LiXX", "--concentration", "1", "--model",
          "sevennet-0"], "unknown salt 'LiXX'"),
        (_BASE + ["--n-atoms", "20"], "ion pairs (< 1)"),
        (_BASE[:-1] + ["nosuch-model"], "unknown model 'nosuch-model'"),
        (_BASE[:-1] + ["missing.pth"], "does not exist"),
        (_BASE + ["--dispersion", "d4"], "--dispersion 'd4'"),
        (_BASE + ["--device", "gpu"], "--device 'gpu'"),
        (["simulate", "--counts", "EC=2.5,Li=1,PF6=1", "--model", "sevennet-0"], "whole numbers"),
        (["demo", "--n-atoms", "5"], "--n-atoms 5: the demo's box (LiPF6 1.0 mol/kg"),
        # a bound of 20 let 20 ... 71 through to fail after the banner and the folder claim
        (["demo", "--n-atoms", "71"], "72 atoms or more; give at least 72"),
        # 0 was taken for "not given" (args.n_atoms or 100) once the bound of 20 was gone
        (["demo", "--n-atoms", "0"], "--n-atoms 0: the demo's box"),
        (["demo", "--production-ps", "0"], "--production-ps must be"),
        (["diagnose", "TRAJ", "--model", "sevennet-0", "--scales", "1,x"], "--scales"),
        (["diagnose", "TRAJ", "--model", "sevennet-0", "--max-scan-frames", "0"], "scan-frames"),
        (["analyze", "missing.h5md"], "no such file"),
        # the same classes on other values and other commands
        (_BASE + ["--temperature", "inf"], "--temperature must be a finite number > 0"),
        (_BASE + ["--write-interval-fs", "inf"], "--write-interval-fs must be"),
        (_BASE + ["--relax-fmax", "nan"], "--relax-fmax (eV/Å) must be"),
        (_BASE + ["--seed", "-1"], "--seed must be a whole number >= 0"),
        (["simulate", "--counts", "EC=0,Li=0", "--model", "sevennet-0"], "no molecule to pack"),
        (["simulate", "--counts", "EC=nan", "--model", "sevennet-0"],
         "count of EC must be a finite number >= 0, not nan"),
        (["simulate", "--solvent", "EC:1,EC:2", "--salt", "LiPF6", "--model", "sevennet-0"],
         "solvent EC is named twice"),
        (["simulate", "--counts", "EC=3,EC=4", "--model", "sevennet-0"],
         "counts EC is named twice"),
        (["simulate", "--solvent", "EC:1,:3", "--model", "sevennet-0"], "no name"),
        (["demo", "--production-ps", "inf"], "--production-ps must be"),
        # an empty file (TRAJ), named as such before the reader loads (cli28)
        (["analyze", "TRAJ"], "is empty (0 bytes)"),
        (["analyze", "JUNK.h5md"], "is not an HDF5 (H5MD) file"),
        (["analyze", "TEXT.txt"], "not a trajectory format that can be read"),
        (["analyze", "missing.h5md", "--only", " , "], "--only names no analysis"),
        (["analyze", "JUNK.h5md", "--only", "rdf,nosuch"], "unknown analyses"),
        (["diagnose", "TRAJ", "--model", "sevennet-0"], "is empty (0 bytes)"),
        (["diagnose", "JUNK.h5md", "--model", "sevennet-0"], "is not an HDF5 (H5MD) file"),
        (["select", "TRAJ", "-n", "0"], "-n must be >= 1"),
        (["select", "JUNK.h5md", "-n", "2"], "not an H5MD trajectory"),
        (["select", "TEXT.txt", "-n", "2"], "not a frames file ase.io can read"),
        (["select", "missing.extxyz", "-n", "2"], "the candidates file missing.extxyz: no such"),
        (["demo", "--n-atoms", "100000000"], "the demo runs up to 20000 atoms"),
        (["select", "TRAJ", "-n", "2", "-o", "OLD.extxyz"], "exists; choose another name"),
        (["diagnose", "JUNK.h5md", "--model", "sevennet-0", "--reference", "TEXT.txt"],
         "not a frames file ase.io can read"),
        # finite values no run can mean: they ran (a relaxation of minutes, then an explosion
        # or a run that never ends)
        (_BASE + ["--temperature", "1e300"], "is above 100000 K: a plasma"),
        (_BASE + ["--pressure", "-1e308"], "bar is beyond ±1e+07 bar"),
        (_BASE + ["--production-ps", "1e300"], "more than 1e+11 steps"),
        (_BASE + ["--preequilibration-ps", "1e9"], "--preequilibration-ps 1e+09 ps is 5e+11"),
        (["demo", "--production-ps", "1e300"], "more than 1e+11 steps"),
        (["demo", "--equilibration-ps", "1e12"], "--equilibration-ps 1e+12 ps"),
        # a negative number with an exponent is a value, not an option ("expected one argument")
        (_BASE + ["--temperature", "-1e3"], "--temperature must be a finite number > 0, got "
         "-1000.0"),
        (_BASE + ["--temperature", "-inf"], "--temperature must be a finite number > 0, got -inf"),
    ],
)
def test_bad_arguments_fail_in_one_line_before_any_work(argv, message, tmp_path, capsys,
                                                        monkeypatch):
    import ase_electrolyte.build
    import electrolyte_cli.arguments as cli_arguments

    def _forbidden(*args, **kwargs):
        raise AssertionError("expensive work started before the arguments were checked")

    monkeypatch.setattr(cli_arguments, "make_calculator", _forbidden)
    monkeypatch.setattr(ase_electrolyte.build, "electrolyte_box", _forbidden)
    traj = tmp_path / "t.extxyz"
    traj.write_text("")
    (tmp_path / "JUNK.h5md").write_text("not HDF5")
    (tmp_path / "TEXT.txt").write_text("some notes\n")
    (tmp_path / "OLD.extxyz").write_text("an earlier selection\n")
    argv = [str(traj) if a == "TRAJ" else a for a in argv]
    if "-o" not in argv and argv[0] in ("simulate", "demo"):
        argv += ["-o", str(tmp_path / "out")]
    monkeypatch.chdir(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    # a refused command leaves no folder (nor a lock file) behind
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_the_smallest_demo_box_is_one_ion_pair_told_before_the_banner(tmp_path, capsys,
                                                                       monkeypatch):
    import ase_electrolyte.build

    packed = []

    def _pack(counts, **kwargs):
        packed.append({sp.name: n for sp, n in counts.items()})
        raise ValueError("stop after the counts")

    monkeypatch.setattr(ase_electrolyte.build, "electrolyte_box", _pack)
    out = tmp_path / "demo"
    assert main(["demo", "--n-atoms", "71", "--device", "cpu", "-o", str(out), "-q"]) == 2
    said = capsys.readouterr()
    assert said.out == "" and "--n-atoms 71" in said.err and not out.exists()
    assert main(["demo", "--n-atoms", "72", "--device", "cpu", "-o", str(out), "-q"]) == 2
    assert "stop after the counts" in capsys.readouterr().err
    assert packed == [{"EC": 2, "EMC": 3, "Li": 1, "PF6": 1}]


def test_output_that_is_a_file_is_refused(tmp_path, capsys):
    taken = tmp_path / "taken"
    taken.write_text("mine")
    assert main(_BASE + ["-o", str(taken)]) == 2
    assert "a file of that name exists" in capsys.readouterr().err
    assert taken.read_text() == "mine"


def test_parser_errors_are_one_line(capsys):
    with pytest.raises(SystemExit) as done:
        main(_BASE + ["--temperature", "warm"])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "invalid float value: 'warm'" in err


@pytest.mark.parametrize("flags,doubt", [
    (["--temperature", "25"], "is it in °C?"),
    (["--pressure", "101325"], "is it in Pa"),
])
def test_values_in_a_wrong_unit_are_warned_about_in_one_line(flags, doubt, tmp_path, capsys):
    import warnings

    from ase_electrolyte.md import check_protocol_arguments
    from electrolyte_cli import _one_line_warnings

    argv = _BASE[:-1] + ["nosuch-model"] + flags + ["-o", str(tmp_path / "out")]
    # the unknown model stops it; the doubt is said in the refusal's one line
    assert main(argv) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[-1].startswith("electrolyte simulate: error: ")
    assert doubt in err[-1]
    # on a terminal the warning is one line too
    with _one_line_warnings("simulate"):
        line = warnings.formatwarning(doubt + "\n  more", UserWarning, "x.py", 1)
    assert line == f"electrolyte simulate: warning: {doubt} more\n"
    with pytest.warns(UserWarning, match="liquid electrolyte"):
        check_protocol_arguments(temperature_K=1e4)
    with pytest.warns(UserWarning, match="timestep_fs = 20 fs is long"):
        check_protocol_arguments(temperature_K=300, timestep_fs=20.0)


def test_an_unexpected_error_is_one_line_with_status_1(monkeypatch, capsys):
    import electrolyte_cli.analyze as analyze

    def broken(args):
        raise KeyError("a bug")

    monkeypatch.setattr(analyze, "run", broken)
    monkeypatch.delenv("ELECTROLYTE_DEBUG", raising=False)
    assert main(["analyze", "x.h5md"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error: KeyError" in err and "Traceback" not in err
    monkeypatch.setenv("ELECTROLYTE_DEBUG", "1")
    with pytest.raises(KeyError):
        main(["analyze", "x.h5md"])


def test_output_folder_claim_removes_only_the_empty_folders_it_made(tmp_path):
    from electrolyte_cli.arguments import claim_output_folder

    nested = tmp_path / "a" / "b" / "c"
    with pytest.raises(ValueError, match="packing failed"), claim_output_folder(nested):
        assert nested.is_dir()
        raise ValueError("packing failed")
    assert list(tmp_path.iterdir()) == []
    # a folder that was there before stays, empty or not; one holding output stays
    existing = tmp_path / "existing"
    existing.mkdir()
    with claim_output_folder(existing / "new" / "run") as out:
        (out / "initial.extxyz").write_text("x")
    assert (existing / "new" / "run" / "initial.extxyz").read_text() == "x"
    with claim_output_folder(existing / "empty"):
        pass
    assert sorted(p.name for p in existing.iterdir()) == ["new"]
    assert sorted(p.name for p in (existing / "new" / "run").iterdir()) == ["initial.extxyz"]


@pytest.mark.parametrize("only,needs", [
    ("green_kubo_conductivity", "needs velocities"),
    ("intra_inter_rdf,rigid_volume_scan", "--only rigid_volume_scan: the analysis needs calc"),
])
def test_analysis_asked_for_by_name_that_cannot_run_is_an_error(only, needs, tmp_path, capsys,
                                                                monkeypatch):
    """Skipped with exit 0, the result asked for was missing; now one line before any model."""
    import electrolyte_cli.arguments as cli_arguments

    traj = water_frames(tmp_path / "water.extxyz")
    monkeypatch.setattr(cli_arguments, "make_calculator",
                        lambda *a, **k: pytest.fail("a model was loaded before the check"))
    assert main(["analyze", str(traj), "--only", only, "-q", "-o", str(tmp_path / "a")]) == 2
    err = capsys.readouterr().err
    assert needs in err and err.count("\n") == 1
    assert not (tmp_path / "a").exists()


def _labelled_frames(name, shift=0.0, order=None):
    from ase.build import molecule
    from ase.calculators.singlepoint import SinglePointCalculator

    frames = []
    for k in range(2):
        atoms = molecule(name)
        atoms.center(vacuum=5.0)
        atoms.pbc = True
        atoms.positions += 0.01 * k + shift
        if order is not None:
            atoms = atoms[order]
        atoms.calc = SinglePointCalculator(atoms, energy=-1.0 - k,
                                           forces=np.full((len(atoms), 3), 0.01 * k))
        frames.append(atoms)
    return frames


@pytest.mark.parametrize("reference,message", [
    (lambda: _labelled_frames("H2O"), "reference frame 0 has different atoms"),
    (lambda: _labelled_frames("CH3SH"), "reference frame 0 has different atoms"),
    (lambda: _labelled_frames("CH3OH", order=[1, 0, 2, 3, 4, 5]), "has different atoms"),
    (lambda: _labelled_frames("CH3OH", shift=0.5), "frame 0 belong to other positions"),
    (lambda: _labelled_frames("CH3OH")[:1], "the reference labels hold 1 frames"),
])
def test_diagnose_reference_labels_of_other_frames_are_refused_before_the_model(
        reference, message, tmp_path, capsys, monkeypatch):
    import ase.io

    import electrolyte_cli.arguments as cli_arguments

    ase.io.write(tmp_path / "traj.extxyz", _labelled_frames("CH3OH"))
    ase.io.write(tmp_path / "ref.extxyz", reference())
    monkeypatch.setattr(cli_arguments, "make_calculator",
                        lambda *a, **k: pytest.fail("a model was loaded before the check"))
    argv = ["diagnose", str(tmp_path / "traj.extxyz"), "--model", "sevennet-0", "--reference",
            str(tmp_path / "ref.extxyz"), "-q", "-o", str(tmp_path / "d")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_check_reference_frames_accepts_the_frames_themselves_on_a_universe(tmp_path):
    import ase.io

    from mda_electrolyte import from_ase
    from mda_electrolyte.intra_inter_errors import check_reference_frames

    frames = _labelled_frames("CH3OH")
    ase.io.write(tmp_path / "t.extxyz", frames)
    u = from_ase(tmp_path / "t.extxyz")
    u.trajectory[1]
    check_reference_frames(u, frames)
    assert u.trajectory.ts.frame == 1  # the caller's frame is kept


def _broken_frames():
    frames = _labelled_frames("CH3OH")
    frames[1].positions[0] += [0.0, 3.5, 0.0]  # the C leaves its O and H atoms
    return frames


def _pair_frames():
    """Two labelled frames of two methanols 3.5 Å apart: compressed to 0.3 they overlap."""
    from ase.calculators.singlepoint import SinglePointCalculator

    frames = []
    for first in _labelled_frames("CH3OH"):
        second = first.copy()
        second.positions += [3.5, 0.0, 0.0]
        pair = first + second
        pair.calc = SinglePointCalculator(pair, energy=-2.0,
                                          forces=np.zeros((len(pair), 3)))
        frames.append(pair)
    return frames


def _nan_labelled_frames():
    frames = _labelled_frames("CH3OH")
    frames[1].calc.results["forces"][2, 1] = np.nan
    return frames


@pytest.mark.parametrize("frames,extra,message", [
    (_broken_frames, [], "frame 1"),
    (_nan_labelled_frames, [], "not finite"),
    (_pair_frames, ["--scales", "0.3,1"], "scaled by s = 0.3"),
    (_pair_frames, ["--scales", "1,1e300"], "<= 100"),
    # another model as the reference (the --model itself is refused: every error 0)
    (_pair_frames, ["--reference", "sevennet-0-22may2024", "--scales", "0.3,1"],
     "scaled by s = 0.3"),
])
def test_diagnose_checks_frames_labels_and_scales_before_any_model_loads(
        frames, extra, message, tmp_path, capsys, monkeypatch):
    import ase.io

    import electrolyte_cli.arguments as cli_arguments

    ase.io.write(tmp_path / "traj.extxyz", frames())
    monkeypatch.setattr(cli_arguments, "make_calculator",
                        lambda *a, **k: pytest.fail("a model was loaded before the check"))
    argv = ["diagnose", str(tmp_path / "traj.extxyz"), "--model", "sevennet-0", "-q",
            "-o", str(tmp_path / "d"), *extra]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not (tmp_path / "d").exists()
