"""The Onsager coefficients' "not converged" note says how far σ's running integral drifts.

Before, Green–Kubo Onsager coefficients whose running integral had not levelled off were marked
"the running integral of σ drifts over the plateau window" without a number, while Green–Kubo's
conductivity of the same data said "drifts by 215 ± 32 S/m over the plateau window 0.36–0.6
ps". The note now gives the drift, its error and the window, and the drift is the
conductivity's running integral over the same window (the same σ(t), from the species currents
instead of the charge current; the drift is a line's rise over the window, so that of the
segments' mean is the mean of theirs).
"""

import re
import warnings

import numpy as np
import pytest
from transport_data import integrate, ornstein_uhlenbeck

from mda_electrolyte import GreenKuboConductivity, OnsagerCoefficients
from mda_electrolyte.ion_collection import IonCollection

DT = 0.02
T = 300.0
NUMBER = r"([-+0-9.e]+)"


def _collection(seed, charges):
    v = ornstein_uhlenbeck(np.random.default_rng(seed), 4000, (32, 3), 0.5, DT, 3.0)
    return IonCollection.from_arrays({"LI": 16, "AN": 16}, dt=DT, velocities=v,
                                     positions=integrate(v, DT), charges=charges,
                                     volume=8000.0)


@pytest.mark.parametrize("seed", [3, 4])
@pytest.mark.parametrize("max_lag", [0.2, 0.6])
def test_the_drift_is_stated_and_is_the_conductivitys(seed, max_lag):
    col = _collection(seed, {"LI": 1.0, "AN": -1.0})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ons = OnsagerCoefficients.from_collections(col, temperature=T, method="green-kubo",
                                                   max_lag=max_lag).results
        gk = GreenKuboConductivity.from_collections(col, temperature=T,
                                                    max_lag=max_lag).results
    assert not gk.plateau_converged
    note = next(n for n in ons.conductivity.notes if n.startswith("not converged"))
    found = re.search(rf"drifts by {NUMBER} ± {NUMBER} S/m over the plateau window "
                      rf"{NUMBER}–{NUMBER} ps", note)
    assert found, note
    drift, err, lo, hi = (float(g) for g in found.groups())
    assert (lo, hi) == pytest.approx(ons.plateau, rel=1e-3)
    t = np.asarray(gk.time)
    inside = (t >= ons.plateau[0] - 1e-9) & (t <= ons.plateau[1] + 1e-9)
    slope = np.polyfit(t[inside], np.asarray(gk.running_integral)[inside], 1)[0]
    expected = slope * (t[inside][-1] - t[inside][0])
    assert drift == pytest.approx(expected, rel=2e-3)
    assert abs(drift) > 2 * err > 0
    # the note reaches every coefficient, not valid
    assert not ons.conductivity.valid
    assert all(not e.valid for e in ons.coefficients.values())


def test_a_converged_integral_has_no_drift_note():
    col = _collection(5, {"LI": 1.0, "AN": -1.0})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ons = OnsagerCoefficients.from_collections(col, temperature=T, method="green-kubo",
                                                   max_lag=4.0).results
    assert not any(n.startswith("not converged") for n in ons.conductivity.notes)
