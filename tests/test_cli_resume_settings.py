"""``electrolyte simulate`` into a folder whose stages ran with other protocol settings.

``run_md`` refuses a stage file written with other settings, but a resume packed the box
(seconds to minutes) and loaded the model before it got there. The command now compares the
options with what each stage file records before packing or loading anything, and names the
option, the stored value and the file, in one line with exit status 2.
"""

import warnings

import pytest
from test_cli_interrupted import _ARGV, _argon_box, _SignallingLJ

from ase_electrolyte.trajectory import h5md_info


def _with(argv, flag, value):
    """``argv`` with ``flag``'s value replaced, or ``flag value`` added."""
    argv = list(argv)
    if flag in argv:
        argv[argv.index(flag) + 1] = value
    else:
        argv += [flag, value]
    return argv


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """One finished simulate run of the argon stand-in (relaxed, equilibration, production)."""
    import ase_electrolyte.build
    import electrolyte_cli.arguments as cli_arguments
    from electrolyte_cli import main

    out = tmp_path_factory.mktemp("resume") / "run"
    with pytest.MonkeyPatch.context() as mp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mp.setattr(ase_electrolyte.build, "electrolyte_box", _argon_box)
        mp.setattr(cli_arguments, "make_calculator", lambda *a: _SignallingLJ())
        assert main(_ARGV + ["-o", str(out)]) == 0
    assert sorted(p.name for p in out.glob("*.h5md")) == [
        "equilibration.h5md", "production.h5md", "relaxed.h5md"]
    return out


@pytest.mark.parametrize("flag, value, stored, given, file", [
    ("--temperature", "70", "60", "70", "equilibration.h5md"),
    ("--temperature", "60.5", "60", "60.5", "equilibration.h5md"),
    ("--pressure", "100", "1.01325", "100", "equilibration.h5md"),
    ("--equilibration-ps", "0.04", "0.03", "0.04", "equilibration.h5md"),
    ("--production-ps", "0.1", "0.02", "0.1", "production.h5md"),
    ("--write-interval-fs", "4", "2", "4", "equilibration.h5md"),
    ("--relax-fmax", "0.5", "2", "0.5", "relaxed.h5md"),
    ("--ensemble", "nve", "nvt", "nve", "production.h5md"),
    ("--ensemble", "npt", "nvt", "npt", "production.h5md"),
])
def test_another_protocol_setting_is_refused_before_packing_or_loading(
        finished_run, capsys, monkeypatch, flag, value, stored, given, file):
    import ase_electrolyte.build
    import electrolyte_cli.arguments as cli_arguments
    from electrolyte_cli import main

    def forbidden(*args, **kwargs):
        raise AssertionError("packed or loaded before the settings were compared")

    monkeypatch.setattr(ase_electrolyte.build, "electrolyte_box", forbidden)
    monkeypatch.setattr(cli_arguments, "make_calculator", forbidden)
    before = {p.name: p.stat().st_mtime_ns for p in finished_run.iterdir()}
    assert main(_with(_ARGV, flag, value) + ["-o", str(finished_run)]) == 2
    err = capsys.readouterr().err
    assert err == (f"electrolyte simulate: error: {finished_run} holds a run with {flag} "
                   f"{stored} ({file}), not {flag} {given}: a resume continues the run it "
                   f"started; rerun with {flag} {stored} to resume it, or choose another "
                   "output folder\n"), err
    assert {p.name: p.stat().st_mtime_ns for p in finished_run.iterdir()} == before


def test_a_stage_the_folder_holds_cannot_be_skipped_on_resume(finished_run, capsys,
                                                               monkeypatch):
    import ase_electrolyte.build
    from electrolyte_cli import main

    monkeypatch.setattr(ase_electrolyte.build, "electrolyte_box",
                        lambda **kw: pytest.fail("packed"))
    assert main(_with(_ARGV, "--equilibration-ps", "0") + ["-o", str(finished_run)]) == 2
    err = capsys.readouterr().err
    assert ("equilibration.h5md is the equilibration stage of an earlier run, and this run "
            "skips that stage (--equilibration-ps 0)") in err
    assert err.count("\n") == 1


def test_the_same_settings_still_reuse_the_finished_run(finished_run, capsys, monkeypatch):
    """Spelled another way (60.0 for 60, 2e0 for 2), the settings are the same run's."""
    import ase_electrolyte.build
    import electrolyte_cli.arguments as cli_arguments
    from electrolyte_cli import main

    monkeypatch.setattr(ase_electrolyte.build, "electrolyte_box", _argon_box)
    monkeypatch.setattr(cli_arguments, "make_calculator", lambda *a: _SignallingLJ())
    frames = {p.name: h5md_info(p)["n_frames"] for p in finished_run.glob("*.h5md")}
    argv = _with(_with(_ARGV, "--temperature", "60.0"), "--write-interval-fs", "2e0")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(argv + ["-o", str(finished_run)]) == 0
    assert "error" not in capsys.readouterr().err
    assert {p.name: h5md_info(p)["n_frames"] for p in finished_run.glob("*.h5md")} == frames


def test_another_composition_is_refused_before_packing(tmp_path, capsys, monkeypatch):
    """The box of a folder is read back and its composition compared before a new box is
    packed (that was found only after packing, with the model loaded)."""
    import ase.io

    import ase_electrolyte.build
    import electrolyte_cli.arguments as cli_arguments
    from electrolyte_cli import main

    out = tmp_path / "run"
    out.mkdir()
    box = _argon_box()
    box.info.update({"composition": {"EC": 2}, "box_seed": 0,
                     "box_density_g_cm3": "van der Waals"})
    ase.io.write(out / "initial.extxyz", box, format="extxyz")
    def forbidden(*args, **kwargs):
        raise AssertionError("packed or loaded before the composition was compared")

    monkeypatch.setattr(ase_electrolyte.build, "electrolyte_box", forbidden)
    monkeypatch.setattr(cli_arguments, "make_calculator", forbidden)
    assert main(_with(_ARGV, "--counts", "ec=3") + ["-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err == (f"electrolyte simulate: error: {out} holds a run of {{'EC': 2}}, not "
                   "{'EC': 3}; choose another output folder\n"), err
    # the same composition, its name spelled in another case, goes on to pack (the resume)
    assert main(_with(_ARGV, "--counts", "ec=2") + ["-o", str(out)]) == 1
    assert "packed or loaded before the composition was compared" in capsys.readouterr().err
