"""The σ given to Nernst–Einstein for α_d: what is not one is refused by name.

A conductivity analysis that was not run, or whose last run was refused (a selection too short
for its blocks), ended in float()'s bare TypeError ("float() argument must be a string or a
real number, not 'EinsteinHelfandConductivity'"); the text "1.0" was taken as 1 S/m and True as
1 S/m. Each is now a ValueError naming the input before anything is computed; numbers, pairs,
Estimates and run analyses are taken as before.
"""

import warnings

import numpy as np
import pytest
from transport_data import IONS, integrate, ornstein_uhlenbeck, salt_universe

from ase_electrolyte.estimate import Estimate
from mda_electrolyte import Diffusion, EinsteinHelfandConductivity, NernstEinstein

T = 300.0
KW = dict(temperature=T, diffusivities={"Li": 0.1, "AN": 0.1}, n_ions={"Li": 4, "AN": 4},
          charges={"Li": 1.0, "AN": -1.0}, volume=27000.0)


@pytest.fixture(scope="module")
def universe():
    rng = np.random.default_rng(3)
    v = ornstein_uhlenbeck(rng, 400, (8, 3), 0.2, 0.05, 2.0)
    return salt_universe(v, integrate(v, 0.05) + 20.0, n_cations=4, dt=0.05)


@pytest.mark.parametrize("bad", ["1.0", b"1", True, np.bool_(True), (1.0, "x"), (True, 0.1),
                                 [1.0, 0.1, 3.0], (1.0,), {"sigma": 1.0}, object()])
def test_what_is_no_conductivity_is_refused_by_name(bad):
    with pytest.raises(ValueError, match="conductivity must be an Estimate, a run conductivity "
                                         "analysis, or a number in S/m"):
        NernstEinstein(**KW, conductivity=bad)


def test_numbers_pairs_and_estimates_are_taken_alike():
    alphas = [NernstEinstein(**KW, conductivity=c).results.dissociation
              for c in ((2.0, 0.1), [2.0, 0.1], np.array([2.0, 0.1]),
                        Estimate(2.0, 0.1, "S/m", "given"), Estimate(20.0, 1.0, "mS/cm", "given"))]
    assert all(a.value == pytest.approx(alphas[0].value, rel=1e-12) for a in alphas)
    assert all(a.stderr == pytest.approx(alphas[0].stderr, rel=1e-12) for a in alphas)


def test_an_analysis_without_a_result_is_named(universe):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        never = EinsteinHelfandConductivity(universe, IONS, temperature=T)
        refused = EinsteinHelfandConductivity(universe, IONS, temperature=T).run()
        with pytest.raises(ValueError, match="cannot be split"):
            refused.run(stop=3)
        d = Diffusion(universe, IONS).run()
    for cond in (never, refused):
        with pytest.raises(ValueError, match="the EinsteinHelfandConductivity has no result "
                                             r"\(not run, or its last run was refused\)"):
            NernstEinstein(d, temperature=T, conductivity=cond)
        with pytest.raises(ValueError, match="has no result"):
            NernstEinstein(**KW, conductivity=cond)
