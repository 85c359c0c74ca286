"""What the shell results need of each frame once the cutoffs are known: a few bytes per shell.

A :class:`~mda_electrolyte.shell_table.ShellTable` keeps every cation–atom pair within the
collection radius, so that cutoffs can be chosen after the pass (RDF first minima) and the
results re-derived; it grows with the pairs of every frame. Once the cutoffs are fixed, every
result of :class:`~mda_electrolyte.solvation.SolvationShells` needs much less (a *shell* is one
cation in one frame):

- per shell: its class (int8), the code of its composition (int32; the composition gives the
  Ju et al. (2025) label and the molecules of each species), the size of its cation network and
  of its SSIP network (Chalykh et al. 2025; uint8 below 256 cations, uint16 below 65 536);
- per frame: frame number, box volume, free-ion fraction, and the count and sum of the
  Oc–M–Oc and M–Oc–Cc angles (the errors of the mean angles over frames);
- summed over frames, per composition: the Oc–M–Oc and M–Oc–Cc angle histograms with the sums
  of the angles, and the cation–Oc/Oe pair histograms of the per-label RDFs.

That is 7 bytes per shell (9 from 256 cations) plus 56 per frame, whatever the number of pairs:
10⁶ frames of 50 cations hold 0.38 GB. A run gives its builder the number of its frames, so
every column is one array of that size (blocks grown by doubling keep up to as much room again
unused, and are copied when joined). The conclusion (:func:`summary_results`) adds about 7
bytes per shell at its peak (the per-species molecule counts, a byte each, the per-frame
series, a byte-mask; the label codes renumbered in place, the tallies a chunk at a time):
measured on 10⁶ frames of 50 Li⁺ and 2 species, 15.2 bytes per shell in all at the peak
(0.71 GiB; 27 when the builder grew by doubling and the conclusion copied the codes and
counted with ``np.bincount``). :func:`summarize` reduces a table (one frame or all of them) to a
:class:`ShellSummary`; :class:`ShellSummaryBuilder` joins the summaries of consecutive frames
(and of parallel workers) without keeping anything per frame in Python objects;
:func:`summary_results` derives the results from it. A table and the per-frame summaries of the
same frames give the same results: the class and label of every shell, every fraction and
distribution exactly, the angle means to rounding (their sums are added in another order).

Examples
--------
Two frames of a table reduced one at a time and joined, against the table reduced at once
(solvation-analysis' bn_fec test trajectory):

>>> import os, numpy as np, MDAnalysis as mda, solvation_analysis
>>> from mda_electrolyte import SolvationShells
>>> from mda_electrolyte.shell_composition import shell_members
>>> from mda_electrolyte.shell_summary import ShellSummaryBuilder, summarize, summary_results
>>> d = os.path.join(os.path.dirname(solvation_analysis.__file__), "tests/data/bn_fec_data")
>>> u = mda.Universe(f"{d}/bn_fec.data", f"{d}/bn_fec_short_wrap.dcd")
>>> u.add_TopologyAttr("elements", np.loadtxt(f"{d}/bn_fec_elements.csv", dtype=str))
>>> cutoffs = {"PF6": 2.8, "BN": 2.61468, "FEC": 2.43158}
>>> groups = (u.select_atoms("type 22"), {"PF6": u.select_atoms("byres type 20")},
...           {"BN": u.select_atoms("byres type 5"), "FEC": u.select_atoms("byres type 19")})
>>> table = SolvationShells(*groups, cutoffs=cutoffs).run(stop=2).results.table
>>> angles = np.linspace(0, 180, 91)
>>> whole = summarize(table, shell_members(table, cutoffs), "anion_count",
...                   ["BN", "FEC", "PF6"], angles)
>>> builder = ShellSummaryBuilder(table.layout, angles, table.rdf_edges)
>>> for k in range(2):
...     one = SolvationShells(*groups, cutoffs=cutoffs).run(start=k, stop=k + 1).results.table
...     builder.add(summarize(one, shell_members(one, cutoffs), "anion_count",
...                           ["BN", "FEC", "PF6"], angles))
>>> joined = builder.take()
>>> joined.classes.shape, joined.nbytes  # 2 frames of 49 Li: 7 bytes a shell, 56 a frame
((2, 49), 798)
>>> summary_results(joined)["labels"] == summary_results(whole)["labels"]
True
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ase_electrolyte.estimate import METHODS, Estimate
from mda_electrolyte.frame_estimates import frame_average
from mda_electrolyte.shell_composition import (
    CLASSES,
    _named_species,
    distribution,
    free_ion_fractions,
    label_text,
    molecule_counts,
    network_sizes,
    shell_classes,
    shell_molecules,
    shell_tallies,
    tally,
)
from mda_electrolyte.shell_geometry import (
    ANGLE_KINDS,
    RDF_KINDS,
    histogram_bins,
    shell_angles,
    type_rdfs,
)
from mda_electrolyte.shell_table import BlockColumn, ShellTable

__all__ = ["ShellSummary", "ShellSummaryBuilder", "summarize", "summary_results"]

# shells renumbered at a time in place
_CHUNK = 1 << 20

@dataclass
class ShellSummary:
    """Per-shell codes and summed histograms of a set of frames (see the module documentation).

    Attributes
    ----------
    layout : ShellLayout
    frames : numpy.ndarray of int64, shape (n_frames,)
    volumes : numpy.ndarray of float64, shape (n_frames,)
        Box volumes, Å³.
    free_ions : numpy.ndarray of float64, shape (n_frames,)
        Free cations plus anion molecules in no shell, over all cations and anion molecules.
    classes : numpy.ndarray of int8, shape (n_frames, n_cations)
        Index into :data:`~mda_electrolyte.shell_composition.CLASSES`.
    label_codes : numpy.ndarray of int32, shape (n_frames, n_cations)
        Row of ``compositions`` of every shell.
    compositions : numpy.ndarray of int64, shape (n_labels, n_species, 3)
        Molecules per species coordinating through an Oc, else an Oe, else neither
        (:func:`~mda_electrolyte.shell_composition.shell_tallies`).
    network, ssip_network : numpy.ndarray of int, shape (n_frames, n_cations)
        Cations in the network of every shell (through the network species), and in the network
        of SSIPs joined through shared solvent molecules (0 for shells that are not SSIPs).
    angle_edges : numpy.ndarray, shape (n_angle_bins + 1,)
        Degrees.
    angle_counts : numpy.ndarray of int64, shape (n_labels, 2, n_angle_bins)
        Oc–M–Oc (``[:, 0]``) and M–Oc–Cc (``[:, 1]``) angles per composition.
    angle_sums : numpy.ndarray of float64, shape (n_labels, 2)
        Sums of those angles, degrees.
    angle_frame_counts : numpy.ndarray of int64, shape (n_frames, 2)
        Oc–M–Oc and M–Oc–Cc angles in each frame (all compositions).
    angle_frame_sums : numpy.ndarray of float64, shape (n_frames, 2)
        Their sums, degrees: the error of the mean angles over frames.
    rdf_edges : numpy.ndarray, shape (n_bins + 1,)
        Å.
    type_counts : numpy.ndarray of int64, shape (n_labels, 2, n_bins)
        Cation–Oc (``[:, 0]``) and cation–Oe pairs per composition of the cation's shell.
    """

    layout: object
    frames: np.ndarray
    volumes: np.ndarray
    free_ions: np.ndarray
    angle_frame_counts: np.ndarray
    angle_frame_sums: np.ndarray
    classes: np.ndarray
    label_codes: np.ndarray
    compositions: np.ndarray
    network: np.ndarray
    ssip_network: np.ndarray
    angle_edges: np.ndarray
    angle_counts: np.ndarray
    angle_sums: np.ndarray
    rdf_edges: np.ndarray
    type_counts: np.ndarray

    @property
    def n_frames(self):
        """Frames summarised (``frames.size``)."""
        return int(self.frames.size)

    @property
    def nbytes(self):
        """Memory held by the per-frame and per-shell arrays, bytes."""
        return int(sum(getattr(self, name).nbytes for name in _PER_FRAME + _PER_SHELL))


_PER_FRAME = ("frames", "volumes", "free_ions", "angle_frame_counts", "angle_frame_sums")
_PER_SHELL = ("classes", "label_codes", "network", "ssip_network")


def _check_network_species(network_species, names):
    """The species that join cations into networks: all of ``names`` (``None``) or some, each
    read in any case and spacing (:func:`~mda_electrolyte.shell_composition._named_species`)."""
    if network_species is None:
        return list(names)
    if isinstance(network_species, str):
        raise TypeError(f"network_species must be a list of species names, not the string "
                        f"{network_species!r}")
    return [name if name in names else _named_species("network_species", name, names)
            for name in network_species]


def _check_angle_edges(angle_edges):
    """``angle_edges`` as float64 bin edges that cover 0–180°, or ValueError.

    Edges that did not (0–90°) put every wider angle into the last bin (a density of 109°
    angles at 85°), reversed or NaN edges binned them at random, a single edge was numpy's
    "'list' argument must have no negative elements"."""
    from mda_electrolyte.uncertainty import real_array

    # np.asarray(dtype=float) failed on text naming nothing ("could not convert string to
    # float"), showed None as "1 edges, some not finite" and read flags as 0 and 1
    if angle_edges is None:
        raise TypeError("angle_edges must be bin edges in degrees from 0 to 180 (e.g. "
                        "numpy.linspace(0, 180, 91)), not None")
    edges = real_array(angle_edges, "angle_edges (degrees)")
    if edges.ndim != 1 or edges.size < 2 or not np.all(np.isfinite(edges)) or np.any(
            np.diff(edges) <= 0) or edges[0] > 0 or edges[-1] < 180:
        shown = (f"{edges.size} edges" if edges.ndim != 1 or edges.size < 2
                 else f"{edges.size} edges from {edges[0]:g} to {edges[-1]:g}")
        if not np.all(np.isfinite(edges)):
            shown += ", some not finite"
        raise ValueError(f"angle_edges must be increasing finite bin edges in degrees from 0 "
                         f"to 180 (e.g. numpy.linspace(0, 180, 91)), not {shown}")
    return edges


def summarize(table, members, convention, network_species, angle_edges):
    """Reduce a table and its shell members to a :class:`ShellSummary`.

    Parameters
    ----------
    table : ShellTable
    members : ShellMembers
        :func:`~mda_electrolyte.shell_composition.shell_members` of ``table`` and the cutoffs.
    convention : {"anion_count", "bridging"}
    network_species : list of str
        Species whose shared molecules join cations into networks.
    angle_edges : numpy.ndarray
        Bin edges of the angle histograms, degrees.

    Returns
    -------
    ShellSummary

    Raises
    ------
    TypeError, ValueError
        ``table`` not a ShellTable, ``members`` of another table (a frame, cation slot or
        atom beyond ``table``'s), an unknown ``convention``, ``network_species`` naming a
        species the table does not hold (read in any case and spacing) or a string,
        ``angle_edges`` that are not increasing finite edges covering 0–180°.
    """
    if not isinstance(table, ShellTable):
        raise TypeError(f"table must be a ShellTable, not {type(table).__name__}")
    layout = table.layout
    names = list(layout.species)
    n_frames, n_cat, n_species = table.n_frames, layout.n_cations, len(names)
    # an unknown name was numpy's "'XX' is not in list", a string was read letter by letter
    network_species = _check_network_species(network_species, names)
    angle_edges = _check_angle_edges(angle_edges)
    for name, column, bound in (("frame", members.frame, n_frames),
                                ("cation", members.cation, n_cat),
                                ("atom", members.atom, layout.atom_species.size)):
        if np.size(column) and (np.min(column) < 0 or np.max(column) >= bound):
            raise ValueError(f"members are not of this table: their {name} {np.max(column)} "
                             f"lies beyond its {bound} (members = shell_members(table, cutoffs) "
                             "of this table)")
    molecules = shell_molecules(members, n_cat)
    counts = molecule_counts(molecules, n_frames, n_cat, n_species)
    anion_codes = [names.index(a) for a in layout.anions]
    solvent_codes = [names.index(s) for s in layout.solvents]
    classes = shell_classes(counts, molecules, anion_codes, convention)
    del counts
    compositions, label_codes = shell_tallies(molecules, layout, n_frames)
    n_labels = len(compositions)
    linking = np.isin(molecules.species, [names.index(n) for n in network_species])
    network = network_sizes(molecules, n_frames, n_cat, linking)
    # SSIPs joined into networks through shared solvent molecules (Chalykh et al. 2025)
    ssip = classes == 0
    linking = ssip.ravel()[molecules.shell] & np.isin(molecules.species, solvent_codes)
    ssip_network = network_sizes(molecules, n_frames, n_cat, linking, shells=ssip)
    n_angle_bins = angle_edges.size - 1
    angle_counts = np.zeros((n_labels, 2, n_angle_bins), dtype=np.int64)
    angle_sums = np.zeros((n_labels, 2), dtype=np.float64)
    frame_counts = np.zeros((n_frames, 2), dtype=np.int64)
    frame_sums = np.zeros((n_frames, 2), dtype=np.float64)
    flat_codes = label_codes.ravel()
    for j, (values, shells) in enumerate(shell_angles(members, n_cat).values()):
        label = flat_codes[shells].astype(np.int64)
        angle_counts[:, j] = np.bincount(
            label * n_angle_bins + histogram_bins(values, angle_edges),
            minlength=n_labels * n_angle_bins).reshape(n_labels, n_angle_bins)
        angle_sums[:, j] = np.bincount(label, weights=values, minlength=n_labels)
        frame = shells // n_cat
        frame_counts[:, j] = np.bincount(frame, minlength=n_frames)
        frame_sums[:, j] = np.bincount(frame, weights=values, minlength=n_frames)
    return ShellSummary(
        layout=layout, frames=np.asarray(table.frames, dtype=np.int64),
        volumes=np.asarray(table.volumes, dtype=np.float64),
        free_ions=free_ion_fractions(classes, molecules, anion_codes, layout.n_anion_molecules),
        angle_frame_counts=frame_counts, angle_frame_sums=frame_sums,
        classes=classes, label_codes=label_codes, compositions=compositions.astype(np.int64),
        network=network, ssip_network=ssip_network, angle_edges=angle_edges,
        angle_counts=angle_counts, angle_sums=angle_sums,
        rdf_edges=np.asarray(table.rdf_edges, dtype=np.float64),
        type_counts=type_rdfs(table, label_codes, n_labels),
    )


class ShellSummaryBuilder:
    """Joins the :class:`ShellSummary` of consecutive frames into one.

    The per-frame and per-shell arrays grow in contiguous blocks
    (:class:`~mda_electrolyte.shell_table.BlockColumn`); compositions get one code each over
    all frames (the order in which they first occur), and the per-composition histograms are
    summed. Builders of consecutive frame ranges (the workers of a parallel run) are joined with
    :meth:`concatenate`.

    Parameters
    ----------
    layout : ShellLayout
    angle_edges, rdf_edges : numpy.ndarray
        Bin edges of the angle histograms (degrees) and of the RDFs (Å).
    n_frames : int, optional
        Frames that will be added (a run knows them before its pass): every column is then
        one array of that many rows, without the unused room of blocks grown by doubling (up
        to as much again) and without a copy when taken, so the builder holds 7 bytes per
        shell below 256 cations (9 up to 65 535) and the summary it gives is those arrays.
    """

    def __init__(self, layout, angle_edges, rdf_edges, n_frames=None):
        self.layout = layout
        self.angle_edges = _check_angle_edges(angle_edges)
        self.rdf_edges = np.asarray(rdf_edges, dtype=np.float64)
        n_cat = layout.n_cations
        # network sizes are at most the number of cations: a byte each for up to 255
        size_type = np.min_scalar_type(n_cat) if n_cat < np.iinfo(np.uint16).max else np.int32
        cap = n_frames
        self._columns = {
            "frames": BlockColumn(np.int64, capacity=cap),
            "volumes": BlockColumn(np.float64, capacity=cap),
            "free_ions": BlockColumn(np.float64, capacity=cap),
            "angle_frame_counts": BlockColumn(np.int64, 2, capacity=cap),
            "angle_frame_sums": BlockColumn(np.float64, 2, capacity=cap),
            "classes": BlockColumn(np.int8, n_cat, capacity=cap),
            "label_codes": BlockColumn(np.int32, n_cat, capacity=cap),
            "network": BlockColumn(size_type, n_cat, capacity=cap),
            "ssip_network": BlockColumn(size_type, n_cat, capacity=cap),
        }
        self._codes = {}
        n_species = len(layout.species)
        self._compositions = np.zeros((0, n_species, 3), dtype=np.int64)
        self._per_label = {
            "angle_counts": np.zeros((0, 2, self.angle_edges.size - 1), dtype=np.int64),
            "angle_sums": np.zeros((0, 2), dtype=np.float64),
            "type_counts": np.zeros((0, 2, self.rdf_edges.size - 1), dtype=np.int64),
        }

    @property
    def n_frames(self):
        """Frames added so far."""
        return self._columns["frames"].rows

    @property
    def nbytes(self):
        """Memory held by the blocks and the per-composition arrays, bytes."""
        return int(sum(c.nbytes for c in self._columns.values())
                   + sum(a.nbytes for a in self._per_label.values())
                   + self._compositions.nbytes)

    def _global_codes(self, compositions):
        """This builder's code of every composition given (new ones are appended)."""
        codes = np.empty(len(compositions), dtype=np.int32)
        new = []
        for k, row in enumerate(compositions):
            key = np.ascontiguousarray(row, dtype=np.int64).tobytes()
            code = self._codes.get(key)
            if code is None:
                code = self._codes[key] = len(self._codes)
                new.append(row)
            codes[k] = code
        if new:
            self._compositions = np.concatenate([self._compositions,
                                                 np.asarray(new, dtype=np.int64)])
            for name, array in self._per_label.items():
                grown = np.zeros((len(self._codes),) + array.shape[1:], dtype=array.dtype)
                grown[:len(array)] = array
                self._per_label[name] = grown
        return codes

    def add(self, summary):
        """Append the frames of ``summary`` after those added before."""
        if summary.layout.n_cations != self.layout.n_cations:
            raise ValueError("the summary has another number of cations than the builder")
        codes = self._global_codes(summary.compositions)
        columns = self._columns
        for name in _PER_FRAME:
            columns[name].append(getattr(summary, name))
        for name in _PER_SHELL:
            values = getattr(summary, name)
            columns[name].append(codes[values] if name == "label_codes" else values)
        for name, array in self._per_label.items():
            # codes are distinct, so the fancy-indexed sum adds every composition once
            array[codes] += getattr(summary, name)

    @classmethod
    def concatenate(cls, builders):
        """One builder with the frames of ``builders`` in the order given (which are emptied)."""
        builders = list(builders)
        first = builders[0]
        # sized for all their frames: the join is one array per column, not doubling blocks
        joined = cls(first.layout, first.angle_edges, first.rdf_edges,
                     n_frames=sum(builder.n_frames for builder in builders) or None)
        for builder in builders:
            if builder.n_frames:
                # the workers' builders are spent: their blocks are released as they are joined
                joined.add(builder.take())
        return joined

    def take(self):
        """The :class:`ShellSummary` of every frame added; the builder is emptied (its blocks
        released, so the peak is the summary plus its largest column)."""
        arrays = {name: column.take() for name, column in self._columns.items()}
        summary = ShellSummary(
            layout=self.layout, compositions=self._compositions,
            angle_edges=self.angle_edges, rdf_edges=self.rdf_edges, **arrays, **self._per_label,
        )
        # the summary owns the per-composition arrays now: frames added later start afresh
        self.__init__(self.layout, self.angle_edges, self.rdf_edges)
        return summary


def _most_common(label_codes, label_names):
    """Composition codes, most common first and ties in the order of their labels, with their
    counts.

    Ties go by the label text, not by where a label first occurs: which shells come first
    depends on the order of the atoms and of the frames, and the order of the labels (and the
    most common labels a report shows) must not.
    """
    counts = tally(label_codes, minlength=len(label_names))
    present = np.flatnonzero(counts)
    names = np.array(label_names, dtype=object)[present].astype(str)
    order = present[np.lexsort((names, -counts[present]))]
    return order, counts[order]


#: Why the mean angle of one shell type has no error: its angles are summed over all frames.
NO_TYPE_ANGLE_ERROR = ("no error: the angles of a shell type are summed over all frames, not "
                       "kept per frame (the mean over all shells, results.angles, has one)")


def _angle_entry(counts, total, edges, estimate=None):
    """Density (1/degree), mean (``None`` without angles), its Estimate and count of a
    histogram of angles; ``estimate`` is that of the mean, else one without an error."""
    n = int(counts.sum())
    density = counts / (n * np.diff(edges)) if n else counts.astype(float)
    mean = float(total / n) if n else None
    if estimate is None and n:
        estimate = Estimate.invalid(mean, np.nan, "°", METHODS["none"], NO_TYPE_ANGLE_ERROR,
                                    n_samples=0)
    return {"density": density, "mean": mean, "estimate": estimate, "n": n}


def angle_mean_estimate(frame_sums, frame_counts, n_cations, what="mean angle"):
    """The mean of all angles of the frames (degrees), with its error over frames
    (:func:`pooled_ratio_estimate` in ``"°"``).

    Returns
    -------
    Estimate or None
        Unit ``"°"`` (degrees); ``None`` when no such angle occurred.
    """
    return pooled_ratio_estimate(frame_sums, frame_counts, n_cations, unit="°", what=what)


def pooled_ratio_estimate(frame_sums, frame_counts, n_cations, unit="1", what="ratio"):
    """The ratio Σ_f S_f / Σ_f N_f over all frames, with its error over frames.

    A mean over events whose number changes from frame to frame (angles, SSIP shells): the
    pooled ratio, not the mean of the frames' own ratios, which weighs a frame of one event as
    much as one of twenty and is biased where the ratio goes with the count (SSIPs in networks:
    a frame of 1 isolated SSIP beside one of 8 networked ones gave 0.5 for 8/9). The error is
    that of the mean over frames of the linearised ratio ``z_f = m + (S_f - m N_f) / <N>``
    (whose mean is ``m`` exactly; frames without events count, with ``z_f = m``), by the
    block and statistical-inefficiency errors and verdicts of
    :func:`~mda_electrolyte.frame_estimates.frame_average` (too few frames, ions or
    independent frames; no fluctuation).

    Parameters
    ----------
    frame_sums, frame_counts : array_like, shape (n_frames,)
        Per frame, the sum of the values (in ``unit``) and the number of events.
    n_cations : int
        Ions averaged over in each frame (for the verdict).
    unit, what : str
        Unit of the ratio and its name, for the notes.

    Returns
    -------
    Estimate or None
        ``None`` when no frame holds an event.

    Raises
    ------
    ValueError
        Series that are not one finite value per frame each, of one length (a single sum
        beside 200 counts was broadcast to a valid 0.31), counts that are not whole numbers
        >= 0 (negative counts gave a valid mean angle of -107°), or a frame with a sum but no
        event.
    """
    frame_sums = _frame_series(f"{what}: frame_sums", frame_sums)
    frame_counts = _frame_series(f"{what}: frame_counts", frame_counts)
    if frame_sums.size != frame_counts.size:
        raise ValueError(f"{what}: frame_sums holds {frame_sums.size} frames and frame_counts "
                         f"{frame_counts.size}; give one sum and one count per frame")
    bad = np.flatnonzero((frame_counts < 0) | (frame_counts != np.round(frame_counts)))
    if bad.size:
        raise ValueError(f"{what}: frame_counts must be numbers of events (whole numbers >= 0); "
                         f"frame {bad[0]} has {frame_counts[bad[0]]:g}")
    bad = np.flatnonzero((frame_counts == 0) & (frame_sums != 0))
    if bad.size:
        raise ValueError(f"{what}: frame {bad[0]} sums {frame_sums[bad[0]]:g} over no event "
                         "(frame_counts 0)")
    total = frame_counts.sum()
    if not total:
        return None
    mean = frame_sums.sum() / total
    z = mean + (frame_sums - mean * frame_counts) / frame_counts.mean()
    est = frame_average(z, n_cations, unit=unit, what=what)
    # the linearised series averages to the ratio up to rounding: report the ratio itself
    return replace(est, value=float(mean))


def _frame_series(what, values):
    """``values`` as a 1-D float array of at least one finite value, or ValueError naming
    the first frame that is not."""
    try:
        values = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be numbers, one per frame") from None
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"{what} must be one number per frame (1-D, at least one frame), not "
                         f"an array of shape {values.shape}")
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        raise ValueError(f"{what}: frame {bad[0]} is {values[bad[0]]} ({bad.size} frames not "
                         "finite)")
    return values


def summary_results(summary, convention="anion_count", *, _in_place=False):
    """Every result of :class:`~mda_electrolyte.solvation.SolvationShells` from a summary.

    Parameters
    ----------
    summary : ShellSummary
    convention : {"anion_count", "bridging"}
        The convention the summary's classes were made with (reported).

    Returns
    -------
    dict
        The keys of ``SolvationShells.results`` described there, except the cutoff bookkeeping
        and what needs the table (``table``, ``shells``, ``classes``, ``shell_labels``): the
        shells are given as ``class_codes`` (index into
        :data:`~mda_electrolyte.shell_composition.CLASSES`) and ``label_codes`` (index into
        ``label_names``, most common first).

    ``_in_place``: the caller hands the summary over (SolvationShells' own, taken from its
    builder): its label codes are renumbered in place, not copied (4 bytes per shell less at
    the peak).
    """
    if not isinstance(summary, ShellSummary):
        # a ShellTable was an AttributeError ('classes'): it is shell_results' input
        raise TypeError(f"summary must be a ShellSummary (summarize(...) or "
                        f"ShellSummaryBuilder.take()), not {type(summary).__name__}"
                        + ("; derive a ShellTable with mda_electrolyte.solvation.shell_results"
                           if isinstance(summary, ShellTable) else ""))
    layout = summary.layout
    names = list(layout.species)
    n_frames, n_cat = summary.classes.shape
    if n_frames == 0:
        raise ValueError("no frames analysed")
    all_names = [label_text(row, layout) for row in summary.compositions]
    order, order_counts = _most_common(summary.label_codes, all_names)
    # codes renumbered most common first: the same codes whatever the order frames came in
    rank = np.zeros(len(summary.compositions), dtype=np.int32)
    rank[order] = np.arange(order.size, dtype=np.int32)
    if _in_place:
        label_codes = summary.label_codes
        flat = label_codes.reshape(-1)
        for start in range(0, flat.size, _CHUNK):
            flat[start:start + _CHUNK] = rank[flat[start:start + _CHUNK]]
    else:
        label_codes = rank[summary.label_codes]
    compositions = summary.compositions[order]
    label_names = [all_names[k] for k in order]
    per_species = compositions.sum(axis=2)
    count_type = np.min_scalar_type(int(per_species.sum(axis=1).max(initial=0)))
    counts = {n: per_species[:, k].astype(count_type)[label_codes] for k, n in enumerate(names)}
    total = per_species.sum(axis=1).astype(count_type)[label_codes]
    codes = summary.classes
    n_shells = codes.size
    out = {"convention": convention, "n_cations": n_cat, "class_codes": codes,
           "label_codes": label_codes, "label_names": np.array(label_names, dtype=str)}
    out["fractions"] = {c: float(np.mean(codes == k)) for k, c in enumerate(CLASSES)}
    out["labels"] = {label: int(c) / n_shells
                     for label, c in zip(label_names, order_counts, strict=True)}
    out["coordination_numbers"] = {n: float(counts[n].mean()) for n in names}
    out["pairing"] = {n: float((counts[n] > 0).mean()) for n in names}
    free_cat = (codes == 0).mean(axis=1)
    out["free_cation_fraction"] = float(free_cat.mean())
    out["free_ion_fraction"] = float(summary.free_ions.mean())
    sizes = tally(summary.network)
    out["network_sizes"] = {int(s): float(c / n_shells) for s, c in enumerate(sizes) if c}
    fractions_by_frame = np.stack([(codes == k).mean(axis=1) for k in range(3)], axis=1)
    cn_by_frame = {n: counts[n].mean(axis=1) for n in names}
    pairing_by_frame = {n: (counts[n] > 0).mean(axis=1) for n in names}
    out["timeseries"] = {
        "frames": summary.frames.copy(), "fractions": fractions_by_frame,
        "coordination_numbers": cn_by_frame, "pairing": pairing_by_frame,
        "free_cation_fraction": free_cat,
    }
    n_anions = layout.n_anion_molecules
    out["estimates"] = {
        "fractions": {c: frame_average(fractions_by_frame[:, k], n_cat, what=f"{c} fraction")
                      for k, c in enumerate(CLASSES)},
        "coordination_numbers": {n: frame_average(cn_by_frame[n], n_cat,
                                                  what=f"coordination number of {n}")
                                 for n in names},
        "pairing": {n: frame_average(pairing_by_frame[n], n_cat, what=f"pairing of {n}")
                    for n in names},
        "free_cation_fraction": frame_average(free_cat, n_cat, what="free cation fraction"),
        # a fraction over every cation and anion molecule: all of them are its ions (the
        # smaller of the two counts called 2 Li+ and 1 anion "too few ions: 1")
        "free_ion_fraction": frame_average(summary.free_ions, n_cat + n_anions,
                                           what="free ion fraction"),
        # the distributions, each share as an average over frames of that frame's share
        "labels": {label: frame_average((label_codes == k).mean(axis=1), n_cat,
                                        what=f"share of {label}")
                   for k, label in enumerate(label_names)},
        "network_sizes": {k: frame_average((summary.network == k).mean(axis=1), n_cat,
                                           what=f"share of networks of {k}")
                          for k in out["network_sizes"]},
        "cn_distribution_total": {
            int(k): frame_average((total == k).mean(axis=1), n_cat,
                                  what=f"share of coordination number {k}")
            for k in np.flatnonzero(tally(total))},
    }
    if not layout.anions:
        # no anion species: every shell is an SSIP by definition. "No fluctuation (no exchange
        # sampled)" told the user to run longer for a number no run can change
        why = (f"no anion species given: every shell is an SSIP by definition, not a "
               f"measurement (pass anions={{name: AtomGroup}}; the species are {names})")
        est = out["estimates"]
        est["fractions"] = {c: Estimate.invalid(out["fractions"][c], np.nan, "1",
                                                METHODS["none"], why, n_samples=n_frames)
                            for c in CLASSES}
        for key in ("free_cation_fraction", "free_ion_fraction"):
            est[key] = Estimate.invalid(out[key], np.nan, "1", METHODS["none"], why,
                                        n_samples=n_frames)
    out["cn_distribution"] = {n: distribution(counts[n]) for n in names}
    out["cn_distribution"]["total"] = distribution(total)
    out["cn_distribution_by_class"] = {
        c: distribution(total[codes == k]) for k, c in enumerate(CLASSES)}
    out.update(_ssip_networks(codes, summary.ssip_network, counts, total, n_cat))
    out["estimates"]["ssip_fraction_in_networks"] = out.pop("_ssip_fraction_estimate")
    edges = summary.angle_edges
    centres = 0.5 * (edges[1:] + edges[:-1])
    angle_counts = summary.angle_counts[order]
    angle_sums = summary.angle_sums[order]
    out["angles"] = {
        kind: {"bins": centres, **_angle_entry(
            angle_counts[:, j].sum(axis=0), angle_sums[:, j].sum(), edges,
            angle_mean_estimate(summary.angle_frame_sums[:, j],
                                summary.angle_frame_counts[:, j], n_cat,
                                what=f"mean {kind} angle"))}
        for j, kind in enumerate(ANGLE_KINDS)}
    out.update(_by_type(summary, label_names, order_counts, summary.type_counts[order],
                        angle_counts, angle_sums))
    return out


def _ssip_networks(codes, ssip_sizes, counts, total, n_cat):
    # one mask of shells alive at a time (a byte per shell each; three at once, with their
    # temporaries, were most of the streamed conclusion's peak)
    ssip = codes == 0
    per_frame = ssip.sum(axis=1)
    n_ssip = int(per_frame.sum())
    sizes = distribution(ssip_sizes[ssip])
    networked = ssip
    # a network of two or more SSIPs; SSIP shells only (their network size is 0 elsewhere)
    np.greater(ssip_sizes, 1, out=networked)
    networked &= codes == 0
    # the share of all SSIPs in networks, its plain value's (the mean of the frames' own shares
    # weighed a frame of one SSIP as one of many: 0.525 for 0.587 of the SSIPs)
    estimate = pooled_ratio_estimate(networked.sum(axis=1), per_frame, n_cat,
                                     what="SSIP fraction in networks")
    out = {"fraction_in_networks": float(networked.sum() / n_ssip) if n_ssip else None,
           "sizes": sizes, "cn_distribution": {}, "composition": {}, "n_ssip": n_ssip}
    for where, test in (("network", None), ("isolated", 1)):
        if test is None:
            mask = networked
        else:
            mask = networked
            np.equal(ssip_sizes, test, out=mask)
            mask &= codes == 0
        out["cn_distribution"][where] = distribution(total[mask])
        out["composition"][where] = {
            n: (float(c[mask].mean()) if mask.any() else None) for n, c in counts.items()}
    return {"_ssip_fraction_estimate": estimate, "ssip_networks": out}


def _by_type(summary, label_names, label_counts, type_counts, angle_counts, angle_sums):
    """Per shell label: cation–Oc/Oe RDFs and cumulative CNs, angle distributions."""
    edges = summary.rdf_edges
    shell = 4.0 / 3.0 * np.pi * np.diff(edges**3)
    volume = float(summary.volumes.mean())
    by_type = {}
    for k, (name, count) in enumerate(zip(label_names, label_counts, strict=True)):
        count = int(count)
        entry = {"n_shells": count, "rdf": {}, "cn": {}, "angles": {}}
        for j, kind in enumerate(RDF_KINDS):
            n_oxygens = summary.layout.n_oxygens[j]
            hist = type_counts[k, j]
            entry["rdf"][kind] = (hist / (count * (n_oxygens / volume) * shell)
                                  if n_oxygens else None)
            entry["cn"][kind] = np.cumsum(hist) / count
        for j, kind in enumerate(ANGLE_KINDS):
            entry["angles"][kind] = _angle_entry(angle_counts[k, j], angle_sums[k, j],
                                                 summary.angle_edges)
        by_type[name] = entry
    return {"by_type": by_type, "by_type_bins": 0.5 * (edges[1:] + edges[:-1])}
