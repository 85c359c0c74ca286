"""Time-correlation functions and mean-squared displacements by FFT, and the Einstein fit.

The transport analyses (:mod:`mda_electrolyte.conductivity`, :mod:`mda_electrolyte.diffusion`)
do all their time-series arithmetic here, in O(T log T) for a series of T frames:

- :func:`time_correlation`: ``C(k) = 1/(T-k) Σ_t a(t)·b(t+k)``, averaged over all time origins;
- :func:`mean_squared_displacement`: ``MSD(k) = 1/(T-k) Σ_t |x(t+k) - x(t)|²`` by the
  FFT algorithm of Calandrini et al. (nMoldyn, *Collection SFN* 12, 201 (2011));
- :func:`fit_line`: least-squares line with its coefficient of determination R².

Series are arrays of shape ``(T, m)``: ``T`` equally spaced frames, ``m`` columns (e.g. the x, y, z
components of a current, or of every particle). Units are whatever the input has.
"""

from __future__ import annotations

import numpy as np
import scipy.fft

__all__ = [
    "time_correlation",
    "mean_squared_displacement",
    "fit_line",
    "fit_window_slice",
    "check_fit_window",
]

# columns transformed at once: bounds the complex scratch array to ~64 MB for long series
_CHUNK_BYTES = 64 * 2**20


def _as_series(x, name):
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise ValueError(f"{name} must have shape (n_frames, n_columns), not {x.shape}")
    if x.shape[0] < 2:
        raise ValueError(f"{name} needs at least 2 frames, got {x.shape[0]}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return x


def _n_lags(n_lags, n_frames):
    if n_lags is None:
        return n_frames
    n_lags = int(n_lags)
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
    a = _as_series(a, "a")
    b = a if b is None else _as_series(b, "b")
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}")
    n_frames, n_cols = a.shape
    n_lags = _n_lags(n_lags, n_frames)
    # zero padding to >= 2T removes the circular wrap-around of the FFT correlation
    n_fft = scipy.fft.next_fast_len(2 * n_frames, real=True)
    counts = n_frames - np.arange(n_lags)
    if sum_columns:
        spectrum = np.zeros(n_fft // 2 + 1, dtype=np.complex128)
    else:
        out = np.empty((n_lags, n_cols))
    for cols in _chunks(n_cols, n_fft):
        fa = scipy.fft.rfft(a[:, cols], n=n_fft, axis=0)
        fb = fa if b is a else scipy.fft.rfft(b[:, cols], n=n_fft, axis=0)
        prod = np.conj(fa) * fb
        if sum_columns:
            spectrum += prod.sum(axis=1)
        else:
            out[:, cols] = scipy.fft.irfft(prod, n=n_fft, axis=0)[:n_lags] / counts[:, None]
    if sum_columns:
        return scipy.fft.irfft(spectrum, n=n_fft)[:n_lags] / counts
    return out


def mean_squared_displacement(x, n_lags=None, sum_columns=True):
    r"""Time-origin averaged mean-squared displacement, by FFT.

    .. math:: \mathrm{MSD}(k) = \frac{1}{T-k} \sum_{t=0}^{T-k-1} |x(t+k) - x(t)|^2
              = S_1(k) - 2\, C_{xx}(k)

    with :math:`S_1(k) = \frac{1}{T-k}\sum_{t=0}^{T-k-1} (x(t)^2 + x(t+k)^2)` from cumulative sums
    and :math:`C_{xx}` from :func:`time_correlation`.

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
    x = _as_series(x, "x")
    n_frames, _ = x.shape
    n_lags = _n_lags(n_lags, n_frames)
    # removing the mean changes no displacement and keeps the subtraction S1 - 2C well conditioned
    x = x - x.mean(axis=0)
    sq = x * x
    head = np.vstack([np.zeros((1, x.shape[1])), np.cumsum(sq, axis=0)])
    k = np.arange(n_lags)
    counts = (n_frames - k)[:, None]
    # Σ_{t<T-k} x(t)² + Σ_{t>=k} x(t)²
    s1 = (head[n_frames - k] + (head[n_frames] - head[k])) / counts
    acf = time_correlation(x, n_lags=n_lags, sum_columns=False)
    msd = s1 - 2.0 * acf
    # exact zero at k = 0 and no negative round-off
    msd[0] = 0.0
    np.maximum(msd, 0.0, out=msd)
    return msd.sum(axis=1) if sum_columns else msd


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
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.ndim != 1 or x.size < 3 or y.shape[0] != x.size:
        raise ValueError(
            f"fit_line needs at least 3 points with matching x and y, got {x.shape}, {y.shape}"
        )
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
    """
    duration = time[-1]
    if fit_window_ps is not None:
        lo, hi = (float(x) for x in fit_window_ps)
        unit = "ps"
    else:
        lo, hi = (float(x) * duration for x in fit_window)
        unit = f"of a {duration:.4g} ps segment"
    sel = np.nonzero((time >= lo) & (time <= hi))[0]
    if sel.size < 3:
        raise ValueError(
            f"the fit window ({fit_window_ps or fit_window} {unit}) holds {sel.size} "
            "lags; at least 3 are needed (longer segments or a wider window)"
        )
    return slice(sel[0], sel[-1] + 1)


def check_fit_window(fit_window, fit_window_ps):
    """Raise ValueError for a fit window that is not ``0 <= start < stop`` (fractions <= 1)."""
    if fit_window_ps is not None:
        lo, hi = fit_window_ps
        if not 0 <= lo < hi:
            raise ValueError(
                f"fit_window_ps must satisfy 0 <= start < stop (ps), got {fit_window_ps!r}"
            )
    else:
        lo, hi = fit_window
        if not 0 <= lo < hi <= 1:
            raise ValueError(
                f"fit_window must be fractions 0 <= start < stop <= 1, got {fit_window!r}"
            )
