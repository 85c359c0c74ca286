"""Onsager coefficients on salts with known velocity correlations."""

import warnings

import matplotlib
import numpy as np
import pytest
from transport_data import IONS, integrate, ornstein_uhlenbeck, salt_universe

from mda_electrolyte import EinsteinHelfandConductivity, GreenKuboConductivity, OnsagerCoefficients
from mda_electrolyte.conductivity import _conductivity_prefactor

matplotlib.use("Agg")

TAU, DT, S, BOX, T = 0.5, 0.05, 2.0, 40.0, 300.0


@pytest.fixture(scope="module")
def coupled():
    """4 pairs, anion velocity = c · cation velocity + independent OU (c = 0.5)."""
    rng = np.random.default_rng(21)
    n, c = 4, 0.5
    v_cat = ornstein_uhlenbeck(rng, 12000, (n, 3), TAU, DT, S)
    v_an = c * v_cat + ornstein_uhlenbeck(rng, 12000, (n, 3), TAU, DT, S)
    v = np.concatenate([v_cat, v_an], axis=1)
    u = salt_universe(v, integrate(v, DT, rng.uniform(0, BOX, (2 * n, 3))), n_cations=n, dt=DT,
                      box=BOX)
    pref = _conductivity_prefactor(BOX**3, T, 3)
    # per particle ∫<v·v> = 3 s² τ; ⟨V_Li·V_AN⟩ integrates to c N 3 s² τ
    exact = pref * 3 * S**2 * TAU * n * np.array([[1.0, c], [c, 1 + c**2]])
    return u, exact


@pytest.mark.parametrize("method", ["einstein", "green-kubo"])
def test_coefficients_match_the_analytic_matrix(coupled, method):
    u, exact = coupled
    kw = {"max_lag": 5 * TAU} if method == "green-kubo" else {}
    r = OnsagerCoefficients(u, IONS, T, method=method, remove_drift=False, **kw).run().results
    assert r.species == ["Li", "AN"]
    np.testing.assert_allclose(r.L, exact, rtol=0.2)
    np.testing.assert_allclose(r.L, r.L.T)
    # independent particles: the distinct diagonal vanishes, the cross term is all distinct
    assert np.all(np.abs(np.diag(r.L_distinct)) < 3.5 * np.diag(r.L_err))
    np.testing.assert_allclose(r.L_self + r.L_distinct, r.L)
    assert sum(r.transference.values()) == pytest.approx(1.0)
    assert r.charges["Li"]["source"] == "formal"


def test_sigma_equals_einstein_helfand_and_green_kubo(coupled):
    u, _ = coupled
    on_e = OnsagerCoefficients(u, IONS, T, remove_drift=False).run().results
    eh = EinsteinHelfandConductivity(u, IONS, temperature=T).run().results
    # Σ z_i z_j ⟨ΔR_i·ΔR_j⟩ is the charge-dipole MSD: the same numbers exactly
    assert on_e.sigma == pytest.approx(eh.sigma, rel=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        on_g = OnsagerCoefficients(u, IONS, T, method="green-kubo", max_lag=5 * TAU,
                                   remove_drift=False).run().results
        gk = GreenKuboConductivity(u, IONS, temperature=T, max_lag=5 * TAU).run().results
    assert on_g.sigma == pytest.approx(gk.sigma, rel=1e-6)
    # t_Li = (L_LL - L_LA) / σ with unit charges
    L = on_e.L
    assert on_e.transference["Li"] == pytest.approx(
        (L[0, 0] - L[0, 1]) / (L[0, 0] - 2 * L[0, 1] + L[1, 1]), rel=1e-9
    )


def test_bad_method_and_plot(coupled):
    u, _ = coupled
    with pytest.raises(ValueError, match="method"):
        OnsagerCoefficients(u, IONS, T, method="x")
    ax = OnsagerCoefficients(u, IONS, T).run().plot()
    assert "Onsager" in ax.get_title()
    matplotlib.pyplot.close("all")
