"""Intra- and intermolecular partial radial distribution functions of many pairs in one pass.

SPEC §2.1 (seed 003 §2.4): for every pair of atom sets (a, b), with h_ij = 1 when atoms i and j
belong to the same molecule,

    g_intra^ab(r) = V / (4π r² N_ab) ⟨Σ_i∈a Σ_j∈b h_ij δ(r − r_ij)⟩,
    g_inter^ab(r) = the same with (1 − h_ij),

and g_total = g_intra + g_inter is the ordinary partial RDF. One neighbour search over all atoms per
frame serves every pair: the pairs within the largest distance are found once, labelled by the
*class* of their two atoms (the set of selections an atom belongs to), by intra/inter and by
distance bin, and counted with :func:`numpy.bincount`; the per-pair histograms are then linear
combinations of the class-pair histograms.

Normalisation follows :class:`MDAnalysis.analysis.rdf.InterRDF` exactly (``norm="rdf"``):
ordered pairs are counted, the pair density is ``N_a N_b / ⟨V⟩`` with the box volume averaged over
the analysed frames, and distances are computed with the same float arithmetic as MDAnalysis'
grid search, so ``total`` equals ``InterRDF(a, b)`` and ``inter`` equals
``InterRDF(a, b, exclude_same="residue")`` bin by bin. The one deliberate difference: an atom is
not paired with itself. ``InterRDF(g, g)`` counts every atom of ``g`` at r = 0 in the first bin
when the range starts at 0; here that bin holds only real pairs.
"""

from __future__ import annotations

import itertools

import numpy as np
from MDAnalysis.analysis.base import AnalysisBase
from MDAnalysis.analysis.results import ResultsGroup
from MDAnalysis.lib.distances import apply_PBC, self_capped_distance
from MDAnalysis.lib.mdamath import triclinic_vectors
from scipy.spatial import cKDTree

from mda_electrolyte.molecules import molecule_ids
from mda_electrolyte.report import register_analysis

__all__ = ["IntraInterRDF"]


def _half_min_width(box):
    """Half the smallest distance between opposite faces of the cell (Å)."""
    vectors = triclinic_vectors(box).astype(np.float64)
    volume = abs(np.linalg.det(vectors))
    widths = [
        volume / np.linalg.norm(np.cross(vectors[(k + 1) % 3], vectors[(k + 2) % 3]))
        for k in range(3)
    ]
    return 0.5 * min(widths)


# pairs handled per numpy pass: the working arrays of a chunk stay in the CPU cache, which
# makes the distance and histogram passes about 1.5x faster than whole-frame arrays
_CHUNK = 32768


def _pair_distance_chunks(positions, box, max_cutoff):
    """Every periodic pair of atoms within ``max_cutoff`` once (in either order), with distance.

    Yields ``(i, j, dist, beyond)`` chunks. Distances are bit-identical to those of MDAnalysis'
    grid search (``capped_distance`` with ``method="nsgrid"``), which is what
    :class:`~MDAnalysis.analysis.rdf.InterRDF` uses on liquid boxes, so both histogram every
    distance into the same bin. ``beyond`` (a boolean array, or None when there are none) marks
    candidate pairs the grid search would not report: squared distance above
    ``max_cutoff**2``, its exact test.
    """
    if not np.all(box[3:] == 90.0):
        pairs, dist = self_capped_distance(positions, max_cutoff, box=box, method="nsgrid")
        yield pairs[:, 0], pairs[:, 1], dist, None
        return
    wrapped = apply_PBC(positions, box)
    lengths = box[:3].astype(np.float64)
    # margin so that no pair is lost to the difference between the trees' double-precision
    # distances and MDAnalysis' single-precision subtraction; the exact cut follows
    reach = max_cutoff * (1 + 1e-6) + 1e-5
    if reach >= 0.5 * lengths.min() - 1e-3:
        # range close to half the box: scipy's periodic tree, slower but free of the ghosts'
        # assumption that an atom and its image are never both within reach
        tree = cKDTree(np.mod(wrapped.astype(np.float64), lengths), boxsize=lengths)
        blocks = [(tree.query_pairs(reach, output_type="ndarray"), True)]
    else:
        blocks = _orthorhombic_pairs(wrapped.astype(np.float64), lengths, reach)
    columns = np.ascontiguousarray(wrapped.T)
    lengths32 = box[:3].astype(np.float32)
    halves = lengths32 * np.float32(0.5)
    cutoff2 = max_cutoff * max_cutoff
    for pairs, shifted in blocks:
        for start in range(0, len(pairs), _CHUNK):
            i = np.ascontiguousarray(pairs[start:start + _CHUNK, 0])
            j = np.ascontiguousarray(pairs[start:start + _CHUNK, 1])
            # the squared distance of FastNS.calc_distsq: wrapped single-precision coordinates
            # subtracted in single precision, lazy minimum image, squares summed in double
            # precision. The image shift is applied in single precision here: |dx| < L for
            # wrapped coordinates and the shift only happens for |dx| >= L/2, so dx -+ L is
            # exact (Sterbenz lemma) and equals MDAnalysis' double-precision value.
            d2 = None
            for k in range(3):
                dx = np.take(columns[k], i)
                dx -= np.take(columns[k], j)
                if shifted:
                    np.subtract(dx, lengths32[k], out=dx, where=dx > halves[k])
                    np.add(dx, lengths32[k], out=dx, where=dx <= -halves[k])
                if d2 is None:
                    d2 = np.square(dx, dtype=np.float64)
                else:
                    d2 += np.square(dx, dtype=np.float64)
            beyond = d2 > cutoff2
            yield i, j, np.sqrt(d2, out=d2), beyond


def _orthorhombic_pairs(wrapped, lengths, reach):
    """Candidate pairs within ``reach`` of wrapped positions in an orthorhombic box.

    Non-periodic k-d trees (together about twice as fast as scipy's periodic tree) over the
    atoms and over ghost images: an atom within reach of the lower face on a set of axes ``S``
    gets an image shifted by ``+L`` along ``S``. A periodic pair whose minimum image crosses
    the faces along the axes ``C`` is found exactly once as a pair of points whose shift sets
    are disjoint and together make ``C``: the direct pairs (no shift), atom–ghost pairs, and
    ghost–ghost pairs with disjoint shift sets (pairs across an edge with opposite crossing
    directions). ``reach`` must be below half the smallest box length.

    Returns a list of ``(pairs, shifted)`` blocks, ``pairs`` an ``(n, 2)`` array of atom
    indices, ``shifted`` False for the direct pairs, which are closer than half the box along
    every axis and so need no minimum-image shift.
    """
    near = wrapped < reach
    upper = np.flatnonzero(np.any(wrapped > lengths - reach, axis=1))
    owners, images = {}, {}
    for mask in range(1, 8):
        axes = np.array([(mask >> k) & 1 for k in range(3)], dtype=bool)
        owners[mask] = np.flatnonzero(np.all(near[:, axes], axis=1))
        images[mask] = wrapped[owners[mask]] + axes * lengths

    def tree(points):
        return cKDTree(points, leafsize=32, balanced_tree=False, compact_nodes=False)

    def cross(first, first_points, second, second_points):
        if not (len(first) and len(second)):
            return np.empty((0, 2), dtype=np.intp)
        found = tree(first_points).sparse_distance_matrix(tree(second_points), reach,
                                                          output_type="ndarray")
        return np.stack([first[found["i"]], second[found["j"]]], axis=1)

    direct = tree(wrapped).query_pairs(reach, output_type="ndarray")
    # only atoms within reach of an upper face can meet a ghost
    crossing = [cross(upper, wrapped[upper], np.concatenate(list(owners.values())),
                      np.concatenate(list(images.values())))]
    # ghosts shifted along disjoint axes: mask 1 (x) with 2 (y), 4 (z), 6 (yz); 2 with 4, 5
    # (xz); 4 with 3 (xy)
    for mask_a, masks_b in ((1, (2, 4, 6)), (2, (4, 5)), (4, (3,))):
        crossing.append(cross(owners[mask_a], images[mask_a],
                              np.concatenate([owners[m] for m in masks_b]),
                              np.concatenate([images[m] for m in masks_b])))
    return [(direct, False), (np.concatenate(crossing), True)]


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


class IntraInterRDF(AnalysisBase):
    r"""Intra-, inter-molecular and total partial RDFs of many atom-set pairs in one pass.

    Parameters
    ----------
    atomgroup : MDAnalysis.core.groups.AtomGroup
        Atoms to analyse; selections of ``pairs`` are applied to this group. The Universe needs a
        periodic box.
    pairs : "elements" or list of (str, str)
        ``"elements"``: every unordered pair of elements of ``atomgroup`` (the atoms need an
        ``elements`` attribute), keyed ``(a, b)`` with ``a <= b`` alphabetically, e.g.
        ``("Li", "O")``, ``("O", "O")``. Otherwise a list of ``(sel_a, sel_b)`` MDAnalysis selection
        strings, keyed by that tuple; selections may overlap.
    range : tuple of float
        ``(r_min, r_max)`` of the histogram in Å; ``r_max`` must not exceed half the smallest box
        width.
    nbins : int
        Number of histogram bins.
    compound : {"residues", "fragments"}
        What a molecule is: residues of the topology (default) or bonded fragments.
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
        Pair key → g(r), dimensionless, shape (nbins,). ``total == intra + inter``.
    results.cn_intra, results.cn_inter, results.cn_total : dict
        Pair key → cumulative coordination number at the upper bin edges: the mean number of
        ``b`` atoms within ``r`` of an ``a`` atom, ``CN(r) = 4π ρ_b ∫ g(r') r'² dr'`` counted from
        ``r_min`` (SPEC §2.1, seed 000 eq. 1–2).
    results.counts : numpy.ndarray, shape (n_pairs, 2, nbins)
        Ordered-pair counts summed over frames, ``[:, 0]`` intra and ``[:, 1]`` inter.
    results.volume : float
        Box volume averaged over the analysed frames, Å³.

    Notes
    -----
    Equal to :class:`MDAnalysis.analysis.rdf.InterRDF` with ``norm="rdf"``: ``total`` matches
    ``InterRDF(a, b)`` and ``inter`` matches ``InterRDF(a, b, exclude_same="residue")``, except
    that an atom is never paired with itself (``InterRDF(g, g)`` puts ``len(g)`` self-distances
    of 0 Å into the first bin when ``r_min = 0``). Distances are computed with the arithmetic
    of MDAnalysis' grid search, bit for bit, so every pair falls into the same bin as in
    ``InterRDF`` (which uses that search for boxes larger than about ``3.3 r_max`` and groups of
    at least 10 atoms; otherwise it computes distances by brute force, which may differ in the
    last bit). Supports ``run(backend="multiprocessing")`` and ``"dask"`` with the serial
    result.

    Each frame needs one neighbour search over all selected atoms. In orthorhombic boxes with
    ``r_max`` below half the box length it uses non-periodic k-d trees over the atoms and
    their periodic images near the faces (about 15x faster than looping ``InterRDF`` over the
    28 element pairs of a 7000-atom electrolyte, ``benchmarks/bench_rdf.py``); triclinic
    boxes use MDAnalysis' grid search, about six times slower per frame.

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

    @classmethod
    def get_supported_backends(cls):
        return ("serial", "multiprocessing", "dask")

    def __init__(self, atomgroup, pairs="elements", range=(0.0, 8.0), nbins=80,
                 compound="residues", **kwargs):
        super().__init__(atomgroup.universe.trajectory, **kwargs)
        if atomgroup.n_atoms == 0:
            raise ValueError("IntraInterRDF: the atomgroup is empty")
        r_min, r_max = (float(v) for v in range)
        if not (0.0 <= r_min < r_max):
            raise ValueError(f"IntraInterRDF: range must satisfy 0 <= r_min < r_max, got {range}")
        if int(nbins) != nbins or nbins < 1:
            raise ValueError(f"IntraInterRDF: nbins must be a positive integer, got {nbins!r}")
        if atomgroup.universe.dimensions is None:
            raise ValueError("IntraInterRDF needs a periodic box: the trajectory has no dimensions")
        half_width = _half_min_width(atomgroup.universe.dimensions)
        if r_max > half_width:
            raise ValueError(
                f"IntraInterRDF: r_max = {r_max} Å exceeds half the smallest box width "
                f"({half_width:.3f} Å); reduce range"
            )
        self._ag = atomgroup
        self._range = (r_min, r_max)
        self._nbins = int(nbins)
        self._compound = compound
        self._edges = np.histogram_bin_edges([], bins=self._nbins, range=(r_min, r_max))

        membership, keys, sel_of_pair = self._membership(atomgroup, pairs)
        # atoms in no selection never enter the neighbour search
        in_any = membership.any(axis=1)
        self._atoms = atomgroup[in_any]
        membership = membership[in_any]
        self._mol = molecule_ids(atomgroup, compound=compound)[in_any]
        classes, self._atom_class = _distinct_rows(membership)
        n_cls = len(classes)
        self._n_cls = n_cls
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
        row = self._nbins + 1
        self._first_code = self._atom_class * (n_cls * 2 * row)
        self._second_code = self._atom_class * (2 * row)
        self._class_pair_members = tuple(np.array(cls_pairs, dtype=np.intp).reshape(-1, 2).T)
        self._mol = np.asarray(self._mol, dtype=np.intp)
        self._n_a = n_a
        self._n_b = n_b
        self._keys = keys

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
            elements = sorted(set(atomgroup.elements))
            if "" in elements:
                raise ValueError("pairs='elements': some atoms have no element symbol")
            membership = np.stack([atomgroup.elements == e for e in elements], axis=1)
            keys = list(itertools.combinations_with_replacement(elements, 2))
            index = {e: k for k, e in enumerate(elements)}
            sel_of_pair = [(index[a], index[b]) for a, b in keys]
            return membership, keys, sel_of_pair
        pairs = [tuple(p) for p in pairs]
        if not pairs:
            raise ValueError("pairs is an empty list")
        selections = []
        for p in pairs:
            if len(p) != 2 or not all(isinstance(s, str) for s in p):
                raise ValueError(f"each pair must be two selection strings, got {p!r}")
            selections.extend(s for s in p if s not in selections)
        columns = []
        for sel in selections:
            chosen = atomgroup.select_atoms(sel)
            if chosen.n_atoms == 0:
                raise ValueError(f"selection {sel!r} matches no atom of the atomgroup")
            columns.append(np.isin(atomgroup.ix, chosen.ix))
        membership = np.stack(columns, axis=1)
        index = {s: k for k, s in enumerate(selections)}
        return membership, pairs, [(index[a], index[b]) for a, b in pairs]

    def _prepare(self):
        n_class_pairs = self._weights.shape[1]
        self.results.counts_class = np.zeros((n_class_pairs, 2, self._nbins))
        self.results.volume_cum = 0.0

    def _single_frame(self):
        box = self._ts.dimensions
        if box is None:
            raise ValueError(f"frame {self._ts.frame} has no box dimensions")
        # one histogram over (class of i, class of j, inter, bin) for ordered class pairs; the
        # extra bin per row collects distances outside the range
        n_cls, n_bins = self._n_cls, self._nbins
        row = n_bins + 1
        counts = np.zeros(n_cls * n_cls * 2 * row, dtype=np.intp)
        chunks = _pair_distance_chunks(self._atoms.positions, box, self._range[1])
        for i, j, dist, beyond in chunks:
            flat = np.take(self._first_code, i)
            flat += np.take(self._second_code, j)
            np.add(flat, row, out=flat, where=np.take(self._mol, i) != np.take(self._mol, j))
            flat += self._bin_index(dist, beyond)
            counts += np.bincount(flat, minlength=counts.size)
        counts = counts.reshape(n_cls, n_cls, 2, row)[..., :n_bins]
        # an unordered pair {i, j} counts for (class i, class j) and (class j, class i)
        unordered = counts + counts.swapaxes(0, 1)
        diagonal = np.arange(n_cls)
        unordered[diagonal, diagonal] = counts[diagonal, diagonal]
        c1, c2 = self._class_pair_members
        self.results.counts_class += unordered[c1, c2]
        self.results.volume_cum += self._ts.volume

    def _bin_index(self, dist, beyond=None):
        """Histogram bin of every distance as :func:`numpy.histogram` assigns it with the
        analysis range; ``nbins`` for distances below ``r_min`` or marked ``beyond``.

        Distances of pairs within the cutoff never exceed ``r_max``: the cut is
        ``d2 <= r_max**2`` and the correctly rounded square root is monotonic.
        """
        r_min, r_max = self._range
        n_bins = self._nbins
        scaled = dist - r_min
        scaled *= n_bins / (r_max - r_min)
        outside = beyond
        if r_min > 0.0:
            outside = dist < r_min if outside is None else outside | (dist < r_min)
        if outside is not None:
            # a non-integer above the last bin, so that it is not taken for an edge below
            scaled[outside] = n_bins + 0.5
        index = scaled.astype(np.intp)
        # numpy.histogram corrects the truncated index against the bin edges; that can only
        # change anything within rounding of an edge, i.e. for a scaled value near an integer
        near = np.flatnonzero(np.abs(scaled - np.rint(scaled)) < 1e-6)
        if near.size:
            edges = self._edges
            d, k = dist[near], index[near]
            k[k == n_bins] -= 1
            k[d < edges[k]] -= 1
            k[(d >= edges[k + 1]) & (k != n_bins - 1)] += 1
            index[near] = k
        return index

    def _get_aggregator(self):
        return ResultsGroup(lookup={"counts_class": ResultsGroup.ndarray_sum,
                                    "volume_cum": ResultsGroup.ndarray_sum})

    def _conclude(self):
        edges = self._edges
        self.results.edges = edges
        self.results.bins = 0.5 * (edges[:-1] + edges[1:])
        self.results.pairs = list(self._keys)
        counts = np.einsum("pk,kib->pib", self._weights, self.results.counts_class)
        self.results.counts = counts
        n_frames = self.n_frames
        volume = self.results.volume_cum / n_frames
        self.results.volume = volume
        shell = 4.0 / 3.0 * np.pi * np.diff(np.power(edges, 3))
        for name in ("intra", "inter", "total", "cn_intra", "cn_inter", "cn_total"):
            self.results[name] = {}
        for p, key in enumerate(self._keys):
            # the same sequence of operations as InterRDF._conclude, for identical rounding
            norm = n_frames * shell * (self._n_a[p] * self._n_b[p] / volume)
            intra, inter = counts[p, 0], counts[p, 1]
            self.results.intra[key] = intra / norm
            self.results.inter[key] = inter / norm
            self.results.total[key] = (intra + inter) / norm
            per_a = n_frames * self._n_a[p]
            self.results.cn_intra[key] = np.cumsum(intra) / per_a
            self.results.cn_inter[key] = np.cumsum(inter) / per_a
            self.results.cn_total[key] = np.cumsum(intra + inter) / per_a

    def plot(self, pairs=None, ncols=4):
        """Intra, inter and total g(r) of each pair, one panel per pair.

        Parameters
        ----------
        pairs : list of tuple, optional
            Pair keys to show (default: all).
        ncols : int
            Panels per row.

        Returns
        -------
        matplotlib.figure.Figure
        """
        import matplotlib.pyplot as plt

        if "total" not in self.results:
            raise RuntimeError("run() the analysis before plot()")
        keys = list(self.results.pairs) if pairs is None else [tuple(p) for p in pairs]
        unknown = [k for k in keys if k not in self.results.total]
        if unknown:
            raise KeyError(f"unknown pairs {unknown}; known: {self.results.pairs}")
        ncols = min(ncols, len(keys))
        nrows = -(-len(keys) // ncols)
        fig, axes = plt.subplots(nrows, ncols, figsize=(3.2 * ncols, 2.6 * nrows), squeeze=False)
        r = self.results.bins
        for ax, key in zip(axes.flat, keys, strict=False):
            ax.plot(r, self.results.total[key], color="k", lw=1.2, label="total")
            ax.plot(r, self.results.inter[key], color="C0", lw=1.0, label="inter")
            ax.plot(r, self.results.intra[key], color="C3", lw=1.0, label="intra")
            ax.set_title(f"{key[0]}–{key[1]}", fontsize=9)
            ax.set_xlabel("r (Å)")
            ax.set_ylabel("g(r)")
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
    import matplotlib.pyplot as plt

    r_max = min(8.0, _half_min_width(universe.dimensions))
    rdf = IntraInterRDF(universe.atoms, pairs="elements", range=(0.0, r_max), nbins=int(r_max * 20),
                        verbose=verbose).run()
    fig = rdf.plot()
    fig.savefig(outdir / "intra_inter_rdf.png", dpi=120)
    plt.close(fig)
    r = rdf.results.bins
    summary = {"r_angstrom": r.tolist(), "pairs": {}}
    for key in rdf.results.pairs:
        total = rdf.results.total[key]
        summary["pairs"][f"{key[0]}-{key[1]}"] = {
            "g_intra": rdf.results.intra[key].tolist(),
            "g_inter": rdf.results.inter[key].tolist(),
            "g_total": total.tolist(),
            "first_peak_angstrom": float(r[np.argmax(total)]) if total.any() else None,
        }
    summary["png"] = "intra_inter_rdf.png"
    return summary
