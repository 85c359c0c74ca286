"""The Yeh–Hummer term Diffusion adds is an Estimate with η's error and verdict.

Found by probing: ``Diffusion(..., viscosity=0.50 ± 0.05 mPa·s).run().results
.yeh_hummer_correction`` was a bare float, 0.0416 Å²/ps, without the 10 % error η gives it or
the verdict of η (and of a drifting box) that D_∞ carries. ``results.finite_size_correction``
is now that Estimate; the float stays as its alias beside ``yeh_hummer_correction_err``.
"""

import numpy as np
import pytest
from transport_data import IONS, integrate, ornstein_uhlenbeck, salt_universe

from ase_electrolyte.estimate import Estimate
from mda_electrolyte import Diffusion
from mda_electrolyte.diffusion import yeh_hummer_correction

BOX = 40.0


@pytest.fixture(scope="module")
def universe():
    rng = np.random.default_rng(2)
    v = ornstein_uhlenbeck(rng, 400, (8, 3), 0.1, 0.01, 3.0)
    return salt_universe(v, integrate(v, 0.01), n_cations=4, dt=0.01, box=BOX)


@pytest.mark.parametrize(("viscosity", "eta", "err"), [
    (Estimate(0.5, 0.05, "mPa·s", "given"), 0.5, 0.05),
    (Estimate(8e-4, 2e-4, "Pa s", "given"), 0.8, 0.2),
    ((1.2, 0.3), 1.2, 0.3),
    (0.9, 0.9, 0.0),
])
def test_the_term_carries_the_relative_error_of_eta(universe, viscosity, eta, err):
    res = Diffusion(universe, IONS, viscosity=viscosity, temperature=300).run().results
    term = res.finite_size_correction
    exact = yeh_hummer_correction(300.0, eta, BOX)
    assert isinstance(term, Estimate) and term.unit == "Å^2/ps"
    assert term.value == pytest.approx(exact, rel=1e-6)
    assert term.stderr == pytest.approx(exact * err / eta, rel=1e-6, abs=1e-15)
    assert term.valid
    assert res.yeh_hummer_correction == term.value
    assert res.yeh_hummer_correction_err == term.stderr
    for name, d_inf in res.diffusion_coefficient_yeh_hummer.items():
        d = res.diffusion_coefficient[name]
        assert d_inf.value == pytest.approx(d.value + term.value, rel=1e-12)
        assert d_inf.stderr == pytest.approx(np.hypot(d.stderr, term.stderr), rel=1e-12)


def test_a_viscosity_not_valid_makes_the_term_not_valid(universe):
    eta = Estimate(0.5, 0.05, "mPa·s", "given", converged=False,
                   notes=("not converged: η(τ) drifts",))
    res = Diffusion(universe, IONS, viscosity=eta, temperature=300).run().results
    term = res.finite_size_correction
    assert not term.valid and term.notes == ("η: not converged: η(τ) drifts",)
    assert all("η: not converged: η(τ) drifts" in d.notes
               for d in res.diffusion_coefficient_yeh_hummer.values())


def test_without_viscosity_there_is_no_term(universe):
    res = Diffusion(universe, IONS).run().results
    assert res.finite_size_correction is None and res.diffusion_coefficient_yeh_hummer is None
