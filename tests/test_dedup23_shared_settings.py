"""The settings the transport analyses share, each checked and kept by one function.

``check_fit_window`` returns the window as the analyses keep it, ``checked_blocks`` is
``default_blocks`` with the conductivities' two-segment floor, and every analysis keeps the
same settings from equivalent inputs (list, tuple or array windows).
"""

import numpy as np
import pytest

from mda_electrolyte import Diffusion, EinsteinHelfandConductivity, OnsagerCoefficients
from mda_electrolyte.carriers import DEFAULT_BLOCKS, checked_blocks, default_blocks, n_universes_of
from mda_electrolyte.correlation import check_fit_window


def test_check_fit_window_returns_copies_of_what_it_checked():
    window = [0.2, 0.5]
    kept, kept_ps = check_fit_window(window, None)
    window[1] = 0.9
    assert kept == (0.2, 0.5) and kept_ps is None
    ps = np.array([1.0, 3.0])
    kept, kept_ps = check_fit_window((0.1, 0.3), ps)
    ps[0] = 2.5
    assert kept == (0.1, 0.3) and kept_ps == (1.0, 3.0)


@pytest.mark.parametrize("window, ps, word", [((0.5, 0.2), None, "fit_window"),
                                               ((0.1, 1.5), None, "fit_window"),
                                               ((0.1, 0.3), (3.0, 1.0), "fit_window_ps")])
def test_check_fit_window_refuses_and_names_the_window(window, ps, word):
    with pytest.raises(ValueError, match=word):
        check_fit_window(window, ps)


@pytest.mark.parametrize("n_collections", [1, 2, 3])
@pytest.mark.parametrize("n_blocks", [None, 1, 2, 7])
def test_checked_blocks_is_default_blocks_with_two_segments(n_collections, n_blocks):
    expected = default_blocks(n_collections, n_blocks)
    assert default_blocks(1, None) == DEFAULT_BLOCKS
    if n_collections * expected < 2:
        with pytest.raises(ValueError, match="at least 2 segments"):
            checked_blocks(n_collections, n_blocks)
    else:
        assert checked_blocks(n_collections, n_blocks) == expected


def test_n_universes_of_counts_lists_and_tuples_only():
    assert n_universes_of(["a", "b"]) == 2
    assert n_universes_of(("a",)) == 1
    assert n_universes_of("one.h5") == 1


@pytest.mark.parametrize("cls, parameters", [
    (EinsteinHelfandConductivity, {"temperature": 300.0}),
    (Diffusion, {}),
    (OnsagerCoefficients, {"temperature": 300.0}),
])
def test_equivalent_windows_give_the_same_settings(cls, parameters):
    kept = []
    for window in ([0.2, 0.4], (0.2, 0.4), np.array([0.2, 0.4])):
        analysis = cls.__new__(cls)
        analysis._configure(1, fit_window=window, n_blocks=4, volume=None,
                            species=["Li", "PF6"], **parameters)
        if not isinstance(window, tuple):
            window[0] = 0.3   # the caller's window changed afterwards
        kept.append((analysis._fit_window, analysis._fit_window_ps, analysis._n_blocks,
                     analysis._volume, analysis._species_names))
    assert kept[0] == kept[1] == kept[2] == ((0.2, 0.4), None, 4, None, ["Li", "PF6"])


def test_fit_estimate_carries_the_residual_dof_only_without_given_errors():
    from scipy import stats

    from mda_electrolyte.uncertainty import fit_estimate, t_factor

    rng = np.random.default_rng(3)
    x = np.linspace(0.0, 1.0, 7)
    fit = stats.linregress(x, 2.0 * x + rng.normal(0.0, 0.1, x.size))
    # the one-sigma error t-scaled from the residuals, as ThermalExpansion gives it
    residual = fit_estimate(fit.slope, fit.stderr * t_factor(x.size - 2), "1/K",
                            n_points=x.size, n_parameters=2, given_errors=False)
    assert residual.dof == x.size - 2 and residual.converged
    # the 95 % interval is scipy's t(n - 2) interval of the slope
    lo, hi = residual.interval(0.95)
    half = stats.t.ppf(0.975, x.size - 2) * fit.stderr
    assert np.isclose(hi - lo, 2 * half, rtol=1e-9)
    weighted = fit_estimate(fit.slope, fit.stderr, "1/K", n_points=x.size, n_parameters=2,
                            given_errors=True, notes=["extrapolated"])
    assert weighted.dof is None and not weighted.converged
    assert weighted.method != residual.method
    few = fit_estimate(1.0, 0.1, "1/K", n_points=2, n_parameters=2, given_errors=False)
    assert few.dof is None


@pytest.mark.parametrize("bad", [[1.0, 0.0, 1.0, 1.0, 1.0], [1.0, np.inf, 1.0, 1.0, 1.0],
                                 [1.0, 1.0, 1.0]])
def test_the_fits_refuse_errors_that_are_no_weights_naming_the_points(bad):
    from mda_electrolyte import EquationOfState, TaitCompressibility, ThermalExpansion

    x = np.array([1.0, 1.1, 1.2, 1.3, 1.4])
    with pytest.raises(ValueError, match="pressure errors must be positive and finite, one per"):
        EquationOfState(x, 1000.0 * (x - 1.2), pressure_errors=bad)
    with pytest.raises(ValueError, match="volume errors must be positive and finite, one per"):
        TaitCompressibility(100.0 * x, 1000.0 - x, volume_errors=bad)
    with pytest.raises(ValueError, match="density errors must be positive and finite, one per"):
        ThermalExpansion(300.0 * x, 1.2 - 0.1 * x, density_errors=bad)


@pytest.mark.parametrize("reference, extrapolated", [(300.0, False), (340.0, False),
                                                     (339.0, False), (341.0, True),
                                                     (200.0, True)])
def test_thermal_expansion_marks_a_reference_outside_the_temperatures(reference, extrapolated):
    from mda_electrolyte import ThermalExpansion

    t = np.array([300.0, 310.0, 320.0, 330.0, 340.0, 305.0])
    rng = np.random.default_rng(1)
    rho = 1.3 * (1.0 - 1e-3 * (t - 300.0)) + rng.normal(0.0, 1e-4, t.size)
    est = ThermalExpansion(t, rho, reference_temperature=reference).run().results.expansivity
    notes = [n for n in est.notes if n.startswith("extrapolated: reference temperature")]
    assert bool(notes) is extrapolated
    if extrapolated:
        assert not est.converged and "300–340 K" in notes[0]
