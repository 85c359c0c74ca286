"""A constraint that constrains nothing is no constraint: ``FixAtoms(indices=[])`` (a selection
that came out empty), ``FixCartesian`` or ``FixScaled`` with no direction fixed,
``FixBondLengths([])``, ``FixedLine``/``FixedPlane`` of no atom, ``FixInternals()``.

Before, run_md refused each for NVT and NPT ("ASE's Nosé–Hoover thermostat and MTK barostat do
not support them"), and run_protocol refused the whole protocol, while the same Atoms without it
ran. Now the run is the run without it (the same trajectory, the same record: a file of one is
reused by the other), and the returned Atoms keep the caller's constraint. Constraints that act
(an atom fixed, a direction fixed, a bond, a restraint) keep their treatment: refused for NVT and
NPT before any model evaluation, honoured by NVE.
"""

import warnings

import numpy as np
import pytest
from ase.constraints import (
    FixAtoms,
    FixBondLengths,
    FixCartesian,
    FixCom,
    FixedLine,
    FixedPlane,
    FixInternals,
    FixScaled,
    Hookean,
)
from stopping_argon import StoppingArgon, argon

from ase_electrolyte.md import run_md, run_protocol

_EMPTY = {
    "FixAtoms(indices=[])": lambda n: FixAtoms(indices=[]),
    "FixAtoms(mask=no atom)": lambda n: FixAtoms(mask=[False] * n),
    "FixCartesian(no direction)": lambda n: FixCartesian(0, mask=(False, False, False)),
    "FixCartesian([])": lambda n: FixCartesian([]),
    "FixScaled(no direction)": lambda n: FixScaled(0, mask=(False, False, False)),
    "FixBondLengths([])": lambda n: FixBondLengths([]),
    "FixedLine([])": lambda n: FixedLine([], [0, 0, 1]),
    "FixedPlane([])": lambda n: FixedPlane([], [0, 0, 1]),
    "FixInternals()": lambda n: FixInternals(),
}

_ACTING = {
    "FixAtoms([0])": lambda n: FixAtoms(indices=[0]),
    "FixCartesian(x of atom 0)": lambda n: FixCartesian(0, mask=(True, False, False)),
    "FixBondLengths([[0, 1]])": lambda n: FixBondLengths([[0, 1]]),
    "Hookean(0, 1)": lambda n: Hookean(0, 1, rt=4.0, k=1.0),
    "FixCom()": lambda n: FixCom(),
}


def _box(calc=None):
    return argon(calc or StoppingArgon(), rattle=0.05)


def _md(atoms, ensemble, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # argon's 84 K is not an electrolyte's temperature
        # the pressure only where a barostat holds it (run_md refuses it for NVT)
        pressure = {"pressure_bar": 200.0} if ensemble == "npt" else {}
        return run_md(atoms, ensemble=ensemble, steps=6, timestep_fs=5.0, temperature_K=84.0,
                      progress=False, **pressure, **kw)


@pytest.mark.parametrize("ensemble", ["nvt", "npt"])
@pytest.mark.parametrize("make", _EMPTY.values(), ids=_EMPTY.keys())
def test_a_constraint_of_nothing_runs_as_none(make, ensemble, tmp_path):
    free = _md(_box(), ensemble, trajectory=tmp_path / "free.h5md")
    atoms = _box()
    constraint = make(len(atoms))
    atoms.set_constraint(constraint)
    before = atoms.positions.copy()
    done = _md(atoms, ensemble, trajectory=tmp_path / "empty.h5md")
    # the integrators saw no constraint: the unconstrained trajectory, bit for bit
    np.testing.assert_array_equal(done.positions, free.positions)
    np.testing.assert_array_equal(done.get_velocities(), free.get_velocities())
    np.testing.assert_array_equal(done.cell.array, free.cell.array)
    # the caller's Atoms are untouched and the result carries the caller's constraint
    np.testing.assert_array_equal(atoms.positions, before)
    assert [type(c) for c in atoms.constraints] == [type(constraint)]
    assert [type(c) for c in done.constraints] == [type(constraint)]
    assert done.constraints[0] is not constraint
    # one run: the file written with it is the unconstrained run's, reused without a step
    calc = StoppingArgon()
    again = _md(_box(calc), ensemble, trajectory=tmp_path / "empty.h5md")
    assert calc.calls == 0
    np.testing.assert_array_equal(again.positions, free.positions)


@pytest.mark.parametrize("ensemble", ["nvt", "npt"])
@pytest.mark.parametrize("make", _ACTING.values(), ids=_ACTING.keys())
def test_a_constraint_that_acts_is_still_refused_by_the_thermostat(make, ensemble):
    calc = StoppingArgon()
    atoms = _box(calc)
    atoms.set_constraint([FixAtoms(indices=[]), make(len(atoms))])
    with pytest.raises(ValueError, match="cannot run with constraints") as err:
        _md(atoms, ensemble)
    assert calc.calls == 0
    # the empty one is not named among those that keep the run from starting
    named = str(err.value).split("constraints (", 1)[1].split(")", 1)[0]
    assert named == type(atoms.constraints[1]).__name__


def test_a_fixed_atom_is_still_honoured_in_nve():
    atoms = _box()
    atoms.set_constraint([FixAtoms(indices=[]), FixAtoms(indices=[3])])
    start = atoms.positions[3].copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        done = run_md(atoms, ensemble="nve", steps=6, timestep_fs=5.0, temperature_K=84.0,
                      progress=False)
    np.testing.assert_array_equal(done.positions[3], start)
    assert np.abs(done.positions - atoms.positions).max() > 1e-4  # the others moved


_PROTOCOL = dict(temperature_K=84.0, pressure_bar=200.0, preequilibration_ps=0.03,
                 equilibration_ps=0.03, production_ps=0.03, preequilibration_timestep_fs=5.0,
                 timestep_fs=5.0, write_interval_fs=15.0, observe_interval_fs=5.0,
                 hydrogen_mass=None, progress=False)


def _protocol(atoms, folder):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run_protocol(atoms, atoms.calc, folder, **_PROTOCOL)


def test_the_protocol_runs_with_an_empty_fix_atoms_as_without(tmp_path):
    free = _protocol(_box(), tmp_path / "free")
    atoms = _box()
    atoms.set_constraint(FixAtoms(indices=[]))
    done = _protocol(atoms, tmp_path / "empty")
    np.testing.assert_array_equal(done.atoms.positions, free.atoms.positions)
    assert done.density.value == free.density.value
    assert [type(c) for c in done.atoms.constraints] == [FixAtoms]
    # the folder holds the unconstrained run: reused by it, no model evaluation
    calc = StoppingArgon()
    again = _protocol(_box(calc), tmp_path / "empty")
    assert calc.calls == 0
    np.testing.assert_array_equal(again.atoms.positions, free.atoms.positions)


def test_the_protocol_still_refuses_a_fixed_atom_naming_what_it_can_run(tmp_path):
    calc = StoppingArgon()
    atoms = _box(calc)
    atoms.set_constraint(FixAtoms(indices=[0]))
    with pytest.raises(ValueError, match="cannot run with constraints") as err:
        _protocol(atoms, tmp_path / "run")
    assert calc.calls == 0
    # what the protocol's caller can run instead, in its own arguments (not run_md's "run NVE")
    for words in ("production_ensemble='nve'", "preequilibration_ps=0", "equilibration_ps=0"):
        assert words in str(err.value)
