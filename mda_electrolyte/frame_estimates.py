r"""An :class:`~ase_electrolyte.estimate.Estimate` of an average over frames and ions.

The structure analyses report averages over the analysed frames of per-frame values that are
themselves averages over the ions of a frame (the SSIP fraction, a mean coordination number).
Their uncertainty is the t-scaled standard error of the means of contiguous blocks of frames
(:func:`mda_electrolyte.uncertainty.mean_error`): consecutive frames are correlated, blocks of
many frames much less so. The verdict refuses what cannot be trusted whatever its error bar:

- fewer than :data:`MIN_FRAMES` frames: no block error ("too few frames");
- fewer than :data:`MIN_IONS` ions: a fraction of one or two ions is not a property of the
  electrolyte ("too few ions");
- a value that never changes over the frames: no fluctuation was sampled (a shell that never
  exchanged), so there is no error to estimate ("no fluctuation");
- fewer than :data:`~mda_electrolyte.uncertainty.MIN_INDEPENDENT_SAMPLES` independent frames
  (frames divided by the statistical inefficiency of the series): blocks shorter than the
  correlation time are not independent, and their error comes out too small ("too short"). The
  error is then the larger of the block error and the statistical-inefficiency error
  (:func:`mda_electrolyte.uncertainty.timeseries_mean`).
- a value that repeats itself with a period of at most half the frames (a shell toggling
  every frame, the same frames read twice): its autocorrelation never decays, and the error
  came out of how the period fell on the blocks (``0, 1, 0, 1, ...`` gave 0.5 ± 0, valid)
  ("periodic", error unknown);
- a discrete value (one that occurs more than once, as the fractions of a few ions do) that
  changed fewer than 19 times (fewer than 20 stretches of equal values): a shell that exchanged
  once or twice has ``g = 1`` and looks independent (four ions of which one left the shell for
  one frame of 60 were called valid, 0.004 ± 0.004 for a true fraction of 0.3), so its error
  means nothing ("too few changes"). A continuous value changes in every frame; a short one is
  "too short" by the count above.

Which error: blocks of 10 or more estimated independent frames each (100 independent frames
in 10 blocks) give the block error; a valid mean of fewer (50-100) the statistical-inefficiency
error, widened as below; a mean that is not valid the larger of the two. The larger of the two,
widened, was taken before for every valid mean: it over-covered, one-sigma coverage 0.73-0.84
and 95 % t-interval coverage 0.96-0.99 over 300 replicas per case of i.i.d. series (60-500
frames) and AR(1) series (τ = 5-20 frames, 1000-5000 frames); now 0.68-0.74 and 0.93-0.97
where the blocks are used (``tests/test_unc24_frame_average.py``), and near the count (50-100
independent frames) those of the widening for the series selected by their low ``g`` (below).

The count of independent frames uses the larger of pymbar's two estimates of the statistical
inefficiency, and the statistical-inefficiency error of a mean whose count passed is widened by
:math:`\sqrt{1 + (35/n)^2}` (1.22 at the threshold, 1.16 at 60, 1.06 at 100): a series passes
the count when its ``g`` came out low. The widening was :math:`\sqrt{1 + (50/n)^2}` (that of
the mean of an MD series, :func:`mda_electrolyte.uncertainty.equilibrated_series_mean`; 1.30 at
60): i.i.d. and AR(1) means of 60 independent frames covered 0.81-0.87 at one sigma and
0.98-0.99 at 95 % (fixed-cutoff coordination numbers: an error of 0.144 for a spread of 0.101);
with 35, 0.73-0.77 and 0.98-0.99 (without widening 0.66 and 0.95 for i.i.d. series, but the
two-state shells below selected near the count under-cover). Over 150 replicas per case of the
two-state shells below, the valid means of 50 true independent frames cover 0.68 on average
(0.53-0.72 per case; 0.73 with 50) and of 100, 0.72 (0.66-0.79; 0.76 with 50); AR(1) series of
40 true independent frames called valid (12 %) cover 0.60 with either (400 replicas).

The widening is ``mda_electrolyte.uncertainty._small_sample_widening``, the one of every
mean selected by its count of independent samples. Those are the series the count selects by a
low ``g``, and what is uncertain in ``g`` is its correlated part ``g - 1``: a correlated
series (weight ``min(1, 2 (g - 1))``, all of it from ``g`` = 1.5) is widened by
:math:`\sqrt{1 + (58/n)^7}` instead (1.96 at 50, 1.34 at 60, 1.05 at 80). Over 12000 seeded
AR(1) replicas per true count (``φ`` = 0.5-0.95), the valid means of
30 true independent frames (2 % valid) covered 0.51 at one sigma and 0.85 at 95 %, of 40
(14 %) 0.63 and 0.93; now 0.68 and 0.95, 0.77 and 0.96; of 50-80, 0.70-0.75 and 0.96-0.97
before, 0.76-0.79 and 0.97 now; i.i.d. means of 60 frames (``g`` near 1) are unchanged
(0.77, 0.98), and the Markov shells below of 50 true independent frames cover 0.72-0.82
(0.65-0.79 before) (``tests/test_unc26_frame_average_selected.py``). At 100,
200 and 1000 independent frames the block error covers 0.67-0.74 and 0.94-0.97 at 95 %
(``tests/test_unc25_frame_average_near_count.py``).

Over 200 replicas per case of ions switching shell state as a two-state Markov process (4, 16
and 64 ions, stationary fraction 0.1 and 0.5, correlation times 1-10 frames, 50-5000 frames),
before this 1-10 % of series of 25 true independent frames were
called valid at one-sigma coverage 0.0-0.67 (z-score standard deviation up to 1.9, mean down to
-2.5); now 0-1 %. Series of 50 true independent frames are valid in 33-43 % of replicas,
coverage 0.70-0.86 and z-score standard deviation 0.68-1.10; of 100, 91-98 % (0.75-0.84); of
250, all (0.69-0.79) (with the widening of 50). Below the count the error is not widened:
unselected, it is calibrated (z-score standard deviation 0.85-1.2 over all replicas of 60 frames).

The error is that of the ion-averaged series, blocked over time, never over ions: ions that
switch together (16 ions in one state) get an error 4 times that of 16 independent ones, with
the same coverage (0.72-0.77). What the frames cannot show is not in the error: ions whose
occupation follows a common driver slower than the run (a rate that changes every ~200 frames,
over 500 frames) give a mean of the driver's current state; the replicas in which it never
switched (6 % of them) were called valid 10-37 error bars from the long-run mean. A driver that
switched during the run makes the series "too short".
"""

from __future__ import annotations

import math

import numpy as np

from ase_electrolyte.atoms_checks import check_number
from ase_electrolyte.estimate import METHODS, Estimate
from mda_electrolyte.uncertainty import (
    MIN_INDEPENDENT_SAMPLES,
    _centered_series,
    _few_runs_note,
    _larger_inefficiency,
    _small_sample_widening,
    index_text,
    mean_error,
    outlier_note,
    periodic_note,
    real_array,
    timeseries_mean,
)

__all__ = ["frame_average", "MIN_FRAMES", "MIN_IONS"]

#: Fewest frames for a block error (one frame per block at the least).
MIN_FRAMES = 5
#: Fewest ions behind a shell statistic.
MIN_IONS = 4


#: Estimated independent frames per block from which the block error is the error (see the
#: module text).
_BLOCK_INDEPENDENT = 10

def _n_blocks(n_frames):
    return 10 if n_frames >= 50 else 5


def _block_means(series, n_blocks):
    """Means of ``n_blocks`` blocks of equal length ``N / n_blocks`` frames.

    A frame cut by a block boundary counts in both blocks by the fraction on each side, so
    every block weighs the same and the frames read backwards give the same blocks in reverse
    (``np.array_split`` gave the first blocks the extra frames: the error bar changed when the
    frames were reversed).
    """
    cumulative = np.concatenate(([0.0], np.cumsum(series)))
    edges = np.linspace(0.0, series.size, n_blocks + 1)
    integrals = np.interp(edges, np.arange(series.size + 1), cumulative)
    return np.diff(integrals) / (series.size / n_blocks)


def frame_average(series, n_ions, unit="1", what="value"):
    r"""Mean of a per-frame series with its block error and verdict.

    Parameters
    ----------
    series : array_like, shape (n_frames,)
        One value per analysed frame, in frame order.
    n_ions : int
        Ions averaged over in each frame (for the verdict).
    unit : str
        Unit of the values (:mod:`ase_electrolyte.units`).
    what : str
        Name of the quantity, for the notes.

    Raises
    ------
    ValueError
        No frames, a NaN or infinite value, a series that is not 1-D, or ``n_ions`` that is not
        a whole number >= 0.

    Returns
    -------
    Estimate
        ``value`` the mean over all frames; ``stderr`` the t-scaled standard error over
        contiguous blocks (5 blocks, 10 from 50 frames on; ``dof`` blocks − 1) when the
        blocks hold 10 estimated independent frames each, else the statistical-inefficiency
        error (``dof`` independent frames − 1; widened by :math:`\sqrt{1 + (35/n)^2}` when
        valid, by :math:`\sqrt{1 + (58/n)^7}` for a correlated series; below 50
        independent frames the larger of the two), so that
        :meth:`~ase_electrolyte.estimate.Estimate.interval` takes t quantiles; not
        converged, with the reason, for too few frames, ions or
        independent frames, a value that never changed, or one that repeats itself
        periodically (error NaN).

    Notes
    -----
    Measured coverage (fraction of replicas whose t-interval holds the true mean, one sigma
    and 95 %; nominal 0.68 and 0.95) over 2000 seeded replicas per row of the SSIP-like
    fraction of 27 ions (true value 0.7): independent frames (binomial), and correlated ones
    (each ion a two-state Markov chain of lag-1 correlation :math:`e^{-1}`, ``g`` = 2.16, so
    N/2.16 truly independent frames). "valid" is the share of replicas called valid:

    ======  ===========================  ===========================
    frames  independent: valid (1σ/95%)  correlated: valid (1σ/95%)
    ======  ===========================  ===========================
    40      0 % (not valid 0.77/0.98)    0 % (not valid 0.72/0.95)
    60      63 % 0.77/0.98               7 % 0.58/0.90
    100     92 % 0.74/0.95               29 % 0.76/0.95
    200     99 % 0.72/0.96               90 % 0.72/0.95
    ======  ===========================  ===========================

    Not-valid means cover 0.73-0.82 (60 frames), 0.75-0.93 (100). Three changes were measured
    and not taken, none bringing both kinds closer to nominal: a floor on ``g`` from the
    bias-corrected lag-1 autocorrelation, :math:`(1 + r_1)/(1 - r_1)` (a lower bound of ``g``
    for a monotone decay), cut the correlated series called valid at 60 frames from 7 % to
    1 % and at 100 from 29 % to 20 %, but left the independent ones at 0.77/0.98 (60) and
    widened the correlated valid ones at 100 to 0.82/0.97; the same count with the error of
    pymbar's full ``g`` left coverage within 0.02 of the table; the not-valid error from the
    statistical inefficiency alone (not the larger of two) took correlated series of 40
    frames to 0.69/0.92 (1000 replicas). The width of the independent series' valid means
    near the count is the price of the correlated series that pass it: both have an
    estimated ``g`` of at most 1.2 at 60 frames and cannot be told apart by their frames.

    Examples
    --------
    >>> import numpy as np
    >>> from mda_electrolyte.frame_estimates import frame_average
    >>> rng = np.random.default_rng(0)
    >>> print(frame_average(0.5 + 0.1 * rng.normal(size=200), n_ions=20))  # 0.1/sqrt(200) = 0.0071
    0.5015 ± 0.0069 (valid)
    >>> step = frame_average(np.r_[np.zeros(5), np.ones(5)], n_ions=20)
    >>> step.notes[0]
    'too short: 2.5 independent frames (need 50)'
    >>> step.notes[1]
    'too few changes: the value changed 1 time (a calibrated error needs at least 19)'
    >>> frame_average(np.full(100, 4.0), n_ions=20).verdict.split(",")[0]
    'no fluctuation: the value is 4 in all 100 frames (no exchange sampled)'
    >>> frame_average(np.full(3, 0.5), n_ions=20).verdict
    'too few frames: 3 (a block error needs at least 5)'
    """
    n_ions = check_number(f"{what}: n_ions", n_ions, integer=True, minimum=0)
    series = real_array(series, f"{what}: the per-frame values")
    # one value per frame: a (frames, ions) table ravelled would be blocked across ions
    if sum(d > 1 for d in series.shape) > 1:
        raise ValueError(f"{what}: expected one value per frame (1-D), got an array of shape "
                         f"{series.shape}")
    series = series.ravel()
    if series.size == 0:
        raise ValueError(f"{what}: no frames analysed")
    if not np.all(np.isfinite(series)):
        bad = ~np.isfinite(series)
        raise ValueError(f"{what}: the per-frame values contain NaN or infinity, in frame(s) "
                         f"at {index_text(bad)} of the series; drop those frames first")
    # deviations from a middle frame in powers of two (uncertainty._centered): the sum of
    # values near 1e308 overflowed to inf, and the blocks' means to NaN ("the estimates to
    # average are NaN or infinite" of finite data); the mean of 1e16 + noise was rounded
    scaled, ref, scale = _centered_series(series)
    value = float(ref + scaled.mean() * scale)
    notes = []
    if n_ions < MIN_IONS:
        notes.append(f"too few ions: {n_ions} (a shell statistic needs at least {MIN_IONS})")
    if series.size < MIN_FRAMES:
        notes.append(f"too few frames: {series.size} (a block error needs at least "
                     f"{MIN_FRAMES})")
        return Estimate(value, math.nan, unit, METHODS["none"], series.size, converged=False,
                        notes=tuple(notes))
    if np.ptp(series) == 0:
        notes.append(f"no fluctuation: the value is {value:g} in all {series.size} frames (no "
                     "exchange sampled), so its error is unknown")
        return Estimate(value, math.nan, unit, METHODS["none"], series.size, converged=False,
                        notes=tuple(notes))
    periodic = periodic_note(series, "frame")
    if periodic:
        # the autocorrelation of a periodic series never decays: neither its blocks nor its
        # statistical inefficiency measure an uncertainty (0, 1, 0, 1, ... gave 0.5 ± 0, valid)
        notes.append(periodic)
        return Estimate(value, math.nan, unit, METHODS["none"], series.size, converged=False,
                        notes=tuple(notes))
    n_blocks = _n_blocks(series.size)
    # the block means from the deviations from the mean: cumulative sums of 1e12 + noise of
    # 1e-3 kept none of the noise (error 0, valid; 2.4e-5 from the deviations)
    blocks = _block_means(scaled - scaled.mean(), n_blocks)
    _, err, _ = mean_error(blocks)
    err *= scale
    # blocks shorter than the correlation time are not independent: their error is too small.
    # The larger of pymbar's two g: a series that passes the count below is one whose g came
    # out low (see the module text)
    _, err_g, g = timeseries_mean(series)
    err_g, g = _larger_inefficiency(series, err_g, g)
    n_independent = series.size / g
    # a series that changed value a few times (one ion in and out of a shell once) is a few
    # events, whatever its autocorrelation says: [1, 2, 2, ..., 2] has g = 1
    if n_independent < MIN_INDEPENDENT_SAMPLES:
        notes.append(f"too short: {n_independent:.1f} independent frames (need "
                     f"{MIN_INDEPENDENT_SAMPLES})")
    runs_note = _few_runs_note(series)
    if runs_note:
        notes.append(runs_note)
    outlier = outlier_note(series, "frame")
    if outlier:
        notes.append(outlier)
    method = METHODS["blocks"].format(n=n_blocks)
    # the t quantiles the error was scaled with: blocks - 1, or the independent frames - 1
    dof = float(n_blocks - 1)
    if n_independent < MIN_INDEPENDENT_SAMPLES:
        # not a result: the larger of the two errors, unwidened, is calibrated over all
        # replicas (not selected by the count; tests/test_solvation.py)
        if err_g > err:
            err, method, dof = err_g, METHODS["inefficiency"], max(n_independent - 1.0, 1.0)
    elif n_independent < _BLOCK_INDEPENDENT * n_blocks:
        # blocks of fewer than 10 estimated independent frames are correlated with their
        # neighbours (their error too small); the statistical-inefficiency error instead,
        # widened as the mean of an MD series is (mda_electrolyte.uncertainty): the series
        # that pass the count are those whose g came out low. The larger of the two widened
        # (as before) over-covered: one-sigma 0.73-0.84 on i.i.d. and AR(1) series; the
        # widening of 50 still did at 60 frames (0.81-0.87), where 35 leaves the Markov
        # shells near the count calibrated on average (see the module text)
        err = err_g * _small_sample_widening(n_independent, g)
        method = METHODS["inefficiency"]
        dof = max(n_independent - 1.0, 1.0)
    return Estimate(value, err, unit, method, int(n_independent),
                    converged=not notes, notes=tuple(notes), dof=dof)
