r"""Densities and equations of state with honest uncertainties.

- :class:`Density`: mean NPT density after the equilibration point that
  :func:`pymbar.timeseries.detect_equilibration` finds (Chodera, J. Chem. Theory Comput. 12, 1799
  (2016)), with the error from the statistical inefficiency of the rest.
- :class:`EquationOfState`: :math:`P(\rho) = a\rho^n + b` fitted to mean pressures of NVT runs at
  several densities; the zero-pressure density :math:`\rho_0 = (-b/a)^{1/n}` with its error from
  the fit covariance (Magdău et al. 2023, EC/EMC GAP).
- :class:`TaitCompressibility`: volumes at several pressures fitted with the Tait equation
  :math:`V(P) = V_0\,[1 - C \ln(1 + (P - P_0)/B)]`; isothermal compressibility
  :math:`\kappa_T = -\frac{1}{V}\frac{\partial V}{\partial P}\big|_{P_0} = C/B`
  (Goodwin et al. 2024).
- :class:`ThermalExpansion`: :math:`\alpha_P = -\frac{1}{\rho}\frac{\partial\rho}{\partial T}`
  from a weighted line through densities at several temperatures.

Units: densities g/cm³, pressures bar, volumes Å³, temperatures K, time ps.
"""

from __future__ import annotations

import math
import os

import numpy as np
from MDAnalysis.analysis.results import Results
from scipy import optimize, stats

from ase_electrolyte.atomic_file import save_figure
from ase_electrolyte.atoms_checks import check_flag, check_number
from ase_electrolyte.estimate import METHODS, Estimate
from ase_electrolyte.units import warn_implausible

from .analysis_base import require_results
from .correlation import check_frame_spacing
from .observables import is_h5md_path, read_observable
from .plotting import axes_to_draw_into, draws_user_text, finite_span
from .report import estimate_label, mark_invalid, register_analysis
from .uncertainty import (
    MIN_INDEPENDENT_SAMPLES,
    MIN_SERIES_SAMPLES,
    equilibrated_series_mean,
    few_dof_note,
    fit_estimate,
    measured_values,
    real_array,
    t_factor,
)

__all__ = ["Density", "EquationOfState", "TaitCompressibility", "ThermalExpansion"]

#: Effective uncorrelated samples below which a mean is reported as too short (the one threshold
#: of :mod:`mda_electrolyte.uncertainty`).
MIN_EFFECTIVE_SAMPLES = MIN_INDEPENDENT_SAMPLES

#: Range of a density series (max - min, relative to its mean) at or below which the box is
#: fixed: an NPT liquid of 10^5 atoms (10^6 Å³, compressibility 5e-5 /bar) fluctuates by 1e-3
#: (std/mean, sqrt(k_B T kappa_T / V)); round-off of a box in single precision is 1e-7.
FIXED_VOLUME_SPREAD = 1e-6


def _universe_densities(universe, dt):
    """(densities in g/cm³, dt in ps) of every frame of a Universe: the total mass of its atoms
    over its box volume (an NPT trajectory of any engine: GROMACS, LAMMPS, OpenMM, ...)."""
    from ase_electrolyte.units import GCM3_TO_AMU_PER_A3

    from .analysis_base import box_fault, frame_boxes
    from .carriers import _box_volumes, atomgroup_masses
    from .ion_collection import check_has_time, check_time_spacing
    from .molecules import first_appearance

    if dt is not None:
        raise ValueError("dt= is for an array of densities; a Universe's frames carry their time")
    atoms = universe.atoms
    # residues as the molecules: a massless virtual site (TIP4P's M) weighs nothing and is
    # fine, a Li of mass 0 (a GRO file's "LI") is refused
    masses = atomgroup_masses(atoms, first_appearance(atoms.resindices),
                              "the density of a Universe")
    traj = universe.trajectory
    check_has_time(traj, "the Universe")
    if traj.n_frames < 2:
        raise ValueError(f"a density series needs at least 2 frames, the Universe has "
                         f"{traj.n_frames}")
    # boxes and times without the coordinates where the reader keeps them apart (in memory,
    # H5MD): a density needs no position
    _, boxes, times = frame_boxes(traj, times=True)
    volumes = _box_volumes(boxes)
    missing = np.flatnonzero(~np.isfinite(volumes))
    if missing.size:
        # each frame's own fault: a negative length (a converter's sign) wants another cure
        # than a frame written without a box or a NaN of a failed step
        shown = "; ".join(f"frame {k}: {box_fault(boxes[k]) or 'no volume'}"
                          for k in missing[:3])
        more = f"; {missing.size - 3} more" if missing.size > 3 else ""
        raise ValueError(f"frame {missing[0]} (and {missing.size - 1} more) has no box a "
                         f"density can divide by ({shown}{more}): no density")
    spacing = check_time_spacing(times, np.arange(traj.n_frames), "the Universe")
    return float(np.sum(masses, dtype=np.float64)) / volumes / GCM3_TO_AMU_PER_A3, spacing


def _series(source, name, dt):
    """(values, dt) from an H5MD file's observable or an array with its spacing."""
    if name == "density" and hasattr(source, "atoms") and hasattr(source, "trajectory"):
        return _universe_densities(source, dt)
    if is_h5md_path(source):
        obs = read_observable(source, name, required=True)
        return np.asarray(obs["value"], dtype=np.float64), obs["dt"]
    # a Universe, an AtomGroup or another trajectory file read as numbers failed with "must be
    # real numbers, got <AtomGroup [...]>", naming neither the problem nor what to pass
    arrays = f"an array of {name} values with dt= (ps)"
    if hasattr(source, "universe") or hasattr(source, "trajectory"):
        # ValueError, as these inputs were refused before (by real_array)
        if name == "density":
            raise ValueError(
                f"the density of a Universe is its whole mass over its box: pass the Universe "
                f"(here .universe of the {type(source).__name__}), not an "
                f"{type(source).__name__}, or {arrays}")
        raise ValueError(
            f"a {type(source).__name__}'s frames hold no {name}: pass the H5MD file of run_md "
            f"(its '{name}' observable) or {arrays}")
    if isinstance(source, (str, os.PathLike)):
        raise ValueError(
            f"{os.fspath(source)!r} is not an H5MD file (.h5md, .h5, .hdf5): the {name} is read "
            f"from run_md's H5MD observables"
            + (", or from a Universe of any trajectory (mda_electrolyte.from_ase(path) or "
               "MDAnalysis.Universe(topology, trajectory))" if name == "density" else "")
            + f"; or give {arrays}")
    values = real_array(source, f"the {name} series")
    if values.ndim != 1:
        raise ValueError(f"a {name} series must be one-dimensional, not of shape {values.shape}")
    if dt is None:
        raise ValueError(f"an array of {name} values needs its spacing dt= (ps), a positive "
                         "finite number")
    # the transport analyses' bound: a spacing in seconds (1e-15) scales every reported time
    return values, check_frame_spacing(dt, f"the spacing dt (ps) of an array of {name} values")


def _own_copies(measured):
    """:func:`~mda_electrolyte.uncertainty.measured_values`' (values, errors, notes) with arrays
    of the fit's own: real_array hands back the caller's float64 array itself, and a fit whose
    inputs were checked at construction must not run on an array edited since (NaN densities
    set after the check ended in Estimate's traceback; reversed volumes gave a fit of them)."""
    values, errors, notes = measured
    return np.array(values), None if errors is None else np.array(errors), notes


def _extrapolated(reference, sampled, what, unit, margin=0.0):
    """The note (a 1-tuple, else empty) of a fit evaluated at a ``reference`` ``what`` farther
    than ``margin`` outside the ``sampled`` ones."""
    lo, hi = sampled.min(), sampled.max()
    if lo - margin <= reference <= hi + margin:
        return ()
    return (f"extrapolated: reference {what} {reference:.4g} {unit} lies outside the sampled "
            f"{what}s {lo:.4g}–{hi:.4g} {unit}",)


def _point_errors(errors, values, what):
    """The fitted points' errors (None: from the residuals), refused unless one positive
    finite error per value: a zero error is an infinite weight."""
    if errors is not None and (errors.shape != values.shape
                               or not np.all((errors > 0) & (errors < np.inf))):
        raise ValueError(f"{what} errors must be positive and finite, one per {what}")
    return errors


#: p-value of the fit's χ² below which given per-point errors do not describe the scatter
_CHI2_P = 1e-4

#: Standard errors by which a measured point must fall below its neighbour (in the order a
#: mechanically stable liquid rises) for the curve to count as not monotonic: one pair of
#: seven passes 3 by chance in ~1 % of monotonic curves.
_REVERSAL_Z = 3.0


def _reversal_notes(x, y, errors, rising, x_name, y_name, x_unit, y_unit, cure):
    """The note (a 1-tuple, else empty) of measured points that reverse the direction a stable
    liquid's curve must take (pressure rising with density, volume falling with pressure) by
    more than :data:`_REVERSAL_Z` standard errors of their difference.

    The monotonic fits (a ρⁿ + b, Tait) drew a smooth curve through a loop (a phase change,
    a run not equilibrated, points paired in the wrong order) and reported its root as a
    valid result. ``errors`` are the points' errors, or one scatter for all (the fit's
    residuals) where none were given.
    """
    order = np.argsort(x, kind="stable")
    xs, ys = x[order], y[order]
    es = np.broadcast_to(errors, y.shape)[order]
    step = np.diff(ys) if rising else -np.diff(ys)
    # points on the curve to within round-off have a scatter of 0 (a _fit_error_notes note
    # says so): a step of 0 over it is no reversal, not a 0/0 warning
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.nan_to_num(-step / np.hypot(es[1:], es[:-1]), nan=0.0)
    z[np.diff(xs) == 0] = 0.0    # two runs at one x differ by their noise, not by a trend
    if not np.any(z > _REVERSAL_Z):
        return ()
    k = int(np.argmax(z))
    return (f"not monotonic: the {y_name} {'falls' if rising else 'rises'} from "
            f"{ys[k]:.4g} to {ys[k + 1]:.4g} {y_unit} between {x_name} {xs[k]:.4g} and "
            f"{xs[k + 1]:.4g} {x_unit} ({z[k]:.1f} standard errors), where a stable liquid's "
            f"{y_name} {'rises' if rising else 'falls'}: {cure}",)


def _repeated_points_refused(x, y, x_name, y_name):
    """Refuse a point given twice (the same ``(x, y)`` to the last bit): the same run listed
    twice adds degrees of freedom without scatter. Three densities each given three times
    were fitted to ρ0 = 1.0368 ± 2.7e-17 g/cm³, valid."""
    pairs = np.stack([x, y], axis=1)
    _, inverse, counts = np.unique(pairs, axis=0, return_inverse=True, return_counts=True)
    if np.any(counts > 1):
        same = np.flatnonzero(counts[inverse.ravel()] > 1)
        first = same[0]
        twin = same[1:][np.all(pairs[same[1:]] == pairs[first], axis=1)][0]
        raise ValueError(
            f"points {first} and {twin} are the same measurement ({x_name} {x[first]:.6g}, "
            f"{y_name} {y[first]:.6g}): a run given twice counts as scatter-free data; give "
            "each run once")


#: Largest residual, relative to the largest fitted value, of points that lie on the fitted
#: curve by construction (round-off and the fit's convergence: ~1e-12 over exact curves), far
#: below any measured scatter (a density given to 4 digits: 1e-4).
_ROUND_OFF = 1e-8


def _fit_error_notes(residuals, errors, dof, observed=None):
    """Why a fit's error is not valid: too few degrees of freedom for a residual error, fitted
    values (``observed``) that do not vary at all, or given per-point errors that the scatter
    of the points contradicts.

    Without ``errors`` the error comes from the residual variance, whose t-scaled z-scores have
    no finite spread below 3 degrees of freedom (:func:`mda_electrolyte.uncertainty.few_dof_note`,
    measured there), and which is no error where the points lie on the curve to within
    round-off (:data:`_ROUND_OFF` of the largest ``observed``); with ``errors`` they are
    propagated (absolute weights) and checked against the residuals: a χ² with p < 10⁻⁴
    means errors too small (e.g. from correlated series) or a model that does not fit, and
    the propagated error would be too small.
    """
    if errors is None:
        note = few_dof_note(dof)
        if note is not None:
            return (note,)
        if observed is not None and np.ptp(observed) == 0:
            # the same density at every temperature (fixed-volume runs, as Density says of
            # a series that does not fluctuate): its residual variance of 0 made the slope's
            # error NaN, refused by Estimate with "a valid estimate needs a finite ... error"
            return ("not a result: the fitted values are all the same (fixed-volume runs?), "
                    "so they measure no response and their residuals no error",)
        if observed is not None and np.all(
                np.abs(residuals) <= _ROUND_OFF * np.max(np.abs(observed))):
            # values on the fitted curve to the last digits (computed from a formula, or a fit
            # fitted again): their residual variance of ~0 is no error bar; 7 densities on an
            # exact P(ρ) gave ρ0 = 1.15 ± 1e-17 g/cm³, valid
            return (f"not a result: the points lie on the fitted curve to within round-off "
                    f"(residuals at most {np.max(np.abs(residuals)):.2g}, "
                    f"{_ROUND_OFF:g} of the values), so their scatter measures no error: give "
                    "measured values, or their standard errors",)
        return ()
    chi2 = float(np.sum((residuals / errors) ** 2))
    p = float(stats.chi2.sf(chi2, dof))
    if p < _CHI2_P:
        return (f"the points scatter more than their given errors allow (χ²/dof = "
                f"{chi2 / dof:.3g} over {dof} degrees of freedom, p = {p:.2g}): errors too "
                "small or a model that does not fit",)
    return ()


def _check_series_size(values, what):
    # the message names the caller's quantity: "a time-series mean needs at least 4 samples"
    # from Density named neither the density nor the cure
    if values.size < MIN_SERIES_SAMPLES:
        raise ValueError(f"{what} needs at least {MIN_SERIES_SAMPLES} samples, not "
                         f"{values.size}: a mean with an error needs a longer run or more "
                         "frequent samples")


def equilibrated_mean(values, dt=1.0, detect=True, trend=False, what="the series"):
    """Mean of a time series after its detected equilibration, with error and diagnostics.

    ``dt`` is the spacing of the samples in ps (it scales only the reported ``t0``; a spacing
    in seconds or fs is refused as by :func:`mda_electrolyte.correlation.check_frame_spacing`).
    ``trend`` also tests the kept part for a linear drift
    (:func:`mda_electrolyte.uncertainty.equilibrated_series_mean`). ``what`` names the series
    in the errors (``"the density series"``).

    Returns
    -------
    dict
        ``mean``, ``error``, ``t0`` (ps), ``statistical_inefficiency``, ``n_effective``,
        ``dof`` (of the t-scaled error, :attr:`~mda_electrolyte.uncertainty.SeriesMean.dof`),
        ``verdict``.
    """
    # checked before the series is read: 1e-15 (a spacing in seconds) gave t0 in seconds
    # labelled ps
    dt = check_frame_spacing(dt, "dt (ps)")
    values = real_array(values, what)
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        raise ValueError(f"{what} holds {bad.size} NaN or infinite sample(s) (first at "
                         f"index {bad[0]}): no mean of it is a result")
    _check_series_size(values, what)
    r = equilibrated_series_mean(values, detect=detect, what=what, trend=trend)
    verdict = "; ".join(r.notes) or "valid"
    return {"mean": r.mean, "error": r.error, "t0": r.t0 * dt,
            "statistical_inefficiency": r.g,
            "n_effective": r.n_independent, "dof": r.dof, "verdict": verdict}



def _density_unit_notes(what, densities):
    """Verdict notes of a number in the unit of ``densities`` (g/cm³) where their values
    doubt that unit (:func:`ase_electrolyte.units.implausible_doubts`: outside 0.3–5 g/cm³,
    kg/m³?), as ``"unit doubted: {what}: ..."`` (the transport analyses' rule,
    :func:`mda_electrolyte.carriers.doubted_unit_notes`)."""
    from .carriers import doubted_unit_notes

    return tuple(doubted_unit_notes(what, density_g_cm3=densities))


class Density:
    r"""Equilibrated NPT density with its uncertainty.

    Parameters
    ----------
    source : path or MDAnalysis.Universe or array_like
        H5MD file of an NPT run (its ``density`` observable, g/cm³), an NPT trajectory of any
        engine (a Universe: the total mass of its atoms over the box volume of every frame,
        frames equally spaced in time), or a density series in g/cm³. Values outside
        0.3–5 g/cm³ are doubted with a UserWarning (kg/m³?), as by
        :func:`ase_electrolyte.units.warn_implausible`, and make the density not valid
        (``"unit doubted: ..."``; the number is unchanged).
    dt : float, optional
        Spacing of an array series in ps (refused for an H5MD file or a Universe, whose
        samples carry their times).
    detect_equilibration : bool
        Discard the start that :func:`pymbar.timeseries.detect_equilibration` finds (default).

    Attributes
    ----------
    results.equilibrium_density : Estimate
        g/cm³; the error is :math:`t\,s\sqrt{g/N}` with the statistical inefficiency g (its
        ``dof``, ``n_effective - 1``, gives :meth:`~ase_electrolyte.estimate.Estimate.interval`
        the t quantile), the
        verdict ``"too short: ..."`` below 50 uncorrelated samples
        (:data:`mda_electrolyte.uncertainty.MIN_INDEPENDENT_SAMPLES`),
        ``"not equilibrated: drifting ..."`` where the kept part has a linear trend
        significant against its correlated noise (p < 0.01,
        :func:`mda_electrolyte.uncertainty.equilibrated_series_mean` with ``trend=True``).
        ``results.density``,
        ``results.density_err``, ``results.verdict`` and ``results.valid`` are float/str aliases.
    results.t0 : float
        Start of the equilibrated part, ps.
    results.statistical_inefficiency, results.n_effective : float
    results.time, results.series : numpy.ndarray
        The whole series (for :meth:`plot`).

    Examples
    --------
    >>> import numpy as np
    >>> from mda_electrolyte import Density
    >>> rng = np.random.default_rng(0)
    >>> rho = 1.2 + 0.01 * rng.normal(size=2000)
    >>> d = Density(rho, dt=0.01).run().results
    >>> abs(d.density - 1.2) < 4 * d.density_err
    True
    """

    def __init__(self, source, *, dt=None, detect_equilibration=True):
        check_flag("detect_equilibration", detect_equilibration)
        if dt is not None and is_h5md_path(source):
            # read its observable's own spacing, the dt given was ignored without a word
            raise ValueError(f"dt = {dt!r} given for {os.fspath(source)}, an H5MD file whose "
                             "observables carry their times; leave dt out")
        values, self._dt = _series(source, "density", dt)
        # a copy: the caller's array edited between construction and run() was averaged
        # unchecked (negated after the check, -1.1997 g/cm³ came out valid)
        self._values = np.array(values, dtype=np.float64)
        # before the kg/m³ doubt and before run(): a NaN of a failed step passed construction
        # and was refused by run() as 'the series holds ...', an infinite one first drew a
        # warning asking whether 'inf g/cm³' was in kg/m³
        bad = np.flatnonzero(~np.isfinite(self._values))
        if bad.size:
            raise ValueError(f"the density series holds {bad.size} NaN or infinite sample(s) "
                             f"(first at index {bad[0]}, {self._values[bad[0]]}): no mean of "
                             "it is a result; cut the run before the first bad step")
        bad = np.flatnonzero(self._values <= 0)
        if bad.size:
            raise ValueError(f"the density series holds {bad.size} sample(s) <= 0 g/cm³ (first at "
                             f"index {bad[0]}): not densities")
        # as EquationOfState and ThermalExpansion doubt theirs: a series in kg/m³ came out as
        # "1199.7 ± 0.2 g/cm³ (valid)" without a word
        # before run(): too few samples is known now
        _check_series_size(self._values, "the density series")
        warn_implausible(density_g_cm3=self._values)
        # the warning alone left the mean valid: kg/m³ read as g/cm³ came out as
        # '1199.7 ± 0.2 g/cm^3 (valid)'
        self._unit_notes = _density_unit_notes("the density series", self._values)
        self._detect = bool(detect_equilibration)
        self.results = Results()

    def run(self):
        """Detect equilibration and average; returns ``self``."""
        # a density still drifting (an NPT run compressing slowly) has no equilibrium value yet
        r = equilibrated_mean(self._values, self._dt, self._detect, trend=True,
                              what="the density series")
        if np.ptp(self._values) <= FIXED_VOLUME_SPREAD * np.mean(self._values):
            # a fixed box (NVT/NVE, or an NVT production at an NPT mean volume) has a density by
            # construction, not one the potential predicts: an error of 0 would read as exact,
            # and so would one of the round-off of a box written in single precision or rescaled
            # (1.2 g/cm³ with 1e-13 relative noise came out valid, ± 5e-15)
            r["verdict"] = (
                "not a result: the density does not fluctuate (fixed-volume run; its range is "
                f"{np.ptp(self._values) / np.mean(self._values):.1g} of its mean, at most "
                f"{FIXED_VOLUME_SPREAD:g}); an NPT run measures the model's density"
            )
        if self._unit_notes:
            r["verdict"] = "; ".join(((r["verdict"],) if r["verdict"] != "valid" else ())
                                     + self._unit_notes)
        res = self.results
        res.equilibrium_density = Estimate(
            r["mean"], r["error"], "g/cm^3", METHODS["inefficiency"],
            n_samples=int(r["n_effective"]), converged=r["verdict"] == "valid",
            notes=() if r["verdict"] == "valid" else (r["verdict"],),
            # the error is t-scaled over the independent samples (timeseries_mean): its
            # intervals use t
            dof=r["dof"] if np.isfinite(r["error"]) else None,
        )
        res.density, res.density_err = r["mean"], r["error"]
        res.t0, res.statistical_inefficiency = r["t0"], r["statistical_inefficiency"]
        res.n_effective, res.verdict = r["n_effective"], r["verdict"]
        res.valid = res.verdict == "valid"
        res.time = np.arange(self._values.size) * self._dt
        res.series = self._values
        return self

    @draws_user_text
    def plot(self, ax=None):
        """Density series, the equilibration point and the mean with its error band.

        Returns
        -------
        matplotlib.axes.Axes
        """
        require_results(self, "time")

        ax = axes_to_draw_into(ax)
        r = self.results
        ax.plot(r.time, r.series, color="C0", lw=0.6)
        ax.axvline(r.t0, color="k", ls=":", label="equilibrated from")
        band = finite_span(r.density - r.density_err, r.density + r.density_err)
        if band is not None:
            ax.axhspan(*band, color="C1", alpha=0.4, label="mean ± error")
        ax.set_xlabel("time (ps)")
        ax.set_ylabel("density (g/cm³)")
        ax.set_title(f"ρ = {estimate_label(r.equilibrium_density, reason=False)}")
        mark_invalid(ax, r.equilibrium_density)
        ax.legend()
        return ax


class EquationOfState:
    r"""Zero-pressure density from :math:`P(\rho) = a\rho^n + b` over NVT runs.

    Parameters
    ----------
    densities : array_like
        Densities of the NVT runs, g/cm³ (at least 4); outside 0.3–5 g/cm³ (kg/m³?) ρ0 is not
        valid (``"unit doubted: ..."``). The pressures' unit does not move ρ0.
    pressures : array_like of float or of Estimate, optional
        Mean pressures in bar; or give ``sources``. Estimates carry their errors (no
        ``pressure_errors`` then) and verdicts: one that is not valid makes ρ0 not valid.
    pressure_errors : array_like, optional
        Their standard errors in bar, propagated with absolute weights and checked against the
        scatter (χ² p < 10⁻⁴: not valid). Default: the error from the residual variance,
        t-scaled, valid from 7 densities on (4 degrees of freedom,
        :data:`mda_electrolyte.uncertainty.MIN_ERROR_DOF`).
    sources : sequence or iterable of path or array, optional
        H5MD files of the NVT runs (``pressure`` observable) or pressure series, one per density;
        their equilibrated means and errors (:class:`Density`'s method) are used; a series
        still drifting (a linear trend significant against its correlated noise, p < 0.01,
        :func:`mda_electrolyte.uncertainty.equilibrated_series_mean` with ``trend=True``) makes
        ρ0 not valid, naming it.
    dt : float, optional
        Spacing of array series in ps (given ``sources`` only: refused with ``pressures``,
        where it would change nothing).

    Attributes
    ----------
    results.a, results.n, results.b : float
        Fit parameters (bar, g/cm³); ``results.covariance`` their covariance.
    results.zero_pressure_density : Estimate
        Zero-pressure density and its error (delta method on the covariance), g/cm³, with the
        verdict; ``results.rho0``, ``results.rho0_err`` are float aliases.
    results.pressures, results.pressure_errors : numpy.ndarray
        The fitted points.
    results.chi2_dof : float
        Reduced χ² (with given errors).
    results.verdict : str
        ``"valid"``, or why not (no sign change of P over the densities: extrapolated ρ0; a
        fitted curve that never reaches 0 bar: no ρ0; a pressure that falls with density by
        more than 3 standard errors between neighbouring points: "not monotonic"; a
        pressure series of ``sources`` whose mean is not a result, e.g. too short, named).
    """

    def __init__(self, densities, pressures=None, *, pressure_errors=None, sources=None,
                 dt=None):
        rho = np.array(real_array(densities, "densities"))   # the fit's own (_own_copies)
        self._source_notes = ()
        if sources is None and dt is not None:
            # the spacing of series given as sources: with mean pressures it changed nothing
            raise ValueError(f"dt = {dt!r} given without sources=: it is the spacing (ps) of "
                             "pressure series given as sources; leave it out with pressures")
        if sources is not None:
            if pressures is not None:
                raise ValueError("give pressures or sources, not both")
            if isinstance(sources, (str, bytes, os.PathLike)) or not hasattr(sources,
                                                                             "__iter__"):
                # one file or a number: len() of a path counted its characters
                raise TypeError(f"sources must be a list of one H5MD file or pressure series "
                                f"per density, not {type(sources).__name__} {sources!r}")
            if not hasattr(sources, "__len__"):
                # a generator (or any iterable) of the runs: len() failed with a TypeError
                sources = list(sources)
            if dt is not None and len(sources) and all(is_h5md_path(x) for x in sources):
                # the files' observables carry their times: the dt given changed nothing
                raise ValueError(f"dt = {dt!r} given for sources that are all H5MD files, whose "
                                 "observables carry their times; leave dt out (it spaces "
                                 "sources given as arrays)")
            if len(sources) != rho.size:
                raise ValueError(f"{len(sources)} sources for {rho.size} densities")
            # trend: an NVT pressure still drifting (a box still relaxing) has no equilibrium
            # mean; without the test a drift of one noise deviation over the run was fitted
            # as valid in 14 of 20 replicas
            means = []
            for k, (r, s) in enumerate(zip(rho, sources, strict=True)):
                try:
                    means.append(equilibrated_mean(*_series(s, "pressure", dt), trend=True,
                                                   what="the pressure series"))
                except ValueError as err:
                    # 'the series holds 1 NaN ...' of one run among many named none of them
                    raise ValueError(f"pressure series {k} (ρ = {r:.4g} g/cm³): {err}") from None
            for k, (r, m) in enumerate(zip(rho, means, strict=True)):
                if not (np.isfinite(m["error"]) and m["error"] > 0):
                    # a constant series (a stand-in, a barostat's target copied) has an error
                    # of 0, refused as "pressure errors must be positive and finite", which
                    # named neither the series nor the errors the user never gave
                    raise ValueError(
                        f"pressure series {k} (ρ = {r:.4g} g/cm³) has no error to weigh the "
                        f"fit by (error {m['error']:g} bar: {m['verdict']}); give the "
                        "pressure series of an NVT run that samples its fluctuations")
            pressures = [m["mean"] for m in means]
            pressure_errors = [m["error"] for m in means]
            # a mean that is not a result (too short, not equilibrated) has an error bar that
            # is not one either: fitted with it as a weight, ρ0 came out valid with errors up
            # to 17 times too small
            self._source_notes = tuple(
                f"pressure series {k} (ρ = {r:.4g} g/cm³): {m['verdict']}"
                for k, (r, m) in enumerate(zip(rho, means, strict=True))
                if m["verdict"] != "valid")
        if pressures is None:
            raise ValueError("give the mean pressures (bar) or the NVT runs as sources=")
        p, given_errors, self._input_notes = _own_copies(measured_values(
            pressures, pressure_errors, "pressures", "bar"))
        if rho.ndim != 1 or rho.shape != p.shape or rho.size < 4:
            raise ValueError("need at least 4 densities with one pressure each")
        if not np.all((rho > 0) & (rho < np.inf)) or not np.all(np.isfinite(p)):
            raise ValueError("densities must be positive and finite, pressures finite")
        for label, values in (("densities", rho), ("pressures", p)):
            if np.unique(values).size < 3:
                # three fit parameters: fewer distinct points leave the fit undetermined
                raise ValueError(
                    f"need at least 3 distinct {label}, got {np.unique(values).size}")
        _repeated_points_refused(rho, p, "density", "pressure")
        warn_implausible(pressure_bar=p, density_g_cm3=rho)
        # ρ0 is in the densities' unit (the pressures' unit does not move the zero crossing):
        # densities in kg/m³ gave 'ρ0 = 1200.0 ± 2.3 g/cm^3 (valid)'
        self._input_notes = self._input_notes + _density_unit_notes("the densities", rho)
        self._rho, self._p = rho, p
        self._err = _point_errors(given_errors, p, "pressure")
        self.results = Results()

    def run(self):
        """Fit and solve for the zero-pressure density; returns ``self``."""
        rho, p, err = self._rho, self._p, self._err
        scale = rho.mean()

        def model(x, a, n, b):
            return a * (x / scale) ** n + b

        slope = np.polyfit(rho / scale, p, 1)[0]
        guess = (slope / 6.0, 6.0, p.mean() - slope / 6.0)
        try:
            popt, pcov = optimize.curve_fit(
                model, rho, p, p0=guess, sigma=err, absolute_sigma=err is not None,
                maxfev=20000,
            )
        except RuntimeError as exc:
            # scipy's "Optimal parameters not found": no power law through these points
            return self._not_fitted(f"not a result: the fit of P(ρ) = a ρ^n + b did not "
                                    f"converge ({exc})")
        a, n, b = popt
        if not (-b / a) > 0:
            # a result of the data (pressures all of one sign, a curve that never reaches 0),
            # not a bad input: it was a ValueError after the fit, the fitted curve lost
            side = "above" if np.all(p > 0) else "below" if np.all(p < 0) else "on both sides of"
            self._not_fitted(
                f"not a result: the fitted P(ρ) = a ρ^n + b (a = {a:.3g} bar, n = {n:.3g}, "
                f"b = {b:.3g} bar) never reaches 0 bar, so there is no zero-pressure density; "
                f"the pressures lie {side} 0 bar over {rho.min():.4g}–{rho.max():.4g} g/cm³: "
                "add runs at densities where the pressure changes sign")
            res = self.results
            res.a, res.n, res.b = float(a / scale**n), float(n), float(b)
            res.covariance = pcov
            # the fitted curve is drawn, showing it never reaches 0 bar: _not_fitted's NaN
            # curve was drawn as an empty line the legend named "a ρ^6.51 + b"
            self._model = lambda x: model(x, *popt)
            return self
        x0 = (-b / a) ** (1.0 / n)
        rho0 = scale * x0
        dof = max(rho.size - 3, 1)  # t factor of the residual error; < 4 is not valid below
        res = self.results
        res.a, res.n, res.b = float(a / scale**n), float(n), float(b)
        res.covariance = pcov
        res.rho0 = float(rho0)
        res.rho0_err = float(self._rho0_error(model, popt, pcov, x0, scale)
                             * (t_factor(dof) if err is None else 1))
        resid = p - model(rho, *popt)
        res.chi2_dof = float(np.sum((resid / err) ** 2) / dof) if err is not None else None
        res.densities, res.pressures = rho, p
        res.pressure_errors = err
        inside = rho.min() <= rho0 <= rho.max()
        res.verdict = "valid" if inside else (
            f"extrapolated: ρ0 = {rho0:.4g} g/cm³ lies outside the sampled densities "
            f"{rho.min():.4g}–{rho.max():.4g}"
        )
        res.valid = inside
        if inside and not np.isfinite(res.rho0_err):
            res.verdict = "not a result: the fit's covariance could not be estimated"
            res.valid = False
        if inside and not a * n > 0:
            # dP/dρ = a n ρ^(n-1) / scale^n: a pressure falling as the liquid is compressed is a
            # negative compressibility, i.e. pressures in the wrong order or of the wrong sign
            res.verdict = ("not a result: the fitted pressure falls with density at ρ0 "
                           "(dP/dρ < 0, a negative compressibility); check the pressures' "
                           "sign and order")
            res.valid = False
        fit_notes = _fit_error_notes(resid, err, rho.size - 3, p)
        spread = err if err is not None else np.sqrt(np.sum(resid**2) / dof)
        fit_notes = _reversal_notes(
            rho, p, spread, True, "density", "pressure", "g/cm³", "bar",
            "ρ0 of a loop is not a zero-pressure density (a phase change, a run not "
            "equilibrated, densities and pressures paired in the wrong order?)") + fit_notes
        if fit_notes or self._source_notes or self._input_notes:
            res.verdict = "; ".join(((res.verdict,) if not res.valid else ())
                                    + fit_notes + self._source_notes + self._input_notes)
            res.valid = False
        res.zero_pressure_density = fit_estimate(
            res.rho0, res.rho0_err, "g/cm^3", n_points=rho.size, n_parameters=3,
            given_errors=err is not None, notes=() if res.valid else (res.verdict,))
        self._model = lambda x: model(x, *popt)
        return self

    def _rho0_error(self, model, popt, pcov, x0, scale):
        """Standard error of ρ0 (g/cm³) from the same curve written ``c ((ρ/ρ0)^n - 1)``.

        a and n of a ρⁿ + b are nearly degenerate over a narrow density range: the delta
        method on their covariance (gradient of ``(-b/a)^(1/n)``) cancelled to a negative
        variance in 8 of 300 noisy replicas (1.10-1.20 g/cm³, errors 150 bar), a NaN error
        and ρ0 refused as 'covariance could not be estimated'. With ρ0 a parameter its
        variance is a diagonal element: finite in all 300, 95 % coverage 0.957. The fit
        starts at the solution, so the curve and ρ0 are the same.
        """
        a, n, b = popt

        def rooted(x, c, m, y0):
            return c * ((x / (scale * y0)) ** m - 1.0)

        try:
            with np.errstate(invalid="ignore", over="ignore"):
                _, cov = optimize.curve_fit(
                    rooted, self._rho, self._p, p0=(-b, n, x0), sigma=self._err,
                    absolute_sigma=self._err is not None, maxfev=2000)
            variance = scale**2 * cov[2, 2]
        except RuntimeError:
            # the delta method on the first fit's covariance
            grad = scale * x0 * np.array([-1.0 / (n * a), -np.log(x0) / n, 1.0 / (n * b)])
            variance = grad @ pcov @ grad
        return math.sqrt(variance) if variance >= 0 else math.nan

    def _not_fitted(self, reason):
        """Results of a fit that failed: NaN parameters, an invalid ρ0 saying why."""
        res = self.results
        res.a = res.n = res.b = res.rho0 = res.rho0_err = math.nan
        res.covariance = np.full((3, 3), math.nan)
        res.chi2_dof = None
        res.densities, res.pressures, res.pressure_errors = self._rho, self._p, self._err
        res.verdict, res.valid = reason, False
        res.zero_pressure_density = Estimate.invalid(
            math.nan, math.nan, "g/cm^3", METHODS["none"], reason, n_samples=self._rho.size)
        self._model = lambda x: np.full_like(np.asarray(x, float), math.nan)
        return self

    @draws_user_text
    def plot(self, ax=None):
        """Pressures with errors, the fitted curve and ρ0.

        Returns
        -------
        matplotlib.axes.Axes
        """
        require_results(self, "densities")

        ax = axes_to_draw_into(ax)
        r = self.results
        ax.errorbar(r.densities, r.pressures, yerr=r.pressure_errors, fmt="o", color="C0")
        if np.isfinite(r.n):
            # a fit that did not converge has no curve to draw (it was a NaN line labelled
            # "a ρ^nan + b")
            x = np.linspace(r.densities.min(), r.densities.max(), 100)
            ax.plot(x, self._model(x), color="C1", label=f"a ρ^{r.n:.2f} + b")
        ax.axhline(0.0, color="k", lw=0.6)
        band = finite_span(r.rho0 - r.rho0_err, r.rho0 + r.rho0_err)
        if band is not None:
            ax.axvspan(*band, color="C2", alpha=0.4, label="ρ0 ± error")
        ax.set_xlabel("density (g/cm³)")
        ax.set_ylabel("pressure (bar)")
        ax.set_title(f"ρ0 = {estimate_label(r.zero_pressure_density, reason=False)}")
        mark_invalid(ax, r.zero_pressure_density)
        if ax.get_legend_handles_labels()[0]:   # a fit that failed has nothing to name
            ax.legend()
        return ax


#: How far (fraction of the sampled pressures' span) P0 may lie outside them, for the Tait fit.
_TAIT_EXTRAPOLATION = 0.1


class TaitCompressibility:
    r"""Isothermal compressibility from volumes at several pressures (Tait equation).

    Parameters
    ----------
    pressures : array_like
        bar (at least 4). Beyond 50 kbar (in Pa?) they are doubted with a UserWarning, and
        κ_T, in their unit, is not valid (``"unit doubted: the pressures: ..."``).
    volumes : array_like of float or of Estimate
        Mean volumes (Å³) at those pressures; Estimates carry their errors (no
        ``volume_errors`` then) and verdicts: one that is not valid makes κ_T not valid.
    volume_errors : array_like, optional
        Their standard errors, propagated (absolute weights) and checked against the scatter
        (χ² p < 10⁻⁴: not valid). Default: from the residual variance, t-scaled, valid from 7
        pressures on (4 degrees of freedom).
    reference_pressure : float
        :math:`P_0` in bar (default 1 atm). Farther outside the sampled pressures than a tenth
        of their span :math:`\kappa_T` is the fitted curve's extrapolation and is marked not
        valid ("extrapolated"); a short step, to 1 atm from a first point at 100 bar, is what
        the Tait form is used for.

    Attributes
    ----------
    results.V0, results.B, results.C : float
        Tait parameters (Å³, bar, dimensionless); ``results.covariance``.
    results.compressibility : Estimate
        :math:`\kappa_T = C/B` in 1/GPa with its fit error, not valid where a volume rises
        with pressure by more than 3 standard errors between neighbouring points ("not
        monotonic"); ``results.kappa_T``,
        ``results.kappa_T_err`` (1/bar) and ``results.kappa_T_per_GPa`` (and ``_err``) are
        float aliases.
    """

    def __init__(self, pressures, volumes, *, volume_errors=None, reference_pressure=1.01325):
        self._p = np.array(real_array(pressures, "pressures"))
        self._v, given_errors, self._input_notes = _own_copies(measured_values(
            volumes, volume_errors, "volumes", "Å^3"))
        if self._p.shape != self._v.shape or self._p.ndim != 1 or self._p.size < 4:
            raise ValueError("need at least 4 pressures with one volume each")
        if not np.all((self._v > 0) & (self._v < np.inf)) or not np.all(np.isfinite(self._p)):
            raise ValueError("volumes must be positive and finite, pressures finite")
        if np.unique(self._p).size < 3:
            # three fit parameters: fewer distinct pressures leave the fit undetermined
            raise ValueError(f"need at least 3 distinct pressures, got {np.unique(self._p).size}")
        _repeated_points_refused(self._p, self._v, "pressure", "volume")
        warn_implausible(pressure_bar=self._p)
        # κ_T is in the pressures' unit: pressures in Pa gave '(4.0 ± 0.015)e-06 1/GPa (valid)'
        # beside the warning; as the densities' unit doubt of EquationOfState and Density
        from .carriers import doubted_unit_notes

        self._input_notes = self._input_notes + tuple(
            doubted_unit_notes("the pressures", pressure_bar=self._p))
        self._err = _point_errors(given_errors, self._v, "volume")
        self._p0 = check_number("reference_pressure (bar)", reference_pressure)
        self.results = Results()

    def run(self):
        """Fit the Tait equation; returns ``self``."""
        p, v, p0 = self._p, self._v, self._p0

        def tait(x, v0, b, c):
            return v0 * (1.0 - c * np.log1p((x - p0) / b))

        slope, v_int = np.polyfit(p - p0, v, 1)
        kappa_guess = max(-slope / v_int, 1e-8)
        b_guess = max(2.0 * np.ptp(p), 1000.0)
        failed = None
        try:
            # trial parameters with (P - P0)/B < -1 put log1p out of its domain: NaN residuals
            # the optimiser steps away from, not a warning for the user
            with np.errstate(invalid="ignore"):
                popt, pcov = optimize.curve_fit(
                    tait, p, v, p0=(v_int, b_guess, kappa_guess * b_guess), sigma=self._err,
                    absolute_sigma=self._err is not None, maxfev=20000,
                )
        except RuntimeError as exc:
            # scipy's "Optimal parameters not found": an invalid κ_T saying so, not a traceback
            failed = f"the Tait fit did not converge ({exc})"
            popt, pcov = np.full(3, math.nan), np.full((3, 3), math.nan)
        v0, b, c = popt
        kappa = c / b
        grad = np.array([0.0, -c / b**2, 1.0 / b])
        dof = max(p.size - 3, 1)
        err = float(np.sqrt(grad @ pcov @ grad)) * (t_factor(dof) if self._err is None else 1)
        res = self.results
        res.V0, res.B, res.C = float(v0), float(b), float(c)
        res.covariance = pcov
        res.kappa_T, res.kappa_T_err = float(kappa), err
        res.kappa_T_per_GPa, res.kappa_T_err_per_GPa = kappa * 1e4, err * 1e4
        fitted = bool(np.isfinite(err) and np.isfinite(kappa))
        notes = () if fitted else (
            failed or "the Tait fit did not determine κ_T (no finite covariance)",)
        if fitted:
            resid = v - tait(p, *popt)
            notes = _fit_error_notes(resid, self._err, p.size - 3, v)
            spread = self._err if self._err is not None else np.sqrt(np.sum(resid**2) / dof)
            notes = _reversal_notes(
                p, v, spread, False, "pressure", "volume", "bar", "Å³",
                "κ_T of a smooth curve through it is not the liquid's (a phase change, a run "
                "not equilibrated, pressures and volumes paired in the wrong order?)") + notes
        if fitted and not kappa > 0:
            # volume growing with pressure: a mechanically unstable fit, or volumes and
            # pressures paired in the wrong order
            notes = (f"κ_T = {kappa * 1e4:.3g} 1/GPa is not positive: the volume does not "
                     "shrink with pressure",) + notes
        # κ_T far from P0 is the fitted curve's slope far from any point, not a measurement
        notes = _extrapolated(p0, p, "pressure", "bar",
                              margin=_TAIT_EXTRAPOLATION * np.ptp(p)) + notes
        notes = notes + self._input_notes
        res.compressibility = fit_estimate(
            res.kappa_T_per_GPa, res.kappa_T_err_per_GPa, "1/GPa", n_points=p.size,
            n_parameters=3, given_errors=self._err is not None, notes=notes)
        res.pressures, res.volumes, res.volume_errors = p, v, self._err
        self._model = lambda x: tait(x, *popt)
        return self

    @draws_user_text
    def plot(self, ax=None):
        """Volumes against pressure with the Tait fit.

        Returns
        -------
        matplotlib.axes.Axes
        """
        require_results(self, "pressures")

        ax = axes_to_draw_into(ax)
        r = self.results
        ax.errorbar(r.pressures, r.volumes, yerr=r.volume_errors, fmt="o")
        if np.all(np.isfinite([r.V0, r.B, r.C])):
            # a fit that did not converge has no curve (it was a NaN line in the legend as
            # "Tait", as EquationOfState's was)
            x = np.linspace(r.pressures.min(), r.pressures.max(), 100)
            ax.plot(x, self._model(x), label="Tait")
        ax.set_xlabel("pressure (bar)")
        ax.set_ylabel("volume (Å³)")
        ax.set_title(f"κ_T = {estimate_label(r.compressibility, reason=False)}")
        mark_invalid(ax, r.compressibility)
        if ax.get_legend_handles_labels()[0]:
            ax.legend()
        return ax


class ThermalExpansion:
    r"""Isobaric thermal expansion coefficient from densities at several temperatures.

    Parameters
    ----------
    temperatures : array_like
        K (at least 3).
    densities, density_errors : array_like
        g/cm³ and their standard errors, propagated and checked against the scatter (χ²
        p < 10⁻⁴: not valid). Without errors: from the residual variance, t-scaled, valid from
        6 temperatures on (4 degrees of freedom). The densities may be Estimates (e.g. each
        :class:`Density`'s ``results.density``): their errors are used (no
        ``density_errors`` then) and a density that is not valid makes α not valid.
    reference_temperature : float, optional
        K at which α is evaluated (default: the mean temperature).

    Attributes
    ----------
    results.expansivity : Estimate
        :math:`\alpha_P = -\frac{1}{\rho}\frac{d\rho}{dT}` in 1/K at the reference
        temperature; ``results.alpha``, ``results.alpha_err`` are float aliases.
    results.slope, results.slope_err : float
        dρ/dT in g/(cm³ K).
    """

    def __init__(self, temperatures, densities, density_errors=None, *,
                 reference_temperature=None):
        self._t = np.array(real_array(temperatures, "temperatures"))
        self._rho, given_errors, self._input_notes = _own_copies(measured_values(
            densities, density_errors, "densities", "g/cm^3"))
        if self._t.ndim != 1 or self._t.shape != self._rho.shape or self._t.size < 3:
            raise ValueError("need at least 3 temperatures with one density each")
        if not np.all((self._t > 0) & (self._t < np.inf)):
            raise ValueError(f"temperatures must be positive and finite (K), not {self._t}")
        if not np.all((self._rho > 0) & (self._rho < np.inf)):
            raise ValueError(f"densities must be positive and finite, not {self._rho}")
        if np.unique(self._t).size < 2:
            raise ValueError("need at least 2 distinct temperatures for a slope")
        _repeated_points_refused(self._t, self._rho, "temperature", "density")
        warn_implausible(temperature_K=self._t, density_g_cm3=self._rho)
        self._err = _point_errors(given_errors, self._rho, "density")
        self._tref = check_number("reference_temperature (K)", reference_temperature, above=0,
                                  allow_none=True)
        if self._tref is None:
            self._tref = self._t.mean()
        self.results = Results()

    def run(self):
        """Weighted line fit; returns ``self``."""
        t, rho, err = self._t, self._rho, self._err
        # the line through (T - T_ref) gives slope and ρ(T_ref) with their covariance; α's
        # error needs both: away from the temperatures' centre they are correlated, and the
        # slope's error alone was 1.18x the replicas' scatter of α at T_ref = the lowest of
        # 250-450 K (α = 1.5e-3 1/K; 0.99x at the centre, where they are not)
        w = np.ones_like(t) if err is None else err**-2.0
        x = t - self._tref
        xw = np.sum(w * x) / np.sum(w)
        sxx = np.sum(w * (x - xw) ** 2)
        # deviations from the first density: equal densities give a slope of exactly 0
        dy = rho - rho[0]
        slope = np.sum(w * (x - xw) * dy) / sxx
        rho_ref = rho[0] + np.sum(w * dy) / np.sum(w) - slope * xw
        # covariance of (slope, ρ(T_ref)) for unit-scaled weights
        cov = np.array([[1.0 / sxx, -xw / sxx], [-xw / sxx, 1.0 / np.sum(w) + xw**2 / sxx]])
        resid = rho - rho_ref - slope * x
        scale = 1.0
        if err is None:
            # the residual variance, t-scaled (as linregress' stderr with t(n - 2))
            cov = cov * (np.sum(resid**2) / (t.size - 2))
            scale = t_factor(t.size - 2)
        slope_err = float(np.sqrt(cov[0, 0])) * scale
        grad = np.array([-1.0 / rho_ref, slope / rho_ref**2])
        res = self.results
        res.slope, res.slope_err = float(slope), slope_err
        res.alpha = float(-slope / rho_ref)
        res.alpha_err = float(np.sqrt(max(grad @ cov @ grad, 0.0))) * scale
        notes = _fit_error_notes(resid, err, t.size - 2, rho)
        # the line's density is extrapolated outside them; far enough out it turns negative
        # and flips the sign of α
        notes = _extrapolated(self._tref, t, "temperature", "K") + notes
        notes = notes + self._input_notes
        res.expansivity = fit_estimate(
            res.alpha, res.alpha_err, "1/K", n_points=t.size, n_parameters=2,
            given_errors=err is not None, notes=notes, scaled=", t-scaled")
        res.reference_temperature = float(self._tref)
        res.temperatures, res.densities, res.density_errors = t, rho, err
        return self

    @draws_user_text
    def plot(self, ax=None):
        """Densities against temperature with the fitted line.

        Returns
        -------
        matplotlib.axes.Axes
        """
        require_results(self, "temperatures")

        ax = axes_to_draw_into(ax)
        r = self.results
        ax.errorbar(r.temperatures, r.densities, yerr=r.density_errors, fmt="o")
        # the fitted line ρ(T) = ρ(T_ref) + slope (T - T_ref), with α = -slope / ρ(T_ref)
        if r.alpha != 0:
            rho_ref = -r.slope / r.alpha
        else:   # a flat line: the (weighted) mean density
            w = None if r.density_errors is None else r.density_errors ** -2.0
            rho_ref = float(np.average(r.densities, weights=w))
        x = np.linspace(r.temperatures.min(), r.temperatures.max(), 2)
        ax.plot(x, rho_ref + r.slope * (x - r.reference_temperature), color="C1",
                label=f"fit: α_P = {estimate_label(r.expansivity, reason=False)}")
        ax.legend()
        ax.set_xlabel("temperature (K)")
        ax.set_ylabel("density (g/cm³)")
        ax.set_title(f"α_P = {estimate_label(r.expansivity, reason=False)}")
        mark_invalid(ax, r.expansivity)
        return ax


@register_analysis("density", needs=("box", "observables"))
def _report_density(universe, outdir, *, calculator=None, verbose=False):
    import matplotlib

    matplotlib.use("Agg")

    name = getattr(universe.trajectory, "filename", None)
    if not (name and is_h5md_path(name)) or read_observable(name, "density") is None:
        return {"skipped": "needs the density observable of a run_md H5MD file"}
    try:
        d = Density(name).run()
    except ValueError as err:
        return {"refused": str(err)}
    r = d.results
    ax = d.plot()
    save_figure(ax.figure, f"{outdir}/density.png", dpi=120)
    return {
        "density": r.equilibrium_density,
        # how the estimate was made, not results: beside the Estimate they read as numbers
        "diagnostics": {
            "equilibrated_from_ps": r.t0,
            "statistical_inefficiency": r.statistical_inefficiency,
            "n_effective": r.n_effective,
        },
        "plot": "density.png",
    }
