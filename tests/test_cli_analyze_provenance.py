"""``electrolyte analyze`` records what it analysed: the file, its frames, whether its run had
finished.

The production of an interrupted run is analysed as far as it was written, with a warning on
the terminal only: its ``summary.json`` read as that of the whole run, and a later rerun of
the finished run gave other numbers under the same name.
"""

import json
import signal
import warnings

import pytest
from test_cli_interrupted import _ARGV, _argon_box, _SignallingLJ

from ase_electrolyte.trajectory import h5md_info
from mda_electrolyte import report


def _simulate(out, at=None):
    import ase_electrolyte.build
    import electrolyte_cli.arguments as cli_arguments
    from electrolyte_cli import main

    with pytest.MonkeyPatch.context() as mp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mp.setattr(ase_electrolyte.build, "electrolyte_box", _argon_box)
        mp.setattr(cli_arguments, "make_calculator",
                   lambda *a: _SignallingLJ(at=at, signum=signal.SIGINT))
        return main(_ARGV + ["-o", str(out)])


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A finished run and one interrupted in its production."""
    base = tmp_path_factory.mktemp("runs")
    assert _simulate(base / "finished") == 0
    assert _simulate(base / "interrupted", at=45) == 130
    production = base / "interrupted" / "production.h5md"
    assert 1 < h5md_info(production)["n_frames"] < h5md_info(
        base / "finished" / "production.h5md")["n_frames"]
    assert not h5md_info(production)["complete"]
    return base


def _analyze(path, out, capsys, *extra):
    from electrolyte_cli import main

    capsys.readouterr()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["analyze", str(path), "-q", "--only", "intra_inter_rdf", "-o", str(out),
                     *extra]) == 0
    return json.loads((out / "summary.json").read_text()), capsys.readouterr().out


def test_the_frames_of_an_interrupted_run_are_recorded_as_such(runs, tmp_path, capsys):
    production = runs / "interrupted" / "production.h5md"
    n = h5md_info(production)["n_frames"]
    summary, printed = _analyze(production, tmp_path / "a", capsys)
    assert list(summary)[0] == report.INPUT_KEY
    record = summary[report.INPUT_KEY]
    assert record["trajectory"] == str(production) and record["frames"] == n
    assert record["run_finished"] is False
    assert f"not finished (interrupted): the analyses are of the {n} frames" in record["note"]
    line = next(line for line in printed.splitlines() if line.startswith("  input: "))
    assert line.startswith(f"  input: {production}, {n} frames (NOTE: the run that wrote it")
    assert "intra_inter_rdf" in summary  # the analyses as before


def test_a_finished_run_and_a_file_of_frames_are_recorded_without_a_note(runs, tmp_path,
                                                                         capsys):
    import ase.io

    from ase_electrolyte.trajectory import read_h5md

    production = runs / "finished" / "production.h5md"
    n = h5md_info(production)["n_frames"]
    summary, printed = _analyze(production, tmp_path / "a", capsys)
    # a run_md file: its conserved-energy drift (as the library computes it) is recorded too
    from ase_electrolyte.md import energy_drift

    drift = summary[report.INPUT_KEY].pop("energy_drift")
    assert drift == json.loads(json.dumps(energy_drift(production).to_dict()))
    assert summary[report.INPUT_KEY] == {"trajectory": str(production), "frames": n,
                                         "run_finished": True}
    assert f"  input: {production}, {n} frames\n" in printed
    frames = [read_h5md(production, i) for i in range(3)]
    for i, frame in enumerate(frames):
        frame.info["time_ps"] = 0.002 * i
    extxyz = tmp_path / "frames.extxyz"
    ase.io.write(extxyz, frames)
    summary, _ = _analyze(extxyz, tmp_path / "b", capsys)
    assert summary[report.INPUT_KEY] == {"trajectory": str(extxyz), "frames": 3}


def test_the_record_is_not_an_analysis(tmp_path):
    import MDAnalysis as mda
    import numpy as np

    with pytest.raises(ValueError, match="'input' is the summary's record of what was analysed"):
        report.register_analysis("input")
    with pytest.raises(TypeError, match="source must be a dict"):
        report.run_analyses(mda.Universe.empty(1, trajectory=True), tmp_path, source="x.h5md")
    # without a source (the library's callers, the demo) the summary is of analyses alone
    u = mda.Universe.empty(2, trajectory=True)
    u.atoms.positions = np.zeros((2, 3))
    summary = report.run_analyses(u, tmp_path / "c", only=["intra_inter_rdf"], keep_going=True)
    assert report.INPUT_KEY not in summary
