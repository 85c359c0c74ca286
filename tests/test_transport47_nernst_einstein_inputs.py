"""NernstEinstein's species mappings, error bars and magnitudes.

Found by probing: ``diffusivity_errors`` under a name without a D (a typo) or beside a D that
carries its own error (an Estimate) was dropped, so σ_NE came out ± 0 and valid; a list where
a dict is due failed with "cannot convert dictionary update sequence element #0" (charges) or
an AttributeError (diffusivities); inputs whose σ_NE is finite but beyond any conductor
(1e301 S/m) were valid, and those near the float limit raised a bare OverflowError from σ².
"""

import warnings

import numpy as np
import pytest

from ase_electrolyte.estimate import Estimate
from mda_electrolyte import NernstEinstein

BASE = {
    "temperature": 300.0,
    "diffusivities": {"Li": 0.1, "PF6": 0.08},
    "n_ions": {"Li": 10, "PF6": 10},
    "charges": {"Li": 1, "PF6": -1},
    "volume": 30000.0,
}


def nernst_einstein(**changes):
    return NernstEinstein(**{**BASE, **changes}).results


@pytest.mark.parametrize("errors", [{"li": 0.01}, {"X": 0.01}, {"Li": 0.01, "pf6": 0.02}])
def test_errors_of_unknown_species_refused(errors):
    with pytest.raises(
        ValueError,
        match=r"diffusivity_errors names species \[.*\] that have "
        "no diffusivity",
    ):
        nernst_einstein(diffusivity_errors=errors)


def test_error_beside_an_estimate_refused():
    d = {"Li": Estimate(0.1, 0.01, "Å^2/ps", "fit"), "PF6": 0.08}
    with pytest.raises(ValueError, match=r"error for \['Li'\], whose D is an Estimate"):
        nernst_einstein(diffusivities=d, diffusivity_errors={"Li": 0.05})


def test_errors_of_known_species_propagate():
    # σ_NE = w (N D_Li + N D_PF6) with w the same for both: its error is w N δD_PF6
    res = nernst_einstein(diffusivity_errors={"PF6": 0.02})
    assert res.conductivity.stderr == pytest.approx(res.conductivity.value * 0.02 / 0.18)


@pytest.mark.parametrize("name", ["diffusivities", "diffusivity_errors", "n_ions", "charges"])
@pytest.mark.parametrize("value", [[0.1, 0.08], (1, -1), np.array([1.0, -1.0]), "Li"])
def test_mappings_of_the_wrong_type_named(name, value):
    with pytest.raises(TypeError, match=rf"{name} must be a dict \{{species name: "):
        nernst_einstein(**{name: value})


def test_from_estimates_charges_of_the_wrong_type_named():
    with pytest.raises(TypeError, match="charges must be a dict"):
        NernstEinstein.from_estimates(
            temperature=300,
            diffusivities={"Li": Estimate(0.1, 0.01, "Å^2/ps", "fit")},
            n_ions={"Li": 3},
            charges=[1],
            volume=1e4,
        )


@pytest.mark.parametrize(
    "changes",
    [
        {"diffusivities": {"Li": 1e300, "PF6": 1e300}},
        {"diffusivities": {"Li": 1e5, "PF6": 0.08}},
        # at the floors of the inputs (tests/test_transport50_input_floors.py)
        {"temperature": 1e-3},
        {"volume": 1.0},
    ],
)
def test_sigma_beyond_any_conductor_refused(changes):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 0.001 K is implausible, and said so
        with pytest.raises(ValueError,
                           match=r"beyond any ionic conductor.*must be of physical size"):
            nernst_einstein(**changes)


@pytest.mark.parametrize("changes", [{"temperature": 1e-300}, {"volume": 1e-300},
                                     {"volume": 1e-3}])
def test_inputs_below_their_floor_are_refused_first(changes):
    with pytest.raises(ValueError, match=r"must be a finite number >= (0\.001|1) and"):
        nernst_einstein(**changes)


def test_overflowing_terms_still_named():
    with pytest.raises(ValueError, match="the Nernst–Einstein terms overflow"):
        nernst_einstein(diffusivities={"Li": 1e308, "PF6": 1e308})


def test_physical_inputs_unchanged():
    res = nernst_einstein(diffusivity_errors={"Li": 0.01, "PF6": 0.01}, conductivity=(1.0, 0.1))
    # e² N (D+ + D-) / (V k T), D in m²/s, V in m³
    e, k = 1.602176634e-19, 1.380649e-23
    expected = e**2 * 10 * (0.1 + 0.08) * 1e-8 / (30000e-30 * k * 300)
    assert res.conductivity.value == pytest.approx(expected, rel=1e-9)
    assert res.transference["Li"] == pytest.approx(0.1 / 0.18)
    assert res.transference_numbers["Li"].stderr > 0
    assert res.dissociation.value == pytest.approx(1.0 / expected)
