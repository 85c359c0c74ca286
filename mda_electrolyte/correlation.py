"""Time-correlation functions and mean-squared displacements by FFT, and the Einstein fit.

The transport analyses (:mod:`mda_electrolyte.conductivity`, :mod:`mda_electrolyte.diffusion`)
do all their time-series arithmetic here, in O(T log T) for a series of T frames:

- :func:`time_correlation`: ``C(k) = 1/(T-k) Σ_t a(t)·b(t+k)``, averaged over all time origins;
- :func:`mean_squared_displacement`: ``MSD(k) = 1/(T-k) Σ_t |x(t+k) - x(t)|²`` by the
  FFT algorithm of Calandrini et al. (nMoldyn, *Collection SFN* 12, 201 (2011));
- :func:`fit_line`: least-squares line with its coefficient of determination R²;
- :func:`check_sampling`: whether the frame spacing resolves an autocorrelation (Green–Kubo
  sampling guard);
- :func:`plateau_verdict`: whether running integrals are flat within their error over a window;
- :func:`transport_estimate`: the mean over segments as an Estimate whose degrees of freedom
  travel with it (for its confidence intervals).

Series are arrays of shape ``(T, m)``: ``T`` equally spaced frames, ``m`` columns (e.g. the x, y, z
components of a current, or of every particle). Units are whatever the input has.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import scipy.fft

from ase_electrolyte.atoms_checks import check_flag, check_number
from ase_electrolyte.units import MIN_FRAME_SPACING_PS

from .uncertainty import mean_error, real_array, segment_estimate

__all__ = [
    "time_correlation",
    "mean_squared_displacement",
    "fit_line",
    "fit_window_slice",
    "check_fit_window",
    "check_window",
    "check_sampling",
    "plateau_verdict",
    "loglog_slope",
    "diffusive_slope",
    "is_diffusive",
    "slope_exponent",
    "straightness",
    "relative_error",
    "bend_bias",
    "DIFFUSIVE_TOLERANCE",
    "transport_estimate",
    "SegmentValues",
    "TrajectoryFrames",
]

#: Largest accepted deviation of the log-log slope d ln MSD / d ln t from 1 over a fit window
#: for a diffusive (Einstein) regime.
DIFFUSIVE_TOLERANCE = 0.2

# columns transformed at once: bounds the complex scratch array to ~64 MB for long series
_CHUNK_BYTES = 64 * 2**20
# a series of at least this many samples asked for at most 1/_BLOCKED_LAG_RATIO of its lags is
# correlated by blocks of time origins of at least _BLOCK_MIN samples (see time_correlation)
_BLOCKED_MIN_FRAMES = 2**16
_BLOCKED_LAG_RATIO = 8
_BLOCK_MIN = 2**14
# columns of a mean-squared displacement taken at once (their scratch is a few such copies)
_MSD_CHUNK_BYTES = 4 * 2**20


def counted(n, noun):
    """``n`` and ``noun``, plural unless ``n`` is 1 ("1 lag", "0 lags", "3 lags")."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _as_series(x, name):
    x = real_array(x, name)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise ValueError(f"{name} must have shape (n_frames, n_columns), not {x.shape}")
    if x.shape[0] < 2:
        raise ValueError(f"{name} needs at least 2 frames, got {x.shape[0]}")
    # min and max propagate NaN and show an infinity, without the 1 B per value of isfinite
    if x.size and not (np.isfinite(x.min()) and np.isfinite(x.max())):
        raise ValueError(f"{name} contains NaN or infinite values")
    return x


def _n_lags(n_lags, n_frames):
    if n_lags is None:
        return n_frames
    # int() would truncate 2.5, and accept True or "3"
    n_lags = check_number("n_lags", n_lags, integer=True)
    if not 1 <= n_lags <= n_frames:
        raise ValueError(
            f"n_lags must be between 1 and the number of frames {n_frames}, not {n_lags}"
        )
    return n_lags


def _chunks(n_columns, n_fft):
    step = max(1, _CHUNK_BYTES // (16 * (n_fft // 2 + 1)))
    return [slice(i, min(i + step, n_columns)) for i in range(0, n_columns, step)]


def time_correlation(a, b=None, n_lags=None, sum_columns=True):
    r"""Time-origin averaged correlation of two series, by FFT.

    .. math:: C(k) = \frac{1}{T-k} \sum_{t=0}^{T-k-1} a(t)\, b(t+k)

    A long series asked for few lags (``T >= 65536`` samples, ``n_lags <= T / 8``) is
    correlated block by block of time origins (overlap-add): each block of ``B = max(4 n_lags,
    16384)`` origins against the same samples extended by ``n_lags - 1``, by FFTs of ``>= B +
    n_lags - 1`` points whose products are summed. The scratch is then O(``n_lags``) per column
    instead of O(``T``), and the result equals the whole-series FFT to round-off.

    Parameters
    ----------
    a : array_like, shape (T,) or (T, m)
        First series (value at the time origin).
    b : array_like, shape like ``a``, optional
        Second series (value at the later time); ``a`` itself when omitted (autocorrelation).
    n_lags : int, optional
        Number of lags ``k = 0 .. n_lags-1`` returned (default: all ``T``).
    sum_columns : bool
        Sum the correlations of the ``m`` columns (a dot product for vectors) rather than return
        one per column.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_lags,)`` if ``sum_columns`` else ``(n_lags, m)``; units of ``a`` times ``b``.
    """
    check_flag("sum_columns", sum_columns)
    a = _as_series(a, "a")
    b = a if b is None else _as_series(b, "b")
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}")
    n_frames, n_cols = a.shape
    n_lags = _n_lags(n_lags, n_frames)
    counts = n_frames - np.arange(n_lags)
    # an overflow is reported below as one error, not as numpy warnings
    with np.errstate(over="ignore", invalid="ignore"):
        if (n_frames >= _BLOCKED_MIN_FRAMES
                and n_lags * _BLOCKED_LAG_RATIO <= n_frames):
            raw = _blocked_products(a, b, n_lags, sum_columns)
        else:
            raw = _whole_products(a, b, n_lags, sum_columns)
        out = raw / (counts if sum_columns else counts[:, None])
    if not np.all(np.isfinite(out)):
        # products of values near 1e154 overflow: the correlation is not a float64 number
        raise ValueError("the correlation overflows float64: rescale the series (are they in "
                         "the intended unit?)")
    return out


def _whole_products(a, b, n_lags, sum_columns):
    """``Σ_t a(t) b(t+k)`` for ``k < n_lags`` (summed over columns or per column) by one FFT of
    the whole series per column."""
    return _products(a, b, n_lags, sum_columns, block=a.shape[0])


def _blocked_products(a, b, n_lags, sum_columns):
    """As :func:`_whole_products`, by blocks of ``max(4 n_lags, 16384)`` time origins
    (overlap-add): the scratch is that of one block, not of the series."""
    return _products(a, b, n_lags, sum_columns, block=max(4 * n_lags, _BLOCK_MIN))


def _products(a, b, n_lags, sum_columns, block):
    """``Σ_t a(t) b(t+k)`` for ``k < n_lags``, origins taken ``block`` at a time.

    Origins ``t`` in ``[s, s+B)`` pair with ``b`` over ``[s, s+B+n_lags-1)`` (cut at ``T``, so
    pairs beyond the series end are absent as in the whole-series sum). With FFTs of ``N >=
    B + n_lags - 1`` points the circular correlation has no wrap-around at lags ``< n_lags``
    (a lag ``k`` would wrap onto ``t + k - N >= 0`` only for ``t >= B``); the spectra of all
    blocks are summed and transformed back once. One block of the whole series is the plain
    FFT correlation, whose autocorrelation needs one transform.
    """
    n_frames, n_cols = a.shape
    n_fft = scipy.fft.next_fast_len(block + n_lags - 1, real=True)
    if sum_columns:
        spectrum = np.zeros(n_fft // 2 + 1, dtype=np.complex128)
    else:
        out = np.empty((n_lags, n_cols))
    for cols in _chunks(n_cols, n_fft):
        part = None
        for start in range(0, n_frames, block):
            stop = min(start + block, n_frames)
            fa = scipy.fft.rfft(a[start:stop, cols], n=n_fft, axis=0)
            if b is a and stop - start == n_frames:
                fb = fa
            else:
                fb = scipy.fft.rfft(b[start : min(stop + n_lags - 1, n_frames), cols], n=n_fft,
                                    axis=0)
            prod = _conj_product(fa, fb)
            if sum_columns:
                spectrum += prod.sum(axis=1)
            elif part is None:
                part = prod
            else:
                part += prod
        if not sum_columns:
            out[:, cols] = scipy.fft.irfft(part, n=n_fft, axis=0)[:n_lags]
    if sum_columns:
        out = scipy.fft.irfft(spectrum, n=n_fft)[:n_lags]
    return out


def _conj_product(fa, fb):
    """``conj(fa) * fb`` in the memory of ``fa`` (one complex array less of scratch); for
    ``fb is fa`` the power spectrum ``re² + im²``, exactly the real part of that product."""
    if fb is fa:
        re, im = fa.real, fa.imag
        np.square(re, out=re)
        np.square(im, out=im)
        re += im
        im[...] = 0.0
        return fa
    np.conj(fa, out=fa)
    fa *= fb
    return fa


def mean_squared_displacement(x, n_lags=None, sum_columns=True):
    r"""Time-origin averaged mean-squared displacement, by FFT.

    .. math:: \mathrm{MSD}(k) = \frac{1}{T-k} \sum_{t=0}^{T-k-1} |x(t+k) - x(t)|^2
              = S_1(k) - 2\, C_{xx}(k)

    with :math:`S_1(k) = \frac{1}{T-k}\sum_{t=0}^{T-k-1} (x(t)^2 + x(t+k)^2)` from cumulative sums
    and :math:`C_{xx}` from :func:`time_correlation`. Columns are taken a chunk of ~4 MB at a
    time, so the scratch does not grow with the number of columns (before, four copies of the
    whole series: 1.3 GB for 10^4 frames of 1000 ions).

    Parameters
    ----------
    x : array_like, shape (T,) or (T, m)
        Unwrapped coordinates (e.g. x, y, z columns of one or many particles).
    n_lags : int, optional
        Number of lags returned (default: all ``T``).
    sum_columns : bool
        Sum over columns (``|Δr|²`` of a 3-vector) rather than return one MSD per column.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_lags,)`` or ``(n_lags, m)``; units of ``x`` squared.
    """
    check_flag("sum_columns", sum_columns)
    x = _as_series(x, "x")
    n_frames, n_cols = x.shape
    n_lags = _n_lags(n_lags, n_frames)
    out = np.zeros(n_lags) if sum_columns else np.empty((n_lags, n_cols))
    width = max(1, _MSD_CHUNK_BYTES // (8 * (n_frames + 1)))
    for start in range(0, n_cols, width):
        cols = slice(start, min(start + width, n_cols))
        msd = _column_msd(x[:, cols], n_lags)
        if sum_columns:
            out += msd.sum(axis=1)
        else:
            out[:, cols] = msd
    return out


def _column_msd(x, n_lags):
    """MSD of every column of ``x`` (T, m) at lags ``0 .. n_lags-1``."""
    n_frames = x.shape[0]
    # removing the mean changes no displacement and keeps the subtraction S1 - 2C well conditioned
    with np.errstate(over="ignore", invalid="ignore"):
        x = x - x.mean(axis=0)
        # head[t] = Σ_{s<t} x(s)², squared and summed in place (no copies of the series)
        head = np.empty((n_frames + 1, x.shape[1]))
        head[0] = 0.0
        np.square(x, out=head[1:])
        np.cumsum(head[1:], axis=0, out=head[1:])
    if not np.all(np.isfinite(head[-1])):
        # displacements near 1e154 have no float64 square: one error, not numpy warnings
        raise ValueError("the mean-squared displacement overflows float64: rescale x (is it "
                         "in the intended unit?)")
    k = np.arange(n_lags)
    counts = (n_frames - k)[:, None]
    # Σ_{t<T-k} x(t)² + Σ_{t>=k} x(t)²
    # (the same operations as (head[T-k] + (head[T] - head[k])) / counts - 2 C, in place)
    s1 = head[n_frames] - head[k]
    s1 += head[n_frames - k]
    s1 /= counts
    del head
    acf = time_correlation(x, n_lags=n_lags, sum_columns=False)
    acf *= 2.0
    msd = s1
    msd -= acf
    del acf
    # exact zero at k = 0 and no negative round-off
    msd[0] = 0.0
    np.maximum(msd, 0.0, out=msd)
    return msd


def particle_msd(positions, reference=None, n_lags=None, sum_particles=False):
    r"""Mean-squared displacement :math:`\langle|\Delta\mathbf r_i(\tau)|^2\rangle_t` of every
    particle, or their sum, a chunk of particles at a time.

    A chunk's positions (minus the reference) are copied, never the whole array: the scratch
    stays ~40 MB whatever the number of particles and frames, and the result equals
    :func:`mean_squared_displacement` of the whole array to round-off.

    Parameters
    ----------
    positions : numpy.ndarray, shape (T, n, 3)
        Unwrapped positions in Å.
    reference : numpy.ndarray, shape (T, 3), optional
        Subtracted from every particle every frame (e.g. the centre of mass, for drift).
    n_lags : int, optional
        Lags returned (default all ``T``).
    sum_particles : bool
        Return the sum over particles, shape ``(n_lags,)``, instead of ``(n_lags, n)``.

    Returns
    -------
    numpy.ndarray
        Å².
    """
    n_frames, n_particles = positions.shape[:2]
    n_lags = _n_lags(n_lags, n_frames)
    out = np.zeros(n_lags) if sum_particles else np.empty((n_lags, n_particles))
    width = max(1, _MSD_CHUNK_BYTES // (24 * (n_frames + 1)))
    for start in range(0, n_particles, width):
        chunk = slice(start, min(start + width, n_particles))
        x = positions[:, chunk]
        if reference is not None:
            x = x - reference[:, None, :]
        x = x.reshape(n_frames, -1)
        if sum_particles:
            out += mean_squared_displacement(x, n_lags=n_lags)
        else:
            k = chunk.stop - chunk.start
            out[:, chunk] = mean_squared_displacement(
                x, n_lags=n_lags, sum_columns=False).reshape(n_lags, k, 3).sum(axis=2)
    return out


def fit_line(x, y):
    """Least-squares line ``y = slope * x + intercept`` over the given points.

    Parameters
    ----------
    x, y : array_like, shape (n,) or y of shape (n, m)
        At least 3 points; ``y`` may hold ``m`` curves fitted at once.

    Returns
    -------
    slope, intercept, r2 : float or numpy.ndarray of shape (m,)
        ``r2`` is the coefficient of determination ``1 - SS_res / SS_tot``.
    """
    x = real_array(x, "fit_line x")
    y = real_array(y, "fit_line y")
    if x.ndim != 1 or x.size < 3 or y.ndim == 0 or y.shape[0] != x.size:
        raise ValueError(
            f"fit_line needs at least 3 points with matching x and y, got {x.shape}, {y.shape}"
        )
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError("fit_line: the points contain NaN or infinite values")
    with np.errstate(over="ignore", invalid="ignore"):
        xc = x - x.mean()
        yc = y - y.mean(axis=0)
        sxx = xc @ xc
        if sxx == 0:
            raise ValueError("fit_line needs at least two distinct x values")
        slope = (xc @ yc) / sxx
        intercept = y.mean(axis=0) - slope * x.mean()
        resid = y - (np.multiply.outer(x, slope) + intercept)
        ss_tot = (yc * yc).sum(axis=0)
        ss_res = (resid * resid).sum(axis=0)
        # a constant y is fitted exactly by the flat line
        r2 = 1.0 - ss_res / np.where(ss_tot > 0, ss_tot, 1.0)
    if not all(np.all(np.isfinite(v)) for v in (sxx, slope, intercept, r2)):
        # squares of values near 1e154 are not float64 numbers: slope or R² came out NaN
        raise ValueError("fit_line: the points overflow float64 when squared (rescale them: are "
                         "they in the intended unit?)")
    return slope, intercept, r2


def fit_window_slice(time, fit_window, fit_window_ps):
    """Lag indices of an MSD fit window.

    Parameters
    ----------
    time : numpy.ndarray
        Lag times in ps, equally spaced from 0 to the segment duration ``time[-1]``.
    fit_window : (float, float)
        Window as fractions of the segment duration; used when ``fit_window_ps`` is ``None``.
    fit_window_ps : (float, float) or None
        Window in ps.

    Returns
    -------
    slice
        The lags inside the window (at least 3).

    Warns
    -----
    RuntimeWarning
        ``fit_window_ps`` ending beyond the last lag (a segment shorter than the window asked
        for): the fit uses the lags up to the last one, and the warning names the window used
        and the longest window a segment allows (the callers record the window used as
        ``results.fit_window``). Before, the window was cut to the segment without a word.
    """
    time = real_array(time, "the lag times (ps)")
    if time.ndim != 1 or time.size == 0 or not np.all(np.isfinite(time)):
        raise ValueError(f"the lag times (ps) must be a non-empty 1-D array of finite times, "
                         f"got shape {time.shape}")
    if time.size > 1 and not np.all(np.diff(time) > 0):
        # all-zero times put every lag in any window; decreasing ones none
        raise ValueError("the lag times (ps) must increase from lag to lag, got "
                         f"{time[:3]}...{time[-1:]}")
    check_fit_window(fit_window, fit_window_ps)
    duration = time[-1]
    if fit_window_ps is not None:
        lo, hi = (float(x) for x in fit_window_ps)
        unit = "ps"
    else:
        lo, hi = (float(x) * duration for x in fit_window)
        unit = f"fractions of a {duration:.4g} ps segment"
    # a lag on the window's edge is inside: 0.6 x 0.5 ps is 0.3 but the lag 3 x 0.1 ps is
    # 0.30000000000000004, so 6-frame segments that check_segment_lags passed were refused
    # after the pass ("holds 2 lags")
    edge = 1e-9 * (time[1] - time[0]) if time.size > 1 else 0.0
    sel = np.nonzero((time >= lo - edge) & (time <= hi + edge))[0]
    if sel.size < 3:
        raise ValueError(
            f"the fit window ({fit_window_ps or fit_window} {unit}) holds "
            f"{counted(sel.size, 'lag')}; at least 3 are needed (longer segments or a wider window "
            f"{'fit_window_ps' if fit_window_ps is not None else 'fit_window'})"
        )
    step = time[1] - time[0]
    if fit_window_ps is not None and hi > duration + 1e-3 * step:
        warnings.warn(
            f"fit_window_ps {tuple(fit_window_ps)} ps ends beyond the last lag of a segment "
            f"({duration:.6g} ps): the fit uses {time[sel[0]]:.6g}-{time[sel[-1]]:.6g} ps "
            f"(results.fit_window); the longest window a segment allows ends at {duration:.6g} "
            "ps (longer trajectories or fewer n_blocks reach further)",
            RuntimeWarning, stacklevel=3)
    return slice(sel[0], sel[-1] + 1)


def check_segment_lags(n_rows, dt, *, where, fit_window=None, fit_window_ps=None,
                       max_lag=None, n_blocks=None, n_total=None, min_rows=None, what="frames",
                       default_blocks=10, blocks_advice=True, fewest_blocks=2):
    """Refuse, before a trajectory is read, a segment too short for a fit window or ``max_lag``.

    Parameters
    ----------
    n_rows : int
        Rows (frames) of the shortest segment the selection will give.
    dt : float or None
        Nominal spacing of the rows in ps (the trajectory's time step times the stride);
        ``None`` when not known before reading, or not a positive finite number (frames out
        of time order, which the callers refuse with their own message), which skips the
        checks in ps.
    where : str
        Start of the message (analysis, trajectory, selection).
    fit_window, fit_window_ps : (float, float), optional
        MSD fit window as fractions of the segment, or in ps (see :func:`fit_window_slice`).
    max_lag : float, optional
        Longest correlation time in ps.
    n_blocks, n_total : int, optional
        Segments the run is split into and the run's rows (default ``n_rows * n_blocks``):
        given, the message says the run's length, why it is split (the error bar is the
        segments' scatter) and what would suffice: the rows a segment needs, the run that
        many segments need at this spacing, and the ``n_blocks`` this run allows. Without
        them a 1.9 ps run in 10 segments was refused "of a 0.1 ps segment" only.
    min_rows : int, optional
        Fewest rows a segment's estimate needs whatever the windows (the viscosity's 4).
    what : str
        The rows' name in the message: ``"frames"``, or ``"samples"`` of a per-step observable.
    default_blocks : int or None
        The estimator's default segments of one trajectory, said in the message; ``None`` for
        one that does not split a trajectory unless asked (:class:`~mda_electrolyte.Diffusion`).
    blocks_advice : bool
        Advise fewer ``n_blocks`` in the remedy; ``False`` for a trajectory not split.
    fewest_blocks : int
        The fewest ``n_blocks`` the estimator takes: 2 for one run (the segments' scatter is
        the error), 1 for several runs or an error from one segment. With 1 allowed, two runs
        of 6 samples in 5 blocks each were told "too short even for 2 segments" of 4 samples,
        though one segment a run holds them.

    Raises
    ------
    ValueError
        The window would hold fewer than 3 lags, ``max_lag`` is longer than a segment or
        rounds to the zero lag alone (shorter than half the spacing), or a
        segment has fewer than ``min_rows`` rows. The
        nominal spacing is allowed a relative error of 1e-3 (the frames' times decide after the
        pass), so only what certainly fails is refused.

    Examples
    --------
    >>> try:
    ...     check_segment_lags(2, 0.1, where="Diffusion: a run: segments of 2 frames",
    ...                        fit_window=(0.1, 0.6), n_blocks=10, n_total=20)
    ... except ValueError as exc:
    ...     print(str(exc).split(". ")[1])
    The run (20 frames, 1.9 ps) is split into n_blocks = 10 segments (the error bar is their \
scatter; 10 by default for one trajectory); the window needs segments of at least 6 frames \
(0.5 ps), a run of 60 frames (5.9 ps) at this spacing for 10 segments; this run allows \
n_blocks = 3 (analyse more frames, give fewer n_blocks or a wider window fit_window)
    """
    n_rows = check_number(f"{where}: the rows of a segment", n_rows, integer=True, minimum=0)
    if dt is not None:
        if isinstance(dt, (bool, np.bool_)) or not isinstance(dt, (int, float, np.integer,
                                                                   np.floating)):
            raise ValueError(f"{where}: the frame spacing dt (ps) must be a number, got {dt!r}")
        dt = float(dt)
        if not 0 < dt < np.inf:
            # frames out of time order (a negative step): the callers name that after this
            # check; NaN stopped here with "cannot convert float NaN to integer"
            dt = None
    if n_blocks is not None:
        n_blocks = check_number("n_blocks", n_blocks, integer=True, minimum=1)
        # without n_total: the rows of the whole segments, the leftover rows are not counted
        at_least = "at least " if n_total is None else ""
        n_total = n_rows * n_blocks if n_total is None else int(n_total)
    lags = np.arange(n_rows, dtype=np.float64)
    each = max(n_rows - 1, 0) * dt if dt is not None else None
    if n_blocks is None:
        span = "" if dt is None else f" of {dt:.4g} ps ({each:.4g} ps)"
    else:
        # ``where`` ends with "segments of <n_rows> frames"
        span = "" if dt is None else f" {dt:.4g} ps apart ({each:.4g} ps each)"

    def refuse(problem, need, fix, subject):
        """``problem`` with the run's split and what suffices: ``need`` rows a segment."""
        text = f"{where}{span}: {problem}"
        if n_blocks is not None:
            ps = (lambda rows: "") if dt is None else (lambda rows: f" ({(rows - 1) * dt:.4g} ps)")
            run = f"{at_least}{n_total} {what}" + (
                "" if dt is None else f", {(n_total - 1) * dt:.4g} ps")
            # n_blocks = 1e308 is a whole number of 309 digits, and times a segment no float
            shown = f"{n_blocks}" if n_blocks < 10**9 else f"{float(n_blocks):.4g}"
            default = ("" if default_blocks is None
                       else f"; {default_blocks} by default for one trajectory")
            text += (f". The run ({run}) is split into "
                     f"n_blocks = "
                     f"{shown} segments (the error bar is their scatter{default})")
            if need is not None and n_blocks > n_total:
                allowed = n_total // need
                text += (f"; a segment needs at least {need} {what}{ps(need)}: " + (
                    f"this run allows n_blocks = {allowed}" if allowed >= fewest_blocks else
                    f"this run is too short even for 2 segments ({2 * need} {what}"
                    f"{ps(2 * need)})"))
            elif need is not None:
                text += (f"; {subject} needs segments of at least {need} {what}{ps(need)}, a "
                         f"run of {need * n_blocks} {what}{ps(need * n_blocks)} at this spacing "
                         f"for {n_blocks} segments")
                allowed = n_total // need
                if fewest_blocks <= allowed < n_blocks:
                    text += f"; this run allows n_blocks = {allowed}"
                elif allowed < fewest_blocks:
                    text += (f"; this run is too short even for 2 segments (the fewest an "
                             f"error needs: {2 * need} {what}{ps(2 * need)})")
        # fewer segments help only where this run's length allows 2 or more of the rows needed
        # (advised for a run too short for 2 segments, and beside "n_blocks = 1" before)
        helps = blocks_advice and n_blocks is not None and n_blocks > 1 and (
            need is None or n_total // need >= fewest_blocks)
        fewer = ", give fewer n_blocks" if helps else ""
        remedy = (f"analyse more {what}{fewer} or {fix}" if fix
                  else f"analyse more {what}{' or give fewer n_blocks' if helps else ''}")
        raise ValueError(f"{text} ({remedy})")

    if min_rows is not None and n_rows < min_rows:
        refuse(f"a segment needs at least {min_rows} {what}", min_rows, None, "the estimate")
    if fit_window_ps is not None:
        if dt is None:
            return
        lo, hi = fit_window_ps
        n_in = int(np.count_nonzero((lags * dt * (1 + 1e-3) >= lo)
                                    & (lags * dt * (1 - 1e-3) <= hi)))
        if n_in < 3:
            # the third lag inside the window, if the window holds 3 lags of dt at all
            first = math.ceil(lo / (dt * (1 + 1e-3)))
            need = first + 3 if (first + 2) * dt * (1 - 1e-3) <= hi else None
            refuse(f"the fit window {tuple(fit_window_ps)} ps holds {counted(n_in, 'lag')}; at "
                   "least 3 are needed", need, "a wider window fit_window_ps", "the window")
    elif fit_window is not None:
        # fractions of the segment: the count does not depend on the spacing
        lo, hi = (float(f) * (n_rows - 1) for f in fit_window)
        n_in = int(np.count_nonzero((lags >= lo) & (lags <= hi)))
        if n_in < 3:
            refuse(f"the fit window {tuple(fit_window)} (fractions of a segment's length) holds "
                   f"{counted(n_in, 'lag')}; at least 3 are needed",
                   _rows_for_window(fit_window, n_rows),
                   "a wider window fit_window", "the window")
    if max_lag is not None and dt is not None:
        if lag_count(max_lag, dt * (1 - 1e-3)) < 2:
            # the zero lag alone at any spacing within 1e-3: refused after the pass with
            # "needs at least 2 lags to check sampling", which named neither
            try:
                max_lag_count(max_lag, dt, what)
            except ValueError as exc:
                raise ValueError(f"{where}{span}: {exc}") from None
        need = lag_count(max_lag, dt * (1 + 1e-3))
        if need > n_rows:
            refuse(f"max_lag = {max_lag} ps needs segments of more than "
                   f"{lag_count(max_lag, dt) - 1} {what}", need, "a shorter max_lag", "max_lag")


def segment_too_short(analysis, collection, n, dt, what="frames"):
    """Refuse a collection's ``n`` rows whose segments cannot hold ``analysis``'s estimate.

    The check of :func:`check_segment_lags` through ``analysis._check_segment`` (its windows,
    ``max_lag`` and ``n_blocks``) for collections read elsewhere, which reach the estimators
    without the trajectory pass that checks them first. Segments of fewer than 2 rows are
    left to :func:`~mda_electrolyte.ion_collection.block_slices`, which names them.
    """
    rows = n // analysis._n_blocks
    if rows >= 2:
        label = getattr(collection, "label", "") or "the collection"
        analysis._check_segment(rows, dt, f"{type(analysis).__name__}: {label}: {n} {what} "
                                f"give segments of {rows} {what}", n_total=n)


def _rows_for_window(fit_window, n_rows):
    """Fewest rows (more than ``n_rows``) whose segment holds 3 lags in ``fit_window``."""
    lo, hi = (float(f) for f in fit_window)
    m = n_rows + 1
    # 3 lags need (hi - lo) (m - 1) >= 2: start near there; the window grows with m
    m = max(m, int(2.0 / max(hi - lo, 1e-12)))
    while True:
        if math.floor(hi * (m - 1)) - math.ceil(lo * (m - 1)) + 1 >= 3:
            return m
        m += 1


#: A time (a frame spacing, a lag, a window) of a trajectory is at most 1 s (1e12 ps); the
#: times of its lags, squared in the fits, stay finite.
MAX_TIME_PS = 1.0e12


def check_frame_spacing(dt, what="dt (ps)"):
    """``dt`` (ps) as a float, or a ValueError naming ``what``: a positive finite number from
    :data:`MIN_FRAME_SPACING_PS` to :data:`MAX_TIME_PS`.

    A float16/float32 value (MDAnalysis' dtype) is taken as the decimal it stands for:
    ``np.float32(0.01)`` is 0.009999999776 as a float64, and frame ``k`` then lay at
    ``k * 0.009999999776`` ps, off the 0.01 ps grid of the trajectory it came from (1e-5
    relative: times compared with the frames' own no longer matched). ``str(np.float32(0.01))``
    is ``'0.01'``; float64 and Python numbers are kept as they are.
    """
    if isinstance(dt, (np.floating, np.ndarray)) and np.ndim(dt) == 0:
        value = np.asarray(dt)[()]
        if isinstance(value, np.floating) and value.dtype.itemsize < 8 and np.isfinite(value):
            dt = float(str(value))
    dt = check_number(what, dt, above=0, maximum=MAX_TIME_PS)
    if dt < MIN_FRAME_SPACING_PS:
        raise ValueError(
            f"{what} = {dt:g} ps is shorter than any MD time step ({MIN_FRAME_SPACING_PS:g} ps "
            "= 0.01 fs): a spacing in another unit (1 fs is 1e-15 s, 1e-6 ns) would scale every "
            "rate (D, σ, η) by the same factor; give it in ps (1 fs = 0.001 ps)")
    return dt

#: Most standard errors a drift may reach and still count as a plateau: beyond 10 no drift is
#: ever seen (1e308 called every running integral flat).
MAX_N_SIGMA = 10.0


def lag_count(span, dt):
    """Lags of ``dt`` in ``span`` (both ps), rounded, plus the zero lag.

    A span of any size gives a whole number (a count beyond any trajectory for 1e308 ps, never
    an OverflowError), so that the callers' "needs segments of more than ... frames" names it.

    >>> lag_count(0.3, 0.01)
    31
    >>> lag_count(1e308, 0.01) > 10**18
    True
    """
    ratio = float(span) / float(dt)
    return int(round(min(ratio, 2.0**62))) + 1


def max_lag_count(max_lag, dt, what="frames", n_rows=None):
    """Lags of a correlation up to ``max_lag`` at spacing ``dt`` (both ps), at least 2.

    :func:`lag_count`, refusing a ``max_lag`` that rounds to the zero lag alone (shorter than
    half the spacing, or half of it exactly): its correlation has no decay to integrate, and
    was refused after the pass with "needs at least 2 lags to check sampling", naming neither.

    ``n_rows``, the rows of the shortest segment, caps the count: :func:`check_segment_lags`
    refuses a ``max_lag`` only where it needs more rows at any spacing within 1e-3 of ``dt``,
    so one within that of half a lag past a segment's last lag (10.5049 lags of 11 frames)
    passed it and rounded to one lag more than the segment holds (the conductivities then
    refused it after the pass, "use fewer n_blocks" even with one segment a run; the viscosity
    failed inside the correlation, "n_lags must be between 1 and the number of frames 11, not
    12"). It takes the segment's last lag.

    >>> max_lag_count(0.02, 0.01)
    3
    >>> max_lag_count(0.005, 0.01)
    Traceback (most recent call last):
    ...
    ValueError: max_lag = 0.005 ps is shorter than half the spacing of the frames (0.01 ps), ...
    """
    n_lags = lag_count(max_lag, dt)
    if n_lags < 2:
        raise ValueError(
            f"max_lag = {max_lag} ps is shorter than half the spacing of the {what} ({dt:.4g} "
            "ps), so the correlation would hold the zero lag alone; it needs at least 2 lags: "
            f"give max_lag >= {dt:.4g} ps (or None: half a segment)")
    return n_lags if n_rows is None else min(n_lags, int(n_rows))


def check_window(name, window, top=None, rule="0 <= start < stop"):
    """``(start, stop)`` as floats, or ValueError naming ``name``: two finite numbers with
    ``0 <= start < stop`` (``<= top`` when given).

    Parameters
    ----------
    name : str
        The argument, as messages show it.
    window : object
        What the user gave.
    top : float, optional
        Largest allowed ``stop``.
    rule : str
        The rule as the message states it.
    """
    try:
        if isinstance(window, (str, bytes)):
            raise TypeError
        lo, hi = window
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be two numbers (start, stop), got {window!r}") from None
    lo = check_number(f"{name} start", lo, minimum=0)
    hi = check_number(f"{name} stop", hi, maximum=top)
    if not lo < hi:
        raise ValueError(f"{name} must satisfy {rule}, got {window!r}")
    return lo, hi


def check_fit_window(fit_window, fit_window_ps, default=None):
    """Raise ValueError for a fit window that is not two finite numbers ``0 <= start < stop``
    (fractions ``<= 1`` for ``fit_window``).

    Parameters
    ----------
    fit_window : tuple of float or None
        Fit window as fractions of the lags (used when ``fit_window_ps`` is None).
    fit_window_ps : tuple of float or None
        Fit window in ps, which takes precedence.
    default : tuple of float, optional
        The analysis' default fractions, given by an analysis whose ``fit_window`` defaults to
        None: ``fit_window`` None takes it, and both windows given are refused (the fractions
        would have no effect: ``fit_window=(0.5, 0.9), fit_window_ps=(2, 4)`` fitted 2-4 ps
        without a word).

    Returns
    -------
    tuple
        ``(fit_window, fit_window_ps)`` as the analyses keep them: tuples of the values as
        given (None where not given; with ``default``, ``fit_window`` is None exactly when
        ``fit_window_ps`` is given), so that a list or array the caller changes later does
        not change the analysis.
    """
    if default is not None:
        if fit_window is not None and fit_window_ps is not None:
            raise ValueError(
                f"fit_window = {fit_window} (fractions of a segment) and fit_window_ps = "
                f"{fit_window_ps} (ps) both given: fit_window_ps sets the fit, so fit_window "
                "would have no effect; give one of them")
        if fit_window is None and fit_window_ps is None:
            fit_window = default
    if fit_window_ps is not None:
        check_window("fit_window_ps", fit_window_ps, rule="0 <= start < stop (ps)")
    else:
        check_window("fit_window", fit_window, 1, "fractions 0 <= start < stop <= 1")
    return (None if fit_window is None else tuple(fit_window),
            None if fit_window_ps is None else tuple(fit_window_ps))


def check_sampling(acf, dt, *, what="current", raise_error=True, remedy="", threshold=0.5):
    """Whether frames spaced ``dt`` resolve an autocorrelation function.

    A trapezoid-rule Green–Kubo integral over samples ``dt`` apart equals the integral of the
    spectrum folded at multiples of ``1/dt`` (aliasing): an autocorrelation that has already
    decayed or oscillated away within one frame is dominated by that error (a Li⁺ cage mode near
    400 cm⁻¹, period ~80 fs, seen in 100 fs frames gives a conductivity 60 times too high).
    The function is resolved when its normalised value one frame after the origin is at least
    ``threshold`` (default 1/2): for an exponential decay that bounds the trapezoid error to
    about 4 %.

    Parameters
    ----------
    acf : numpy.ndarray
        Autocorrelation ``C(k dt)``, ``k = 0, 1, ...`` (at least 2 lags).
    dt : float
        Lag spacing in ps.
    what : str
        Name of the quantity, for the message.
    raise_error : bool
        Raise ValueError when unresolved (else only report).
    remedy : str
        What to do instead, appended to the message.
    threshold : float
        Minimum ``C(dt)/C(0)``.

    Returns
    -------
    dict
        ``frame_spacing`` (ps), ``first_lag_correlation`` ``C(dt)/C(0)``, ``half_decay_time``
        (ps; the lag where ``C`` first falls to half, linearly interpolated, or an exponential
        estimate when that happens within the first frame; ``0`` when ``C`` changes sign there),
        ``resolved`` (bool), ``message``.
    """
    acf = real_array(acf, f"the {what} autocorrelation")
    dt = check_frame_spacing(dt)
    # 0 would silently report an unresolved function instead of raising
    check_flag("raise_error", raise_error)
    threshold = check_number("threshold", threshold, above=0, maximum=1)
    if acf.ndim != 1:
        raise ValueError(f"the {what} autocorrelation must be one value per lag (1-D), not of "
                         f"shape {acf.shape}")
    if acf.size < 2:
        raise ValueError(f"the {what} autocorrelation needs at least 2 lags to check sampling")
    if not np.all(np.isfinite(acf)):
        raise ValueError(f"the {what} autocorrelation contains NaN or infinite values")
    c0 = acf[0]
    if not c0 > 0:
        raise ValueError(f"the {what} autocorrelation is zero at the origin: nothing moves")
    norm = acf / c0
    r1 = float(norm[1])
    below = np.nonzero(norm < 0.5)[0]
    if below.size and below[0] > 1:
        k = below[0]
        half = dt * (k - 1 + (norm[k - 1] - 0.5) / (norm[k - 1] - norm[k]))
    elif r1 > 0:
        half = dt * np.log(2.0) / max(-np.log(r1), 1e-12) if r1 < 1 else np.inf
    else:
        half = 0.0
    resolved = r1 >= threshold
    message = ""
    if not resolved:
        decay = (
            f"it changes sign within one frame (C(dt)/C(0) = {r1:.2f})"
            if r1 <= 0
            else f"it falls to {r1:.2f} of its initial value within one frame (half-decay time "
            f"≈ {1000 * half:.3g} fs, measured)"
        )
        message = (
            f"frames every {1000 * dt:.4g} fs are too sparse to resolve the {what} "
            f"autocorrelation: {decay}, so the trapezoid integral is dominated by aliasing; "
            f"{remedy}"
        )
        if raise_error:
            raise ValueError(message)
    return {
        "frame_spacing": float(dt),
        "first_lag_correlation": r1,
        "half_decay_time": float(half),
        "resolved": bool(resolved),
        "message": message,
    }


#: Correlation times of the current after which an Einstein fit window may start. A dipole MSD
#: 2dD(t - τ(1 - e^(-t/τ))) still bends below 3τ (its slope 14 % low at 2τ, 5 % at 3τ), and its
#: log-log slope there (1.2-1.5) passed the diffusive check on noise alone: 10 segments of 20 τ
#: fitted at 2-6 τ gave σ "valid" in 17 % of 1000 Ornstein–Uhlenbeck replicas, whose 95 %
#: intervals covered σ in 69 % (the check picked the replicas whose noise bent the curve
#: straight).
MIN_FIT_START_CORRELATION_TIMES = 3.0

#: Largest bend bias of an Einstein fit accepted, as a fraction of the estimate's relative
#: standard error (:func:`independence_notes` with ``relative_error``). A slope fitted over
#: ``[t1, t2]`` of ``2dD(t - τ(1 - e^(-t/τ)))`` is low by :func:`bend_bias` (0.56 % for a
#: window at 3-9 τ, 2.7 % at 2-6 τ, 15 % at 1-3 τ); a bias of half an error moves a 95 %
#: interval's coverage to about 92 % (log-scale intervals at 2-6 τ covered 96 %). Judged
#: on the fixed 3 τ rule instead, the estimated τ (which grows with the estimate: η ∝ s² τ)
#: marked the high replicas of a window at exactly 3 τ not valid: over 400 Ornstein–Uhlenbeck
#: replicas of 6000 samples (10 segments, window 10-30 %) the viscosities left valid had a mean
#: z-score of -0.94.
MAX_BEND_BIAS_ERRORS = 0.5


def bend_bias(fit_start, fit_stop, tau):
    """Relative amount by which a least-squares line over ``[fit_start, fit_stop]`` (ps) falls
    short of the asymptotic slope of an Einstein MSD whose increments are correlated as
    ``exp(-t/tau)``; 0 for ``tau = 0``.

    The MSD's local slope falls short by ``exp(-t/tau)``, and a line fitted to densely sampled
    points weighs the local slope by ``6 (t - t1)(t2 - t) / (t2 - t1)³``: the shortfall is that
    weighted mean (0.56 % for a window at 3-9 τ, 2.7 % at 2-6 τ, 15 % at 1-3 τ).
    """
    if not tau > 0:
        return 0.0
    t1, t2 = float(fit_start), float(fit_stop)
    if not t2 > t1:
        return float(math.exp(-t1 / tau))
    x, w = np.polynomial.legendre.leggauss(32)
    t = t1 + (x + 1.0) * (t2 - t1) / 2.0
    weight = 6.0 * (t - t1) * (t2 - t) / (t2 - t1) ** 3 * (t2 - t1) / 2.0
    return float(np.sum(w * weight * np.exp(-t / tau)))


def refuse_underflow(peak, what, unit):
    """ValueError when series of largest magnitude ``peak`` (> 0) are so small that their
    products leave float64's normal range (``peak² < tiny / eps``, about 1e-146): their
    correlations and mean squared displacements underflow to zero or to a few digits.

    A pressure tensor or velocities scaled by 1e-300 were refused as "nothing moves", and by
    1e-160 gave a "valid" viscosity of 6e-323 mPa·s, two digits of a subnormal number.
    ``what`` names the series ("the ion velocities"), ``unit`` their unit.
    """
    floor = float(np.sqrt(np.finfo(np.float64).tiny / np.finfo(np.float64).eps))
    if 0.0 < peak < floor:
        raise ValueError(
            f"{what} are at most {peak:.3g} {unit}: their products underflow float64 (below "
            f"{floor:.3g} {unit}), so their correlation is lost; give them in {unit} (are "
            "they in the intended unit?)")


def inefficiencies_of_columns(cols):
    """Statistical inefficiency (samples) of each column of ``cols`` (shape (T, m)) that
    :func:`independence_notes` judges, in column order: columns of at least 4 samples that
    vary (:func:`mda_electrolyte.uncertainty.timeseries_mean`)."""
    from .uncertainty import timeseries_mean

    return [timeseries_mean(cols[:, k])[2] for k in range(cols.shape[1])
            if cols.shape[0] >= 4 and np.ptp(cols[:, k]) > 0]


def independence_notes(runs, n_blocks, what, *, fit_start=None, dt=None,
                       fit_stop=None, relative_error=None, column_inefficiencies=None):
    """Why correlated input is too short for a Green–Kubo or Einstein estimate, as verdict notes.

    An integral over segments shorter than the input's correlation time comes out too small, and
    so does its error over so few segments, while the flatness test of :func:`plateau_verdict`
    passes on the t factor of two segments (two 0.4 ps segments of a 0.2 ps-correlated current
    gave 16.8 ± 8.7 S/m "valid" for 37 S/m; two 0.04 ps segments of a 0.05 ps-correlated stress a
    viscosity 17 times too small). The statistical inefficiency ``g`` of every column
    (:func:`mda_electrolyte.uncertainty.timeseries_mean`, averaged over the columns) must leave
    at least :data:`~mda_electrolyte.uncertainty.MIN_INDEPENDENT_SAMPLES` independent samples
    over all input, and every segment must span at least 4 ``g``.

    The Einstein estimates pass the increments of what they fit (the charge dipole's, the
    species' summed positions'): the frame-averaged current, stationary where the positions are
    not, with the current's correlation time.

    Parameters
    ----------
    runs : list of numpy.ndarray, shape (T, m)
        The series behind the estimate, one array per independent run (columns: the components,
        e.g. the three Cartesian components of the charge current).
    n_blocks : int
        Segments each run is cut into.
    what : str
        The series, for the notes ("the charge current").
    fit_start, dt : float, optional
        An Einstein fit window's first lag and the spacing of the samples, both ps: a window
        starting within :data:`MIN_FIT_START_CORRELATION_TIMES` correlation times of the series
        (the series being increments of what is fitted) adds a ``"not diffusive: ..."`` note.
        The correlation time is that of an exponential correlation ``a^k`` with the
        statistical inefficiency ``g = (1 + a) / (1 - a)`` of all columns of all runs pooled
        (pymbar's :func:`~pymbar.timeseries.statistical_inefficiency_multiple`):
        ``τ = -dt / ln((g - 1) / (g + 1))``, ``g dt / 2`` for ``g >> 1`` and 0 for ``g <= 1``
        (uncorrelated increments: the MSD is straight from the first lag).
    fit_stop, relative_error : float, optional
        The window's last lag (ps) and the estimate's relative standard error: given both, the
        window is judged by the bias the bend leaves in the fitted slope
        (:func:`bend_bias`), which must stay below :data:`MAX_BEND_BIAS_ERRORS` relative
        errors, instead of by the fixed :data:`MIN_FIT_START_CORRELATION_TIMES`: the bias
        is what matters, and the fixed rule, applied to a correlation time estimated from the
        same data, picked the low estimates as valid.
    column_inefficiencies : list of list of float, optional
        Per run, :func:`inefficiencies_of_columns` of its columns, computed once by a caller
        that judges the same columns in several series (the Onsager pairs share each
        species' columns); computed here when not given.

    Returns
    -------
    list of str
        ``"too short: ..."`` (and ``"not diffusive: ..."``) notes; empty when the input is long
        enough.
    """
    from .uncertainty import MIN_INDEPENDENT_SAMPLES, _pooled_inefficiency

    n_blocks = check_number("n_blocks", n_blocks, integer=True, minimum=1)
    checked = []
    for k, cols in enumerate(runs):
        cols = real_array(cols, f"{what} (run {k})")
        if cols.ndim == 0 or cols.shape[0] == 0:
            raise ValueError(f"{what} (run {k}) holds no samples")
        cols = cols.reshape(cols.shape[0], -1)
        # a NaN passed the inefficiency and was counted as independent samples
        if cols.size and not (np.isfinite(cols.min()) and np.isfinite(cols.max())):
            raise ValueError(f"{what} (run {k}) contains NaN or infinite values")
        checked.append(cols)
    if not checked:
        raise ValueError(f"no series of {what} given")
    runs = checked
    if column_inefficiencies is not None and len(column_inefficiencies) != len(runs):
        raise ValueError(f"column_inefficiencies holds "
                         f"{counted(len(column_inefficiencies), 'run')}, the series "
                         f"{counted(len(runs), 'run')}: one per run")
    n_independent, worst = 0.0, 1.0
    for k, cols in enumerate(runs):
        # the mean over the columns: the largest of several noisy estimates is biased high
        gs = (inefficiencies_of_columns(cols) if column_inefficiencies is None
              else list(column_inefficiencies[k]))
        g = float(np.mean(gs)) if gs else 1.0
        worst = max(worst, g)
        n_independent += cols.shape[0] / g
    notes = []
    if n_independent < MIN_INDEPENDENT_SAMPLES:
        # rounded down: 49.96 of the 50 needed was written "holds 50.0 ... need 50"
        shown = np.floor(n_independent * 10.0) / 10.0
        notes.append(f"too short: {what} holds {shown:.1f} independent samples "
                     f"(statistical inefficiency {worst:.3g} samples, need "
                     f"{MIN_INDEPENDENT_SAMPLES})")
    segment = min(len(cols) for cols in runs) // int(n_blocks)
    if segment < 4 * worst:
        notes.append(f"too short: segments of {segment} samples span less than 4 correlation "
                     f"times of {what} ({worst:.3g} samples each); use fewer n_blocks or longer "
                     "runs")
    if fit_start is not None:
        # g = 1 + 2 Σ a^k = (1 + a)/(1 - a) for increments correlated as exp(-k dt/τ); g dt/2,
        # its large-g limit, kept dt/2 for uncorrelated increments (g = 1) and marked Brownian
        # walkers' windows starting before 1.5 frames as "in the bend" of a straight MSD
        # (150 of 150 replicas of 100 frames, whose D covered the truth in 0.95); pooled, as the
        # mean of per-column g, each clipped at 1, stays above 1 for uncorrelated increments
        g = _pooled_inefficiency([c[:, k] for c in runs for k in range(c.shape[1])])
        a = (g - 1.0) / (g + 1.0)
        tau = -float(dt) / math.log(a) if a > 0.0 else 0.0
        if fit_stop is not None and relative_error is not None:
            bias = bend_bias(fit_start, fit_stop, tau)
            if bias > MAX_BEND_BIAS_ERRORS * relative_error:
                notes.append(
                    f"not diffusive: the fit window {fit_start:.4g}-{fit_stop:.4g} ps starts "
                    f"at {fit_start / tau:.2g} correlation times of {what} ({tau:.3g} ps "
                    f"each), where the MSD still bends: its slope comes out about "
                    f"{100 * bias:.2g} % low, more than {MAX_BEND_BIAS_ERRORS:g} of the "
                    f"{100 * relative_error:.2g} % error (a later fit window or longer "
                    "segments)")
        elif fit_start < MIN_FIT_START_CORRELATION_TIMES * tau:
            notes.append(
                f"not diffusive: the fit window starts at {fit_start:.4g} ps, within "
                f"{MIN_FIT_START_CORRELATION_TIMES:g} correlation times of {what} ({tau:.3g} ps "
                "each), where the MSD still bends (a later fit window or longer segments)")
    return notes


def _check_slice(window):
    """ValueError unless ``window`` is a slice of lags (as :func:`fit_window_slice` returns);
    ``True``, ``None`` or a float would index numpy arrays in some other way, or fail there."""
    if not isinstance(window, slice):
        raise ValueError(f"window must be a slice of lags (fit_window_slice), not {window!r}")


def plateau_verdict(time, running, window, n_sigma=2.0):
    """Whether running integrals are flat over a window, within their own error.

    Each segment's running integral (a row of ``running``) is fitted with a line over the window;
    the drift is the slope times the window length, its mean over segments is compared with its
    t-scaled standard error (:func:`mda_electrolyte.uncertainty.mean_error`).

    Parameters
    ----------
    time : numpy.ndarray, shape (K,)
        Lags in ps.
    running : numpy.ndarray, shape (n_segments, K)
        Running integrals of independent segments.
    window : slice
        Lags of the plateau window.
    n_sigma : float
        Drift accepted as flat, in standard errors.

    Returns
    -------
    dict
        ``drift`` and ``drift_err`` (units of ``running``), ``converged`` (``|drift| <=
        n_sigma·drift_err``).

    Raises
    ------
    ValueError
        A window of fewer than 2 lags.
    """
    from .uncertainty import mean_error

    # a NaN n_sigma calls every integral drifting, a negative one too
    n_sigma = check_number("n_sigma", n_sigma, above=0, maximum=MAX_N_SIGMA)
    _check_slice(window)
    time = real_array(time, "the lag times (ps)")
    running = real_array(running, "the running integrals")
    if time.ndim != 1 or running.ndim != 2 or running.shape[1] != time.size:
        raise ValueError(f"running integrals of shape (n_segments, {time.size}) expected for "
                         f"{time.size} lags, got {running.shape}")
    t = time[window]
    y = running[:, window]
    if t.size < 2:
        # one lag has no drift: 0 ± 0 would call any running integral flat
        raise ValueError(f"the plateau window holds {counted(t.size, 'lag')}; a drift needs "
                         "at least 2")
    width = t[-1] - t[0]
    if t.size >= 3 and width > 0:
        slopes, _, _ = fit_line(t, y.T)
        drifts = np.asarray(slopes) * width
    else:
        drifts = y[:, -1] - y[:, 0]
    drift, err, _ = mean_error(drifts)
    return {"drift": drift, "drift_err": err, "converged": bool(abs(drift) <= n_sigma * err)}


def loglog_slope(time, msd, window):
    """Slope of ln MSD against ln t over a fit window: 1 in the diffusive regime.

    Ballistic motion gives 2, caged (sub-diffusive) motion less than 1; a line fitted to an MSD
    whose log-log slope is far from 1 does not measure a transport coefficient.

    Parameters
    ----------
    time : numpy.ndarray
        Lags in ps.
    msd : numpy.ndarray
        Mean-squared displacement at those lags (any units).
    window : slice
        The fit window (lags with ``t > 0`` and ``MSD > 0`` are used).

    Returns
    -------
    float
        The slope; NaN when fewer than 3 lags of the window have ``t > 0`` and ``MSD > 0`` (an
        MSD that does not grow, e.g. of frozen particles, has no slope: not diffusive, see
        :func:`not_diffusive_note`).
    """
    _check_slice(window)
    time = real_array(time, "the lag times (ps)")
    msd = real_array(msd, "the MSD")
    if time.ndim != 1 or msd.shape != time.shape:
        raise ValueError(f"the MSD must have one value per lag, shape {time.shape}, got "
                         f"{msd.shape}")
    t = time[window]
    y = msd[window]
    if not (np.all(np.isfinite(t)) and np.all(np.isfinite(y))):
        # a NaN lag was dropped by the mask below and the slope of the rest reported
        raise ValueError("the lag times or the MSD of the fit window contain NaN or infinite "
                         "values")
    ok = (t > 0) & (y > 0)
    if ok.sum() < 3:
        return float("nan")
    slope, _, _ = fit_line(np.log(t[ok]), np.log(y[ok]))
    return float(slope)


#: Fewest segments whose jackknife gives the log-log slope an error (:func:`diffusive_slope`);
#: with fewer the slope is held to :data:`DIFFUSIVE_TOLERANCE` alone.
MIN_SLOPE_SEGMENTS = 5


def diffusive_slope(time, msds, window):
    """Log-log slope of the mean of segment MSDs over a fit window, and its jackknife error.

    The slope of a truly diffusive MSD scatters from segment set to segment set (0.08 for 10
    segments of 200 frames of an Ornstein–Uhlenbeck salt), so a fixed tolerance alone doubts
    good runs; :func:`is_diffusive` widens it by this error.

    Parameters
    ----------
    time : numpy.ndarray, shape (K,)
        Lags in ps.
    msds : numpy.ndarray, shape (n_segments, K)
        MSD of each independent segment (any units).
    window : slice
        The fit window.

    Returns
    -------
    slope, err : float
        :func:`loglog_slope` of the mean MSD; the leave-one-segment-out jackknife error of it,
        0 for fewer than :data:`MIN_SLOPE_SEGMENTS` segments or when a jackknife slope is NaN.
    """
    msds = real_array(msds, "the MSDs")
    if msds.ndim == 1:
        msds = msds[None]
    return _segment_jackknife(lambda msd: loglog_slope(time, msd, window), msds)


def _segment_jackknife(statistic, msds):
    """``statistic`` of the mean of segment MSDs ``(n_segments, K)``, and its
    leave-one-segment-out jackknife error: 0 for fewer than :data:`MIN_SLOPE_SEGMENTS` segments,
    or where the statistic or a jackknife value is not finite."""
    from .uncertainty import jackknife_error, t_factor

    value = statistic(msds.mean(axis=0))
    n = msds.shape[0]
    if n < MIN_SLOPE_SEGMENTS or not np.isfinite(value):
        return value, 0.0
    # the package's one jackknife; its t factor is an interval's, and these errors widen a
    # tolerance (is_diffusive) as the bare jackknife
    err = jackknife_error(lambda keep: statistic(msds[keep].mean(axis=0)), n)
    return value, (float(err / t_factor(n - 1)) if np.isfinite(err) else 0.0)


def _slope_exponent(time, msd, window):
    """``1 + ln(s2 / s1) / ln(m2 / m1)`` of an MSD's fitted slopes ``s1``, ``s2`` over the two
    halves of the window (midpoints ``m1``, ``m2``); NaN when a half holds fewer than 2 lags or
    a slope is not positive."""
    t = time[window]
    y = msd[window]
    half = t.size // 2
    if half < 2:
        return float("nan")
    slopes, mids = [], []
    for part in (slice(0, half), slice(t.size - half, t.size)):
        tt, yy = t[part], y[part]
        slopes.append(float(np.polyfit(tt, yy, 1)[0]) if tt.size >= 2 else float("nan"))
        mids.append(float(tt.mean()))
    if not (slopes[0] > 0 and slopes[1] > 0 and mids[0] > 0):
        return float("nan")
    return 1.0 + math.log(slopes[1] / slopes[0]) / math.log(mids[1] / mids[0])


def slope_exponent(time, msds, window):
    """Exponent of an MSD's growth over a fit window judged by how its slope changes, and the
    jackknife error of it over the segments.

    For an MSD growing as ``t^β`` the slope grows as ``t^(β - 1)``, so the fitted slopes
    ``s1``, ``s2`` of the window's two halves (midpoints ``m1``, ``m2``) give
    ``β = 1 + ln(s2/s1) / ln(m2/m1)``: 2 for ballistic motion, below 1 for caged motion, and 1
    for a straight MSD whatever its offset. The log-log slope (:func:`diffusive_slope`) reads
    the offset of an Einstein MSD ``2dD(t - τ)`` as growth (``t / (t - τ)``, 1.2 at 3-9 τ)
    and, near its tolerance, passed the segment sets whose fitted slope came out low.

    Parameters
    ----------
    time : numpy.ndarray, shape (K,)
        Lags in ps.
    msds : numpy.ndarray, shape (n_segments, K)
        MSD of each independent segment (any units).
    window : slice
        The fit window.

    Returns
    -------
    beta, err : float
        The exponent of the mean MSD (NaN when a half of the window holds fewer than 2 lags
        or a half's slope is not positive); its leave-one-segment-out jackknife error, 0 for
        fewer than :data:`MIN_SLOPE_SEGMENTS` segments or when a jackknife value is NaN.
    """
    _check_slice(window)
    time = real_array(time, "the lag times (ps)")
    msds = real_array(msds, "the MSDs")
    if msds.ndim == 1:
        msds = msds[None]
    if time.ndim != 1 or msds.shape[-1] != time.size:
        raise ValueError(f"the MSDs must have one value per lag, {time.size}, got shape "
                         f"{msds.shape}")
    if not (np.all(np.isfinite(time[window])) and np.all(np.isfinite(msds[:, window]))):
        raise ValueError("the lag times or the MSDs of the fit window contain NaN or infinite "
                         "values")
    return _segment_jackknife(lambda msd: _slope_exponent(time, msd, window), msds)


def straightness(time, msds, window, what):
    """The Einstein regime check of segment MSDs over a fit window.

    An MSD is not diffusive when both its log-log slope (:func:`diffusive_slope`) and its
    :func:`slope_exponent` differ from 1 by :func:`is_diffusive`: ballistic growth (both 2) and
    caged motion (both below 1) fail both, while a straight MSD with an offset, whose log-log
    slope is ``t / (t - τ)`` (1.2 at 3-9 τ), passes on its slope exponent. Judged by the
    log-log slope alone the verdict passed, near its tolerance, the segment sets whose fitted
    slope came out low (the valid of 400 Ornstein–Uhlenbeck replicas: mean z-score -0.8); the
    exponent alone, noisier (two half windows: ``ln(m2/m1)`` ≈ 0.5 against ``ln(t2/t1)`` ≈
    1.1; scatter 0.21 over 40 diffusive salts), doubted 7 of 40 Onsager results. A window in
    the MSD's bend is judged by the bias of the fit (:func:`independence_notes`).

    Parameters
    ----------
    time : numpy.ndarray, shape (K,)
        Lags in ps.
    msds : numpy.ndarray, shape (n_segments, K)
        MSD of each independent segment.
    window : slice
        The fit window.
    what : str
        The MSD, for the note ("⟨ΔG²⟩", "the dipole MSD").

    Returns
    -------
    loglog, loglog_err, beta, beta_err : float
        The log-log slope and the slope exponent with their jackknife errors.
    notes : list of str
        One ``"not diffusive: ..."`` note, or none.
    """
    loglog, loglog_err = diffusive_slope(time, msds, window)
    beta, beta_err = slope_exponent(time, msds, window)
    if is_diffusive(loglog, loglog_err) or is_diffusive(beta, beta_err):
        return loglog, loglog_err, beta, beta_err, []
    note = not_diffusive_note(what, loglog, loglog_err)
    if np.isfinite(loglog) and np.isfinite(beta):
        spread = f" ± {beta_err:.2f}" if beta_err > 0 else ""
        # "varies": a caged MSD's slope falls (β < 1), which "grows as" misstated
        note = note.replace(", not 1 (", f", not 1, and its slope varies as t^(β - 1) with "
                                         f"β = {beta:.2f}{spread} (", 1)
    return loglog, loglog_err, beta, beta_err, [note]


def relative_error(values):
    """The t-scaled standard error of the mean of ``values`` relative to that mean (inf for a
    mean of zero): what :func:`independence_notes` weighs a fit window's bend against."""
    mean, err, _ = mean_error(np.asarray(values, dtype=float))
    return abs(err / mean) if mean != 0 else math.inf


def is_diffusive(slope, err):
    r"""Whether a log-log slope is 1 within :data:`DIFFUSIVE_TOLERANCE` combined in quadrature
    with twice its error (:func:`diffusive_slope`; 0 for the fixed tolerance); a NaN slope is
    not diffusive.

    Over 60 diffusive replicas (slope 1.08 ± 0.08) the fixed tolerance doubted 4, this rule none;
    ballistic runs (slopes 1.5–1.9, errors below 0.1) and caged ones (slope ~0) stay doubted.
    Its false-alarm rate is that of a two-error allowance around a slope that is not exactly 1:
    an Ornstein–Uhlenbeck MSD :math:`2dD(t - \tau)` has the log-log slope
    :math:`t / (t - \tau)`, 1.06–1.13 over a window at 8–24 τ, although the line fitted there
    gives D exactly. Over 200 such replicas (4 ions per species, 10 segments) the slope was
    1.08 ± 0.095 and its jackknife error 0.09 (z-score standard deviation 1.1–1.2, ten
    segments), and 1–3.5 % of the curves were doubted (Li–Li 2.5 %, PF6-like 1 %, the dipole
    3.5 %): about 5 % of Onsager results, which judge three curves. A wider allowance (three
    errors) would pass ballistic runs of slope 1.4 ± 0.15.

    Raises
    ------
    ValueError
        An error that is negative, NaN or infinite (a NaN widened nothing and called every
        slope not diffusive; an infinite one called every slope diffusive).
    """
    err = check_number("the log-log slope's error", err, minimum=0)
    return bool(np.isfinite(slope)
                and abs(slope - 1.0) <= np.hypot(DIFFUSIVE_TOLERANCE, 2.0 * err))


def not_diffusive_note(what, slope, err=0.0):
    """The verdict note of an MSD (``what``) whose log-log slope over the fit window is not 1
    by :func:`is_diffusive` (NaN from :func:`loglog_slope`: it is not positive)."""
    if not np.isfinite(slope):
        return (f"not diffusive: {what} is not positive at 3 lags of the fit window (frozen "
                "particles, or a fit window of zero displacement), so it has no log-log slope")
    spread = f" ± {err:.2f}" if err > 0 else ""
    return (f"not diffusive: the log-log slope of {what} over the fit window is {slope:.2f}"
            f"{spread}, not 1 (longer trajectories or a later fit window)")


#: Largest spread of the per-segment values, relative to their largest magnitude, that
#: :func:`transport_estimate` takes for no scatter at all: segments of any sampled motion
#: differ far beyond it (1e-3 and more), the same motion repeated by rounding: 1e-16-1e-13 in
#: float64, 1e-8 through a float32 trajectory (ten repeats of 400 frames of an
#: Ornstein–Uhlenbeck salt gave σ = 16.437582 ± 1.3e-7 S/m).
NO_SCATTER = 1e-6

#: Start of :func:`_no_scatter_note`'s note.
NO_SCATTER_NOTE = "no scatter over the"


def _no_scatter_note(samples, what, unit):
    """The verdict note of per-segment values that agree to rounding (not all zero), or
    ``None``: their error, the scatter over them, is no error."""
    x = np.asarray(samples, dtype=np.float64).ravel()
    if x.size < 2 or not np.all(np.isfinite(x)):
        return None
    top = float(np.max(np.abs(x)))
    if not top > 0 or np.ptp(x) > NO_SCATTER * top:
        return None
    return (f"{NO_SCATTER_NOTE} {what}: all {x.size} give {float(np.mean(x)):.6g} {unit} to "
            "rounding, the same motion repeated in each (a strictly periodic motion whose "
            "period divides them, or frames repeated), so the error over them is unknown")


def transport_estimate(samples, unit, *, positive=False, **options):
    """:func:`~mda_electrolyte.uncertainty.segment_estimate` of one value per segment (or ion),
    with ``dof = n - 1`` on the Estimate.

    Its error is t-scaled over ``n`` samples: a 95 % interval of it
    (:meth:`~ase_electrolyte.estimate.Estimate.interval`) must use t(n - 1), which only the
    degrees of freedom on the Estimate tell (the normal quantile covered D in 91 % of replicas
    over 5 blocks, t(4) in 94 %).

    ``positive=True`` for a coefficient positive by nature (a conductivity, a diffusion
    coefficient, a viscosity, a diagonal Onsager coefficient): its interval is taken on the log
    scale (``interval_scale="log"``) when the mean is positive. A segment's value is a
    quadratic form of a current or a displacement, skewed to the right (skewness 0.5-1), and a
    segment set that came out low also scatters little: symmetric t intervals missed the truth
    mostly on the low side. Over 2000-3000 Ornstein–Uhlenbeck replicas of known value, the 95 %
    intervals covered (symmetric → log scale): Einstein–Helfand σ 0.946 → 0.956 (8000 frames,
    10 segments), 0.931 → 0.948 (2000 frames, 5 segments); Green–Kubo σ 0.953 → 0.954 and
    0.936 → 0.946; D of one ion per species 0.919 → 0.949, of four 0.947 → 0.948; the misses
    split about evenly below and above (they were 4-7 % against 1 %).
    A positive coefficient whose mean is zero or negative is not valid (noise larger than the
    signal), saying so. Values that agree to rounding in every segment (:data:`NO_SCATTER`)
    have no error (NaN) and are not valid ("no scatter over the segments"). ``options`` are
    those of ``segment_estimate``.
    """
    from dataclasses import replace

    est = segment_estimate(samples, unit, **options)
    check_flag("positive", positive)
    same = _no_scatter_note(samples, options.get("what", "segments"), unit)
    if same:
        # the segments' scatter is the error: none is no error (a strictly periodic motion
        # whose period divides the segments gave σ = 0.0066 ± 3.7e-19 S/m, valid)
        est = replace(est.with_notes(same, converged=False), stderr=math.nan)
    if positive and not est.value > 0 and np.isfinite(est.value):
        # "-0.12 ± 0.30 S/m (valid)" is no conductivity
        what = options.get("what", "segments")
        est = est.with_notes(
            f"not positive: the mean over {est.n_samples} {what} is {est.value:.3g} {unit}, of a "
            "quantity positive by nature (nothing moves, or its noise exceeds its signal: "
            "longer or more runs)",
            converged=False)
    scale = "log" if positive and est.value > 0 else "linear"
    return replace(est, dof=est.n_samples - 1, interval_scale=scale)


def _file_identity(reader):
    """What names the data of ``reader``'s file(s) on disk, or ``None`` (in memory, a reader of
    no file, a file gone): for each file its real path, size, modification time (ns), device
    and inode, and the reader's class and frame count. Two readers with the same identity read
    the same bytes as frames of the same numbering: a file rewritten since changes its size or
    time, a reader of another format or stride (another class or frame count) reads other
    frames."""
    import os

    names = getattr(reader, "filenames", None)
    if names is None:
        names = [getattr(reader, "filename", None)]
    files = []
    for name in names:
        if not isinstance(name, (str, os.PathLike)):
            return None
        try:
            st = os.stat(name)
        except (OSError, ValueError):
            return None
        files.append((os.path.realpath(name), st.st_size, st.st_mtime_ns, st.st_dev,
                      st.st_ino))
    if not files:
        return None
    return (type(reader).__name__, int(getattr(reader, "n_frames", -1)), tuple(files))


class TrajectoryFrames:
    """The frames of a trajectory an analysis read, to tell whether two analyses read the
    same ones (their blocks are then the same stretches of time).

    Two readings are the same frames when they are of the same live reader, or when their
    readers read the same file(s) (the same path, size, modification time and inode, reader
    class and frame count; two Universes of one file, or a Universe built again) at the same
    frame indices and, where given, the same times. A reader of no file (in memory) matches
    only itself, held weakly: a Universe given other coordinates (``load_new``) has another
    reader, and a reader that is gone matches nothing.

    Parameters
    ----------
    reader : MDAnalysis.coordinates.base.ProtoReader
        ``universe.trajectory`` when it was read.
    frames : array_like of int
        The frame indices read.
    times : array_like of float, optional
        Their times (ps); two readings of one file with other times (a ``dt=`` given to one
        Universe) are not the same frames.

    Examples
    --------
    >>> import MDAnalysis as mda
    >>> import numpy as np
    >>> from mda_electrolyte.correlation import TrajectoryFrames
    >>> u = mda.Universe.empty(1, trajectory=True)
    >>> read = TrajectoryFrames(u.trajectory, [0])
    >>> read.same_as(TrajectoryFrames(u.trajectory, [0]))
    True
    >>> u.load_new(np.zeros((1, 1, 3), dtype=np.float32))  # other coordinates, another reader
    <Universe with 1 atoms>
    >>> read.same_as(TrajectoryFrames(u.trajectory, [0]))
    False
    """

    def __init__(self, reader, frames, times=None):
        import weakref

        self._reader = weakref.ref(reader)
        self.frames = np.asarray(frames, dtype=np.int64).copy()
        self.times = None if times is None else np.asarray(times, dtype=np.float64).copy()
        self._file = _file_identity(reader)

    def same_as(self, other):
        """Whether ``other`` is the same frames of the same live reader, or of the same
        unchanged file(s) at the same times."""
        if not isinstance(other, TrajectoryFrames):
            return False
        if not np.array_equal(self.frames, other.frames):
            return False
        reader = self._reader()
        if reader is not None and reader is other._reader():
            return True
        if self._file is None or self._file != other._file:
            return False
        # the file must still be the one both read (not rewritten between them), and the
        # times the same: a dt= given to one Universe relabels the frames
        if self.times is None or other.times is None:
            return False
        return bool(np.array_equal(self.times, other.times))

    def __getstate__(self):
        # a weak reference does not pickle; a copy (another process) matches by its file only
        return {"frames": self.frames, "times": self.times, "file": self._file}

    def __setstate__(self, state):
        self.frames = state["frames"]
        self.times = state.get("times")
        self._file = state.get("file")
        self._reader = lambda: None


class SegmentValues:
    """The per-segment values behind a transport Estimate, and which segments they are of.

    A transport analysis cuts each run (an :class:`~mda_electrolyte.ion_collection.IonCollection`)
    into ``n_blocks`` contiguous blocks and takes the mean of one value per block. Two analyses
    of the same run objects cut into the same blocks estimate from the same stretches of time:
    their segment values are correlated (σ and the D's of one trajectory move together), and a
    ratio of them, α_d = σ/σ_NE, takes its error from the segments' joint scatter
    (:meth:`ratio_error`), not from the two errors as if independent (which was 1.3 times the
    scatter over replicas).

    Parameters
    ----------
    runs : sequence
        The runs in the order their blocks were taken: collections, compared by identity, or
        :class:`TrajectoryFrames` (analyses that read Universes: the same frames of the same
        trajectory reader, read by two analyses into collections of their own).
    n_blocks : int
        Blocks per run.
    values : array_like, shape (len(runs) * n_blocks,)
        One value per segment, run after run, in the unit of the Estimate they give.

    Examples
    --------
    σ and σ_NE of 4 segments of one run that rise and fall together: the ratio's error from
    their joint scatter is far below the two errors taken as independent.

    >>> import numpy as np
    >>> from mda_electrolyte.correlation import SegmentValues
    >>> run = object()
    >>> sigma = SegmentValues([run], 4, [0.9, 1.2, 0.7, 1.0])
    >>> sigma_ne = SegmentValues([run], 4, [1.0, 1.3, 0.8, 1.1])
    >>> err, dof = sigma.ratio_error(sigma_ne)
    >>> round(err, 4), dof
    (0.0113, 3)
    >>> sigma.same_segments(SegmentValues([object()], 4, [1.0, 1.3, 0.8, 1.1]))
    False
    """

    def __init__(self, runs, n_blocks, values):
        self.runs = tuple(runs)
        self.n_blocks = int(n_blocks)
        self.values = np.array(values, dtype=float)
        if self.values.shape != (len(self.runs) * self.n_blocks,):
            raise ValueError(f"{counted(len(self.runs), 'run')} of "
                             f"{counted(self.n_blocks, 'block')} each give "
                             f"{counted(len(self.runs) * self.n_blocks, 'segment')}, one value "
                             f"each, not values of shape {self.values.shape}")

    def same_segments(self, other):
        """Whether ``other`` holds values of the same blocks of the same run objects."""
        return (isinstance(other, SegmentValues) and self.n_blocks == other.n_blocks
                and len(self.runs) == len(other.runs)
                and all(a is b or (isinstance(a, TrajectoryFrames) and a.same_as(b))
                        for a, b in zip(self.runs, other.runs, strict=True)))

    def scaled_sum(self, terms):
        """``Σ_k w_k x_k`` per segment of :class:`SegmentValues` ``x_k`` of the same
        segments as this one, given as ``(w_k, x_k)`` pairs (this one's values unused): the
        per-segment value of a weighted sum (σ_NE from D's)."""
        total = np.zeros_like(self.values)
        for weight, seg in terms:
            if not self.same_segments(seg):
                raise ValueError("segment values of other segments cannot be summed")
            total = total + weight * seg.values
        return SegmentValues(self.runs, self.n_blocks, total)

    def ratio_error(self, other):
        """First-order error of ``mean(self) / mean(other)`` from the joint scatter of both.

        The linearised ratio per segment, ``u_k = x_k/ȳ - (x̄/ȳ) y_k/ȳ``, carries the
        covariance of x and y; its t-scaled standard error of the mean
        (:func:`~mda_electrolyte.uncertainty.mean_error`) is the ratio's error, with ``n - 1``
        degrees of freedom.

        Returns
        -------
        (float, int)
            The one-sigma error (unit of the ratio) and its degrees of freedom.

        Raises
        ------
        ValueError
            Values of other segments, or a zero mean of ``other``.
        """
        if not self.same_segments(other):
            raise ValueError("a ratio's error from the segments needs values of the same "
                             "segments")
        x, y = self.values, other.values
        x_mean, y_mean = float(x.mean()), float(y.mean())
        if y_mean == 0:
            raise ValueError("the ratio's denominator has a zero mean over the segments")
        ratio = x_mean / y_mean
        _, err, dof = mean_error(x / y_mean - ratio * y / y_mean)
        return float(err), int(dof)
