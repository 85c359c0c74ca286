"""One time-step rule (``units.plausible_timestep_fs``): run_md and the protocol's check doubt a
step by the lightest mass integrated, Verlet's stability scaled as √m from hydrogen's 5 fs.

run_md doubted only steps above 20 fs while the protocol's check doubted 5 fs: 32 hydrogen atoms
run at 10 fs (twice the O–H stretch's stability limit) ran without a word, and argon at 25 fs
(within its own limit) had been doubted by the protocol's rule.
"""

import warnings

import numpy as np
import pytest
from ase import units
from stopping_argon import StoppingArgon, argon

from ase_electrolyte.md import check_protocol_arguments, run_md
from ase_electrolyte.units import plausible_timestep_fs


def _doubts(call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    return [w for w in caught if " is long " in str(w.message)]


def _box(symbol_number, mass):
    atoms = argon(StoppingArgon(), rattle=0.05)
    atoms.numbers[:] = symbol_number
    atoms.set_masses(np.full(len(atoms), mass))
    return atoms


def _run(atoms, dt, hydrogen_mass=None):
    return lambda: run_md(atoms, ensemble="nve", steps=1, timestep_fs=dt, temperature_K=84.0,
                          hydrogen_mass=hydrogen_mass, progress=False)


def test_the_limit_is_verlets_stability_of_the_fastest_hydrogen_vibration():
    # a harmonic O–H stretch (3700 cm⁻¹, reduced mass of H on O) integrated by Verlet: bounded
    # at 2.5 fs, unstable at the doubted 5.5 fs; the rule's 5 fs lies between
    omega = 2 * np.pi * units._c * 370000.0 * 1e-15  # rad/fs

    def amplitude(dt, steps=60):
        x, v = 1.0, 0.0
        for _ in range(steps):
            v -= 0.5 * dt * omega**2 * x
            x += dt * v
            v -= 0.5 * dt * omega**2 * x
        return abs(x)

    limit = plausible_timestep_fs(1.008)
    assert amplitude(0.5 * limit) < 2.0
    assert amplitude(1.1 * limit) > 1e6
    # heavier atoms: ω ∝ 1/√m, so the stable step scales by √m
    assert plausible_timestep_fs(4 * 1.008) == pytest.approx(2 * limit)


@pytest.mark.parametrize("number, mass, hydrogen_mass", [(1, 1.008, None), (1, 1.008, 3.0),
                                                         (18, 39.948, None), (3, 6.94, None)])
def test_run_md_doubts_a_step_just_past_the_lightest_mass_limit_only(tmp_path, number, mass,
                                                                     hydrogen_mass):
    light = mass if hydrogen_mass is None else hydrogen_mass
    limit = plausible_timestep_fs(light)
    below = _doubts(_run(_box(number, mass), 0.95 * limit, hydrogen_mass))
    above = _doubts(_run(_box(number, mass), 1.05 * limit, hydrogen_mass))
    assert below == []
    assert len(above) == 1, [str(w.message) for w in above]
    assert f"{light:g} amu" in str(above[0].message)
    assert "another unit" in str(above[0].message)
    # said to run_md's caller, not from inside the package
    assert above[0].filename == __file__


@pytest.mark.parametrize("dt", [4.0, 8.0, 9.0, 12.0])
def test_the_protocol_check_and_run_md_judge_a_preequilibration_alike(dt):
    # the pre-equilibration with tritium: the protocol's check (before the box exists) and run_md
    # on a hydrogen box at hydrogen_mass = 3 amu agree
    protocol = _doubts(lambda: check_protocol_arguments(
        temperature_K=300.0, preequilibration_timestep_fs=dt, timestep_fs=1.0,
        hydrogen_mass=3.0, write_interval_fs=96.0, observe_interval_fs=dt))
    md = _doubts(_run(_box(1, 1.008), dt, hydrogen_mass=3.0))
    assert len(protocol) == len(md) == int(dt > plausible_timestep_fs(3.0))


def test_a_bad_hydrogen_mass_is_named_before_the_time_step_is_judged():
    with pytest.raises(ValueError, match="hydrogen_mass"):
        check_protocol_arguments(temperature_K=300.0, preequilibration_timestep_fs=2.0,
                                 hydrogen_mass=-3.0)
