"""The base of the trajectory analyses of :mod:`mda_electrolyte`.

:class:`FrameAnalysis` is :class:`MDAnalysis.analysis.base.AnalysisBase` with three guarantees
every analysis of this package gives: the frame selection (``start``/``stop``/``step`` or
``frames``) is checked before any frame is read, the Universe is left on the frame it was on
(AnalysisBase leaves it wherever the iteration stopped, which silently changes
``universe.atoms.positions`` for the caller), and a run that fails leaves no results (not those
of an earlier run beside a frame count of this one). :func:`half_box_width` is the one check of
a periodic box and of the range a minimum-image analysis may use in it, :func:`reduced_box` the
equivalent cell of a sheared one, :func:`frame_boxes` the one reader of boxes (without the
coordinates where the reader keeps them apart) and :func:`trajectory_boxes` the box of every
frame.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import itertools
import numbers
import os
import pickle
import sys

import numpy as np
from MDAnalysis.analysis.base import AnalysisBase
from MDAnalysis.analysis.results import Results
from MDAnalysis.coordinates.memory import MemoryReader
from MDAnalysis.core.groups import AtomGroup, UpdatingAtomGroup
from MDAnalysis.core.universe import Universe
from MDAnalysis.lib.mdamath import triclinic_box, triclinic_vectors

from ase_electrolyte.atoms_checks import check_flag, check_number
from ase_electrolyte.neighbour_pairs import face_distances
from ase_electrolyte.option_words import choice_word

__all__ = ["FrameAnalysis", "check_atomgroup", "check_range", "half_box_width", "box_fault",
           "require_results", "check_coordinate_precision", "kept_frame", "BOX_ROUNDING",
           "MAX_ROUNDING_PER_BIN", "check_static_selection", "COORDINATE_SELECTIONS"]

#: Box dimensions are float32 in MDAnalysis: a range of exactly half the box, taken from them,
#: must not be refused because the float64 width differs in the last float32 digit.
BOX_ROUNDING = 1.0 + 4 * np.finfo(np.float32).eps

# MDAnalysis' built-in backends of AnalysisBase.run, by the names it matches
BACKENDS = ("serial", "multiprocessing", "dask")


def box_fault(box):
    """What is wrong with an MDAnalysis box, in words, or ``None`` for a box that spans a cell.

    One reading of a bad box for every message that names one: a negative length (a sign
    flipped by a converter) is not the same fault as a frame written without a box (zero
    lengths) or a NaN from a failed run, and the user's cure differs.

    Parameters
    ----------
    box : array_like, shape (6,), or None
        ``[a, b, c, alpha, beta, gamma]`` in Å and degrees.

    Returns
    -------
    str or None
        E.g. ``"no box (lengths all zero)"``, ``"a negative length (b = -12 Å)"``,
        ``"a NaN length (c)"``, ``"angles that span no cell"``.
    """
    if box is None:
        return "no box dimensions"
    box = np.asarray(box, dtype=np.float64)
    if box.shape != (6,):
        return f"{box.size} numbers, not the 6 of [a, b, c, alpha, beta, gamma]"
    names = ("a", "b", "c", "alpha", "beta", "gamma")
    bad = [k for k in range(6) if not np.isfinite(box[k])]
    if bad:
        kind = "a NaN" if np.isnan(box[bad[0]]) else "an infinite"
        return (f"{kind} {'length' if bad[0] < 3 else 'angle'} "
                f"({', '.join(names[k] for k in bad)})")
    lengths = box[:3]
    if np.all(lengths == 0):
        return "no box (lengths all zero)"
    negative = [k for k in range(3) if lengths[k] < 0]
    if negative:
        return "a negative length (" + ", ".join(
            f"{names[k]} = {lengths[k]:.6g} Å" for k in negative) + ")"
    zero = [k for k in range(3) if lengths[k] == 0]
    if zero:
        return f"a zero length ({', '.join(names[k] for k in zero)}): a flat box"
    with np.errstate(invalid="ignore"):
        vectors = triclinic_vectors(box, dtype=np.float64)
    if not abs(np.linalg.det(vectors)) > 1e-6 * np.prod(lengths):
        return "angles that span no cell"
    return None


def half_box_width(box, what="the analysis", frame=None):
    """Half the smallest distance between opposite faces of a periodic MDAnalysis box, Å.

    The largest distance a minimum-image analysis can count without missing or doubling
    periodic images. Compare a range with ``r_max <= half * BOX_ROUNDING``.

    Parameters
    ----------
    box : array_like, shape (6,), or None
        ``[a, b, c, alpha, beta, gamma]`` in Å and degrees (``universe.dimensions``).
    what : str
        The analysis, as the message shows it.
    frame : int, optional
        The frame the box is of, as the message shows it (default: "the current frame").

    Returns
    -------
    float

    Raises
    ------
    ValueError
        No box, a length that is zero, negative or not finite, or angles that span no cell
        (e.g. 0° or 180°, or three angles no parallelepiped has): MDAnalysis turns those into a
        zero cell, with which distances would be computed without periodic images.
    """
    where = "the current frame" if frame is None else f"frame {frame}"
    if box is None:
        raise ValueError(f"{what} needs a periodic box: {where} has no box dimensions")
    box = np.asarray(box, dtype=np.float64)
    if box.shape != (6,) or not np.all(np.isfinite(box)) or np.any(box[:3] <= 0):
        raise ValueError(f"{what} needs a periodic box: {where} has the box {box.tolist()} "
                         f"({box_fault(box)})")
    with np.errstate(invalid="ignore"):  # impossible angles: a zero cell, refused below
        vectors = triclinic_vectors(box, dtype=np.float64)
    lengths = np.prod(box[:3])
    volume = abs(np.linalg.det(vectors))
    if not volume > 1e-6 * lengths:
        raise ValueError(
            f"{what}: the box of {where}, {box.tolist()}, has angles (alpha, beta, gamma) that "
            "span no cell (each must lie in (0, 180) degrees and below the sum of the other two, "
            "and the three sum to less than 360)")
    return 0.5 * min(face_distances(vectors))


# (i, j, k) of the cells b + i a, c + j a + k b next to a reduced one
_NEIGHBOUR_SHEARS = np.array(list(itertools.product((0, -1, 1), repeat=3))).T


def reduced_box(box):
    """The same periodic lattice as ``box``, its tilts reduced: an equivalent cell.

    A cell whose vectors are sheared by adding one to another (``b + a``, ``c + 2a + b``) holds
    the same lattice and gives the same minimum-image distances, but its faces lie closer
    together, so :func:`half_box_width` of it is smaller and MDAnalysis' grid search refuses
    ranges the lattice allows. Reducing the tilts (``c`` against ``b`` and ``a``, then
    ``b -= round(b_x / a_x) a``, as LAMMPS keeps them; then the widest of the cells one more
    shear away, for tilts of exactly half) gives the cell of that lattice, with ``a`` along x
    and ``b`` in the xy plane as MDAnalysis orients it (so positions need no change), whose
    nearest faces lie farthest apart.

    Parameters
    ----------
    box : array_like, shape (6,), or None
        ``[a, b, c, alpha, beta, gamma]`` in Å and degrees (``universe.dimensions``).

    Returns
    -------
    numpy.ndarray, shape (6,), or None
        ``box`` itself (the very object) when its tilts are reduced already, or it is no cell
        (``None``, not finite, a zero volume: :func:`half_box_width` refuses those); otherwise
        the dimensions of the reduced cell, float32 as MDAnalysis keeps them.
    """
    if box is None:
        return box
    dims = np.asarray(box, dtype=np.float64)
    if dims.shape != (6,) or not np.all(np.isfinite(dims)) or np.any(dims[:3] <= 0):
        return box
    if np.all(dims[3:] == 90.0):  # a rectangular box: reduced already (and read every frame)
        return box
    with np.errstate(invalid="ignore"):
        vectors = triclinic_vectors(dims, dtype=np.float64)
    a, b, c = vectors
    if not (a[0] > 0 and b[1] > 0 and c[2] > 0):
        return box
    c = c - np.round(c[1] / b[1]) * b
    c = c - np.round(c[0] / a[0]) * a
    b = b - np.round(b[0] / a[0]) * a
    # at a tilt of exactly half a vector (hexagonal cells) the rounding above may pick the
    # narrower of two cells: the widest of the neighbouring shears (the given cell on a tie).
    # One lattice, one volume: the widest cell is the one whose largest face is smallest.
    i, j, k = _NEIGHBOUR_SHEARS
    bs = b + i[:, None] * a
    cs = c + j[:, None] * a + k[:, None] * b
    faces = np.stack([np.cross(bs, cs), np.cross(cs, a), np.cross(a, bs)], axis=1)
    largest = np.linalg.norm(faces, axis=2).max(axis=1)
    given = np.linalg.norm(np.cross(vectors[[1, 2, 0]], vectors[[2, 0, 1]]), axis=1).max()
    best = int(np.argmin(largest))
    if not largest[best] < given * (1 - 1e-9):
        return box
    return triclinic_box(a, bs[best], cs[best])


def _boxes_apart_from_coordinates(reader, local, times):
    """``(boxes, times)`` of frames ``local`` of one reader, read without its coordinates, as
    its Timestep would give them (dimensions, zeros for no box; times in ps, ``None``
    unless asked), or ``None`` where the reader keeps no such series apart: any reader but an
    in-memory one and an H5MD file, and any reader with transformations (one may change the
    box, e.g. ``boxdimensions``)."""
    if getattr(reader, "transformations", None):
        return None
    if isinstance(reader, MemoryReader):
        array = getattr(reader, "dimensions_array", None)
        if array is None or np.shape(array) != (reader.n_frames, 6):
            return None
        # the rows the Timestep would show (float64 where the array was made so)
        boxes = np.asarray(array)[local].astype(np.float64)
        # MemoryReader's time is its frame times dt, no stored series
        return boxes, (_on_timestep_clock(reader, local * float(reader.dt),
                                          lambda frame: frame * float(reader.dt))
                       if times else None)
    group = getattr(reader, "_particle_group", None)
    has = getattr(reader, "_has", None)
    if group is None or not isinstance(has, dict) or "box" not in group:
        return None
    # h5py reads increasing indices only: the span, then the frames of it
    lo, hi = (int(local.min()), int(local.max()) + 1) if local.size else (0, 0)
    try:
        boxes = np.zeros((local.size, 6), dtype=np.float32)
        if "edges" in group["box"]:
            edges = np.asarray(group["box/edges/value"][lo:hi])[local - lo]
            if edges.shape[1:] == (3,):
                boxes[:, :3] = edges
                boxes[:, 3:] = 90.0
            elif edges.shape[1:] == (3, 3):
                # H5MDReader's own conversion of edge vectors, once per distinct cell
                cells, inverse = np.unique(edges.reshape(-1, 9), axis=0, return_inverse=True)
                dims = np.array([triclinic_box(*cell.reshape(3, 3)) for cell in cells],
                                dtype=np.float32).reshape(-1, 6)
                boxes[:] = dims[inverse.ravel()]
            else:
                return None
            if reader.convert_units:
                # in single precision, as H5MDReader converts its Timestep's dimensions
                reader.convert_pos_from_native(boxes[:, :3])
        boxes = boxes.astype(np.float64)
        found = None
        if times:
            # H5MDReader takes the time of the first of position, velocity, force that has one
            name = next((n for n, v in has.items() if v and "time" in group[n]), None)
            if name is None:
                return None
            stored = group[name]["time"]

            def read(rows):
                # converted in the stored precision, as H5MDReader converts its Timestep's
                values = np.asarray(stored[rows])
                if reader.convert_units:
                    values = reader.convert_time_from_native(values.copy())
                return np.asarray(values, dtype=np.float64)

            found = _on_timestep_clock(reader, read(slice(lo, hi))[local - lo],
                                       lambda frame: float(read(frame)))
    except (KeyError, TypeError, ValueError, OSError, IndexError):
        return None
    return boxes, found


def _on_timestep_clock(reader, found, stored_time):
    """Stored frame times ``found`` (ps) as the reader's Timestep gives them: shifted by its
    ``time_offset`` (``load_new(..., time_offset=)``; a Universe of Atoms whose first frame is
    at 5 ps), which the Timestep adds (the H5MD reader twice, MDAnalysis 2.x) and the stored
    series lacks. The shift is the current frame's ``ts.time`` less ``stored_time(frame)``;
    a current frame that is not the reader's own (a ChainReader's part) raises IndexError."""
    if not reader.ts.data.get("time_offset", 0):
        return found
    frame = int(reader.ts.frame)
    if not 0 <= frame < reader.n_frames:
        raise IndexError(frame)
    return found + (float(reader.ts.time) - stored_time(frame))


def frame_boxes(trajectory, frames=None, *, max_read=None, times=False):
    """Boxes (and times) of frames of ``trajectory``, without reading coordinates where it can.

    The one reader of boxes for checks and reports. An in-memory trajectory (its dimensions
    array), an H5MD file (its box dataset) and files of those joined by a ChainReader give
    every frame's box without its coordinates; any other reader (XTC, DCD, TRR, a LAMMPS dump;
    any reader with on-the-fly transformations, which may change the box) reads the frames:
    every one, or at most ``max_read`` spread evenly over them. The trajectory is left on the
    frame it was on.

    Parameters
    ----------
    trajectory : MDAnalysis.coordinates.base.ProtoReader
    frames : array_like of int, optional
        Trajectory frame indices (default: every frame).
    max_read : int, optional
        Most frames to read where coordinates must be read (default: all of ``frames``).
    times : bool
        Also give the frames' times.

    Returns
    -------
    read : numpy.ndarray of int
        The frames whose boxes are given: all of ``frames`` where the boxes are read apart from
        the coordinates or ``frames`` are at most ``max_read``, otherwise ``max_read`` of them.
    boxes : numpy.ndarray, shape (len(read), 6)
        ``[a, b, c, alpha, beta, gamma]`` (Å, degrees), the values ``Timestep.dimensions``
        gives (float32 in most readers); a row of zeros where a frame has no box.
    frame_times : numpy.ndarray of float or None
        The frames' times in ps as ``Timestep.time`` gives them (``None`` unless ``times``).
    """
    n = trajectory.n_frames
    # negative frames counted from the end, one past the last an IndexError: never a wrapped
    # or clipped read of another frame's box
    index = np.arange(n) if frames is None else np.arange(n)[
        np.asarray(frames, dtype=np.intp).ravel()]
    readers = getattr(trajectory, "readers", None)
    starts = getattr(trajectory, "_start_frames", None)
    direct = None
    if not getattr(trajectory, "transformations", None):
        if readers is not None and starts is not None:
            which = np.searchsorted(np.asarray(starts), index, side="right") - 1
            boxes = np.zeros((index.size, 6))
            found = np.zeros(index.size) if times else None
            for k, reader in enumerate(readers):
                mine = which == k
                if not mine.any():
                    continue
                part = _boxes_apart_from_coordinates(reader, index[mine] - starts[k], times)
                if part is None:
                    break
                boxes[mine] = part[0]
                if times:
                    found[mine] = part[1]
            else:
                direct = boxes, found
        else:
            direct = _boxes_apart_from_coordinates(trajectory, index, times)
    if direct is not None:
        return index, direct[0], direct[1]
    read = index
    if max_read is not None and index.size > max_read:
        read = index[np.unique(np.linspace(0, index.size - 1, max_read).round().astype(np.intp))]
    boxes = np.zeros((read.size, 6))
    found = np.zeros(read.size) if times else None
    with kept_frame(trajectory):
        for row, frame in enumerate(read):
            ts = trajectory[int(frame)]
            if ts.dimensions is not None:
                boxes[row] = ts.dimensions
            if times:
                found[row] = ts.time
    return read, boxes, found


def trajectory_boxes(trajectory, distinct=False):
    """The box of every frame of ``trajectory`` as ``(frame, dimensions or None)`` pairs.

    From :func:`frame_boxes`: without the coordinates where the reader keeps its boxes apart
    from them (in memory, H5MD, files of those joined), else every frame is read; the
    trajectory is left on the frame it was on (:func:`kept_frame`).

    Parameters
    ----------
    trajectory : MDAnalysis.coordinates.base.ProtoReader
    distinct : bool
        Only the first frame of every distinct box (an NVT run: one pair), for checks that
        depend on the box alone.

    Returns
    -------
    list of tuple
        ``(frame index, numpy.ndarray of shape (6,) or None)``; ``None`` for a frame without a
        box, as ``Timestep.dimensions`` gives it.
    """
    read, boxes, _ = frame_boxes(trajectory)
    pairs = [(int(frame), None if np.all(box[:3] == 0) else box.copy())
             for frame, box in zip(read, boxes, strict=True)]
    if not distinct:
        return pairs
    first = {}
    for frame, box in pairs:
        first.setdefault(None if box is None else box.tobytes(), (frame, box))
    return list(first.values())


@contextlib.contextmanager
def kept_frame(trajectory):
    """Return ``trajectory`` to the frame it is on now when the block ends (also on an error).

    Whatever a run, a check or a diagnostic reads of other frames, the caller's Universe is
    left on the frame it was on.
    """
    current = trajectory.ts.frame
    try:
        yield trajectory
    finally:
        trajectory[current]


#: Coordinates whose single-precision spacing exceeds this fraction of a histogram's bin width
#: are refused (:func:`check_coordinate_precision`).
MAX_ROUNDING_PER_BIN = 0.1


def check_coordinate_precision(positions, bin_width, what, frame):
    """Refuse single-precision coordinates too far from the origin for a histogram's bins.

    Single precision resolves a coordinate of magnitude x to about x * 6e-8 (an atom at 1e30 Å
    to 7.6e22 Å): far from the origin its distances are wrong by more than the bins resolve,
    and the counts of the frame would look valid.

    Parameters
    ----------
    positions : numpy.ndarray, shape (n, 3)
        Positions in Å, finite (checked before).
    bin_width : float
        The finest distance the analysis resolves, Å.
    what : str
        The analysis, as the message shows it.
    frame : int
        The frame, as the message shows it.

    Raises
    ------
    ValueError
        A spacing above :data:`MAX_ROUNDING_PER_BIN` of ``bin_width``.
    """
    if positions.dtype != np.float32 or not len(positions):
        return
    largest = float(np.abs(positions).max())
    spacing = float(np.spacing(np.float32(largest)))
    if spacing > MAX_ROUNDING_PER_BIN * bin_width:
        raise ValueError(
            f"{what}: frame {frame} has coordinates as large as {largest:.4g} Å, which single "
            f"precision resolves only to {spacing:.3g} Å, more than {MAX_ROUNDING_PER_BIN} of "
            f"the bin width ({bin_width:.3g} Å); use wider bins, or a trajectory with "
            "coordinates nearer the origin")


#: On-the-fly transformations (MDAnalysis.transformations) that turn the atoms and leave the
#: box as read: every periodic distance, image and shell computed from them is of another
#: structure.
ROTATING_TRANSFORMATIONS = ("fit_rot_trans", "rotateby")
#: On-the-fly transformations that replace positions by something no frame held, refused for
#: every analysis that reads positions (velocities are left as read: a Green–Kubo analysis of
#: velocities alone takes them). PositionAverager's running means of wrapped coordinates across
#: a box jump fall anywhere: a diffusion coefficient 5 times too large, called valid; its
#: means of structures are no structure either. Translations (fit_translation, center_in_box,
#: translate) move every atom alike; wrap, unwrap and NoJump keep every periodic distance.
AVERAGING_TRANSFORMATIONS = {
    "PositionAverager": "replaces positions by running means over frames (of wrapped "
                        "coordinates across box jumps too)",
}


def check_trajectory_source(trajectory, what, positions=True):
    """Refuse a trajectory whose frames are not the structures it was written with.

    Three ways a Universe built as MDAnalysis users build them gives frames an analysis must
    not take:

    - an on-the-fly transformation that rotates the atoms (``fit_rot_trans``, ``rotateby``) of
      a periodic trajectory: the box is not turned with them, so minimum-image distances,
      shells, unwrapping and the cell handed to a model are those of another structure
      (translations, ``wrap``, ``unwrap``, ``center_in_box`` keep every periodic distance and
      are accepted);
    - with ``positions``, a transformation that averages positions over frames
      (:data:`AVERAGING_TRANSFORMATIONS`);
    - a ChainReader that joins one file twice (``Universe(top, [a, a])``): its frames would
      count as independent samples and the error bars shrink.

    Parameters
    ----------
    trajectory : MDAnalysis.coordinates.base.ProtoReader
    what : str
        The analysis, as the message shows it.
    positions : bool
        Whether the analysis reads positions (False: velocities only).

    Raises
    ------
    ValueError
        Naming the transformation or the file.
    """
    # without a box (a cluster in vacuum) a rotation changes no distance
    periodic = getattr(getattr(trajectory, "ts", None), "dimensions", None) is not None
    for k, transformation in enumerate(getattr(trajectory, "transformations", None) or ()):
        name = type(transformation).__name__
        if periodic and name in ROTATING_TRANSFORMATIONS:
            raise ValueError(
                f"{what}: the trajectory has the on-the-fly transformation {name} "
                f"(trajectory.transformations[{k}]), which rotates the atoms but not the box: "
                "periodic distances would be those of another structure; load the Universe "
                "again without it (a rotation fit is for viewing, not for periodic analyses)")
        if positions and name in AVERAGING_TRANSFORMATIONS:
            raise ValueError(
                f"{what}: the trajectory has the transformation {name} attached "
                f"(trajectory.transformations[{k}]), which {AVERAGING_TRANSFORMATIONS[name]}: "
                "structures, displacements and mean-squared displacements would be wrong; load "
                "the trajectory without it (translations such as fit_translation or "
                "center_in_box are fine)")
    for reader in getattr(trajectory, "readers", None) or (trajectory,):
        _warn_unread_gro_frames(reader, what)
    filenames = getattr(trajectory, "filenames", None)
    if filenames is not None and len(filenames) > 1:
        import os

        seen = {}
        for k, filename in enumerate(filenames):
            key = os.path.realpath(str(filename))
            if key in seen:
                raise ValueError(
                    f"{what}: the trajectory joins the file {filename} twice (parts "
                    f"{seen[key]} and {k}): its frames would count as independent samples and "
                    "the error bars shrink; give each file once")
            seen[key] = k


def _warn_unread_gro_frames(reader, what):
    """Warn where MDAnalysis' GRO reader read one frame of a file that holds more.

    ``GROReader`` reads the first frame of a .gro file and nothing else, without a word: a
    ``gmx trjconv -o traj.gro`` trajectory of hundreds of frames was analysed as one.
    :func:`~mda_electrolyte.bridge.from_ase` reads every frame of such a file.
    """
    if type(reader).__name__ != "GROReader" or reader.n_frames != 1:
        return
    import itertools
    import warnings

    try:
        with open(reader.filename, encoding="utf-8", errors="replace") as fh:
            head = list(itertools.islice(fh, 2))
            n_atoms = int(head[1]) if len(head) == 2 else None
            if n_atoms is None:
                return
            # the first frame's atom lines and box line, then anything that is not blank
            rest = itertools.islice(fh, n_atoms + 1, None)
            more = any(line.strip() for line in itertools.islice(rest, 3))
    except (OSError, ValueError):
        return  # MDAnalysis read the file; what it holds beyond is not ours to judge then
    if more:
        warnings.warn(
            f"{what}: MDAnalysis' GRO reader reads only the first frame of {reader.filename}, "
            "which holds more: this analysis sees one frame; read them all with "
            f"mda_electrolyte.from_ase({str(reader.filename)!r}) (or convert the file with "
            "gmx trjconv to .xtc/.trr)", UserWarning, stacklevel=4)


def check_range(name, value):
    """``(r_min, r_max)`` in Å as two floats with ``0 <= r_min < r_max``, or ValueError naming
    ``name``; bools and strings are refused as :func:`~ase_electrolyte.atoms_checks.check_number`
    refuses them.

    Parameters
    ----------
    name : str
        The argument, as the message shows it.
    value : object

    Returns
    -------
    tuple of float

    Raises
    ------
    ValueError
        Not two numbers, a bound that is not finite, or not ``0 <= r_min < r_max``.
    """
    try:
        if isinstance(value, (str, bytes)):
            raise TypeError
        low, high = value
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be two numbers (r_min, r_max) in Å, got {value!r}"
                         ) from None
    r_min = check_number(f"{name}: r_min (Å)", low, minimum=0)
    r_max = check_number(f"{name}: r_max (Å)", high)
    if not r_min < r_max:
        raise ValueError(f"{name} must satisfy 0 <= r_min < r_max, got {(low, high)}")
    return r_min, r_max


def check_atomgroup(name, group, *, universe=None):
    """``group`` when it is a static, non-empty AtomGroup (of ``universe`` if given).

    Every analysis of this package fixes its atoms (their molecules, species, classes) when it
    is created; an :class:`~MDAnalysis.core.groups.UpdatingAtomGroup` would be read once, at
    that frame, and silently not re-evaluated on the frames analysed.

    Parameters
    ----------
    name : str
        The argument, as the message shows it.
    group : object
    universe : MDAnalysis.Universe, optional
        The Universe ``group`` must belong to.

    Returns
    -------
    MDAnalysis.core.groups.AtomGroup

    Raises
    ------
    TypeError
        ``group`` is not an AtomGroup (e.g. a selection string).
    ValueError
        ``group`` is updating, empty, holds an atom more than once, or is of another Universe.
    """
    if not isinstance(group, AtomGroup):
        raise TypeError(f"{name} must be an AtomGroup (e.g. universe.select_atoms(...)), not "
                        f"{type(group).__name__}")
    if isinstance(group, UpdatingAtomGroup):
        raise ValueError(
            f"{name} is an UpdatingAtomGroup (select_atoms(..., updating=True)): the analysis "
            "fixes its atoms when it is created and would not follow the selection from frame "
            "to frame; pass a static selection")
    if group.n_atoms == 0:
        raise ValueError(f"{name} is empty (it selects no atoms)")
    if group.isunique is False:
        # e.g. ag + ag[:3]: a repeated atom is paired with itself at r = 0 and counted twice
        # bincount's positions are the atom indices themselves
        repeated = np.flatnonzero(np.bincount(group.ix) > 1)
        raise ValueError(f"{name} holds {repeated.size} atom(s) more than once (e.g. index "
                         f"{repeated[0]}): each would be counted twice; pass the group's .unique")
    if universe is not None and group.universe is not universe:
        raise ValueError(f"{name} belongs to another Universe")
    check_universe(f"{name}'s Universe", group.universe)
    return group


def check_universe(name, universe):
    """``universe`` when it is an MDAnalysis Universe with a trajectory to analyse.

    A Universe made from a topology alone (``Universe.empty(..., trajectory=False)``, or a
    topology format that carries no coordinates) has no ``trajectory`` attribute: every
    analysis reads one, and MDAnalysis' own message ("No trajectory loaded into Universe")
    came as an AttributeError from inside the analysis' constructor.

    Parameters
    ----------
    name : str
        The argument, as the message shows it.
    universe : object

    Returns
    -------
    MDAnalysis.Universe

    Raises
    ------
    TypeError
        ``universe`` is not a Universe (e.g. an AtomGroup where the Universe belongs).
    ValueError
        ``universe`` has no trajectory.
    """
    if not isinstance(universe, Universe):
        hint = " (pass its .universe)" if isinstance(universe, AtomGroup) else ""
        raise TypeError(f"{name} must be an MDAnalysis Universe, not "
                        f"{type(universe).__name__}{hint}")
    try:
        _ = universe.trajectory  # MDAnalysis raises AttributeError where none was loaded
    except AttributeError:
        raise ValueError(
            f"{name} has no trajectory (a topology alone, e.g. Universe.empty(..., "
            "trajectory=False)): load coordinates with it, e.g. "
            "mda.Universe(topology, trajectory), or add them with "
            "universe.load_new(positions)") from None
    return universe


def _frame_selection(name, frames):
    """``frames`` of :meth:`FrameAnalysis.run` as a 1-D array of frame indices or a boolean
    mask, or None; the trajectory's indexing takes lists and arrays only (a tuple or a
    ``range`` was a TypeError from inside MDAnalysis, a single number 'object of too small
    depth')."""
    if frames is None:
        return None
    selection = np.asarray(frames) if isinstance(frames, (list, tuple, range, np.ndarray)) \
        else None
    if selection is None or selection.ndim != 1:
        raise TypeError(
            f"{name}: frames must be a list, tuple, range or 1-D array of frame indices, or a "
            f"boolean mask of the trajectory's frames, not {type(frames).__name__} "
            f"{str(frames)[:60]}")
    if not selection.size:
        return selection.astype(np.intp)
    if selection.dtype.kind not in "biu":
        raise TypeError(f"{name}: frames must be whole frame indices (or booleans), not "
                        f"{selection.dtype} values such as {selection[0]!r}")
    return selection if selection.dtype.kind == "b" else selection.astype(np.intp)


def _check_slice_bounds(name, start, stop, step):
    """Refuse ``start``, ``stop`` or ``step`` of :meth:`FrameAnalysis.run` that is neither
    ``None`` nor a whole number.

    A flag is an ``int`` to Python: ``run(start=True)`` (meant as "from the start"?) analysed
    from frame 1, silently leaving out frame 0, ``stop=True`` one frame; a float or text was
    MDAnalysis' TypeError "start is not an integer", which named neither the analysis nor
    the value.
    """
    for key, value in (("start", start), ("stop", stop), ("step", step)):
        if value is None:
            continue
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
            raise TypeError(
                f"{name}: {key} must be None or a whole number of frames, not "
                f"{type(value).__name__} {value!r}"
                + ("; a flag is not a frame" if isinstance(value, (bool, np.bool_)) else ""))


def _stop_before_first_frame(name, n_frames, stop, step, frames):
    """``stop`` of :meth:`FrameAnalysis.run` as MDAnalysis must be given it for Python's
    slice: one below ``-n_frames`` (before the first frame).

    MDAnalysis' ``check_slice_indices`` adds ``n_frames`` once and slices with the result:
    ``stop=-20`` of 13 frames became ``-7`` and analysed frames 0-5, where Python's slice
    selects none; backwards it stopped at frame 7 instead of running to frame 0. Forwards
    ``-n_frames`` is Python's meaning (no frame, refused as too few); backwards, to frame 0,
    MDAnalysis has no stop for it (see :meth:`FrameAnalysis._check_frames`): refused.
    """
    if frames is not None or stop is None or stop >= -n_frames:
        return stop
    if step is not None and step < 0:
        raise ValueError(
            f"{name}: stop={stop} lies before the trajectory's first frame ({n_frames} "
            "frames): backwards that runs to frame 0, which AnalysisBase cannot read (it "
            "stopped part-way); pass frames=range(start, -1, step) for those")
    return -n_frames


def _frames_text(frames):
    """``frames`` of :meth:`FrameAnalysis.run` as a message shows it: its length alone read
    as an index (``frames=0`` for an empty list)."""
    if frames is None:
        return "None"
    selection = np.asarray(frames)
    if selection.dtype.kind == "b":
        return f"a mask selecting {int(selection.sum())} of {selection.size}"
    shown = ", ".join(str(int(i)) for i in selection[:6])
    more = ", ..." if selection.size > 6 else ""
    return f"[{shown}{more}] ({selection.size} given)"


#: MDAnalysis selections whose atoms depend on the coordinates of the frame they are evaluated
#: on (with ``prop x``/``y``/``z``, see :func:`check_static_selection`).
COORDINATE_SELECTIONS = ("AroundSelection", "PointSelection", "SphericalZoneSelection",
                         "SphericalLayerSelection", "CylindricalSelection", "IsoLayerSelection")


def check_static_selection(name, selection):
    """Refuse a selection string whose atoms depend on the frame (``around``, ``sphzone``,
    ``point``, ``prop z < 5``, ...) for an analysis that evaluates it once, when it is created.

    It would pick the atoms near something in that frame and follow those atoms through every
    other frame, silently: the partial RDF of "the atoms around the Li" would be the RDF of the
    atoms that happened to be there at the start, as an UpdatingAtomGroup is refused by
    :func:`check_atomgroup` for the same reason.

    Parameters
    ----------
    name : str
        The argument, as the message shows it.
    selection : str
        An MDAnalysis selection string (one MDAnalysis cannot parse is left to
        ``select_atoms``, which names the error).

    Raises
    ------
    ValueError
        Naming the keyword that depends on the coordinates.
    """
    from MDAnalysis.core import selection as mda_selection

    moving = tuple(c for c in (getattr(mda_selection, n, None) for n in COORDINATE_SELECTIONS)
                   if isinstance(c, type))
    try:
        nodes = [mda_selection.Parser.parse(selection, {})]
    except Exception:  # noqa: BLE001 - select_atoms raises its own message for it
        return
    while nodes:
        node = nodes.pop()
        if isinstance(node, moving) or (isinstance(node, mda_selection.PropertySelection)
                                        and getattr(node, "prop", None) in ("x", "y", "z")):
            raise ValueError(
                f"{name}: the selection {selection!r} depends on the coordinates "
                f"({type(node).__name__}); it is evaluated once, on the frame the analysis is "
                "created on, and those atoms would be followed through every frame: select "
                "atoms by what they are (element, name, resname, type, index)")
        nodes.extend(v for v in vars(node).values() if isinstance(v, mda_selection.Selection))


@contextlib.contextmanager
def _one_torch_thread_unless(run_pid):
    """One torch thread within the block, unless this is the process ``run_pid`` (or torch
    is not loaded: an analysis of plain NumPy needs none)."""
    torch = sys.modules.get("torch")
    if torch is None or run_pid is None or os.getpid() == run_pid:
        yield
        return
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


class _Part:
    """What a part of a run gives back (:meth:`FrameAnalysis._compute`): its frames, times
    and results, the attributes :meth:`AnalysisBase.run` reads of each part."""

    __slots__ = ("frames", "times", "results")

    def __init__(self, frames, times, results):
        self.frames, self.times, self.results = frames, times, results


def _mda_object(obj):
    """Whether ``obj`` is one of MDAnalysis' own objects, which it makes picklable (a
    Universe is sent to a worker as its files and frame): left out of the check of what else
    an analysis holds."""
    from MDAnalysis.coordinates.base import ProtoReader
    from MDAnalysis.coordinates.timestep import Timestep
    from MDAnalysis.core.groups import GroupBase

    return isinstance(obj, (Universe, GroupBase, ProtoReader, Timestep))


def _sendable_tensor(obj):
    """Whether ``obj`` is a torch tensor (or storage) that any pickler sends: left out of the
    check, which then neither copies a model's weights nor hands them to
    ``multiprocessing``'s reducers.

    Those reducers (torch registers them with ``ForkingPickler``) move a tensor's storage to
    shared memory and leave a duplicate of its file descriptor with the resource sharer until a
    worker takes it; the check sends nothing, so none was ever taken: every parallel run of
    an analysis holding a model kept one descriptor per tensor open (20 per run for a
    calculator of 10 linear layers, a few hundred for a MACE model), until the process ran out
    of them. A tensor those reducers refuse (one that is not a leaf and requires grad) is
    still pickled, so that the check refuses it as the pool would; a subclass with attributes
    of its own too (they may not pickle).
    """
    torch = sys.modules.get("torch")
    if torch is None:  # no tensor exists before torch is imported
        return False
    if isinstance(obj, (torch.UntypedStorage, torch.TypedStorage)):
        return True
    return (type(obj) in (torch.Tensor, torch.nn.Parameter) and not vars(obj)
            and not (obj.requires_grad and not obj.is_leaf))


class _SendCheck:
    """A pickler of an analysis to nowhere, without MDAnalysis' own objects and torch tensors
    (see :func:`_check_sendable`, :func:`_sendable_tensor`)."""

    def __init__(self, pickler_type):
        class Pickler(pickler_type):
            def persistent_id(self, obj):
                return id(obj) if _mda_object(obj) or _sendable_tensor(obj) else None

        self._pickler = Pickler

    def fails(self, obj):
        """The exception pickling ``obj`` raises, or ``None``."""
        class Sink:
            def write(self, data):  # the pickle's bytes (or buffers) go nowhere
                pass

        try:
            self._pickler(Sink(), pickle.HIGHEST_PROTOCOL).dump(obj)
        except Exception as err:  # noqa: BLE001 - any failure to pickle is what is looked for
            return err
        return None


def _members(obj):
    """``(name, value)`` of what ``obj`` holds: attributes, mapping items, sequence items."""
    if isinstance(obj, dict):
        return [(f"[{k!r}]", v) for k, v in obj.items()]
    if isinstance(obj, (list, tuple)):
        return [(f"[{k}]", v) for k, v in enumerate(obj)]
    members = dict(getattr(obj, "__dict__", {}))
    for name in getattr(type(obj), "__slots__", ()):
        if hasattr(obj, name):
            members[name] = getattr(obj, name)
    return [(f".{k}", v) for k, v in members.items()]


def _check_sendable(analysis, executor):
    """Refuse, before any frame is analysed (after the checks of the frames and data), a
    parallel run whose analysis cannot be sent to the worker processes.

    A ``"multiprocessing"`` pool pickles the analysis for each part; an object it holds that
    cannot be pickled (a calculator of ASE's EMT once it has computed: a lambda) failed the
    run with pickle's own message ("Can't pickle local object 'EMT.initialize.<locals>
    .<lambda>'"), after every frame had been checked. ``"dask"`` sends with cloudpickle,
    which takes such objects: it is checked with that. A serial run and a backend object of
    the caller's are not checked.

    Raises
    ------
    TypeError
        Naming the object (its place in the analysis and its type) and pickle's reason.
    """
    from MDAnalysis.analysis.backends import BackendDask, BackendMultiprocessing

    if isinstance(executor, BackendMultiprocessing):
        from multiprocessing.reduction import ForkingPickler

        # the pool's own pickler, with the reducers it registers
        check, backend, cure = _SendCheck(ForkingPickler), "multiprocessing", (
            "backend='dask' (which sends with cloudpickle), backend='serial', or an object "
            "that can be pickled (e.g. a calculator not yet used)")
    elif isinstance(executor, BackendDask):
        import cloudpickle

        check, backend, cure = _SendCheck(cloudpickle.Pickler), "dask", (
            "backend='serial', or an object that can be pickled")
    else:
        return
    err = check.fails(analysis)
    if err is None:
        return
    # the innermost member that fails, within a few levels (a calculator inside an evaluator)
    path, culprit = "", analysis
    for _ in range(6):
        found = next(((name, value) for name, value in _members(culprit)
                      if not _mda_object(value) and check.fails(value)), None)
        if found is None or inspect.isroutine(found[1]):
            # a method or lambda of the object: the object is what the user knows and gave
            break
        path, culprit = path + found[0], found[1]
    what = f"its {path.lstrip('.')} ({type(culprit).__name__})" if path else "it"
    raise TypeError(
        f"{type(analysis).__name__}: backend={backend!r} sends the analysis to worker "
        f"processes, but {what} cannot be pickled ({type(err).__name__}: {err}); use {cure}")


class FrameAnalysis(AnalysisBase):
    """AnalysisBase that checks its frame selection first, restores the current frame and
    leaves no results of an earlier run when a run fails.

    MDAnalysis' :meth:`~MDAnalysis.analysis.base.AnalysisBase.run` is not overridden: the
    checks and the clean-up are in the hooks it calls (:meth:`_configure_backend`,
    :meth:`_setup_frames`, :meth:`_setup_computation_groups`, :meth:`_compute`), so every
    backend, ``frames=`` and progress bar behave as in MDAnalysis.

    Subclasses set ``_min_frames`` to the fewest frames their estimate needs (1 by default),
    ``_needs_time`` when they read a time series and ``_errors_over_frames`` when their errors
    are over blocks of consecutive frames.

    A part of the frames run in another process than the one that called ``run`` (a
    ``backend="multiprocessing"`` fork, a dask worker) runs with one torch thread, set back
    after. The calling process has often run torch already (a model's checks before the
    first frame, an isolated ion; vesin's neighbour lists import it), and torch's OpenMP
    thread pool does not survive a fork: a worker's first multi-threaded operation waited for
    threads that do not exist, and the run hung for good (IntraInterErrors of a model with
    an Ewald term, 4 frames on 2 workers: no frame finished in 300 s). A worker per core is
    then no oversubscription either. Without torch loaded, and in a serial run, nothing is
    changed.
    """

    _min_frames = 1
    #: Whether the analysis reads a time series (it then refuses a trajectory whose time step
    #: is zero, negative or not a number, and frames out of time order, before reading any
    #: frame).
    _needs_time = False
    #: Whether the analysis reads positions (an analysis of velocities alone takes a
    #: trajectory whose positions are averaged: :func:`check_trajectory_source`).
    _reads_positions = True
    #: Whether its error bars come from blocks of consecutive analysed frames
    #: (:func:`~mda_electrolyte.frame_estimates.frame_average`): it then refuses frames out of
    #: trajectory order, forwards or backwards. Shuffled frames of a correlated run look
    #: independent: shells measured 'too short' with 10 independent frames of 300 were called
    #: valid, their errors 5 times smaller.
    _errors_over_frames = False

    def __init__(self, trajectory, verbose=False, **kwargs):
        # refused when created, and again by run() (a transformation added since)
        check_trajectory_source(trajectory, self._label_for_checks(),
                                positions=self._reads_positions)
        # AnalysisBase takes any truthy value: verbose="no" (or "False") drew progress bars
        if verbose is not None:   # None: MDAnalysis' default, no progress bar
            check_flag(f"{type(self).__name__}: verbose", verbose)
        super().__init__(trajectory, verbose=verbose, **kwargs)

    def _label_for_checks(self):
        """The analysis as the trajectory checks' messages name it (subclasses that know the
        Universe's place among several name that)."""
        return type(self).__name__

    # MDAnalysis' run() is kept as it is: what FrameAnalysis adds lives in the hooks run() calls,
    # in this order: _configure_backend, _setup_frames, _setup_computation_groups, then
    # _compute for each part (in the workers), the aggregator and _conclude.

    def _configure_backend(self, backend, n_workers, unsupported_backend=False):
        """Empty ``results`` and check ``n_workers``, then :meth:`AnalysisBase._configure_backend`.

        The first hook :meth:`AnalysisBase.run` calls: a run refused from here on (a refused
        selection, a fault found on a frame) leaves ``results`` empty, where the results of an
        earlier run would otherwise stand beside the frame count of this one, as if they were
        its results.
        """
        self.results = Results()
        if isinstance(backend, str):
            # MDAnalysis matches its backend names as written: "Dask" was taken for a custom
            # backend object and refused as having no apply method
            backend = choice_word(f"{type(self).__name__}: backend", backend, BACKENDS)
        if n_workers is not None:
            # AnalysisBase would split the frames with n_workers=2.5 as with 2
            n_workers = check_number(f"{type(self).__name__}: n_workers", n_workers,
                                     integer=True, minimum=1)
        executor = super()._configure_backend(backend, n_workers,
                                              unsupported_backend=unsupported_backend)
        # whether the analysis can be sent to the workers is checked after the frame and
        # data checks of _setup_frames (_setup_computation_groups): a fault of the data is the
        # one to name first, whatever the backend
        self._sending_executor = executor
        return executor

    def _setup_frames(self, trajectory, start=None, stop=None, step=None, frames=None):
        """Check the frame selection, then set it up (:meth:`AnalysisBase._setup_frames`).

        Called by :meth:`AnalysisBase.run` before any frame is analysed; the checks leave
        the trajectory on the frame it was on.

        Raises
        ------
        ValueError
            A selection that names frames beyond the trajectory, selects fewer than the
            analysis needs (e.g. ``start > stop``, ``frames=[]``) or names a frame twice
            (``frames=[0, 0, 1]``, also as ``[4, -1]`` of 5 frames: its frames would count as
            independent samples and the error bars shrink); for a time series also frames out
            of time order (``step < 0``, an unsorted ``frames``), for an analysis whose errors
            are over blocks of frames (``_errors_over_frames``) frames neither increasing nor
            decreasing (a shuffled ``frames``). A ``stop`` below ``-n_frames`` selects Python's
            frames (none forwards); backwards (to frame 0) it is refused. A trajectory with an
            on-the-fly transformation that rotates the atoms, or a ChainReader that joins one
            file twice (:func:`check_trajectory_source`).
        TypeError
            ``frames`` that is not a list, tuple, range or 1-D array of whole frame indices or
            booleans; ``start``, ``stop`` or ``step`` that is not ``None`` or a whole number
            (a flag: ``start=True`` analysed from frame 1).
        """
        frames = _frame_selection(type(self).__name__, frames)
        _check_slice_bounds(type(self).__name__, start, stop, step)
        with kept_frame(trajectory):
            # sets the frames up (AnalysisBase._setup_frames) as it checks them
            self._check_frames(trajectory, start, stop, step, frames)
            self._check_selected_frames()

    def _setup_computation_groups(self, n_parts, start=None, stop=None, step=None,
                                  frames=None):
        """Check ``n_parts``, then split the frames (:meth:`AnalysisBase
        ._setup_computation_groups`); runs in the calling process, before the parts are sent
        out."""
        self._run_pid = os.getpid()
        n_parts = check_number(f"{type(self).__name__}: n_parts", n_parts, integer=True,
                               minimum=1)
        frames = _frame_selection(type(self).__name__, frames)
        # as _setup_frames selected them (run() passes both the caller's values)
        stop = _stop_before_first_frame(type(self).__name__, self._trajectory.n_frames, stop,
                                        step, frames)
        groups = super()._setup_computation_groups(
            n_parts, start=start, stop=stop, step=step, frames=frames)
        # popped: the executor (a dask client's) is not sent with the analysis
        _check_sendable(self, self.__dict__.pop("_sending_executor", None))
        return groups

    def _compute(self, indexed_frames, verbose=None, *, progressbar_kwargs=None):
        """Analyse one part of the frames (:meth:`AnalysisBase._compute`) and return it as an
        object of its own.

        AnalysisBase returns ``self``, and the parts one object computes in turn — every part
        of a serial run with ``n_parts > 1``, and the parts a multiprocessing worker receives in
        one chunk (``n_parts`` above about 4 ``n_workers``) — are then one object holding the
        last part's frames and results: the others were lost and the last counted in their
        place, silently. The part returned holds this part's ``frames``, ``times`` and
        ``results`` alone, all that ``run`` reads of it; ``self`` goes on with empty
        ``results`` (each ``_prepare`` and ``_prepare_sliced_trajectory`` makes new arrays).
        A worker sends back that part, not the analysis: a calculator that cannot be pickled
        once it has computed (ASE's EMT, after its first call) failed every multiprocessing
        run of IntraInterErrors and RigidVolumeScan after all the frames had been evaluated
        ("Error sending result").

        ``self`` also gets back the run's ``n_frames`` (and sliced trajectory): AnalysisBase
        sets them to each part's while computing it, and in a serial run with ``n_parts > 1``
        (also ``run(n_workers=2)`` without a backend) ``_conclude`` saw the last part's count:
        an RDF of 3 frames in 2 parts normalised by 1 frame and 3 summed volumes, 9 times too
        high.
        """
        if verbose is not None:
            # run(verbose="no") is the flag of this run: checked before any frame is read
            check_flag(f"{type(self).__name__}: run's verbose", verbose)
        with _one_torch_thread_unless(getattr(self, "_run_pid", None)), \
                kept_frame(self._trajectory):
            try:
                return self._compute_part(indexed_frames, verbose, progressbar_kwargs)
            except BaseException:
                # a fault found on a frame: no part of this run stands as its results
                self.results = Results()
                self._failed_part()
                raise

    def _failed_part(self):
        """Clean up after a part of the frames failed, in the process that computed it
        (nothing by default; the volume scan removes the folder of its scanned frames)."""

    def _compute_part(self, indexed_frames, verbose, progressbar_kwargs):
        """:meth:`_compute`'s work, in the torch threads :meth:`_compute` chose."""
        # None before run() set the frames up (a part computed on its own)
        whole = (getattr(self, "n_frames", None), getattr(self, "_sliced_trajectory", None))
        from ase_electrolyte.md import progress_bar_options

        # chosen here, in the process that draws the bar (a stream is not sent to a worker),
        # the caller's own options on top: off a terminal, a bar refreshed every 0.1 s filled
        # a batch job's log (run() hands an empty dict for None)
        progressbar_kwargs = {**progress_bar_options(), **(progressbar_kwargs or {})}
        super()._compute(indexed_frames, verbose=verbose, progressbar_kwargs=progressbar_kwargs)
        part = _Part(self.frames, self.times, self.results)
        self.n_frames, self._sliced_trajectory = whole
        self.results = Results()
        return part

    def _check_selected_frames(self):
        """Checks of the selected frames (``self._sliced_trajectory``) that must pass before
        any is analysed: run in the calling process, before a parallel backend divides the
        frames among workers, each of which would otherwise find the fault only in its own part
        after the others had done their work. None by default."""

    def _check_frames(self, trajectory, start, stop, step, frames):
        """Refuse a frame selection before any frame is read (see :meth:`run`), and a
        trajectory whose frames are not the structures written (:func:`check_trajectory_source`).
        """
        name = type(self).__name__
        check_trajectory_source(trajectory, self._label_for_checks(),
                                positions=self._reads_positions)
        try:
            AnalysisBase._setup_frames(
                self, trajectory, start=start,
                stop=_stop_before_first_frame(name, trajectory.n_frames, stop, step, frames),
                step=step, frames=frames)
            if frames is None:
                indices = np.arange(self.start, self.stop, self.step)
            else:
                # negative indices and boolean masks as the frame numbers they select
                selection = np.asarray(frames)
                indices = np.arange(trajectory.n_frames)[
                    selection if selection.size else selection.astype(np.intp)]
        except IndexError as err:
            raise ValueError(f"{name}: the frame selection is outside the trajectory "
                             f"({trajectory.n_frames} frames): {err}") from None
        except ValueError as err:  # e.g. step=0
            raise ValueError(f"{name}: the frame selection (start={start}, stop={stop}, "
                             f"step={step}) is not one: {err}") from None
        if self.n_frames < self._min_frames:
            # AnalysisBase slices with the stop check_slice_indices gives, -1 for a backward
            # run to frame 0, which the slice takes as the last frame: no frames at all
            backward = "" if step is None or frames is not None or step > 0 else (
                "; AnalysisBase reads no frames backwards to frame 0 (step < 0 without a stop "
                ">= 0): pass frames=range(start, -1, step) for those")
            raise ValueError(
                f"{name}: {'no frames analysed' if self.n_frames == 0 else 'too few frames'}: "
                f"the frame selection (start={start}, stop={stop}, step={step}, "
                f"frames={_frames_text(frames)}) gives {self.n_frames} of "
                f"the trajectory's {trajectory.n_frames} frames; it needs at least "
                f"{self._min_frames} frame{'s' if self._min_frames > 1 else ''}{backward}"
            )
        counts = np.bincount(indices, minlength=trajectory.n_frames)
        if np.any(counts > 1):
            raise ValueError(
                f"{name}: frames names frame {int(np.flatnonzero(counts > 1)[0])} more than "
                "once; each frame would count as a sample of its own (and the error bars "
                "shrink): give every frame once")
        if self._errors_over_frames and not self._needs_time:
            steps = np.diff(indices)
            if not (np.all(steps > 0) or np.all(steps < 0)):
                turn = int(np.flatnonzero(np.sign(steps) != np.sign(steps[0]))[0]) + 1
                raise ValueError(
                    f"{name}: frames must follow the trajectory's order (increasing, or all "
                    f"decreasing), but frame {int(indices[turn])} follows frame "
                    f"{int(indices[turn - 1])}: the error bars are over blocks of consecutive "
                    "frames, and frames out of order make correlated frames look independent "
                    "(errors too small); pass sorted(frames)")
        if not self._needs_time:
            return
        try:
            dt = float(trajectory.dt)
        except Exception:  # noqa: BLE001 - a reader without times is judged on the frames
            dt = None
        if dt is not None and not 0 < dt < np.inf:
            raise ValueError(
                f"{name}: the trajectory's time step is {dt} ps; a time series needs "
                "frames at increasing times (set dt when loading, e.g. "
                "universe.load_new(..., dt=0.01))"
            )
        if dt is not None:
            from .correlation import check_frame_spacing

            check_frame_spacing(dt, f"{name}: the trajectory's time step")
        if np.any(np.diff(indices) <= 0):
            raise ValueError(
                f"{name}: frames must be in increasing order for a time series (step > 0, "
                f"frames sorted), got start={start}, stop={stop}, step={step}, frames="
                f"{'None' if frames is None else _first_frames(indices)}")


def _first_frames(indices, shown=5):
    """The first frame indices as a user wrote them: plain integers, not NumPy scalars
    (``[np.int64(1499), ...]`` under NumPy 2), and how many there are in all."""
    indices = np.asarray(indices)
    text = ", ".join(str(k) for k in indices[:shown].tolist())
    if len(indices) > shown:
        text += f", ... ({len(indices)} frames)"
    return f"[{text}]"


#: Exception types whose messages are the user's: the analysis' checks and refusals
_NAMED_ERRORS = (ValueError, TypeError, KeyError, IndexError, RuntimeError)


def names_errors(method):
    """Decorate an analysis' method: an error it raises names the analysis first
    (``"SolvationShells: frame 2: ..."``), unless its message already does.

    A refusal raised several calls deep (a per-frame check, a helper's ``check_number``) did
    not say which analysis refused: IntraInterRDF's frames said ``IntraInterRDF: frame 2 ...``,
    SolvationShells' ``frame 2: non-finite positions of shell atoms``. The exception keeps its
    type, attributes and traceback; only its message gains the name of the analysis.
    Applied to ``__init__``, the hooks MDAnalysis' ``run`` calls (``_prepare``,
    ``_single_frame``, ``_conclude``; in a parallel run a worker's ``_single_frame``, whose
    error comes back pickled with its message) and the public methods, not to ``run`` itself
    (AnalysisBase.run drives the pass as it is).
    """

    @functools.wraps(method)
    def named(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except _NAMED_ERRORS as err:
            # a subclass' error named by its parent already (its own checks) is named once
            names = tuple(kind.__name__ for kind in type(self).__mro__)
            if err.args and isinstance(err.args[0], str) and not err.args[0].startswith(names):
                err.args = (f"{type(self).__name__}: {err.args[0]}", *err.args[1:])
            raise

    return named


def require_results(analysis, key):
    """``analysis.results`` once it holds ``key``; a plot or report of an analysis not yet run
    raises here instead of with an AttributeError from inside ``Results``.

    Raises
    ------
    RuntimeError
        When ``run()`` has not filled the results.
    """
    results = getattr(analysis, "results", None)
    if results is None or key not in results:
        raise RuntimeError(f"{type(analysis).__name__}: run() the analysis before plot()")
    return results
