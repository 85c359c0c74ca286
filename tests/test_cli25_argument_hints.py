"""The command's refusals of a mistyped word or number say what was meant, and that advice works.

argparse refused ``electrolyte analyz`` and ``--temprature 300`` naming no near miss (a word
option's refusal names one), and ``--temperature 5,0``, ``--n-atoms 1e3`` or ``0x10`` as an
"invalid float value" without saying what is wrong with it. A positions-only trajectory (XTC,
DCD) was refused with advice to call ``u.atoms.convert_to('ASE')``, a converter MDAnalysis does
not have: the advice is now run here, and its frames compared with the trajectory's.
"""

import argparse

import numpy as np
import pytest

from electrolyte_cli import _COMMANDS, build_parser, main


def _refusal(argv, capsys):
    with pytest.raises(SystemExit) as stop:
        main(argv)
    err = capsys.readouterr().err
    assert stop.value.code == 2 and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize("typed, meant", [("analyz", "analyze"), ("Analyze", "analyze"),
                                          ("simulat", "simulate"), ("SCREEN", "screen"),
                                          ("finetnue", "finetune"), ("dmeo", "demo")])
def test_a_mistyped_subcommand_names_the_one_meant(typed, meant, capsys, tmp_path,
                                                   monkeypatch):
    monkeypatch.chdir(tmp_path)
    err = _refusal([typed, "x"], capsys)
    assert f"did you mean {meant!r}?" in err, err
    assert list(tmp_path.iterdir()) == []


def test_a_word_like_no_subcommand_names_none(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    err = _refusal(["xyzzy"], capsys)
    assert "did you mean" not in err and "invalid choice: 'xyzzy'" in err


def _subparsers():
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices


def _swapped(option):
    """``option`` with two letters in its middle swapped: a typing slip."""
    k = len(option) // 2
    return option[:k] + option[k + 1] + option[k] + option[k + 2:]


def _misspelt_options():
    cases = []
    for command, parser in _subparsers().items():
        for option in parser._option_string_actions:
            if len(option) < 7:
                continue
            slip = _swapped(option)
            if (slip == option or slip in parser._option_string_actions
                    or any(o.startswith(slip) for o in parser._option_string_actions)):
                continue
            cases.append(pytest.param(command, option, slip, id=f"{command} {slip}"))
    return cases


@pytest.mark.parametrize("command, option, slip", _misspelt_options())
@pytest.mark.parametrize("joined", [False, True], ids=["space", "equals"])
def test_a_misspelt_option_names_the_option_meant(command, option, slip, joined, capsys,
                                                  tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    words = [f"{slip}=1"] if joined else [slip, "1"]
    argv = [command, *words]
    with pytest.raises(SystemExit) as stop:
        main(argv)
    err = capsys.readouterr().err
    assert stop.value.code == 2 and err.count("\n") == 1, err
    assert f"{slip}: did you mean {option}?" in err, err


def _number_options():
    for command, parser in _subparsers().items():
        for action in parser._actions:
            if action.option_strings and action.type in (int, float):
                yield command, action.option_strings[-1], action.type


@pytest.mark.parametrize("typed, float_advice, int_advice", [
    ("5,0", "write the decimals with a point: 5.0", "give a whole number: 5"),
    ("2,75", "write the decimals with a point: 2.75", "give a whole number"),
    ("0x10", "give it in decimal digits (0x10 is 16)", "give it in decimal digits (0x10 is 16)"),
    ("1e3", None, "give a whole number without a point or exponent: 1000"),
    ("20.0", None, "give a whole number without a point or exponent: 20"),
    ("1,000", "write 1000 for thousands or 1.000 for decimals", "write 1000 for thousands"),
    ("", "the value is empty: give a number", "the value is empty: give a number"),
])
def test_a_number_python_cannot_read_is_refused_with_what_to_write(typed, float_advice,
                                                                   int_advice, capsys,
                                                                   tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    checked = 0
    for command, option, kind in _number_options():
        advice = float_advice if kind is float else int_advice
        if advice is None:
            continue  # a number the option's type reads (1e3 K)
        err = _refusal([command, f"{option}={typed}"], capsys)
        assert f"{option}: invalid {kind.__name__} value: {typed!r}; " in err, err
        assert advice in err, err
        # the value the advice names is one the option reads
        for word in advice.replace(":", " ").replace("(", " ").split():
            if word[0].isdigit() and not word.startswith("0x"):
                kind(word.rstrip(")"))
        checked += 1
    assert checked >= 5
    assert list(tmp_path.iterdir()) == []


def test_the_advice_for_a_positions_only_trajectory_runs(tmp_path, capsys, monkeypatch):
    """The refusal's Python, run as given, writes the frames with their elements, box and
    times, and the command reads what it wrote."""
    import ase
    import ase.io
    import MDAnalysis

    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(3)
    n_frames, n_atoms = 4, 6
    u = MDAnalysis.Universe.empty(n_atoms, trajectory=True)
    u.add_TopologyAttr("elements", ["O", "H", "H", "O", "H", "H"])
    u.add_TopologyAttr("names", ["OW", "HW1", "HW2", "OW", "HW1", "HW2"])
    u.add_TopologyAttr("resnames", ["SOL"])
    u.dimensions = [9.0, 9.0, 9.0, 90, 90, 90]
    u.atoms.positions = rng.uniform(1, 8, (n_atoms, 3))
    u.atoms.write("topology.pdb")
    expected = []
    with MDAnalysis.Writer("frames.xtc", n_atoms) as writer:
        for k in range(n_frames):
            u.atoms.positions = rng.uniform(1, 8, (n_atoms, 3))
            u.trajectory.ts.time = 0.5 * k
            writer.write(u.atoms)
            expected.append(u.atoms.positions.copy())
    assert main(["analyze", "frames.xtc"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    start = err.index("with MDAnalysis and ASE: ") + len("with MDAnalysis and ASE: ")
    code = err[start:err.index("]))", start) + 2]
    assert "convert_to" not in code and "(Python only)" not in code, code
    exec(code.replace("'topol.tpr'", "'topology.pdb'"), {"MDAnalysis": MDAnalysis, "ase": ase})
    frames = ase.io.read("traj.extxyz", ":")
    assert len(frames) == n_frames
    for k, atoms in enumerate(frames):
        assert atoms.get_chemical_symbols() == ["O", "H", "H", "O", "H", "H"]
        np.testing.assert_allclose(atoms.positions, expected[k], atol=2e-3)  # XTC's 0.01 Å
        np.testing.assert_allclose(atoms.cell.lengths(), 9.0, atol=2e-3)
        assert atoms.pbc.all()
        assert atoms.info["time_ps"] == pytest.approx(0.5 * k, abs=1e-4)
    # the command reads the file it was advised to write (the analyses' own refusals aside)
    from mda_electrolyte.bridge import read_ase_frames

    assert len(read_ase_frames("traj.extxyz")) == n_frames


def test_every_subcommand_is_covered():
    assert set(_subparsers()) == set(_COMMANDS)


@pytest.mark.parametrize("argv", [["--verison"], ["--verison", "analyze", "x"],
                                  ["--helpp"]])
def test_a_misspelt_option_before_the_subcommand_names_the_one_meant(argv, capsys, tmp_path,
                                                                     monkeypatch):
    monkeypatch.chdir(tmp_path)
    err = _refusal(argv, capsys)
    meant = "--version" if argv[0] == "--verison" else "--help"
    assert f"{argv[0]}: did you mean {meant}?" in err, err
