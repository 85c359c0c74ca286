"""kinetic_temperature and rigid_bonds name an argument that is not a Universe.

Found by probing: ``kinetic_temperature([u])`` raised AttributeError "'list' object has no
attribute 'trajectory'", an AtomGroup "'AtomGroup' object has no attribute 'trajectory'";
``rigid_bonds`` likewise ("... has no attribute 'atoms'").
"""

import numpy as np
import pytest
from transport_data import integrate, ornstein_uhlenbeck, salt_universe

from mda_electrolyte.conductivity import kinetic_temperature, rigid_bonds


@pytest.fixture(scope="module")
def universe():
    rng = np.random.default_rng(5)
    v = ornstein_uhlenbeck(rng, 60, (8, 3), 0.1, 0.01, 3.0)
    return salt_universe(v, integrate(v, 0.01), n_cations=4, dt=0.01)


@pytest.mark.parametrize("function", [kinetic_temperature, rigid_bonds])
@pytest.mark.parametrize("wrap", ["list", "atomgroup", "path", "none"])
def test_not_a_universe_named(universe, function, wrap):
    value = {
        "list": [universe],
        "atomgroup": universe.atoms,
        "path": "production.h5md",
        "none": None,
    }[wrap]
    with pytest.raises(TypeError, match="universe must be an MDAnalysis Universe"):
        function(value)


def test_universe_still_measured(universe):
    # m v² / (N_dof k_B) of the stored velocities, the count 3N - 3
    est = kinetic_temperature(universe)
    amu, k = 1.66053906660e-27, 1.380649e-23
    v = np.array([ts.velocities.copy() for ts in universe.trajectory], dtype=np.float64) * 100.0
    m = universe.atoms.masses * amu
    p = np.einsum("i,tij->tj", m, v)
    ke = 0.5 * np.einsum("i,tij->t", m, v**2) - 0.5 * np.sum(p**2, axis=1) / m.sum()
    expected = np.mean(2 * ke / ((3 * 8 - 3) * k))
    assert est.value == pytest.approx(expected, rel=1e-5)
    assert rigid_bonds(universe) == []
