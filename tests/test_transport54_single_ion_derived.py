"""A D marked not valid for "a single ion in a single trajectory" marks what is made of it.

Diffusion of one unsplit trajectory takes D's error from the scatter over the ions; a species of
one ion has none, so its D is the slope of its MSD with an unknown (NaN) error, not valid. Every
Nernst–Einstein number summing it was refused instead: "the Nernst–Einstein terms overflow: ...
must be of physical size (a unit slip?)", because the NaN error was taken for an overflow; the
other species' D's, valid, were lost with it. Now σ_NE, the transference numbers and α_d carry
the unknown error and the D's reason, and the terms of the other species keep theirs.
"""

import warnings

import numpy as np
import pytest
from transport_data import species_universe

from ase_electrolyte.estimate import Estimate
from mda_electrolyte import Diffusion, NernstEinstein
from mda_electrolyte.ion_collection import IonCollector

DT, BOX, T = 0.05, 40.0, 300.0
# one Li⁺ among 5 Na⁺ and 6 Cl⁻: a neutral box whose Li has a single ion
COUNTS = {"LI": 1, "NA": 5, "CL": 6}
CHARGE = {"LI": 1.0, "NA": 1.0, "CL": -1.0}
IONS = {s: f"resname {s}" for s in COUNTS}
REASON = "single ion in a single trajectory"


@pytest.fixture(scope="module")
def universe():
    masses = {"LI": 6.94, "NA": 22.99, "CL": 35.45}
    return species_universe(np.random.default_rng(54), COUNTS, masses, charges=CHARGE,
                            dt=DT, box=BOX)


@pytest.fixture(scope="module")
def diffusion(universe):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Diffusion(universe, IONS).run()


def _ne_of_analysis(universe, diffusion, sigma):
    return NernstEinstein(diffusion, temperature=T, conductivity=sigma)


def _ne_of_collections(universe, diffusion, sigma):
    col = IonCollector(universe, IONS).run().collection
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return NernstEinstein.from_collections(col, temperature=T, conductivity=sigma)


def _ne_of_estimates(universe, diffusion, sigma):
    r = diffusion.results
    return NernstEinstein.from_estimates(
        temperature=T, diffusivities=dict(r.diffusion_coefficient), n_ions=r.n_ions,
        charges=r.charges, volume=r.volume, conductivity=sigma)


def test_the_single_ion_d_is_marked_and_the_others_are_valid(diffusion):
    d = diffusion.results.diffusion_coefficient
    assert not d["LI"].valid and np.isnan(d["LI"].stderr) and REASON in d["LI"].verdict
    assert d["NA"].valid and d["CL"].valid


@pytest.mark.parametrize("route", [_ne_of_analysis, _ne_of_collections, _ne_of_estimates])
@pytest.mark.parametrize("sigma", [None, Estimate(20.0, 2.0, "S/m", "given", 10, dof=9)])
def test_everything_made_of_it_carries_its_reason(universe, diffusion, route, sigma):
    r = route(universe, diffusion, sigma).results
    d = diffusion.results.diffusion_coefficient
    # σ_NE = e²/(V k_B T) Σ N_s z_s² D_s of the D values, the single ion's included
    pref = r.conductivity.value / sum(COUNTS[s] * CHARGE[s] ** 2 * d[s].value for s in COUNTS)
    assert r.contributions["LI"].value == pytest.approx(pref * d["LI"].value, rel=1e-9)
    derived = [r.conductivity, r.contributions["LI"], *r.transference_numbers.values()]
    if sigma is not None:
        derived.append(r.dissociation)
        assert r.dissociation.value == pytest.approx(20.0 / r.conductivity.value, rel=1e-12)
    for est in derived:
        assert not est.valid, est
        assert np.isnan(est.stderr), est
        assert REASON in est.verdict, est.verdict
        with pytest.raises(ValueError, match="not valid"):
            est.interval()
    # the species with errors of their own keep them
    for s in ("NA", "CL"):
        term = r.contributions[s]
        assert term.valid and np.isfinite(term.stderr) and term.stderr > 0
        assert term.stderr / term.value == pytest.approx(d[s].stderr / d[s].value, rel=1e-9)
    assert sum(t.value for t in r.transference_numbers.values()) == pytest.approx(1.0)


@pytest.mark.parametrize("error", [1e300, 1e200])
def test_errors_past_the_float_range_are_refused_by_name(error):
    # an error whose square overflows was a bare OverflowError ("Numerical result out of
    # range"); it is refused as the overflow of the terms, naming the inputs
    d = {"LI": Estimate(1.0, error, "Å^2/ps", "given", 10),
         "AN": Estimate(1.0, 0.1, "Å^2/ps", "given", 10)}
    with pytest.raises(ValueError, match="the Nernst–Einstein terms overflow.*unit slip"):
        NernstEinstein.from_estimates(temperature=T, diffusivities=d,
                                      n_ions={"LI": 10, "AN": 10},
                                      charges={"LI": 1, "AN": -1}, volume=64000.0)
