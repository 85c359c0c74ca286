"""Thermostat and barostat time constants of a few time steps are refused before any step.

ASE's Nosé–Hoover chain and MTK barostat cannot be integrated with a coupling time of a few
steps: EMT copper at 600 K and 2 fs exploded at step 25 with ``tdamp_fs`` of one step and at
step 383 with 1.7 steps, and flew apart within 4 steps with ``pdamp_fs`` of 10 steps; the
error blamed the time step or the model. Now ``run_md`` (and ``npt_density``, which shares its
checks) refuses them by name before the calculator is called or the trajectory made, and the
shortest accepted couplings run stably at the right temperature.
"""

import numpy as np
import pytest
from ase import units
from ase.build import bulk
from ase.calculators.emt import EMT
from ase.md.nose_hoover_chain import IsotropicMTKNPT, NoseHooverChainNVT
from ase.md.velocitydistribution import MaxwellBoltzmannDistribution, Stationary

from ase_electrolyte.md import MIN_PDAMP_STEPS, MIN_TDAMP_STEPS, run_md

DT = 2.0  # fs
T = 600.0  # K


class _CountingEMT(EMT):
    calls = 0

    def calculate(self, *args, **kwargs):
        type(self).calls += 1
        super().calculate(*args, **kwargs)


def _copper(calc=None):
    atoms = bulk("Cu", "fcc", a=3.6, cubic=True).repeat(2)
    atoms.calc = calc or EMT()
    return atoms


@pytest.mark.parametrize("ensemble, kwargs, name, steps", [
    ("nvt", {"tdamp_fs": 0.5 * DT}, "tdamp_fs", 0.5),
    ("nvt", {"tdamp_fs": (MIN_TDAMP_STEPS - 0.01) * DT}, "tdamp_fs", MIN_TDAMP_STEPS - 0.01),
    ("npt", {"tdamp_fs": DT}, "tdamp_fs", 1),
    ("npt", {"pdamp_fs": 10 * DT}, "pdamp_fs", 10),
    ("npt", {"pdamp_fs": (MIN_PDAMP_STEPS - 0.01) * DT}, "pdamp_fs", MIN_PDAMP_STEPS - 0.01),
])
def test_a_coupling_of_too_few_steps_is_refused_before_any_work(ensemble, kwargs, name, steps,
                                                                tmp_path):
    calc = _CountingEMT()
    _CountingEMT.calls = 0
    path = tmp_path / "md.h5md"
    atoms = _copper(calc)
    before = atoms.copy()
    fewest = MIN_TDAMP_STEPS if name == "tdamp_fs" else MIN_PDAMP_STEPS
    with pytest.raises(ValueError, match=rf"^{name} = [0-9.e+]+ fs is {steps:.4g} time steps "
                                         rf"of {DT:g} fs; .* needs at least {fewest}"):
        run_md(atoms, ensemble=ensemble, steps=100, timestep_fs=DT, temperature_K=T,
               trajectory=path, progress=False, **kwargs)
    assert _CountingEMT.calls == 0
    assert not path.exists() and list(tmp_path.iterdir()) == []
    assert atoms == before


@pytest.mark.parametrize("ensemble, kwargs, named", [
    ("nve", {"tdamp_fs": DT, "pdamp_fs": DT}, "tdamp_fs"),  # neither is used
    ("nvt", {"pdamp_fs": DT}, "pdamp_fs"),  # no barostat
])
def test_a_coupling_the_ensemble_does_not_use_is_refused_not_judged(ensemble, kwargs, named):
    # a coupling time shorter than the time step is not judged against it where the ensemble
    # has no such coupling: it is refused as a setting without effect (it ran silently before)
    with pytest.raises(ValueError, match=rf"^{named} = {DT:g} fs sets the .*would have no "
                                         "effect"):
        run_md(_copper(), ensemble=ensemble, steps=2, timestep_fs=DT, temperature_K=T,
               progress=False, **kwargs)
    out = run_md(_copper(), ensemble=ensemble, steps=2, timestep_fs=DT, temperature_K=T,
                 progress=False)
    assert out.info["step"] == 2


def _ase_explodes(dyn, atoms, steps):
    """Whether ASE's own integrator reaches non-finite or > 10 T temperatures in ``steps``."""
    for _ in range(steps):
        try:
            with np.errstate(all="ignore"):
                dyn.run(1)
        except ValueError:  # ASE's own "cannot convert float NaN" or "must be finite"
            return True
        temperature = atoms.get_temperature()
        if not np.isfinite(temperature) or temperature > 10 * T:
            return True
    return False


def _thermal_copper():
    """Four copper atoms at T (ASE's integrators alone: no run_md, no guards)."""
    atoms = bulk("Cu", "fcc", a=3.6, cubic=True)
    atoms.calc = EMT()
    MaxwellBoltzmannDistribution(atoms, temperature_K=T, rng=np.random.default_rng(0))
    Stationary(atoms)
    return atoms


def _nvt(atoms, tdamp_steps):
    return NoseHooverChainNVT(atoms, timestep=DT * units.fs, temperature_K=T,
                              tdamp=tdamp_steps * DT * units.fs)


def _npt(atoms, pdamp_steps):
    return IsotropicMTKNPT(atoms, timestep=DT * units.fs, temperature_K=T,
                           pressure_au=1.0 * units.bar, tdamp=100 * DT * units.fs,
                           pdamp=pdamp_steps * DT * units.fs)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_the_refused_couplings_are_ones_ases_integrators_cannot_follow():
    atoms = _thermal_copper()
    assert _ase_explodes(_nvt(atoms, 1.0), atoms, 200)
    atoms = _thermal_copper()
    assert _ase_explodes(_npt(atoms, 5.0), atoms, 200)


def test_the_shortest_accepted_couplings_are_integrated_stably(tmp_path):
    atoms = _thermal_copper()
    dyn = _nvt(atoms, MIN_TDAMP_STEPS)
    temperature = []
    for _ in range(400):
        dyn.run(1)
        temperature.append(atoms.get_temperature())
    temperature = np.array(temperature[100:])  # after 20 thermostat times
    assert np.all(np.isfinite(temperature))
    # 10 blocks of 30 steps (3 thermostat times) for the error of the mean; 5 errors: a
    # Student t of 9 degrees of freedom passes it with probability 0.9993
    blocks = temperature.reshape(10, -1).mean(axis=1)
    error = blocks.std(ddof=1) / np.sqrt(len(blocks))
    assert abs(blocks.mean() - T) < 5 * error

    atoms = _thermal_copper()
    v0 = atoms.get_volume()
    dyn = _npt(atoms, MIN_PDAMP_STEPS)
    volume = []
    for _ in range(150):  # 7.5 barostat times
        dyn.run(1)
        volume.append(atoms.get_volume())
        assert atoms.get_temperature() < 10 * T
    # the cell breathes about copper's volume, it does not run away
    assert np.all(np.abs(np.array(volume) / v0 - 1) < 0.25)

    # and run_md takes both
    out = run_md(_copper(), ensemble="npt", steps=2, timestep_fs=DT, temperature_K=T,
                 tdamp_fs=MIN_TDAMP_STEPS * DT, pdamp_fs=MIN_PDAMP_STEPS * DT,
                 trajectory=tmp_path / "npt.h5md", progress=False)
    assert out.info["step"] == 2
