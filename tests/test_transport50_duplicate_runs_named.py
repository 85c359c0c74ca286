"""One trajectory given twice to from_collections was refused as "the analysis: inputs 0 and 1
... hold the same series", naming no analysis; the refusal now names the estimator (as the
viscosities' always did)."""

import warnings

import numpy as np
import pytest
from transport_data import integrate, ornstein_uhlenbeck

from mda_electrolyte import (
    Diffusion,
    EinsteinHelfandConductivity,
    GreenKuboConductivity,
    OnsagerCoefficients,
)
from mda_electrolyte.ion_collection import IonCollection


@pytest.mark.parametrize("cls", [GreenKuboConductivity, EinsteinHelfandConductivity,
                                 OnsagerCoefficients, Diffusion])
def test_a_collection_given_twice_is_refused_by_name(cls):
    v = ornstein_uhlenbeck(np.random.default_rng(0), 400, (8, 3), 0.1, 0.01, 3.0)
    col = IonCollection.from_arrays({"Li": 4, "A": 4}, dt=0.01, velocities=v,
                                    positions=integrate(v, 0.01),
                                    charges={"Li": 1, "A": -1}, volume=8000.0)
    kw = {} if cls is Diffusion else {"temperature": 300.0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError) as err:
            cls.from_collections([col, col], **kw)
    assert str(err.value).startswith(f"{cls.__name__}: inputs 0 and 1 (arrays, arrays) hold "
                                     "the same series")
