r"""Density alignment: shift a model's pressure so that its NPT density meets experiment.

BAMBOO (Gong et al., 2024) aligns its model to experimental densities with uniform pressure
shifts. Near the model's density, :math:`\ln\rho` is linear in pressure with slope the
isothermal compressibility, :math:`\kappa_T = \partial \ln\rho / \partial P`. A model whose
pressure at every density is raised by :math:`\Delta P`, :math:`p'(\rho) = p(\rho) + \Delta P`,
reaches in an NPT run at the same external pressure the density

.. math::

    \ln\rho' = \ln\rho - \kappa_T\,\Delta P
    \quad\Longrightarrow\quad
    \Delta P = -\frac{\ln(\rho_\mathrm{target}/\rho_\mathrm{model})}{\kappa_T}.

:func:`npt_density` measures a model's NPT density (with its error and verdict),
:func:`compressibility_from_shifts` measures :math:`\kappa_T` from NPT densities under imposed
pressures, :func:`compressibility_from_fluctuations` from the volume fluctuations of one NPT run
(or take it from an EOS fit), :func:`pressure_shift_for_density` gives
:math:`\Delta P` with its uncertainty, and :func:`align_density` fine-tunes the model on frames
labelled by the model itself — energies and forces unchanged — with the stress labels shifted by
:math:`\Delta P` (:math:`\sigma \to \sigma - \Delta P\,I`, since
:math:`p = -\mathrm{tr}\,\sigma/3`).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

__all__ = [
    "Compressibility",
    "PressureShift",
    "compressibility_from_shifts",
    "compressibility_from_fluctuations",
    "pressure_shift_for_density",
    "tait_pressure_shift",
    "TAIT_C",
    "MIN_LIQUID_COMPRESSIBILITY",
    "align_density",
    "mean_pressure",
    "MeanPressure",
    "npt_density",
]


class Compressibility(NamedTuple):
    """Isothermal compressibility from a fit of ln ρ against P.

    ``estimate`` is κ_T as an :class:`ase_electrolyte.estimate.Estimate` (1/bar) with its
    verdict; ``kappa_per_bar`` and ``kappa_error`` are its value and error.
    ``density_estimate`` is the fitted density at zero pressure (``density_at_zero``) as an
    Estimate (g/cm³) with the fit's error and verdict.
    """

    kappa_per_bar: float  # κ_T, 1/bar
    kappa_error: float  # standard error, 1/bar (t-scaled when from the scatter)
    density_at_zero: float  # fitted ρ at P = 0, g/cm³
    n_points: int
    estimate: object = None  # Estimate of κ_T, 1/bar, with its verdict
    density_estimate: object = None  # Estimate of the fitted ρ at P = 0, g/cm³, its verdict


class PressureShift(NamedTuple):
    """The pressure shift that moves a model's density to a target.

    ``estimate`` is ΔP as an :class:`ase_electrolyte.estimate.Estimate` (bar) whose verdict is
    ``valid`` and whose notes are ``note``.
    """

    delta_bar: float  # ΔP, bar
    error_bar: float  # standard error of ΔP, bar; NaN (unknown) when no input had an error
    valid: bool  # False when the shift is not resolved (|ΔP| < 2 σ) or κ is not valid
    note: str
    estimate: object = None  # Estimate of ΔP, bar, with its verdict


#: Largest compressibility (1/bar) accepted: an ideal gas at 1 bar; a liquid's is ~1e-4 1/bar.
MAX_COMPRESSIBILITY = 1.0
#: Largest compressibility (1/bar) of a liquid for :func:`pressure_shift_for_density`: liquids
#: at ambient conditions lie between about 1e-5 (water 4.5e-5, carbonates 5e-5 to 1e-4) and
#: 2e-4 1/bar (diethyl ether, pentane); beyond 1e-3 a fluid is near its critical point or a gas,
#: where a constant κ_T does not carry a density by a pressure shift. A κ_T given in 1/GPa (water:
#: 0.45) passed as 0.45 1/bar and gave a valid shift ten thousand times too small (-0.044 bar
#: for a 2 % density change).
MAX_LIQUID_COMPRESSIBILITY = 1.0e-3
#: Smallest compressibility (1/bar) taken as a liquid's: 1e-7 1/bar is a bulk modulus of 1 TPa,
#: over twice diamond's (443 GPa, 2.3e-7 1/bar); liquids lie between about 1e-6 (liquid metals)
#: and 1e-3. Volumes in nm³ (GROMACS' unit) gave a fluctuation κ_T a thousand times too small
#: (5e-8 1/bar for a carbonate's 5e-5), pressures in Pa one 1e5 times too small, each marked
#: valid, and from it a 'valid' pressure shift of -3.7e5 bar for a 1.7 % density change.
MIN_LIQUID_COMPRESSIBILITY = 1.0e-7


def _stiffness_note(kappa_per_bar):
    """The note of a compressibility below :data:`MIN_LIQUID_COMPRESSIBILITY`, else ``None``."""
    if kappa_per_bar >= MIN_LIQUID_COMPRESSIBILITY:
        return None
    return (f"the compressibility {kappa_per_bar:.3g} 1/bar is below "
            f"{MIN_LIQUID_COMPRESSIBILITY:g} 1/bar (a bulk modulus above 1 TPa, stiffer than "
            "diamond): no liquid's; volumes in nm³ rather than Å³ make it 1000 times too small, "
            "pressures in Pa rather than bar 1e5 times")


# densities of model and target further apart than this factor are no pressure shift's work
_MAX_DENSITY_RATIO = 1.25


def compressibility_from_shifts(pressures_bar, densities, density_errors=None):
    r"""κ_T from NPT densities at several imposed pressures: the slope of ln ρ against P.

    Parameters
    ----------
    pressures_bar : array_like
        Imposed pressures (or pressure shifts), bar; at least 2 distinct values.
    densities : array_like of float or of Estimate
        Mean NPT densities, g/cm³; or their Estimates (e.g. ``Density(...).results.density``),
        whose errors are then the ``density_errors`` and whose verdicts carry over (a density
        that is not valid makes κ_T not valid).
    density_errors : array_like, optional
        Standard errors of plain-number densities; weights the fit
        (:math:`w = (\rho/\delta\rho)^2`).

    Returns
    -------
    Compressibility
        With ``estimate``, κ_T as an Estimate. Without ``density_errors`` the error comes from
        the scatter about the line, t-scaled for its ``n - 2`` degrees of freedom, and is not
        valid below 4 of them (6 points; :func:`mda_electrolyte.uncertainty.few_dof_note`):
        over 400 replicas of synthetic data of known κ_T the z-scores of the t-scaled error
        have standard deviations 7.3, 1.85, 1.46, 1.18, 1.16, 1.08 and one-sigma coverages
        0.65-0.72 at 3, 4, 5, 6, 8, 12 points (unscaled: coverage 0.57-0.64). With
        ``density_errors`` the error is propagated from them (z-score standard deviation
        0.96-1.03 at 2-12 points) and not valid when the scatter contradicts them
        (χ² p < 10⁻⁴). Not valid below :data:`MIN_LIQUID_COMPRESSIBILITY` (pressures in Pa).

    Raises
    ------
    ValueError
        Fewer than two distinct pressures (pressures spanning less than 1e-9 of their size
        count as one), pressures beyond :data:`~ase_electrolyte.md.MAX_PRESSURE_BAR`,
        densities not in (0, :data:`~ase_electrolyte.build.MAX_DENSITY`] or equal to 12
        digits, a non-positive slope (the densities do not rise with pressure: too noisy or a
        broken model) or one above :data:`MAX_COMPRESSIBILITY` (pressures in another unit).

    Examples
    --------
    >>> import numpy as np
    >>> from ase_electrolyte.density_alignment import compressibility_from_shifts
    >>> p = np.array([-1000.0, 0.0, 1000.0])
    >>> fit = compressibility_from_shifts(p, 1.2 * np.exp(5e-5 * p))
    >>> round(fit.kappa_per_bar * 1e5, 6), round(fit.density_at_zero, 6)
    (5.0, 1.2)
    """
    from mda_electrolyte.density import _fit_error_notes
    from mda_electrolyte.uncertainty import measured_values, real_array, t_factor

    from .estimate import METHODS, Estimate

    p = real_array(pressures_bar, "pressures_bar")
    rho, given_errors, input_notes = measured_values(densities, density_errors, "densities",
                                                     "g/cm^3")
    if p.shape != rho.shape or p.ndim != 1:
        raise ValueError("pressures_bar and densities must be 1-D arrays of the same length")
    from .build import MAX_DENSITY
    from .md import MAX_PRESSURE_BAR

    if not np.all(np.isfinite(p)):
        # NaN pressures reached LAPACK ("SVD did not converge")
        raise ValueError("pressures_bar must be finite")
    if np.any(np.abs(p) > MAX_PRESSURE_BAR):
        # 1e308 bar made the fit's matrix singular (LinAlgError)
        raise ValueError(f"pressures_bar must be within ±{MAX_PRESSURE_BAR:.0e} bar (1 TPa), got "
                         f"{p[np.abs(p) > MAX_PRESSURE_BAR][0]:g}")
    if len(np.unique(p)) < 2:
        raise ValueError("the compressibility needs densities at two or more distinct pressures")
    if not np.all(np.isfinite(rho)) or np.any(rho <= 0):
        raise ValueError("densities must be finite and positive")
    if np.any(rho > MAX_DENSITY):
        raise ValueError(f"densities must be at most {MAX_DENSITY:g} g/cm³ (denser than any "
                         f"liquid: another unit?), got {rho.max():g}")
    y = np.log(rho)
    span = float(p.max() - p.min())
    if not span > 1e-9 * max(1.0, float(np.abs(p).max())):
        # [0, 1e-300] bar: LAPACK's "SVD did not converge" (or "Singular matrix") with its
        # own lines on the terminal; a larger but tiny span gave an absurd κ
        raise ValueError(
            f"pressures_bar differ by {span:.3g} bar only: no distinct pressures (at least "
            f"1e-9 of their size, {max(1.0, float(np.abs(p).max())):.3g} bar) to fit a slope to")
    if float(y.max() - y.min()) < 1e-12:
        # identical densities fitted a slope of round-off (1e-18 1/bar) with an error of 0,
        # marked valid: a pressure shift from it was astronomically large
        raise ValueError(
            "the densities are equal to 12 digits at every pressure: the density does not "
            "rise with pressure, no compressibility can be fitted (a model or input that "
            "ignores the pressure?)")
    # fitted against the centred, scaled pressure: the normal equations of raw pressures of
    # 1e6 bar spread by 1e-3 are singular to LAPACK
    centre = float(p.mean())
    x = (p - centre) / span
    if given_errors is None:
        w = np.ones_like(y)
    else:
        err = given_errors
        # a NaN error reached LAPACK; an infinite one silently dropped its point
        if err.shape != rho.shape or not np.all((err > 0) & (err < np.inf)):
            raise ValueError("density_errors must be positive and finite, one per density")
        w = (rho / err) ** 2
        rho_err_ln = err / rho  # the error of ln ρ
    dof = len(p) - 2
    if given_errors is not None:
        # weights 1/σ(ln ρ): the covariance follows from the given errors
        coef, cov = np.polyfit(x, y, 1, w=np.sqrt(w), cov="unscaled")
        slope_err = float(np.sqrt(cov[0, 0])) / span
        cov_scale = 1.0
        method = METHODS["fit"] + ", weighted by the density errors"
    elif dof >= 1:
        # errors estimated from the scatter about the line: t-scaled for its dof (unscaled,
        # 68 % intervals covered 57-64 % of replicas)
        coef, cov = np.polyfit(x, y, 1, cov="unscaled")
        resid = y - np.polyval(coef, x)
        cov_scale = np.sum(resid**2) / dof * t_factor(dof) ** 2
        slope_err = float(np.sqrt(cov[0, 0] * cov_scale)) / span
        method = METHODS["fit"] + ", t-scaled"
    else:
        coef = np.polyfit(x, y, 1)
        cov, cov_scale = np.full((2, 2), np.nan), np.nan
        slope_err = float("nan")  # two points: no scatter to estimate an error from
        method = METHODS["none"]
    resid = y - np.polyval(coef, x)
    # back to the pressure: ln ρ = a x + b = (a / span) P + (b - a centre / span)
    slope = float(coef[0]) / span
    intercept = float(coef[1]) - slope * centre
    if not slope > 0:
        raise ValueError(
            f"the density does not rise with pressure (d ln ρ / dP = {slope:.3g} 1/bar); the "
            "densities are too noisy for a compressibility"
        )
    if slope > MAX_COMPRESSIBILITY:
        # pressures 1e-6 bar apart with densities 1 % apart fitted a 'valid' κ of 1e4 1/bar,
        # which pressure_shift_for_density then refused
        raise ValueError(
            f"the fitted compressibility d ln ρ / dP = {slope:.3g} 1/bar exceeds "
            f"{MAX_COMPRESSIBILITY:g} 1/bar (an ideal gas at 1 bar): are the pressures in bar "
            f"(they span {span:.3g})?")
    if given_errors is None:
        notes = (_fit_error_notes(resid, None, dof) if dof >= 1 else
                 ("too few points: a line through two has no scatter to give an error (a "
                  "calibrated error needs at least 6 points, or density_errors)",))
    else:
        # propagated from the given errors; with more points than parameters the scatter must
        # agree with them
        notes = _fit_error_notes(resid, rho_err_ln, dof) if dof >= 1 else ()
    notes = notes + input_notes
    stiff = _stiffness_note(slope)
    if stiff:
        notes = (stiff, *notes)
    # the scatter-based error is t-scaled for the fit's points minus its 2 parameters; one
    # propagated from given density errors is normal
    estimate = Estimate(float(slope), slope_err, "1/bar", method, n_samples=len(p),
                        converged=not notes, notes=notes,
                        dof=float(dof) if given_errors is None and dof >= 1 else None)
    # ρ(P = 0) = exp(a x₀ + b), x₀ = -centre/span: its error from the fit's covariance of
    # (a, b), the same scaling as the slope's (it was a bare number beside κ_T's Estimate)
    rho_zero = float(np.exp(intercept))
    x0 = np.array([-centre / span, 1.0])
    rho_zero_err = rho_zero * float(np.sqrt(x0 @ cov @ x0 * cov_scale))
    density = Estimate(rho_zero, rho_zero_err, "g/cm^3", method, n_samples=len(p),
                       converged=not notes, notes=notes, dof=estimate.dof)
    return Compressibility(float(slope), slope_err, rho_zero, len(p), estimate, density)


def compressibility_from_fluctuations(source, temperature_K, *, dt=None):
    r"""κ_T from the volume fluctuations of one NPT run.

    :math:`\kappa_T = \langle\delta V^2\rangle / (k_B T \langle V\rangle)`, the
    isothermal-isobaric ensemble's fluctuation formula (Allen and Tildesley, *Computer
    Simulation of Liquids*, 2017), valid for a barostat that samples that ensemble (the MTK
    barostat of :func:`ase_electrolyte.md.run_md` does). The start that pymbar's
    equilibration detection finds in the volume series is discarded; the error of
    :math:`\langle\delta V^2\rangle` comes from the statistical inefficiency of the
    :math:`\delta V^2` series itself (:func:`mda_electrolyte.uncertainty.timeseries_mean`), so
    no extra NPT runs are needed — but a variance needs more uncorrelated samples than a mean:
    the relative error is about :math:`\sqrt{2/n_\mathrm{eff}}`. A slow start-up transient
    that equilibration detection leaves in the volumes (the "not converged" verdict of
    :func:`mda_electrolyte.uncertainty.equilibrated_series_mean`) or a linear drift through
    the kept volumes (its ``trend`` test, "not equilibrated: drifting", ~1 % false alarms)
    inflates :math:`\langle\delta V^2\rangle` and makes κ_T not valid.

    Parameters
    ----------
    source : str, os.PathLike or array_like
        H5MD file of an NPT run (its ``volume`` observable, Å³) or a volume series, Å³.
    temperature_K : float
        The run's thermostat temperature, K.
    dt : float, optional
        Spacing of an array ``source``, ps (only for the reported equilibration time).

    Returns
    -------
    ase_electrolyte.estimate.Estimate
        κ_T in 1/bar; the verdict says "too short" below 50 uncorrelated samples of the volume
        or of :math:`\delta V^2` (:data:`mda_electrolyte.uncertainty.MIN_INDEPENDENT_SAMPLES`).
        Its interval is on the log scale (``interval_scale="log"``: a variance is right-skewed)
        with ``dof`` = n/5 - 1 for n uncorrelated samples (the error of a variance rests on a
        fourth moment). Not valid below :data:`MIN_LIQUID_COMPRESSIBILITY` (volumes in nm³),
        nor at a temperature no liquid has (under 50 K: °C?, k_B T in eV?; above 6000 K: mK?,
        with a UserWarning; :func:`ase_electrolyte.units.implausible_doubts`), which scales
        κ_T as its inverse (a melt at 1800 K is taken as given).
        Over 800 seeded AR(1) volume series per case (``g`` = 1, 2, 5, 20;
        40-300 true independent samples) the κ_T called valid had one-sigma/95 % coverage
        0.67-0.84/0.94-0.99 (0.40-0.76/0.75-0.96 with a linear interval and the widening of a
        mean).

    Raises
    ------
    ValueError
        A non-positive temperature, fewer than 4 finite volumes, non-positive volumes or a
        constant volume (not an NPT run).

    Examples
    --------
    Volumes drawn from the NPT distribution of a liquid with κ_T = 5e-5 1/bar at 300 K:

    >>> import numpy as np
    >>> from ase.units import bar, kB
    >>> from ase_electrolyte.density_alignment import compressibility_from_fluctuations
    >>> v0 = 20000.0  # Å³
    >>> sd = np.sqrt(5e-5 / bar * kB * 300.0 * v0)  # Å³
    >>> v = v0 + sd * np.random.default_rng(0).standard_normal(4000)
    >>> kappa = compressibility_from_fluctuations(v, 300.0, dt=0.01)
    >>> abs(kappa.value - 5e-5) < 3 * kappa.stderr, kappa.valid
    (True, True)
    """
    from ase.units import bar, kB

    from mda_electrolyte.carriers import doubted_unit_notes
    from mda_electrolyte.correlation import check_frame_spacing
    from mda_electrolyte.density import MIN_EFFECTIVE_SAMPLES
    from mda_electrolyte.observables import is_h5md_path, read_observable
    from mda_electrolyte.uncertainty import (
        _VARIANCE_WIDENING,
        MIN_SERIES_SAMPLES,
        _larger_inefficiency,
        _small_sample_widening,
        equilibrated_series_mean,
        real_array,
        timeseries_mean,
    )

    from .atoms_checks import check_number
    from .estimate import METHODS, Estimate
    from .md import MAX_TEMPERATURE_K
    from .units import warn_implausible

    # 1e308 K gave κ = 0 ± 0 1/bar, 'valid' (k_B T in the denominator)
    temperature_K = check_number("temperature_K", temperature_K, above=0,
                                 maximum=MAX_TEMPERATURE_K)
    # the transport analyses' and Density's frame-spacing rule: 1e-15 (1 fs in s) was accepted
    # and the reported start of equilibration came out in seconds labelled ps
    dt = None if dt is None else check_frame_spacing(dt)
    if is_h5md_path(source):
        volumes = np.asarray(read_observable(source, "volume", required=True)["value"],
                             dtype=np.float64)
    else:
        volumes = real_array(source, "the volume series")
    # one message per fault, with the count or the first bad index: "one-dimensional with at
    # least 4 finite values" left the user to find which of the three failed
    if volumes.ndim != 1:
        raise ValueError(f"the volume series must be one-dimensional (one volume per frame, "
                         f"Å³), not of shape {volumes.shape}")
    if volumes.size < MIN_SERIES_SAMPLES:
        raise ValueError(f"the volume series needs at least {MIN_SERIES_SAMPLES} samples, not "
                         f"{volumes.size}: a fluctuation needs a longer NPT run or more "
                         "frequent samples")
    bad = np.flatnonzero(~np.isfinite(volumes))
    if bad.size:
        raise ValueError(f"the volume series holds {bad.size} NaN or infinite value(s) (first "
                         f"at index {bad[0]}): cut the run before the first bad step")
    if np.any(volumes <= 0):
        raise ValueError("volumes must be positive")
    if np.ptp(volumes) == 0:
        raise ValueError("the volume does not fluctuate: not an NPT run")
    # the start of the volumes' mean; a slow start-up transient left in the kept part inflates
    # <δV²> (a drift is variance), so its verdict carries over
    # with the linear-trend test: volumes still drifting through the kept part (an NPT run
    # still compressing) add the drift to <δV²>, and the box has not reached its density
    volume_mean = equilibrated_series_mean(volumes, what="the volume series", trend=True)
    start = volume_mean.t0
    v = volumes[start:]
    mean_v, _, g_v = timeseries_mean(v)
    deviations = (v - mean_v) ** 2
    var_v, var_err, g = timeseries_mean(deviations)
    # counted with the larger of pymbar's two g, as every mean selected by its count of
    # independent samples: a series that passes the count is one whose g came out low (the
    # error keeps the full estimator's g: the larger one, ~6 % high on δV², over-covered
    # well-sampled runs)
    _, g = _larger_inefficiency(deviations, var_err, g)
    # deviations from the sample mean rather than the true one: E[mean (V - V̄)²] is
    # <δV²> (1 - g_V/N), 10 % low for 10 independent volumes in 1000 samples; corrected
    if v.size > g_v:
        var_v, var_err = var_v / (1.0 - g_v / v.size), var_err / (1.0 - g_v / v.size)
    # <δV²>/(k_B T <V>) is in Å³/eV; ase.units.bar (eV/Å³ per bar) turns it into 1/bar
    kt_v = kB * temperature_K * mean_v / bar
    # the δV² series decorrelates faster than V (for AR(1) volumes g_{δV²} ≈ g_V/2), but its
    # own g, estimated from a short series, is as unreliable as the volumes': both need 50
    # independent samples (with only the δV² count, volumes of 25 independent samples passed
    # with error bars 1.7 times too small)
    # the volumes' count is that of their mean (equilibrated_series_mean: larger g, the same
    # threshold); with v.size/g_V alone, 69 % of AR(1) volumes (phi 0.98, 5000 samples, about
    # 50 independent) were valid at z sd 1.51
    n_eff = min(v.size / g, volume_mean.n_independent)
    notes = []
    if start:
        t0 = f"{start * dt:.3g} ps" if dt else f"{start} samples"
        notes.append(f"the first {t0} discarded as equilibration")
    # only the fitted transient and the linear trend: "not equilibrated" from detection in the
    # second half also befalls stationary volumes, whose κ_T was calibrated
    # (tests/test_calibration.py) without it; the trend test marks ~1 % of them
    drift = [n for n in volume_mean.notes
             if n.startswith(("not converged", "not equilibrated: drifting"))]
    notes[:0] = drift
    converged = n_eff >= MIN_EFFECTIVE_SAMPLES and not drift
    if n_eff < MIN_EFFECTIVE_SAMPLES:
        notes.insert(0, f"too short: {n_eff:.1f} uncorrelated samples of the volume and its "
                        f"variance (need {MIN_EFFECTIVE_SAMPLES})")
    if converged:
        # selected by its count, as every series mean (equilibrated_series_mean): measured over
        # 150 AR(1) replicas near 50 independent samples (phi 0.9-0.98), coverage 0.60 ->
        # 0.65-0.70, z sd 1.51 -> 0.93-1.16. The one widening of every count-selected mean
        # (g-aware, with the inefficiency behind the count): over 400 AR(1) replicas per case,
        # one-sigma/95 % coverage at 60 true independent samples 0.69-0.81/0.92-0.98 ->
        # 0.70-0.77/0.91-0.97, at 100 0.70-0.77/0.92-0.97 -> 0.66-0.74/0.91-0.96
        # with the variance's own constant: the volumes that pass the count are those with
        # little slow motion, whose variance came out low as well (median 0.82 of the truth at
        # 40 true independent samples); the mean's widening left one-sigma/95 % coverage
        # 0.40-0.48/0.75-0.83 there (see _VARIANCE_WIDENING)
        var_err *= _small_sample_widening(n_eff, v.size / n_eff, _VARIANCE_WIDENING)
    # the interval is on the log scale: a variance of n independent samples is chi-square-like
    # (right-skewed, its error proportional to itself), so a low variance also has a small
    # error and linear intervals missed mostly on the low side (z-score mean -0.4 to -1.3).
    # Its error rests on the scatter of δV² (a fourth moment): for normal volumes that error's
    # square has relative variance ~14/n, t-distributed with about n/7 degrees of freedom;
    # n/5 measured (95 % coverage 0.93 -> 0.94 for g = 20 at 100 independent samples)
    stiff = _stiffness_note(var_v / kt_v)
    if stiff:
        notes.insert(0, stiff)
        converged = False
    # k_B T divides the variance: a temperature of 25 meant as °C made κ_T 12 times too large,
    # a liquid's and valid (the one rule of plausible values, as σ's and η's verdicts take it)
    doubted = doubted_unit_notes("temperature_K", temperature_K=temperature_K)
    if doubted:
        warn_implausible(temperature_K=temperature_K)
        notes[:0] = doubted
        converged = False
    return Estimate(var_v / kt_v, var_err / kt_v, "1/bar",
                    "volume-fluctuation formula; " + METHODS["inefficiency"],
                    n_samples=int(n_eff), converged=converged, notes=tuple(notes),
                    dof=max(float(n_eff) / _VARIANCE_ERROR_DOF_SAMPLES - 1.0, 1.0),
                    interval_scale="log")


#: Independent samples per degree of freedom of the error of a variance (see
#: :func:`compressibility_from_fluctuations`).
_VARIANCE_ERROR_DOF_SAMPLES = 5.0


def pressure_shift_for_density(rho_model, rho_target, kappa_per_bar, *, rho_model_error=0.0,
                               rho_target_error=0.0, kappa_error=0.0):
    r"""ΔP (bar) that moves the model's NPT density from ``rho_model`` to ``rho_target``.

    From the Tait equation (:func:`tait_pressure_shift`): the liquid stiffens as it is
    compressed, which the linear response
    :math:`\Delta P = -\ln(\rho_\mathrm{target}/\rho_\mathrm{model})/\kappa_T` leaves out (a
    2 % density change took 10 % less pressure at a constant :math:`\kappa_T`, a 4 % one 19 %
    less: more than the shift's error at density errors of 0.1-0.2 %). The standard error is
    propagated to first order from the density and compressibility errors. A compressibility
    that is not a liquid's (above :data:`MAX_LIQUID_COMPRESSIBILITY` or below
    :data:`MIN_LIQUID_COMPRESSIBILITY`) and densities more than a
    factor 1.25 apart get the linear-response number, marked not valid.

    Parameters
    ----------
    rho_model, rho_target : float or ase_electrolyte.estimate.Estimate
        g/cm³; or an Estimate (:func:`npt_density`'s, or a measured density with its error),
        whose error is then the density's error (give no ``rho_model_error`` /
        ``rho_target_error`` beside it) and whose verdict carries over (a density that is not
        valid makes the shift not valid).
    kappa_per_bar : float, Compressibility or ase_electrolyte.estimate.Estimate
        κ_T, 1/bar (an Estimate in another unit of inverse pressure is converted).
    rho_model_error, rho_target_error, kappa_error : float
        Standard errors (g/cm³, g/cm³, 1/bar); ``kappa_error`` is taken from a
        :class:`Compressibility` or an Estimate when one is given.

    Returns
    -------
    PressureShift
        With ``estimate``, ΔP as an Estimate. Not valid when the shift is within its error,
        when no input has an error (an error of 0 is not a measured one),
        when the densities are more than a factor 1.25 apart (no pressure shift carries a
        liquid that far: a note says so), when the compressibility is above
        :data:`MAX_LIQUID_COMPRESSIBILITY` (a gas's, or one in 1/GPa) or below
        :data:`MIN_LIQUID_COMPRESSIBILITY` (from volumes in nm³ or pressures in Pa), or when the
        compressibility is not valid or has
        no error estimate (``kappa_error`` NaN, e.g. a fit of 2 points without density
        errors). Over 300 replicas of a model 4 % too light against a Murnaghan liquid
        (K' = 10), ρ error 0.002 g/cm³, the first-order error gave z-scores of mean near 0
        and standard deviation near 1 (``tests/test_box29_tait_shift.py``; the linear response
        sat 4 standard errors off).

    Raises
    ------
    ValueError
        A density or compressibility that is not a finite number > 0 (densities at most
        :data:`~ase_electrolyte.build.MAX_DENSITY`, κ_T at most :data:`MAX_COMPRESSIBILITY`), an
        error that is not a finite number >= 0, or a shift beyond
        :data:`~ase_electrolyte.md.MAX_PRESSURE_BAR`.

    Examples
    --------
    A model 2 % too light, κ_T = 8e-5 1/bar (a carbonate solvent): lower its pressure.

    >>> from ase_electrolyte.density_alignment import pressure_shift_for_density
    >>> shift = pressure_shift_for_density(1.18, 1.204, 8e-5, rho_model_error=0.002)
    >>> round(shift.delta_bar), round(shift.error_bar), shift.valid
    (-279, 26, True)
    """
    from .atoms_checks import check_number
    from .estimate import METHODS, Estimate, propagated_dof

    notes = []
    # npt_density returns an Estimate: it was refused as "must be a finite number", and its
    # value taken by hand left its error and its verdict behind (a shift from a density that
    # is not valid was called valid)
    rho_model, rho_model_error, rho_model_dof = _density_input(
        rho_model, rho_model_error, "rho_model", notes)
    rho_target, rho_target_error, rho_target_dof = _density_input(
        rho_target, rho_target_error, "rho_target", notes)
    if isinstance(kappa_per_bar, Compressibility):
        if kappa_per_bar.estimate is not None:
            kappa_per_bar = kappa_per_bar.estimate
        else:  # built by hand, without its estimate
            kappa_error = kappa_per_bar.kappa_error
            kappa_per_bar = kappa_per_bar.kappa_per_bar
    kappa_dof = None  # a bare number's error is taken as normal
    if isinstance(kappa_per_bar, Estimate):
        est = kappa_per_bar.to("1/bar")
        kappa_error = est.stderr
        kappa_dof = est.dof
        if not est.valid:
            notes.append(f"the compressibility is not valid ({est.verdict})")
        kappa_per_bar = est.value
    if isinstance(kappa_error, (float, np.floating)) and np.isnan(kappa_error):
        # a fit of 2 points without density errors has none: counting it as 0 gave an error
        # bar of 0 on the shift and called it resolved
        notes.append("the compressibility has no error estimate: the shift's error leaves it out")
        kappa_error = 0.0
    from .build import MAX_DENSITY
    from .md import MAX_PRESSURE_BAR

    # a density of 1e308 g/cm³ gave a 'valid' shift of 1.8e7 bar
    rho_model = check_number("rho_model (g/cm^3)", rho_model, above=0, maximum=MAX_DENSITY)
    rho_target = check_number("rho_target (g/cm^3)", rho_target, above=0, maximum=MAX_DENSITY)
    try:
        kappa_per_bar = check_number("kappa_per_bar (1/bar)", kappa_per_bar, above=0,
                                     maximum=MAX_COMPRESSIBILITY)
    except ValueError:
        raise ValueError(f"kappa_per_bar (1/bar), the compressibility, must be a finite number "
                         f"> 0 and at most {MAX_COMPRESSIBILITY:g} (an ideal gas at 1 bar), got "
                         f"{kappa_per_bar!r}") from None
    rho_model_error = check_number("rho_model_error (g/cm^3)", rho_model_error, minimum=0)
    rho_target_error = check_number("rho_target_error (g/cm^3)", rho_target_error, minimum=0)
    kappa_error = check_number("kappa_error (1/bar)", kappa_error, minimum=0)
    ratio = np.log(rho_target / rho_model)
    linear = -ratio / kappa_per_bar
    stiff = _stiffness_note(kappa_per_bar)
    liquid = kappa_per_bar <= MAX_LIQUID_COMPRESSIBILITY and not stiff
    # beyond the densities' factor (noted below, not valid) the Tait curve is not followed:
    # it overflowed for a unit slip of the target
    if liquid and abs(ratio) <= np.log(_MAX_DENSITY_RATIO):
        # a liquid stiffens as it is compressed: at a constant κ_T a 2 % density change took
        # 10 % less pressure than the Tait equation's, 4 % one 19 % less (beyond the shift's
        # error bar at density errors of 0.1-0.2 %), a 20 % one 2.7 times less
        delta = _tait_shift(rho_model, rho_target, kappa_per_bar)
        grow = np.exp((1.0 - rho_model / rho_target) / TAIT_C) / kappa_per_bar
        rho_terms = (grow * rho_model_error / rho_target,
                     grow * rho_target_error * rho_model / rho_target**2)
    else:
        # the linear-response formula, for a user who knows better (a gas, or densities a
        # factor apart: not valid anyway)
        delta = linear
        rho_terms = (rho_model_error / rho_model / kappa_per_bar,
                     rho_target_error / rho_target / kappa_per_bar)
    if stiff:
        notes.insert(0, stiff)
    elif not liquid:
        notes.insert(0, (
            f"the compressibility {kappa_per_bar:g} 1/bar is not a liquid's (at most "
            f"{MAX_LIQUID_COMPRESSIBILITY:g} 1/bar; carbonates 5e-5 to 1e-4): a gas, a fluid near "
            "its critical point, or a compressibility in another unit (1/GPa: multiply by 1e-4 "
            "to get 1/bar)"))
    if not max(abs(delta), abs(linear)) <= MAX_PRESSURE_BAR:
        # a compressibility of 1e-300 1/bar gave a 'valid' shift of 1e298 bar
        raise ValueError(
            f"the pressure shift for rho_model = {rho_model:g} and rho_target = {rho_target:g} "
            f"g/cm^3 at a compressibility of {kappa_per_bar:g} 1/bar is {linear:.3g} bar, beyond "
            f"±{MAX_PRESSURE_BAR:.0e} bar: is the compressibility in another unit?"
        )
    err = float(np.hypot(np.hypot(*rho_terms), delta * kappa_error / kappa_per_bar))
    # equal densities gave a shift of -0.0 bar (the sign of -ln(1)/κ)
    delta = float(delta) + 0.0
    if err == 0:
        # plain numbers without errors gave ΔP ± 0 bar, valid: an error of 0 is not a measured
        # one, and a model's NPT density always has one. Its error is unknown, not 0: "± 0 bar"
        # (and an interval of one point) read as an exact shift beside a note calling it unknown
        err = math.nan
        notes.append("no error was given for the densities or the compressibility, so the "
                     "shift's error is unknown (give rho_model_error, rho_target_error or "
                     "kappa_error, or the densities as Estimates)")
    elif abs(delta) < 2 * err:
        notes.insert(0, "the density difference is within its uncertainty: no shift needed")
    if abs(ratio) > np.log(_MAX_DENSITY_RATIO):
        # a target of 1e-30 g/cm³ gave a 'valid' shift of 1.7e6 bar: the constant-κ_T
        # extrapolation holds for a few per cent, not across phases
        notes.insert(0, (
            f"rho_target = {rho_target:g} g/cm^3 is {rho_target / rho_model:.3g} × rho_model = "
            f"{rho_model:g} g/cm^3, beyond a factor {_MAX_DENSITY_RATIO:g} either way: a "
            "pressure shift moves a liquid's density by a few per cent, "
            "not to another phase (check the units of both densities, or whether the model "
            "describes this liquid)"))
    # a shift from a compressibility that is not valid (too short, too few points, no error)
    # is not valid either: align_density refuses it
    valid = not notes
    # a compressibility of few degrees of freedom (a fit of few points) makes the shift's
    # error t-distributed too (Welch–Satterthwaite; the density errors given as numbers are
    # normal)
    dof = propagated_dof([(rho_terms[0], rho_model_dof), (rho_terms[1], rho_target_dof),
                          (delta * kappa_error / kappa_per_bar, kappa_dof)])
    estimate = Estimate(float(delta), err, "bar", METHODS["propagated"], converged=valid,
                        notes=tuple(notes), dof=dof)
    return PressureShift(float(delta), err, valid, "; ".join(notes), estimate)


#: The Tait equation's universal constant C (Dymond and Malhotra 1988, "The Tait equation: 100
#: years on", Int. J. Thermophys. 9, 941): ρ(P) = ρ₀ / (1 - C ln((B + P)/B)), with
#: κ_T = C / B at the reference pressure; liquids fit it with C near 0.0894 to kbar pressures.
TAIT_C = 0.0894


def tait_pressure_shift(rho_model, rho_target, kappa_per_bar, *, rho_model_error=0.0,
                        rho_target_error=0.0, kappa_error=0.0):
    r"""ΔP of the Tait equation as an Estimate (bar), with its error and verdict.

    :math:`\Delta P = -B\,[\exp((1 - \rho_\mathrm{model}/\rho_\mathrm{target})/C) - 1]`,
    :math:`B = C/\kappa_T`, :math:`C` = :data:`TAIT_C`: the liquid stiffens as it is
    compressed (and softens as it expands), which the linear-response shift
    :math:`-\ln(\rho_\mathrm{target}/\rho_\mathrm{model})/\kappa_T` leaves out. The sign is
    that of :func:`pressure_shift_for_density`: negative for a model that is too light.

    The shift, its first-order error and its verdict are those of
    :func:`pressure_shift_for_density` (the ``estimate`` of its :class:`PressureShift`): one
    computation of the shift. Without errors (all three 0) the shift's error is unknown and
    it is not valid; beyond a liquid's compressibility or densities a factor 1.25 apart it is
    the linear-response number, not valid, with the reason.

    Parameters
    ----------
    rho_model, rho_target : float or ase_electrolyte.estimate.Estimate
        g/cm³ (an Estimate carries its error and verdict).
    kappa_per_bar : float, Compressibility or ase_electrolyte.estimate.Estimate
        κ_T of the model's liquid at its density, 1/bar.
    rho_model_error, rho_target_error, kappa_error : float
        Standard errors of numbers given bare (g/cm³, g/cm³, 1/bar).

    Returns
    -------
    ase_electrolyte.estimate.Estimate
        ΔP, bar.

    Raises
    ------
    ValueError
        A density that is not a finite number in (0, :data:`~ase_electrolyte.build.MAX_DENSITY`]
        g/cm³, or a compressibility that is not one in (0, :data:`MAX_COMPRESSIBILITY`] 1/bar
        (the bounds of :func:`pressure_shift_for_density`).

    Examples
    --------
    >>> from ase_electrolyte.density_alignment import tait_pressure_shift
    >>> shift = tait_pressure_shift(1.18, 1.204, 8e-5, rho_model_error=0.002)
    >>> round(shift.value), round(shift.stderr), shift.valid  # linear response: -252
    (-279, 26, True)
    """
    return pressure_shift_for_density(rho_model, rho_target, kappa_per_bar,
                                      rho_model_error=rho_model_error,
                                      rho_target_error=rho_target_error,
                                      kappa_error=kappa_error).estimate


def _tait_shift(rho_model, rho_target, kappa_per_bar):
    """The Tait equation's ΔP (bar) of checked numbers (see :func:`tait_pressure_shift`)."""
    return float(-TAIT_C / kappa_per_bar * np.expm1((1.0 - rho_model / rho_target) / TAIT_C))


def _density_input(value, error, name, notes):
    """``(g/cm³, error, dof)`` of a density given as a number (with ``error`` apart) or as an
    Estimate (its error and degrees of freedom; its verdict, if not valid, added to ``notes``)."""
    from mda_electrolyte.uncertainty import measured_values

    from .estimate import Estimate

    if not isinstance(value, Estimate):
        return value, error, None
    if not (isinstance(error, (int, float)) and error == 0):
        # measured_values names the conflict: an Estimate carries its error
        measured_values([value], [error], name, "g/cm^3")
    values, errors, bad = measured_values([value], None, name, "g/cm^3")
    notes.extend(f"{name} is not valid ({value.verdict})" for _ in bad)
    return float(values[0]), float(errors[0]), value.dof


def _calculator(model, calc_options, who, needs):
    """The calculator of ``model``: an ASE calculator as it is, else an
    :class:`ase_electrolyte.Calculator` of that name or path with ``calc_options``.

    Any ASE calculator counts (``BaseCalculator``: ASE's ``SumCalculator`` and the other
    combinations are not ``Calculator`` subclasses, and were taken for a model name); options
    beside one were dropped without a word (``dispersion="d3-bj"`` with a calculator gave the
    density without dispersion), and stored results are no model.
    """
    from ase.calculators.calculator import BaseCalculator

    from .calculator import Calculator
    from .md import _check_model

    if not isinstance(model, BaseCalculator):
        return Calculator(model, **calc_options)
    if calc_options:
        raise ValueError(
            f"{who}: {sorted(calc_options)} are options of a model given by name or path; the "
            f"model given is already a calculator ({type(model).__name__}), which does not take "
            "them: set them on it (or give its name or path)"
        )
    _check_model(model, f"{who}'s model", needs)
    return model


def _periodic_frames(frames, who, why):
    """``frames`` (one Atoms or several) as a non-empty list of 3D-periodic Atoms, or an error
    saying ``who`` needs them and ``why``."""
    from .finetuning import _frame_list

    # one Atoms is one frame (iterating it gives its atoms); a file (extxyz, .db) its frames,
    # where a path was iterated into its characters ("frame 0 is a str")
    frames = _frame_list(frames, "frames")
    if not frames:
        raise ValueError(f"{who} at least one 3D-periodic frame (none given)")
    for k, atoms in enumerate(frames):
        if not atoms.pbc.all():
            raise ValueError(f"frame {k} is not 3D-periodic: {why}")
    return frames


class MeanPressure(NamedTuple):
    """A model's mean virial pressure over frames, unpacked as ``(mean, error, per-frame)``.

    ``estimate`` is the mean as an :class:`ase_electrolyte.estimate.Estimate` (bar) with its
    verdict; ``mean_bar`` and ``stderr_bar`` are its value and error.
    """

    mean_bar: float  # mean pressure, bar
    stderr_bar: float  # its error, bar (t-scaled; NaN for one frame)
    values_bar: np.ndarray  # per-frame pressures, bar

    @property
    def estimate(self):
        """The mean pressure as an Estimate (bar) with its error and verdict."""
        return _pressure_estimate(self.values_bar)


def _pressure_estimate(values):
    """Mean of per-frame pressures (bar): t-scaled error over frames, or the series' own
    statistical-inefficiency error where larger (correlated MD frames); not valid below
    :data:`mda_electrolyte.uncertainty.MIN_ERROR_DOF` degrees of freedom."""
    from mda_electrolyte.error_metrics import (
        _G_INDEPENDENT,
        MIN_CORRELATED_FRAMES,
        _unresolved_note,
    )
    from mda_electrolyte.uncertainty import (
        MIN_ERROR_DOF,
        few_dof_note,
        mean_error,
        timeseries_mean,
    )

    from .estimate import METHODS, Estimate

    n = len(values)
    value = float(np.mean(values))
    if n < 2:
        return Estimate.invalid(value, float("nan"), "bar", METHODS["none"],
                                "a single frame: no error over frames", n_samples=n)
    if np.ptp(values) == 0:
        return Estimate.invalid(value, float("nan"), "bar", METHODS["none"],
                                f"no fluctuation: the pressure is {value:g} bar in all {n} "
                                "frames, so its error is unknown", n_samples=n)
    _, err, dof = mean_error(values)
    method, n_independent = f"t-scaled standard error over {n} frames", float(n)
    error_dof = float(dof)
    if n >= 4:
        # consecutive MD frames are correlated: their standard error is too small
        _, err_g, g = timeseries_mean(values)
        if err_g > err:
            err, method, n_independent = err_g, METHODS["inefficiency"], n / g
            error_dof = max(n_independent - 1.0, 1.0)  # timeseries_mean's t-scaling
    notes = []
    note = few_dof_note(dof, "frames", "the error over frames")
    # one pressure per frame shows a correlation of consecutive (MD) frames only from 54
    # frames on, as one energy per frame does (error_metrics' rule): AR(1) frames of lag-1
    # correlation 0.9 over 10-20 frames were called valid in 54-57 % of replicas, z-scores of
    # standard deviation 4.8-6.8
    unresolved = None if note else _unresolved_note(n, (np.asarray(values, float)[:, None],))
    # error_metrics' rule for correlated frames: the inefficiency of a short correlated
    # series is underestimated (lag-1 correlation 0.9 over 100 frames: 94 % valid, z-score
    # standard deviation 1.64, with 5 independent frames required)
    correlated = n >= _G_INDEPENDENT * n_independent
    if note or unresolved:
        notes.append(note or unresolved)
    elif n_independent < MIN_ERROR_DOF + 1 or (correlated
                                               and n_independent < MIN_CORRELATED_FRAMES):
        need = MIN_CORRELATED_FRAMES if correlated else MIN_ERROR_DOF + 1
        notes.append(f"too few independent frames: {n_independent:.1f} of {n} (correlated "
                     f"frames; a calibrated error needs at least {need})")
    return Estimate(value, float(err), "bar", method, n_samples=int(n_independent),
                    converged=not notes, notes=tuple(notes), dof=error_dof)


def mean_pressure(model, frames, **calc_options):
    r"""Virial pressure :math:`-\mathrm{tr}\,\sigma/3` (bar) of a model on frames: mean and error.

    Parameters
    ----------
    model : str, os.PathLike or ASE calculator
    frames : str, os.PathLike, ase.Atoms or sequence of ase.Atoms
        3D-periodic (one ase.Atoms is taken as one frame, a file's frames are read with
        :func:`ase_electrolyte.finetuning.read_frames_file`; none is refused).
    **calc_options
        For :class:`ase_electrolyte.Calculator` when ``model`` is a name or path (refused
        beside an ASE calculator, which does not take them).

    Returns
    -------
    MeanPressure
        Unpacks as ``(mean, error, per-frame pressures)``, bar; ``.estimate`` is the mean as an
        Estimate with its verdict. The error is the t-scaled standard error over the frames,
        or the statistical-inefficiency error of the series where that is larger (consecutive
        MD frames); not valid for one frame, a pressure that never changes, fewer than 5
        frames (4 degrees of freedom, :data:`mda_electrolyte.uncertainty.MIN_ERROR_DOF`),
        fewer than 54 frames (one pressure per frame cannot show whether consecutive frames
        are correlated: error_metrics' rule for one value per frame), or frames correlated
        into fewer than :data:`mda_electrolyte.error_metrics.MIN_CORRELATED_FRAMES` (20)
        independent ones. Over 400 AR(1) series per case: independent frames valid from 54
        frames (z-score standard deviation 0.93-1.00); lag-1 correlation 0.5 valid in 62 % of
        replicas of 54 frames (1.43), all from 200 (0.96); 0.9 in 4 % of 100 frames, 23 % of
        200 (1.85), 67 % of 400 (1.20). Before, 0.9 over 10-20 frames was valid in 54-57 %
        (4.8-6.8).

    Raises
    ------
    ValueError
        No frames, a frame that is not 3D-periodic, or a model whose pressure on a frame is NaN
        or infinite (named by frame index) — each before or instead of a NaN mean; options
        beside a calculator object, or a ``SinglePointCalculator`` (stored results, no model).

    Examples
    --------
    >>> from ase.build import bulk
    >>> from ase.calculators.emt import EMT
    >>> from ase_electrolyte.density_alignment import mean_pressure
    >>> frames = [bulk("Cu", cubic=True) * 2 for _ in range(6)]
    >>> for k, atoms in enumerate(frames):
    ...     atoms.rattle(0.05, seed=k)
    >>> mean, err, values = mean_pressure(EMT(), frames)
    >>> est = mean_pressure(EMT(), frames).estimate
    >>> len(values), est.valid, est.notes[0].split(":")[0]  # 54 frames show correlation
    (6, False, 'too few frames to measure correlation')
    """
    from ase.units import bar

    # the mean of no pressures was NaN with a RuntimeWarning
    frames = _periodic_frames(frames, "mean_pressure needs",
                              "a virial pressure needs a 3D-periodic box")
    calc = _calculator(model, calc_options, "mean_pressure", ("stress",))
    values = []
    for k, atoms in enumerate(frames):
        work = atoms.copy()
        work.calc = calc
        p = -np.sum(work.get_stress()[:3]) / 3.0 / bar
        if not np.isfinite(p):
            raise ValueError(f"frame {k}: the model's pressure is {p} (a NaN or infinite "
                             "stress): no mean pressure")
        values.append(float(p))
    values = np.asarray(values)
    est = _pressure_estimate(values)
    return MeanPressure(est.value, est.stderr, values)


def align_density(base, frames, delta_bar, *, epochs, out="align", device="auto",
                  stress_weight=1.0, **kwargs):
    r"""Fine-tune ``base`` so that its pressure is raised by ``delta_bar`` at every density.

    The frames are labelled by ``base`` itself (energies and forces stay tied to the base
    model), the stress labels shifted by :math:`-\Delta P\,I`, and ``base`` is fine-tuned on
    them with :func:`ase_electrolyte.finetuning.finetune`.

    Parameters
    ----------
    base : str or os.PathLike
        SevenNet model.
    frames : str, os.PathLike, ase.Atoms or sequence of ase.Atoms
        3D-periodic configurations of the liquid (e.g. NPT frames of ``base``) spanning the
        densities of interest: include configurations at the target density (e.g. NPT frames
        rescaled to it), since the shift is learnt only where there are frames, and a model
        aligned at its own density alone can move far past the target.
    delta_bar : float, PressureShift or ase_electrolyte.estimate.Estimate
        ΔP, bar (:func:`pressure_shift_for_density`, or its ``estimate``: converted from
        another pressure unit); a shift that is not valid (unresolved, or from a density or
        compressibility that is not valid) is refused, and so is 0 (it aligns nothing), before
        the base model is read.
    epochs : int
    out : str or os.PathLike
    device : str
    stress_weight : float
        Weight of the stress loss; larger than sevenn's fine-tuning default (0.01) since the
        stress is what changes.
    **kwargs
        Passed to :func:`ase_electrolyte.finetuning.finetune`.

    Returns
    -------
    ase_electrolyte.finetuning.FinetuneResult
    """
    import inspect

    from ase.calculators.singlepoint import SinglePointCalculator

    from .atoms_checks import check_atoms, check_number
    from .calculator import Calculator
    from .estimate import Estimate
    from .finetuning import (
        _FINETUNE_SIGNATURE,
        _base_checkpoint,
        _check_base_outside_members,
        _check_frames_for_model,
        _check_members_can_differ,
        check_finetune_options,
        finetune,
    )

    if isinstance(delta_bar, PressureShift):
        if not delta_bar.valid:
            raise ValueError(f"the pressure shift is not valid: {delta_bar.note} (give "
                             "delta_bar as a number to align with it anyway)")
        delta_bar = delta_bar.delta_bar
    elif isinstance(delta_bar, Estimate):
        # the shift's estimate (PressureShift.estimate), as the shift itself: it was refused as
        # "must be a finite number"
        if not delta_bar.valid:
            raise ValueError(f"the pressure shift is not valid: {delta_bar.verdict} (give "
                             "delta_bar as a number to align with it anyway)")
        try:
            delta_bar = delta_bar.to("bar").value
        except ValueError as err:
            raise ValueError(f"delta_bar: {err}") from None
    # a string or a flag was np.isfinite's TypeError
    delta_bar = check_number("delta_bar (bar)", delta_bar)
    if delta_bar == 0:
        # the base labelled every frame and was fine-tuned on its own labels, unshifted: the
        # epochs changed nothing the alignment asks for, and the result read as aligned
        raise ValueError(
            "delta_bar is 0 bar: the model would be fine-tuned on its own labels unshifted, "
            "which aligns nothing; give the shift of pressure_shift_for_density (a model "
            "already at its target density needs no alignment)")
    # everything finetune checks, checked before the base model labels every frame: a bad
    # option (epochs=0, a folder that is a file) failed only after the labelling
    try:
        bound = _FINETUNE_SIGNATURE.bind(
            str(base), None, epochs=epochs, out=out, device=device,
            stress_weight=stress_weight, pressure_shift_bar=delta_bar, check_units=False,
            **kwargs,
        )
    except TypeError as err:
        raise TypeError(f"align_density: {err}") from None
    bound.apply_defaults()
    options = dict(bound.arguments)
    check_finetune_options(**{k: options[k] for k in inspect.signature(
        check_finetune_options).parameters})
    frames = _periodic_frames(frames, "density alignment needs",
                              "density alignment shifts the stress labels, which only a "
                              "3D-periodic box has")
    for k, atoms in enumerate(frames):
        try:
            check_atoms(atoms)
        except ValueError as err:
            raise ValueError(f"frame {k}: {err}") from None
    # a SevenNet model: finetune trains no other kind
    checkpoint, _ = _base_checkpoint(base)
    # finetune's refusals that need the frames, made before the base model labels them
    _check_base_outside_members(checkpoint, options["out"], options["ensemble"])
    if checkpoint is not None:
        _check_members_can_differ(options["ensemble"], options["batch_size"], len(frames))
    calc = Calculator(str(base), device=device)
    # a frame the model cannot evaluate (an element it does not cover) failed when reached
    _check_frames_for_model(calc, frames, "frames")
    from mda_electrolyte.model_labels import evaluate_frame

    labelled = []
    for atoms in frames:
        # the model's own forces: a frame's constraint (FixAtoms) zeroed its fixed atoms'
        # force labels, which the fine-tune then taught the model
        labels = evaluate_frame(calc, atoms, ("energy", "forces", "stress"), checked=False)
        copy = atoms.copy()
        copy.calc = SinglePointCalculator(copy, **labels)
        labelled.append(copy)
    return finetune(str(base), labelled, epochs=epochs, out=out, device=device,
                    stress_weight=stress_weight, pressure_shift_bar=float(delta_bar),
                    check_units=False, **kwargs)


def npt_density(model, atoms, *, temperature_K, steps, trajectory, pressure_bar=1.01325,
                timestep_fs=2.0, tdamp_fs=None, pdamp_fs=None, write_interval=None, seed=0,
                hydrogen_mass="auto", **calc_options):
    r"""A model's NPT density: a short :func:`ase_electrolyte.md.run_md` run, then its mean.

    The mean is taken after the equilibration point that pymbar detects, with the error from the
    statistical inefficiency of the rest (:class:`mda_electrolyte.density.Density`); the
    verdict says when too few uncorrelated samples remain.

    Parameters
    ----------
    model : str, os.PathLike or ASE calculator
    atoms : ase.Atoms
        3D-periodic starting structure (not modified).
    temperature_K : float
    steps : int
        MD steps, at least 3; the density is observed at every step (its mean needs 4
        samples).
    trajectory : str or os.PathLike
        H5MD file of the run (an existing complete run of the same settings is reused).
    pressure_bar : float
        External pressure (or, for :func:`compressibility_from_shifts`, an imposed shift).
    timestep_fs : float
    tdamp_fs, pdamp_fs : float, optional
        Thermostat and barostat time constants, fs (:func:`ase_electrolyte.md.run_md`'s
        defaults: 100 and 1000 time steps). A liquid's volume relaxes on the barostat's time
        scale, so a run of a few thousand steps needs a ``pdamp_fs`` of ~100 steps for enough
        uncorrelated density samples.
    write_interval : int, optional
        Steps between stored frames (default: only the first and the last), e.g. to take
        frames for :func:`align_density` or a mean-squared displacement from the run.
    seed : int
        Seed of the initial velocities (refused, other than 0, where ``atoms`` carries
        velocities, which the run starts from).
    hydrogen_mass : float, None or "auto"
        Mass of hydrogen in the run, amu (:func:`ase_electrolyte.md.run_md`). ``"auto"``
        (default): 3 where ``atoms`` holds hydrogen (Ju et al. 2025's 2 fs with tritium-mass
        hydrogen; a classical equilibrium density does not depend on the masses), its real
        mass otherwise. At its real mass the default 2 fs step is too long for C–H
        (:func:`ase_electrolyte.md.hydrogen_timestep_fs`: 1.39 fs) and warned of.
    **calc_options
        For :class:`ase_electrolyte.Calculator` when ``model`` is a name or path (refused
        beside an ASE calculator, which does not take them).

    Returns
    -------
    ase_electrolyte.estimate.Estimate
        Density in g/cm^3.

    Raises
    ------
    ValueError
        Bad numbers, a structure that is not 3D-periodic, options beside a calculator object
        or a ``SinglePointCalculator`` (stored results, no model): before the model is loaded
        or run. Otherwise as :func:`ase_electrolyte.md.run_md`.
    """
    from mda_electrolyte.density import Density

    from .atoms_checks import check_number
    from .md import _check_run_numbers, _check_seed_acts, _check_trajectory_path, run_md

    # before the model is loaded: int(steps) was "cannot convert float NaN to integer", 2.5 ran
    # 2 steps and then failed for want of samples, write_interval=0 meant the whole run
    steps = check_number("steps (the density's mean needs at least 4 samples)", steps,
                         integer=True, minimum=3)
    write_interval = check_number("write_interval", write_interval, integer=True, minimum=1,
                                  allow_none=True)
    if isinstance(hydrogen_mass, str) and hydrogen_mass == "auto":
        hydrogen_mass = 3.0 if 1 in atoms.numbers else None
    _check_run_numbers("npt", steps, timestep_fs, temperature_K, pressure_bar, tdamp_fs,
                       pdamp_fs, hydrogen_mass, 3.0, 0.5, write_interval or steps, 1, seed)
    if not atoms.pbc.all():
        raise ValueError("an NPT density needs a 3D-periodic structure")
    # run_md's refusal of a seed that draws nothing (atoms carrying velocities), before the
    # model is loaded
    _check_seed_acts(atoms, seed, temperature_K)
    # run_md names a bad trajectory too, but only after the model below is loaded
    _check_trajectory_path(trajectory)
    calc = _calculator(model, calc_options, "npt_density", ("energy", "forces", "stress"))
    work = atoms.copy()
    work.calc = calc
    run_md(work, ensemble="npt", steps=steps, timestep_fs=timestep_fs,
           temperature_K=temperature_K, pressure_bar=pressure_bar, tdamp_fs=tdamp_fs,
           pdamp_fs=pdamp_fs, hydrogen_mass=hydrogen_mass, trajectory=trajectory,
           write_interval=write_interval or steps, observe_interval=1, seed=seed,
           progress=False)
    return Density(str(trajectory)).run().results.equilibrium_density
