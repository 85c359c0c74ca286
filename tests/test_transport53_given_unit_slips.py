"""Numbers given in the other unit the package uses are refused, not taken.

The API takes D in Å²/ps and η in mPa·s, and reports D in m²/s too (``results.D_m2_s``). A
liquid's D in m²/s (1e-10) given to Nernst–Einstein was read as 1e-10 Å²/ps: σ_NE = 1.2e-8 S/m,
valid. A viscosity in Pa·s (0.0005 for 0.5 mPa·s) given to Diffusion made its Yeh–Hummer term
1000 times too large.
"""

import warnings

import MDAnalysis as mda
import numpy as np
import pytest
from MDAnalysis.coordinates.memory import MemoryReader

from ase_electrolyte.estimate import Estimate
from mda_electrolyte import Diffusion, NernstEinstein
from mda_electrolyte.diffusion import yeh_hummer_correction

SETTINGS = dict(temperature=300.0, volume=30000.0, charges={"Li": 1.0, "PF6": -1.0},
                n_ions={"Li": 20, "PF6": 20})


@pytest.mark.parametrize("d_m2_s", [1e-9, 3e-10, 1e-11, 5e-13, -2e-10])
@pytest.mark.parametrize("route", ["constructor", "from_estimates"])
def test_a_diffusivity_in_m2_per_s_is_refused_with_its_value_in_a2_per_ps(d_m2_s, route):
    d = {"Li": d_m2_s, "PF6": 0.02}
    build = NernstEinstein if route == "constructor" else NernstEinstein.from_estimates
    with pytest.raises(ValueError, match="diffusivity of 'Li'.*below any liquid") as info:
        build(diffusivities=d, **SETTINGS)
    assert f"{d_m2_s * 1e8:g} Å²/ps" in str(info.value)


@pytest.mark.parametrize("d", [0.0, 1e-6, 1e-3, 0.02, 1.5, -0.003])
def test_diffusivities_of_liquids_and_zero_are_taken(d):
    r = NernstEinstein(diffusivities={"Li": d, "PF6": 0.02}, **SETTINGS).results
    # σ_NE = e² / (V k_B T) Σ N z² D, in S/m
    e, kb = 1.602176634e-19, 1.380649e-23
    expected = e**2 / (30000e-30 * kb * 300.0) * 20 * (d + 0.02) * 1e-8
    assert r.conductivity.value == pytest.approx(expected, rel=1e-9)


def test_a_diffusivity_estimate_in_m2_per_s_is_converted_not_refused():
    d_si = Estimate(2e-10, 1e-11, "m^2/s", "given", 1)
    a = NernstEinstein(diffusivities={"Li": d_si, "PF6": 0.02}, **SETTINGS).results
    b = NernstEinstein(diffusivities={"Li": 0.02, "PF6": 0.02},
                       diffusivity_errors={"Li": 1e-3}, **SETTINGS).results
    assert a.conductivity.value == pytest.approx(b.conductivity.value, rel=1e-12)


def _universe(n=8, frames=200):
    rng = np.random.default_rng(0)
    x = 10 + np.cumsum(rng.normal(scale=0.1, size=(frames, n, 3)), axis=0)
    u = mda.Universe.empty(n, n_residues=n, atom_resindex=np.arange(n), trajectory=True)
    u.add_TopologyAttr("names", ["Li"] * n)
    u.add_TopologyAttr("resnames", ["Li"] * n)
    u.add_TopologyAttr("masses", [6.94] * n)
    u.load_new(x, format=MemoryReader, dt=0.1,
               dimensions=np.array([30.0, 30, 30, 90, 90, 90]))
    return u


@pytest.mark.parametrize("eta_pa_s", [0.0005, 0.00089, 0.002, 0.03, (0.0009, 0.0001)])
def test_a_viscosity_in_pa_s_is_refused_before_any_frame_is_read(eta_pa_s):
    u = _universe()
    with pytest.raises(ValueError, match=r"viscosity = .* mPa·s is below any liquid") as info:
        Diffusion(u, {"Li": "name Li"}, viscosity=eta_pa_s, temperature=300.0)
    value = eta_pa_s[0] if isinstance(eta_pa_s, tuple) else eta_pa_s
    assert f"{value * 1e3:g} mPa·s" in str(info.value)
    assert u.trajectory.ts.frame == 0


@pytest.mark.parametrize("eta", [0.34, 0.89, 2.5, (1.0, 0.1), 5e3])
def test_liquid_viscosities_in_mpa_s_give_the_yeh_hummer_term(eta):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = Diffusion(_universe(), {"Li": "name Li"}, viscosity=eta, temperature=300.0,
                      remove_drift=False).run().results
    value = eta[0] if isinstance(eta, tuple) else eta
    assert r.yeh_hummer_correction == pytest.approx(
        yeh_hummer_correction(300.0, value, 30.0), rel=1e-9)
    # ξ k_B T / (6 π η L) in Å²/ps, from SI
    si = 2.837297 * 1.380649e-23 * 300.0 / (6 * np.pi * value * 1e-3 * 30e-10)
    assert r.yeh_hummer_correction == pytest.approx(si * 1e8, rel=1e-9)
