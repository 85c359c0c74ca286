"""A thermostat or barostat time constant longer than the whole run is said before the run.

ASE's Nosé–Hoover chain (mass Q = N_f·k_B·T·τ²) corrects about (t/τ)² of a deviation by a
time t: ``tdamp_fs=1e12`` (and any τ beyond the run) ran an NVT run that was NVE, recorded as
NVT, without a word.
"""

import warnings

import numpy as np
import pytest
from ase.md.velocitydistribution import Stationary, thermalize_momenta
from stopping_argon import StoppingArgon, argon

from ase_electrolyte.md import MAX_DAMPING_FS, run_md


def _said(call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = call()
    return out, [w for w in caught if "longer than the whole run" in str(w.message)]


def _start(temperature_K=84.0):
    atoms = argon(StoppingArgon(), rattle=0.05)
    thermalize_momenta(atoms, temperature_K=temperature_K, rng=np.random.default_rng(4))
    Stationary(atoms)
    return atoms


@pytest.mark.parametrize("ensemble, kw, name, without", [
    ("nvt", dict(tdamp_fs=101.0), "tdamp_fs", "NVE in all but name"),
    ("nvt", dict(tdamp_fs=MAX_DAMPING_FS), "tdamp_fs", "NVE in all but name"),
    ("npt", dict(tdamp_fs=500.0, pdamp_fs=101.0), "pdamp_fs", "NVT in all but name"),
    ("npt", dict(tdamp_fs=101.0, pdamp_fs=100.0), "tdamp_fs", "NPH (no thermostat)"),
])
def test_a_coupling_longer_than_the_run_is_said(ensemble, kw, name, without):
    # 20 steps of 5 fs: 100 fs
    _, said = _said(lambda: run_md(_start(), ensemble=ensemble, steps=20, timestep_fs=5.0,
                                   temperature_K=84.0, progress=False, **kw))
    said = [w for w in said if str(w.message).startswith(name)]
    assert len(said) == 1
    message = str(said[0].message)
    assert "(20 steps of 5 fs, 100 fs)" in message and without in message
    assert f"give {name} ≤ 100 fs" in message
    assert said[0].filename == __file__


@pytest.mark.parametrize("ensemble, kw", [
    ("nvt", dict(tdamp_fs=100.0)),             # as long as the run
    ("nvt", {}),                               # the default is no choice
    ("npt", dict(tdamp_fs=60.0, pdamp_fs=100.0)),
    ("nve", {}),
])
def test_couplings_within_the_run_are_not_said(ensemble, kw):
    _, said = _said(lambda: run_md(_start(), ensemble=ensemble, steps=20, timestep_fs=5.0,
                                   temperature_K=84.0, progress=False, **kw))
    assert said == []


def test_a_thermostat_far_longer_than_the_run_leaves_it_nve():
    # the warning's physics: with τ a hundred times the run, the NVT trajectory is the NVE one
    # to (t/τ)² = 1e-4 of the motion; with τ a fifth of the run, the thermostat acts
    def run(ensemble, **kw):
        start = _start(temperature_K=150.0)  # hotter than the target: a gap to correct
        return run_md(start, ensemble=ensemble, steps=40, timestep_fs=5.0,
                      temperature_K=84.0 if ensemble == "nvt" else None, progress=False, **kw)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nve = run("nve")
        slow = run("nvt", tdamp_fs=100 * 200.0)
        acting = run("nvt", tdamp_fs=50.0)
    moved = np.abs(nve.positions - _start().positions).max()
    assert np.abs(slow.positions - nve.positions).max() < 1e-3 * moved
    assert np.abs(acting.positions - nve.positions).max() > 1e-2 * moved
    assert abs(slow.get_kinetic_energy() / nve.get_kinetic_energy() - 1) < 1e-3
