"""A time step too long for moving hydrogen is said before the run (run_md and the protocol's
check), by the accuracy of a C–H stretch's integration, not only its stability.

The package doubted a step with hydrogen only above 5 fs (Verlet's stability, the unit-slip
bound of ``units.plausible_timestep_fs``): 3.5-5 fs with hydrogen ran without a word, a C–H
stretch sampled by 2-3 steps per period (the papers use 0.5-1 fs, Ju et al. 2025 2 fs with
tritium).
"""

import warnings

import numpy as np
import pytest
from ase.constraints import FixAtoms
from scipy import constants
from stopping_argon import StoppingArgon, argon

from ase_electrolyte.md import check_protocol_arguments, hydrogen_timestep_fs, run_md
from ase_electrolyte.units import plausible_timestep_fs

_H, _C = 1.008, 12.011


def _said(call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    return [w for w in caught if "steps per period of a C–H stretch" in str(w.message)]


def _hydrogen_box():
    atoms = argon(StoppingArgon(), rattle=0.05)
    atoms.numbers[:] = 1
    atoms.set_masses(np.full(len(atoms), _H))
    return atoms


def _run(atoms, dt, hydrogen_mass=None):
    return lambda: run_md(atoms, ensemble="nve", steps=1, timestep_fs=dt, temperature_K=84.0,
                          hydrogen_mass=hydrogen_mass, progress=False)


@pytest.mark.parametrize("mass", [_H, 2.014, 3.0, 5.0])
def test_the_limit_is_eight_steps_per_period_of_the_ch_stretch(mass):
    # 3000 cm⁻¹ at the real C–H reduced mass; a heavier hydrogen keeps the force constant
    omega_real = 2 * np.pi * constants.c * 3000e2 * 1e-15  # rad/fs
    mu = _C * mass / (_C + mass)
    mu_real = _C * _H / (_C + _H)
    omega = omega_real * np.sqrt(mu_real / mu)
    limit = hydrogen_timestep_fs(None if mass == _H else mass)
    assert 2 * np.pi / (omega * limit) == pytest.approx(8.0, rel=2e-3)
    # within Verlet's stability (ω·dt = 2) and the unit-slip bound it refines
    assert omega * limit < 1.0 and limit < plausible_timestep_fs(mass)


def test_verlets_energy_error_at_the_limit_is_bounded_and_grows_past_it():
    # a harmonic C–H stretch integrated by velocity Verlet: the energy's relative excursion
    # is (ω·dt)²/4 to leading order, 15 % at the limit and 3 times that at 2.4 fs
    omega = 2 * np.pi * constants.c * 3000e2 * 1e-15

    def excursion(dt, steps=400):
        x, v, worst = 1.0, 0.0, 0.0
        for _ in range(steps):
            v -= 0.5 * dt * omega**2 * x
            x += dt * v
            v -= 0.5 * dt * omega**2 * x
            worst = max(worst, abs(0.5 * v**2 + 0.5 * omega**2 * x**2 - 0.5 * omega**2) /
                        (0.5 * omega**2))
        return worst

    limit = hydrogen_timestep_fs()
    assert excursion(limit) == pytest.approx((omega * limit) ** 2 / 4, rel=0.1)
    assert excursion(2.4) > 2.5 * excursion(limit)


@pytest.mark.parametrize("dt, hydrogen_mass, warned", [
    (1.0, None, False), (1.3, None, False), (1.5, None, True), (2.0, None, True),
    (3.5, None, True), (4.9, None, True),
    # Ju et al. 2025's pre-equilibration: 2 fs with tritium; 3 fs with it is too long
    (2.0, 3.0, False), (2.5, 3.0, True), (4.0, 3.0, True),
    # beyond the unit-slip bound: that doubt alone (one warning per step)
    (6.0, None, False),
])
def test_run_md_says_a_step_too_long_for_hydrogen(dt, hydrogen_mass, warned):
    said = _said(_run(_hydrogen_box(), dt, hydrogen_mass))
    assert len(said) == int(warned), [str(w.message) for w in said]
    if warned:
        message = str(said[0].message)
        limit = hydrogen_timestep_fs(hydrogen_mass)
        assert f"timestep_fs = {dt:g} fs" in message
        assert f"≤ {limit:.3g} fs" in message
        # said to run_md's caller
        assert said[0].filename == __file__
        assert ("hydrogen_mass = 3" in message) == (hydrogen_mass is None)


@pytest.mark.parametrize("dt", [2.0, 4.0])
def test_no_moving_hydrogen_no_warning(dt):
    # argon, and hydrogen held by FixAtoms (NVE): no C–H stretch is integrated
    assert _said(_run(argon(StoppingArgon(), rattle=0.05), dt)) == []
    atoms = argon(StoppingArgon(), rattle=0.05)
    atoms.numbers[:8] = 1
    atoms.set_masses(np.where(atoms.numbers == 1, _H, 39.948))
    free = atoms.copy()
    free.calc = atoms.calc
    assert len(_said(_run(free, dt))) == 1
    atoms.set_constraint(FixAtoms(indices=range(8)))
    assert _said(_run(atoms, dt)) == []


@pytest.mark.parametrize("kw, names", [
    ({}, []),
    ({"timestep_fs": 2.0}, ["timestep_fs"]),
    ({"timestep_fs": 4.0}, ["timestep_fs"]),
    ({"preequilibration_timestep_fs": 3.0}, ["preequilibration_timestep_fs"]),
    ({"preequilibration_timestep_fs": 2.0, "hydrogen_mass": None},
     ["preequilibration_timestep_fs"]),
    ({"preequilibration_timestep_fs": 2.5, "timestep_fs": 1.5},
     ["preequilibration_timestep_fs", "timestep_fs"]),
])
def test_the_protocol_check_judges_each_stage_by_its_hydrogen_mass(kw, names):
    said = _said(lambda: check_protocol_arguments(temperature_K=300.0, **kw))
    assert [str(w.message).split(" = ")[0] for w in said] == names
    for w in said:
        assert w.filename == __file__
    # the real-mass stages cannot raise hydrogen's mass: not advised there
    for w in said:
        if str(w.message).startswith("timestep_fs"):
            assert "hydrogen_mass" not in str(w.message)


def test_the_protocol_check_with_a_box_without_hydrogen_says_nothing():
    assert _said(lambda: check_protocol_arguments(
        temperature_K=84.0, timestep_fs=4.0, preequilibration_timestep_fs=4.0,
        atoms=argon(rattle=0.05))) == []
    assert len(_said(lambda: check_protocol_arguments(
        temperature_K=84.0, timestep_fs=4.0, atoms=_hydrogen_box()))) == 1
