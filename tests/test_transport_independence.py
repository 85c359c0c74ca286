"""Einstein estimates of too few independent samples are marked, as Green–Kubo's are.

The Einstein–Helfand conductivity and the Einstein Onsager coefficients fit MSDs; their only
check was the log-log slope, which counts no independent samples. The increments of the dipole
(of the species' summed positions) are the frame-averaged current, whose statistical
inefficiency Green–Kubo already counts (:func:`mda_electrolyte.correlation.independence_notes`).
"""

import warnings

import numpy as np
import pytest
from scipy import constants
from transport_data import IONS, integrate, ornstein_uhlenbeck, salt_universe

from mda_electrolyte import EinsteinHelfandConductivity, OnsagerCoefficients
from mda_electrolyte.correlation import independence_notes

TAU, DT, S_V, BOX, N_ION = 0.1, 0.02, 6.0, 20.0, 4  # ps, ps, Å/ps, Å, ions per species


def _runs(seed, n_runs, n_frames, tau=TAU):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_runs):
        v = ornstein_uhlenbeck(rng, n_frames, (2 * N_ION, 3), tau, DT, S_V)
        out.append(salt_universe(v, integrate(v, DT), n_cations=N_ION, dt=DT, box=BOX))
    return out


def _notes(verdict):
    # notes are joined by "; " and none holds one (the inefficiency's "; need 50" split a note)
    return [n for n in verdict.split("; ") if n != "valid"]


@pytest.mark.parametrize("seed", range(900, 906))
def test_einstein_estimates_of_few_independent_samples_are_too_short(seed):
    # 2 runs of 200 frames of a current correlated over 0.1 ps (inefficiency ~10 frames of
    # 0.02 ps): ~40 independent samples, fewer than the 50 every estimate asks for. Some of
    # these runs passed the slope check and were called valid
    us = _runs(seed, 2, 200)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        eh = EinsteinHelfandConductivity(us, IONS, temperature=300.0, n_blocks=3,
                                         fit_window=(0.4, 0.9)).run().results
        ons = OnsagerCoefficients(us, IONS, 300.0, n_blocks=3, fit_window=(0.4, 0.9)).run()
    for verdict, what in ((eh.verdict, "the charge current (dipole increments)"),
                          (ons.results.verdict, "the summed velocity of Li (position "
                                                "increments)")):
        short = [n for n in _notes(verdict) if n.startswith("too short")]
        assert short and short[0].startswith(f"too short: {what} holds "), verdict
        assert "independent samples" in short[0] and short[0].endswith("need 50)"), short
        # each note is whole: every note of the verdict starts with its reason
        assert all(n.split(":")[0] in ("too short", "not diffusive") for n in _notes(verdict))
    assert not eh.valid and not ons.results.valid
    # every Onsager estimate carries it, the conductivity and the transference numbers too
    r = ons.results
    for est in [*r.coefficients.values(), r.conductivity, *r.transference_numbers.values()]:
        assert any(n.startswith("too short") for n in est.notes), est


def test_the_increments_count_the_currents_independent_samples():
    # the dipole increments of trapezoid-integrated velocities are the mean of two successive
    # current samples: the same correlation time, so the same count within the noise of g
    us = _runs(42, 1, 4000)
    u = us[0]
    q = np.where(np.arange(2 * N_ION) < N_ION, 1.0, -1.0)
    vel = np.array([ts.velocities.astype(float) for ts in u.trajectory])
    pos = np.array([ts.positions.astype(float) for ts in u.trajectory])
    current = np.einsum("tik,i->tk", vel, q)
    dipole = np.einsum("tik,i->tk", pos, q)
    # exact inefficiency of an OU sampled every DT: (1 + a) / (1 - a), a = exp(-DT/TAU)
    a = np.exp(-DT / TAU)
    g_exact = (1 + a) / (1 - a)
    for series in (current, np.diff(dipole, axis=0)):
        # 4000 / g ~ 400 samples: no note; 40 frames of them: the count is ~4 g short
        assert independence_notes([series], 1, "x") == []
        note = independence_notes([series[:200]], 1, "x")[0]
        n_ind = float(note.split(" holds ")[1].split()[0])
        assert 200 / (2.0 * g_exact) < n_ind < 200 / (0.5 * g_exact), note


def test_long_einstein_helfand_runs_are_not_too_short_and_their_errors_cover_the_exact_value():
    # 2000 frames of a 0.05 ps-correlated salt: ~400 independent samples, never marked short;
    # where valid, the error bars cover the exact sigma = 2 N s^2 tau e^2 / (V k_B T)
    tau = 0.05
    pref = constants.e**2 / (constants.angstrom * constants.pico) / (
        BOX**3 * constants.k * 300.0)
    sigma = 2 * N_ION * S_V**2 * tau * pref
    z = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for seed in range(30):
            (u,) = _runs(5000 + seed, 1, 2000, tau=tau)
            r = EinsteinHelfandConductivity(u, IONS, temperature=300.0).run().results
            assert not any(n.startswith("too short") for n in r.conductivity.notes), r.verdict
            if r.valid:
                z.append((r.conductivity.value - sigma) / r.conductivity.stderr)
    z = np.array(z)
    assert z.size >= 24, z.size
    assert 0.55 <= np.mean(np.abs(z) < 1) <= 0.9, np.mean(np.abs(z) < 1)
    assert abs(np.mean(z)) < 0.6, np.mean(z)
