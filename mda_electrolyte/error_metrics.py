r"""Errors of a model against a reference as Estimates: RMSE, RRMSE and force-softening fits.

For values ``x`` (reference) and ``y`` (model) over ``K`` frames,

    RMSE = sqrt(⟨(y − x)²⟩),      RRMSE = sqrt(Σ (y − x)² / Σ (x − x̄)²),

the relative error of Magdău et al. (2023): 0 is perfect, 1 is no better than predicting the
mean. The uncertainty treats the frames as the independent samples: the mean squared error
``m_k`` of every frame gives ``MSE = mean_k m_k`` with a t-scaled standard error over frames
(:func:`mda_electrolyte.uncertainty.mean_error`), propagated to first order,
``δRMSE = δMSE / (2 RMSE)`` and ``δRRMSE = RRMSE · δMSE / (2 MSE)`` (the spread of the reference
taken as exact). Verdicts: one frame gives no error over frames ("too few frames"); where the
reference does not vary (one frame's energy) the RRMSE is undefined and marked not valid, never
NaN with a warning.
"""

from __future__ import annotations

import math

import numpy as np

from ase_electrolyte.estimate import Estimate
from mda_electrolyte.uncertainty import mean_error

__all__ = ["error_estimates", "ols_fit"]

_METHOD = ("propagated from the t-scaled standard error of the per-frame mean squared error "
           "over {n} frames")


def error_estimates(reference, model, unit):
    """RMSE and RRMSE of ``model`` against ``reference`` with their errors and verdicts.

    Parameters
    ----------
    reference, model : array_like, shape (n_frames, ...)
        The same quantity per frame (first axis), finite.
    unit : str
        Unit of the values (and of the RMSE), e.g. ``"eV/Å"``, ``"meV/atom"``, ``"eV/Å^3"``.

    Returns
    -------
    rmse, rrmse : Estimate
        ``rrmse`` dimensionless (unit ``"1"``).

    Examples
    --------
    >>> import numpy as np
    >>> from mda_electrolyte.error_metrics import error_estimates
    >>> ref = np.array([[1.0, -1.0], [2.0, -2.0], [0.5, -0.5]])
    >>> rmse, rrmse = error_estimates(ref, ref + 0.1, "eV/Å")
    >>> round(rmse.value, 12), round(rmse.stderr, 12), rmse.converged
    (0.1, 0.0, True)
    >>> one_frame = error_estimates(np.array([1.0]), np.array([1.2]), "meV/atom")[1]
    >>> one_frame.converged, one_frame.notes[-1]
    (False, 'the reference does not vary: RRMSE undefined')
    """
    ref = np.asarray(reference, dtype=np.float64)
    mod = np.asarray(model, dtype=np.float64)
    if ref.shape != mod.shape or ref.ndim == 0 or ref.shape[0] == 0:
        raise ValueError(f"reference {ref.shape} and model {mod.shape} must have the same "
                         "shape with frames first")
    if not (np.all(np.isfinite(ref)) and np.all(np.isfinite(mod))):
        raise ValueError("the reference or the model values contain NaN or infinity")
    n_frames = ref.shape[0]
    sq = ((mod - ref) ** 2).reshape(n_frames, -1)
    if sq.shape[1] == 0:
        raise ValueError("no values to compare (an empty selection of atoms)")
    per_frame = sq.mean(axis=1)
    mse = float(per_frame.mean())
    rmse = math.sqrt(mse)
    spread = float(np.sum((ref - ref.mean()) ** 2))
    rrmse = math.sqrt(float(sq.sum()) / spread) if spread > 0 else math.nan
    notes = []
    if n_frames < 2:
        notes.append(f"too few frames: {n_frames} (an error over frames needs at least 2)")
        err_mse = math.nan
        method = "no uncertainty available"
    else:
        err_mse = mean_error(per_frame)[1]
        method = _METHOD.format(n=n_frames)
    # an RMSE of exactly zero: every per-frame error is zero, and so is its spread
    err_rmse = err_mse / (2 * rmse) if rmse > 0 else err_mse
    rmse_est = Estimate(rmse, err_rmse, unit, method, n_frames, converged=not notes,
                        notes=tuple(notes))
    rr_notes = list(notes)
    if spread == 0:
        rr_notes.append("the reference does not vary: RRMSE undefined")
    err_rr = rrmse * err_mse / (2 * mse) if mse > 0 else err_mse
    rrmse_est = Estimate(rrmse, err_rr, "1", method, n_frames, converged=not rr_notes,
                         notes=tuple(rr_notes))
    return rmse_est, rrmse_est


def ols_fit(x, y):
    """Slope and intercept of ``y`` against ``x`` with standard errors and R².

    Ordinary least squares (:func:`scipy.stats.linregress`); ``nan`` entries for fewer than three
    points or a reference that does not vary.

    Returns
    -------
    dict
        ``slope``, ``intercept``, ``slope_stderr``, ``intercept_stderr``, ``r2``, ``n``.
    """
    from scipy.stats import linregress

    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    nan = float("nan")
    if x.size < 3 or np.ptp(x) == 0:
        return {"slope": nan, "intercept": nan, "slope_stderr": nan, "intercept_stderr": nan,
                "r2": nan, "n": int(x.size)}
    fit = linregress(x, y)
    return {"slope": float(fit.slope), "intercept": float(fit.intercept),
            "slope_stderr": float(fit.stderr), "intercept_stderr": float(fit.intercept_stderr),
            "r2": float(fit.rvalue**2), "n": int(x.size)}
