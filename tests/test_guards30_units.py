"""A number in the wrong unit is refused or doubted by one rule, in Python and on the command line.

- ``check_density`` took any density above 0: ``1e-320`` g/cm³ passed, to a warning and "a inf Å
  box ... needs inf PACKMOL cells"; it is now refused below ``MIN_DENSITY`` as another unit,
  by the library, a screening plan and ``electrolyte simulate --density`` alike.
- ``from_ase(dt=2e-15)`` took a frame spacing in seconds (every rate 1e15 times off) while
  ``electrolyte analyze --dt`` refused below its own 1e-6 ps and the transport analyses below
  1e-5 ps; one bound, ``units.MIN_FRAME_SPACING_PS``, now serves all three.
- ``"300 K"`` for a number was told the number to give by the command line only; Python's
  number check (``run_md``, the protocol's checks) and a plan's fields said "must be a finite
  number, got '300 K'".
- A time step in ps given to an ``_fs`` argument (0.002 for 2 fs) ran 1000 times more steps
  without a word.
"""

import re
import warnings

import pytest
from ase import Atoms

import electrolyte_cli
from ase_electrolyte.build import MIN_DENSITY, check_density, composition_counts
from ase_electrolyte.md import check_protocol_arguments
from ase_electrolyte.screen.plan import PlanError, load_plan
from ase_electrolyte.units import (
    MIN_FRAME_SPACING_PS,
    MIN_PLAUSIBLE_TIMESTEP_FS,
    convert,
    warn_implausible,
)
from mda_electrolyte import from_ase
from mda_electrolyte.correlation import check_frame_spacing

_PLAN = {"composition": [{"solvent": "EC", "salt": "LiPF6", "concentration": 1.0}],
         "model": {"name": "sevennet-0"}}
_SIM = ["simulate", "--solvent", "EC:3,EMC:7", "--salt", "LiPF6", "--concentration", "1",
        "--model", "sevennet-0"]


def _cli_error(argv, capsys, tmp_path):
    try:
        code = electrolyte_cli.main([*argv, "-o", str(tmp_path / "out")])
    except SystemExit as done:  # argparse's refusal of a value it cannot read
        code = done.code
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and not (tmp_path / "out").exists(), (code, err)
    assert not any("Traceback" in line for line in err), err
    return err[-1]


@pytest.mark.parametrize("density", [1e-320, 1e-24, MIN_DENSITY / 2])
def test_a_density_thinner_than_any_gas_is_refused_alike_everywhere(density, capsys, tmp_path):
    with pytest.raises(ValueError, match=f"= {density!r} is thinner than any gas") as library:
        check_density(density)
    assert "another unit" in str(library.value)
    # the builder's composition step, a plan and the command refuse it with the same sentence
    with pytest.raises(ValueError, match="thinner than any gas"):
        composition_counts({"EC": 1.0}, "LiPF6", 1.0, units="molar", n_atoms=200,
                           density=density)
    with pytest.raises(PlanError, match="thinner than any gas"):
        load_plan({**_PLAN, "density": density})
    line = _cli_error([*_SIM, "--density", repr(density)], capsys, tmp_path)
    assert line.startswith("electrolyte simulate: error: --density (g/cm³) = ")
    assert "thinner than any gas" in line and "inf" not in line


def test_the_thinnest_density_taken_gives_a_finite_box():
    """MIN_DENSITY itself, and air's 0.0012 g/cm³, are taken (a gas, with the doubt only)."""
    assert check_density(MIN_DENSITY) == MIN_DENSITY
    with pytest.warns(UserWarning, match="a box packed this thin is a gas"):
        counts = composition_counts({"EC": 1.0}, "LiPF6", 0.001, units="molar", n_atoms=100,
                                    density=0.0012)
    assert sum(counts.values()) > 0


def _two_frames():
    atoms = Atoms("H2", positions=[[0, 0, 0], [0, 0, 0.74]], cell=[6, 6, 6], pbc=True)
    return [atoms, atoms.copy()]


@pytest.mark.parametrize("factor, taken", [(0.5, False), (1.0, True), (2.0, True)])
def test_one_frame_spacing_bound_for_from_ase_the_analyses_and_the_cli(factor, taken, capsys,
                                                                      tmp_path, monkeypatch):
    """from_ase, the analyses' check and ``analyze --dt`` take and refuse the same spacings."""
    dt = MIN_FRAME_SPACING_PS * factor
    outcomes = []
    try:
        u = from_ase(_two_frames(), dt=dt)
        assert u.trajectory.dt == pytest.approx(dt)
        outcomes.append(True)
    except ValueError as err:
        assert "shorter than any MD time step" in str(err)
        outcomes.append(False)
    try:
        check_frame_spacing(dt)
        outcomes.append(True)
    except ValueError:
        outcomes.append(False)
    import ase.io

    import mda_electrolyte.bridge as bridge

    class Reached(Exception):
        pass

    def reached(*args, **kwargs):
        raise Reached

    monkeypatch.setattr(bridge, "from_ase", reached)
    monkeypatch.setattr(bridge, "read_ase_frames", reached)
    ase.io.write(tmp_path / "f.extxyz", _two_frames())
    try:
        code = electrolyte_cli.main(["analyze", str(tmp_path / "f.extxyz"), "--dt", repr(dt),
                                     "-o", str(tmp_path / "out")])
        outcomes.append(code != 2)
    except Reached:
        outcomes.append(True)
    capsys.readouterr()
    assert outcomes == [taken] * 3


def test_a_spacing_in_seconds_is_refused_by_from_ase():
    with pytest.raises(ValueError, match=r"dt \(ps\) = 2e-15 ps is shorter"):
        from_ase(_two_frames(), dt=2e-15)
    # and a spacing typed with its unit is told its number in ps, as analyze --dt 2fs is
    with pytest.raises(ValueError, match=r"in ps: 0\.002$"):
        from_ase(_two_frames(), dt="2 fs")


@pytest.mark.parametrize("given, unit", [("1 ns", "ps"), ("2fs", "ps"), ("100 fs", "ps")])
def test_a_time_typed_with_its_unit_is_told_alike_in_python_plans_and_the_cli(
        given, unit, capsys, tmp_path):
    meant = convert(float(given.rstrip("nsf ")), given.lstrip("0123456789. "), unit)
    advice = f"; give the number alone, in {unit}: {meant:g}"
    with pytest.raises(ValueError) as python:
        check_protocol_arguments(temperature_K=300.0, production_ps=given)
    with pytest.raises(PlanError) as plan:
        load_plan({**_PLAN, "protocol": {"production_ps": given}})
    line = _cli_error([*_SIM, "--production-ps", given], capsys, tmp_path)
    for said in (str(python.value), str(plan.value), line):
        assert said.endswith(advice), said
        assert given in said


@pytest.mark.parametrize("given, advice", [
    ("300 K", "in K: 300"), ("300K", "in K: 300"), ("25 °C", "in K: 298.15"),
    ("25C", "in K: 298.15"), ("0.0259 eV", "in K ('eV' is not read)"),
    ("300", "give it as a number, not as text: 300"), ("nan", None), ("1e999 K", None)])
def test_a_temperature_as_text_names_the_number_to_give(given, advice):
    if advice is None:  # no finite number to give back: the bare refusal
        with pytest.raises(ValueError, match=re.escape(f"got {given!r}") + "$"):
            check_protocol_arguments(temperature_K=given)
        return
    with pytest.raises(ValueError, match=re.escape(advice) + "$"):
        check_protocol_arguments(temperature_K=given)
    with pytest.raises(PlanError, match=re.escape(advice) + "$"):
        load_plan({**_PLAN, "temperatures": [given]})


@pytest.mark.parametrize("pressure, advice", [("1 atm", "in bar: 1.01325"),
                                              ("101325 Pa", "in bar: 1.01325")])
def test_a_pressure_with_its_unit_is_converted_to_bar(pressure, advice):
    with pytest.raises(ValueError, match=re.escape(advice) + "$"):
        check_protocol_arguments(temperature_K=300.0, pressure_bar=pressure)


@pytest.mark.parametrize("step_fs, doubted", [(0.001, True), (0.005, True),
                                              (MIN_PLAUSIBLE_TIMESTEP_FS, False), (0.1, False),
                                              (1.0, False)])
def test_a_time_step_in_ps_is_doubted(step_fs, doubted):
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        warn_implausible(timestep_fs=step_fs, timestep_name="timestep_fs")
        check_protocol_arguments(temperature_K=300.0, timestep_fs=step_fs)
    short = [str(w.message) for w in said if "is it in ps?" in str(w.message)]
    assert len(short) == (2 if doubted else 0), short
    if doubted:
        assert f"{step_fs:g} ps = {step_fs * 1000:g} fs" in short[0]


@pytest.mark.parametrize("name, value, bounds, reading", [
    ("tolerance (Å)", 0.2, {"minimum": 0.5}, ("nm", "Å")),
    ("write_interval_fs", 5e9, {"above": 0, "maximum": 1e6}, None),
    ("production_ps", 5e7, {"maximum": 1e6}, ("fs", "ps")),
    ("cutoff (Å)", -3.0, {"above": 0}, None),
])
def test_a_number_out_of_bounds_is_told_the_unit_that_brings_it_in(name, value, bounds,
                                                                    reading):
    from ase_electrolyte.atoms_checks import check_number

    with pytest.raises(ValueError) as refused:
        check_number(name, value, **bounds)
    said = str(refused.value)
    if reading is None:
        assert "is it in" not in said, said
        return
    other, unit = reading
    meant = convert(value, other, unit)
    assert said.endswith(f"; is it in {other}? {value:g} {other} = {meant:g} {unit}"), said
    # the reading offered is one the check takes
    assert check_number(name, meant, **bounds) == pytest.approx(meant)


def test_a_box_tolerance_in_nm_is_told_in_angstrom():
    from ase_electrolyte.build import electrolyte_box

    with pytest.raises(ValueError, match=r"is it in nm\? 0\.2 nm = 2 Å$"):
        electrolyte_box({"EC": 1.0}, None, 0.0, n_atoms=100, tolerance=0.2)


@pytest.mark.filterwarnings("ignore:molecules")
def test_the_default_lammps_units_in_another_case_are_the_default():
    """lammps_units="METAL" without a dump was refused as an option given without its dump,
    while "metal" passed: the same word in another case."""
    atoms = _two_frames()[0]
    plain = from_ase(atoms)
    upper = from_ase(atoms, lammps_units=" METAL ")
    assert (upper.atoms.positions == plain.atoms.positions).all()
    with pytest.raises(ValueError, match="given without dump="):
        from_ase(atoms, lammps_units="real")


@pytest.mark.parametrize("celsius", [-10.0, 0.0])
def test_a_temperature_in_celsius_refused_in_kelvin_is_told_its_reading(celsius, capsys,
                                                                         tmp_path):
    from mda_electrolyte.carriers import check_temperature

    kelvin = convert(celsius, "K", "K") + 273.15
    told = f"; is it in °C? {celsius:g} °C = {kelvin:g} K"
    for check in (lambda: check_protocol_arguments(temperature_K=celsius),
                  lambda: check_temperature(celsius)):
        with pytest.raises(ValueError, match=re.escape(told) + "$"):
            check()
    line = _cli_error(["simulate", "--counts", "EC=3", "--model", "sevennet-0",
                       "--temperature", f"{celsius:g}"], capsys, tmp_path)
    assert line.startswith("electrolyte simulate: error: --temperature") and line.endswith(told)


@pytest.mark.parametrize("name, given, advice", [
    ("rdf_smoothing (a width in Å)", "0.1 nm", "in Å: 1"),
    ("hydrogen_mass (amu)", "3 amu", "in amu: 3"),
    ("charges['Li'] (e per ion)", "+1 e", "in e: 1"),
    ("x: concentration (molal)", "1 M", "in mol/kg ('M' is not read)"),
    ("n_atoms (atoms with mass)", "100 atoms", "without a unit ('atoms')"),
])
def test_the_unit_is_read_from_the_arguments_description(name, given, advice):
    from ase_electrolyte.atoms_checks import check_number

    with pytest.raises(ValueError, match=re.escape(f"; give the number alone, {advice}") + "$"):
        check_number(name, given)


def test_a_solvent_named_alone_is_read_alike_by_the_cli_and_the_library():
    """``--solvent EC`` was refused ("expected NAME:NUMBER") where electrolyte_box("EC") and a
    plan's solvent = "EC" take pure EC; a count without its number stays refused."""
    import argparse

    from electrolyte_cli.arguments import parse_mapping

    assert parse_mapping("EC", "--solvent") == {"EC": 1.0}
    assert parse_mapping("EC,EMC", "--solvent") == parse_mapping("EC:1,EMC:1", "--solvent")
    assert (composition_counts(parse_mapping("EC", "--solvent"), None, 0.0, n_atoms=200)
            == composition_counts("EC", None, 0.0, n_atoms=200))
    with pytest.raises(argparse.ArgumentTypeError, match="expected NAME=NUMBER"):
        parse_mapping("EC", "--counts")
    with pytest.raises(argparse.ArgumentTypeError, match="gives the share of EC but not of EMC"):
        parse_mapping("EC:3,EMC", "--solvent")


@pytest.mark.parametrize("spelled", [float, int, lambda x: __import__("numpy").array(x),
                                     lambda x: __import__("numpy").float32(x)])
def test_a_density_in_kg_per_m3_is_told_alike_whatever_number_type_holds_it(spelled):
    """np.array(1200.0) got the bare bound while 1200 got its kg/m³ reading."""
    with pytest.raises(ValueError, match=r"is it in kg/m³\? 1200 kg/m³ = 1\.2 g/cm³; pass 1\.2$"):
        check_density(spelled(1200))
