"""run_md's temperature guard in NVE takes ``temperature_K`` as its reference, else the start's
temperature. ``temperature_K=0`` (a start from rest) given to atoms that carry velocities drew
nothing and switched the guard off: 2000 K velocities with ``max_temperature_factor=1.5`` ran,
where ``temperature_K=None`` guards them. Now refused before the model is evaluated. A start
from rest has no reference, so a ``max_temperature_factor`` other than the default has no
effect there, and warns by name.
"""

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from ase_electrolyte.md import MDInstabilityError, run_md

sys.path.insert(0, str(Path(__file__).parent))
from stopping_argon import StoppingArgon, argon  # noqa: E402

_SAID = "no temperature limit applies"


def _hot(kelvin, calc=None):
    atoms = argon(calc or StoppingArgon(), rattle=0.05)
    v = np.random.default_rng(0).normal(size=(len(atoms), 3))
    v -= v.mean(axis=0)
    atoms.set_velocities(v)
    # scaled to the kinetic temperature of 3N - 3 degrees of freedom (the run's)
    ek = 0.5 * (atoms.get_masses()[:, None] * v**2).sum()
    atoms.set_velocities(v * np.sqrt(kelvin / (2 * ek / ((3 * len(atoms) - 3) * 8.617333262e-5))))
    return atoms


@pytest.mark.parametrize("kelvin", [50.0, 2000.0])
@pytest.mark.parametrize("factor", [1.5, 3.0, None])
def test_zero_kelvin_with_velocities_is_refused_before_any_evaluation(kelvin, factor):
    calc = StoppingArgon()
    with pytest.raises(ValueError, match=r"temperature_K = 0 K \(NVE\).*carries velocities"
                       rf".*kinetic temperature {kelvin:.4g} K"):
        run_md(_hot(kelvin, calc), ensemble="nve", steps=3, timestep_fs=2.0, temperature_K=0.0,
               max_temperature_factor=factor, progress=False)
    assert calc.calls == 0


def test_the_cure_guards_the_hot_start():
    # the start's temperature is the reference: 2000 K velocities run under factor 1.5 ...
    out = run_md(_hot(2000.0), ensemble="nve", steps=3, timestep_fs=2.0,
                 max_temperature_factor=1.5, progress=False)
    assert out.info["step"] == 3
    # ... and a stated 84 K target stops them (the limit: the factor, at least the chi-square
    # spread of 93 degrees of freedom, times the 300 K floor, below 2000 K)
    with pytest.raises(MDInstabilityError, match=r"temperature 2000 K exceeds 7\d\d\.\d K"):
        run_md(_hot(2000.0), ensemble="nve", steps=3, timestep_fs=2.0, temperature_K=84.0,
               max_temperature_factor=1.5, progress=False)


@pytest.mark.parametrize("temperature_K", [None, 0.0])
@pytest.mark.parametrize("factor, warns", [(1.5, True), (10.0, True), (3.0, False),
                                           (None, False)])
def test_a_factor_for_a_start_from_rest_warns(temperature_K, factor, warns):
    atoms = argon(StoppingArgon(), rattle=0.05)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = run_md(atoms, ensemble="nve", steps=3, timestep_fs=2.0,
                     temperature_K=temperature_K, max_temperature_factor=factor, progress=False)
    said = [w for w in caught if _SAID in str(w.message)]
    assert len(said) == warns
    if warns:
        assert f"max_temperature_factor = {factor:g}" in str(said[0].message)
        assert said[0].filename == __file__
    plain = run_md(atoms, ensemble="nve", steps=3, timestep_fs=2.0,
                   temperature_K=temperature_K, progress=False)
    assert np.array_equal(out.positions, plain.positions)


@pytest.mark.parametrize("kwargs", [
    dict(ensemble="nve", temperature_K=84.0),     # a drawn start: the target is the reference
    dict(ensemble="nvt", temperature_K=84.0),
])
def test_a_factor_that_acts_is_quiet(kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run_md(argon(StoppingArgon(), rattle=0.05), steps=3, timestep_fs=2.0,
               max_temperature_factor=1.5, progress=False, **kwargs)
    assert not [w for w in caught if _SAID in str(w.message)]
