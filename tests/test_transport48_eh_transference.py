"""Einstein–Helfand conductivity reports transference numbers, as Green–Kubo and Onsager do.

Found by probing: ``EinsteinHelfandConductivity(...).results.transference_numbers`` did not
exist (AttributeError) while Green–Kubo and Onsager give t_A = (σ_AA + ½ Σ_B≠A σ_AB) / σ
= Σ_j z_A z_j L_Aj / Σ_kl z_k z_l L_kl (the definition of the Onsager-coefficient papers). Now
each species' share ⟨ΔM_A·ΔM⟩ of the dipole MSD is fitted over the same window, per segment.
"""

import warnings

import numpy as np
import pytest
from transport_data import IONS, integrate, ornstein_uhlenbeck, salt_universe

from ase_electrolyte.estimate import Estimate
from mda_electrolyte import EinsteinHelfandConductivity, OnsagerCoefficients

DT = 0.01


def _salt(seed, n_cations, s_anion, n_frames=3000):
    rng = np.random.default_rng(seed)
    vc = ornstein_uhlenbeck(rng, n_frames, (n_cations, 3), 0.05, DT, 1.0)
    va = ornstein_uhlenbeck(rng, n_frames, (n_cations, 3), 0.05, DT, 1.0) * s_anion
    v = np.concatenate([vc, va], axis=1)
    return salt_universe(v, integrate(v, DT), n_cations=n_cations, dt=DT)


def _quiet(build):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build()


@pytest.mark.parametrize(("s_anion", "expected"), [(0.5, 0.8), (1.0, 0.5), (2.0, 0.2)])
def test_transference_numbers_of_independent_ions(s_anion, expected):
    # independent ions of equal count and |z|: t_Li = D_Li / (D_Li + D_AN), D ∝ s²
    u = _salt(5, 8, s_anion)
    eh = _quiet(lambda: EinsteinHelfandConductivity(u, IONS, 300).run())
    t = eh.results.transference_numbers
    assert set(t) == {"Li", "AN"}
    assert all(isinstance(e, Estimate) and e.unit == "1" for e in t.values())
    assert t["Li"].value + t["AN"].value == pytest.approx(1.0, abs=1e-12)
    assert eh.results.transference == {k: e.value for k, e in t.items()}
    assert abs(t["Li"].value - expected) < 3 * t["Li"].stderr + 0.02, t["Li"]
    assert 0 < t["Li"].stderr < 0.15 and t["Li"].valid
    # the Onsager route (lab frame) of the same positions, blocks and window: the same numbers
    on = _quiet(lambda: OnsagerCoefficients(u, IONS, 300).run())
    for name, est in t.items():
        t_on = on.results.transference_numbers[name]
        assert est.value == pytest.approx(t_on.value, rel=1e-9, abs=1e-12)
        assert est.stderr == pytest.approx(t_on.stderr, rel=1e-6)


def test_the_verdict_is_sigmas():
    u = _salt(6, 2, 1.0, n_frames=1500)
    eh = _quiet(lambda: EinsteinHelfandConductivity(u, IONS, 300).run())
    sigma = eh.results.conductivity
    for est in eh.results.transference_numbers.values():
        # too few ions (2 per species) judges the ratio as it judges σ
        assert not est.valid and set(sigma.notes) <= set(est.notes)


def test_frozen_anions_carry_no_current_and_have_no_error():
    u = _salt(7, 4, 0.0, n_frames=1500)
    eh = _quiet(lambda: EinsteinHelfandConductivity(u, IONS, 300).run())
    t = eh.results.transference_numbers
    assert t["Li"].value == 1.0 and t["AN"].value == 0.0
    assert str(t["AN"].value) == "0.0"
    for est in t.values():
        assert not est.valid and np.isnan(est.stderr) and "no scatter" in est.verdict


def test_ions_that_do_not_move_have_no_transference_numbers():
    # σ was 0 ± 0, not valid; refused now as Green–Kubo and Onsager refuse it
    # (tests/test_transport49_still_ions.py)
    u = salt_universe(np.zeros((600, 8, 3)), np.zeros((600, 8, 3)), n_cations=4, dt=DT)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="nothing moves in 10 of the 10 segments"):
            EinsteinHelfandConductivity(u, IONS, 300).run()
