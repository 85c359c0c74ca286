"""Intra- and intermolecular partial radial distribution functions of many pairs in one pass.

Magdău et al. (2023, npj Comput. Mater., §2.4): for every pair of atom sets (a, b), with
h_ij = 1 when atoms i and j belong to the same molecule,

    g_intra^ab(r) = V / (4π r² N_ab) ⟨Σ_i∈a Σ_j∈b h_ij δ(r − r_ij)⟩,
    g_inter^ab(r) = the same with (1 − h_ij),

and g_total = g_intra + g_inter is the ordinary partial RDF. One neighbour search over all atoms per
frame (a compiled cell-list pass of :mod:`mda_electrolyte.pair_histogram`, or
:class:`vesin.NeighborList`) serves every pair: the pairs within the largest distance are found
once, labelled by the
*class* of their two atoms (the set of selections an atom belongs to), by intra/inter and by
distance bin, and counted with :func:`numpy.bincount`; the per-pair histograms are then linear
combinations of the class-pair histograms.

Normalisation follows :class:`MDAnalysis.analysis.rdf.InterRDF` exactly (``norm="rdf"``):
ordered pairs are counted, the pair density is ``N_a N_b / ⟨V⟩`` with the box volume averaged over
the analysed frames, so ``total`` equals ``InterRDF(a, b)`` and ``inter`` equals
``InterRDF(a, b, exclude_same="residue")`` bin by bin, except for the rare distances within
single-precision rounding (about 1e-6 Å) of a bin edge: distances here are computed in double
precision from the trajectory's coordinates, MDAnalysis subtracts them in single precision. The
one deliberate difference: an atom is not paired with itself. ``InterRDF(g, g)`` counts every
atom of ``g`` at r = 0 in the first bin when the range starts at 0; here that bin holds only real
pairs.
"""

from __future__ import annotations

import itertools
import math
from typing import NamedTuple

import numpy as np
from MDAnalysis.analysis.results import ResultsGroup
from MDAnalysis.lib.mdamath import box_volume, triclinic_vectors
from scipy.special import ndtr

from ase_electrolyte.atomic_file import save_figure
from ase_electrolyte.atoms_checks import check_number
from ase_electrolyte.estimate import METHODS, Estimate, mark_not_valid, propagated_dof
from ase_electrolyte.neighbour_pairs import pairs_within
from ase_electrolyte.option_words import choice_word
from mda_electrolyte import frame_estimates as _frame_estimates
from mda_electrolyte.analysis_base import (
    BOX_ROUNDING,
    FrameAnalysis,
    check_atomgroup,
    check_coordinate_precision,
    check_range,
    check_static_selection,
    frame_boxes,
    half_box_width,
    kept_frame,
    names_errors,
    reduced_box,
    require_results,
    trajectory_boxes,
)
from mda_electrolyte.atom_categories import _written_case_hint, element_symbols
from mda_electrolyte.frame_estimates import _n_blocks
from mda_electrolyte.molecules import molecule_ids
from mda_electrolyte.pair_histogram import pair_histogram_kernel
from mda_electrolyte.plotting import count_argument, draws_user_text
from mda_electrolyte.report import mark_invalid, register_analysis
from mda_electrolyte.shell_cutoffs import check_smoothable, first_minimum
from mda_electrolyte.uncertainty import (
    _larger_inefficiency,
    jackknife_error,
    mean_error,
    real_array,
    timeseries_mean,
)

__all__ = ["IntraInterRDF", "CATION_ELEMENTS", "MIN_PEAK_PAIRS", "PEAK_HALF_WIDTH", "PeakTop",
           "peak_top", "DEFAULT_BIN_WIDTH", "MIN_PAIR_DISTANCE"]

#: Bin width in Å of :class:`IntraInterRDF` where ``nbins`` is not given (the range in bins of
#: at most this width). The first Li–O, Na–O peaks of carbonate electrolytes are Gaussians of
#: σ ≈ 0.06-0.1 Å: their heights need σ of at least a bin (:func:`peak_top`), which bins of
#: 0.1 Å (80 over 8 Å, the earlier default, as MDAnalysis' InterRDF's 75) refused as "too
#: coarse"; the CLI's report used 0.05 Å already.
DEFAULT_BIN_WIDTH = 0.05


# pairs handled per numpy pass: the working arrays of a chunk stay in the CPU cache, which
# makes the histogram passes about 1.5x faster than whole-frame arrays
_CHUNK = 32768

# histograms of one analysis beyond this are a mistaken nbins, not a resolution anyone needs
_MAX_HISTOGRAM_BYTES = 2**30
# the most blocks of frames a run is counted in (frame_estimates: 5, from 50 frames on 10)
_MAX_BLOCKS = 10
# the most segments of frames (each block cut into equal parts, one frame each for short runs)
# whose g(r) series shows correlation between blocks, and the bytes their histograms may take
_MAX_SEGMENTS = 200
_SEGMENT_BYTES = 2**28
# radial bands (groups of bins) whose segment series measure the correlation
_BANDS = 8
# fewest independent segments per block for a g(r) whose block error is valid
_PER_BLOCK = 2.0
# fewest segments per block for the correlation to be measured at all
_MIN_SEGMENTS_PER_BLOCK = 4
# most bins counted below a range that starts after 0 Å (beyond the range's own number)
_MAX_LOWER_BINS = 1000

#: Fewest pairs counted in g(r)'s highest bin for its height to be a result: below it the
#: bin's counts are far from normal (a counting error above 45 %) and the block error is no
#: calibrated error bar of the highest of such bins.
MIN_PEAK_PAIRS = 5

#: Closest approach (Å) of two atoms in a frame of a liquid: no bond is shorter (H₂, 0.74 Å), so
#: closer pairs are overlapping atoms (a broken or badly wrapped frame, a duplicated atom). The
#: volume scans' bound too (:data:`mda_electrolyte.volume_scan.MIN_SCAN_DISTANCE`). The shell
#: analyses' first-minimum search does not see such pairs (a few of them in bins of a few
#: thousandths of an Å³ were taken for a "first peak" at 0.3-0.4 Å beside a clear shell at
#: 2 Å); they are counted, and judged by how many they are (:func:`_overlap_verdict`): more
#: than the first shell's counting noise, or (no shell) more than chance puts that close,
#: refuses the shell naming the pairs and frames; fewer are named in a note. An ideal gas's
#: chance pairs are nothing to say.
MIN_PAIR_DISTANCE = 0.5

#: Frames per run (per parallel part) whose overlapping pairs are kept to be named.
_MAX_CLOSE_FRAMES = 5


def _describe_close_pairs(atoms, frame, first, second, distances, shown=3):
    """The pairs closer than :data:`MIN_PAIR_DISTANCE` among ``(first, second)`` of one frame,
    in words (``""`` if none): the closest ``shown`` of them with their atoms' element (or
    name) and index in the Universe and their distance.

    Parameters
    ----------
    atoms : MDAnalysis.AtomGroup
        The atoms that ``first`` and ``second`` index.
    frame : int
        The trajectory frame of the pairs.
    first, second : numpy.ndarray of int
        The pairs' atoms, as positions in ``atoms``.
    distances : numpy.ndarray
        Their distances in Å.
    shown : int
        Most pairs named.

    Returns
    -------
    str
        E.g. ``"frame 7: Li 0-N 8 at 0.23 Å"``.
    """
    distances = np.asarray(distances, dtype=np.float64)
    close = np.flatnonzero(distances < MIN_PAIR_DISTANCE)
    if not close.size:
        return ""
    close = close[np.argsort(distances[close], kind="stable")]
    # the element where the topology has one, else the name
    names = np.full(atoms.n_atoms, "atom", dtype=object)
    for attr in ("names", "elements"):
        if hasattr(atoms, attr):
            values = np.asarray(getattr(atoms, attr), dtype=object)
            names = np.where(values != "", values, names)
    index = atoms.indices
    text = ", ".join(f"{names[first[k]]} {index[first[k]]}-{names[second[k]]} "
                     f"{index[second[k]]} at {distances[k]:.3g} Å" for k in close[:shown])
    more = f" and {close.size - shown} more" if close.size > shown else ""
    return f"frame {frame}: {text}{more}"


def _without_overlaps(edges, g, counts=None, below=None):
    """``g``, ``counts`` and ``below`` (:func:`~mda_electrolyte.shell_cutoffs.first_minimum`'s
    arguments) with the pairs closer than :data:`MIN_PAIR_DISTANCE` left out: the bins that
    lie wholly closer, and every pair below a range that starts closer.

    No shell lies that close, and a handful of such pairs in bins of a few thousandths of an
    Å³ made a "first peak" at 0.3-0.4 Å that the search took for the first shell (5 of 40
    loose shells at 2 Å over a uniform background were refused for it): the search for the
    first shell sees only the pairs that can be one. The pairs themselves are judged by
    :func:`_overlap_verdict`.
    """
    edges = np.asarray(edges, dtype=np.float64)
    close = edges[1:] <= MIN_PAIR_DISTANCE * (1.0 + 1e-12)
    g = np.where(close, 0.0, np.asarray(g, dtype=np.float64))
    if counts is not None:
        counts = np.where(close, 0.0, np.asarray(counts, dtype=np.float64))
    if below is not None and edges[0] <= MIN_PAIR_DISTANCE:
        below = np.zeros_like(np.asarray(below, dtype=np.float64))
        below = float(below) if below.ndim == 0 else below
    return g, counts, below


def _overlap_verdict(n_close, frames_with, n_frames, shell_pairs, chance, described):
    """What the pairs closer than :data:`MIN_PAIR_DISTANCE` (overlapping atoms) do to a first
    shell, as ``(material, text)``; ``(False, "")`` where there are none or they say nothing.

    Such pairs are counted in the first shell (its running count starts at 0 Å), but the
    first-minimum search does not see them (:func:`_without_overlaps`). They are *material*,
    and every number of the shell not valid, where

    - a shell was found (``shell_pairs``, the pairs within its first minimum) and they are
      more than its Poisson counting noise, ``n_close > √shell_pairs``: they move its count by
      more than an error bar (duplicated atoms in every frame, a garbled frame; not one pair
      in one frame of many, nor the 40-60 pairs that a uniform background of 0.0775 Å⁻³
      puts within 0.5 Å of 8 Li⁺ over 120 frames beside a shell of 12 000 pairs);
    - no shell was found and they are more than chance puts there: at least
      :data:`MIN_PEAK_PAIRS` and above ``chance + 3·√chance`` (``chance``: the pairs an ideal
      gas of the same density has that close), a peak of overlapping atoms where the first
      shell should be. An ideal gas has its chance pairs and no shell: nothing is said of them.

    Otherwise a found shell carries a note that names them (``material`` False).

    Parameters
    ----------
    n_close : float
        Pairs closer than :data:`MIN_PAIR_DISTANCE`, summed over the frames (counted as the
        shell's pairs are).
    frames_with, n_frames : int
        Frames that hold such pairs, and frames analysed.
    shell_pairs : float or None
        Pairs within the first minimum (``None``: no first minimum was found).
    chance : float
        Pairs an ideal gas of the same density puts closer than :data:`MIN_PAIR_DISTANCE` in
        those frames: ``n_frames · n_a · ρ_b · 4π/3 · MIN_PAIR_DISTANCE³``.
    described : list of str
        :func:`_describe_close_pairs` of some of the frames.
    """
    if not n_close > 0:
        return False, ""
    named = "; ".join(d for d in described if d)
    named = f" ({named}; atom indices of the Universe)" if named else ""
    head = (f"{n_close:.0f} pair(s) of atoms closer than {MIN_PAIR_DISTANCE} Å in {frames_with} "
            f"of {n_frames} frames{named}")
    fix = ("overlapping atoms (no bond is that short: broken or badly wrapped frames, "
           "duplicated atoms); fix or leave out those frames")
    if shell_pairs is not None:
        noise = math.sqrt(max(float(shell_pairs), 0.0))
        if n_close > noise:
            return True, (f"{head}: {n_close:.0f} of the first shell's {shell_pairs:.0f} pairs, "
                          f"more than its counting noise (√{shell_pairs:.0f} = {noise:.3g}): "
                          f"{fix}")
        return False, (f"{head}: counted in the first shell, fewer than its counting noise "
                       f"(√{shell_pairs:.0f} = {noise:.3g} of {shell_pairs:.0f} pairs)")
    if n_close >= MIN_PEAK_PAIRS and n_close > chance + 3.0 * math.sqrt(chance):
        return True, (f"{head}, where an ideal gas of the same density has {chance:.3g}: a "
                      f"peak of {fix}")
    return False, ""


def _with_doubts(estimate, notes):
    """``estimate`` not valid, with ``notes`` added, where there are any."""
    for note in notes:
        estimate = estimate.with_notes(note, converged=False)
    return estimate


def _frames_inefficiency(series, what="the series of frames"):
    """``(error, g)``: the error of the mean of a series of frames (or segments of frames) and
    its statistical inefficiency ``g``, as :class:`IntraInterRDF` measures its frames'
    correlation: the larger of pymbar's two estimates
    (:func:`~mda_electrolyte.uncertainty.timeseries_mean`,
    :func:`~mda_electrolyte.uncertainty._larger_inefficiency`), the series counting as
    ``N / g`` independent ones. :class:`~mda_electrolyte.solvation.SolvationShells` reads
    its frames' correlation the same way."""
    _, err, g = timeseries_mean(series, what=what)
    return _larger_inefficiency(series, err, g)


def _correlation_too_short(n_segments, n_blocks, n_independent):
    """The "too short" note (as a tuple) of ``n_segments`` segments of frames in ``n_blocks``
    blocks holding ``n_independent`` independent segments (NaN: not measured), else ``()``.

    Fewer than :data:`_MIN_SEGMENTS_PER_BLOCK` segments per block: whether consecutive frames
    are correlated is not seen (over random-walk gases (0.3 Å steps) of 10-15 frames the bins'
    95 % intervals covered 0.86-0.88 of the true g, of independent frames 0.95, alike). Fewer
    than :data:`_PER_BLOCK` independent segments per block: blocks shorter than that many
    correlation times are correlated, and their error is not calibrated even widened. Not
    measured for want of pairs: nothing to refuse on. A count measured however few the
    segments (frames that are one configuration repeated, 1) gives its own note."""
    need = _PER_BLOCK * n_blocks
    # a count known however few the segments (frames that are one configuration: 1) is said
    # as it is, not as "not measured"
    if np.isfinite(n_independent) and n_independent < need:
        return (f"too short: {n_independent:.1f} independent segments of frames (need "
                f"{need:g}, {_PER_BLOCK:g} per block); the blocks of frames are correlated",)
    if n_segments < _MIN_SEGMENTS_PER_BLOCK * n_blocks:
        return (f"too short: correlation not measured ({n_segments} segments of frames in "
                f"{n_blocks} blocks; it needs {_MIN_SEGMENTS_PER_BLOCK} per block, from "
                f"{_MIN_SEGMENTS_PER_BLOCK * n_blocks} frames)",)
    return ()


def _selected_frame_indices(sliced):
    """The trajectory frame indices of AnalysisBase's sliced trajectory (a slice or indices)."""
    frames = getattr(sliced, "frames", None)
    if frames is not None:
        return np.asarray(frames, dtype=np.intp)
    every = np.arange(sliced.trajectory.n_frames)
    if hasattr(sliced, "step"):
        # the range FrameIteratorSliced iterates (its stop -1 of a backward slice is no end)
        return np.arange(sliced.start, sliced.stop, sliced.step) if sliced.stop >= 0 or (
            sliced.step > 0) else np.arange(sliced.start, -1, sliced.step)
    return every


def _check_boxes_before_pass(trajectory, frames, r_max, who, refusal):
    """Refuse, before any frame is analysed, the first of ``frames`` whose box is narrower than
    twice ``r_max`` (Å).

    The boxes come from :func:`~mda_electrolyte.analysis_base.frame_boxes`: without the
    coordinates in memory and H5MD, by reading every frame otherwise, which costs little
    beside the pass: a 7000-atom XTC of 100 frames read in 0.28 ms per frame (CPU), against
    29 ms per frame for the 8 Å RDF and 21 ms for the shells. ``refusal(frame, half_width)``
    gives the ValueError the pass raises at that frame (the same message); ``who`` names the
    analysis for a frame without a box.

    Returns
    -------
    bool
        Whether the box volume differs between the frames (an NPT run), so that each frame's
        pairs must be normalised by that frame's own volume.
    """
    read, boxes, _ = frame_boxes(trajectory, frames)
    if read.size == 0:
        return False
    # each distinct box once, in frame order (an NVT run: one)
    _, first = np.unique(boxes, axis=0, return_index=True)
    for k in np.sort(first):
        box = None if np.all(boxes[k, :3] == 0) else boxes[k]
        half = half_box_width(reduced_box(box), who, int(read[k]))
        if r_max > half * BOX_ROUNDING:
            raise refusal(int(read[k]), half)
    return len({float(box_volume(boxes[k])) for k in first}) > 1


#: Elements that are the centre of element-pair keys (cations first, then alphabetical order).
CATION_ELEMENTS = ("Li", "Na", "K", "Rb", "Cs", "Mg", "Ca", "Zn", "Al")


#: Fewest bin widths in the width σ of the Gaussian behind a peak whose height is a result.
#: The binning of a Gaussian is undone exactly (:func:`peak_top`), but a peak on a baseline is
#: no Gaussian in ln g: over a peak of 10 on a baseline of 1 the heights came out 0.2-1 % low
#: at σ of 1 bin, 0.4-2.5 % at 0.8, 2-8 % at 0.6 (depending on where the top lies in its bin).
_MIN_PEAK_WIDTH = 1.0

# fixed-point steps from the binned fit to the Gaussian behind it (3: the height of a Gaussian
# of width 0.7 bins to 1e-4 wherever its top lies in the bin)
_BINNING_STEPS = 3

# error bars by which a peak must rise above the ideal gas's level (1) to be one
_PEAK_SIGNIFICANCE = 3.0

#: Most bins on each side of g(r)'s highest bin that :func:`peak_top` fits.
PEAK_HALF_WIDTH = 8

# the fitted bins are those above this fraction of the highest bin's rise over the base (and
# one on each side at least): ln g of a Gaussian above 1 curves less than a parabola away from
# its top, which read broad tops 0.3-0.6 % low over the bins above half the rise, 0.1 % over
# those above three quarters
_PEAK_WINDOW_LEVEL = 0.75

# the narrower Gaussian above 1 whose top is undone from the same bins (in bin widths): the
# fixed-point steps recover the height of one 0.5 bins wide to 1e-3
_NARROWEST_ABOVE_BASE = 0.5

_PEAK_METHOD = ("Gaussian fitted to the top of the highest peak, binning corrected; t-scaled "
                "jackknife over {n} contiguous blocks (the fit and its bins repeated without "
                "each block), the height's combined with the fit's resolution (half the "
                "difference between a Gaussian above 0 and one above 1)")


class PeakTop(NamedTuple):
    """The top of g(r)'s highest peak (:func:`peak_top`).

    Examples
    --------
    Bins of 0.05 Å over a Gaussian peak of height 10 and width 0.05 Å at 2.01 Å: the highest
    bin reads 9.2, the fit gives back the peak within its resolution (three bins cannot tell
    this peak from a narrower Gaussian above g = 1).

    >>> import numpy as np
    >>> from scipy.special import ndtr
    >>> from mda_electrolyte.rdf import peak_top
    >>> edges = np.linspace(1.0, 3.0, 41)
    >>> g = 10 * 0.05 * np.sqrt(2 * np.pi) * np.diff(ndtr((edges - 2.01) / 0.05)) / 0.05
    >>> top = peak_top(0.5 * (edges[1:] + edges[:-1]), g, np.full(40, 1000))
    >>> round(float(g.max()), 1), round(top.height, 2), round(top.resolution, 2)
    (9.2, 10.04, 0.04)
    >>> round(top.position, 3)
    2.01
    """

    #: peak height of g(r) (dimensionless), None where there is no peak top to fit
    height: float | None
    #: its position in Å (None likewise)
    position: float | None
    #: the width σ in Å of the Gaussian fitted to its top (None likewise)
    width: float | None
    #: the level the peak rises from: the ideal gas's 1, or 0 for a peak not above it
    base: float | None
    #: why there is no peak top ("" where there is one)
    reason: str
    #: half the difference between the tops of a Gaussian above 0 and one above 1 fitted to
    #: the same bins (the resolution of ``height``, dimensionless; 0 for a peak below 1)
    resolution: float = 0.0


def _default_nbins(r_min, r_max):
    """Bins of at most :data:`DEFAULT_BIN_WIDTH` over ``(r_min, r_max)`` (Å), at least one.

    A range that is a whole number of widths gives exactly that width (0-8 Å: 160 bins),
    within rounding of the quotient."""
    return max(1, math.ceil((r_max - r_min) / DEFAULT_BIN_WIDTH * (1.0 - 1e-9)))


def peak_top(centres, g, counts, min_pairs=None):
    r"""Height and position of g(r)'s highest peak from a Gaussian fitted to its top.

    The highest bin of a histogram is no estimate of a peak's height: of bins equal within
    noise the highest is chosen (biased upwards, by about two bin errors on a flat top), and a
    bin averages g over its width (below a sharp peak: 15.2 for a Li–O-like peak of width
    0.08 Å in 0.1 Å bins, whose highest bin reads 12.8). Here :math:`\ln g` is fitted by a
    parabola (a Gaussian peak, weighted by the pairs counted in each bin) over the bins around
    the highest one that lie above three quarters of its rise over the ideal-gas level (g = 1,
    or 0 for a peak that does not rise above it), one to :data:`PEAK_HALF_WIDTH` on each side.
    Its vertex is the top, the binning undone by finding the Gaussian whose exact bin averages
    give the same fit. A peak above 1 is fitted twice, as a Gaussian above 0 (a first shell
    rising from g = 0) and as one above 1 (:math:`\ln(g - 1)`: pairs over uncorrelated ones,
    as a solvent's broad peaks): each reads the other's top 0.1-2 % off, and the bins of a top
    cannot tell them apart, so the height is their mean and ``resolution`` half their
    difference (the truth lay within it for both, and for both skewed by
    :math:`1/r^2`).

    Parameters
    ----------
    centres : numpy.ndarray, shape (nbins,)
        Bin centres in Å (equal bins).
    g : numpy.ndarray, shape (nbins,)
    counts : numpy.ndarray, shape (nbins,)
        Pairs counted in each bin (the weights of the fit).
    min_pairs : int, optional
        Fewest pairs in the highest bin (default :data:`MIN_PEAK_PAIRS`): bins with fewer are
        passed over (a pair or two at 0.1 Å, in a shell of 0.01 Å³, read as g of hundreds).

    Returns
    -------
    PeakTop
        ``resolution`` is part of the height's uncertainty (dimensionless, 0 where the peak
        is below 1 or a Gaussian above 1 cannot give its bins).
        ``height`` None, with the ``reason``, where g is highest in the first or last bin of
        the range, a bin next to the highest holds no pair, the fitted top is not curved
        down within the fitted bins, or the peak is narrower than a bin ("too coarse").

    Raises
    ------
    ValueError
        Arrays of different lengths, values that are not real numbers (flags, text, complex)
        or not finite, negative counts, g or bin centres below 0, a ``min_pairs`` that is no
        finite number >= 0, or bins not equal and increasing.
    """
    # a NaN threshold passed over every bin ("no bin holds nan pairs"), a negative count was
    # read as a bin below it: both named here
    min_pairs = check_number("peak_top: min_pairs", min_pairs, minimum=0.0, allow_none=True)
    # real numbers only: a mask of flags (g > 2) was fitted as g of 0 and 1, text bin centres
    # were converted, complex g lost its imaginary part with only a warning
    centres, g, counts = (real_array(a, f"peak_top: {name}") for a, name in
                          ((centres, "centres (Å)"), (g, "g"), (counts, "counts")))
    if not (centres.ndim == 1 and g.shape == centres.shape == counts.shape):
        raise ValueError(f"peak_top: centres, g and counts must be 1-D of one length, got "
                         f"shapes {centres.shape}, {g.shape} and {counts.shape}")
    steps = np.diff(centres)
    # single-precision centres (np.float32 bins) round to ~1e-7 of their size: equal bins
    # of 0.05 Å up to 8 Å differed by 1e-6 Å and were refused as unequal
    rounding = 4.0 * float(np.finfo(np.float32).eps) * float(np.max(np.abs(centres),
                                                                    initial=0.0))
    if not (np.all(np.isfinite(g)) and np.all(np.isfinite(counts))
            and np.all(np.isfinite(centres))
            and (steps.size == 0 or (steps[0] > 0 and np.all(
                # np.allclose(steps, steps[0], rtol=1e-6) of finite steps, without its
                # overhead (a quarter of a fit; 88 fits per RDF of 28 pairs)
                np.abs(steps - steps[0]) <= 1e-8 + 1e-6 * abs(steps[0]) + rounding)))):
        # a NaN bin would be taken for the highest, and unequal bins for equal ones
        raise ValueError("peak_top: g and counts must be finite and the bins equal and "
                         "increasing")
    if np.any(counts < 0):
        raise ValueError(f"peak_top: counts must be pair counts >= 0, got {counts.min():g}")
    # a g(r) below 0 or a bin centred below 0 Å is no RDF: -g was searched for a "peak" and
    # refused as "a bin next to the highest holds no pair", centres 5 Å too low gave a top
    # at -3 Å
    if np.any(g < 0):
        raise ValueError(f"peak_top: g must be >= 0 (an RDF), got {g.min():g}")
    if centres.size and centres[0] < 0:
        raise ValueError(f"peak_top: bin centres must be distances >= 0 Å, got {centres[0]:g}")
    return _peak_top(centres, g, counts, MIN_PEAK_PAIRS if min_pairs is None else min_pairs)


def _peak_top(centres, g, counts, min_pairs):
    """:func:`peak_top` of checked float64 arrays."""
    n = g.size
    counted = counts >= min_pairs
    if not np.any(counted):
        return PeakTop(None, None, None, None, f"no bin holds {min_pairs} pairs or more")
    k = int(np.argmax(np.where(counted, g, -np.inf)))
    if n < 3 or k in (0, n - 1):
        where = "first" if k == 0 else "last"
        return PeakTop(None, None, None, None, f"g(r) is highest in the {where} bin of the "
                       "range: its peak is not inside the range")
    base = 1.0 if g[k] > 1.0 else 0.0
    level = base + _PEAK_WINDOW_LEVEL * (g[k] - base)
    lo = k - 1
    while lo > 0 and k - lo < PEAK_HALF_WIDTH and g[lo - 1] >= level:
        lo -= 1
    hi = k + 1
    while hi < n - 1 and hi - k < PEAK_HALF_WIDTH and g[hi + 1] >= level:
        hi += 1
    window = slice(lo, hi + 1)
    if np.any(counts[window] <= 0) or np.any(g[window] <= 0):
        return PeakTop(None, None, None, None, "a bin next to the highest holds no pair: the "
                       "peak is narrower than the bins")
    width = float(centres[1] - centres[0])
    # in bin widths about the highest bin: a well-conditioned fit whatever the range
    x = (centres[window] - centres[k]) / width
    weights = np.sqrt(counts[window])
    fitted = _binned_gaussian(x, g[window], weights)
    if fitted is None:
        return PeakTop(None, None, None, None, "the top of the highest peak is not curved down")
    height, mu, sigma2 = fitted
    if not x[0] - 0.5 <= mu <= x[-1] + 0.5:
        return PeakTop(None, None, None, None, "the fitted top lies outside the fitted bins")
    if not sigma2 >= _MIN_PEAK_WIDTH**2:
        # the bins average the peak away beyond what the correction restores
        return PeakTop(None, None, None, None, f"too coarse: the peak is "
                       f"{math.sqrt(max(sigma2, 0.0)):.2g} bin widths wide (a Gaussian's σ; its "
                       f"height needs at least {_MIN_PEAK_WIDTH:g}): use narrower bins")
    spread = 0.0
    if base > 0.0 and np.all(g[window] > base):
        # a peak over the ideal gas's level may be a Gaussian above 1 (pairs over uncorrelated
        # ones, as a dimer gas's bond peak or a solvent's broad peaks) rather than one above 0
        # (a first shell rising from g = 0): ln g of the first is no parabola and its fit
        # reads the top 0.2-2 % low, ln(g - 1) of the second reads it 0.1-1 % high (more over
        # 3 bins). The bins of the top cannot tell them apart, so the top is the mean of both
        # and half their difference its resolution (the truth lay between them for Gaussians
        # above 0 and 1 and for both skewed by 1/r²)
        above = _binned_gaussian(x, g[window] - base, weights, _NARROWEST_ABOVE_BASE)
        if (above is not None and x[0] - 0.5 <= above[1] <= x[-1] + 0.5
                and above[2] >= _NARROWEST_ABOVE_BASE**2):
            spread = 0.5 * abs(above[0] + base - height)
            height = 0.5 * (height + above[0] + base)
            mu = 0.5 * (mu + above[1])
    return PeakTop(float(height), float(centres[k] + mu * width),
                   float(math.sqrt(sigma2) * width), base, "", float(spread))


def _binned_gaussian(x, g, weights, narrowest=_MIN_PEAK_WIDTH):
    """``(height, vertex, σ²)`` (x in bin widths) of the Gaussian whose bin averages, their
    logarithm fitted by a parabola as ``g``'s is, give ``g``'s fit; None where that fit is not
    curved down. The binning is undone while σ is at least ``narrowest`` bin widths."""
    fitted = _log_parabola(x, g, weights)
    if fitted is None:
        return None
    raw, x0, s2 = fitted
    # binned, a Gaussian of width σ reads as one of about s² = σ² + Δ²/12 with its area (its
    # top low by σ/s); the Gaussian whose bin averages, fitted the same way, give this fit is
    # found by fixed-point steps (the binning of its exact bin integrals)
    height, mu, sigma2 = raw, x0, s2 - 1.0 / 12.0
    for _ in range(_BINNING_STEPS):
        if not sigma2 >= narrowest**2:
            break
        sigma = math.sqrt(sigma2)
        binned = height * sigma * math.sqrt(2.0 * math.pi) * (
            ndtr((x + 0.5 - mu) / sigma) - ndtr((x - 0.5 - mu) / sigma))
        again = _log_parabola(x, binned, weights)
        if again is None:
            break
        height *= raw / again[0]
        mu += x0 - again[1]
        sigma2 *= s2 / again[2]
    return height, mu, sigma2


def _log_parabola(x, g, weights):
    """``(top, vertex, s²)`` of the parabola fitted to ``ln g`` (a Gaussian of width ``s``),
    or None where it is not curved down."""
    # the weighted normal equations of c0 + c1 x + c2 x² (x in bin widths about the highest
    # bin: well conditioned), by Cramer's rule over a few bins in plain floats: numpy.polyfit
    # cost 0.6 ms a call, and a run fits four times per pair and block left out
    s0 = s1 = s2 = s3 = s4 = t0 = t1 = t2 = 0.0
    for xi, yi, wi in zip(x.tolist(), np.log(g).tolist(), weights.tolist(), strict=True):
        w2 = wi * wi
        xx = xi * xi
        s0 += w2
        s1 += w2 * xi
        s2 += w2 * xx
        s3 += w2 * xx * xi
        s4 += w2 * xx * xx
        t0 += w2 * yi
        t1 += w2 * yi * xi
        t2 += w2 * yi * xx
    det = s0 * (s2 * s4 - s3 * s3) - s1 * (s1 * s4 - s3 * s2) + s2 * (s1 * s3 - s2 * s2)
    if not det > 0:
        return None
    c0 = (t0 * (s2 * s4 - s3 * s3) - s1 * (t1 * s4 - s3 * t2) + s2 * (t1 * s3 - s2 * t2)) / det
    c1 = (s0 * (t1 * s4 - t2 * s3) - t0 * (s1 * s4 - s3 * s2) + s2 * (s1 * t2 - t1 * s2)) / det
    c2 = (s0 * (s2 * t2 - s3 * t1) - s1 * (s1 * t2 - s2 * t1) + t0 * (s1 * s3 - s2 * s2)) / det
    if not c2 < 0:
        return None
    return math.exp(c0 - c1 * c1 / (4.0 * c2)), -c1 / (2.0 * c2), -0.5 / c2


def _element_order(elements):
    """Cations first (in :data:`CATION_ELEMENTS` order), then the others alphabetically.

    The symbols are read by :func:`~mda_electrolyte.atom_categories.element_symbols` ('LI' of
    a GRO file or MDAnalysis' guesser is 'Li'), so the pairs are keyed alike whatever the case
    the topology writes."""
    rank = {c: k for k, c in enumerate(CATION_ELEMENTS)}
    elements = set(element_symbols(list(elements)))
    cations = sorted((e for e in elements if e in rank), key=lambda e: rank[e])
    return cations + sorted(set(elements) - set(cations))


def _pair_distances(neighbours, positions, box):
    """Every periodic pair within the neighbour list's cutoff once, as ``(pairs, dist)``.

    ``neighbours`` is a :class:`vesin.NeighborList` (C++ cell lists, any triclinic cell);
    positions need not be wrapped. Distances are computed in double precision from the
    single-precision coordinates of the trajectory. The arrays are views into ``neighbours``,
    valid until its next search.
    """
    cell = triclinic_vectors(box, dtype=np.float64)
    # safe on the elongated cells vesin's cell list cannot index (see neighbour_pairs)
    pairs, dist = pairs_within(positions, cell, neighbours.cutoff, "Pd", neighbours=neighbours)
    # indices below 2**63: a view, not a copy, as signed integers for numpy's take
    return pairs.view(np.int64), dist


def _distinct_rows(membership):
    """Distinct rows of a boolean matrix and the row index of every original row."""
    n_columns = membership.shape[1]
    if n_columns > 62:
        rows, inverse = np.unique(membership, axis=0, return_inverse=True)
        return rows, inverse.ravel().astype(np.intp)
    # as bit patterns: a 1-D unique, much faster than np.unique(axis=0)
    weights = np.left_shift(1, np.arange(n_columns, dtype=np.int64))
    codes, inverse = np.unique(membership.astype(np.int64) @ weights, return_inverse=True)
    rows = (codes[:, None] & weights) != 0
    return rows, inverse.ravel().astype(np.intp)


# a pair without one pair counted in the range: its g(r) (zero) and its peak are no result
_NO_PAIRS_NOTE = "no pairs counted in the range: g(r) is zero everywhere"


class IntraInterRDF(FrameAnalysis):
    r"""Intra-, inter-molecular and total partial RDFs of many atom-set pairs in one pass.

    Parameters
    ----------
    atomgroup : MDAnalysis.core.groups.AtomGroup
        Atoms to analyse (a static group: an UpdatingAtomGroup is refused); selections of
        ``pairs`` are applied to this group. The Universe needs a periodic box.
    pairs : "elements" or list of (str, str)
        ``"elements"``: every unordered pair of elements of ``atomgroup`` (the atoms need an
        ``elements`` attribute), keyed centre first: a cation (:data:`CATION_ELEMENTS`) before
        any other element, otherwise alphabetically, e.g. ``("Li", "F")``, ``("Li", "O")``,
        ``("C", "O")``, so ``cn_total[("Li", "F")]`` counts F around Li. Otherwise a list of
        ``(sel_a, sel_b)`` MDAnalysis selection strings, keyed by that tuple in that order
        (``b`` around ``a``); selections may overlap. They are evaluated once, when the
        analysis is created: a selection that depends on the coordinates (``around``,
        ``sphzone``, ``prop z < 5``, ...) is refused
        (:func:`~mda_electrolyte.analysis_base.check_static_selection`). Each counts its
        atoms in ``atomgroup`` only (a ``global`` selection too); one with none there is
        refused.
    range : tuple of float
        ``(r_min, r_max)`` of the histogram in Å; ``r_max`` must not exceed half the smallest box
        width of every analysed frame (checked at the start, for every selected frame's box
        before the pass, and on every frame), of its cell with reduced tilts
        (:func:`~mda_electrolyte.analysis_base.reduced_box`: a sheared cell of the same
        lattice allows the same range). A frame whose
        single-precision coordinates are so large that their spacing exceeds a tenth of the bin
        width (coordinates beyond ~1e5 Å for 0.1 Å bins) is refused: its distances would be
        wrong by more than the bins resolve.
    nbins : int, optional
        Number of histogram bins; with fewer than 3 the coordination numbers are counted but
        no first peak or minimum is searched (their estimates are not valid). Default: the
        range in bins of at most :data:`DEFAULT_BIN_WIDTH` (0.05 Å; 160 over 0-8 Å), which
        resolve the height of a first Li–O peak (bins of 0.1 Å do not).
    compound : {"residues", "fragments"}
        What a molecule is: residues of the topology (default) or bonded fragments.
    engine : {"auto", "vesin"}
        ``"auto"``: search and count each frame in one compiled pass
        (:mod:`mda_electrolyte.pair_histogram`, built on first use), or vesin where it cannot be
        built; ``"vesin"``: always vesin's neighbour list and numpy counting. Same counts.
    **kwargs
        Passed to :class:`~MDAnalysis.analysis.base.AnalysisBase` (e.g. ``verbose``).

    Attributes
    ----------
    results.bins : numpy.ndarray, shape (nbins,)
        Bin centres in Å.
    results.edges : numpy.ndarray, shape (nbins + 1,)
        Bin edges in Å.
    results.pairs : list of tuple
        The pair keys.
    results.intra, results.inter, results.total : dict
        Pair key → g(r), dimensionless, shape (nbins,). ``total == intra + inter``. Each
        frame's pairs are normalised by that frame's box volume,
        ``g(r) = Σ_f V_f n_f(r) / (n_frames · N_a N_b · 4π r² dr)``: a box whose volume changes
        (an NPT run) keeps an ideal gas at 1 (the mean volume's normalisation read
        ⟨V⟩⟨1/V⟩, 1.08 for a box going from 16 to 22 Å); in a box of one volume this is the
        usual normalisation by the pair density.
    results.intra_err, results.inter_err, results.total_err : dict
        Pair key → one-sigma error of each bin of that g(r), shape (nbins,): the t-scaled
        standard error of the g(r) of contiguous blocks of frames (5 blocks, 10 from 50
        frames on; :func:`~mda_electrolyte.uncertainty.mean_error`), each normalised by its
        own frames and their volumes, widened where the blocks are correlated (below).
        Calibrated on ideal gases (one-sigma coverage 0.60-0.77,
        ``tests/test_rdf_block_errors.py``). NaN with fewer than
        :data:`~mda_electrolyte.frame_estimates.MIN_FRAMES` frames.
    results.error_widening, results.independent_segments : dict
        Pair key → per bin (shape (nbins,), constant over each of 8 radial bands): the factor
        (>= 1) by which correlated blocks widened the block errors, and the independent
        segments of frames of the band's g(r). Each block is cut into equal segments (one
        frame each for runs of up to 200 frames); the band's g over the segments is a time
        series whose statistical inefficiency (the larger of pymbar's two estimates) gives
        the error of its mean with the correlation counted; where it exceeds the band's
        block error the bins' errors are widened by the ratio. With fewer than 2 independent
        segments per block (the median over the bands) the blocks are correlated beyond
        what widening repairs: ``g_max`` and ``cn_first_shell`` are not valid, "too short".
        Over random-walk ideal gases of 200 frames (steps of 1.0, 0.5 and 0.3 Å per frame
        and coordinate) the 95 % intervals of the bins covered 0.93, 0.88 and 0.82 of the
        true g before (all valid), now 0.95, 0.92 and 0.90 (the last: a third of the pairs
        not valid; steps of 0.1 Å: all); independent frames stay valid, covering 0.955.
        Not measured (factor 1, NaN segments) with fewer than 4 segments per block (runs
        under 20 frames): ``g_max`` and ``cn_first_shell`` are then not valid, "too short:
        correlation not measured" (over random-walk gases of 10-15 frames the 95 % intervals
        covered 0.86-0.88 of the true g, the same as independent frames' 0.95 to the
        blocks), and :meth:`plot` stamps the panel; absent with too few frames for blocks.
        Frames that are one configuration for the pair (each frame's counts in every bin,
        within and between molecules, and its volume the same, with intermolecular pairs in
        the range): 1 in every band that holds pairs, however few the segments, "too short:
        1.0 independent segments", and the first-shell search reads them as one frame.
    results.cn_intra, results.cn_inter, results.cn_total : dict
        Pair key → cumulative coordination number at the upper bin edges: the mean number of
        ``b`` atoms within ``r`` of an ``a`` atom, ``CN(r) = 4π ρ_b ∫ g(r') r'² dr'`` counted from
        ``r_min`` (Ju et al. 2025 eq. 1–2); counted, not weighted by the volume, where the box
        changes.
    results.cn_below : dict
        Pair key → the mean number of ``b`` atoms closer than ``r_min`` to an ``a`` atom (0
        for a range from 0 Å): ``cn_below + cn_total`` counts from 0 Å. Every pair is counted,
        however close (both engines).
    results.first_peak, results.first_minimum : dict
        Pair key → position in Å of the first peak and of the first minimum of ``total`` (the
        shell cutoff), from :func:`mda_electrolyte.shell_cutoffs.first_minimum` (smoothed,
        independent of ``nbins``); ``None`` where there is none.
    results.shell : dict
        Pair key → how the first minimum was found (depth, significance, warnings), as a dict.
    results.estimates : dict
        Pair key → ``{"first_peak": Estimate, "first_minimum": Estimate}`` in Å
        (:meth:`mda_electrolyte.shell_cutoffs.ShellCutoff.estimate`): the error is the
        resolution of the search; not valid where there is no minimum, or where it is shallow,
        not significant or from a small sample, nor where g(r) itself is not (too few frames,
        "too short", as ``g_max``: a first minimum of 10 frames was valid beside a refused
        ``g_max`` of the same curve). The search's counting noise (its significance, sample
        size and bootstrap) is that of the pair counts divided by the frames' statistical
        inefficiency (the larger of pymbar's two estimates, passed to
        :func:`~mda_electrolyte.shell_cutoffs.first_minimum` as ``inefficiency=``): a run of
        every frame held three times read
        its significance √3 higher. ``"g_max"`` and ``"g_max_position"`` (Å): the
        height and position of the highest peak of ``total``, from a Gaussian fitted to its
        top with the binning undone (:func:`peak_top`; bins holding fewer than
        :data:`MIN_PEAK_PAIRS` pairs are passed over), their error the t-scaled jackknife
        over the blocks of frames of the whole procedure (``dof`` = blocks − 1), the
        height's combined with the fit's ``resolution`` (a Gaussian above 0 or above 1: the
        bins of a top cannot tell them apart, :func:`peak_top`). The highest
        bin itself read 12.8 ± 0.4 for a true 15.2 (a peak 0.08 Å wide in 0.1 Å bins); over
        150 replicas each of dimer gases of known g(r) the 95 % intervals now cover the true
        height in 0.95-0.97 of them (``tests/test_rdf_peak_height.py``). Not valid with too
        few frames for blocks, without pairs, where every bin holds fewer than
        :data:`MIN_PEAK_PAIRS`, where the peak is narrower than a bin width ("too coarse"),
        at the edge of the range, or not resolved: its position moves by more than its width
        between the blocks, or it rises less than 3 error bars above the ideal gas's 1 (an
        ideal gas has no peak: where no top can be fitted and the highest bin lies within 3
        of its error bars of 1, the verdict is "no peak", not "too coarse"). Height and
        position always share one verdict and are shown together: a refused peak shows the
        fitted top, or else the highest bin holding
        :data:`MIN_PEAK_PAIRS` pairs (any bin where none does) and that bin's centre, both
        without an error; both NaN where g(r) is zero everywhere.
        :meth:`plot` stamps a panel whose g(r) itself is not valid
        (too few frames, correlated blocks), not one without a peak. Pairs closer than
        :data:`MIN_PAIR_DISTANCE` (overlapping atoms) are left out of the first-minimum
        search and counted: where they are more than the first shell's Poisson counting noise
        (√ of its pairs), or, without a shell, more than an ideal gas of the same density
        puts that close (and at least :data:`MIN_PEAK_PAIRS`), ``first_peak``,
        ``first_minimum`` and ``cn_first_shell`` (and ``g_max`` if it lies that close) are not
        valid, the note giving their number, the frames that hold them among all, and the
        closest atoms (Universe indices) and distances of the first frames, also among
        ``results.shell``'s warnings; fewer are named in a note of ``cn_first_shell``, which
        counts them (one stray pair in one frame of 5 beside a shell of 160 pairs).
        ``"cn_first_shell"``: the mean number of
        ``b`` atoms within the first minimum: ``cn_total`` there (linear within the bin) plus
        the pairs closer than a range that starts after 0 Å (``cn_below``, every one of
        them; ``cn_total`` itself counts from ``r_min``), its error the block error ⊕ the
        minimum's own error δ carried through the running integral,
        ``δ · (CN(r_c + δ) − CN(r_c − δ)) / 2δ``; not valid where the minimum is not,
        around fewer than :data:`~mda_electrolyte.frame_estimates.MIN_IONS` reference atoms
        ("too few reference atoms", as the shell statistics of the same ions), nor where
        every block of frames holds the same count ("no fluctuation": a shell that never
        exchanged has no block error to give).
    results.counts : numpy.ndarray, shape (n_pairs, 2, nbins)
        Ordered-pair counts summed over frames, ``[:, 0]`` intra and ``[:, 1]`` inter.
    results.counts_ordered : numpy.ndarray of int64
        The pass's histogram: every frame's pairs by (class of the first atom, class of the
        second, intra/inter, bin with one more, the last, for the pairs closer than the
        counted bins), flat. A range that starts after 0 Å is counted from whole bins below it
        too (``r_min`` lowered by whole bin widths to the last start >= 0 Å): the pairs closer
        than the range, which tell whether its first peak is g(r)'s first (a range that starts
        in the first minimum or on the second shell's rising edge has no first minimum of its
        own). Not bin by bin where that would take more than ``max(nbins, 1000)`` bins (a
        narrow range far from 0 Å): those pairs are then counted together, in the last slot.
        ``results.counts_class`` is it per unordered class pair.
    results.counts_blocks : numpy.ndarray of int64, shape (n_blocks, ...)
        ``counts_ordered`` of each block of consecutive frames (what the parallel backends
        sum: a frame's block is its place among all the run's frames, so every backend fills
        the same blocks); ``results.frames_blocks`` and ``results.volume_blocks`` (Å³) are the
        frames and summed volumes of each block. ``results.counts_segments``,
        ``frames_segments`` and ``volume_segments``: the same per segment (blocks cut into
        equal parts, summed to the blocks), for the blocks' correlation.
        ``results.weighted_blocks`` and ``weighted_segments`` (Å³): where the box volume
        changes between the frames, the counts of each frame times its volume, summed as the
        counts are (what g(r) is normalised from); no columns in a box of one volume.
    results.volume : float
        Box volume averaged over the analysed frames, Å³.

    Notes
    -----
    In a box of one volume equal to :class:`MDAnalysis.analysis.rdf.InterRDF` with
    ``norm="rdf"`` (where the volume changes, to the mean of ``InterRDF`` over each frame
    alone; ``InterRDF`` itself normalises by the mean volume): ``total`` matches
    ``InterRDF(a, b)`` and ``inter`` matches ``InterRDF(a, b, exclude_same="residue")``, except
    that an atom is never paired with itself (``InterRDF(g, g)`` puts ``len(g)`` self-distances
    of 0 Å into the first bin when ``r_min = 0``). Distances are double precision; a pair whose
    distance lies within single-precision rounding of a bin edge may fall into the neighbouring
    bin of the one ``InterRDF`` puts it in. Supports ``run(backend="multiprocessing")`` and
    ``"dask"`` with the serial result.

    Each frame needs one search over all selected atoms: a compiled cell-list pass that counts
    as it searches (:mod:`mda_electrolyte.pair_histogram`), or vesin's neighbour list and numpy
    (``engine="vesin"``), for any triclinic cell (``benchmarks/bench_rdf.py`` compares the speed
    with looping ``InterRDF`` over the 28 element pairs of a 7000-atom electrolyte).

    Examples
    --------
    A simple cubic lattice with 1 Å spacing in a 6 Å box, cut into 3-atom "molecules" along x:
    every atom has six nearest neighbours, of which the middle atom of a molecule has two and
    the end atoms one in its own molecule (4/3 on average).

    >>> import numpy as np, MDAnalysis as mda
    >>> from mda_electrolyte import IntraInterRDF
    >>> grid = np.array(np.meshgrid(*[np.arange(6.0)] * 3, indexing="ij")).reshape(3, -1).T
    >>> u = mda.Universe.empty(216, n_residues=72, atom_resindex=np.arange(216) // 3,
    ...                        trajectory=True)
    >>> u.add_TopologyAttr("elements", ["C"] * 216)
    >>> u.atoms.positions = grid[np.lexsort((grid[:, 0], grid[:, 1], grid[:, 2]))]
    >>> u.dimensions = [6, 6, 6, 90, 90, 90]
    >>> rdf = IntraInterRDF(u.atoms, range=(0.0, 1.2), nbins=3).run()
    >>> rdf.results.cn_intra[("C", "C")][-1], rdf.results.cn_total[("C", "C")][-1]
    (np.float64(1.3333333333333333), np.float64(6.0))
    """

    _analysis_algorithm_is_parallelizable = True
    # the errors are over blocks of consecutive frames and their correlation over segments:
    # shuffled frames of a random-walk gas (0.1 Å steps, 200 frames; in order "too short",
    # 8 independent segments) read 192 independent segments and a valid g_max of a gas
    _errors_over_frames = True
    # set per run by _check_selected_frames: whether the frames' box volumes differ
    _varying_volume = False

    @classmethod
    def get_supported_backends(cls):
        return ("serial", "multiprocessing", "dask")


    @names_errors
    def __init__(self, atomgroup, pairs="elements", range=(0.0, 8.0), nbins=None,
                 compound="residues", engine="auto", **kwargs):
        check_atomgroup("IntraInterRDF: the atomgroup", atomgroup)
        super().__init__(atomgroup.universe.trajectory, **kwargs)
        engine = choice_word("IntraInterRDF: engine", engine, ("auto", "vesin"))
        compound = choice_word("IntraInterRDF: compound", compound, ("residues", "fragments"))
        if isinstance(pairs, str):
            pairs = choice_word("IntraInterRDF: pairs (or a list of (sel_a, sel_b))", pairs,
                                ("elements",))
        self._engine = engine
        r_min, r_max = check_range("IntraInterRDF: range", range)
        if nbins is None:
            nbins = _default_nbins(r_min, r_max)
        if (isinstance(nbins, bool) or not isinstance(nbins, (int, np.integer, float, np.floating))
                or not np.isfinite(nbins) or int(nbins) != nbins or nbins < 1):
            raise ValueError(f"IntraInterRDF: nbins must be a positive integer, got {nbins!r}")
        # an equivalent cell of the same lattice allows the same range (its tilts reduced:
        # a cell written as (a, b + a, c + b) has faces 3.75 Å apart where the lattice's lie 13 Å)
        half_width = half_box_width(reduced_box(atomgroup.universe.dimensions), "IntraInterRDF")
        if r_max > half_width * BOX_ROUNDING:
            raise ValueError(
                f"IntraInterRDF: r_max = {r_max} Å exceeds half the smallest box width "
                f"({half_width:.3f} Å); reduce range"
            )
        self._ag = atomgroup
        self._range = (r_min, r_max)
        self._nbins = int(nbins)
        self._compound = compound

        membership, keys, sel_of_pair = self._membership(atomgroup, pairs)
        # atoms in no selection never enter the neighbour search
        in_any = membership.any(axis=1)
        self._atoms = atomgroup[in_any]
        membership = membership[in_any]
        self._mol = molecule_ids(atomgroup, compound=compound)[in_any]
        classes, self._atom_class = _distinct_rows(membership)
        n_cls = len(classes)
        self._n_cls = n_cls
        # the per-frame histogram (int64) and the summed class-pair counts (float64): refused
        # here rather than failing with a MemoryError after the set-up
        # (one histogram per block of frames, and their sum)
        # a range that starts after 0 Å is counted from whole bins below it too (down to the
        # last one that fits above 0 Å): the pairs closer than the range tell whether its first
        # peak is g(r)'s first (shell_cutoffs.first_minimum's ``below``)
        width = (r_max - r_min) / self._nbins
        self._n_lower = int(math.floor(r_min / width * (1 + 1e-12)))
        if self._n_lower > max(self._nbins, _MAX_LOWER_BINS):
            # a narrow range far from 0 Å (7.9-8 Å in 2000 bins: 158 000 bins below): the
            # closer pairs are counted all together (every row's slot past its bins), not by bin
            self._n_lower = 0
        self._n_count = self._nbins + self._n_lower
        n_bytes = 8 * 2 * (self._n_count + 1) * ((_MAX_BLOCKS + 1) * n_cls * n_cls
                                               + (_MAX_BLOCKS + 1) * n_cls * (n_cls + 1) // 2
                                               + 7 * len(keys))
        if n_bytes > _MAX_HISTOGRAM_BYTES:
            raise ValueError(
                f"IntraInterRDF: nbins = {self._nbins} for {len(keys)} pairs needs "
                f"{n_bytes / 2**30:.1f} GiB of histograms (more than "
                f"{_MAX_HISTOGRAM_BYTES / 2**30:.0f} GiB); use fewer bins or pairs"
            )
        self._edges = np.histogram_bin_edges([], bins=self._nbins, range=(r_min, r_max))
        # the range's own edges above, evenly spaced ones below (numpy.histogram's bins where
        # they overlap: the kernel and _bin_index correct against these edges)
        lower = r_min - width * np.arange(self._n_lower, 0, -1)
        self._count_edges = np.concatenate([np.maximum(lower, 0.0), self._edges])
        # the first minima are searched after the pass: bins it cannot smooth refused now
        check_smoothable(self._edges)
        # unordered class pairs (c1 <= c2)
        cls_pairs = list(itertools.combinations_with_replacement(np.arange(n_cls), 2))
        # ordered (i in A, j in B) pairs counted by one unordered pair {i, j} of classes (c1, c2)
        weights = np.zeros((len(keys), len(cls_pairs)))
        n_a = np.zeros(len(keys))
        n_b = np.zeros(len(keys))
        for p, (sa, sb) in enumerate(sel_of_pair):
            in_a, in_b = classes[:, sa].astype(int), classes[:, sb].astype(int)
            for k, (c1, c2) in enumerate(cls_pairs):
                weights[p, k] = in_a[c1] * in_b[c2] + in_a[c2] * in_b[c1]
            n_a[p] = membership[:, sa].sum()
            n_b[p] = membership[:, sb].sum()
        self._weights = weights
        # the histogram row of an ordered pair (i, j) is first_code[i] + second_code[j]
        row = self._n_count + 1
        self._first_code = self._atom_class * (n_cls * 2 * row)
        self._second_code = self._atom_class * (2 * row)
        self._class_pair_members = tuple(np.array(cls_pairs, dtype=np.intp).reshape(-1, 2).T)
        self._mol = np.asarray(self._mol, dtype=np.intp)
        self._n_a = n_a
        self._n_b = n_b
        self._keys = keys
        # which selections each searched atom is in, to name a pair's overlapping atoms
        self._selections = membership
        self._sel_of_pair = sel_of_pair

    @staticmethod
    def _membership(atomgroup, pairs):
        """Boolean (n_atoms, n_selections) membership, pair keys, selection indices per pair."""
        if isinstance(pairs, str):
            if pairs != "elements":
                raise ValueError(
                    f"pairs must be 'elements' or a list of (sel_a, sel_b), not {pairs!r}")
            if not hasattr(atomgroup, "elements"):
                raise ValueError("pairs='elements' needs element symbols in the topology "
                                 "(guess them or pass selection pairs)")
            # read once: each access of the attribute copies it (7 copies of 7118 symbols)
            symbols = element_symbols(atomgroup.elements)
            elements = _element_order(set(symbols))
            if "" in elements:
                raise ValueError("pairs='elements': some atoms have no element symbol")
            membership = np.stack([symbols == e for e in elements], axis=1)
            keys = list(itertools.combinations_with_replacement(elements, 2))
            index = {e: k for k, e in enumerate(elements)}
            sel_of_pair = [(index[a], index[b]) for a, b in keys]
            return membership, keys, sel_of_pair
        if (isinstance(pairs, (tuple, list)) and len(pairs) == 2
                and all(isinstance(s, str) for s in pairs)):
            # one pair given bare: its two texts were read as two pairs of characters,
            # refused as "each pair must be two selection strings, got ('e', 'l', 'e', ...)"
            raise ValueError(f"pairs must be a list of (sel_a, sel_b) pairs, not one pair "
                             f"{pairs!r}: give [{tuple(pairs)!r}]")
        if isinstance(pairs, (str, bytes)) or not hasattr(pairs, "__iter__"):
            raise TypeError(f"pairs must be 'elements' or a list of (sel_a, sel_b) pairs, not "
                            f"{type(pairs).__name__} {pairs!r:.80}")
        pairs = [tuple(p) if hasattr(p, "__iter__") and not isinstance(p, (str, bytes)) else p
                 for p in pairs]
        if not pairs:
            raise ValueError("pairs is an empty list")
        selections = []
        for k, p in enumerate(pairs):
            if not isinstance(p, tuple) or len(p) != 2 or not all(isinstance(s, str) for s in p):
                raise ValueError(f"each pair must be two selection strings, got {p!r}")
            if p in pairs[:k]:
                # results are keyed by the pair: the second would be a row without a key
                raise ValueError(f"pairs names {p!r} twice; give each pair once")
            selections.extend(s for s in p if s not in selections)
        columns = []
        for sel in selections:
            # evaluated once, here: a selection that follows the coordinates would not follow
            check_static_selection("IntraInterRDF: pairs", sel)
            chosen = atomgroup.select_atoms(sel)
            column = np.isin(atomgroup.ix, chosen.ix)
            # counted over the atomgroup, not the selection: a "global" selection picks atoms
            # of the whole Universe, and one outside the atomgroup gave N_b = 0, g(r) = NaN and
            # an unclear error after the whole pass
            if not column.any():
                outside = (f" ({chosen.n_atoms} atom(s) of the Universe outside it)"
                           if chosen.n_atoms else "")
                raise ValueError(
                    f"IntraInterRDF: selection {sel!r} matches no atom of the atomgroup{outside}"
                    f"{_written_case_hint(atomgroup, sel) if 'element' in sel else ''}")
            columns.append(column)
        membership = np.stack(columns, axis=1)
        index = {s: k for k, s in enumerate(selections)}
        return membership, pairs, [(index[a], index[b]) for a, b in pairs]

    def _compute(self, indexed_frames, verbose=None, *, progressbar_kwargs=None):
        # the block of frames of each frame of this part, from its place among all the run's
        # frames (a parallel worker's part knows only its own): every backend fills the same
        # blocks, and their sums are the serial run's
        indexed_frames = np.asarray(indexed_frames)
        n_run = getattr(self, "n_frames", None) or len(indexed_frames)
        n_blocks = _n_blocks(n_run) if n_run >= getattr(
            self, "_block_min_frames", _frame_estimates.MIN_FRAMES) else 1
        self._n_blocks = n_blocks
        # segments nest in blocks (a whole number per block): the blocks are their sums
        # (twice over where the volume varies: the volume-weighted histograms beside the counts)
        per_histogram = (8 * self._n_cls**2 * 2 * (self._n_count + 1)
                         * (2 if getattr(self, "_varying_volume", False) else 1))
        per_block = max(1, min(_MAX_SEGMENTS, n_run, _SEGMENT_BYTES // per_histogram)
                        // n_blocks)
        self._n_segments = n_blocks * per_block
        self._segment_of = ((indexed_frames[:, 0].astype(np.int64) * self._n_segments)
                            // max(n_run, 1))
        return super()._compute(indexed_frames, verbose=verbose,
                                progressbar_kwargs=progressbar_kwargs)

    @names_errors
    def _prepare(self):
        self._kernel = pair_histogram_kernel() if self._engine == "auto" else None
        self._neighbours = None
        if self._kernel is None:
            # imported only where it searches: vesin imports torch (about 180 MB resident),
            # which was the constant peak of an RDF that the compiled kernel serves
            from vesin import NeighborList

            self._neighbours = NeighborList(cutoff=self._range[1], full_list=False)
        # the ordered class-pair counts (class of i, class of j, inter, bin; an extra bin per
        # row for distances outside the range) of each block of consecutive frames, for the
        # error of g(r); every frame adds to its block's
        n_segments = getattr(self, "_n_segments", 1)
        self.results.counts_segments = np.zeros(
            (n_segments, self._n_cls**2 * 2 * (self._n_count + 1)), dtype=np.int64)
        self.results.volume_segments = np.zeros(n_segments)
        self.results.frames_segments = np.zeros(n_segments, dtype=np.int64)
        # Σ V_f c_f (Å³) of the frames' counts c_f, where the volume varies (else no columns:
        # the counts times the one volume)
        varying = getattr(self, "_varying_volume", False)
        self.results.weighted_segments = np.zeros(
            (n_segments, self.results.counts_segments.shape[1] if varying else 0))
        self._frame_counts = (np.zeros(self.results.counts_segments.shape[1], dtype=np.int64)
                              if varying else None)
        self.results._close_frames = []
        # per pair key: the frames that hold pairs closer than MIN_PAIR_DISTANCE
        self.results._close_frame_counts = np.zeros(len(self._keys), dtype=np.int64)
        self._last_box = (None, None, None)

    def __getstate__(self):
        # the compiled neighbour list does not pickle; parallel workers send results back
        state = dict(self.__dict__)
        state.pop("_neighbours", None)
        state.pop("_kernel", None)
        return state

    @names_errors
    def _single_frame(self):
        box = self._ts.dimensions
        # checked and reduced again only when the box changed (an NVT run: once); the reduced
        # cell is the same lattice, so the positions need no change
        key = None if box is None else box.tobytes()
        if self._last_box[0] != key or key is None:
            reduced = reduced_box(None if box is None else np.array(box))
            self._last_box = (key, reduced,
                              half_box_width(reduced, "IntraInterRDF", self._ts.frame))
        box, half_width = self._last_box[1:]
        positions = self._atoms.positions
        if not np.all(np.isfinite(positions)):
            # a NaN distance falls into no bin: the frame's counts would look valid
            raise ValueError(f"IntraInterRDF: frame {self._ts.frame} has non-finite positions")
        check_coordinate_precision(positions, (self._range[1] - self._range[0]) / self._nbins,
                                   "IntraInterRDF", self._ts.frame)
        if self._range[1] > half_width * BOX_ROUNDING:
            # beyond half the width a pair has several images within r_max: the histogram
            # would count them all and the ideal-gas normalisation would not hold
            raise self._box_refusal(self._ts.frame, half_width)
        # one histogram over (class of i, class of j, inter, bin) for ordered class pairs; the
        # extra bin per row collects distances outside the range
        row = self._n_count + 1
        segment = (int(self._segment_of[self._frame_index]) if hasattr(self, "_segment_of")
                   else 0)
        counts = self.results.counts_segments[segment]
        self.results.volume_segments[segment] += self._ts.volume
        self.results.frames_segments[segment] += 1
        # frames that add pairs closer than MIN_PAIR_DISTANCE: how many per pair key, and the
        # first ones, to name their atoms (searched again then; the pass keeps their numbers)
        close_before = self._close_counts(counts)
        if self._frame_counts is None:
            self._count_pairs(positions, box, counts, row)
        else:
            # this frame's counts apart, to weight them by its own volume
            self._frame_counts[:] = 0
            self._count_pairs(positions, box, self._frame_counts, row)
            counts += self._frame_counts
            self.results.weighted_segments[segment] += self._ts.volume * self._frame_counts
        added = self._close_counts(counts) > close_before
        if added.any():
            self.results._close_frame_counts += added
            if len(self.results._close_frames) < _MAX_CLOSE_FRAMES:
                self.results._close_frames.append(int(self._ts.frame))

    def _count_pairs(self, positions, box, counts, row):
        """Add one frame's pairs to the histogram ``counts`` (rows of ``row`` slots)."""
        if self._kernel is not None:
            # search and count in one compiled pass (the same bins as the vesin path below)
            self._kernel(positions, triclinic_vectors(box, dtype=np.float64),
                         self._count_edges, self._first_code, self._second_code, self._mol, row,
                         counts)
            return
        pairs, distances = _pair_distances(self._neighbours, positions, box)
        for start in range(0, len(distances), _CHUNK):
            i = np.ascontiguousarray(pairs[start:start + _CHUNK, 0])
            j = np.ascontiguousarray(pairs[start:start + _CHUNK, 1])
            dist = distances[start:start + _CHUNK]
            flat = np.take(self._first_code, i)
            flat += np.take(self._second_code, j)
            np.add(flat, row, out=flat, where=np.take(self._mol, i) != np.take(self._mol, j))
            flat += self._bin_index(dist)
            counts += np.bincount(flat, minlength=counts.size)

    def _box_refusal(self, frame, half_width):
        return ValueError(
            f"IntraInterRDF: r_max = {self._range[1]} Å exceeds half the smallest box width "
            f"of frame {frame} ({half_width:.3f} Å; the box shrank); reduce range")

    @names_errors
    def _check_selected_frames(self):
        # a box that shrinks below twice the range, refused before the pass (it was refused
        # at its frame, after the others' work)
        frames = _selected_frame_indices(self._sliced_trajectory)
        # a box whose volume changes (NPT): each frame's pairs are weighted by its own volume,
        # the ideal gas's g = 1 in every frame; normalised by the mean volume, a gas whose box
        # went from 16 to 22 Å read g = 1.08 ± 0.004 at every r (20 error bars off)
        self._varying_volume = _check_boxes_before_pass(
            self._trajectory, frames, self._range[1], "IntraInterRDF", self._box_refusal)
        # the module's bounds read at run time in the calling process, which concludes with
        # them (a dask worker is a fresh interpreter that sees the module's defaults): one
        # value per run whatever the user set, not one at import or construction
        self._block_min_frames = _frame_estimates.MIN_FRAMES
        self._min_ions = _frame_estimates.MIN_IONS
        # the counted bins wholly closer than MIN_PAIR_DISTANCE, and the slot of the pairs
        # below them where they start that close: the overlapping atoms' pairs, which the
        # first-minimum search leaves out (_without_overlaps empties the same bins)
        self._n_close = int(np.searchsorted(self._count_edges[1:],
                                            MIN_PAIR_DISTANCE * (1.0 + 1e-12), side="right"))
        self._close_slot = bool(self._count_edges[0] <= MIN_PAIR_DISTANCE)

    def _close_counts(self, counts):
        """Pairs closer than :data:`MIN_PAIR_DISTANCE` per pair key in the flat histogram
        ``counts`` (one segment's, or the sum's), as the pair's counts are (ordered pairs)."""
        rows = counts.reshape(self._n_cls, self._n_cls, 2, self._n_count + 1)
        close = rows[..., : self._n_close].sum(axis=(-1, -2))
        if self._close_slot:
            close = close + rows[..., -1].sum(axis=-1)
        # an unordered pair {i, j} counts for (class i, class j) and (class j, class i)
        unordered = close + close.T
        diagonal = np.arange(self._n_cls)
        unordered[diagonal, diagonal] = close[diagonal, diagonal]
        c1, c2 = self._class_pair_members
        return self._weights @ unordered[c1, c2].astype(np.float64)

    def _class_pair_counts(self, ordered, below=False):
        """The counts of the unordered class pairs (..., class pair, intra/inter, bin), float64,
        from the flat ordered ones (..., cells) of all frames or of each block (summed per
        frame, not reduced per frame: the same integers); ``below``: of the pairs closer than
        the range instead, ``n_lower + 1`` bins from 0 Å: those closer than the counted bins
        (every row's last slot, where both engines count them), then the bins below the
        range."""
        n_cls, k = self._n_cls, self._n_lower
        lead = ordered.shape[:-1]
        counts = ordered.reshape(*lead, n_cls, n_cls, 2, self._n_count + 1)
        if below:
            counts = np.concatenate([counts[..., self._n_count :], counts[..., :k]], axis=-1)
        else:
            counts = counts[..., k : k + self._nbins]
        # an unordered pair {i, j} counts for (class i, class j) and (class j, class i)
        unordered = counts + counts.swapaxes(-4, -3)
        diagonal = np.arange(n_cls)
        unordered[..., diagonal, diagonal, :, :] = counts[..., diagonal, diagonal, :, :]
        c1, c2 = self._class_pair_members
        return unordered[..., c1, c2, :, :].astype(np.float64)

    def _bin_index(self, dist):
        """Histogram bin of every distance (all within ``r_max``: vesin's pairs) as
        :func:`numpy.histogram` assigns it with the counted bins (the range's, and whole bins
        below it towards 0 Å); the number of those bins (the row's last slot) for distances
        below them, as the compiled pass counts them.

        A distance equal to ``r_max`` falls into the last bin, as in :func:`numpy.histogram`.
        """
        edges = self._count_edges
        r_min, r_max = float(edges[0]), self._range[1]
        n_bins = self._n_count
        scaled = dist - r_min
        scaled *= n_bins / (r_max - r_min)
        if r_min > 0.0:
            # a non-integer above the last bin, so that it is not taken for an edge below
            scaled[dist < r_min] = n_bins + 0.5
        index = scaled.astype(np.intp)
        # numpy.histogram corrects the truncated index against the bin edges; that can only
        # change anything within rounding of an edge, i.e. for a scaled value near an integer
        near = np.flatnonzero(np.abs(scaled - np.rint(scaled)) < 1e-6)
        if near.size:
            d, k = dist[near], index[near]
            k[k == n_bins] -= 1
            k[d < edges[k]] -= 1
            k[(d >= edges[k + 1]) & (k != n_bins - 1)] += 1
            index[near] = k
        return index

    def _get_aggregator(self):
        return ResultsGroup(lookup={"counts_segments": ResultsGroup.ndarray_sum,
                                    "volume_segments": ResultsGroup.ndarray_sum,
                                    "frames_segments": ResultsGroup.ndarray_sum,
                                    "weighted_segments": ResultsGroup.ndarray_sum,
                                    "_close_frames": ResultsGroup.flatten_sequence,
                                    "_close_frame_counts": ResultsGroup.ndarray_sum})

    @names_errors
    def _conclude(self):
        # the parts' frames in frame order (a parallel run's parts end in any order)
        self._close_frames = sorted(self.results.pop("_close_frames", []))[:_MAX_CLOSE_FRAMES]
        close_frames = self.results.pop("_close_frame_counts")
        self._close_described = {}
        edges = self._edges
        self.results.edges = edges
        self.results.bins = 0.5 * (edges[:-1] + edges[1:])
        self.results.pairs = list(self._keys)
        # as _compute numbers them (a parallel run's workers did, not this object)
        n_blocks = _n_blocks(self.n_frames) if self.n_frames >= self._block_min_frames else 1
        for name in ("counts", "volume", "frames", "weighted"):
            segments = self.results[f"{name}_segments"]
            # (the weighted ones have no columns in a box of one volume: no -1 to infer)
            self.results[f"{name}_blocks"] = segments.reshape(
                n_blocks, segments.shape[0] // n_blocks, *segments.shape[1:]).sum(axis=1)
        segment_counts = self.results.counts_segments
        self.results.counts_ordered = self.results.counts_blocks.sum(axis=0)
        self.results.counts_class = self._class_pair_counts(self.results.counts_ordered)
        counts = np.einsum("pk,kib->pib", self._weights, self.results.counts_class)
        self.results.counts = counts
        # pairs closer than the range, per pair and bin below it (none when it starts at 0 Å)
        below = np.einsum("pk,kib->pb", self._weights, self._class_pair_counts(
            self.results.counts_ordered, below=True))
        # and per block, for the first shell's count from 0 Å
        self._below_blocks = np.einsum("pk,nkib->np", self._weights, self._class_pair_counts(
            self.results.counts_blocks, below=True))
        n_frames = self.n_frames
        volume = float(self.results.volume_blocks.sum()) / n_frames
        self.results.volume = volume
        shell = 4.0 / 3.0 * np.pi * np.diff(np.power(edges, 3))
        self._shell = shell
        self._one_configuration = self._frames_one_configuration()
        errors, method = self._block_errors(shell, segment_counts)
        for name in ("intra", "inter", "total", "cn_intra", "cn_inter", "cn_total",
                     "intra_err", "inter_err", "total_err", "error_widening",
                     "independent_segments", "cn_below",
                     "first_peak", "first_minimum", "shell", "estimates"):
            self.results[name] = {}
        # the pairs of overlapping atoms, per pair key (ordered, as the counts)
        close_pairs = self._close_counts(self.results.counts_ordered)
        if method is not None:
            # every pair's bands spread over the bins at once
            widening_bins = self._band_of_bin_values(self._widening)
            independent_bins = self._band_of_bin_values(self._independent)
        if self._varying_volume:
            # each frame by its own volume: Σ_f V_f c_f(r) / (frames · shell · N_a N_b)
            weighted = np.einsum("pk,kib->pib", self._weights, self._class_pair_counts(
                self.results.weighted_blocks.sum(axis=0)))
        for p, key in enumerate(self._keys):
            intra, inter = counts[p, 0], counts[p, 1]
            if self._varying_volume:
                norm = n_frames * shell * (self._n_a[p] * self._n_b[p])
                self.results.intra[key] = weighted[p, 0] / norm
                self.results.inter[key] = weighted[p, 1] / norm
                self.results.total[key] = (weighted[p, 0] + weighted[p, 1]) / norm
            else:
                # the same sequence of operations as InterRDF._conclude, for identical rounding
                norm = n_frames * shell * (self._n_a[p] * self._n_b[p] / volume)
                self.results.intra[key] = intra / norm
                self.results.inter[key] = inter / norm
                self.results.total[key] = (intra + inter) / norm
            self.results.intra_err[key] = errors[p, 0]
            self.results.inter_err[key] = errors[p, 1]
            self.results.total_err[key] = errors[p, 2]
            if method is not None:
                self.results.error_widening[key] = widening_bins[p]
                self.results.independent_segments[key] = independent_bins[p]
            per_a = n_frames * self._n_a[p]
            self.results.cn_intra[key] = np.cumsum(intra) / per_a
            self.results.cn_inter[key] = np.cumsum(inter) / per_a
            self.results.cn_total[key] = np.cumsum(intra + inter) / per_a
            self.results.cn_below[key] = float(below[p].sum()) / per_a
            # the search sees the pairs that can be a shell, not overlapping atoms; it reads
            # g as the counts per shell volume (its significance and bootstrap are the
            # counts'): where the volume varies, the counts over the mean volume, which differ
            # from the per-frame g by a factor that varies with r only as the structure does
            searched = (self.results.total[key] if not self._varying_volume else
                        (intra + inter) / (n_frames * shell * (self._n_a[p] * self._n_b[p]
                                                               / volume)))
            found = self._shell_search(p, *_without_overlaps(
                edges, searched, intra + inter, self._below_argument(below[p])), method)
            self.results.shell[key] = found.as_dict()
            self.results.first_peak[key] = found.peak
            self.results.first_minimum[key] = found.cutoff
            # the g(r) the search read is no better than its own verdict: a first peak and
            # minimum of 10 frames, or of frames correlated over the blocks, were valid beside
            # g_max and cn_first_shell of the same curve refused "too short"
            curve = self._curve_verdict(key)
            doubts = () if curve is None else curve.notes
            cutoff = _with_doubts(found.estimate("cutoff"), doubts)
            estimates = {
                "first_peak": _with_doubts(found.estimate("peak"), doubts),
                "first_minimum": cutoff,
                **dict(zip(("g_max", "g_max_position"), self._g_max(key, method),
                           strict=True)),
                "cn_first_shell": self._cn_first_shell(p, key, cutoff, method,
                                                       found.cutoff_spread)}
            estimates = self._judge_overlaps(p, key, found, estimates, close_pairs[p],
                                             int(close_frames[p]), volume)
            self.results.estimates[key] = estimates

    def _shell_search(self, p, g, counts, below, method):
        """:func:`~mda_electrolyte.shell_cutoffs.first_minimum` of pair ``p``, its counting
        noise that of frames correlated in time.

        The search's significance, sample size and Poisson bootstrap took every frame's pairs
        as independent of the next frame's, but consecutive frames of a liquid are not: over
        replicas of 40 frames, each of 10 configurations held for 4 frames, the first peak
        scattered 1.1 times its error where independent frames scatter 0.7 times, valid in
        0.93 of them. A bin's count over ``N`` frames whose statistical inefficiency is ``s``
        (frames per independent one: the segments over their independent ones, the median
        over the radial bands, as :meth:`_too_short` counts them; for runs of over 200 frames
        in segments, so a lower bound) varies as ``s`` times a Poisson count: the search reads
        it so (``first_minimum``'s ``inefficiency``). Frames that are one configuration
        (:meth:`_frames_one_configuration`): ``N``, with or without blocks. Not measured (too
        few frames, no block error): 1, the curve's own verdict saying "too short".
        """
        factor = 1.0
        if self._one_configuration[p]:
            # one configuration however many frames (blocks or not): each frame's counts are
            # the first frame's, one Poisson sample read N times
            factor = float(self.n_frames)
        elif method is not None:
            independent = self._independent[p]
            if np.any(np.isfinite(independent)):
                factor = max(1.0, self.results.counts_segments.shape[0]
                             / float(np.nanmedian(independent)))
        return first_minimum(self.results.edges, g, counts=counts, below=below,
                             inefficiency=factor)

    def _judge_overlaps(self, p, key, found, estimates, n_close, frames_with, volume):
        """``estimates`` of pair ``p`` with its overlapping atoms' pairs judged
        (:func:`_overlap_verdict`): material, every number of the first shell (and ``g_max``
        where it lies that close) not valid, the pairs named; else a found shell's count
        notes them."""
        shell_pairs = None if found.cutoff is None else float(found.n_pairs or 0.0) + n_close
        chance = (self.n_frames * self._n_a[p] * self._n_b[p] / volume
                  * 4.0 / 3.0 * np.pi * MIN_PAIR_DISTANCE**3)
        material, text = _overlap_verdict(n_close, frames_with, self.n_frames, shell_pairs,
                                          chance, [])
        if not text:
            return estimates
        # the atoms named only where something is said of them (their frames read again)
        _, text = _overlap_verdict(n_close, frames_with, self.n_frames, shell_pairs, chance,
                                   self._close_pairs_of(p))
        if not material:
            return {**estimates, "cn_first_shell": estimates["cn_first_shell"].with_notes(text)}
        g_max_close = estimates["g_max_position"].value < MIN_PAIR_DISTANCE
        self.results.shell[key]["warnings"] = [
            *self.results.shell[key].get("warnings", []), text]
        return {name: mark_not_valid(est, text) if (
            not name.startswith("g_max") or g_max_close) else est
            for name, est in estimates.items()}

    def _close_pairs_of(self, p):
        """:func:`_describe_close_pairs` of pair ``p``'s atoms in the frames where the pass
        counted pairs closer than :data:`MIN_PAIR_DISTANCE` (read again, the caller's frame
        kept)."""
        if not self._close_frames:
            return []
        sa, sb = self._sel_of_pair[p]
        in_a, in_b = self._selections[:, sa], self._selections[:, sb]
        described = []
        with kept_frame(self._trajectory) as trajectory:
            for frame in self._close_frames:
                ts = trajectory[frame]
                if frame not in self._close_described:
                    box = reduced_box(np.array(ts.dimensions))
                    pairs, d = pairs_within(self._atoms.positions, triclinic_vectors(box),
                                            MIN_PAIR_DISTANCE, "Pd")
                    self._close_described[frame] = (pairs, d)
                pairs, d = self._close_described[frame]
                i, j = pairs[:, 0], pairs[:, 1]
                mine = (in_a[i] & in_b[j]) | (in_a[j] & in_b[i])
                # the a atom first, as the pair's key reads
                swap = ~(in_a[i] & in_b[j])
                first, second = np.where(swap, j, i)[mine], np.where(swap, i, j)[mine]
                described.append(_describe_close_pairs(self._atoms, frame, first, second,
                                                      d[mine]))
        return described

    def _below_argument(self, below):
        """The pairs closer than the range (one pair's ``n_lower + 1`` counts from 0 Å) as
        :func:`~mda_electrolyte.shell_cutoffs.first_minimum`'s ``below``: ``None`` for a range
        from 0 Å, the total without bins below it, else the bins, the lowest from 0 Å."""
        if self._range[0] <= 0.0:
            return None
        if self._n_lower == 0:
            return float(below.sum())
        width = (self._range[1] - self._range[0]) / self._nbins
        if self._count_edges[0] > 1e-9 * width:
            return below
        # the bins below reach 0 Å (up to rounding): the slot below them holds pairs at 0 Å
        merged = below[1:].copy()
        merged[0] += below[0]
        return merged

    def _cn_first_shell(self, p, key, cutoff, method, spread=None):
        """The total coordination number within the first minimum, as an Estimate.

        Its error is the block error of the running count at ``r_c`` ⊕ the cutoff's scatter
        ``δ`` (``spread``, Å: the ``cutoff_spread`` of its
        :class:`~mda_electrolyte.shell_cutoffs.ShellCutoff`; the cutoff's error where not
        given) carried through the running integral,
        ``δ · (CN(r_c + δ) − CN(r_c − δ)) / 2δ`` (held within the range); not valid without a
        minimum, blocks, or a valid cutoff."""
        if not math.isfinite(cutoff.value):
            return Estimate.invalid(math.nan, math.nan, "1", METHODS["none"],
                                    f"no first minimum: {cutoff.verdict}")
        edges = self.results.edges

        def running(cn, r):
            # CN at the upper bin edges, 0 at the start of the range; linear within a bin
            return float(np.interp(r, edges, np.concatenate(([0.0], cn))))

        # the pairs closer than a range that starts after 0 Å are in the shell too
        closer = float(self._below_blocks[:, p].sum()) / (self.n_frames * self._n_a[p])
        value = running(self.results.cn_total[key], cutoff.value) + closer
        if method is None:
            return Estimate.invalid(
                value, math.nan, "1", METHODS["none"],
                f"too few frames: {self.n_frames} (a block error needs at least "
                f"{self._block_min_frames})",
                n_samples=self.n_frames)
        blocks = self._block_counts[:, p].sum(axis=1)
        per_block = np.cumsum(blocks, axis=-1) / (
            self.results.frames_blocks[:, None] * self._n_a[p])
        closer_blocks = self._below_blocks[:, p] / (self.results.frames_blocks * self._n_a[p])
        block_values = [running(cn, cutoff.value) + c
                        for cn, c in zip(per_block, closer_blocks, strict=True)]
        _, err, _ = mean_error(block_values)
        # the same count in every block: no exchange with the first shell was sampled, so the
        # block error of 0 is no error bar (one Li+ with its four waters was "4 ± 0 (valid)");
        # the shell statistics refuse such a series alike (frame_estimates, "no fluctuation")
        still = (f"no fluctuation: the count within the first minimum is {value:g} in every "
                 f"one of {len(block_values)} blocks of frames (no exchange sampled), so its "
                 "error is unknown",) if np.ptp(block_values) == 0 else ()
        # the running count holds every band up to the cutoff: the widest widening and the
        # fewest independent segments among them
        bands = slice(0, int(np.searchsorted(self._bands(), np.searchsorted(
            edges, cutoff.value, side="right") - 1, side="right")) or 1)
        err *= float(self._widening[p, bands].max())
        # a count around one or two atoms is theirs, not the liquid's: the shell statistics
        # of the same cations say "too few ions" (frame_estimates.MIN_IONS); the RDF called
        # the coordination number of one Li+ valid beside them
        # (the cutoff carries the g(r)'s own doubts already: said once)
        short = tuple(n for n in self._too_short(p) if n not in cutoff.notes) + ((
            f"too few reference atoms: {int(self._n_a[p])} (a first-shell count needs at "
            f"least {self._min_ions} to average over)",) if self._n_a[p] < self._min_ions else ())
        # where repeated runs put the cutoff, not the wider reach of a flat trough's minimum
        # (mda_electrolyte.solvation.cutoff_cn_errors)
        delta = cutoff.stderr if spread is None else spread
        if not math.isfinite(delta):
            return Estimate.invalid(value, math.nan, "1", METHODS["none"],
                                    f"the cutoff's error is unknown ({cutoff.method})")
        lo, hi = max(cutoff.value - delta, edges[0]), min(cutoff.value + delta, edges[-1])
        d_cn = 0.0
        if hi > lo:
            d_cn = (running(self.results.cn_total[key], hi)
                    - running(self.results.cn_total[key], lo)) / (hi - lo) * delta
        n_blocks = int(self._block_counts.shape[0])
        if still:
            return Estimate(value, math.nan, "1", METHODS["none"], n_blocks, converged=False,
                            notes=tuple(cutoff.notes) + short + still)
        # the block error has blocks - 1 degrees of freedom, the cutoff's is taken as normal
        return Estimate(value, float(np.hypot(err, d_cn)), "1",
                        f"{method} ⊕ the cutoff's scatter ±{delta:.3g} Å through the running "
                        f"integral (±{d_cn:.3g})", n_blocks,
                        converged=cutoff.valid and not short,
                        notes=tuple(cutoff.notes) + short,
                        dof=propagated_dof([(err, n_blocks - 1), (d_cn, cutoff.dof)]))

    def _g_max(self, key, method):
        """The height of g_total's highest peak and its position (:func:`peak_top`), each with
        its jackknife error over blocks of frames (the choice of the bins, the fit and the
        binning correction repeated without each block), as ``(height, position)`` Estimates
        with one verdict."""
        total = self.results.total[key]
        p = self.results.pairs.index(key)
        counts = self.results.counts[p].sum(axis=0)
        top = peak_top(self.results.bins, total, counts)
        n_blocks = int(self.results.counts_blocks.shape[0])
        counted = counts >= MIN_PEAK_PAIRS
        # shown where no top is fitted: the highest bin among those peak_top searched (of
        # all bins where none holds enough pairs), its height and centre together; a height
        # beside a NaN position (or the reverse) read as a peak whose position was lost
        k = int(np.argmax(np.where(counted, total, -np.inf) if counted.any() else total))
        if top.height is not None:
            shown = (top.height, top.position, METHODS["none"])
        elif np.any(total):
            shown = (float(total[k]), float(self.results.bins[k]),
                     "the highest bin and its centre (no peak top fitted); no uncertainty "
                     "available")
        else:
            # g is zero everywhere: no bin is higher than another, so no position either
            shown = (math.nan, math.nan, METHODS["none"])

        def refused(*reasons):
            # height and position of one peak: the same numbers' provenance, no error bar
            # on either, one verdict; every reason (a g(r) without a peak may also be from
            # correlated blocks)
            notes = (*reasons, *(self._too_short(p) if method is not None else ()))
            height, position, how = shown
            n = n_blocks if method is not None else self.n_frames
            return (Estimate(height, math.nan, "1", how, n, converged=False, notes=notes),
                    Estimate(position, math.nan, "Å", how, n, converged=False, notes=notes))

        reasons = []
        if method is None:
            reasons.append(f"too few frames: {self.n_frames} (a block error of g(r) needs at "
                           f"least {self._block_min_frames})")
        if not np.any(total):
            reasons.append(_NO_PAIRS_NOTE)
        if reasons:
            return refused(*reasons)
        if counts.max() < MIN_PEAK_PAIRS:
            return refused(f"at most {counts.max():g} pair(s) counted in a bin (fewer than "
                           f"{MIN_PEAK_PAIRS}): the highest of bins this sparse is counting "
                           "noise")
        if top.height is None:
            # the highest of a flat g's bins (an ideal gas's noise) fits as a narrow "peak":
            # "too coarse ... use narrower bins" told the user of a peak that is not there
            rise, err = float(total[k]) - 1.0, float(self.results.total_err[key][k])
            if not rise > _PEAK_SIGNIFICANCE * err:
                return refused(f"no peak: the highest bin, g = {total[k]:.3g} at "
                               f"{self.results.bins[k]:.3g} Å, lies within "
                               f"{_PEAK_SIGNIFICANCE:g} error bars (±{err:.2g}) of an ideal "
                               "gas's 1")
            return refused(top.reason if top.reason.startswith("too coarse")
                           else f"no resolved peak: {top.reason}")
        tops = self._peaks_without(p)
        if any(t.height is None for t in tops):
            return refused("no resolved peak: without one of the blocks of frames g(r) has no "
                           "peak top to fit")
        # the band of the peak's bin widens as the bins' errors where its blocks are correlated
        k = min(int(np.searchsorted(self.results.edges, top.position)) - 1, self._nbins - 1)
        widening = float(self._widening[p, np.searchsorted(self._bands(), max(k, 0),
                                                           side="right") - 1])
        errors = [widening * jackknife_error(lambda keep, which=which: getattr(
            tops[int(np.flatnonzero(~keep)[0])], which), n_blocks)
            for which in ("height", "position")]
        # the shape the bins of the top cannot tell (a Gaussian above 0 or above 1)
        errors[0] = math.hypot(errors[0], top.resolution)
        notes = list(self._too_short(p))
        if not errors[1] < top.width:
            # the highest of a flat g's noisy bins moves with the frames (an ideal gas's,
            # all about as high): a peak stays within its width
            notes.append(f"no resolved peak: its position moves by ±{errors[1]:.2g} Å between "
                         f"the blocks of frames, more than its width ({top.width:.2g} Å)")
        elif not top.height - top.base > _PEAK_SIGNIFICANCE * errors[0]:
            # the highest of bins that are equal within noise (an ideal gas's) is no peak
            notes.append(f"no resolved peak: it rises {top.height - top.base:.3g} above "
                         f"{top.base:g}, within {_PEAK_SIGNIFICANCE:g} error bars "
                         f"(±{errors[0]:.2g})")
        how = _PEAK_METHOD.format(n=n_blocks)
        return tuple(Estimate(v, e, unit, how, n_blocks, converged=not notes,
                              notes=tuple(notes), dof=n_blocks - 1)
                     for v, e, unit in ((top.height, errors[0], "1"),
                                        (top.position, errors[1], "Å")))

    def _peaks_without(self, p):
        """:func:`peak_top` of g_total of pair ``p`` without each block of frames in turn."""
        blocks = self._block_counts[:, p].sum(axis=1)
        weighted = self._block_weighted[:, p].sum(axis=1)
        frames = float(self.results.frames_blocks.sum()) - self.results.frames_blocks
        counts = blocks.sum(axis=0)[None, :] - blocks
        # the normalisation of each block's g(r) in _block_errors
        g = (weighted.sum(axis=0)[None, :] - weighted) / (
            frames[:, None] * (self._n_a[p] * self._n_b[p]) * self._shell[None, :])
        # the bins and counts of this run (float64, finite), without each call's checks
        return [_peak_top(self.results.bins, row, c, MIN_PEAK_PAIRS)
                for row, c in zip(g, counts, strict=True)]

    def _curve_verdict(self, key):
        """The verdict of the pair's g(r) itself, as an Estimate for :func:`mark_invalid`
        (None where it is valid): too few frames for its errors, or blocks too correlated for
        them, or no pairs counted (a zero curve whose zero band measured nothing: one Li+
        has no Li-Li pairs). A g(r) without a peak (an ideal gas's) is no invalid curve."""
        if self.results.counts_blocks.shape[0] < 2:
            notes = (f"too few frames: {self.n_frames} (a block error of g(r) needs at least "
                     f"{self._block_min_frames})",)
        else:
            notes = self._too_short(self.results.pairs.index(key))
        if not np.any(self.results.total[key]):
            # the peak's own rule (g_max "no value"): the curve was shown valid with a 0 band
            notes = (_NO_PAIRS_NOTE, *notes)
        if not notes:
            return None
        return Estimate(math.nan, math.nan, "1", METHODS["none"], converged=False, notes=notes)

    def _too_short(self, p):
        """A note (as a tuple) where the pair's g(r) has fewer than :data:`_PER_BLOCK`
        independent segments per block, else ``()``: blocks shorter than that many
        correlation times are correlated, and their error is not calibrated even widened.

        The count is the median over the radial bands: a slow mode (density fluctuations
        over the box) correlates every band, and one band's inefficiency is noisy (the
        smallest of eight refused 42 % of 60-frame ideal gases, the median none)."""
        independent = self._independent[p]
        n = float(np.nanmedian(independent)) if np.any(np.isfinite(independent)) else math.nan
        return _correlation_too_short(self.results.counts_segments.shape[0],
                                     self.results.counts_blocks.shape[0], n)

    def _block_errors(self, shell, segment_counts):
        """Per-bin errors of g_intra, g_inter and g_total, shape (pairs, 3, bins), and how
        they were obtained (``None`` where there are too few frames for blocks).

        Each block of consecutive frames gives its own g(r), normalised by its own frames and
        their volumes (:meth:`_weighted`); the error is their t-scaled standard error
        (:func:`~mda_electrolyte.uncertainty.mean_error`), widened where the blocks are
        correlated (:meth:`_correlation_widening`). Fewer than
        :data:`~mda_electrolyte.frame_estimates.MIN_FRAMES` frames: no blocks, errors NaN and
        not valid."""
        n_blocks = self.results.counts_blocks.shape[0]
        errors = np.full((len(self._keys), 3, self._nbins), np.nan)
        if n_blocks < 2:
            return errors, None
        frames = self.results.frames_blocks.astype(np.float64)
        per_block = np.einsum("pk,nkib->npib", self._weights,
                              self._class_pair_counts(self.results.counts_blocks))
        # (blocks, pairs, intra/inter, bins), also for the coordination numbers' errors
        self._block_counts = per_block
        # the same weighted by each frame's volume (Å³), for the blocks' g(r)
        self._block_weighted = np.einsum("pk,nkib->npib", self._weights,
                                         self._class_pair_counts(self._weighted("blocks")))
        density = self._n_a * self._n_b
        # g of each block: (blocks, pairs, intra/inter, bins)
        norm = frames[:, None, None] * density[None, :, None] * shell[None, None, :]
        g_blocks = self._block_weighted / norm[:, :, None, :]
        g_blocks = np.concatenate([g_blocks, g_blocks.sum(axis=2, keepdims=True)], axis=2)
        _, err, _ = mean_error(g_blocks, axis=0)
        errors[:] = err
        widening = self._correlation_widening(shell, segment_counts, g_blocks[:, :, 2])
        method = METHODS["blocks"].format(n=n_blocks)
        self._widening = widening
        if np.any(widening > 1.0):
            errors *= self._band_of_bin_values(widening)[:, None, :]
            method = (f"{method}, widened where the blocks are correlated (statistical "
                      f"inefficiency over {segment_counts.shape[0]} segments)")
        return errors, method

    def _weighted(self, level):
        """The flat ordered counts of each block or segment (``level``) weighted by their
        frames' volumes, ``Σ_f V_f c_f`` in Å³: where the volume varies, as the pass summed
        them; else the counts times the one volume (the mean over the level's frames)."""
        if self._varying_volume:
            return self.results[f"weighted_{level}"]
        frames = np.maximum(self.results[f"frames_{level}"], 1).astype(np.float64)
        return (self.results[f"counts_{level}"]
                * (self.results[f"volume_{level}"] / frames)[:, None])

    def _bands(self):
        """First bin of each radial band (at most :data:`_BANDS` groups of bins)."""
        # asked for every pair's errors and first shell: computed once
        starts = self.__dict__.get("_band_starts")
        if starts is None:
            starts = np.unique(np.linspace(0, self._nbins, min(_BANDS, self._nbins) + 1)
                               .round().astype(np.intp))[:-1]
            starts.setflags(write=False)
            self._band_starts = starts
        return starts

    def _band_of_bin_values(self, per_band):
        """(pairs, bands) values spread over the bins of each band: (pairs, bins)."""
        starts = self._bands()
        sizes = np.diff(np.append(starts, self._nbins))
        return np.repeat(per_band, sizes, axis=1)

    def _frames_one_configuration(self):
        """(pairs,) bool: the pair's frames are one configuration, each frame's counts of
        every bin (intramolecular and intermolecular) and its volume the first frame's, with
        intermolecular pairs in the range and at least two segments to compare.

        Read from the segments (one frame each in runs of up to 200 frames; else equal
        counts per frame in each). Pairs only within molecules do not count: a rigid
        molecule's bonded pairs keep their counts in independent frames."""
        ordered, frames = self.results.counts_segments, self.results.frames_segments
        one = np.zeros(len(self._keys), dtype=bool)
        if ordered.shape[0] < 2 or self.n_frames < 2 or np.any(frames < 1):
            return one
        # per frame alike in every segment: c_s f_0 = c_0 f_s (exact integers), cell by cell
        # of the ordered histogram, one segment at a time (no copy of all segments' counts)
        same = np.ones(ordered.shape[1], dtype=bool)
        for counts, n in zip(ordered[1:], frames[1:], strict=True):
            same &= counts * int(frames[0]) == ordered[0] * int(n)
        volume = self.results.volume_segments / frames
        if not np.ptp(volume) <= 1e-12 * float(np.max(np.abs(volume))):
            return one
        shape = (self._n_cls, self._n_cls, 2, self._n_count + 1)
        rows = same.reshape(shape).all(axis=(-1, -2))
        inter = self.results.counts_ordered.reshape(shape)[
            ..., 1, self._n_lower : self._n_lower + self._nbins].sum(axis=-1) > 0
        c1, c2 = self._class_pair_members
        # an unordered class pair: both orders of its classes
        class_same = (rows & rows.T)[c1, c2]
        class_inter = (inter | inter.T)[c1, c2]
        for p, k in enumerate(self._weights != 0):
            one[p] = bool(np.all(class_same[k]) and np.any(class_inter[k]))
        return one

    def _correlation_widening(self, shell, segment_counts, g_blocks):
        """Factor (pairs, bands) by which correlated blocks widen the block errors, >= 1.

        Blocks a tenth of the run long are independent only when the frames decorrelate
        within a block. Each block is cut into equal segments (one frame each for runs of up
        to 200 frames); the total g(r) of each radial band over the segments is a time series
        whose statistical inefficiency (the larger of pymbar's two estimates,
        :func:`~mda_electrolyte.uncertainty.timeseries_mean`) gives the error of its mean
        with the correlation counted. Where that exceeds the band's block error (``g_blocks``:
        blocks, pairs, bins), the errors of the band's bins are widened by the ratio, as
        :func:`~mda_electrolyte.frame_estimates.frame_average` takes the larger of the two.
        """
        n_segments, n_blocks = segment_counts.shape[0], g_blocks.shape[0]
        widening = np.ones((len(self._keys), self._bands().size))
        self._independent = np.full(widening.shape, np.nan)
        # frames that are one configuration are one independent segment in every band that
        # holds pairs, however few the segments: their band series never change, and the
        # block error of 0 below (skipped as "no series") had read them as independent
        held = np.add.reduceat(self.results.counts.sum(axis=1), self._bands(), axis=1) > 0
        held &= self._one_configuration[:, None]
        self._independent[held] = 1.0
        # an inefficiency sees a correlation over a block only from several segments per
        # block (10 frames in 5 blocks: no series to speak of): not measured, not widened
        if n_segments < _MIN_SEGMENTS_PER_BLOCK * n_blocks:
            return widening
        starts = self._bands()
        per_segment = np.einsum("pk,nkib->npb", self._weights,
                                self._class_pair_counts(self._weighted("segments")))
        frames = self.results.frames_segments.astype(np.float64)
        band_shell = np.add.reduceat(shell, starts)
        density = self._n_a * self._n_b
        g_segments = np.add.reduceat(per_segment, starts, axis=2) / (
            frames[:, None, None] * density[None, :, None] * band_shell[None, None, :])
        g_band_blocks = np.add.reduceat(g_blocks * shell, starts, axis=2) / band_shell
        _, block_err, _ = mean_error(g_band_blocks, axis=0)
        for p, b in zip(*np.nonzero((block_err > 0) & ~held), strict=True):
            series = g_segments[:, p, b]
            err, g = _frames_inefficiency(series)
            n_independent = n_segments / g
            self._independent[p, b] = n_independent
            widening[p, b] = max(1.0, err / block_err[p, b])
        return widening

    @draws_user_text
    @names_errors
    def plot(self, pairs=None, ncols=4):
        """Intra, inter and total g(r) of each pair, one panel per pair.

        Each curve carries its one-sigma band over blocks of frames (``results.total_err``,
        ``inter_err``, ``intra_err``); a panel whose g(r) has no error (too few frames) is
        stamped not valid.

        Parameters
        ----------
        pairs : list of tuple, optional
            Pair keys to show, in either order (default: all).
        ncols : int
            Panels per row, at least 1.

        Returns
        -------
        matplotlib.figure.Figure

        Raises
        ------
        RuntimeError
            Before :meth:`run`.
        ValueError, TypeError, KeyError
            No pairs, a string for ``pairs``, ``ncols`` not a whole number >= 1, unknown pairs.
        """
        import matplotlib.pyplot as plt

        require_results(self, "total")
        ncols = count_argument("ncols", ncols)
        if isinstance(pairs, str):
            raise TypeError(f"pairs must be a list of (element, element) pairs, not the string "
                            f"{pairs!r}")
        if (isinstance(pairs, (tuple, list)) and len(pairs) == 2
                and all(isinstance(s, str) for s in pairs)):
            # one pair given bare was read as two pairs of its letters: "unknown pairs
            # [('L', 'i'), ('F',)]"
            raise ValueError(f"pairs must be a list of (element, element) pairs, not one pair "
                             f"{pairs!r}: give [{tuple(pairs)!r}]")
        keys = list(self.results.pairs) if pairs is None else [
            tuple(p) if hasattr(p, "__iter__") and not isinstance(p, (str, bytes)) else p
            for p in pairs]
        if not keys:
            raise ValueError(f"no pairs to plot: pass some of {self.results.pairs} or "
                             "pairs=None for all")
        # a pair is unordered: ("O", "Li") is the ("Li", "O") panel
        keys = [k[::-1] if isinstance(k, tuple) and k not in self.results.total
                and k[::-1] in self.results.total else k for k in keys]
        unknown = [k for k in keys if k not in self.results.total]
        if unknown:
            raise KeyError(f"unknown pairs {unknown}; known: {self.results.pairs}")
        ncols = min(ncols, len(keys))
        nrows = -(-len(keys) // ncols)
        fig, axes = plt.subplots(nrows, ncols, figsize=(3.2 * ncols, 2.6 * nrows), squeeze=False)
        r = self.results.bins
        for ax, key in zip(axes.flat, keys, strict=False):
            # every curve with its one-sigma band over blocks of frames: the intra/inter split
            # the analysis exists for was drawn bare beside the total's band
            for part, color, band_color, width in (("total", "k", "0.6", 1.2),
                                                   ("inter", "C0", "C0", 1.0),
                                                   ("intra", "C3", "C3", 1.0)):
                g, err = self.results[part][key], self.results[f"{part}_err"][key]
                if np.all(np.isfinite(err)):
                    ax.fill_between(r, g - err, g + err, color=band_color,
                                    alpha=0.5 if part == "total" else 0.25, lw=0,
                                    label="± 1σ" if part == "total" else "_nolegend_")
                ax.plot(r, g, color=color, lw=width, label=part)
            ax.set_title(f"{key[0]}–{key[1]}", fontsize=9)
            ax.set_xlabel("r (Å)")
            ax.set_ylabel("g(r)")
            mark_invalid(ax, self._curve_verdict(key))
        for ax in list(axes.flat)[len(keys):]:
            ax.set_visible(False)
        axes.flat[0].legend(fontsize=7)
        fig.tight_layout()
        return fig


@register_analysis("intra_inter_rdf", needs=("box",))
def _report(universe, outdir, *, calculator=None, verbose=False):
    """Element-pair intra/inter RDFs of all atoms for ``electrolyte analyze``."""
    import matplotlib

    matplotlib.use("Agg")

    # the smallest box of the run limits the range (NPT boxes fluctuate): each distinct box
    # once, from the reader's box array where it has one (the caller's frame is kept)
    r_max = min([8.0] + [half_box_width(reduced_box(box), "intra_inter_rdf", frame)
                         for frame, box in trajectory_boxes(universe.trajectory, distinct=True)])
    rdf = IntraInterRDF(universe.atoms, pairs="elements", range=(0.0, r_max),
                        verbose=verbose).run()
    fig = rdf.plot()
    save_figure(fig, outdir / "intra_inter_rdf.png", dpi=120)
    r = rdf.results.bins
    summary = {"r_angstrom": r.tolist(), "pairs": {}}
    def band(errors):
        # one sigma per bin over blocks of frames; null without blocks (too few frames)
        return errors.tolist() if np.all(np.isfinite(errors)) else None

    def curve_verdict(key):
        marked = rdf._curve_verdict(key)
        return "valid" if marked is None else marked.verdict

    for key in rdf.results.pairs:
        total = rdf.results.total[key]
        summary["pairs"][f"{key[0]}-{key[1]}"] = {
            "g_intra": rdf.results.intra[key].tolist(),
            "g_inter": rdf.results.inter[key].tolist(),
            "g_total": total.tolist(),
            # every curve with its band: the intra and inter curves were written bare, so the
            # split the analysis exists for came without an error
            "g_intra_err": band(rdf.results.intra_err[key]),
            "g_inter_err": band(rdf.results.inter_err[key]),
            "g_total_err": band(rdf.results.total_err[key]),
            # the curves' own verdict: bands of null (one frame, too few for blocks) or of
            # correlated blocks were written without a word of why
            "g_verdict": curve_verdict(key),
            # the height of its highest peak (a Gaussian fitted to its top), with the
            # jackknife error over blocks of frames and its verdict
            "g_max": rdf.results.estimates[key]["g_max"],
            # where that top lies (Å), from the same fit: a height without its position
            # cannot be compared with a paper's peak
            "g_max_position": rdf.results.estimates[key]["g_max_position"],
            # the first peak of the smoothed g(r) (not its global maximum) and the first minimum,
            # with their resolution and verdict (shallow, small sample); no bare copies
            "first_peak": rdf.results.estimates[key]["first_peak"],
            "first_minimum": rdf.results.estimates[key]["first_minimum"],
            # the coordination number within it, the cutoff's scatter carried
            "cn_first_shell": rdf.results.estimates[key]["cn_first_shell"],
        }
    summary["png"] = "intra_inter_rdf.png"
    return summary
