"""The shortest thermostat and barostat couplings run_md accepts, measured on a liquid.

MIN_TDAMP_STEPS and MIN_PDAMP_STEPS were measured on EMT copper, a stiff solid. A liquid is
softer: its volume follows the barostat further. Lennard-Jones argon melted at 100 K and
200 bar (5 fs steps): ASE's MTK barostat blows the box apart within a few steps at pdamp of 3
to 5 steps, and its Nosé–Hoover chain at tdamp of one step, as on copper; at the shortest
couplings run_md accepts the liquid keeps its volume and temperature. (The 108-atom scan
behind the constants is in their docstrings.)
"""

import numpy as np
import pytest
from ase import units
from ase.md.langevin import Langevin
from ase.md.nose_hoover_chain import IsotropicMTKNPT, NoseHooverChainNVT
from stopping_argon import StoppingArgon, argon  # noqa: E402

from ase_electrolyte.md import MIN_PDAMP_STEPS, MIN_TDAMP_STEPS

try:  # ASE >= 3.27
    from ase.md.velocitydistribution import thermalize_momenta
except ImportError:
    from ase.md.velocitydistribution import MaxwellBoltzmannDistribution as thermalize_momenta

T = 100.0  # K
P = 200.0  # bar: liquid at 100 K (the model's vapour pressure there is a few bar)
DT = 5.0  # fs


@pytest.fixture(scope="module")
def liquid():
    """32 LJ argon atoms at 1.27 g/cm³, melted at 300 K and brought to 100 K (Langevin)."""
    a = (4 * 39.948 / units._Nav / 1e-24 / 1.27) ** (1 / 3)
    atoms = argon(StoppingArgon())
    atoms.set_cell(atoms.cell * a / 5.26, scale_atoms=True)
    thermalize_momenta(atoms, temperature_K=300, rng=np.random.default_rng(0))
    for temperature, seed in ((300.0, 1), (T, 2)):
        Langevin(atoms, DT * units.fs, temperature_K=temperature, friction=0.02,
                 rng=np.random.default_rng(seed), fixcm=False).run(200)
    return atoms


def _copy(liquid):
    atoms = liquid.copy()
    atoms.set_momenta(liquid.get_momenta())
    atoms.calc = StoppingArgon()
    return atoms


def _run(dyn, atoms, v0, steps):
    """Volumes / v0 and temperatures over ``steps``; ``None`` once the run blows up (NaN or
    non-finite numbers, over 10 T, or the box halved or doubled)."""
    volume, temperature = [], []
    for _ in range(steps):
        try:
            with np.errstate(all="ignore"):
                dyn.run(1)
        except ValueError:  # ASE's own "cannot convert float NaN" or "must be finite"
            return None
        v, t = atoms.get_volume() / v0, atoms.get_temperature()
        if not (np.isfinite(t) and t < 10 * T and 0.5 < v < 2.0):
            return None
        volume.append(v)
        temperature.append(t)
    return np.array(volume), np.array(temperature)


def _npt(atoms, pdamp_steps):
    return IsotropicMTKNPT(atoms, timestep=DT * units.fs, temperature_K=T,
                           pressure_au=P * units.bar, tdamp=100 * DT * units.fs,
                           pdamp=pdamp_steps * DT * units.fs)


def _nvt(atoms, tdamp_steps):
    return NoseHooverChainNVT(atoms, timestep=DT * units.fs, temperature_K=T,
                              tdamp=tdamp_steps * DT * units.fs)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("pdamp_steps", [3.0, 5.0])
def test_the_liquid_blows_apart_at_barostat_couplings_far_below_the_floor(liquid, pdamp_steps):
    atoms = _copy(liquid)
    assert pdamp_steps < MIN_PDAMP_STEPS / 2
    assert _run(_npt(atoms, pdamp_steps), atoms, liquid.get_volume(), 100) is None


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_the_liquid_blows_apart_at_a_thermostat_coupling_of_one_step(liquid):
    atoms = _copy(liquid)
    assert _run(_nvt(atoms, 1.0), atoms, liquid.get_volume(), 100) is None


def test_at_the_shortest_accepted_barostat_coupling_the_liquid_keeps_its_volume(liquid):
    atoms = _copy(liquid)
    run = _run(_npt(atoms, MIN_PDAMP_STEPS), atoms, liquid.get_volume(), 200)
    assert run is not None
    volume, temperature = run
    # 10 barostat times: the box breathes about the liquid's volume (32 atoms: a few %), it
    # neither runs away nor collapses, and the temperature stays a liquid's
    assert np.all(np.abs(volume - 1.0) < 0.25)
    assert np.all(temperature < 3 * T)


def test_at_the_shortest_accepted_thermostat_coupling_the_liquid_holds_its_temperature(liquid):
    atoms = _copy(liquid)
    run = _run(_nvt(atoms, MIN_TDAMP_STEPS), atoms, liquid.get_volume(), 250)
    assert run is not None
    temperature = run[1][50:]  # after 5 thermostat times
    # 10 blocks of 20 steps (2 thermostat times) for the error of the mean; 5 errors: a
    # Student t of 9 degrees of freedom passes it with probability 0.9993
    blocks = temperature.reshape(10, -1).mean(axis=1)
    error = blocks.std(ddof=1) / np.sqrt(len(blocks))
    assert abs(blocks.mean() - T) < 5 * error
