r"""Errors of a model against a reference as Estimates: RMSE, RRMSE and force-softening fits.

For values ``x`` (reference) and ``y`` (model) over ``K`` frames,

    RMSE = sqrt(⟨(y − x)²⟩),      RRMSE = sqrt(Σ (y − x)² / Σ (x − x̄)²),

the relative error of Magdău et al. (2023): 0 is perfect, 1 is no better than predicting the
mean. For vectors and tensors (forces, stress) ``x̄`` is the mean vector or tensor, so that a
rotation of the frames changes neither number. The uncertainty treats the frames as the
independent samples: the mean squared error
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
energy) the RRMSE is undefined and marked not valid, never NaN with a warning.
"""

from __future__ import annotations

import math

import numpy as np

from ase_electrolyte.estimate import Estimate
from mda_electrolyte.uncertainty import few_dof_note, mean_error, real_array, t_factor

__all__ = ["error_estimates", "fit_estimates", "MIN_SQUARED_ERRORS"]

#: Squared errors (frames × values per frame) an RMSE's error needs to be valid (see the module
#: text for the measurements behind 20).
MIN_SQUARED_ERRORS = 20

_METHOD = ("propagated from the t-scaled standard error of the per-frame mean squared error "
           "over {n} frames")


def _paired(reference, model):
    """Reference and model values as float64 arrays of one shape, frames first, all finite,
    divided by their largest magnitude, and that scale."""
    ref = real_array(reference, "the reference values")
    mod = real_array(model, "the model values")
    if ref.shape != mod.shape or ref.ndim == 0 or ref.shape[0] == 0:
        raise ValueError(f"reference {ref.shape} and model {mod.shape} must have the same "
                         "shape with frames first")
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


def error_estimates(reference, model, unit, component_axes=0):
    """RMSE and RRMSE of ``model`` against ``reference`` with their errors and verdicts.

    Parameters
    ----------
    reference, model : array_like, shape (n_frames, ...)
        The same quantity per frame (first axis), finite.
    unit : str
        Unit of the values (and of the RMSE), e.g. ``"eV/Å"``, ``"meV/atom"``, ``"eV/Å^3"``.
    component_axes : int
        How many trailing axes hold the Cartesian components of a vector (1: forces,
        ``(n_frames, n_atoms, 3)``) or tensor (2: stress as ``(n_frames, 3, 3)``). The mean of
        the reference in the RRMSE is then taken per component (the mean force vector, the mean
        stress tensor), so that the RRMSE, like the RMSE, does not change when the frames are
        rotated; 0 (default): one mean of all values (scalars such as energies).

    Returns
    -------
    rmse, rrmse : Estimate
        ``rrmse`` dimensionless (unit ``"1"``).

    Examples
    --------
    >>> import numpy as np
    >>> from mda_electrolyte.error_metrics import error_estimates
    >>> ref = np.outer(np.arange(1.0, 11.0), [1.0, -1.0])  # 10 frames of 2 values
    >>> rmse, rrmse = error_estimates(ref, ref + 0.1, "eV/Å")
    >>> round(rmse.value, 12), round(rmse.stderr, 12), rmse.converged
    (0.1, 0.0, True)
    >>> one_frame = error_estimates(np.array([1.0]), np.array([1.2]), "meV/atom")[1]
    >>> one_frame.converged, one_frame.notes[-1]
    (False, 'the reference does not vary: RRMSE undefined')
    """
    ref, mod, scale = _paired(reference, model)
    n_frames = ref.shape[0]
    if component_axes not in (0, 1, 2) or isinstance(component_axes, bool) \
            or ref.ndim < 1 + component_axes:
        raise ValueError(f"component_axes must be 0, 1 or 2 and leave the frame axis, not "
                         f"{component_axes!r} for values of shape {ref.shape}")
    sq = ((mod - ref) ** 2).reshape(n_frames, -1)
    if sq.shape[1] == 0:
        raise ValueError("no values to compare (an empty selection of atoms)")
    per_frame = sq.mean(axis=1)
    mse = float(per_frame.mean())
    rmse = math.sqrt(mse)
    # the mean over frames (and atoms) of every component: a rotation of the frames rotates
    # the mean vector or tensor with them and leaves the spread unchanged
    mean_axes = tuple(range(ref.ndim - component_axes))
    spread = float(np.sum((ref - ref.mean(axis=mean_axes, keepdims=True)) ** 2))
    rrmse = math.sqrt(float(sq.sum()) / spread) if spread > 0 else math.nan
    sq_frame = sq.sum(axis=1)

    def rrmse_of(keep):
        kept = ref[keep]
        denom = float(np.sum((kept - kept.mean(axis=mean_axes, keepdims=True)) ** 2))
        return math.sqrt(float(sq_frame[keep].sum()) / denom) if denom > 0 else math.nan

    notes = []
    if n_frames < 2:
        notes.append(f"too few frames: {n_frames} (an error over frames needs at least 2)")
        err_mse = math.nan
        method = "no uncertainty available"
    else:
        err_mse = mean_error(per_frame)[1]
        method = _METHOD.format(n=n_frames)
        # a model that agrees exactly in every frame has an exact error of 0: nothing to calibrate
        few = _few_frames(n_frames) if mse > 0 else None
        notes += [few] if few else []
        if mse > 0 and not few and sq.size < MIN_SQUARED_ERRORS:
            notes.append(f"too few values: {sq.size} squared errors ({n_frames} frames of "
                         f"{sq.shape[1]}) for the error of an RMSE (needs {MIN_SQUARED_ERRORS}: "
                         "the mean of few squared errors is skewed)")
    # an RMSE of exactly zero: every per-frame error is zero, and so is its spread
    err_rmse = err_mse / (2 * rmse) if rmse > 0 else err_mse
    rmse_est = Estimate(rmse * scale, err_rmse * scale, unit, method, n_frames, converged=not notes,
                        notes=tuple(notes))
    rr_notes = [n for n in notes if not n.startswith("too few values")]
    if spread == 0:
        rr_notes.append("the reference does not vary: RRMSE undefined")
    if n_frames < 2 or spread == 0:
        err_rr = math.nan
    elif mse == 0:
        err_rr = 0.0  # a perfect model: every leave-one-out RRMSE is 0 as well
    else:
        # never below the error of the numerator alone: with 3 frames the three leave-one-out
        # ratios can agree by chance where the frames' errors do not
        err_rr = max(_jackknife(rrmse_of, n_frames), rrmse * err_mse / (2 * mse))
        if not math.isfinite(err_rr):
            # two frames whose reference is the same in one of them alone
            rr_notes.append("undefined without one of the frames (a reference that does not "
                            "vary in the others)")
    rr_method = (f"t-scaled jackknife over {n_frames} frames (leave one frame out)"
                 if n_frames >= 2 else method)
    rrmse_est = Estimate(rrmse, err_rr, "1", rr_method, n_frames, converged=not rr_notes,
                         notes=tuple(rr_notes))
    return rmse_est, rrmse_est


def _few_frames(n_frames):
    """The note of an error over ``n_frames`` frames with too few degrees of freedom, or None."""
    return few_dof_note(n_frames - 1, "frames", "the error over frames")


def _jackknife(statistic, n_frames):
    """Jackknife error over frames, t-scaled: ``t(n−1) sqrt((n−1)/n Σ (θ_k − θ̄)²)``.

    The jackknife variance has ``n − 1`` degrees of freedom, like a standard error over ``n``
    samples; without the t factor the z-scores of a slope over 3 frames had a standard deviation
    of 2.2 (1.2 with it is the spread of Student's t).
    """
    loo = np.array([statistic(np.arange(n_frames) != k) for k in range(n_frames)])
    if not np.all(np.isfinite(loo)):
        return math.nan
    return float(np.sqrt((n_frames - 1) / n_frames * np.sum((loo - loo.mean()) ** 2))
                 * t_factor(n_frames - 1))


def fit_estimates(reference, model, unit):
    """Force-softening fits of ``model`` against ``reference`` as Estimates.

    The slope through the origin ``Σ x y / Σ x²`` (Ju et al. 2025: 1 is ideal, below 1 the
    model is softened) and the ordinary least-squares slope, intercept and R² of
    :func:`scipy.stats.linregress`, each on all values; the error of each is the jackknife over
    frames (leave one frame out, ``t(n−1) sqrt((n−1)/n Σ (θ_k − θ̄)²)`` with the Student-t
    factor of :func:`mda_electrolyte.uncertainty.t_factor`), since the components of one frame
    are correlated and the frames are the independent samples.

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
    >>> ref = np.random.default_rng(0).normal(size=(5, 10, 3))
    >>> fits = fit_estimates(ref, 0.8 * ref + 0.01 * ref**2, "eV/Å")
    >>> print(fits["slope_origin"])
    0.8000 ± 0.0032 (valid)
    >>> fit_estimates(ref[:1], ref[:1], "eV/Å")["slope"].verdict
    'too few frames: 1 (an error over frames needs at least 2)'
    """
    from scipy.stats import linregress

    ref, mod, scale = _paired(reference, model)
    n_frames = ref.shape[0]
    x_frames, y_frames = ref.reshape(n_frames, -1), mod.reshape(n_frames, -1)

    def origin(keep):
        x, y = x_frames[keep].ravel(), y_frames[keep].ravel()
        denom = float(np.dot(x, x))
        return float(np.dot(x, y) / denom) if denom > 0 else math.nan

    fits = {}

    def ols(keep):
        # slope, intercept and r² come from one regression per frame subset (the jackknife
        # asks for each of the three separately)
        key = keep.tobytes()
        if key not in fits:
            x, y = x_frames[keep].ravel(), y_frames[keep].ravel()
            if x.size < 3 or np.ptp(x) == 0:
                fits[key] = (math.nan,) * 3
            else:
                fit = linregress(x, y)
                fits[key] = (float(fit.slope), float(fit.intercept), float(fit.rvalue**2))
        return fits[key]

    everything = np.ones(n_frames, dtype=bool)
    values = {"slope_origin": origin(everything)}
    values.update(zip(("slope", "intercept", "r2"), ols(everything), strict=True))
    statistics = {
        "slope_origin": origin,
        "slope": lambda keep: ols(keep)[0],
        "intercept": lambda keep: ols(keep)[1],
        "r2": lambda keep: ols(keep)[2],
    }
    units = {"slope_origin": "1", "slope": "1", "intercept": unit, "r2": "1"}
    scales = {"slope_origin": 1.0, "slope": 1.0, "intercept": scale, "r2": 1.0}
    out = {}
    for name, value in values.items():
        notes = []
        if not math.isfinite(value):
            if name != "slope_origin" and x_frames.size < 3:
                notes.append(f"{x_frames.size} value(s): a line fit needs at least 3")
            elif np.ptp(ref) == 0:
                notes.append("the reference does not vary: fit undefined")
            else:
                # linregress's r = 0/0 for a constant model
                notes.append("the model does not vary: R² undefined")
        if n_frames < 2:
            notes.append(f"too few frames: {n_frames} (an error over frames needs at least 2)")
            err, method = math.nan, "no uncertainty available"
        else:
            err = _jackknife(statistics[name], n_frames) if math.isfinite(value) else math.nan
            method = f"t-scaled jackknife over {n_frames} frames (leave one frame out)"
            # an exact fit (every leave-one-out value the same to rounding) has no scatter to
            # calibrate
            few = (_few_frames(n_frames)
                   if not err <= 1e-9 * max(abs(value), 1.0) else None)
            notes += [few] if few else []
            if math.isfinite(value) and not math.isfinite(err):
                notes.append("undefined without one of the frames (a reference that does not "
                             "vary in the others)")
        out[name] = Estimate(value * scales[name], err * scales[name], units[name], method,
                             n_frames, converged=not notes, notes=tuple(notes))
    out["n"] = int(x_frames.size)
    return out
