"""Options each fine alone whose combination would be ignored without a word.

``simulate --preequilibration-ps 0 --equilibration-ps 0 --pressure 500`` ran NVT at the packed
volume: no stage held the 500 bar asked for, and the run looked like one at 500 bar. Such a
combination is one line with exit status 2 before the box is packed or the model loaded.
"""

import pytest

from electrolyte_cli import main


class _Reached(Exception):
    """The model check: every argument before it passed."""


@pytest.fixture
def guarded(tmp_path, monkeypatch):
    import ase_electrolyte.build
    import electrolyte_cli.arguments as cli_arguments

    def reached(*args, **kwargs):
        raise _Reached

    for module, name in ((cli_arguments, "check_model_args"), (cli_arguments, "make_calculator"),
                         (ase_electrolyte.build, "electrolyte_box")):
        monkeypatch.setattr(module, name, reached)
    monkeypatch.setenv("ELECTROLYTE_DEBUG", "1")  # the guard's exception, raised
    monkeypatch.chdir(tmp_path)
    return tmp_path


_BASE = ["simulate", "--counts", "EC=3", "--model", "sevennet-0", "-o", "run"]
_NO_NPT = ["--preequilibration-ps", "0", "--equilibration-ps", "0"]


@pytest.mark.parametrize("ensemble", ["nvt", "nve"])
@pytest.mark.parametrize("pressure, said", [
    # the protocol's own check (md.check_protocol_arguments: a setting without effect)
    ("500", "no NPT stage runs"),
    # 1 atm given explicitly: the protocol takes its default as no choice, the CLI does not
    ("1.01325", "no stage of this protocol holds a pressure"),
])
def test_a_pressure_no_stage_holds_is_refused_before_packing(guarded, capsys, ensemble,
                                                             pressure, said):
    assert main([*_BASE, *_NO_NPT, "--ensemble", ensemble, "--pressure", pressure]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"electrolyte simulate: error: --pressure {float(pressure):g}")
    assert said in err and ensemble in err.lower() and "leave out --pressure" in err
    # every keyword is written as its option, with its value
    assert "_ps" not in err and "--preequilibration-ps --" not in err
    assert not (guarded / "run").exists()


@pytest.mark.parametrize("extra", [
    [*_NO_NPT, "--ensemble", "npt", "--pressure", "500"],  # an NPT production
    ["--preequilibration-ps", "0", "--pressure", "500"],  # an NPT equilibration
    ["--equilibration-ps", "0", "--pressure", "500"],  # an NPT pre-equilibration
    [*_NO_NPT],  # no --pressure: the default of 1 atm, unused, is no request
    ["--pressure", "1.01325"],
])
def test_a_pressure_an_npt_stage_holds_or_none_given_goes_on(guarded, extra):
    with pytest.raises(_Reached):
        main([*_BASE, *extra])


def test_the_default_pressure_is_one_atmosphere_in_the_stages(guarded, monkeypatch):
    """Without --pressure the NPT stages run at 1 atm, as before the default became None."""
    import electrolyte_cli.simulate as simulate
    from ase_electrolyte.md import ONE_ATM_BAR

    seen = {}

    def stop(args):
        seen["pressure"] = args.pressure
        raise _Reached

    monkeypatch.setattr(simulate, "_run", stop)
    monkeypatch.setattr(simulate.A, "check_model_args", lambda *a, **k: None)
    with pytest.raises(_Reached):
        main(_BASE)
    assert seen["pressure"] == ONE_ATM_BAR == 1.01325


def test_a_bad_pressure_is_named_as_such_before_the_combination(guarded, capsys):
    assert main([*_BASE, *_NO_NPT, "--pressure", "nan"]) == 2
    assert "--pressure must be a finite number" in capsys.readouterr().err


@pytest.mark.parametrize("solvent", ["EC:1,EMC:0", "EC:0"])
def test_a_solvent_share_of_zero_names_the_option(guarded, capsys, solvent):
    assert main(["simulate", "--solvent", solvent, "--model", "sevennet-0", "-o", "run"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--solvent share of" in err and "> 0" in err, err
