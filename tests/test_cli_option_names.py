"""Every option of the ``electrolyte`` subcommands is named as typed, and options that another
makes meaningless are refused, before any box is packed or model loaded.

The library's checks name their keywords (``temperature_K must be ...``, ``dt must be ...``);
the command put the option in front and kept the keyword (``--temperature: temperature_K must
be ...``), and its warnings named the keyword alone (``temperature_K = 25.0 K is far from a
liquid ...``). ``--units`` and ``--concentration`` without ``--salt`` were ignored without a
word (``--units molar`` packed the pure solvent as ``molal`` would), and an NVT production
after an NPT stage of one step (``--equilibration-ps 0.001``) ran at the volume that step
started from, not the mean volume after detected equilibration that the protocol of Ju et
al. (2025) takes.
"""

import warnings

import numpy as np
import pytest

from electrolyte_cli.simulate import MIN_MEAN_VOLUME_SAMPLES, PROTOCOL_FLAGS

_SIM = ["simulate", "--counts", "EC=2", "--model", "sevennet-0", "-q"]


@pytest.fixture
def no_work(monkeypatch):
    """Packing a box or loading a model fails the test: every refusal comes before them."""
    import ase_electrolyte.build
    import electrolyte_cli.arguments as cli_arguments

    def forbidden(*args, **kwargs):
        raise AssertionError("packed a box or loaded a model before refusing")

    monkeypatch.setattr(ase_electrolyte.build, "electrolyte_box", forbidden)
    monkeypatch.setattr(cli_arguments, "make_calculator", forbidden)


def _error(argv, capsys, tmp_path):
    from electrolyte_cli import main

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        status = main(argv + ["-o", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert status == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert not (tmp_path / "run").exists()  # nothing claimed, nothing left behind
    return err


#: A bad value of each protocol option, checked by the library under its keyword.
_BAD = {"--temperature": ["0", "nan", "-5", "inf"], "--pressure": ["nan", "inf"],
        "--relax-fmax": ["0", "nan", "-1"], "--preequilibration-ps": ["-1", "nan", "1e-5"],
        "--equilibration-ps": ["-1", "nan", "1e-5"], "--production-ps": ["0", "-1", "nan"],
        "--write-interval-fs": ["0", "-1", "nan", "inf"]}


def test_every_protocol_option_with_a_keyword_is_covered():
    assert set(_BAD) == set(PROTOCOL_FLAGS.values()) - {"--ensemble"}  # a choice: argparse's


@pytest.mark.parametrize("flag, value", [(f, v) for f, vs in _BAD.items() for v in vs])
def test_a_bad_protocol_value_is_named_by_its_option_only(flag, value, capsys, tmp_path,
                                                          no_work):
    err = _error(_SIM + [flag, value], capsys, tmp_path)
    assert err.startswith(f"electrolyte simulate: error: {flag} "), err
    keyword = next(k for k, f in PROTOCOL_FLAGS.items() if f == flag)
    for other in PROTOCOL_FLAGS:  # no keyword of the library, this one's or another's
        assert other not in err, err
    assert keyword not in err


@pytest.mark.parametrize("argv, flag, said", [
    (["--temperature", "25"], "--temperature", "--temperature 25.0 K is far from a liquid"),
    (["--pressure", "1e5"], "--pressure", "--pressure 100000.0 bar is beyond"),
    (["--write-interval-fs", "15"], "--write-interval-fs",
     "--write-interval-fs 15 fs is not a multiple of the 2 fs time step"),
    (["--production-ps", "0.25", "--write-interval-fs", "100"], "--production-ps",
     "--production-ps 0.25 ps is not a whole number of frame intervals"),
])
def test_a_warning_names_the_option_not_the_keyword(argv, flag, said, tmp_path, monkeypatch):
    """Warnings of the argument checks reach the user as the command's warning lines."""
    import electrolyte_cli.simulate as simulate

    args = __import__("electrolyte_cli").build_parser().parse_args(
        _SIM + argv + ["-o", str(tmp_path / "run")])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        simulate.check_protocol(args if args.pressure is not None
                                else _with_pressure(args))
    messages = [str(w.message) for w in caught]
    assert any(m.startswith(said) for m in messages), messages
    assert not any(k in m for m in messages for k in PROTOCOL_FLAGS), messages


def _with_pressure(args):
    from ase_electrolyte.md import ONE_ATM_BAR

    args.pressure = ONE_ATM_BAR
    return args


def test_a_warning_before_an_error_is_still_shown(tmp_path):
    """A warning of a check that then fails on another option is issued, then the error."""
    import argparse

    from electrolyte_cli.arguments import options_named

    with warnings.catch_warnings(record=True) as caught, pytest.raises(ValueError) as err:
        warnings.simplefilter("always")
        with options_named({"alpha": "--alpha", "beta": "--beta"}):
            warnings.warn("alpha = 3 is unusual", UserWarning, stacklevel=1)
            raise ValueError("beta must be > 0")
    assert str(err.value) == "--beta must be > 0"
    assert [str(w.message) for w in caught] == ["--alpha 3 is unusual"]
    # errors of other kinds, and messages that start with no keyword, pass unchanged
    for error in (ValueError("alphabet soup"), argparse.ArgumentTypeError("alpha x")):
        with pytest.raises(type(error)) as raised, options_named({"alpha": "--alpha"}):
            raise error
        assert raised.value is error


def test_the_ignored_warning_filter_of_the_caller_still_applies():
    from electrolyte_cli.arguments import options_named

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("ignore")
        with options_named({"alpha": "--alpha"}):
            warnings.warn("alpha = 3 is unusual", UserWarning, stacklevel=1)
    assert caught == []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(UserWarning, match="^--alpha 3 is unusual$"), \
                options_named({"alpha": "--alpha"}):
            warnings.warn("alpha = 3 is unusual", UserWarning, stacklevel=1)


@pytest.mark.parametrize("argv, said", [
    (["analyze", "frames.extxyz", "--dt", "0"], "--dt 0: give the time between frames"),
    (["analyze", "frames.extxyz", "--dt", "nan"], "--dt nan: give the time between frames"),
    (["analyze", "frames.extxyz", "--dt", "-1"], "--dt -1: give the time between frames"),
    (["analyze", "frames.extxyz", "--dt", "1e7"], "--dt 1e+07: give the time between frames"),
    (["demo", "--production-ps", "0"], "--production-ps must be"),
    (["demo", "--equilibration-ps", "-1"], "--equilibration-ps must be"),
    (["diagnose", "frames.extxyz", "--model", "sevennet-0", "--vacuum", "-1"], "--vacuum"),
])
def test_time_and_length_options_of_other_subcommands_are_named_as_typed(argv, said, capsys,
                                                                          tmp_path, no_work,
                                                                          monkeypatch):
    import ase
    import ase.io

    monkeypatch.chdir(tmp_path)
    ase.io.write("frames.extxyz", ase.Atoms("H2", positions=[[0, 0, 0], [0, 0, 0.74]],
                                            cell=[5, 5, 5], pbc=True))
    err = _error(argv, capsys, tmp_path)
    assert err.startswith(f"electrolyte {argv[0]}: error: {said}"), err
    for keyword in ("dt must", "production_ps", "equilibration_ps", "vacuum must",
                    "vacuum ="):
        assert keyword not in err, err


@pytest.mark.parametrize("given", [["--units", "molar", "--density", "1.2"],
                                   ["--units", "molal"], ["--concentration", "1"],
                                   ["--concentration", "0"]])
def test_salt_options_without_a_salt_are_refused(given, capsys, tmp_path, no_work):
    argv = ["simulate", "--solvent", "EC:3,EMC:7", "--model", "sevennet-0", "-q", *given]
    err = _error(argv, capsys, tmp_path)
    assert err == (f"electrolyte simulate: error: {given[0]} applies to a --salt, and none "
                   f"is given; give --salt, or leave out {given[0]} for a pure solvent\n"), err


def test_salt_options_with_a_salt_pass_the_checks(tmp_path):
    from electrolyte_cli import build_parser
    from electrolyte_cli.simulate import _check_simulate

    for extra in (["--units", "molal"], ["--units", "molar", "--density", "1.25"], []):
        args = build_parser().parse_args(
            ["simulate", "--solvent", "EC:3,EMC:7", "--salt", "LiPF6", "--concentration", "1",
             "--model", "sevennet-0", "-o", str(tmp_path / "run"), *extra])
        _check_simulate(args)


@pytest.mark.parametrize("given, flag, samples", [
    (["--equilibration-ps", "0.001"], "--equilibration-ps", 1),
    (["--equilibration-ps", "0.02"], "--equilibration-ps", 3),
    (["--equilibration-ps", "0.02", "--ensemble", "nve"], "--equilibration-ps", 3),
    (["--preequilibration-ps", "0.002", "--equilibration-ps", "0"], "--preequilibration-ps",
     1),
    (["--preequilibration-ps", "0", "--equilibration-ps", "0.015"], "--equilibration-ps", 2),
])
def test_an_npt_stage_too_short_for_a_mean_volume_is_refused(given, flag, samples, capsys,
                                                             tmp_path, no_work):
    err = _error(_SIM + ["--production-ps", "0.2", *given], capsys, tmp_path)
    value = given[given.index(flag) + 1]
    assert err.startswith(f"electrolyte simulate: error: {flag} {value}: "), err
    assert f"{samples} volume sample" in err and "give at least 0.03 ps" in err, err


@pytest.mark.parametrize("given", [
    ["--equilibration-ps", "0.03"],
    ["--preequilibration-ps", "0.03", "--equilibration-ps", "0"],
    ["--equilibration-ps", "0.001", "--ensemble", "npt"],  # the production averages its own
    ["--preequilibration-ps", "0", "--equilibration-ps", "0"],  # no NPT stage: said so later
])
def test_an_npt_stage_long_enough_or_not_averaged_passes(given, tmp_path):
    from electrolyte_cli import build_parser
    from electrolyte_cli.simulate import _check_simulate

    args = build_parser().parse_args(_SIM + ["-o", str(tmp_path / "run"), *given])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _check_simulate(args)


def test_the_demo_refuses_a_one_step_equilibration_before_loading(capsys, tmp_path, no_work):
    err = _error(["demo", "--device", "cpu", "--equilibration-ps", "0.001", "-q"], capsys,
                 tmp_path)
    assert err.startswith("electrolyte demo: error: --equilibration-ps 0.001: 1 NPT step "
                          "records 1 volume sample"), err


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("equilibration_ps, averaged", [(0.02, False), (0.03, True)])
def test_the_threshold_is_where_the_protocol_starts_averaging(equilibration_ps, averaged,
                                                               tmp_path):
    """At the shortest accepted stage the NVT production runs at the mean volume of the NPT
    samples after detected equilibration; one sample fewer and no equilibration can be
    detected (the protocol then averages every sample, the unequilibrated start included)."""
    from ase.build import bulk
    from ase.calculators.lj import LennardJones

    from ase_electrolyte.md import protocol_steps, run_protocol
    from ase_electrolyte.trajectory import h5md_series
    from mda_electrolyte.uncertainty import detect_equilibration

    plan = protocol_steps(preequilibration_ps=0, equilibration_ps=equilibration_ps,
                          production_ps=0.004, write_interval_fs=2)["equilibration"]
    assert (plan.steps // plan.observe_interval + 1 >= MIN_MEAN_VOLUME_SAMPLES) == averaged
    atoms = bulk("Ar", "fcc", a=5.26, cubic=True).repeat((2, 2, 2))
    lj = LennardJones(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True)
    run_protocol(atoms, lj, tmp_path, temperature_K=60, preequilibration_ps=0,
                 equilibration_ps=equilibration_ps, production_ps=0.004, write_interval_fs=2,
                 production_ensemble="nvt", progress=False, seed=1)
    _, _, npt = h5md_series(tmp_path / "equilibration.h5md", "volume")
    _, _, nvt = h5md_series(tmp_path / "production.h5md", "volume")
    assert npt.size == plan.steps // plan.observe_interval + 1
    assert np.ptp(nvt) < 1e-9 * nvt[0]  # NVT: one volume
    if averaged:
        mean = float(np.mean(npt[detect_equilibration(npt)[0]:]))
        assert nvt[0] == pytest.approx(mean, rel=1e-12)
        assert nvt[0] != pytest.approx(npt[-1], rel=1e-9)
    else:  # too few samples to detect equilibration: the start is averaged in
        assert npt.size < MIN_MEAN_VOLUME_SAMPLES
        with pytest.raises(ValueError, match=f"at least {MIN_MEAN_VOLUME_SAMPLES} samples"):
            detect_equilibration(npt)
        assert nvt[0] == pytest.approx(np.mean(npt), rel=1e-12)


def test_every_subcommand_help_cites_papers_by_authors_and_year():
    """The methods of each subcommand are cited by authors and year, never by an internal
    label (such as "seed 000")."""
    import re

    from electrolyte_cli import _COMMANDS, build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.choices and "simulate" in a.choices)
    for name in _COMMANDS:
        text = sub.choices[name].format_help()
        assert re.search(r"[A-ZÀ-Ž][\w\u00C0-\u017F]+ et al\. \(?(19|20)\d\d\)?", text), name
        assert not re.search(r"\bseed \d{3}\b", text), name


@pytest.mark.parametrize("text, named", [
    ("dt must be > 0", "--dt must be > 0"),
    ("f.extxyz: dt = 0.5 ps given, but the frames carry their own times: leave dt out, or give "
     "dt = 0.01", "f.extxyz: --dt 0.5 ps given, but the frames carry their own times: leave out "
     "--dt, or give --dt 0.01"),
    ("lammps_units 'si' is not known", "--lammps-units 'si' is not known"),
    ("the dump needs lammps_units for its velocities", "the dump needs --lammps-units for its "
     "velocities"),
    ("out must be a folder", "-o/--output must be a folder"),
    ("give the output folder as out, without checkout", None),  # English words stay words
    ("without a dt", None),
    ("dts = 3", None),
    ("--dt must be given", None),
])
def test_keywords_are_named_as_options_wherever_they_are_identifiers(text, named):
    from electrolyte_cli.arguments import _option_in_front

    flags = {"dt": "--dt", "lammps_units": "--lammps-units", "out": "-o/--output"}
    assert _option_in_front(text, flags) == named


def test_a_dt_the_frames_contradict_is_named_as_typed(capsys, tmp_path):
    import ase
    import ase.io

    from electrolyte_cli import main

    frames = []
    for i in range(6):
        frame = ase.Atoms("H2", positions=[[0, 0, 0], [0, 0, 0.74 + 0.01 * i]], cell=[5, 5, 5],
                          pbc=True)
        frame.info["time_ps"] = 0.01 * i
        frames.append(frame)
    ase.io.write(tmp_path / "timed.extxyz", frames)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        status = main(["analyze", str(tmp_path / "timed.extxyz"), "--dt", "0.5", "-q",
                       "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1, err
    assert "--dt 0.5 ps" in err and "leave out --dt" in err and "give --dt 0.01" in err, err
    assert "dt = " not in err


@pytest.mark.parametrize("n_atoms", ["-5", "0", "30", "71"])
def test_a_demo_box_too_small_names_the_shortest_that_holds_a_pair(n_atoms, capsys, tmp_path,
                                                                    no_work):
    from electrolyte_cli.demo import _demo_counts, min_demo_atoms

    smallest = min_demo_atoms()
    counts = {sp.name: n for sp, n in _demo_counts(smallest).items()}
    assert counts["Li"] == counts["PF6"] == 1  # one pair, with its solvent
    with pytest.raises(ValueError):
        _demo_counts(smallest - 1)
    err = _error(["demo", "--device", "cpu", "--n-atoms", n_atoms, "-q"], capsys, tmp_path)
    assert err == (f"electrolyte demo: error: --n-atoms {n_atoms}: the demo's box (LiPF6 1.0 "
                   f"mol/kg in EC:EMC 3:7) holds at least one ion pair with its solvent, "
                   f"{smallest} atoms or more; give at least {smallest}\n"), err
    assert "n_atoms" not in err and "concentration" not in err  # the demo fixes it


def test_a_device_keyword_in_the_library_reason_is_the_option():
    from electrolyte_cli.arguments import _option_in_front

    assert _option_in_front("device='cuda:7' was asked for but torch sees no CUDA GPU",
                            {"device": "--device"}) == (
        "--device 'cuda:7' was asked for but torch sees no CUDA GPU")
