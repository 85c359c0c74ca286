r"""Errors of a model against a reference as Estimates: RMSE, RRMSE and force-softening fits.

For values ``x`` (reference) and ``y`` (model) over ``K`` frames,

    RMSE = sqrt(⟨(y − x)²⟩),      RRMSE = sqrt(Σ (y − x)² / Σ (x − x̄)²),

the relative error of Magdău et al. (2023): 0 is perfect, 1 is no better than predicting the
mean. For vectors and tensors (forces, stress) ``x̄`` is the mean vector or tensor, so that a
rotation of the frames changes neither number. The uncertainty treats the frames (or, where
consecutive frames are correlated, blocks of them; see below) as the independent samples: the
mean squared error
``m_k`` of every frame gives ``MSE = mean_k m_k`` with a t-scaled standard error over frames
(:func:`mda_electrolyte.uncertainty.mean_error`), propagated to first order,
``δRMSE = δMSE / (2 RMSE)``. The RRMSE is a ratio of two sums over the same frames, and the
spread of the reference in its denominator is as uncertain as the error in its numerator (for
energies, one value per frame, equally so): its error is the jackknife over frames, scaled by the
Student-t factor of ``n − 1`` degrees of freedom like every error over few samples (with the
spread taken as exact, its error bars covered the truth in 44 % of replicas of 10 frames and 52 %
of 30, not 68 %). Verdicts: one frame gives no error over frames ("too few frames"); an error
over fewer than 5 frames (4 degrees of freedom, :data:`mda_electrolyte.uncertainty.MIN_ERROR_DOF`)
is not valid either: over 2, 3 and 4 frames the z-scores of force RMSEs had standard deviations
3.75, 1.74 and 1.45, of the softening slopes 8.7, 1.64 and 1.38. The RMSE also needs
:data:`MIN_SQUARED_ERRORS` squared errors in all: a squared error is skewed, and the mean of few
of them comes out small together with its error, so the RMSE's z-scores lean negative — one
energy per frame over 5, 10, 15, 20 frames gave standard deviations 2.13, 1.51, 1.30, 1.25
(coverage 0.58-0.64); two values per frame over 5 and 10 frames 1.76 and 1.24, three over 7
frames 1.27, six or nine over 5 frames 1.32. Where the reference does not vary (one frame's
energy) the RRMSE is undefined and marked not valid, never NaN with a warning; where it
varies by less than :data:`MIN_RELATIVE_SPREAD` of its largest magnitude (standard deviation),
the rounding of stored labels, the RRMSE and the least-squares line of :func:`fit_estimates`
are marked not valid, their values kept (energies of 1234.5 eV varying by 1e-9 of it gave an
RRMSE of 5506, valid).

The RRMSE of the same values needs no such count, and so one energy per frame over 5-19
frames can give an RRMSE that is valid beside an RMSE that is not: the verdict of each says
whether *its* error bar is calibrated, and the RRMSE's is over fewer values. Its jackknife
error carries the spread of the reference in the denominator as well, which widens it where
the skewed numerator alone would be too narrow. Measured over 300-400 replicas of one value
per frame (reference N(0, 1); model errors Gaussian, Student-t of 5 degrees of freedom, an
offset plus noise, a 20 % scale plus noise): RRMSE z-scores had standard deviations 0.97-1.33
over 5, 8, 12 and 19 frames, 0.63-0.73 for the scale error (wider bars, never narrower), with
coverage 0.62-0.91; the RMSEs of the same replicas 1.27-2.70 (coverage 0.50-0.67). Over 20
and 30 frames of Gaussian errors the two agree (RMSE 1.19 and 1.13, RRMSE 0.97 and 1.00).

Consecutive frames of a trajectory are not independent samples: the forces, and the model's
errors, of frame *k* and *k* + 1 are correlated, and so are their mean squared errors. Taken as
independent, AR(1)-correlated synthetic frames (30 atoms, lag-1 correlation φ of every force
component and of every error component) gave RMSE z-scores of standard deviation 3.2-3.5 at
φ = 0.9 and 6.9-7.5 at φ = 0.97 over 20 and 50 frames, all called valid (one-sigma coverage
0.14-0.23); the softening slopes alike. The errors are therefore taken over blocks of
consecutive frames (:func:`frame_blocks`): the statistical inefficiency ``g`` of the frames is
the largest of ``(1 + ρ²)/(1 − ρ²)`` for the lag-1 correlation ``ρ`` of the error and reference
components over frames (thousands of force components measure it where one series of 20
per-frame values cannot; pymbar's estimate from the per-frame series alone was 2-10 times too
small and passed a third of those replicas, z-score standard deviation up to 8) and of the
estimates from the per-frame series themselves where their lag-1 autocorrelation is above
``4/sqrt(n − 1)`` (4 standard errors: at 2, one series of independent frames in 40 lost its
valid error). Below ``g`` = 1.5 the frames are the samples, as before; above it blocks of
``2 g`` frames are (the jackknife leaves one block out), and an error over fewer than
:data:`MIN_CORRELATED_FRAMES` = 20 independent frames (``n / g``) is marked not valid
("correlated frames"). Over 100 replicas per case (10-100 frames, φ = 0, 0.5, 0.7, 0.9) the
RMSEs and slopes called valid had z-score standard deviations 0.92-1.23 and coverage 0.61-0.77;
independent frames all stayed valid; φ = 0.5 was valid from 50 frames on, φ = 0.7 in 79 % of
replicas of 100 frames, φ = 0.9 (``g`` ≈ 9.5 for the squared errors) in none. What no frame
order shows is not in the error: frames shuffled out of trajectory order look independent.

Over fewer than 10 frames the lag-1 correlation, estimated about the mean of so few frames, lies
far below the true one (φ = 0.9 reads 0.17 over 5 frames, where the first-order correction
above leaves 0.3): AR(1) frames of φ = 0.9 over 5-9 frames were all called valid, RMSE z-scores
of standard deviation 3.2-4.4 (coverage 0.13-0.27). There the estimate is judged against its
exact expectation for ``n`` frames (``tr(U P C P)/tr(P C P)``: ``C`` the AR(1) correlation
matrix of ρ, ``P`` the centring over the frames, ``U`` the lag-1 shift; ``−1/n`` for
independent frames) and ρ read back from it; and where
the values per frame are too few for a correlation that makes the error bars sqrt(2) too
narrow to stand 4 standard errors clear of independence (one energy per frame, the nine
components of a stress, forces of 10 atoms over 5 frames), the error is marked "too few frames
to measure correlation": that expectation at ρ = sqrt(1/3) (the squared errors' statistical
inefficiency 2) must lie 4 standard errors, ``4/sqrt(m (n − 1))`` for ``m`` values per frame,
above its value for independent frames (one energy per frame from 54 frames on, the six
components of a stress from 14; from 200 frames nothing is judged so). Remeasured over 100
replicas: 100 atoms over
5, 7, 9 frames, independent frames all valid (coverage 0.64-0.77), φ = 0.7 and 0.9 never, φ = 0.5
in 2-9 %.
"""

from __future__ import annotations

import math

import numpy as np

from ase_electrolyte.estimate import Estimate
from mda_electrolyte.correlation import NO_SCATTER, NO_SCATTER_NOTE
from mda_electrolyte.uncertainty import (
    _larger_inefficiency,
    few_dof_note,
    jackknife_error,
    mean_error,
    real_array,
    timeseries_mean,
)

__all__ = ["error_estimates", "fit_estimates", "frame_blocks", "MIN_SQUARED_ERRORS",
           "MIN_CORRELATED_FRAMES", "MIN_RELATIVE_SPREAD"]

#: Squared errors (frames × values per frame) an RMSE's error needs to be valid (see the module
#: text for the measurements behind 20).
MIN_SQUARED_ERRORS = 20

#: Standard deviation of the reference about its mean, relative to its largest magnitude, below
#: which its spread is no denominator (the RRMSE's, the least-squares slope's): single-precision
#: labels round at 6e-8 of their size, and a label file's printed digits or a calculation's
#: convergence (an energy of 1e3 eV to 1e-5 eV) at about the same, so that a spread below it
#: may be rounding alone. Energies of 1234.5 eV that vary by 1e-9 of it gave an RRMSE of 5506,
#: valid. Real frames lie far above: a liquid's total energy fluctuates by ~1e-5 of it (ten
#: thousand atoms, 300 K, energies of 150 eV per atom), forces and stresses by their size.
MIN_RELATIVE_SPREAD = 1e-7

_METHOD = ("propagated from the t-scaled standard error of the per-frame mean squared error "
           "over {n} frames")


def _paired(reference, model):
    """Reference and model values as float64 arrays of one shape, frames first, all finite,
    divided by their largest magnitude, and that scale."""
    ref = real_array(reference, "the reference values")
    mod = real_array(model, "the model values")
    if ref.ndim == 0 or mod.ndim == 0:
        # two single numbers were told 'reference () and model () must have the same shape'
        raise ValueError(f"reference of shape {ref.shape} and model of shape {mod.shape}: a "
                         "single number is no values per frame; give arrays with frames "
                         "first (one energy per frame: shape (n_frames,))")
    if ref.shape != mod.shape:
        raise ValueError(f"reference {ref.shape} and model {mod.shape} must have the same "
                         "shape with frames first")
    if ref.size == 0:
        # same shapes were refused as not the same shape, and frames of no atoms (an empty
        # selection) ended in numpy's 'zero-size array to reduction operation maximum'
        what = "no frames" if ref.shape[0] == 0 else "frames of no values"
        raise ValueError(f"reference and model of shape {ref.shape}: {what}, no error to take "
                         "(an empty frame or atom selection?)")
    if not (np.all(np.isfinite(ref)) and np.all(np.isfinite(mod))):
        raise ValueError("the reference or the model values contain NaN or infinity")
    # squares of values near 1e154 overflow; RMSE and intercept scale back, slopes and R² are
    # scale-free
    scale = float(max(np.max(np.abs(ref)), np.max(np.abs(mod))))
    if scale > 0:
        ref, mod = ref / scale, mod / scale
    else:
        scale = 1.0
    return ref, mod, scale


def _rounding_spread_note(spread, n_values, ref_max, what):
    """Why the reference's ``spread`` (sum of squares about its mean over ``n_values`` values
    whose largest magnitude is ``ref_max``) is too small to divide by, or ``None``
    (:data:`MIN_RELATIVE_SPREAD`); ``what`` names the number that divides by it."""
    if not (spread > 0 and ref_max > 0 and n_values > 0):
        return None
    relative = math.sqrt(spread / n_values) / ref_max
    if relative >= MIN_RELATIVE_SPREAD:
        return None
    return (f"the reference varies by {relative:.2g} of its largest magnitude (standard "
            f"deviation), below {MIN_RELATIVE_SPREAD:g}, the rounding of stored labels: too "
            f"little to divide by, {what} not meaningful (compare frames whose reference "
            "differs)")


def _repeated_frames_note(n_frames, *per_frame):
    """The verdict note of frames that repeat one another, or ``None``.

    ``per_frame`` are series of one sum per frame (the squared errors, the reference's spread,
    a fit's products); frames whose every sum agrees to rounding (:data:`~mda_electrolyte.
    correlation.NO_SCATTER`, the transport analyses' rule, and :func:`~mda_electrolyte.
    volume_scan.scan_minimum`'s "no scatter") are the same frame given several times: the
    scatter over them is rounding, no error. One frame given 60 times reported its force RMSE
    as "1.93 ± 0 eV/Å (valid)" and its RRMSE as "0.120 ± 2.2e-16 (valid)". Distinct frames
    differ in some of the sums even where the model is exact (a model equal to the reference,
    a model proportional to it) or off by a constant in every value.
    """
    if n_frames < 2:
        return None
    series = [np.asarray(x, dtype=np.float64).ravel() for x in per_frame]
    if not all(np.all(np.isfinite(x)) for x in series):
        return None
    if not any(np.any(x != 0) for x in series):
        return None  # nothing at all in any frame: an exact zero, not a repeat
    for x in series:
        top = float(np.max(np.abs(x)))
        if np.ptp(x) > NO_SCATTER * top:
            return None
    return (f"{NO_SCATTER_NOTE} {n_frames} frames: they give the same errors and reference "
            "values to rounding (one frame given several times?), so the error over them is "
            "unknown; compare frames spread over a run")


def error_estimates(reference, model, unit, component_axes=0, *, frame_values=()):
    """RMSE and RRMSE of ``model`` against ``reference`` with their errors and verdicts.

    Parameters
    ----------
    reference, model : array_like, shape (n_frames, ...)
        The same quantity per frame (first axis, in trajectory order: consecutive frames that
        are correlated are blocked, :func:`frame_blocks`), finite.
    unit : str
        Unit of the values (and of the RMSE), e.g. ``"eV/Å"``, ``"meV/atom"``, ``"eV/Å^3"``.
    component_axes : int
        How many trailing axes hold the Cartesian components of a vector (1: forces,
        ``(n_frames, n_atoms, 3)``) or tensor (2: stress as ``(n_frames, 3, 3)``). The mean of
        the reference in the RRMSE is then taken per component (the mean force vector, the mean
        stress tensor), so that the RRMSE, like the RMSE, does not change when the frames are
        rotated; 0 (default): one mean of all values (scalars such as energies).
    frame_values : sequence of array_like, shape (n_frames, ...)
        Other values of the same frames (e.g. their forces and force errors, for an error of
        their energies) whose correlation over consecutive frames counts as well
        (:func:`frame_blocks`): a correlation they show blocks the frames, but they never
        vouch for frames being independent. Whether the frames could show a correlation at
        all is judged by the quantity's own values (the module's rule for fewer than 200
        frames, "too few frames to measure correlation"): one energy per
        frame needs 54 frames, whatever the forces of the same frames show (a liquid's forces
        decorrelate far faster than its energy).

    Returns
    -------
    rmse, rrmse : Estimate
        ``rrmse`` dimensionless (unit ``"1"``).

    Notes
    -----
    The error of the RMSE is calibrated for errors whose fourth moment is finite and not
    dominated by rare values. Measured over 200 replicas each (95 % intervals, independent
    frames): normal errors 92.5–95.5 %, Laplace 93–94.5 %, Student-t(5) 84.5–95 %, Student-t(3)
    70.5–83.5 % (100 or 200 frames of one value, 30 of 72, 20 of 500). For t(3) the variance of
    a squared error is infinite: the replicas that miss are those that happen to lack the rare
    large errors, and they look light-tailed, so no verdict on the sample itself can tell them
    (a kurtosis rule would refuse the replicas that do cover); log and gamma intervals gained
    at most 3 points. Heavy-tailed errors are a property of the model to be reported: compare
    the largest errors (a few frames far off) with the RMSE before trusting its error bar.

    Examples
    --------
    >>> import numpy as np
    >>> from mda_electrolyte.error_metrics import error_estimates
    >>> # 30 frames of 2 values (frames in a trend would be correlated: see frame_blocks)
    >>> ref = np.outer([3.0, 7.0, 1.0, 9.0, 5.0, 2.0, 8.0, 4.0, 10.0, 6.0] * 3, [1.0, -1.0])
    >>> rmse, rrmse = error_estimates(ref, ref + 0.1, "eV/Å")
    >>> round(rmse.value, 12), round(rmse.stderr, 12), rmse.converged
    (0.1, 0.0, True)
    >>> few = error_estimates(ref[:10], ref[:10] + 0.1, "eV/Å")[0]  # 2 values need 30 frames
    >>> few.converged, few.notes[0].split(":")[0]
    (False, 'too few frames to measure correlation')
    >>> one_frame = error_estimates(np.array([1.0]), np.array([1.2]), "meV/atom")[1]
    >>> one_frame.converged, one_frame.notes[-1]
    (False, 'the reference does not vary: RRMSE undefined')
    """
    ref, mod, scale = _paired(reference, model)
    n_frames = ref.shape[0]
    # 1.0 passed 'in (0, 1, 2)' and failed in range() ("'float' object cannot be interpreted
    # as an integer"); numpy integers are whole numbers too
    if not isinstance(component_axes, (int, np.integer)) or isinstance(component_axes, bool) \
            or component_axes not in (0, 1, 2) or ref.ndim < 1 + component_axes:
        raise ValueError(f"component_axes must be 0, 1 or 2 and leave the frame axis, not "
                         f"{component_axes!r} for values of shape {ref.shape}")
    component_axes = int(component_axes)
    sq = ((mod - ref) ** 2).reshape(n_frames, -1)
    if sq.shape[1] == 0:
        raise ValueError("no values to compare (an empty selection of atoms)")
    # the mean over frames (and atoms) of every component: a rotation of the frames rotates
    # the mean vector or tensor with them and leaves the spread unchanged
    mean_axes = tuple(range(ref.ndim - component_axes))
    spread = float(np.sum((ref - ref.mean(axis=mean_axes, keepdims=True)) ** 2))
    # the reference's spread per frame (about the mean over all frames): its correlation over
    # frames matters to the RRMSE as the errors' does to the RMSE
    spread_frame = ((ref - ref.mean(axis=mean_axes, keepdims=True)) ** 2).reshape(
        n_frames, -1).sum(axis=1)

    def spread_of(keep):
        kept = ref[keep]
        return float(np.sum((kept - kept.mean(axis=mean_axes, keepdims=True)) ** 2))

    # the RMSE is a mean of the per-frame squared errors; the RRMSE divides it by the
    # reference's spread, whose correlation over frames counts as well
    err_values = (mod - ref).reshape(n_frames, -1)
    ref_values = ref.reshape(n_frames, -1)
    pairs = (err_values, ref_values, *_frame_values(frame_values, n_frames))
    return _error_core(sq.sum(axis=1), sq.shape[1], spread, spread_frame, spread_of, pairs,
                       unit, scale, ref_max=float(np.max(np.abs(ref))))


def _error_core(sq_frame, m, spread, spread_frame, spread_of, pairs, unit, scale=1.0, *,
                ref_max):
    """RMSE and RRMSE Estimates from per-frame sums: ``sq_frame`` (n_frames,) the squared
    errors of each frame's ``m`` values, ``spread`` the reference's sum of squares about its
    mean (per component), ``spread_frame`` each frame's share of it, ``spread_of(keep)`` that
    of the frames kept, ``pairs`` the values behind them (arrays or :class:`_MomentValues`,
    :func:`frame_blocks`), ``ref_max`` the reference's largest magnitude (in the units of
    ``spread``'s square root: a spread at its rounding is no denominator). Shared by
    :func:`error_estimates` and :class:`PairStream`, which gets the same sums without keeping
    the frames' values."""
    sq_frame = np.asarray(sq_frame, dtype=np.float64)
    n_frames = sq_frame.size
    per_frame = sq_frame / m
    mse = float(per_frame.mean())
    rmse = math.sqrt(mse)
    total_sq = float(sq_frame.sum())
    rrmse = math.sqrt(total_sq / spread) if spread > 0 else math.nan
    n_values = n_frames * m

    def rrmse_of(keep):
        denom = spread_of(keep)
        return math.sqrt(float(sq_frame[keep].sum()) / denom) if denom > 0 else math.nan

    blocks, g = frame_blocks(per_frame, spread_frame, values=pairs)
    rr_blocks, rr_g = blocks, g
    notes, rr_notes = [], []
    if n_frames < 2:
        notes.append(f"too few frames: {n_frames} (an error over frames needs at least 2)")
        rr_notes = list(notes)
        err_mse = math.nan
        method = "no uncertainty available"
    else:
        # a model that agrees exactly in every frame has an exact error of 0: nothing to calibrate
        few = _few_blocks(n_frames, blocks, g) if mse > 0 else None
        # the frames' correlation is judged by the quantity's own errors and reference values
        # (pairs[:2]); other values of the frames (frame_values) may show a correlation, never
        # vouch for its absence
        own = pairs[:2]
        rr_few = _few_blocks(n_frames, rr_blocks, rr_g, own) if mse > 0 else None
        notes += [few] if few else []
        rr_notes += [rr_few] if rr_few else []
        repeated = _repeated_frames_note(n_frames, sq_frame, spread_frame) if mse > 0 else None
        if mse == 0:
            # exact agreement in every frame: the error is exactly 0 however correlated the
            # frames are (forces of 61 frames correlated into one block gave a NaN error)
            err_mse, method = 0.0, f"exact: the model equals the reference in all {n_frames} frames"
        elif repeated:
            # their correlation (over thousands of frames) or the count of values says nothing
            # here: the frames are one
            notes, rr_notes = [repeated], [repeated]
            err_mse, method = math.nan, "no uncertainty available"
        elif len(blocks) < 2:
            err_mse, method = math.nan, "no uncertainty available"
        else:
            err_mse = mean_error([per_frame[b].mean() for b in blocks])[1]
            method = _method(n_frames, blocks, g)
        if mse > 0 and not few and not repeated and n_values < MIN_SQUARED_ERRORS:
            notes.append(f"too few values: {n_values} squared errors ({n_frames} frames of "
                         f"{m}) for the error of an RMSE (needs {MIN_SQUARED_ERRORS}: "
                         "the mean of few squared errors is skewed)")
        if mse > 0 and not notes and g == 1.0:
            unresolved = _unresolved_note(n_frames, own)
            notes += [unresolved] if unresolved else []
    # an RMSE of exactly zero: every per-frame error is zero, and so is its spread
    err_rmse = err_mse / (2 * rmse) if rmse > 0 else err_mse
    rmse_est = Estimate(rmse * scale, err_rmse * scale, unit, method, n_frames, converged=not notes,
                        notes=tuple(notes), dof=_dof(blocks, err_rmse))
    # <= 0: a spread from running sums can round to a hair below zero
    if spread <= 0:
        rr_notes.append("the reference does not vary: RRMSE undefined")
    rounding = _rounding_spread_note(spread, n_values, ref_max, "the RRMSE")
    rr_notes += [rounding] if rounding else []
    if n_frames < 2 or spread <= 0:
        err_rr = math.nan
    elif mse == 0:
        err_rr = 0.0  # a perfect model: every leave-one-out RRMSE is 0 as well
    elif len(rr_blocks) < 2 or not math.isfinite(err_mse):
        err_rr = math.nan
    else:
        # never below the error of the numerator alone: with 3 frames the three leave-one-out
        # ratios can agree by chance where the frames' errors do not
        numerator = rrmse * err_mse / (2 * mse) if math.isfinite(err_mse) else 0.0
        err_rr = max(jackknife_error(rrmse_of, n_frames, rr_blocks), numerator)
        if not math.isfinite(err_rr):
            # two frames whose reference is the same in one of them alone
            rr_notes.append("undefined without one of the frames (a reference that does not "
                            "vary in the others)")
    rr_method = (_jackknife_method(n_frames, rr_blocks, rr_g) if n_frames >= 2 and mse > 0
                 else method)
    rrmse_est = Estimate(rrmse, err_rr, "1", rr_method, n_frames, dof=_dof(rr_blocks, err_rr),
                         converged=not rr_notes,
                         notes=tuple(rr_notes))
    return rmse_est, rrmse_est


def _frame_values(frame_values, n_frames):
    """``frame_values`` of :func:`error_estimates` as finite ``(n_frames, m)`` arrays."""
    out = []
    for k, v in enumerate(frame_values):
        if isinstance(v, _MomentValues):
            # values kept as running sums (:class:`PairStream`)
            if v.n != n_frames:
                raise ValueError(f"frame_values[{k}] holds {v.n} frames, not {n_frames}")
            out.append(v)
            continue
        v = real_array(v, f"frame_values[{k}]")
        if v.ndim == 0 or v.shape[0] != n_frames or v.size == 0:
            raise ValueError(f"frame_values[{k}] of shape {v.shape} must hold values of the "
                             f"{n_frames} frames, frames first")
        if not np.all(np.isfinite(v)):
            raise ValueError(f"frame_values[{k}] contains NaN or infinity")
        out.append(v.reshape(n_frames, -1))
    return out


#: Frames below which no correlation between consecutive frames is looked for.
_MIN_FRAMES_FOR_G = 4
#: Frames from which the lag-1 correlation is corrected for the bias of the mean over frames.
_MIN_FRAMES_FOR_BIAS = 10
#: Standard errors by which a lag-1 correlation must exceed zero for consecutive frames to be
#: taken as correlated (null: ``N(0, 1/(m (n − 1)))`` for ``m`` values over ``n`` frames): at 2
#: one series of independent frames in 40 was called correlated, and its error not valid; at 4
#: none of 300 replicas of 5-30 frames, while the thousands of force components of correlated
#: frames exceed it many times over.
_LAG1_Z = 4.0
#: Frames per block in units of the statistical inefficiency: neighbouring blocks of one ``g``
#: are still correlated (z-score standard deviation 1.28-1.46 where two ``g`` gave 1.08-1.28).
_BLOCK_FACTOR = 2.0
#: Statistical inefficiency below which the frames are taken as independent (blocks of one).
_G_INDEPENDENT = 1.5
#: Independent frames (frames divided by the statistical inefficiency) that an error over
#: frames found correlated needs to be valid (see the module text for the measurements).
MIN_CORRELATED_FRAMES = 20


def _lag1(values):
    d = values - values.mean()
    var = float(np.dot(d, d))
    return float(np.dot(d[:-1], d[1:])) / var if var > 0 else 0.0


def _squares_inefficiency(values):
    """Statistical inefficiency of per-frame sums of squares of ``values`` ``(n, m)`` from the
    lag-1 correlation ``ρ`` of the values themselves over consecutive frames (each value about
    its mean over frames): ``(1 + ρ²)/(1 − ρ²)``, that of the squares of a Gaussian AR(1)
    series; 1 where ``ρ`` is not above :data:`_LAG1_Z` standard errors."""
    d = values - values.mean(axis=0)
    return _inefficiency_of_lag(values.shape[0], values[0].size, float(np.sum(d * d)),
                                float(np.sum(d[:-1] * d[1:])), float(np.sum(values * values)))


def _inefficiency_of_lag(n, m, var, lag, size=None):
    """:func:`_squares_inefficiency` from the sums of ``m`` values over ``n`` frames about
    their means: ``var`` of their squares, ``lag`` of the products of consecutive frames,
    ``size`` the sum of the squares of the values themselves (:func:`_lag1_of_sums`)."""
    rho = _lag1_of_sums(n, m, var, lag, size)
    if rho <= 0:
        return 1.0
    rho2 = min(rho * rho, 0.999)
    return (1 + rho2) / (1 - rho2)


def _lag1_of_sums(n, m, var, lag, size=None):
    """The lag-1 correlation over frames of ``m`` values over ``n`` frames, from the sums
    about their means (``var`` of their squares, ``lag`` of the products of consecutive
    frames), corrected for the bias of the mean over few frames; 0 where it does not stand
    :data:`_LAG1_Z` standard errors clear of independence, or where the values vary over the
    frames by no more than the rounding of stored labels (``var`` within
    :data:`MIN_RELATIVE_SPREAD` squared of ``size``, the sum of the squares of the values
    themselves): the correlation of rounding is no correlation of the frames. Errors off by
    a constant 0.25 eV in every value of 80 independent frames read as frames correlated over
    600 frames, their RMSE (exactly 0.25 eV) refused as "correlated frames"."""
    if var == 0 or (size is not None and var <= MIN_RELATIVE_SPREAD**2 * size):
        return 0.0
    rho = lag / var
    if n < _MIN_FRAMES_FOR_BIAS:
        # the mean over 4-9 frames pulls the estimate far below ρ (0.9 over 5 frames reads
        # 0.17, which the first-order correction below leaves a correlation of 0.3): it is
        # judged against its exact expectation, and ρ read back from it
        if rho - _expected_lag1(0.0, n) <= _LAG1_Z / math.sqrt(m * (n - 1)):
            return 0.0
        return _lag1_of_expected(rho, n)
    if rho <= _LAG1_Z / math.sqrt(m * (n - 1)):
        return 0.0  # no correlation distinguishable from the scatter of the estimate
    # the mean over few frames pulls the estimate down by (1 + 3ρ)/n (Kendall 1954), which
    # left a correlation of 0.5 over 20 frames unseen; over fewer frames the first-order
    # correction is no longer one (4 independent frames became g = 3.3)
    return max(0.0, (n * rho + 1.0) / (n - 3.0))


def _proxy_inefficiency(values):
    """Statistical inefficiency of the mean of a quantity over frames whose correlation is
    that of ``values`` ``(n, m)`` over consecutive frames (:func:`frame_blocks`'s
    ``proxies``): ``(1 + ρ)/(1 − ρ)`` of their lag-1 correlation ``ρ``
    (:func:`_lag1_of_sums`), that of the mean of an AR(1) series; 1 where ``ρ`` is not
    resolved."""
    values = np.asarray(values, dtype=np.float64)
    n = values.shape[0]
    d = values.reshape(n, -1) - values.reshape(n, -1).mean(axis=0)
    rho = min(_lag1_of_sums(n, d[0].size, float(np.sum(d * d)),
                            float(np.sum(d[:-1] * d[1:])), float(np.sum(values * values))),
              0.999)
    return (1 + rho) / (1 - rho)


def _expected_lag1(rho, n):
    """Expectation, over many independent components, of the lag-1 correlation estimated about
    the mean of ``n`` frames of an AR(1) series of correlation ``rho``: ``tr(U P C P)/tr(P C P)``
    (``C`` the series' correlation matrix, ``P`` the centring over frames, ``U`` the lag-1
    shift); ``-1/n`` for independent frames."""
    lags = np.abs(np.subtract.outer(np.arange(n), np.arange(n)))
    centring = np.eye(n) - 1.0 / n
    cov = centring @ rho**lags @ centring
    return float(np.trace(cov, offset=1) / np.trace(cov))


def _lag1_of_expected(estimate, n):
    """The ``ρ`` in [0, 0.999] whose :func:`_expected_lag1` over ``n`` frames is ``estimate``
    (bisection: the expectation rises with ``ρ``)."""
    lo, hi = 0.0, 0.999
    if estimate >= _expected_lag1(hi, n):
        return hi
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if _expected_lag1(mid, n) < estimate else (lo, mid)
    return 0.5 * (lo + hi)


#: Lag-1 correlation of the values over frames that makes the squared errors' statistical
#: inefficiency 2 (error bars sqrt(2) too narrow, were the frames taken as independent): over
#: fewer than 10 frames an error is valid only where its values could show a correlation this
#: large (:func:`_unresolved_note`).
_RESOLVED_LAG1 = math.sqrt(1.0 / 3.0)


def _unresolved_note(n_frames, values):
    """The note of an error over frames whose own values cannot tell frames correlated with
    their neighbours from independent ones, or None.

    The lag-1 correlation of ``m`` values per frame, estimated about their mean over ``n``
    frames, lies at ``-1/n`` for independent frames and at :func:`_expected_lag1` of
    :data:`_RESOLVED_LAG1` for frames correlated enough to make the error bars sqrt(2) too
    narrow; with a scatter of ``1/sqrt(m (n − 1))`` the two must lie :data:`_LAG1_Z`
    standard errors apart (thousands of force components do over 5 frames; one energy per
    frame only from 54 frames on, the six components of a stress from 14). ``values`` are the
    quantity's own errors and reference values: the forces of the same frames do not vouch
    for their energies (a liquid's forces decorrelate within tens of femtoseconds, its
    energy far more slowly): 20 frames whose energies were AR(1)-correlated (φ = 0.9) and
    whose forces were independent had energy RMSEs called valid in every replica, z-scores of
    standard deviation 4.3, one-sigma coverage 0.20. Repeated columns (the symmetric
    off-diagonal pairs of a stress tensor) count once.
    """
    if not 2 <= n_frames < _MAX_FRAMES_TO_RESOLVE:
        return None
    m = max(_distinct_values(v) for v in values)
    separation = _expected_lag1(_RESOLVED_LAG1, n_frames) - _expected_lag1(0.0, n_frames)
    if separation >= _LAG1_Z / math.sqrt(m * (n_frames - 1)):
        return None
    needed = next(n for n in range(n_frames + 1, _MAX_FRAMES_TO_RESOLVE + 1)
                  if _expected_lag1(_RESOLVED_LAG1, n) - _expected_lag1(0.0, n)
                  >= _LAG1_Z / math.sqrt(m * (n - 1)))
    return (f"too few frames to measure correlation: {n_frames} frames of {m} value(s) cannot "
            "tell frames correlated with their neighbours from independent ones (it takes "
            f"{needed} frames of {m}); analyse more frames")


#: Frames from which one value per frame resolves a correlation of :data:`_RESOLVED_LAG1`
#: (4/sqrt(199) = 0.28 against a separation of 0.57): no count of frames at or above it is
#: judged by :func:`_unresolved_note`.
_MAX_FRAMES_TO_RESOLVE = 200


def _distinct_values(values):
    """How many of the values per frame of ``values`` (an ``(n_frames, m)`` array or
    :class:`_MomentValues`) differ as series over the frames: a value repeated in another
    column (a symmetric tensor's off-diagonal pair) measures no correlation twice."""
    if isinstance(values, _MomentValues):
        return values.size
    values = np.asarray(values, dtype=np.float64)
    values = values.reshape(values.shape[0], -1)
    return int(np.unique(values, axis=1).shape[1])


def frame_blocks(*series, values=(), proxies=()):
    """Blocks of consecutive frames independent of each other, and the statistical inefficiency.

    Parameters
    ----------
    *series : array_like, shape (n_frames,)
        Per-frame values in frame order whose correlation over frames matters to an error (the
        mean squared error of each frame, the reference's spread in it).
    values : sequence of array_like, shape (n_frames, m)
        The values behind them (errors, reference values), each of the ``m`` followed over
        the frames: consecutive frames of a trajectory show it in the correlation of every
        force component, which thousands of components measure where the few per-frame
        sums cannot.
    proxies : sequence of array_like, shape (n_frames, m)
        Per-frame values whose correlation over frames stands for that of the ``series``
        themselves, a mean over frames (not a sum of squares): e.g. the orientations of a
        volume scan's molecules for its energies, thousands of values where one energy per
        frame and scale cannot measure the correlation of 20 frames. Each gives
        ``(1 + ρ)/(1 − ρ)`` of its lag-1 correlation ``ρ`` (resolved and corrected as for
        ``values``).

    Returns
    -------
    blocks : list of numpy.ndarray
        Indices of consecutive frames, ``round(2 g)`` frames per block (one frame per block
        where ``g < 1.5``).
    g : float
        The statistical inefficiency: the largest of ``(1 + ρ²)/(1 − ρ²)`` of ``values``
        (lag-1 correlation ``ρ`` corrected for the bias of the mean over few frames, where it
        exceeds 4 standard errors), ``(1 + ρ)/(1 − ρ)`` of ``proxies`` and, for a series
        whose lag-1 autocorrelation ``r1`` exceeds ``4/sqrt(n − 1)``, pymbar's two estimates
        (:func:`mda_electrolyte.uncertainty.timeseries_mean`) and ``(1 + r1)/(1 − r1)``; 1
        below 1.5.
    """
    n = len(series[0]) if series else (values[0].n if isinstance(values[0], _MomentValues)
                                       else len(values[0]))
    g = 1.0
    if n >= _MIN_FRAMES_FOR_G:
        for v in values:
            g = max(g, v.inefficiency() if isinstance(v, _MomentValues) else
                    _squares_inefficiency(np.asarray(v, dtype=np.float64).reshape(n, -1)))
        for v in proxies:
            g = max(g, _proxy_inefficiency(v))
        for x in series:
            x = np.asarray(x, dtype=np.float64)
            # a series constant to rounding has no correlation to measure (its rounding has)
            if np.ptp(x) <= MIN_RELATIVE_SPREAD * float(np.max(np.abs(x), initial=0.0)):
                continue
            r1 = _lag1(x)
            if r1 <= _LAG1_Z / math.sqrt(n - 1):
                continue
            _, err, g_s = timeseries_mean(x)
            g = max(g, _larger_inefficiency(x, err, g_s)[1], (1 + r1) / (1 - r1))
    if g < _G_INDEPENDENT:
        # less than half a frame of correlation: the frames are the samples
        return [np.array([k]) for k in range(n)], 1.0
    size = max(1, int(round(_BLOCK_FACTOR * g)))
    return np.array_split(np.arange(n), max(1, n // size)), g


def _dof(blocks, error):
    """Degrees of freedom of an error over ``blocks`` (blocks − 1), ``None`` without one."""
    return len(blocks) - 1 if len(blocks) >= 2 and math.isfinite(error) else None


def _few_frames(n_frames):
    """The note of an error over ``n_frames`` frames with too few degrees of freedom, or None."""
    return few_dof_note(n_frames - 1, "frames", "the error over frames")


def _few_blocks(n_frames, blocks, g, values=None):
    """The note of an error over too few (independent) frames, or None; with ``values`` (as
    for :func:`frame_blocks`) also that of too few frames to measure their correlation
    (:func:`_unresolved_note`)."""
    if g == 1.0:
        few = _few_frames(n_frames)
        return few or (None if values is None else _unresolved_note(n_frames, values))
    return _correlated_note(n_frames, g)


def _correlated_note(n_frames, g):
    """The note of frames correlated over ``g`` consecutive frames, or None when they are
    enough independent ones."""
    if n_frames / g >= MIN_CORRELATED_FRAMES:
        return None
    return (f"correlated frames: {n_frames} frames correlated over {g:.2g} consecutive frames "
            f"are {n_frames / g:.1f} independent ones (an error over correlated frames needs "
            f"{MIN_CORRELATED_FRAMES}; analyse frames further apart or more of them)")


def _method(n_frames, blocks, g):
    if len(blocks) == n_frames:
        return _METHOD.format(n=n_frames)
    return (f"propagated from the t-scaled standard error of the mean squared error over "
            f"{len(blocks)} blocks of consecutive frames ({n_frames} frames, statistical "
            f"inefficiency {g:.2g})")


def _jackknife_method(n_frames, blocks, g):
    if len(blocks) == n_frames:
        return f"t-scaled jackknife over {n_frames} frames (leave one frame out)"
    return (f"t-scaled jackknife over {len(blocks)} blocks of consecutive frames (leave one block "
            f"out; {n_frames} frames, statistical inefficiency {g:.2g})")


def fit_estimates(reference, model, unit):
    """Force-softening fits of ``model`` against ``reference`` as Estimates.

    The slope through the origin ``Σ x y / Σ x²`` (Ju et al. 2025: 1 is ideal, below 1 the
    model is softened) and the ordinary least-squares slope, intercept and R² of
    :func:`scipy.stats.linregress`, each on all values; the error of each is the jackknife over
    frames (leave one frame out, ``t(n−1) sqrt((n−1)/n Σ (θ_k − θ̄)²)`` with the Student-t
    factor of :func:`mda_electrolyte.uncertainty.t_factor`), since the components of one frame
    are correlated and the frames are the independent samples (blocks of consecutive frames
    where they are correlated with each other, :func:`frame_blocks`).

    Parameters
    ----------
    reference, model : array_like, shape (n_frames, ...)
        The same quantity per frame (first axis), finite.
    unit : str
        Unit of the values (the intercept's unit), e.g. ``"eV/Å"``.

    Returns
    -------
    dict
        ``slope_origin``, ``slope``, ``r2`` (unit ``"1"``), ``intercept`` (``unit``):
        :class:`~ase_electrolyte.estimate.Estimate`, not valid for a single frame ("too few
        frames") or a reference that does not vary (value ``nan``, "undefined"); ``n``, the
        number of values fitted.

    Examples
    --------
    >>> import numpy as np
    >>> from mda_electrolyte.error_metrics import fit_estimates
    >>> ref = np.random.default_rng(0).normal(size=(5, 20, 3))
    >>> fits = fit_estimates(ref, 0.8 * ref + 0.01 * ref**2, "eV/Å")
    >>> print(fits["slope_origin"])
    0.7995 ± 0.0017 (valid)
    >>> fit_estimates(ref[:1], ref[:1], "eV/Å")["slope"].verdict
    'too few frames: 1 (an error over frames needs at least 2)'
    """
    ref, mod, scale = _paired(reference, model)
    n_frames = ref.shape[0]
    x_frames, y_frames = ref.reshape(n_frames, -1), mod.reshape(n_frames, -1)
    sums = _fit_sums(x_frames, y_frames, float(x_frames[0].mean()), float(y_frames[0].mean()))
    return _fit_core(sums, (y_frames - x_frames, x_frames), unit, scale)


#: Per-frame sums behind :func:`fit_estimates`: products and squares of reference ``x`` and
#: model ``y`` as they are (the slope through the origin) and about the shifts ``cx``, ``cy``
#: (the least-squares line, free of the cancellation of raw sums), the count, the extremes
#: and the squared errors.
_FIT_COLUMNS = ("xy", "xx", "yy", "sx", "sy", "sxx", "syy", "sxy", "n", "xmin", "xmax", "ymin",
                "ymax", "sq")


def _fit_sums(x, y, cx, cy):
    """The :data:`_FIT_COLUMNS` of ``(n_frames, m)`` values ``x``, ``y`` per frame (and the
    shifts), as one dict of arrays."""
    dx, dy = x - cx, y - cy
    out = {"xy": np.sum(x * y, axis=1), "xx": np.sum(x * x, axis=1), "yy": np.sum(y * y, axis=1),
           "sx": dx.sum(axis=1), "sy": dy.sum(axis=1), "sxx": np.sum(dx * dx, axis=1),
           "syy": np.sum(dy * dy, axis=1), "sxy": np.sum(dx * dy, axis=1),
           "n": np.full(x.shape[0], float(x.shape[1])), "xmin": x.min(axis=1),
           "xmax": x.max(axis=1), "ymin": y.min(axis=1), "ymax": y.max(axis=1),
           "sq": np.sum((y - x) ** 2, axis=1)}
    out["cx"], out["cy"] = cx, cy
    return out


def _ols(f, keep):
    """Slope, intercept and r² of ordinary least squares over the frames ``keep`` of the sums
    ``f`` (:func:`_fit_sums`): :func:`scipy.stats.linregress`'s formulas (its ``r`` NaN for a
    constant model, clipped to ±1), which needs every value at once where a streamed analysis
    has only these sums."""
    n = float(f["n"][keep].sum())
    if n < 3 or f["xmax"][keep].max() == f["xmin"][keep].min():
        return (math.nan,) * 3
    sx, sy = float(f["sx"][keep].sum()), float(f["sy"][keep].sum())
    ssxm = float(f["sxx"][keep].sum()) - sx * sx / n
    ssxym = float(f["sxy"][keep].sum()) - sx * sy / n
    # a constant model is exactly that, not the rounding of its shifted sums
    constant = f["ymax"][keep].max() == f["ymin"][keep].min()
    ssym = 0.0 if constant else float(f["syy"][keep].sum()) - sy * sy / n
    if ssxm == 0.0 or ssym == 0.0:
        r = math.nan if (constant or ssxym == 0) else 0.0
    else:
        r = min(1.0, max(-1.0, ssxym / math.sqrt(ssxm * ssym)))
    slope = ssxym / ssxm
    intercept = (sy / n + f["cy"]) - slope * (sx / n + f["cx"])
    return slope, intercept, r * r


def _fit_core(f, values, unit, scale=1.0):
    """:func:`fit_estimates` from the per-frame sums ``f`` (:func:`_fit_sums`) and the values
    behind them (``(y − x, x)`` as arrays or :class:`_MomentValues`, :func:`frame_blocks`);
    shared with :class:`PairStream`."""
    n_frames = f["xy"].size
    n_values = int(f["n"].sum())

    def origin(keep):
        denom = float(f["xx"][keep].sum())
        return float(f["xy"][keep].sum()) / denom if denom > 0 else math.nan

    fits = {}

    def ols(keep):
        # slope, intercept and r² come from one regression per frame subset (the jackknife
        # asks for each of the three separately)
        key = keep.tobytes()
        if key not in fits:
            fits[key] = _ols(f, keep)
        return fits[key]

    everything = np.ones(n_frames, dtype=bool)
    values_now = {"slope_origin": origin(everything)}
    values_now.update(zip(("slope", "intercept", "r2"), ols(everything), strict=True))
    statistics = {
        "slope_origin": origin,
        "slope": lambda keep: ols(keep)[0],
        "intercept": lambda keep: ols(keep)[1],
        "r2": lambda keep: ols(keep)[2],
    }
    units = {"slope_origin": "1", "slope": "1", "intercept": unit, "r2": "1"}
    scales = {"slope_origin": 1.0, "slope": 1.0, "intercept": scale, "r2": 1.0}
    # consecutive frames correlated with each other are left out together: the per-frame
    # products behind the slope and the misfit of each frame, in frame order
    blocks, g = frame_blocks(f["xy"], f["xx"], f["sq"] / f["n"], values=values)
    ref_varies = f["xmax"].max() != f["xmin"].min()
    # the least-squares line divides by the reference's spread about its mean (sums about
    # the shift cx, free of cancellation); the slope through the origin by its magnitude
    sx_all = float(f["sx"].sum())
    rounding = _rounding_spread_note(
        float(f["sxx"].sum()) - sx_all * sx_all / n_values if n_values else 0.0, n_values,
        float(max(abs(f["xmax"].max()), abs(f["xmin"].min()))), "the least-squares line")
    repeated = _repeated_frames_note(n_frames, f["xy"], f["xx"], f["yy"], f["sx"], f["sy"])
    out = {}
    for name, value in values_now.items():
        notes = [rounding] if rounding and name != "slope_origin" else []
        if not math.isfinite(value):
            if name != "slope_origin" and n_values < 3:
                notes.append(f"{n_values} value(s): a line fit needs at least 3")
            elif not ref_varies:
                notes.append("the reference does not vary: fit undefined")
            else:
                # linregress's r = 0/0 for a constant model
                notes.append("the model does not vary: R² undefined")
        if n_frames < 2:
            notes.append(f"too few frames: {n_frames} (an error over frames needs at least 2)")
            err, method = math.nan, "no uncertainty available"
        elif repeated:
            # every leave-one-out fit is the same for a frame given several times
            notes.append(repeated)
            err, method = math.nan, "no uncertainty available"
        elif len(blocks) < 2:
            notes.append(_correlated_note(n_frames, g))
            err, method = math.nan, "no uncertainty available"
        else:
            err = (jackknife_error(statistics[name], n_frames, blocks) if math.isfinite(value)
                   else math.nan)
            method = _jackknife_method(n_frames, blocks, g)
            # an exact fit (every leave-one-out value the same to rounding) has no scatter to
            # calibrate
            few = (_few_blocks(n_frames, blocks, g, values)
                   if not err <= 1e-9 * max(abs(value), 1.0) else None)
            notes += [few] if few else []
            if math.isfinite(value) and not math.isfinite(err):
                notes.append("undefined without one of the frames (a reference that does not "
                             "vary in the others)")
        out[name] = Estimate(value * scales[name], err * scales[name], units[name], method,
                             n_frames, converged=not notes, notes=tuple(notes),
                             dof=_dof(blocks, err))
    out["n"] = n_values
    return out


class _ValueMoments:
    """Running sums of ``m`` values followed over consecutive frames, about the first frame's
    values: their sums ``S``, sums of squares ``Q`` and products of consecutive frames ``L``
    per value, the first and last frame. They give :func:`_squares_inefficiency` of any subset
    of the values (:meth:`centred`) without keeping the frames (Chan et al. 1979 for the merge
    of parts computed apart, in frame order)."""

    def __init__(self):
        self.n = 0

    def add(self, v):
        v = np.array(v, dtype=np.float64).ravel()
        if self.n == 0:
            self.first, self.last = v, v
            self.S, self.Q, self.L = np.zeros_like(v), np.zeros_like(v), np.zeros_like(v)
        else:
            w, w_prev = v - self.first, self.last - self.first
            self.S += w
            self.Q += w * w
            self.L += w_prev * w
            self.last = v
        self.n += 1

    def merge(self, other):
        """Append ``other``, the frames that follow these."""
        if other.n == 0:
            return
        if self.n == 0:
            self.__dict__.update(other.__dict__)
            return
        d = other.first - self.first
        w_last = self.last - self.first
        w_last_other = other.last - other.first
        self.L += (other.L + d * (2 * other.S - w_last_other) + (other.n - 1) * d * d
                   + w_last * d)
        self.Q += other.Q + 2 * d * other.S + other.n * d * d
        self.S += other.S + other.n * d
        self.last = other.last
        self.n += other.n

    def size(self, index=None):
        """The sum over the frames of the squares of the values (of ``index`` of them)."""
        pick = slice(None) if index is None else index
        first, S, Q = self.first[pick], self.S[pick], self.Q[pick]
        return float(np.sum(self.n * first * first + 2 * first * S + Q))

    def centred(self, index=None):
        """The values' sums of squares and of consecutive products about their means over
        the frames (over ``index`` of them, default all)."""
        pick = slice(None) if index is None else index
        S, Q, L = self.S[pick], self.Q[pick], self.L[pick]
        w_last = (self.last - self.first)[pick]
        mean = S / self.n
        var = float(np.sum(Q - S * mean))
        lag = float(np.sum(L - mean * (2 * S - w_last) + (self.n - 1) * mean * mean))
        return var, lag


class _MomentValues:
    """Values of :func:`frame_blocks` (``values=``) given by their :class:`_ValueMoments`."""

    def __init__(self, moments, index=None):
        self.moments, self.index = moments, index
        self.n = moments.n
        self.size = moments.S.size if index is None else int(np.size(index))

    def inefficiency(self):
        var, lag = self.moments.centred(self.index)
        return _inefficiency_of_lag(self.n, self.size, var, lag, self.moments.size(self.index))


class PairStream:
    """Reference and model values of one quantity, frame by frame, kept as the sums that
    :func:`error_estimates` and :func:`fit_estimates` need, so that memory does not grow with
    the frames' values (a trajectory of 10⁴ atoms over 10³ frames held 10 GB of forces).

    Each frame gives ``(n_items, p)`` values (atoms × 3 force components; molecules × 1).
    Per frame and per group of items the squared errors, the reference's sums per component
    and the fit sums (sums of the model and reference values, of their squares and products,
    their extremes and the squared errors) are kept (a few floats); per value the running sums,
    sums of squares and products of consecutive frames of the errors and the reference (fixed
    in size, merged by the pairwise update of Chan et al. 1979). The estimates are
    those of the array functions on the stacked frames (to rounding, ~1e-12).

    Parameters
    ----------
    groups : dict
        ``{name: index array of items}``.
    p : int
        Components per item (3: a force vector, the RRMSE's mean taken per component; 1).
    moments : bool
        Keep the per-value moments (the correlation of consecutive frames); without them
        only :meth:`summary` is meaningful.
    """

    def __init__(self, groups, p, moments=True):
        self.groups = {k: np.asarray(v) for k, v in groups.items()}
        self.p = int(p)
        self.frames, self.rows = [], []
        self.err = _ValueMoments() if moments else None
        self.ref = _ValueMoments() if moments else None
        self.shift = None

    def add(self, frame, reference, model):
        ref = np.asarray(reference, dtype=np.float64).reshape(-1, self.p)
        mod = np.asarray(model, dtype=np.float64).reshape(-1, self.p)
        if not (np.all(np.isfinite(ref)) and np.all(np.isfinite(mod))):
            raise ValueError("the reference or the model values contain NaN or infinity")
        if self.shift is None:
            # about the first frame's means of each group: sums of values far from zero
            # (energies per atom) lose their spread to the cancellation of raw sums, and a
            # group of zeros (a lone ion's intramolecular force) stays exactly zero
            self.shift = [(ref[i].mean(axis=0) if i.size else np.zeros(self.p),
                           float(ref[i].mean()) if i.size else 0.0,
                           float(mod[i].mean()) if i.size else 0.0)
                          for i in self.groups.values()]
        rows = []
        for index, (c, cx, cy) in zip(self.groups.values(), self.shift, strict=True):
            x, y = ref[index], mod[index]
            d = x - c
            if index.size:
                f = _fit_sums(x.reshape(1, -1), y.reshape(1, -1), cx, cy)
                fit = [f[k][0] for k in _FIT_COLUMNS]
            else:
                # an empty group (no atoms of molecules of several atoms in a melt of ions)
                fit = [0.0 if k not in ("xmin", "ymin", "xmax", "ymax") else
                       (math.inf if k.endswith("min") else -math.inf) for k in _FIT_COLUMNS]
            rows.append(np.concatenate([d.sum(axis=0), np.sum(d * d, axis=0), fit]))
        self.frames.append(int(frame))
        self.rows.append(np.array(rows))
        if self.err is not None:
            self.err.add(mod - ref)
            self.ref.add(ref)

    def merge(self, other):
        """Append the frames of ``other`` (the part of the frames that follows)."""
        if other.shift is None:
            return
        if self.shift is None:
            self.__dict__.update(other.__dict__)
            return
        p = self.p
        dc = np.array([o[0] - m[0] for m, o in zip(self.shift, other.shift, strict=True)])
        dx = np.array([o[1] - m[1] for m, o in zip(self.shift, other.shift, strict=True)])
        dy = np.array([o[2] - m[2] for m, o in zip(self.shift, other.shift, strict=True)])
        col = {k: 2 * p + i for i, k in enumerate(_FIT_COLUMNS)}
        for rows in other.rows:
            rows = rows.copy()
            n = rows[:, col["n"]]
            items = n / p
            sx, sy = rows[:, col["sx"]].copy(), rows[:, col["sy"]].copy()
            # the sums about other's shifts, taken about these
            rows[:, p:2 * p] += 2 * dc * rows[:, :p] + items[:, None] * dc * dc
            rows[:, :p] += items[:, None] * dc
            rows[:, col["sxx"]] += 2 * dx * sx + n * dx * dx
            rows[:, col["syy"]] += 2 * dy * sy + n * dy * dy
            rows[:, col["sxy"]] += dx * sy + dy * sx + n * dx * dy
            rows[:, col["sx"]] += n * dx
            rows[:, col["sy"]] += n * dy
            self.rows.append(rows)
        self.frames += other.frames
        if self.err is not None:
            self.err.merge(other.err)
            self.ref.merge(other.ref)

    def _group(self, name):
        order = np.argsort(self.frames, kind="stable")
        g = list(self.groups).index(name)
        rows = np.array(self.rows)[order][:, g]
        p = self.p
        f = {k: rows[:, 2 * p + i] for i, k in enumerate(_FIT_COLUMNS)}
        f["cx"], f["cy"] = self.shift[g][1], self.shift[g][2]
        return rows[:, :p], rows[:, p:2 * p], f

    def _values(self, name):
        items = self.groups[name]
        index = (items[:, None] * self.p + np.arange(self.p)).ravel()
        return (_MomentValues(self.err, index), _MomentValues(self.ref, index))

    def values(self, name):
        """The errors and reference of group ``name`` for :func:`error_estimates`'s
        ``frame_values``."""
        return self._values(name)

    def estimates(self, name, unit, frame_values=()):
        """:func:`error_estimates` of group ``name`` (``component_axes`` 1 for ``p`` > 1)."""
        sx, sxx, f = self._group(name)
        items = f["n"] / self.p
        if f["n"].sum() == 0:
            raise ValueError("no values to compare (an empty selection of atoms)")

        def spread_of(keep):
            n = float(items[keep].sum())
            s = sx[keep].sum(axis=0)
            squares = sxx[keep].sum(axis=0)
            # a reference that does not vary is exactly that, not the rounding of its sums
            return float(np.sum(np.where(squares - s * s / n > 1e-12 * squares,
                                         squares - s * s / n, 0.0)))

        everything = np.ones(len(items), dtype=bool)
        mean = sx.sum(axis=0) / items.sum()
        spread_frame = np.sum(sxx - 2 * mean * sx + items[:, None] * mean * mean, axis=1)
        m = int(f["n"][0])
        return _error_core(f["sq"], m, spread_of(everything), spread_frame, spread_of,
                           (*self._values(name), *frame_values), unit,
                           ref_max=float(max(abs(f["xmax"].max()), abs(f["xmin"].min()))))

    def fits(self, name, unit):
        """:func:`fit_estimates` of group ``name``."""
        return _fit_core(self._group(name)[2], self._values(name), unit)

    def summary(self, name):
        """``{n, ref_sq, mod_sq, cross, ref_var, mod_var, ref_ptp, mod_ptp}`` over every value
        of group ``name`` and frame: sums of squares and products, variances about the mean,
        whether either varies (:func:`~mda_electrolyte.intra_inter_errors.unit_doubt`)."""
        f = self._group(name)[2]
        n = float(f["n"].sum())
        if n == 0:
            return {"n": 0}
        sx, sy = f["sx"].sum(), f["sy"].sum()
        return {"n": n, "ref_sq": float(f["xx"].sum()),
                "mod_sq": float(f["yy"].sum()),
                "cross": float(f["xy"].sum()),
                "ref_var": float(f["sxx"].sum() / n - (sx / n) ** 2),
                "mod_var": float(f["syy"].sum() / n - (sy / n) ** 2),
                "cov": float(f["sxy"].sum() / n - sx * sy / n / n),
                "ref_ptp": float(f["xmax"].max() - f["xmin"].min()),
                "mod_ptp": float(f["ymax"].max() - f["ymin"].min()),
                "ref_max": float(max(abs(f["xmax"].max()), abs(f["xmin"].min())))}
