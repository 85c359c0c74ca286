"""run_protocol doubts its time steps by the box's lightest atom, as run_md does
(``units.plausible_timestep_fs``): it judged every box as if its lightest atom were hydrogen, so
argon at 6 fs (its limit is 31 fs) was doubted by the protocol and not by run_md."""

import warnings

import numpy as np
import pytest
from stopping_argon import StoppingArgon, argon

from ase_electrolyte.md import run_md, run_protocol
from ase_electrolyte.units import plausible_timestep_fs


def _doubts(call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            call()
        except KeyboardInterrupt:  # the model stops at its first evaluation: no work done
            pass
    return [str(w.message) for w in caught if " is long " in str(w.message)]


def _box(number, mass):
    atoms = argon(rattle=0.05)
    atoms.numbers[:] = number
    atoms.set_masses(np.full(len(atoms), mass))
    return atoms


def _protocol(atoms, tmp_path, *, pre_dt, dt, hydrogen_mass=3.0):
    return lambda: run_protocol(
        atoms, StoppingArgon(stop_at=1), tmp_path, temperature_K=84.0,
        preequilibration_ps=0.12, equilibration_ps=0, production_ps=0.12,
        preequilibration_timestep_fs=pre_dt, timestep_fs=dt, hydrogen_mass=hydrogen_mass,
        write_interval_fs=12.0, observe_interval_fs=12.0, progress=False)


def _run_md(atoms, dt, hydrogen_mass=None):
    stopping = atoms.copy()
    stopping.calc = StoppingArgon(stop_at=1)
    return lambda: run_md(stopping, ensemble="nve", steps=2, timestep_fs=dt,
                          temperature_K=84.0, hydrogen_mass=hydrogen_mass, progress=False)


@pytest.mark.parametrize("dt", [6.0, 12.0, 25.0])
def test_argon_within_its_limit_is_not_doubted_by_the_protocol(tmp_path, dt):
    assert dt < plausible_timestep_fs(39.948)
    assert _doubts(_protocol(_box(18, 39.948), tmp_path, pre_dt=dt, dt=dt)) == []


@pytest.mark.parametrize("pre_dt, dt", [(4.0, 10.0), (9.0, 4.0), (9.0, 10.0), (8.0, 4.0)])
def test_a_hydrogen_box_is_judged_by_the_protocol_as_run_md_judges_each_stage(tmp_path, pre_dt,
                                                                               dt):
    box = _box(1, 1.008)
    protocol = _doubts(_protocol(box, tmp_path, pre_dt=pre_dt, dt=dt))
    stages = (_doubts(_run_md(box, pre_dt, hydrogen_mass=3.0)) + _doubts(_run_md(box, dt)))
    assert len(protocol) == len(stages) == (pre_dt > plausible_timestep_fs(3.0)) + (
        dt > plausible_timestep_fs(1.008))
    # each doubt names its argument
    assert ("preequilibration_timestep_fs" in " ".join(protocol)) == (
        pre_dt > plausible_timestep_fs(3.0))
