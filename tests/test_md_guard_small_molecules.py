"""The temperature guard of :func:`run_md` allows a small molecule in vacuum its canonical
temperature fluctuations.

The instantaneous temperature of f degrees of freedom is χ²(f)/f times the target. For a
diatomic it exceeds 3 × the target with probability 0.006 per sample counted with f = 6: a
relaxed N2 (EMT) in NVT at 300 K was stopped as "unstable" at 920 K after 1221 steps of 0.5 fs.
The limit is now at least the 1 - 1e-12 quantile of χ²(f)/f, with f the run's N_dof = 3N - 3
(the centre of mass at rest: 3 for a diatomic, one vibration and two rotations, 19.6 ×); a
runaway is still stopped, and liquids keep ``max_temperature_factor``.
"""

import warnings

import numpy as np
import pytest
from ase.build import molecule
from ase.calculators.emt import EMT
from scipy.stats import chi2

from ase_electrolyte.md import MDInstabilityError, _kinetic_temperature, relax, run_md


def _n2(temperature_K):
    """Relaxed N2 (EMT) whose two atoms move apart along the bond and rotate, at no
    centre-of-mass motion, with the instantaneous temperature ``temperature_K``."""
    atoms = molecule("N2")
    atoms.calc = EMT()
    atoms = relax(atoms, fmax=0.005)
    velocities = np.array([[1.0, 0.5, 2.0], [-1.0, -0.5, -2.0]])
    atoms.set_velocities(velocities)
    atoms.set_velocities(velocities * np.sqrt(temperature_K / _kinetic_temperature(atoms)))
    return atoms


_NVT = dict(ensemble="nvt", steps=20, timestep_fs=0.5, temperature_K=300, progress=False)


def test_a_canonical_fluctuation_of_a_diatomic_is_no_instability():
    """1000 K at a 300 K target: χ²(3)/3 exceeds 10/3 with probability 0.02, a sample a
    long run meets every few tens of steps."""
    assert 1e-2 < chi2.sf(3 * 1000 / 300, 3) < 1e-1
    atoms = _n2(1000.0)
    done = run_md(atoms, **_NVT)
    assert done.info["step"] == 20
    # the bond vibrates and the molecule rotates: the temperature stays about where it began
    assert 100 < done.get_temperature() < 2000


def test_a_runaway_molecule_is_still_stopped():
    """The limit for f = 3 is 19.6 × 300 K = 5.9e3 K: 2e4 K is not a fluctuation."""
    limit = chi2.isf(1e-12, 3) / 3 * 300
    assert 5000 < limit < 7000
    with pytest.raises(MDInstabilityError, match=rf"step 0: temperature .* exceeds {limit:.4g} K"):
        run_md(_n2(2e4), **_NVT)


def test_a_liquid_keeps_max_temperature_factor():
    """108 atoms (f = 321): the canonical 1e-12 quantile is 1.7 × the target, so the
    guard's 3 × rules, as before."""
    from ase.build import bulk
    from ase.calculators.lj import LennardJones

    atoms = bulk("Ar", "fcc", a=5.26, cubic=True).repeat(3)
    atoms.calc = LennardJones(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True)
    rng = np.random.default_rng(0)
    v = rng.normal(size=(len(atoms), 3))
    v -= v.mean(axis=0)
    atoms.set_velocities(v)
    atoms.set_velocities(v * np.sqrt(950.0 / _kinetic_temperature(atoms)))
    assert chi2.isf(1e-12, 321) / 321 < 3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(MDInstabilityError, match=r"step 0: temperature 950 K exceeds 900 K"):
            run_md(atoms, **_NVT)


@pytest.mark.parametrize("n_cells, factor", [(1, 3.0), (2, 2.0), (2, 1.5), (3, 1.5)])
def test_the_limit_is_the_larger_of_the_factor_and_the_canonical_spread(n_cells, factor):
    """4, 32 and 108 argon atoms: the limit is max(factor, chi2.isf(1e-12, f)/f) × 300 K, and a
    canonical sample of the instantaneous temperature at the limit is that rare."""
    from ase.build import bulk

    from ase_electrolyte import md as md_module

    atoms = bulk("Ar", "fcc", a=5.26, cubic=True).repeat(n_cells)
    f = 3 * len(atoms) - 3  # the centre of mass at rest
    guard = md_module._Guard(atoms, 300.0, factor, None, 1.0)
    assert guard.t_max == pytest.approx(max(factor, chi2.isf(1e-12, f) / f) * 300.0)
    assert chi2.sf(f * guard.t_max / 300.0, f) <= 1e-12 * (1 + 1e-6)
