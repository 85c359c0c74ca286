"""Every temperature a command is given goes through one check with one advice.

``simulate --temperature``, ``analyze --temperature``, a screen plan's ``temperatures`` and an
experimental table's ``temperature_K`` column: a value <= 0 is refused with its reading in °C
(``-10 °C = 263.15 K``) before any trajectory is read or box packed, and a value outside a
liquid's 50–6000 K is doubted once, naming what the user typed (never the library's keyword
``temperature_K`` on the command line). ``analyze --temperature -10`` was refused without the
°C reading, its doubt of 20 K named ``temperature_K``, and a plan's ``[298, 25]`` ran 25 K
without a word (only the first temperature's doubts were said).
"""

import math
import warnings

import pytest
from ase.build import molecule

from ase_electrolyte.screen import PlanError, load_plan
from electrolyte_cli import arguments as A
from electrolyte_cli import main


def _celsius_reading(value):
    return f"is it in °C? {value:g} °C = {value + 273.15:g} K"


def _refused(argv, capsys):
    try:
        status = main(argv)
    except SystemExit as stop:
        status = stop.code
    err = capsys.readouterr().err
    assert status == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


@pytest.mark.parametrize("value", [-10.0, 0.0, -40.0])
def test_analyze_and_simulate_tell_a_celsius_reading_before_any_work(value, tmp_path,
                                                                     monkeypatch, capsys):
    import ase.io

    import ase_electrolyte.build as build
    import mda_electrolyte.bridge as bridge

    def forbidden(*args, **kwargs):
        raise AssertionError("expensive work before the temperature's check")

    monkeypatch.setattr(bridge, "from_ase", forbidden)
    monkeypatch.setattr(build, "electrolyte_box", forbidden)
    frames = tmp_path / "frames.extxyz"
    ase.io.write(frames, molecule("H2O", cell=[8.0] * 3, pbc=True))
    said = {}
    said["analyze"] = _refused(["analyze", str(frames), "--dt", "0.01", "--temperature",
                                str(value), "-o", str(tmp_path / "a")], capsys)
    said["simulate"] = _refused(["simulate", "--counts", "EC:2", "--model", "sevennet-0",
                                 "--temperature", str(value), "-o", str(tmp_path / "s")],
                                capsys)
    for command, err in said.items():
        assert "--temperature must be a finite number > 0" in err, (command, err)
        assert _celsius_reading(value) in err, (command, err)
        assert "temperature_K" not in err, (command, err)
    # one check: the same words after the command's name
    assert said["analyze"].split("error: ")[1] == said["simulate"].split("error: ")[1]


@pytest.mark.parametrize("value, hint", [(20.0, "is it in °C?"), (0.5, "k_B·T in eV")])
def test_a_doubted_temperature_is_said_once_naming_the_option(value, hint):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert A.check_temperature(value) == value
        with A.temperature_doubted():
            # the analyses and the box builder repeat the library's doubt: not said again
            from mda_electrolyte.carriers import check_temperature

            check_temperature(value)
            warnings.warn("another doubt", UserWarning)
    said = [str(w.message) for w in caught]
    assert len(said) == 2, said
    assert said[0].startswith(f"--temperature {value} K is far from a liquid's"), said
    assert hint in said[0] and "temperature_K" not in said[0]
    assert said[1] == "another doubt"  # only the temperature's doubt is held back


@pytest.mark.parametrize("value, message", [
    (1e7, "--temperature 1e+07 K is above 100000 K: a plasma"),
    (math.nan, "--temperature must be a finite number > 0, got nan"),
    ("300 K", "give the number alone, in K: 300"),
])
def test_other_temperatures_refused_by_the_same_check(value, message):
    with pytest.raises(ValueError) as err:
        A.check_temperature(value)
    assert message in str(err.value)


def _plan(temperatures):
    return {"temperatures": temperatures, "replicas": 1, "n_atoms": 40, "analyses": [],
            "model": {"name": "sevennet-0"},
            "composition": {"solvent": "EC", "salt": "LiPF6", "concentration": 1.0}}


@pytest.mark.parametrize("value", [-10, 0])
def test_a_plan_temperature_is_told_its_celsius_reading(value):
    with pytest.raises(PlanError) as err:
        load_plan(_plan([298, value]))
    text = str(err.value)
    assert text.startswith("temperatures: each must be a finite number > 0"), text
    assert _celsius_reading(value) in text


def test_every_doubted_plan_temperature_is_said_not_only_the_first():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            load_plan(_plan([298, 25, 0.5]))
        except PlanError:
            pass  # a missing model is refused after the temperatures' checks
    doubts = [str(w.message) for w in caught if "far from a liquid" in str(w.message)]
    assert len(doubts) == 2, doubts
    assert doubts[0].startswith("temperatures: 25.0 K is far") and "°C" in doubts[0]
    assert doubts[1].startswith("temperatures: 0.5 K is far") and "eV" in doubts[1]


def test_an_experimental_row_at_minus_ten_is_told_its_celsius_reading(tmp_path):
    from ase_electrolyte.screen.aggregate import read_experimental

    table = tmp_path / "exp.csv"
    rows = {"-10": _celsius_reading(-10.0), "298 K": "give the number alone, in K: 298"}
    for cell, advice in rows.items():
        table.write_text("solvent,salt,concentration,temperature_K,property,value,unit\n"
                         f"EC,LiPF6,1.0,{cell},density,1.3,g/cm3\n")
        with pytest.raises(PlanError) as err:
            read_experimental(table, [298.0])
        assert "row 1: temperature_K must be a finite number > 0" in str(err.value)
        assert advice in str(err.value)
    table.write_text("solvent,salt,concentration,temperature_K,property,value,unit\n"
                     "EC,LiPF6,1.0,25,density,1.3,g/cm3\n")
    with pytest.warns(UserWarning, match=r"row 1: temperature_K = 25.0 K .*is it in °C"):
        read_experimental(table, [298.0])
