"""Folders of runs made by an earlier version, whose NPT stage is now refused as too short.

``--equilibration-ps 0.02`` (20 NPT steps, 3 volume samples) is refused for a new run: the NVT
production runs at the stage's mean volume after detected equilibration, which needs at least
4 samples. The refusal was made of the arguments alone, so a folder an earlier version had
started with those settings could neither be resumed nor finished, even when its stage had
already run: only starting such a stage is refused now, and its trajectory is analysed as any.
"""

import json
import warnings

import pytest
from ase.calculators.calculator import Calculator
from test_cli_interrupted import _ARGV, _argon_box, _SignallingLJ

from ase_electrolyte.trajectory import h5md_info

#: The settings of an earlier version's run: an equilibration of 20 steps, 3 volume samples.
_OLD = [a if a != "0.03" else "0.02" for a in _ARGV]


def _refusal(out):
    return ("--equilibration-ps 0.02: 20 NPT steps record 3 volume samples; the NVT "
            "production runs at the stage's mean volume after its detected equilibration, "
            "which needs at least 4 (0.03 ps)")


def _run_old_version(out, monkeypatch, at=None):
    """The folder an earlier version wrote (the stage-length check it did not have taken out)
    with argon LJ for the model; ``at``: the model evaluation that Ctrl-C interrupts."""
    import ase_electrolyte.build
    import electrolyte_cli.arguments as cli_arguments
    import electrolyte_cli.simulate as simulate
    from electrolyte_cli import main

    with monkeypatch.context() as mp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mp.setattr(ase_electrolyte.build, "electrolyte_box", _argon_box)
        mp.setattr(cli_arguments, "make_calculator", lambda *a: _SignallingLJ(
            at=at, signum=__import__("signal").SIGINT))
        mp.setattr(simulate, "check_mean_volume_stage", lambda *a, **k: None)
        assert main(_OLD + ["-o", str(out)]) == (0 if at is None else 130)


@pytest.fixture(scope="module")
def old_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("old") / "run"
    with pytest.MonkeyPatch.context() as mp:
        _run_old_version(out, mp)
    return out


def _resume(out, monkeypatch, capsys):
    """The same command, by this version: (exit status, stderr lines, warnings)."""
    import ase_electrolyte.build
    import electrolyte_cli.arguments as cli_arguments
    from electrolyte_cli import main

    monkeypatch.setattr(ase_electrolyte.build, "electrolyte_box", _argon_box)
    monkeypatch.setattr(cli_arguments, "make_calculator", lambda *a: _SignallingLJ())
    capsys.readouterr()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        status = main(_OLD + ["-o", str(out)])
    short = [str(w.message) for w in caught if "volume samples" in str(w.message)]
    return status, capsys.readouterr().err.splitlines(), short


def test_a_new_run_with_the_short_stage_is_still_refused_before_packing(tmp_path, capsys,
                                                                       monkeypatch):
    import ase_electrolyte.build
    import electrolyte_cli.arguments as cli_arguments
    from electrolyte_cli import main

    def forbidden(*args, **kwargs):
        raise AssertionError("packed or loaded before the stage length was judged")

    monkeypatch.setattr(ase_electrolyte.build, "electrolyte_box", forbidden)
    monkeypatch.setattr(cli_arguments, "make_calculator", forbidden)
    out = tmp_path / "new"
    assert main(_OLD + ["-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"electrolyte simulate: error: {_refusal(out)}") and err.count("\n") == 1
    assert not out.exists()


def test_a_finished_old_run_is_reused_with_a_warning_and_its_frames_kept(old_run, capsys,
                                                                       monkeypatch):
    frames = {p.name: h5md_info(p)["n_frames"] for p in old_run.glob("*.h5md")}
    before = json.loads((old_run / "simulation.json").read_text())
    status, err, short = _resume(old_run, monkeypatch, capsys)
    assert status == 0, err
    assert len(short) == 1, short
    assert short[0].startswith(f"{old_run / 'equilibration.h5md'} is an NPT stage of 20 steps "
                               "with 3 volume samples, fewer than the 4"), short
    assert not any("error" in line for line in err), err
    assert {p.name: h5md_info(p)["n_frames"] for p in old_run.glob("*.h5md")} == frames
    after = json.loads((old_run / "simulation.json").read_text())
    assert after["estimates"] == before["estimates"]  # the same numbers, the same verdicts
    assert not after["estimates"]["density"]["converged"]  # 3 samples: never a result


def test_an_old_run_is_analysed_with_its_numbers_judged(old_run, tmp_path, capsys):
    from electrolyte_cli import main

    out = tmp_path / "analysis"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["analyze", str(old_run / "production.h5md"), "-q", "-o", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    # an NVT production: its density is no result, and says why
    assert not summary["density"]["density"]["converged"]
    assert "fixed-volume" in summary["density"]["density"]["method"] + " ".join(
        summary["density"]["density"].get("notes", []))
    assert "density: NOT VALID" in capsys.readouterr().out


@pytest.mark.parametrize("at, stage_started", [(1, False), (25, True)])
def test_an_interrupted_old_run_resumes_only_a_stage_it_had_started(at, stage_started, tmp_path,
                                                                     capsys, monkeypatch):
    """Interrupted before the relaxation, the too-short stage is yet to start: refused, with the
    folder as it was. Interrupted in it, the stage is the earlier version's: finished."""
    out = tmp_path / "run"
    _run_old_version(out, monkeypatch, at=at)
    assert (out / "equilibration.h5md").is_file() is stage_started
    assert not (out / "simulation.json").exists()
    files = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    status, err, short = _resume(out, monkeypatch, capsys)
    if not stage_started:
        assert status == 2 and err == [f"electrolyte simulate: error: {_refusal(out)}: give "
                                       "at least 0.03 ps, or --ensemble npt"], err
        assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == files
        return
    assert status == 0, err
    assert len(short) == 1 and "3 volume samples" in short[0], short
    assert all(h5md_info(p)["complete"] for p in out.glob("*.h5md"))
    assert h5md_info(out / "equilibration.h5md")["run_info"]["steps"] == 20
    assert (out / "simulation.json").is_file()


class _Damping(Calculator):
    """What a D3 term's fingerprint records: its damping."""

    def __init__(self, damping):
        super().__init__()
        self.parameters = {"damping": damping}


class _NamedLJ(_SignallingLJ):
    """Argon LJ recorded as a library model (``model``) with a D3 term (``dispersion``)."""

    def __init__(self, model="sevennet-0", damping="bj"):
        super().__init__()
        self.model = model
        self.dispersion = None if damping is None else _Damping(damping)


_NAMED = [*_ARGV[:_ARGV.index("--model") + 2], "--dispersion", "d3-bj",
                        *_ARGV[_ARGV.index("--model") + 2:]]


@pytest.fixture(scope="module")
def named_run(tmp_path_factory):
    """A finished run whose stages record the model sevennet-0 with D3(BJ)."""
    import ase_electrolyte.build
    import electrolyte_cli.arguments as cli_arguments
    from electrolyte_cli import main

    out = tmp_path_factory.mktemp("named") / "run"
    with pytest.MonkeyPatch.context() as mp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mp.setattr(ase_electrolyte.build, "electrolyte_box", _argon_box)
        mp.setattr(cli_arguments, "make_calculator", lambda *a: _NamedLJ())
        assert main(_NAMED + ["-o", str(out)]) == 0
    calc = h5md_info(out / "production.h5md")["run_info"]["calculator"]
    assert calc["model"] == "sevennet-0" and calc["dispersion"]["parameters"]["damping"] == "bj"
    return out


def _given(argv, flag, value):
    argv = list(argv)
    argv[argv.index(flag) + 1] = value
    return argv


@pytest.mark.parametrize("flag, value, stored", [
    ("--model", "sevennet-l3i5", "sevennet-0"),
    ("--model", "sevennet-0-22may2024", "sevennet-0"),
    ("--dispersion", "none", "d3-bj"),
    ("--dispersion", "d3-zero", "d3-bj"),
])
def test_a_resume_with_another_model_is_refused_before_it_loads(named_run, flag, value, stored,
                                                                capsys, monkeypatch):
    """It was refused by run_md once the model had loaded, in a line of both calculators'
    descriptions that ended "pass overwrite=True" (no option of the command)."""
    import ase_electrolyte.build
    import electrolyte_cli.arguments as cli_arguments
    from electrolyte_cli import main

    def forbidden(*args, **kwargs):
        raise AssertionError("packed or loaded before the model was compared")

    monkeypatch.setattr(ase_electrolyte.build, "electrolyte_box", forbidden)
    monkeypatch.setattr(cli_arguments, "make_calculator", forbidden)
    before = {p.name: p.stat().st_mtime_ns for p in named_run.iterdir()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(_given(_NAMED, flag, value) + ["-o", str(named_run)]) == 2
    err = capsys.readouterr().err
    assert err == (f"electrolyte simulate: error: {named_run} holds a run with {flag} {stored} "
                   f"(relaxed.h5md), not {flag} {value}: a resume continues the run it started; "
                   f"rerun with {flag} {stored} to resume it, or choose another output "
                   "folder\n"), err
    assert {p.name: p.stat().st_mtime_ns for p in named_run.iterdir()} == before


@pytest.mark.parametrize("flag, value", [("--model", "SevenNet-0"), ("--dispersion", "D3(BJ)"),
                                         ("--dispersion", "d3")])
def test_the_same_model_spelled_otherwise_reuses_the_run(named_run, flag, value, capsys,
                                                         monkeypatch):
    import ase_electrolyte.build
    import electrolyte_cli.arguments as cli_arguments
    from electrolyte_cli import main

    monkeypatch.setattr(ase_electrolyte.build, "electrolyte_box", _argon_box)
    monkeypatch.setattr(cli_arguments, "make_calculator", lambda *a: _NamedLJ())
    frames = {p.name: h5md_info(p)["n_frames"] for p in named_run.glob("*.h5md")}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(_given(_NAMED, flag, value) + ["-o", str(named_run)]) == 0
    assert "error" not in capsys.readouterr().err
    assert {p.name: h5md_info(p)["n_frames"] for p in named_run.glob("*.h5md")} == frames
