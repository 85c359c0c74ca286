"""Velocities given to run_md: kept as the first frame, refused when their centre of mass drifts.

A Nosé–Hoover thermostat holds the total kinetic energy at its target and every frame's
temperature counts a centre-of-mass drift as heat: 32 argon atoms given 60 K of thermal
velocities plus a drift of the thermal speed ran NVT at a recorded 58–60 K while their motion
about the centre of mass cooled to 21 K. Such velocities are now refused before any model
evaluation; velocities whose centre of mass moves only thermally are kept as they are.
"""

import warnings

import numpy as np
import pytest
from ase import units
from ase.build import bulk
from ase.calculators.lj import LennardJones
from ase.md.velocitydistribution import Stationary

try:  # ASE >= 3.29
    from ase.md.velocitydistribution import thermalize_momenta
except ImportError:  # pragma: no cover - older ASE
    from ase.md.velocitydistribution import MaxwellBoltzmannDistribution as thermalize_momenta

from ase_electrolyte.md import _MAX_DRIFT_KT, _check_drift, _kinetic_temperature, run_md
from ase_electrolyte.trajectory import read_h5md

_T = 60.0


class _CountingLJ(LennardJones):
    calls = 0

    def calculate(self, *args, **kwargs):
        type(self).calls += 1
        super().calculate(*args, **kwargs)


def _argon(seed=1, drift=0.0, stationary=True):
    atoms = bulk("Ar", "fcc", a=5.26, cubic=True).repeat((2, 2, 2))
    atoms.rattle(0.05, seed=3)
    atoms.calc = _CountingLJ(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True)
    thermalize_momenta(atoms, temperature_K=_T, rng=np.random.default_rng(seed))
    if stationary:
        Stationary(atoms)
    thermal_speed = np.sqrt(3 * units.kB * _T / atoms.get_masses()[0])
    atoms.set_velocities(atoms.get_velocities() + drift * thermal_speed * np.array([1, 0, 0]))
    return atoms


def _drift_kt(atoms, temperature_K):
    p = atoms.get_momenta().sum(axis=0)
    return float(p @ p) / (2 * atoms.get_masses().sum()) / (units.kB * temperature_K)


@pytest.mark.parametrize("ensemble", ["nve", "nvt", "npt"])
def test_velocities_with_a_drift_are_refused_before_any_evaluation(ensemble, tmp_path):
    atoms = _argon(drift=1.0)
    before = atoms.get_velocities().copy()
    # a drift of the thermal speed: the centre of mass carries N × 3/2 kT = 48 kT at 60 K,
    # measured against the higher of the target and the velocities' own temperature about
    # their centre of mass (the drift is no heat: run_md's recorded temperature)
    assert _drift_kt(atoms, _T) == pytest.approx(1.5 * len(atoms), rel=1e-9)
    internal = _kinetic_temperature(atoms)
    assert internal < atoms.get_temperature()
    ref = max(_T, internal)
    expected = f"a kinetic energy of {_drift_kt(atoms, ref):.3g} kT at {ref:.4g} K"
    _CountingLJ.calls = 0
    with pytest.raises(ValueError, match=r"centre-of-mass drift of 1\.9\d Å/ps, "
                                         f"{expected}.*Stationary"):
        run_md(atoms, ensemble=ensemble, steps=4, timestep_fs=2.0, temperature_K=_T,
               trajectory=tmp_path / "md.h5md", progress=False)
    assert _CountingLJ.calls == 0 and not list(tmp_path.iterdir())
    np.testing.assert_array_equal(atoms.get_velocities(), before)


def test_a_rigid_translation_in_nve_without_a_temperature_is_refused():
    atoms = _argon()
    atoms.set_velocities(np.tile([0.01, 0.0, 0.0], (len(atoms), 1)))
    # every bit of kinetic energy is drift: no motion about the centre of mass, no heat
    assert _kinetic_temperature(atoms) == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(ValueError, match=r"all of the kinetic energy \(0\.\d+ eV\), with no "):
        run_md(atoms, ensemble="nve", steps=2, timestep_fs=2.0, progress=False)


def test_the_threshold_is_far_in_the_tail_of_thermal_drift():
    """Independent Maxwell–Boltzmann velocities: the centre of mass holds 3/2 kT on average
    (a chi-square of 3 degrees of freedom, kT/2 each); none of 2000 draws comes near the
    threshold, and a drift just above it is refused."""
    atoms = _argon()
    kts = []
    for seed in range(2000):
        thermalize_momenta(atoms, temperature_K=_T, rng=np.random.default_rng(seed))
        kts.append(_drift_kt(atoms, _T))
        _check_drift(atoms, _T)
    kts = np.array(kts)
    # mean 1.5, standard deviation of the mean sqrt(1.5)/sqrt(2000) = 0.027
    assert abs(kts.mean() - 1.5) < 4 * np.sqrt(1.5 / len(kts))
    assert kts.max() < _MAX_DRIFT_KT
    # against a target (600 K) above the velocities' own temperature, which stays the reference
    target = 10 * _T
    Stationary(atoms)
    mass = atoms.get_masses().sum()
    speed = np.sqrt(2 * 1.01 * _MAX_DRIFT_KT * units.kB * target / mass)
    atoms.set_velocities(atoms.get_velocities() + [speed, 0.0, 0.0])
    assert _kinetic_temperature(atoms) < target
    assert _drift_kt(atoms, target) == pytest.approx(1.01 * _MAX_DRIFT_KT, rel=1e-9)
    with pytest.raises(ValueError, match=f"{_drift_kt(atoms, target):.3g} kT at 600 K"):
        _check_drift(atoms, target)
    atoms.set_velocities(atoms.get_velocities() - [0.02 * speed, 0.0, 0.0])
    _check_drift(atoms, target)


@pytest.mark.parametrize("stationary", [True, False])
def test_given_velocities_are_the_first_frame_as_given(stationary, tmp_path):
    atoms = _argon(seed=5, stationary=stationary)
    path = tmp_path / "md.h5md"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_md(atoms, ensemble="nvt", steps=4, timestep_fs=2.0, temperature_K=_T,
               write_interval=2, trajectory=path, progress=False)
    # stored in Å/ps and read back: one rounding
    np.testing.assert_allclose(read_h5md(path, 0).get_velocities(), atoms.get_velocities(),
                               rtol=1e-12, atol=0)


# hydrogen_mass=3.0 was a case here too: for argon it is refused as a setting without effect
# (test_md51_hydrogen_mass_without_hydrogen)
@pytest.mark.parametrize("hydrogen_mass", [None])
def test_a_run_from_given_velocities_is_not_returned_for_one_that_draws_them(hydrogen_mass,
                                                                              tmp_path):
    """Given velocities (300 K) first, then the same call without velocities (a draw at 60 K):
    the first run's file was reused, its final state returned as the drawn run's."""
    path = tmp_path / "md.h5md"
    kw = dict(ensemble="nvt", steps=4, timestep_fs=2.0, temperature_K=_T, write_interval=2,
              hydrogen_mass=hydrogen_mass, trajectory=path, progress=False)
    hot = _argon(seed=7)
    hot.set_velocities(hot.get_velocities() * np.sqrt(300.0 / _T))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_md(hot, **kw)
        drawn = _argon()
        drawn.set_velocities(np.zeros((len(drawn), 3)))
        _CountingLJ.calls = 0
        with pytest.raises(ValueError, match="started from given velocities, not from those "
                                             "this call draws"):
            run_md(drawn, **kw)
        assert _CountingLJ.calls == 0
        # the drawn run, written afresh, is reused by the same call (the draw is reproducible)
        first = run_md(drawn, **dict(kw, overwrite=True))
        _CountingLJ.calls = 0
        again = run_md(drawn, **kw)
    assert _CountingLJ.calls == 0
    np.testing.assert_array_equal(again.positions, first.positions)
    # and the run from given velocities is still told apart from it
    with pytest.raises(ValueError, match="started from other velocities"):
        run_md(hot, **kw)
