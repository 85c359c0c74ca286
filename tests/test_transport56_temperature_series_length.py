"""A temperature series of other samples than the collection's is refused, naming both counts.

Before, ``IonCollection.from_pressure_tensor(tensor of 2000 samples, temperature_series=10
samples)`` was accepted: the 10 samples' mean became the T of V/(k_B T) and the viscosity came
out as with a matching series, the temperature's error that of its own 10 samples. The same for
``from_charge_current`` and the constructor. A series of the same samples is kept as before.
"""

import numpy as np
import pytest
from transport_data import ornstein_uhlenbeck

from mda_electrolyte import GreenKuboViscosity
from mda_electrolyte.ion_collection import IonCollection

N = 400


@pytest.fixture(scope="module")
def series():
    rng = np.random.default_rng(7)
    p = ornstein_uhlenbeck(rng, N, (3, 3), 0.02, 0.002, 100.0)
    j = ornstein_uhlenbeck(rng, N, (2, 3), 0.02, 0.002, 10.0)
    return {"tensor": 0.5 * (p + p.transpose(0, 2, 1)), "current": j}


def _tensor(s, temps):
    return IonCollection.from_pressure_tensor(s["tensor"], dt=0.002, volume=8000.0,
                                              temperature_series=temps)


def _current(s, temps):
    return IonCollection.from_charge_current(s["current"], ["LI", "AN"], dt=0.002,
                                             volume=8000.0, temperature_series=temps)


def _constructor(s, temps):
    return IonCollection(["LI", "AN"], [1, 1], 0.002, current=s["current"],
                         temperature_series=temps)


BUILDERS = [_tensor, _current, _constructor]


@pytest.mark.parametrize("build", BUILDERS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("length", [2, 10, N - 1, N + 1, 2 * N])
def test_another_length_is_refused(series, build, length):
    temps = 300.0 + np.random.default_rng(length).normal(0.0, 3.0, length)
    with pytest.raises(ValueError, match=f"temperature_series has {length} samples, other "
                                         f"fields {N} frames"):
        build(series, temps)


@pytest.mark.parametrize("build", BUILDERS, ids=lambda f: f.__name__)
def test_the_same_samples_are_kept(series, build):
    temps = 300.0 + np.random.default_rng(1).normal(0.0, 3.0, N)
    col = build(series, temps)
    assert col.kinetic_temperature == pytest.approx(float(np.mean(temps)), rel=1e-12)
    assert col.temperature_estimate().value == pytest.approx(float(np.mean(temps)), rel=1e-12)


def test_the_viscosity_uses_the_series_mean(series):
    # eta = V/(k_B T) ∫...: at the series' mean T, not another run's
    temps = np.full(N, 350.0)
    eta_series = GreenKuboViscosity.from_collections(_tensor(series, temps)).results
    eta_given = GreenKuboViscosity.from_collections(IonCollection.from_pressure_tensor(
        series["tensor"], dt=0.002, volume=8000.0, temperature=350.0)).results
    assert eta_series.shear_viscosity.value == pytest.approx(
        eta_given.shear_viscosity.value, rel=1e-12)


def _record(steps, values=None):
    steps = np.asarray(steps)
    return {"step": steps, "value": steps * 1.5 if values is None else values}


@pytest.mark.parametrize("temperature_steps, tensor_steps, expected", [
    (range(0, 50, 5), range(0, 50, 5), np.arange(0, 50, 5) * 1.5),   # the same samples
    (range(0, 50), range(0, 50, 5), np.arange(0, 50, 5) * 1.5),      # recorded more often
    (range(0, 50, 10), range(0, 50, 5), None),                        # misses half the steps
    (range(5, 50, 5), range(0, 50, 5), None),                         # misses the first
    (range(0, 45, 5), range(0, 50, 5), None),                         # misses the last
    ([], range(0, 50, 5), None),
])
def test_a_file_temperature_is_matched_to_the_samples(temperature_steps, tensor_steps,
                                                       expected):
    # the file readers of the viscosity and Green–Kubo take the temperature at the tensor's or
    # current's steps: a series of other steps would now be refused by the collection
    from mda_electrolyte.carriers import _observed_at_steps

    got = _observed_at_steps(_record(temperature_steps), _record(tensor_steps))
    if expected is None:
        assert got is None
    else:
        np.testing.assert_array_equal(got, expected)
    assert _observed_at_steps(None, _record(tensor_steps)) is None
