"""Transference numbers fixed by remove_drift's constraint are not presented as measured.

With ``remove_drift=True`` displacements are taken from the centre of mass of the analysed
particles. With only a cation and an anion species analysed that centre ties them:
m_a R_a + m_b R_b = 0 for the species' summed displacements, so the current is a multiple of
R_a and t_a = z_a m_b / (z_a m_b - z_b m_a) whatever the ions do. It was reported as
0.5 ± 6e-18, valid, for equal masses (an error of rounding, a value of the masses).
"""

import warnings

import numpy as np
import pytest
from transport_data import integrate, ornstein_uhlenbeck

from mda_electrolyte import OnsagerCoefficients
from mda_electrolyte.ion_collection import IonCollection


def _collection(counts, charges, masses, seed=0, n=1500):
    rng = np.random.default_rng(seed)
    k = sum(counts.values())
    v = ornstein_uhlenbeck(rng, n, (k, 3), 0.2, 0.05, 2.0)
    return IonCollection.from_arrays(counts, dt=0.05, velocities=v,
                                     positions=integrate(v, 0.05), volume=27000.0,
                                     charges=charges, masses=masses)


def _onsager(col, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return OnsagerCoefficients.from_collections(col, temperature=300.0, **kw).results


@pytest.mark.parametrize("masses, charges", [
    ({"Li": 6.94, "AN": 144.96}, {"Li": 1.0, "AN": -1.0}),
    ({"Li": 6.94, "AN": 6.94}, {"Li": 1.0, "AN": -1.0}),
    ({"Mg": 24.3, "AN": 96.06}, {"Mg": 2.0, "AN": -2.0}),
])
def test_two_ion_species_in_their_own_frame_give_t_of_the_masses_not_valid(masses, charges):
    a, b = masses
    r = _onsager(_collection({a: 4, b: 4}, charges, masses), remove_drift=True)
    t = r.transference_numbers[a]
    za, zb = charges[a], charges[b]
    # the constraint's value, to rounding: no measurement
    assert t.value == pytest.approx(za * masses[b] / (za * masses[b] - zb * masses[a]),
                                    rel=1e-9)
    assert not t.valid and not r.transference_numbers[b].valid
    assert "not measured" in t.verdict and "remove_drift" in t.verdict
    # σ does not depend on the frame of a neutral system: still a measurement
    assert r.conductivity.valid == _onsager(
        _collection({a: 4, b: 4}, charges, masses)).conductivity.valid


def test_with_the_solvent_analysed_the_frame_is_barycentric_and_t_is_measured():
    masses = {"Li": 6.94, "AN": 144.96, "S": 88.06}
    charges = {"Li": 1.0, "AN": -1.0, "S": 0.0}
    r = _onsager(_collection({"Li": 8, "AN": 8, "S": 8}, charges, masses), remove_drift=True)
    t = r.transference_numbers["Li"]
    assert "not measured" not in t.verdict
    assert t.stderr > 1e-3
