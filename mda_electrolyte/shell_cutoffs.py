"""Solvation-shell cutoffs: a stable first minimum of g(r) and the published donor-atom presets.

The first minimum of a cation–species RDF is the usual shell cutoff (Ju et al. 2025, eq. 1–2),
but a short or small simulation gives a noisy histogram whose first dip is often a fluctuation
inside the first peak, and the dip found moves with the bin width. :func:`first_minimum` makes the
choice independent of the binning and refuses minima that are not there:

1. the histogram g(r) (a step function over the bins) is convolved with a Gaussian of width
   ``σ = max(smoothing, bin width)`` in Å, evaluated on a 0.01 Å grid, so 40 and 320 bins give
   nearly the same curve;
2. the first peak is the first maximum of the smoothed curve whose topographic prominence is at
   least ``prominence`` times its global maximum (:func:`scipy.signal.find_peaks`);
3. the first minimum is the lowest point of the smoothed curve between that peak and the next such
   peak (or the end of the range); it is accepted when its relative depth
   ``(g_peak − g_min) / g_peak`` is at least ``min_depth`` and the curve rises again after it;
4. the smoothing pushes that minimum away from a sharp first shell (by 0.17 Å for a shell of
   width 0.1 Å at σ = 0.2 Å, more than its counting noise): the cutoff is the minimum found at σ
   and σ/2, extrapolated to no smoothing (Richardson), and the peak the sub-grid maximum at σ
   (without pair counts, in a flat trough with two dips at σ/2, or with bins wider than σ/2: the
   minimum at σ, with an error that covers its shift); its error reaches at least to the ends
   of the run of low points around the trough's lowest point (within its counting noise), the
   place of the minimum in a flat trough.

With the pair counts of the histogram, the depth gets a Poisson significance
``z = (g_peak − g_min) / sqrt(var g_peak + var g_min)`` from the counts within ``σ`` of the peak and
of the minimum; a shallow (depth < 0.4) or insignificant (z < 3) minimum, or fewer than 100 pairs
in the first shell (the lesser of those within the cutoff and twice those up to the first peak),
is flagged in :attr:`ShellCutoff.warnings`; a dip with z below ``min_significance`` (2) is no
minimum at all. A cutoff whose one-sigma error spans more pairs than lie within it (from the
first peak's half depth on) is flagged as not located, with or without the counts.

:data:`DONOR_PRESETS` holds the alternative convention of Ju et al. (2025, SevenNet-0): the shell
is defined through donor atoms with fixed cutoffs, Li–O 2.6 Å for the oxygens of the solvents and
Li–P 4.2 Å for the phosphorus of PF6⁻.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from ase_electrolyte.atoms_checks import check_number
from ase_electrolyte.option_words import choice_word

from .atom_categories import _bond_pairs, element_symbols
from .uncertainty import real_array

__all__ = ["ShellCutoff", "first_minimum", "DONOR_PRESETS", "donor_atoms", "bond_indices"]

#: Donor element → cutoff in Å of named published conventions. ``"ju2025"``: S. Ju, J. You, G. Kim
#: et al., Digital Discovery 4, 1544 (2025), Li⁺ shells in carbonate/LiPF6 electrolytes.
DONOR_PRESETS = {"ju2025": {"O": 2.6, "P": 4.2}}

_SHALLOW = 0.4
_SIGNIFICANT = 3.0
_SMALL_SAMPLE = 100


@dataclass
class ShellCutoff:
    """How a shell cutoff was chosen.

    Attributes
    ----------
    cutoff : float or None
        The cutoff in Å; ``None`` when no acceptable first minimum was found.
    method : str
        ``"rdf_first_minimum"``, ``"given"``, ``"preset"`` or ``"preset_fallback"``.
    peak, g_peak, g_min, depth : float or None
        Position of the first peak (Å), smoothed g at the peak and at the minimum, relative depth.
    significance : float or None
        Poisson z-score of the depth (needs the pair counts), over the independent frames.
    inefficiency : float or None
        The frames' statistical inefficiency the counts' noise was read with (1: independent
        frames; ``None`` without pair counts).
    n_pairs : float or None
        Pairs counted within the cutoff (all frames): from the start of the range, and those
        closer than it where they are given (``below``).
    smoothing : float or None
        Gaussian width σ used, Å.
    cutoff_err : float or None
        One-sigma error of ``cutoff`` as the first minimum of the unsmoothed g(r), Å: the
        uncertainty of the extrapolation to no smoothing ⊕ the counting noise.
    peak_err : float or None
        One-sigma error of ``peak`` as the first maximum of the unsmoothed g(r), Å: its move
        from σ/2 to σ ⊕ the counting noise.
    cutoff_spread : float or None
        One-sigma scatter of ``cutoff`` over repeated runs, Å, at most ``cutoff_err``: the
        Poisson spread of the whole search ⊕ the smoothing's shift ((1 + c) times the move
        from σ to σ/2, weighted by move² / (move² + its noise²), where it was not
        extrapolated, the extrapolation's residual where it was), and at least the cutoff's
        distance from the centre of the trough's low points.
        What a count within the cutoff moves with (coordination numbers, shares of shells):
        ``cutoff_err`` is meant to cover where the true minimum may lie and is wider in a
        flat trough (see :func:`mda_electrolyte.solvation.cutoff_cn_errors`).
    warnings : list of str
        Why the cutoff may be unreliable (empty when it is not).
    note : str
        A sentence saying how the cutoff was chosen.
    """

    cutoff: float | None
    method: str
    peak: float | None = None
    g_peak: float | None = None
    g_min: float | None = None
    depth: float | None = None
    significance: float | None = None
    n_pairs: float | None = None
    smoothing: float | None = None
    cutoff_err: float | None = None
    peak_err: float | None = None
    cutoff_spread: float | None = None
    warnings: list = field(default_factory=list)
    note: str = ""
    inefficiency: float | None = None

    def as_dict(self):
        """The fields as a plain dict (for JSON reports)."""
        return dict(self.__dict__)

    def estimate(self, which="cutoff"):
        """The cutoff (or the first peak, ``which="peak"``) as an Estimate in Å with a verdict.

        The cutoff's error is ``cutoff_err`` (the uncertainty of its extrapolation to no
        smoothing and the counting noise of the histogram), the peak's ``peak_err``.
        A given or preset cutoff (also the preset fallen back to where no minimum was found,
        its note naming why and whose) is a setting, not a measurement: made by
        :meth:`~ase_electrolyte.estimate.Estimate.given_value` (shown as given, ``"2.6 Å
        (given)"``, not as a valid result of error 0), unless a warning (overlapping atoms
        within it) makes it not valid. The verdict is not valid when no minimum was found
        (value NaN, the reason in the notes) or when the minimum is shallow, not significant or
        from a small sample (the :attr:`warnings`).

        Returns
        -------
        ase_electrolyte.estimate.Estimate
        """
        from ase_electrolyte.estimate import Estimate

        which = choice_word("which", which, ("cutoff", "peak"))
        value = self.cutoff if which == "cutoff" else self.peak
        if self.method != "rdf_first_minimum":
            if value is None:
                return Estimate.invalid(math.nan, math.nan, "Å", "none", self.note or self.method)
            if self.method == "preset_fallback":
                # the preset chosen where no minimum was found: a setting with its source, not
                # a result (read "4.2 ± 0 Å, not valid", neither given nor measured, while the
                # shells counted within it stayed valid without a word of it)
                return Estimate.given_value(value, "Å", source=self.note or self.method)
            if not self.warnings and self.method in ("given", "preset"):
                # the caller's or the preset's number: read "2.6 ± 0 Å (valid)", a result
                # measured without error, once reports told given numbers by their flag
                return Estimate.given_value(value, "Å", source=(
                    "cutoffs=" if self.method == "given" else self.note or self.method))
            return Estimate(value, 0.0, "Å", f"{self.method}: {self.note}", 0,
                            converged=not self.warnings, notes=tuple(self.warnings))
        method = "resolution of the smoothed first-minimum search (half the smoothing width)"
        err = 0.5 * self.smoothing
        # the significance is known only where the pair counts were given: without them there
        # was no bootstrap, whatever the method said
        counted = self.significance is not None
        if which == "cutoff" and self.cutoff_err is not None:
            method = ("Richardson extrapolation of the minimum from smoothing widths σ and σ/2 "
                      "to none: part of its move" + (" ⊕ Poisson bootstrap of the pair counts"
                                                     if counted else " (no pair counts)"))
            err = self.cutoff_err
        elif which == "peak" and self.peak_err is not None:
            method = ("move of the smoothed maximum from σ/2 to σ" + (
                " ⊕ Poisson bootstrap of the pair counts" if counted else " (no pair counts)"))
            err = self.peak_err
        if value is None or self.cutoff is None:
            reason = self.note or "no first minimum"
            return Estimate.invalid(math.nan if value is None else value, math.nan, "Å", method,
                                    reason)
        # independent samples: the pairs over the frames' statistical inefficiency (frames
        # held three times claimed three times the pairs behind the same error)
        return Estimate(value, err, "Å", method,
                        int((self.n_pairs or 0) / (self.inefficiency or 1.0)),
                        converged=not self.warnings, notes=tuple(self.warnings))


def _smoothed(edges, values, sigma, step=0.01):
    """Step function ``values`` over ``edges`` convolved with a Gaussian of width ``sigma``."""
    x, weights = _smoothing_weights(edges.tobytes(), float(sigma), step)
    return x, weights @ values


#: Gaussian tails beyond this many σ are left out of the smoothing (a mass below 2e-15).
_KERNEL_SIGMAS = 8.0
#: Largest smoothing matrix (stored weights; 12 bytes each): beyond it the RDF's range and
#: bins are refused rather than exhausting memory after every frame was counted.
MAX_SMOOTHING_WEIGHTS = 20_000_000


def check_smoothable(edges, smoothing=0.2, step=0.01):
    """Refuse RDF bins whose first-minimum smoothing would not fit in memory, before any frame.

    :func:`first_minimum` smooths g(r) on a 0.01 Å grid with a Gaussian of width
    ``σ = max(smoothing, widest bin)``, cut at 8 σ: each grid point takes
    at most ``2·8σ/(narrowest bin) + 2`` bins. Above :data:`MAX_SMOOTHING_WEIGHTS` weights
    (e.g. 10⁵ bins over 400 Å, or a 10⁶ Å range) this raises.

    Parameters
    ----------
    edges : array_like
        Bin edges, Å.
    smoothing : float
        The smallest smoothing width, Å (finite, >= 0).
    step : float
        The grid spacing, Å (finite, > 0).

    Returns
    -------
    int
        The number of grid points.

    Raises
    ------
    ValueError
        Naming the bins, the range and the number of weights; also edges that are not at
        least 2 increasing finite numbers, or a ``smoothing`` or ``step`` out of its range.
    """
    # a NaN smoothing failed in int() ("cannot convert float NaN to integer"), step=0 with an
    # OverflowError, reversed edges in a negative bin count: none named
    smoothing = check_number("smoothing (Å)", smoothing, minimum=0)
    step = check_number("step (Å)", step, above=0)
    edges = real_array(edges, "edges (Å)")
    widths = np.diff(edges)
    if edges.ndim != 1 or edges.size < 2 or not np.all(np.isfinite(edges)) or np.any(
            widths <= 0):
        raise ValueError(f"edges (Å) must be at least 2 increasing finite bin edges, got "
                         f"shape {edges.shape}" + (
                             f" from {edges[0]:g} to {edges[-1]:g}" if edges.ndim == 1
                             and edges.size else ""))
    sigma = max(smoothing, float(widths.max()))
    n_x = int(math.floor((edges[-1] - edges[0]) / step + 0.5)) + 1
    per_x = min(widths.size, int(2 * _KERNEL_SIGMAS * sigma / widths.min()) + 2)
    if n_x * per_x > MAX_SMOOTHING_WEIGHTS:
        raise ValueError(
            f"the RDF's {widths.size} bins over {edges[0]:g}–{edges[-1]:g} Å are too fine or "
            f"its range too wide to smooth for the first minimum (up to {n_x * per_x:.3g} "
            f"weights, at most {MAX_SMOOTHING_WEIGHTS:.3g}): use fewer bins or a shorter range "
            "(the first shell lies within about 10 Å)"
        )
    return n_x


@lru_cache(maxsize=8)
def _smoothing_weights(edges_bytes, sigma, step):
    """Grid ``x`` and the sparse (x × bins) weights of each bin's mass at each grid point.

    Banded: a point takes only the bins within :data:`_KERNEL_SIGMAS` σ (a dense matrix of a
    400 Å range in 10⁵ bins would take 30 GiB). Compressed by rows: a window of grid points is
    a cheap slice, and its product with histograms (as columns) sums the bins of each point in
    the order of the band.
    """
    # the same edges and width serve every pair of an RDF: computed once
    from scipy.sparse import csc_matrix
    from scipy.special import ndtr

    edges = np.frombuffer(edges_bytes, dtype=np.float64)
    n_x = check_smoothable(edges, sigma, step)
    reach = _KERNEL_SIGMAS * sigma
    x = np.arange(n_x) * step + edges[0]
    lo = np.searchsorted(edges[1:], x - reach, side="right")
    hi = np.searchsorted(edges[:-1], x + reach, side="left")
    per_x = hi - lo
    nnz = int(per_x.sum())
    cols = np.repeat(np.arange(n_x), per_x)
    rows = np.arange(nnz) - np.repeat(np.cumsum(per_x) - per_x, per_x) + np.repeat(lo, per_x)
    weights = ndtr((edges[rows + 1] - x[cols]) / sigma) - ndtr((edges[rows] - x[cols]) / sigma)
    # divided by the kernel mass inside the range: no artificial drop at the range ends
    mass = np.bincount(cols, weights=weights, minlength=n_x)
    weights /= mass[cols]
    matrix = csc_matrix((weights, (rows, cols)), shape=(edges.size - 1, n_x)).T
    matrix.data.setflags(write=False)
    return x, matrix


def first_minimum(edges, g, counts=None, smoothing=0.2, min_depth=0.2, prominence=0.1,
                  min_significance=2.0, below=None, inefficiency=1.0):
    """First minimum of an RDF after its first peak, independent of the binning.

    Parameters
    ----------
    edges : array_like, shape (nbins + 1,)
        Bin edges in Å.
    g : array_like, shape (nbins,)
        g(r) (any normalisation proportional to the pair density per shell volume).
    counts : array_like, shape (nbins,), optional
        Pair counts of the histogram (summed over the frames), for the significance and
        sample-size checks and the counting noise of the errors. Without them a cutoff found
        carries a warning (its estimate is not valid): nothing then tells a minimum from a
        dip of the noise.
    smoothing : float
        Smallest Gaussian width σ in Å; the width used is ``max(smoothing, bin width)``.
    min_depth : float
        Smallest accepted relative depth ``(g_peak − g_min) / g_peak``.
    prominence : float
        Smallest prominence of a peak relative to the curve's maximum.
    min_significance : float
        With ``counts``: smallest accepted Poisson z-score of the depth; a dip below it is
        counting noise (a single cation, a few frames) and no cutoff is returned.
    below : float or array_like, optional
        For a range that starts after 0 Å: the pairs counted closer than ``edges[0]`` (with
        ``counts``; whole numbers where ``counts`` are), either one number (all of them,
        from 0 Å) or the counts of bins of the first bin's width directly below ``edges[0]``
        (the last one adjacent to it, the lowest
        cut at 0 Å). A range that starts after the first peak (in the first minimum, or on the
        rising edge of the second shell) holds more pairs below it than a g(r) that rises to
        its value at the start allows: then no cutoff is returned. Without ``below`` such a
        range cannot be told from one that starts on the rising edge of the first shell: the
        cutoff of a range that starts after 0 Å then carries a warning (not valid).
    inefficiency : float
        With ``counts``: the statistical inefficiency ``s >= 1`` of the frames they were
        summed over (frames per independent frame). Consecutive MD frames hold mostly the
        same pairs: a bin's count over correlated frames varies as ``s`` times a Poisson
        count, so the significance, the rise after the minimum, the sample size and the
        Poisson bootstrap of the errors read ``counts / s`` (and ``below / s``), as many
        pairs as hold the information (every frame of a run held three times read the
        depth's significance √3 higher and the cutoff's error halved, valid).
        ``n_pairs`` still counts every pair. Above 1 without ``counts`` it would change
        nothing and is refused.

    Returns
    -------
    ShellCutoff
        ``cutoff`` is ``None`` (and ``note`` says why) when there is no acceptable minimum.
        Edges ending below 1.5 Å (in nm?) are named: in the note where there is no cutoff,
        as a warning (not valid) where there is one.
        With ``counts``, a minimum after which g(r) does not rise again by
        3 Poisson sigmas (a lone shell falling to a flat plateau, whose lowest noise dip is
        no minimum) carries a warning: its estimate is not valid.

    Raises
    ------
    ValueError
        Mismatched shapes, non-finite ``g``, ``counts`` or ``below``, ``g`` below zero (h(r) =
        g − 1), negative counts, a ``below`` that is no whole number beside whole
        ``counts`` (a coordination number given for the pairs counted), counts all zero
        under a non-zero ``g`` or not proportional to ``g`` times the shell volumes
        (another histogram's, within a relative 1e-5), ``below`` without ``counts``, edges
        that are not
        increasing finite distances >= 0, or a
        parameter that is not a finite number in its range (``inefficiency`` below 1, or
        above 1 without ``counts``).

    Examples
    --------
    A first peak at 2 Å and a rising second shell, with the unsmoothed minimum at 2.485 Å,
    sampled with 80 or 320 bins: smoothed with σ = 0.2 Å the minimum lies at 2.64 Å; with the
    pair counts it is extrapolated from σ and σ/2 back to 2.47 Å. Bins of 0.2 Å do not resolve
    σ/2: the smoothed minimum is kept, with an error that covers its shift:

    >>> import numpy as np
    >>> from mda_electrolyte.shell_cutoffs import first_minimum
    >>> def g(r):
    ...     return 3 * np.exp(-((r - 2) / 0.2) ** 2) + 1 / (1 + np.exp(-(r - 3) / 0.15))
    >>> for n in (40, 80, 320):
    ...     e = np.linspace(0, 8, n + 1)
    ...     shell = 4 / 3 * np.pi * np.diff(e**3)
    ...     found = first_minimum(e, g(0.5 * (e[1:] + e[:-1])),
    ...                           counts=1e4 * shell * g(0.5 * (e[1:] + e[:-1])))
    ...     print(n, round(found.cutoff, 2), round(found.cutoff_err, 2))
    40 2.64 0.17
    80 2.47 0.07
    320 2.47 0.07
    """
    from scipy.signal import find_peaks

    edges = real_array(edges, "edges")
    g = real_array(g, "g")
    if edges.ndim != 1 or g.shape != (edges.size - 1,) or g.size < 1:
        raise ValueError(f"edges {edges.shape} and g {g.shape} must be (n + 1,) and (n,), n >= 1")
    if not np.all(np.isfinite(g)) or np.any(np.diff(edges) <= 0):
        raise ValueError("g must be finite and edges increasing")
    if np.any(g < 0):
        # h(r) = g(r) − 1 (or a difference of RDFs) has a "first peak" and "minimum" too, and
        # its relative depth came out above 1: a cutoff of 2.64 ± 0.19 Å, valid
        k = int(np.argmin(g))
        raise ValueError(f"g must be a pair density >= 0 (an RDF), got {g[k]:.3g} in bin {k} "
                         "(h(r) = g(r) − 1, or a difference of RDFs?)")
    # NaN edges compare False in the check above; a negative radius is no distance
    if not (np.all(np.isfinite(edges)) and edges[0] >= 0):
        raise ValueError(f"edges must be finite distances >= 0 Å, got {edges[0]:g} to "
                         f"{edges[-1]:g}")
    # a NaN parameter makes every comparison below False: a cutoff or none, silently
    smoothing = check_number("smoothing (Å)", smoothing, minimum=0)
    min_depth = check_number("min_depth", min_depth, minimum=0, maximum=1)
    prominence = check_number("prominence", prominence, minimum=0, maximum=1)
    min_significance = check_number("min_significance", min_significance, minimum=0)
    # a statistical inefficiency below 1 (an anticorrelated series's, or independent samples
    # over frames read as 1/s) would claim more information than the pairs counted hold
    inefficiency = check_number("inefficiency (frames per independent frame)", inefficiency,
                                minimum=1)
    if inefficiency > 1.0 and counts is None:
        raise ValueError(f"inefficiency = {inefficiency:g} scales the counting noise of the "
                         "pair counts: it needs counts= (without them it changes nothing)")
    if counts is not None:
        counts = real_array(counts, "counts")
        if counts.shape != g.shape:
            raise ValueError(f"counts has shape {counts.shape}, expected {g.shape}")
        if not np.all(np.isfinite(counts) & (counts >= 0)):
            raise ValueError("counts must be finite pair counts >= 0")
        if np.any(g > 0) and not np.any(counts > 0):
            raise ValueError("counts are all zero while g(r) is not: they are not the "
                             "histogram behind g")
        _check_proportional(edges, g, counts)
    below = _below_bins(edges, below, counts)
    # every pair counted (n_pairs); the search's noise is that of the independent frames'
    counted, counted_below = counts, below
    if counts is not None and inefficiency > 1.0:
        counts = counts / inefficiency
        if below is not None:
            below = (below[0] / inefficiency, below[1])
    sigma = max(smoothing, float(np.diff(edges).max()))
    result = ShellCutoff(cutoff=None, method="rdf_first_minimum", smoothing=sigma,
                         inefficiency=None if counts is None else inefficiency)
    if g.size < 3:
        # a histogram of one or two bins is a legitimate count within r_max, but holds no
        # peak followed by a minimum
        result.note = f"{g.size} bin(s): a first peak and minimum need at least 3"
        return _unit_hint(result, edges)
    if not np.any(g > 0):
        result.note = "the RDF is zero everywhere in its range (no pairs)"
        return _unit_hint(result, edges)
    x, s = _smoothed(edges, g, sigma)
    peaks, _ = find_peaks(s, prominence=prominence * s.max())
    if peaks.size == 0:
        result.note = "the smoothed RDF has no peak in its range"
        return _unit_hint(result, edges)
    p1 = int(peaks[0])
    inside = _starts_inside_shell(edges, g, counts, sigma, x, s, p1, min_depth, prominence)
    if not inside and below is not None:
        inside = _shell_before_range(edges, counts, sigma, *below)
    if inside:
        result.note = inside
        return _unit_hint(result, edges)
    end = int(peaks[1]) if peaks.size > 1 else s.size - 1
    m = p1 + int(np.argmin(s[p1 : end + 1]))
    result.peak, result.g_peak, result.g_min = float(x[p1]), float(s[p1]), float(s[m])
    result.depth = float((s[p1] - s[m]) / s[p1])
    if m >= s.size - 1 or s[m:].max() <= s[m] * (1 + 1e-9):
        result.note = f"g(r) does not rise again after its first peak at {x[p1]:.2f} Å"
        return _unit_hint(result, edges)
    if result.depth < min_depth:
        result.note = (f"the first minimum is too shallow (relative depth {result.depth:.2f} < "
                       f"{min_depth})")
        return _unit_hint(result, edges)
    cutoff, result.cutoff_err, peak, result.peak_err, *spread = _corrected_positions(
        edges, g, counts, sigma, x, p1, end, m)
    result.cutoff_spread = spread[0] if spread else result.cutoff_err
    # the extrapolation stays between the peak and the end of the search
    result.cutoff = float(np.clip(cutoff, x[p1], x[end]))
    if counts is not None:
        # the bootstrap's spread is that of the resampled minima around this histogram's; in a
        # flat trough the minimum lies anywhere the curve is within its noise of the lowest
        # point, mostly past the true one (more room on the flat side): 95 % intervals of
        # valid cutoffs covered 0.76-0.90 of flat-trough replicas
        reach = _trough_reach(edges, g, counts, sigma, p1, end, x, result.cutoff)
        result.cutoff_err = max(result.cutoff_err, reach)
        # a cutoff off the centre of the trough's low points is that far from where repeated
        # runs put it on average (a bias the Poisson spread does not see)
        positions, weights = _trough_points(edges, g, counts, sigma, p1, end, x)
        centre = float(np.sum(weights * positions) / np.sum(weights))
        result.cutoff_spread = min(max(result.cutoff_spread, abs(result.cutoff - centre)),
                                   result.cutoff_err)
    result.peak = peak
    result.note = (f"first minimum of g(r) smoothed with σ = {sigma:.3f} Å and σ/2, extrapolated "
                   f"to no smoothing, after the first peak at {result.peak:.2f} Å (relative "
                   f"depth {result.depth:.2f})")
    if result.depth < _SHALLOW:
        result.warnings.append(f"shallow first minimum (relative depth {result.depth:.2f})")
    earlier = _earlier_minimum(edges, g, counts, sigma, result.peak, result.cutoff,
                               result.g_peak - result.g_min)
    # a split first shell (a second peak 0.45 Å after the first and as narrow) is one trough
    # even at σ/2 = 0.1 Å: looked at once more at the bins' own resolution, where 0.05 Å bins
    # allow it (Poisson histograms of such shells: found in 2 of 30 at σ/2, 29 of 30 with
    # this look, both at z > 3; no false alarm over 491 single-minimum replicas of 5 shapes)
    finest = 2.0 * float(np.diff(edges).max())
    if not earlier and finest < sigma * (1 - 1e-9):
        earlier = _earlier_minimum(edges, g, counts, finest, result.peak, result.cutoff,
                                   result.g_peak - result.g_min)
    if earlier:
        result.warnings.append(earlier)
    unlocated = _unlocated(edges, g, counts, below, s, x, p1, result)
    if unlocated:
        result.warnings.append(unlocated)
    if below is None and edges[0] > 0.0:
        # a start in the core, on the first shell's rising edge, in the first minimum or on
        # the second shell's rising edge look alike from inside the range (even an empty first
        # bin: a deep minimum holds few pairs)
        result.warnings.append(
            f"the range starts at {edges[0]:g} Å: a shell closer than the range (whose minimum "
            "would be the first) cannot be ruled out without the pairs below it (below=); "
            "start the range at 0 Å")
    if counts is not None:
        centres = 0.5 * (edges[1:] + edges[:-1])
        shell = 4.0 / 3.0 * np.pi * np.diff(edges**3)

        def window(at):
            near = np.abs(centres - at) <= sigma
            n, v = counts[near].sum(), shell[near].sum()
            return n, v

        n_p, v_p = window(x[p1])
        n_m, v_m = window(x[m])
        # g is proportional to counts / volume with one factor: rescale it to the counts' units
        ratio = np.sum(counts) / np.sum(g * shell)
        err = np.sqrt(max(n_p, 1.0) / v_p**2 + max(n_m, 1.0) / v_m**2) / ratio
        result.significance = float((result.g_peak - result.g_min) / err)
        closer = 0.0 if below is None else float(below[0].sum())
        result.n_pairs = float(counted[centres <= result.cutoff].sum()) + (
            0.0 if counted_below is None else float(counted_below[0].sum()))
        # the pairs within the cutoff also count the trough's and, past a next shell too weak
        # to be a peak of its own, that shell's: one Li+ over 5 frames had 183 "in the first
        # shell" (19 up to its peak) and a cutoff of 5.32 ± 0.88 Å past the second shell at
        # 4 Å (truth 3.0 Å), valid. A peak holds about twice the pairs up to its maximum.
        # Both over the independent frames (counts / inefficiency)
        within = float(counts[centres <= result.cutoff].sum()) + closer
        up_to_peak = float(counts[centres <= result.peak].sum()) + closer
        in_shell = min(within, 2.0 * up_to_peak)
        correlated = (f" (the pairs counted divided by the frames' statistical inefficiency "
                      f"{inefficiency:.3g}: frames correlated in time)" if inefficiency > 1.0
                      else "")
        if inefficiency > 1.0:
            result.note = (f"{result.note}; its counting noise that of frames correlated in "
                           f"time{correlated}")
        if result.significance < min_significance:
            result.note = (f"the dip after the first peak at {result.peak:.2f} Å is not "
                           f"significant against counting noise (z = {result.significance:.1f} < "
                           f"{min_significance}; {result.n_pairs:.0f} pairs in the shell"
                           f"{correlated})")
            result.cutoff = None
            return _unit_hint(result, edges)
        # g must rise again after the minimum beyond its noise: after a lone shell g(r) falls
        # to a flat plateau, whose lowest noise dip is no minimum (over 100 replicas each of
        # one shell at 2 Å over a uniform background, 40-480 frames, 3-6 % gave a valid cutoff
        # of 3.7-8 Å, its coordination number 60 within 7.7 Å valid too)
        j = m + int(np.argmax(s[m : end + 1]))
        n_r, v_r = window(x[j])
        rise_err = np.sqrt(max(n_r, 1.0) / v_r**2 + max(n_m, 1.0) / v_m**2) / ratio
        rise = float((s[j] - result.g_min) / rise_err)
        if rise < _SIGNIFICANT:
            result.warnings.append(
                f"g(r) rises after the first minimum at {result.cutoff:.2f} Å by little beyond "
                f"its counting noise (to {s[j]:.3g} at {x[j]:.2f} Å from {result.g_min:.3g}: "
                f"z = {rise:.1f} < {_SIGNIFICANT}): it may be a dip of a plateau, not a minimum")
        if result.significance < _SIGNIFICANT:
            result.warnings.append(
                f"first minimum not significant against counting noise (z = "
                f"{result.significance:.1f} < {_SIGNIFICANT})")
        if in_shell < _SMALL_SAMPLE:
            result.warnings.append(
                f"small sample: about {in_shell:.0f} pairs in the first shell over all frames "
                f"(the lesser of {within:.0f} within the cutoff and twice the "
                f"{up_to_peak:.0f} up to the first peak at {result.peak:.2f} Å; at least "
                f"{_SMALL_SAMPLE}){correlated}")
    else:
        # without the counts nothing tells a minimum from a dip of the noise, and the error is
        # the smoothing's alone: over 100 Poisson replicas of a lone shell falling to a flat
        # plateau (no minimum at all) the search found a cutoff in 99-100, 3 of them valid
        # (with the counts: none valid), and 1 of 100 of a g(r) of noise alone
        result.warnings.append(
            "no pair counts (counts=): the minimum's significance against counting noise and "
            "the sample size are not checked, and its error holds no counting noise; pass "
            "the histogram's counts")
    return _unit_hint(result, edges)


#: Edges ending below this many Å look like nm (a first shell lies at 1.8-3.5 Å, an RDF runs
#: to 6-15 Å; in nm they end at 0.6-1.5).
_NM_LOOKING_END = 1.5


def _unit_hint(result, edges):
    """``result`` naming the unit where the edges end below :data:`_NM_LOOKING_END` Å: in its
    note where no cutoff was found (edges in nm gave only "no peak", σ = 0.2 Å then spanning a
    quarter of the range), as a warning (not valid) where one was (a smoothing scaled to nm
    found a "cutoff" of 0.25 Å, valid)."""
    end = float(edges[-1])
    if end >= _NM_LOOKING_END:
        return result
    hint = (f"the edges end at {end:g} Å, shorter than any solvation shell: edges are in Å "
            f"(edges in nm are 10 times too small: multiply them by 10)")
    if result.cutoff is None:
        result.note = f"{result.note}; {hint}"
    else:
        # found with a smoothing scaled down to nm edges: a "cutoff" of 0.25 Å, valid
        result.warnings.append(hint)
    return result


#: Largest change of the pairs within the cutoff across its one-sigma error, relative to them,
#: of a located first minimum. Over 2880 replicas of nine shells (sharp, wide, Li–O-like, flat
#: troughs at g 0.05-0.7; 3-300 pairs per unit g and Å³; 80 and 160 bins) and loose shells of
#: 2-8 Li⁺ over 30-120 frames the change stayed below 0.75; the cutoff 3.9 ± 1.7 Å of a flat
#: trough spans 2.2-5.6 Å, about three times the shell's volume.
_UNLOCATED = 1.0


def _trough_reach(edges, g, counts, sigma, p1, end, x, cutoff):
    """Where in the trough the minimum may lie: the root-mean-square distance from ``cutoff``
    (Å) of the points of g(r) smoothed with σ/2 between the first peak ``p1`` and ``end``,
    each weighted by ``exp(−z²/2)``, ``z`` its height above the lowest point in Poisson sigmas
    of their difference.

    A flat trough holds many points as low as its lowest within the counting noise, any of which
    may be the true minimum; a steep one few, close together. Before, the farther end of the
    contiguous run of points within 2.5 sigmas of the lowest was taken as the 95 % bound: a
    noise bump between two low stretches cut the run short (flat troughs with 0.05 Å bins: 95 %
    intervals covered 0.79 of the true minima, 22 of 28 replicas at 3 pairs per unit g and Å³),
    and a symmetric flat-bottomed trough (loose Li⁺ shells over a uniform background) got twice
    its error. The weighting counts every low point, disjoint ones too, by how likely it is as
    low as the lowest. Over replicas (tests/test_shell_cutoff_flat_trough_calibration.py) flat
    troughs are covered 0.95 of the time with 0.1 and 0.05 Å bins, steep ones unchanged.
    """
    positions, weights = _trough_points(edges, g, counts, sigma, p1, end, x)
    return float(np.sqrt(np.sum(weights * (positions - cutoff) ** 2) / np.sum(weights)))


def _trough_points(edges, g, counts, sigma, p1, end, x):
    """The points of g(r) smoothed with σ/2 between the first peak ``p1`` and ``end`` (Å) and
    their weights ``exp(−z²/2)`` (:func:`_trough_reach`)."""
    matrix = _smoothing_weights(edges.tobytes(), float(0.5 * sigma), 0.01)[1]
    # each bin's Poisson variance in g's units (g / count per pair)
    variance = g * np.divide(g, counts, out=np.zeros_like(g), where=counts > 0)
    curve = _smoothed_part(matrix, p1, end + 1, g[:, None])[0]
    k = int(np.argmin(curve))
    # var(s_i − s_k) = Σ_b (w_ib − w_kb)² var_b: neighbours share bins, so their difference is
    # quieter than either point (summed variances made the run of a steep trough twice as wide).
    # Row k of the compressed weights read directly (a scipy row slice cost more than the rest)
    row = slice(matrix.indptr[p1 + k], matrix.indptr[p1 + k + 1])
    bins, weights = matrix.indices[row], matrix.data[row]
    cross = np.zeros_like(g)
    cross[bins] = weights * variance[bins]
    difference = (_smoothed_part(matrix, p1, end + 1, variance[:, None], squared=True)[0]
                  - 2.0 * _smoothed_part(matrix, p1, end + 1, cross[:, None])[0]
                  + float(np.dot(weights * weights, variance[bins])))
    # the lowest point itself (difference 0) has weight 1; an exactly flat stretch without
    # noise (no counts) weight 1 too
    rise = curve - curve[k]
    noise = np.sqrt(np.maximum(difference, 0.0))
    z = np.divide(rise, noise, out=np.where(rise > 0, np.inf, 0.0), where=noise > 0)
    return x[p1 : p1 + curve.size], np.exp(-0.5 * z * z)


def _unlocated(edges, g, counts, below, s, x, p1, result):
    """Why the cutoff does not bound a shell (its error spans more pairs than the shell
    holds), or ``""``.

    The pairs within ``cutoff ± cutoff_err`` (the histogram's counts, or g times the shell
    volumes without them) are compared with those within the cutoff. The lower end is held
    after the point where the smoothed first peak has fallen halfway to the minimum: the
    error of a minimum in a wide, empty trough (a sharp Li–O shell) reaches back into the
    peak, where no minimum can lie, and its count would double the change.
    """
    weights = counts if counts is not None else g * np.diff(edges**3)
    closer = 0.0 if below is None else float(below[0].sum())
    cumulative = np.concatenate(([closer], closer + np.cumsum(weights)))
    cutoff, err = result.cutoff, result.cutoff_err
    if err is None or not err > 0:
        return ""
    half = result.g_min + 0.5 * (result.g_peak - result.g_min)
    fallen = x[p1 + int(np.argmax(s[p1:] <= half))]
    lo, hi = min(max(cutoff - err, fallen), cutoff), cutoff + err
    within = float(np.interp(cutoff, edges, cumulative))
    change = float(np.interp(hi, edges, cumulative) - np.interp(lo, edges, cumulative))
    if not within > 0 or change <= _UNLOCATED * within:
        return ""
    return (f"first minimum not located: within its error ({cutoff:.2f} ± {err:.2f} Å, from "
            f"{lo:.2f} Å after the first peak's half depth to {hi:.2f} Å) the pairs within the "
            f"cutoff change by {change / within:.0%} of their number (at most "
            f"{_UNLOCATED:.0%}): a flat trough or too few pairs to tell where the shell ends")


#: Smallest rise of the σ/2 curve between two minima of the first trough, relative to the
#: trough's depth, taken for two minima without counts (below it: rounding ripples).
_RIPPLE = 0.01


def _earlier_minimum(edges, g, counts, sigma, peak, cutoff, depth):
    """Why the cutoff is not the first minimum of a trough with two, or ``""``.

    Smoothed with σ, a trough holding two minima (a small bump between the first shell and
    the second, 0.3-0.5 Å apart) reads as one minimum near the later one, and the σ/2 curve
    that the extrapolation follows descends into the later one too: a trough with minima at
    2.59 and 2.95 Å gave a cutoff of 3.03 ± 0.06 Å, valid, half an ångström past the first
    minimum. Here the σ/2 curve of the histogram itself is searched for a local minimum between
    the first peak and the one nearest the cutoff, separated from it by a rise above
    :data:`_SIGNIFICANT` times the counting noise of the two points (Poisson, through the
    smoothing; the two points' noise added as if independent, which overstates the noise of
    their difference), or above :data:`_RIPPLE` of the depth without counts.
    """
    half = 0.5 * sigma
    if half < float(np.diff(edges).max()) * (1 - 1e-9):
        # σ/2 is not resolved by the bins: no second look at the trough
        return ""
    x, matrix = _smoothing_weights(edges.tobytes(), float(half), 0.01)
    start, stop = np.searchsorted(x, [peak, cutoff + sigma])
    if stop - start < 3:
        return ""
    band = slice(max(int(start) - 1, 0), min(int(stop) + 1, x.size))
    s2 = _smoothed_part(matrix, band.start, band.stop, g[:, None])[0]
    xs = x[band]
    inner = np.arange(1, s2.size - 1)
    minima = inner[(s2[inner] < s2[inner - 1]) & (s2[inner] <= s2[inner + 1])
                   & (xs[inner] > peak)]
    if minima.size < 2:
        return ""
    taken = int(minima[np.argmin(np.abs(xs[minima] - cutoff))])
    earlier = minima[minima < taken]
    if earlier.size == 0:
        return ""
    if counts is not None:
        # each bin's variance in g's units (g / count per pair), through the squared weights
        per_count = np.divide(g, counts, out=np.zeros_like(g), where=counts > 0)
        variance = _smoothed_part(matrix, band.start, band.stop, (g * per_count)[:, None],
                                  squared=True)[0]
    for first in earlier:
        barrier = first + int(np.argmax(s2[first:taken + 1]))
        rise = float(s2[barrier] - s2[first])
        if counts is None:
            if rise < _RIPPLE * depth:
                continue
            how = f"{rise / depth:.2g} of the depth"
        else:
            noise = math.sqrt(float(variance[barrier] + variance[first]))
            if not rise > _SIGNIFICANT * noise:
                continue
            how = f"z = {rise / noise:.1f} against counting noise"
        return (f"two minima in the first trough: g(r) smoothed with σ/2 = {half:.3f} Å falls "
                f"to a minimum at {xs[first]:.2f} Å, rises by {rise:.3g} ({how}) and falls "
                f"again to the one the cutoff follows ({xs[taken]:.2f} Å); which of them bounds "
                "the first shell is not decided by the smoothed first minimum: give the cutoff "
                "(cutoffs=) after looking at the RDF")
    return ""


def _starts_inside_shell(edges, g, counts, sigma, x, s, p1, min_depth, prominence):
    """Why a range that starts inside a shell has no first minimum of its own, or ``""``.

    A range that starts after 0 Å inside or just after the first shell (2.3–7 Å with the peak
    at 2 Å) holds the tail of that shell but not its peak: the first peak found is the second
    shell's and its minimum would be taken for the first shell's cutoff. The sign is g(r) at
    the start (the histogram over the bins within σ/2 of it, as the smoothing flattens a tail
    at the edge): far above zero (at least ``prominence`` of the smoothed maximum) and falling,
    by at least ``min_depth`` of itself, to the lowest smoothed point before the first peak;
    with the pair counts that fall must also stand out of their Poisson noise by
    :data:`_SIGNIFICANT` sigma (one stray pair in a small first bin is no shell). A range that
    starts on the rising edge of a shell (g near zero, or rising) is not flagged.
    """
    if edges[0] <= 0.0:
        return ""
    near = 0.5 * (edges[1:] + edges[:-1]) <= edges[0] + 0.5 * sigma
    near[0] = True
    shell = np.diff(edges**3)[near]
    g0 = float(np.sum(g[near] * shell) / np.sum(shell))
    k = int(np.argmin(s[: p1 + 1]))
    fall = g0 - float(s[k])
    if g0 < prominence * s.max() or fall < min_depth * g0:
        return ""
    if counts is not None and fall / g0 * math.sqrt(float(counts[near].sum())) < _SIGNIFICANT:
        return ""
    return (f"the range starts at {edges[0]:g} Å inside a shell: g(r) is {g0:.2f} there and "
            f"falls to {s[k]:.2f} at {x[k]:.2f} Å before the first peak of the range at "
            f"{x[p1]:.2f} Å, so that peak's minimum is a later shell's; start the range at 0 Å "
            "or before the first peak")


#: Relative spread of counts / (g × shell volume) over the bins allowed to the rounding of
#: g (a float32 histogram's digits, normalisations in any order).
_PROPORTIONAL = 1e-5


def _check_proportional(edges, g, counts):
    """Refuse counts that are not the histogram behind ``g`` (g ∝ counts / shell volume).

    The significance, the sample size and the bootstrap of the cutoff's error read the counts:
    another pair's histogram (or these counts reversed) gave the cutoff of ``g`` with z = 9
    instead of 20 and a different error, valid."""
    shell = np.diff(edges**3)
    if np.any((g > 0) != (counts > 0)):
        k = int(np.flatnonzero((g > 0) != (counts > 0))[0])
        raise ValueError(
            f"counts are not the histogram behind g: bin {k} holds {counts[k]:g} pairs where g "
            f"is {g[k]:g} (g must be proportional to the counts per shell volume)")
    held = g > 0
    if not np.any(held):
        return
    ratio = counts[held] / (g[held] * shell[held])
    if ratio.max() > ratio.min() * (1.0 + _PROPORTIONAL):
        k = int(np.flatnonzero(held)[np.argmax(np.abs(ratio / np.median(ratio) - 1.0))])
        raise ValueError(
            f"counts are not the histogram behind g: counts / (g × shell volume) ranges from "
            f"{ratio.min():.6g} to {ratio.max():.6g} over the bins (bin {k} the farthest off); g "
            "must be proportional to the counts per shell volume (the same frames, pair and "
            "bins)")


def _whole_mask(values):
    """Which of ``values`` (finite, >= 0) are whole numbers, within the round-off of a count
    summed in floating point."""
    return np.abs(values - np.round(values)) <= 1e-6 * np.maximum(1.0, values)


def _is_whole(values):
    return bool(np.all(_whole_mask(values)))


def _below_bins(edges, below, counts):
    """``below`` as (counts, shell volumes in Å³) of its bins, or ``None`` (checked)."""
    if below is None:
        return None
    if counts is None:
        raise ValueError("below (the pairs closer than the range) needs the counts of the range")
    below = np.atleast_1d(real_array(below, "below"))
    if below.ndim != 1 or below.size < 1 or not np.all(np.isfinite(below) & (below >= 0)):
        raise ValueError("below must be finite pair counts >= 0 (a number or one per bin)")
    # a coordination number (results.cn_below, pairs per cation and frame) given for the
    # pairs counted was accepted: off by the frames times the cations
    if _is_whole(counts) and not _is_whole(below):
        i = int(np.flatnonzero(~_whole_mask(below))[0])
        raise ValueError(
            f"below must be whole pair counts like counts (the pairs counted closer than "
            f"{edges[0]:g} Å over all frames, not a coordination number per ion or an "
            f"average), got {float(below[i]):g}" + (f" at bin {i}" if below.size > 1 else ""))
    if below.size == 1:
        lower = np.array([0.0, edges[0]])
    else:
        lower = np.maximum(edges[0] - (edges[1] - edges[0]) * np.arange(below.size, -1, -1),
                           0.0)
        lower[-1] = edges[0]
        if np.any(np.diff(lower) <= 0):
            raise ValueError(f"below holds {below.size} bins of {edges[1] - edges[0]:g} Å, more "
                             f"than fit between 0 Å and the range's start at {edges[0]:g} Å")
    return below, 4.0 / 3.0 * np.pi * np.diff(lower**3)


#: z-score above which the pairs below a range cannot come from a g(r) that rises to the start
_BELOW_Z = 4.0


def _shell_before_range(edges, counts, sigma, below, volumes):
    """Why a range that starts after the first peak has no first minimum of its own, or ``""``.

    A g(r) that rises from 0 to the start of the range (the range starts before or on the
    rising edge of the first shell) holds, in any volume below the start, at most the pair
    density at the start times that volume. Its density is taken over the bins within σ of
    the start (on a rising edge more than at the start: the bound only loosens) with three
    Poisson sigmas added; pairs below the range beyond that bound by :data:`_BELOW_Z` of
    their Poisson noise, in one bin or all together, lie in a peak closer than the range.
    """
    if edges[0] <= 0.0 or not np.any(below > 0):
        return ""
    centres = 0.5 * (edges[1:] + edges[:-1])
    near = centres <= edges[0] + sigma
    near[0] = True
    n_near = float(counts[near].sum())
    density = (n_near + 1.0 + 3.0 * math.sqrt(n_near + 1.0)) / float(
        4.0 / 3.0 * np.pi * (edges[1:][near][-1] ** 3 - edges[0] ** 3))
    allowed = density * volumes
    excess = (below - allowed) / np.sqrt(allowed + 1.0)
    total = (below.sum() - allowed.sum()) / math.sqrt(allowed.sum() + 1.0)
    if max(float(excess.max()), total) < _BELOW_Z:
        return ""
    return (f"the range starts at {edges[0]:g} Å after a shell: {below.sum():.0f} pairs lie "
            f"closer, more than a g(r) rising to its value at the start allows (at most "
            f"{allowed.sum():.0f}), so the first peak lies before the range and the range's "
            "first minimum is a later shell's; start the range at 0 Å or before the first peak")


#: Richardson factor of the first-minimum correction ``x(σ/2) − c (x(σ) − x(σ/2))``: the
#: smoothed minimum moves with σ between linearly (a shell sharper than σ, c = 1) and
#: quadratically (a wider one, c = 1/3); over shells of width 0.1-0.4 Å, a Li–O-like one and
#: 0.05-0.1 Å bins the extrapolation to σ = 0 left residuals of at most 0.46 of the move with
#: c = 0.8 (−0.58 with c = 1), covered by :data:`_CUTOFF_SYSTEMATIC` times the move.
_RICHARDSON = 0.8
_CUTOFF_SYSTEMATIC = 0.6
#: Poisson resamplings of the counts for the spread of the cutoff and peak: the relative error
#: of a standard deviation from n of them is 1/sqrt(2(n − 1)), 7 % at 100 (5 % at 200, which
#: left the calibration over replicas unchanged and took twice the time)
_N_BOOT = 100
#: Reach in σ of the part of the σ/2 grid smoothed first around the starts of the walks to the
#: σ/2 extrema (a walk moves by about the extremum's move, less than σ); a walk that reaches
#: its end is walked again over the whole search range, with the same result.
_FIRST_PART_SIGMAS = 2.0


def _refined(x, curves, index, sign=1.0, first=0):
    """Sub-grid extremum: the parabola through the grid points around ``index`` (per row).

    ``curves`` holds the grid points from index ``first`` on (a part of the grid ``x``, which
    must include the neighbours of every ``index``).
    """
    step = x[1] - x[0]
    rows = np.arange(curves.shape[0])
    # np.minimum/np.maximum, not np.clip: the same values, without np.clip's Python overhead
    # (hundreds of calls per RDF)
    i = np.minimum(np.maximum(index, 1), x.size - 2)
    left, mid, right = (sign * curves[rows, i + k - first] for k in (-1, 0, 1))
    bend = left - 2 * mid + right
    offset = np.divide(0.5 * (left - right), bend, out=np.zeros_like(bend), where=bend > 0)
    # an extremum at the end of the grid, or not bracketed by its neighbours, stays on its point
    offset = np.where(i == index, np.minimum(np.maximum(offset, -0.5), 0.5), 0.0)
    return x[index] + offset * step


def _located(x, curves, lo, hi, sign=1.0, first=0):
    """Per row of ``curves``: the refined minimum (``sign = 1``; maximum: -1) between grid
    indices ``lo`` and ``hi`` (inclusive), the first of equal ones. ``curves`` holds the grid
    points from index ``first`` on."""
    part = curves[:, lo - first : hi + 1 - first]
    index = lo + (np.argmin(part, axis=1) if sign > 0 else np.argmax(part, axis=1))
    return _refined(x, curves, index, sign, first)


def _walked(values, start):
    """Per row of ``values`` (bounded by +inf in its first and last column): the index reached
    by walking downhill from ``start`` (to the lower neighbour, the left one on a tie) until
    neither neighbour is lower.

    The walk never turns: after a step the point it came from is higher than the one it is on,
    so it goes on in the same direction while the next point there is lower. It stops at the
    first point from ``start`` on whose next point is not lower; found for all rows at once
    (one comparison of the rows) instead of step by step.
    """
    rows = np.arange(values.shape[0])
    here, left, right = (values[rows, start + k] for k in (0, -1, 1))
    to_left = (left < here) & (left <= right)
    to_right = (right < here) & ~to_left
    index = start.copy()
    column = np.arange(values.shape[1] - 1)
    if to_right.any():
        r = np.flatnonzero(to_right)
        # the first point k >= start with values[k + 1] >= values[k] (the +inf bound has one)
        stops = (values[r, 1:] >= values[r, :-1]) & (column >= start[r, None])
        index[r] = np.argmax(stops, axis=1)
    if to_left.any():
        r = np.flatnonzero(to_left)
        # the last point k <= start with values[k - 1] >= values[k], column k - 1 of stops
        stops = (values[r, :-1] >= values[r, 1:]) & (column + 1 <= start[r, None])
        index[r] = values.shape[1] - 1 - np.argmax(stops[:, ::-1], axis=1)
    return index


def _descended(x, curves, lo, hi, start, sign=1.0, first=0, refined=True):
    """Per row: the refined local minimum (maximum: ``sign = -1``) of ``curves`` reached by
    walking downhill from ``start`` (Å), between grid indices ``lo`` and ``hi``: the same
    extremum followed to another smoothing width, not a deeper noise dip nearby. ``curves``
    holds the grid points from index ``first`` on, ``lo - 1`` to ``hi + 1`` where they exist.
    With ``refined=False``: the grid index of each row's extremum instead."""
    rows = curves.shape[0]
    # the rows between lo and hi, each bounded by +inf on both sides: a walk never leaves them
    width = hi - lo + 3
    padded = np.full((rows, width), np.inf)
    np.multiply(curves[:, lo - first : hi + 1 - first], sign, out=padded[:, 1:-1])
    index = np.minimum(np.maximum(
        np.rint((np.asarray(start) - x[0]) / (x[1] - x[0])).astype(np.intp), lo), hi)
    index = _walked(padded, index - lo + 1) + lo - 1
    return _refined(x, curves, index, sign, first) if refined else index


def _smoothed_part(matrix, i0, i1, histograms, squared=False):
    """Grid points ``i0`` to ``i1 - 1`` of the smoothing ``matrix`` (compressed rows) applied
    to ``histograms`` (bins × rows), as (rows × points).

    Each point sums its band in the order of the whole product: the values equal the
    corresponding columns of the whole-grid smoothing bit for bit. The rows are taken from the
    compressed arrays directly and passed to the kernel that scipy's product of a compressed
    matrix and dense columns calls (one column: its matrix-vector kernel, as ``@`` does), the
    same arithmetic: building a scipy matrix for each part and dispatching the product cost
    more than the product (about 0.1 ms of the 0.3 ms of one part; hundreds per RDF).
    With ``squared``, the squared weights (the variance of Poisson counts through the
    smoothing): the products of scipy's elementwise square of the band, which leaves out
    weights whose square is 0 (terms that add nothing).
    """
    indptr = matrix.indptr
    first, last = indptr[i0], indptr[i1]
    band_ptr = indptr[i0 : i1 + 1] - first
    data, indices = matrix.data[first:last], matrix.indices[first:last]
    if squared:
        data = data * data
    rows, n_bins = i1 - i0, matrix.shape[1]
    if _csr_kernels is None or histograms.dtype != np.float64 or histograms.shape[0] != n_bins:
        from scipy.sparse import csr_matrix

        band = csr_matrix((data, indices, band_ptr), shape=(rows, n_bins))
        return np.ascontiguousarray((band @ histograms).T)
    n_vecs = histograms.shape[1]
    if n_vecs == 1:
        out = np.zeros(rows)
        _csr_kernels.csr_matvec(rows, n_bins, band_ptr, indices, data,
                                np.ascontiguousarray(histograms[:, 0]), out)
        return out[None, :]
    out = np.zeros((rows, n_vecs))
    _csr_kernels.csr_matvecs(rows, n_bins, n_vecs, band_ptr, indices, data,
                             np.ascontiguousarray(histograms).ravel(), out.ravel())
    return np.ascontiguousarray(out.T)


try:
    # scipy's compiled sparse kernels (private: where they move, the public product is used)
    from scipy.sparse import _sparsetools as _csr_kernels
except ImportError:  # pragma: no cover
    _csr_kernels = None


def _corrected_positions(edges, g, counts, sigma, x, p1, end, m, n_boot=_N_BOOT):
    """The first minimum extrapolated to no smoothing, the refined first peak, and their errors.

    The smoothing pushes the minimum after a sharp shell outward, by more than its counting
    noise: a shell of width 0.1 Å (exp(−(Δr/0.1 Å)²)) rising again at 2.6 Å has its minimum at
    2.26 Å, at 2.35 Å smoothed with σ = 0.1 Å and 2.43 Å with 0.2 Å. The minimum is taken at σ
    and σ/2 (the σ/2 one within σ of the σ one) and extrapolated to σ = 0 with the Richardson
    factor :data:`_RICHARDSON`; its error is the remaining extrapolation uncertainty,
    :data:`_CUTOFF_SYSTEMATIC` times the move from σ/2 to σ, and the spread of the whole
    procedure over :data:`_N_BOOT` Poisson resamplings of the counts (a fixed seed: the same
    histogram gives the same error), in quadrature. The minimum at σ is kept instead, with
    twice its move to σ/2 (at least twice the move's bootstrap spread) as the smoothing's part
    of the error, without counts (the noise that the extrapolation amplifies unknown), where
    the move is within twice its bootstrap spread, where the σ/2 curve has two minima in the
    trough (a flat one: which of them σ/2 follows is chance) or where the bins are wider than
    σ/2.
    The peak is the refined maximum of the curve at σ; its error
    the move of that maximum from σ/2 to σ and its Poisson spread in quadrature. Pairs counted
    in successive frames are correlated, which the resampling does not see.

    Returns
    -------
    cutoff, cutoff_err, peak, peak_err : float
        Å.
    """
    from scipy.signal import find_peaks

    # only the grid from just before the first peak to just past the end of the search is
    # looked at (an extremum moves by less than σ between σ and σ/2): the resampled curves are
    # smoothed there alone, not over the whole range
    margin = int(np.ceil(2.0 * sigma / (x[1] - x[0]))) + 2
    a, b = max(p1 - 1 - margin, 0), min(end + margin, x.size - 1) + 1
    x = x[a:b]
    p1, end, m = p1 - a, end - a, m - a
    # the histogram and its Poisson resamplings as columns, smoothed by one sparse product per
    # width and part of the grid (row 0 equals the full-grid smoothing bit for bit)
    histograms = g[:, None]
    if counts is not None:
        rng = np.random.default_rng(0)
        per_count = np.divide(g, counts, out=np.zeros_like(g), where=counts > 0)
        histograms = np.empty((g.size, n_boot + 1))
        histograms[:, 0] = g
        np.multiply(rng.poisson(np.broadcast_to(counts, (n_boot, counts.size))).T,
                    per_count[:, None], out=histograms[:, 1:])
    key = edges.tobytes()
    coarse = _smoothing_weights(key, float(sigma), 0.01)[1]
    finer = _smoothing_weights(key, float(0.5 * sigma), 0.01)[1]

    def smoothed(matrix, i0, i1, columns=histograms):
        """Grid points i0..i1 of the window and their neighbours: (first index, curves)."""
        j0 = max(min(i0, x.size - 2) - 1, 0)
        j1 = min(max(i1, 1) + 1, x.size - 1)
        return j0, _smoothed_part(matrix, a + j0, a + j1 + 1, columns)

    # the σ curves between the peak and the end of the search (where the minima are searched)
    first, curves = smoothed(coarse, max(p1 - 1, 0), end)
    s = curves[0]

    def descended_fine(lo, hi, start, sign=1.0, columns=histograms):
        # the σ/2 curves only around the starts (a walk moves by about the extremum's move, less
        # than σ), then everywhere between lo and hi if a walk reached the end of that part
        index = np.minimum(np.maximum(
            np.rint((start - x[0]) / (x[1] - x[0])).astype(np.intp), lo), hi)
        part = int(np.ceil(_FIRST_PART_SIGMAS * sigma / (x[1] - x[0]))) + 2
        i0, i1 = max(int(index.min()) - part, lo), min(int(index.max()) + part, hi)
        while True:
            j0, fines = smoothed(finer, i0, i1, columns)
            reached = _descended(x, fines, i0, i1, start, sign, j0, refined=False)
            if (i0 == lo or reached.min() > i0) and (i1 == hi or reached.max() < i1):
                return _refined(x, fines, reached, sign, j0)
            i0, i1 = lo, hi

    # each resampling finds its own minimum at σ, as the search does, then tracks it to σ/2
    at_sigma = _located(x, curves, p1, end, first=first)
    at_half = descended_fine(p1, end, at_sigma)
    # a flat trough whose σ/2 curve holds two minima (where the σ curve lies within a quarter of
    # the depth of its minimum): which one σ/2 follows is chance, and the extrapolation would
    # double the jump; nor is σ/2 resolved by bins wider than it. Kept at σ, 2 × the move as error
    low = s[m - first] + 0.25 * (s[p1 - first] - s[m - first])
    below = np.flatnonzero(s[p1 + 1 - first : end - first] >= low) + p1 + 1
    # the run of points below `low` around m, within (p1, end)
    lo = int(below[below < m].max()) + 1 if np.any(below < m) else min(p1 + 1, m)
    hi = int(below[below > m].min()) - 1 if np.any(below > m) else max(end - 1, m)
    fine = _smoothed_part(finer, a + lo, a + hi + 1, histograms[:, :1])[0]
    # dips of at least 1 % of the depth: the counting noise of a flat trough makes smaller ones
    dips = find_peaks(-fine, prominence=0.01 * (s[p1 - first] - s[m - first]))[0].size
    resolved = 0.5 * sigma >= float(np.diff(edges).max()) * (1 - 1e-9)
    rows = curves.shape[0]
    # without counts the noise that the extrapolation amplifies (by 1 + c) is not measured;
    # a move within twice its own counting noise is no shift to correct
    move = at_sigma - at_half
    move_noise = float(np.std(move[1:], ddof=1)) if rows > 2 else 0.0
    clear = rows > 2 and abs(move[0]) > 2.0 * move_noise
    factor = _RICHARDSON if dips <= 1 and resolved and clear else 0.0
    # x(σ/2) − c (x(σ) − x(σ/2)); without the correction, the minimum at σ
    cutoff = at_sigma - (1.0 + factor) * move if factor > 0 else at_sigma
    peak = _located(x, curves, max(p1 - 1, 0), min(p1 + 1, x.size - 1), sign=-1.0, first=first)
    # the peak's move to σ/2 enters its error for the histogram itself only (its spread is
    # that of the σ maxima): the resampled σ/2 curves around the peaks are not needed
    peak_move = peak[0] - descended_fine(0, x.size - 1, peak[:1], sign=-1.0,
                                         columns=histograms[:, :1])[0]
    spread_c = float(np.std(cutoff[1:], ddof=1)) if rows > 2 else 0.0
    spread_p = float(np.std(peak[1:], ddof=1)) if rows > 2 else 0.0
    if factor > 0:
        systematic = _CUTOFF_SYSTEMATIC * abs(move[0])
    elif rows > 2 and resolved and dips <= 1:
        # a move within twice its counting noise in a trough of one dip: the smoothing's shift
        # (1 + c times the true move) is that move, known to within its noise. Before, twice
        # the larger of the move and twice its noise (4 noise sigmas at least, the noise that
        # the bootstrap spread already holds counted again): loose Li⁺ shells' cutoffs, and the
        # coordination numbers counted with them, had errors too wide (coverage 1.0, median
        # |z| 0.36 over 191 replicas, now 0.40; the rest is the trough's reach). Two dips keep
        # the wider term: which one σ/2 follows is chance, the move no measure of the shift
        systematic = (1.0 + _RICHARDSON) * math.hypot(move[0], move_noise)
    else:
        # without counts the noise is unknown; bins wider than σ/2 do not resolve the move
        systematic = 2.0 * max(abs(move[0]), 2.0 * move_noise)
    cutoff_err = math.hypot(systematic, spread_c)
    peak_err = math.hypot(2.0 * peak_move, spread_p)
    spread = _located_spread(factor, move[0], spread_c, cutoff_err, rows > 2 and resolved,
                             move_noise)
    return float(cutoff[0]), float(cutoff_err), float(peak[0]), float(peak_err), spread


def _located_spread(factor, move, spread, cutoff_err, measured, move_noise=0.0):
    """One-sigma scatter of a located minimum over repeated runs (Å): its Poisson ``spread``
    ⊕ the smoothing's shift, the extrapolation's residual where it was extrapolated
    (``factor`` > 0), else ``(1 + c)`` times the ``move`` from σ to σ/2 shrunk by its
    counting noise ``move_noise``: ``|move| · move² / (move² + noise²)``.

    ``cutoff_err`` counts the move's noise again beside the Poisson spread that already holds
    it, and four noise sigmas where the σ/2 curve has two dips; it is kept where the noise was
    not ``measured`` (no counts, or bins wider than σ/2). Over 40 replicas each of loose Li⁺
    shells (Poisson(2) and Poisson(4) molecules at 2 Å over a uniform background, 60-100
    frames) the cutoffs scattered 0.14-0.18 Å where ``cutoff_err`` said 0.34 Å, and the
    coordination numbers counted with them covered the true one at one sigma in 0.95-1.0
    of replicas (median absolute z 0.37-0.45); with the whole move beside the spread
    0.68-0.80 (median absolute z 0.54-0.67).

    Where the move is not clear of its noise (the case without extrapolation) it is mostly
    that noise, which the Poisson spread already holds: (1 + c)·|move| whole (0.11-0.14 Å
    beside a Poisson spread of 0.13-0.16 Å) made the scatter 0.20 Å where the cutoffs of 40
    replicas of loose shells lay 0.15-0.18 Å (root mean square) from the true minimum. Over
    900 Poisson histograms of loose shells (``tests/test_struct24_cutoff_spread.py``) the
    cutoffs lay within one scatter of the true minimum in 0.78 of them with the whole move,
    0.66 shrunk (0.63 with the noise subtracted in quadrature), and the coordination numbers
    counted with them covered the true count in 0.80 → 0.66.
    """
    if factor > 0:
        return float(cutoff_err)
    if not measured:
        return float(cutoff_err)
    # the move weighted by its signal's share of its power (Wiener's weight move² / (move² +
    # noise²)): a move within its noise counts for little, a clear one nearly whole
    power = move * move + move_noise * move_noise
    shift = abs(move) * move * move / power if power > 0 else 0.0
    return float(min(math.hypot((1.0 + _RICHARDSON) * shift, spread), cutoff_err))


def bond_indices(universe):
    """The topology's bonds as an ``(n_bonds, 2)`` index array (empty without bonds).

    The rows of ``universe.bonds.indices`` (each bond once, ``i < j``, sorted), read from the
    topology's list of bonds: ``universe.bonds`` builds a group of bond objects first (about
    0.02-0.05 s for a 7000-atom electrolyte, ten times this). Call it once per analysis and
    pass the array on.

    Raises
    ------
    TypeError
        ``universe`` not an MDAnalysis Universe (``None`` or an AtomGroup gave ``[]``, "no
        bonds", without a word).
    """
    from MDAnalysis import Universe
    from MDAnalysis.exceptions import NoDataError

    if not isinstance(universe, Universe):
        hint = " (give its .universe)" if hasattr(universe, "universe") else ""
        raise TypeError(f"bond_indices needs an MDAnalysis Universe, not "
                        f"{type(universe).__name__}{hint}")
    values = getattr(getattr(getattr(universe, "_topology", None), "bonds", None), "values", None)
    # the list MDAnalysis keeps, each bond as (i, j) with i < j; a bond listed twice (which the
    # group would merge) takes the public path
    if isinstance(values, list) and len(set(values)) == len(values):
        if not values:
            return np.zeros((0, 2), dtype=np.intp)
        # from the flat sequence of indices: np.array of a list of 7000 tuples took 1-2 ms
        indices = np.fromiter(itertools.chain.from_iterable(values), dtype=np.intp,
                              count=2 * len(values)).reshape(-1, 2)
        return indices[np.lexsort((indices[:, 1], indices[:, 0]))]
    try:
        bonds = universe.bonds
    except (NoDataError, AttributeError):
        return np.zeros((0, 2), dtype=np.intp)
    if len(bonds) == 0:
        return np.zeros((0, 2), dtype=np.intp)
    return np.asarray(bonds.indices, dtype=np.intp).reshape(-1, 2)


def donor_atoms(group, preset="ju2025", bonds=None):
    """The donor atoms of a species under a preset, found from the bonds.

    An oxygen is a donor when it is bonded to a carbon (carbonyl or ether oxygen), a phosphorus
    when it is the centre of an anion (four or more bonds, PF6⁻).

    Parameters
    ----------
    group : MDAnalysis.core.groups.AtomGroup
        Atoms of one species; needs ``elements`` and ``bonds`` unless it is a single atom.
    preset : str
        Key of :data:`DONOR_PRESETS`.
    bonds : numpy.ndarray, shape (n_bonds, 2), optional
        The Universe's bonds (:func:`bond_indices`), when the caller has them already.

    Returns
    -------
    donors : AtomGroup
    cutoff : float
        The preset's cutoff for these donors, Å.

    Raises
    ------
    ValueError
        When the species has no donor atom under the preset, or donors of two elements with
        different cutoffs (one cutoff per species); ``bonds`` that are not pairs of distinct
        atom indices of the Universe.
    TypeError
        ``group`` not an AtomGroup.
    """
    if not hasattr(group, "universe") or not hasattr(group, "ix"):
        raise TypeError(f"group must be an AtomGroup (the atoms of one species), not "
                        f"{type(group).__name__}")
    preset = choice_word("preset", preset, tuple(DONOR_PRESETS))
    cutoffs = DONOR_PRESETS[preset]
    universe = group.universe
    n = universe.atoms.n_atoms
    # bonds given by the caller are checked as oxygen_types checks them: an index beyond the
    # Universe was an IndexError, a bond listed in both directions counted twice towards the
    # four bonds of an anion's centre, (n, 3) rows with bond orders a broadcasting error
    bonds = bond_indices(universe) if bonds is None else _bond_pairs(bonds, n)
    ends = np.concatenate([bonds, bonds[:, ::-1]])
    degree = np.bincount(ends[:, 0], minlength=n)
    # 'CL' is chlorine and 'LI' lithium, whatever the case (atom_categories.element_symbols)
    is_c = element_symbols(universe.atoms.elements) == "C"
    carbons = np.bincount(ends[:, 0], weights=is_c[ends[:, 1]], minlength=n)
    elements = element_symbols(group.elements)
    ix = group.ix
    keep = ((elements == "O") & (carbons[ix] > 0)) | ((elements == "P") & (degree[ix] >= 4))
    keep &= np.isin(elements, list(cutoffs))
    chosen = ix[keep]
    donors = group.universe.atoms[np.array(chosen, dtype=np.intp)]
    elements = sorted(set(element_symbols(donors.elements)))
    if not elements:
        raise ValueError(
            f"no donor atoms under the {preset} convention (bonded O of solvents, P at the centre "
            f"of an anion, from the topology's bonds) among {sorted(set(group.elements))}")
    values = {cutoffs[e] for e in elements}
    if len(values) > 1:
        raise ValueError(f"donors of elements {elements} have different preset cutoffs")
    return donors, values.pop()
