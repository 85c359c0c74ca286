"""Error bars of the transport estimators on a 2:1 salt (Mg²⁺ + 2 Cl⁻), over 100 replicas.

Independent Ornstein–Uhlenbeck ions with D = s² τ give σ = e² Σ_i q_i² D / (V k_B T) exactly
(no distinct terms), so Green–Kubo, Einstein–Helfand and Nernst–Einstein share one analytic
value; charges of 2 weigh the Mg²⁺ term four times. A Student-t scaled standard error over 10
blocks covers the truth about 68 % of the time (|z| < 1) and the z-scores have a standard
deviation near 1.
"""

import warnings

import numpy as np
import pytest
from scipy import constants
from transport_data import integrate, ornstein_uhlenbeck

from mda_electrolyte import (
    Diffusion,
    EinsteinHelfandConductivity,
    GreenKuboConductivity,
    NernstEinstein,
)
from mda_electrolyte.ion_collection import IonCollection

T, DT, TAU, S, V = 300.0, 0.02, 0.05, 6.0, 20.0**3     # K, ps, ps, Å/ps, Å³
N_MG, N_CL, REPLICAS = 4, 8, 100
D = S**2 * TAU                                          # Å²/ps
SIGMA = ((N_MG * 2.0**2 + N_CL * 1.0**2) * D * constants.e**2 * constants.angstrom**2
         / constants.pico / (V * constants.angstrom**3 * constants.k * T))   # S/m


@pytest.fixture(scope="module")
def z_scores():
    z = {k: [] for k in ("GK", "EH", "NE", "D Mg", "D Cl")}
    valid = dict.fromkeys(z, 0)
    for seed in range(REPLICAS):
        rng = np.random.default_rng(5000 + seed)
        v = ornstein_uhlenbeck(rng, 2000, (N_MG + N_CL, 3), TAU, DT, S)
        col = IonCollection.from_arrays({"Mg": N_MG, "Cl": N_CL}, dt=DT, velocities=v,
                                        positions=integrate(v, DT),
                                        charges={"Mg": 2.0, "Cl": -1.0}, volume=V)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            gk = GreenKuboConductivity.from_collections(col, temperature=T, max_lag=10 * TAU)
            eh = EinsteinHelfandConductivity.from_collections(col, temperature=T)
            d = Diffusion.from_collections(col, n_blocks=10)
        out = {"GK": (gk.results.conductivity, SIGMA), "EH": (eh.results.conductivity, SIGMA),
               "NE": (NernstEinstein(d, temperature=T).results.conductivity, SIGMA),
               "D Mg": (d.results.diffusion_coefficient["Mg"], D),
               "D Cl": (d.results.diffusion_coefficient["Cl"], D)}
        for key, (est, exact) in out.items():
            z[key].append((est.value - exact) / est.stderr)
            valid[key] += est.valid
    return {k: np.array(v) for k, v in z.items()}, valid


@pytest.mark.parametrize("key", ["GK", "EH", "NE", "D Mg", "D Cl"])
def test_error_bars_are_calibrated(z_scores, key):
    z, valid = z_scores
    values = z[key]
    assert 0.8 <= np.std(values, ddof=1) <= 1.35, (key, np.std(values, ddof=1))
    assert abs(np.mean(values)) < 0.35, (key, np.mean(values))
    assert 0.55 <= np.mean(np.abs(values) < 1.0) <= 0.85, (key, np.mean(np.abs(values) < 1))
    assert np.mean(np.abs(values) < 1.96) >= 0.85, (key, np.mean(np.abs(values) < 1.96))
    # the diffusive regime and converged integrals: valid nearly always
    assert valid[key] >= 0.85 * REPLICAS, (key, valid[key])
