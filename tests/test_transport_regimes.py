"""Every Einstein fit of the transport analyses checks its regime, and the same curve gets the
same verdict in every analysis that fits it.

Ornstein–Uhlenbeck velocities (correlation time τ) give an MSD of ``6 D (t - τ (1 - e^{-t/τ}))``:
ballistic (log-log slope 2) for t << τ, diffusive (slope 1) for t >> τ. A fit window inside the
ballistic part gives a line whose slope is no transport coefficient.
"""

import warnings

import numpy as np
import pytest
from transport_data import integrate, ornstein_uhlenbeck

from mda_electrolyte import EinsteinHelfandConductivity, OnsagerCoefficients
from mda_electrolyte.correlation import is_diffusive
from mda_electrolyte.ion_collection import IonCollection

T, DT, TAU, S = 300.0, 0.01, 0.1, 3.0


def _salt(n_frames, seed=3, n=4, frozen_solvent=0):
    rng = np.random.default_rng(seed)
    v = ornstein_uhlenbeck(rng, n_frames, (2 * n, 3), TAU, DT, S)
    species = {"Li": n, "AN": n}
    charges = {"Li": 1.0, "AN": -1.0}
    if frozen_solvent:
        v = np.concatenate([v, np.zeros((n_frames, frozen_solvent, 3))], axis=1)
        species["SOL"] = frozen_solvent
        charges["SOL"] = 0.0
    x = integrate(v, DT, rng.uniform(0, 40.0, v.shape[1:]))
    return IonCollection.from_arrays(species, dt=DT, velocities=v, positions=x,
                                     charges=charges, volume=40.0**3)


@pytest.mark.parametrize("n_frames, diffusive", [(200, False), (1000, False), (40000, True)])
def test_onsager_einstein_and_einstein_helfand_give_one_verdict(n_frames, diffusive):
    """Σ z_i z_j L_ij is the dipole MSD's slope: the number and the verdict are one.

    Before, OnsagerCoefficients (Einstein) had no regime check: 200 frames of 2 τ gave
    σ = 1.95 ± 0.51 S/m "valid" (exact 5.97 S/m) where EinsteinHelfandConductivity said
    "not diffusive" (slope 1.90)."""
    col = _salt(n_frames)
    on = OnsagerCoefficients.from_collections(col, temperature=T).results
    eh = EinsteinHelfandConductivity.from_collections(col, temperature=T).results
    assert on.sigma == pytest.approx(eh.sigma, rel=1e-9)
    assert on.loglog_slope["dipole"] == pytest.approx(eh.loglog_slope, rel=1e-9)
    assert on.conductivity.valid == eh.conductivity.valid == diffusive
    assert on.valid == diffusive
    for name in ("Li", "AN"):
        assert on.transference_numbers[name].valid == diffusive
        coefficient = on.coefficients[f"{name}-{name}"]
        key = f"{name}-{name}"
        assert coefficient.valid == is_diffusive(on.loglog_slope[key], on.loglog_slope_err[key])
    if not diffusive:
        assert "not diffusive" in on.conductivity.verdict
        # named by the dipole MSD's growth, or (a window at 1-3 τ, 11 % low) by its bend
        assert ("dipole MSD" in on.conductivity.verdict
                or "still bends" in on.conductivity.verdict)
        assert on.loglog_slope["dipole"] > 1.2
        # the ballistic part: <ΔR_Li²> grows faster than t as well
        assert on.loglog_slope["Li-Li"] > 1.2


def test_onsager_green_kubo_has_no_einstein_regime():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        on = OnsagerCoefficients.from_collections(_salt(40000), temperature=T,
                                                  method="green-kubo", max_lag=10 * TAU)
    assert "loglog_slope" not in on.results
    assert on.results.conductivity.valid, on.results.conductivity.verdict


def test_a_frozen_neutral_species_marks_its_own_coefficients_only():
    """A frozen solvent has no MSD slope: its L is not a diffusive result, the ions' σ is."""
    on = OnsagerCoefficients.from_collections(_salt(40000, frozen_solvent=3),
                                              temperature=T).results
    assert on.species == ["Li", "AN", "SOL"]
    # an MSD of round-off: no slope, or one far from 1
    assert not is_diffusive(on.loglog_slope["SOL-SOL"], on.loglog_slope_err["SOL-SOL"])
    for key in ("SOL-SOL", "SOL-Li", "SOL-AN"):
        est = on.coefficients[key]
        assert not est.valid and "not diffusive" in est.verdict, key
        assert est.value == pytest.approx(0.0, abs=1e-9)
    assert on.coefficients["Li-Li"].valid
    assert on.conductivity.valid, on.conductivity.verdict
    assert not on.valid and "SOL-SOL" in on.verdict


@pytest.mark.parametrize("max_lag, converged", [(0.3 * TAU, False), (10 * TAU, True)])
def test_onsager_green_kubo_of_neutral_species_checks_its_plateau(max_lag, converged):
    """Without charges the plateau of Σ_ij L_ij is judged (it was taken as converged: a
    max_lag of 0.3 τ, a third of the integral, was "valid")."""
    rng = np.random.default_rng(7)
    # 4 molecules each: fewer are "too few molecules" (carriers.few_ions_notes)
    v = ornstein_uhlenbeck(rng, 40000, (8, 3), TAU, DT, S)
    col = IonCollection.from_arrays({"W": 4, "X": 4}, dt=DT, velocities=v,
                                    positions=integrate(v, DT), volume=40.0**3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = OnsagerCoefficients.from_collections(col, temperature=T, method="green-kubo",
                                                 max_lag=max_lag).results
    assert r.conductivity is None
    assert r.valid == converged, r.verdict
    assert r.coefficients["W-W"].valid == converged
    if not converged:
        assert "Σ_ij L_ij drifts" in r.verdict
        assert any("not converged" in str(w.message) for w in caught)
