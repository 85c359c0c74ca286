"""A stretch of one run given again as another run is refused, not averaged as independent.

check_distinct_series refused a run given twice only when the two series were identical. A
run beside a truncated copy of itself (a file and its first half, a windowed reading of the
same H5MD file) passed: the Einstein–Helfand viscosity cuts runs to their common length, so
the segments were the same numbers, and [run, run[:n/2], run[:n/3], run[:n/4], run[:n/5]]
came out 0.000545 ± 0 mPa·s, valid (0.007631 ± 4.9e-19 at φ = 0.9).
"""

import warnings

import numpy as np
import pytest
from scipy.signal import lfilter
from transport_data import integrate, ornstein_uhlenbeck

from mda_electrolyte import (
    Diffusion,
    EinsteinHelfandConductivity,
    EinsteinHelfandViscosity,
    GreenKuboViscosity,
)
from mda_electrolyte.ion_collection import IonCollection


def _pressure(seed, n=6000, phi=0.5):
    rng = np.random.default_rng(seed)
    p = lfilter([1.0], [1.0, -phi], rng.normal(scale=100.0, size=(n, 3, 3)), axis=0)
    return 0.5 * (p + p.transpose(0, 2, 1))


@pytest.mark.parametrize("cls", [GreenKuboViscosity, EinsteinHelfandViscosity])
@pytest.mark.parametrize("stretch", [slice(0, 3000), slice(1000, 4000), slice(3000, 6000)])
def test_a_stretch_of_a_pressure_run_given_again_is_refused(cls, stretch):
    p = _pressure(1)
    with pytest.raises(ValueError, match=rf"input 1 \(array 1\) is samples "
                                          rf"{stretch.start}-{stretch.stop - 1} of input 0"):
        cls([p, p[stretch]], temperature=300.0, volume=1e4, dt=0.002)
    # the order does not matter: the shorter one is named
    with pytest.raises(ValueError, match="input 0 .* is samples"):
        cls([p[stretch], p], temperature=300.0, volume=1e4, dt=0.002)


def test_independent_runs_from_the_same_first_sample_are_kept():
    # replicas started from one configuration share their first sample, nothing else
    a, b = _pressure(1), _pressure(2)
    b[0] = a[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = EinsteinHelfandViscosity([a, b[:4000]], temperature=300.0, volume=1e4,
                                     dt=0.002).run().results.shear_viscosity
    assert r.stderr > 0


def _salt(v, dt=0.05):
    return IonCollection.from_arrays({"Li": 2, "AN": 2}, dt=dt, velocities=v,
                                     positions=integrate(v, dt), volume=27000.0,
                                     charges={"Li": 1.0, "AN": -1.0})


def test_a_truncated_copy_of_an_ion_run_is_refused_by_conductivity_and_diffusion():
    rng = np.random.default_rng(3)
    v = ornstein_uhlenbeck(rng, 1200, (4, 3), 0.2, 0.05, 2.0)
    full, half = _salt(v), _salt(v[:600])
    with pytest.raises(ValueError, match="is samples 0-599 of input 0"):
        EinsteinHelfandConductivity.from_collections([full, half], temperature=300.0)
    with pytest.raises(ValueError, match="is samples 0-599 of input 0"):
        Diffusion.from_collections([full, half])
