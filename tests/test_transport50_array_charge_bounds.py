"""IonCollection.from_arrays took charges of any size (1e300 e) and the estimate failed only
after its work ("the mean-squared displacement overflows float64"), while a Universe's
charges= are bounded at carriers.MAX_ION_CHARGE (1000 e); from_arrays now refuses them alike,
scalar or per ion, and 1000 e itself is still taken."""

import numpy as np
import pytest
from transport_data import integrate, ornstein_uhlenbeck

from mda_electrolyte.ion_collection import IonCollection


@pytest.fixture(scope="module")
def velocities():
    return ornstein_uhlenbeck(np.random.default_rng(0), 50, (8, 3), 0.1, 0.01, 3.0)


@pytest.mark.parametrize("charge, shown", [(1e300, "1e+300"), (-2000.0, "-2000.0"),
                                           ([1.0, 1.0, 1001.0, 1.0], "1001.0")])
def test_charges_beyond_the_ceiling_are_refused(velocities, charge, shown):
    with pytest.raises(ValueError) as err:
        IonCollection.from_arrays({"Li": 4, "A": 4}, dt=0.01, velocities=velocities,
                                  charges={"Li": charge, "A": -1.0}, volume=8000.0)
    assert (f"charges['Li'] (e per ion) must be finite numbers >= -1000 and <= 1000, got "
            f"{shown}") in str(err.value)


def test_the_ceiling_itself_is_taken(velocities):
    col = IonCollection.from_arrays({"Li": 4, "A": 4}, dt=0.01, velocities=velocities,
                                    positions=integrate(velocities, 0.01),
                                    charges={"Li": 1000.0, "A": -1000.0}, volume=8000.0)
    assert col.charge_record()["Li"]["charge"] == 1000.0
