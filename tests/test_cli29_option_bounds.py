"""Numbers the command takes that its library refuses later, or takes in a wrong unit, are
refused as typed, before a trajectory is read or a model loaded.

``diagnose --scales`` took any positive factor and any two distinct floats: 1e308 and
``1,1.0000001`` passed, and the rigid-molecule scan refused them (as ``scales[0]``, or as a
repeat to 6 significant digits, the key of its results) only after the trajectory had been
read. ``analyze --dt`` took any time above 0: a frame spacing written in seconds (2e-15 for
2 fs) was read as 2e-15 ps, every rate 1e15 times too large.
"""

import re
import warnings

import ase
import ase.io
import pytest

from ase_electrolyte.units import MIN_FRAME_SPACING_PS as MIN_DT_PS
from mda_electrolyte.volume_scan import MAX_SCALE


@pytest.fixture
def frames(tmp_path, monkeypatch):
    """A small periodic extxyz file, whose reading fails the test."""
    import electrolyte_cli.arguments as cli_arguments
    import mda_electrolyte.bridge as bridge

    def forbidden(*args, **kwargs):
        raise AssertionError("read the trajectory or loaded a model before refusing")

    monkeypatch.setattr(bridge, "read_ase_frames", forbidden)
    monkeypatch.setattr(bridge, "from_ase", forbidden)
    monkeypatch.setattr(cli_arguments, "make_calculator", forbidden)
    monkeypatch.chdir(tmp_path)
    ase.io.write("frames.extxyz", ase.Atoms("H2", positions=[[0, 0, 0], [0, 0, 0.74]],
                                            cell=[5, 5, 5], pbc=True))
    return tmp_path


def _error(argv, capsys):
    from electrolyte_cli import main

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            status = main(argv)
        except SystemExit as stop:  # argparse's own refusals
            status = stop.code
    err = capsys.readouterr().err
    assert status == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


@pytest.mark.parametrize("scales, said", [
    ("1e308", "--scales factor 1e+308 is above"),
    (f"0.9,{MAX_SCALE * 1.5:g}", f"--scales factor {MAX_SCALE * 1.5:g} is above"),
    ("1,1.0000001", "names a factor twice (to 6 significant digits"),
    ("0.95,1.1,0.950000004", "names a factor twice"),
])
def test_scales_the_scan_refuses_are_refused_before_the_frames(scales, said, frames, capsys):
    err = _error(["diagnose", "frames.extxyz", "--model", "sevennet-0", "--scales", scales,
                  "-o", "out"], capsys)
    assert err.startswith("electrolyte diagnose: error: --scales") and said in err, err
    assert "scales[" not in err  # the option as typed, not the library's keyword
    assert not (frames / "out").exists()


def _reaches_the_frames(argv, capsys):
    """The command passed every check of its options: it went on to read the frames."""
    from electrolyte_cli import main

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        main(argv)
    err = capsys.readouterr().err
    assert "AssertionError: read the trajectory" in err, err


def test_the_largest_scale_the_scan_takes_passes(frames, capsys):
    """MAX_SCALE itself and factors 1e-6 apart are taken: the refusal is the scan's bound,
    not a narrower one."""
    _reaches_the_frames(["diagnose", "frames.extxyz", "--model", "sevennet-0", "-o", "out",
                         "--scales", f"0.9,0.900001,{MAX_SCALE:g}"], capsys)


@pytest.mark.parametrize("dt", ["2e-15", "1e-320", f"{MIN_DT_PS / 2:g}"])
def test_a_frame_spacing_below_any_time_step_is_refused(dt, frames, capsys):
    err = _error(["analyze", "frames.extxyz", "--dt", dt, "-o", "out"], capsys)
    assert err.startswith(f"electrolyte analyze: error: --dt {float(dt):g} ps is below"), err
    assert "in seconds?" in err and "0.002" in err
    assert not (frames / "out").exists()


@pytest.mark.parametrize("dt", [f"{MIN_DT_PS:g}", "0.0005", "0.002", "10"])
def test_frame_spacings_of_md_runs_pass(dt, frames, capsys):
    _reaches_the_frames(["analyze", "frames.extxyz", "--dt", dt, "-o", "out"], capsys)


@pytest.mark.parametrize("argv", [
    ["simulate", "--counts", "EC=3", "--model", "sevennet-0", "--n-atoms"],
    ["simulate", "--counts", "EC=3", "--model", "sevennet-0", "--seed"],
    ["demo", "--n-atoms"],
    ["diagnose", "frames.extxyz", "--model", "sevennet-0", "--max-scan-frames"],
    ["finetune", "frames.extxyz", "--epochs"],
    ["screen", "plan.toml", "--workers"],
    ["select", "frames.extxyz", "--model", "sevennet-0", "-n"],
])
@pytest.mark.parametrize("value, digits", [("1e308", 309), ("-1e40", 41),
                                           (f"0x{'f' * 30}", len(str(16 ** 30 - 1)))])
def test_a_huge_whole_number_is_not_spelled_out(argv, value, digits, frames, capsys):
    """The advice for an exponent or hexadecimal where a whole number is asked spelled the
    number out: 309 digits for 1e308, a line longer than any terminal."""
    err = _error([*argv, value, "-o", "out"], capsys)
    assert "; give" in err and f"({value} is {digits} " in err, err
    assert not re.search(r"\d{20}", err), err


@pytest.mark.parametrize("value, whole", [("1e3", "1000"), ("2.0", "2"), ("0x10", "16")])
def test_a_whole_number_in_another_spelling_is_given_back(value, whole, frames, capsys):
    err = _error(["screen", "plan.toml", "--workers", value, "-o", "out"], capsys)
    assert err.rstrip().endswith(whole) or f"is {whole})" in err, err


_SIM = ["simulate", "--counts", "EC=3", "--model", "sevennet-0"]


@pytest.mark.parametrize("argv, value, advice", [
    (_SIM + ["--temperature"], "300K", "in K: 300"),
    (_SIM + ["--temperature"], "300 K", "in K: 300"),
    (_SIM + ["--production-ps"], "1ns", "in ps: 1000"),
    (_SIM + ["--write-interval-fs"], "0.1 ps", "in fs: 100"),
    (_SIM + ["--pressure"], "1atm", "in bar: 1.01325"),
    (_SIM + ["--density"], "1200 kg/m^3", "in g/cm^3: 1.2"),
    (["analyze", "frames.extxyz", "--dt"], "2fs", "in ps: 0.002"),
    (["diagnose", "frames.extxyz", "--model", "sevennet-0", "--vacuum"], "1nm", "in Å: 10"),
    (_SIM + ["--temperature"], "25C", "in K: 298.15"),
    (_SIM + ["--temperature"], "77F", "in K ('F' is not read)"),
    (_SIM + ["--n-atoms"], "1000atoms", "without a unit ('atoms')"),
])
def test_a_number_typed_with_its_unit_is_given_in_the_options_unit(argv, value, advice,
                                                                   frames, capsys):
    """'300K' was answered 'give a number', which it is to the user who typed it; the number
    is now given in the option's unit, converted by ase_electrolyte.units where it converts
    (checked against the conversion itself)."""
    from ase_electrolyte.units import convert

    err = _error([*argv, value, "-o", "out"], capsys)
    assert err.rstrip().endswith(f"; give the number alone, {advice}"), err
    if value == "1ns":
        assert float(advice.split(": ")[1]) == pytest.approx(convert(1.0, "ns", "ps"))


@pytest.mark.parametrize("value, advice", [("1e3", "without a point or exponent: 1000"),
                                           ("0x10", "in decimal digits (0x10 is 16)"),
                                           ("1e", "give a whole number")])
def test_exponents_and_hexadecimals_are_not_read_as_units(value, advice, frames, capsys):
    err = _error(_SIM + ["--n-atoms", value, "-o", "out"], capsys)
    assert err.rstrip().endswith(advice) and "unit" not in err, err
