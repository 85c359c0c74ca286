"""Inputs that make a transport number exact or empty: a species that carries no current (its
transference number 0, the other's 1, in every segment) and a pressure tensor with no shear
stresses.

Before: "0 ± 0 (valid)" and, from Onsager's (L z) z / σ, "-0 ± 0 (valid)"; a tensor of the
diagonal pressures only gave a viscosity of 0.38 of the full tensor's, valid.
"""

import math
import warnings

import numpy as np
import pytest
from transport_data import integrate, ornstein_uhlenbeck

from mda_electrolyte import GreenKuboConductivity, GreenKuboViscosity, OnsagerCoefficients
from mda_electrolyte.ion_collection import IonCollection

N, FRAMES, DT = 8, 1000, 0.01


def _collection(frozen):
    rng = np.random.default_rng(5)
    v = ornstein_uhlenbeck(rng, FRAMES, (2 * N, 3), 0.1, DT, 2.0)
    if frozen:
        v[:, N:] = 0.0
    return IonCollection.from_arrays({"LI": N, "AN": N}, dt=DT, velocities=v,
                                     positions=integrate(v, DT), charges={"LI": 1, "AN": -1},
                                     volume=40.0**3)


def _shares(frozen):
    col = _collection(frozen)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        gk = GreenKuboConductivity.from_collections(col, temperature=300, n_blocks=5).results
        on = OnsagerCoefficients.from_collections(col, temperature=300, n_blocks=5).results
    return gk.transference_numbers, on.transference_numbers, on


def test_a_species_carrying_no_current_has_exact_shares_without_an_error():
    gk, on, res = _shares(frozen=True)
    for t in (gk, on):
        assert t["LI"].value == 1.0
        # +0, never "-0"
        assert t["AN"].value == 0.0 and math.copysign(1.0, t["AN"].value) == 1.0
        for name in ("LI", "AN"):
            assert not t[name].valid and math.isnan(t[name].stderr)
            assert "no scatter: the transference number" in t[name].verdict
            assert "do not move" in t[name].verdict
    assert math.copysign(1.0, res.transference["AN"]) == 1.0
    assert math.isnan(res.transference_err["AN"])


def test_moving_species_keep_their_error():
    gk, on, _ = _shares(frozen=False)
    for t in (gk, on):
        assert t["LI"].value + t["AN"].value == pytest.approx(1.0, abs=1e-12)
        for name in ("LI", "AN"):
            assert np.isfinite(t[name].stderr) and t[name].stderr > 0
            assert "no scatter" not in t[name].verdict


def _tensor():
    rng = np.random.default_rng(0)
    x = ornstein_uhlenbeck(rng, 20000, (3, 3), 0.05, 0.002, 300.0)
    return 0.5 * (x + x.transpose(0, 2, 1)) + np.eye(3)


def test_a_tensor_without_shear_stresses_is_refused_before_the_integral():
    p = _tensor()
    diagonal = p * np.eye(3)
    for components in ("traceless", "offdiagonal"):
        with pytest.raises(ValueError, match="every off-diagonal .* zero at every sample.*"
                                             "give the full"):
            GreenKuboViscosity(diagonal, dt=0.002, volume=1e4, temperature=300,
                               components=components, check_sampling=False)
    # the full tensor, and a hydrostatic one (no shear, no normal-stress difference) whose
    # viscosity is no number for other reasons, are not this refusal
    full = GreenKuboViscosity(p, dt=0.002, volume=1e4, temperature=300,
                              check_sampling=False).run().results.shear_viscosity
    assert full.valid and full.value > 0
