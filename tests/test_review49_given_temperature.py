"""A temperature given to an analysis without samples (``from_pressure_tensor(temperature=)``)
was an Estimate with the method "given (no samples recorded)" and no ``given`` flag, so since
given values became one mechanism (Estimate.given_value) it was reported as a measured
"300 ± 0 K (valid)". It is a given value, printed as given, never as a result."""
import numpy as np
import pytest

from electrolyte_cli.arguments import is_setting
from mda_electrolyte.ion_collection import IonCollection


def _tensor(n=400, seed=0):
    # shear stresses of hundreds of bar, as MD of a small box gives
    return np.random.default_rng(seed).normal(scale=300.0, size=(n, 3, 3))


@pytest.mark.parametrize("temperature", [250.0, 298.15, 400])
def test_a_temperature_given_without_samples_is_a_setting(temperature):
    ions = IonCollection.from_pressure_tensor(_tensor(), dt=0.001, volume=1e4,
                                              temperature=temperature)
    est = ions.temperature_estimate()
    assert est.given and is_setting(est)
    assert est.value == float(temperature) and est.stderr == 0.0
    assert "(given)" in str(est) and "valid" not in str(est)


def test_no_temperature_gives_none():
    ions = IonCollection.from_pressure_tensor(_tensor(), dt=0.001, volume=1e4)
    assert ions.temperature_estimate() is None
