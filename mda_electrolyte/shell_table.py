"""The table one pass over a trajectory collects for the cation solvation shells.

:class:`~mda_electrolyte.solvation.SolvationShells` reads each frame once (AnalysisBase hooks
only) and keeps what every later quantity needs, in compact arrays; the classes, labels,
coordination numbers, networks, angles and per-type RDFs are derived from the table afterwards
(:mod:`mda_electrolyte.shell_composition`, :mod:`mda_electrolyte.shell_geometry`), so they can
be computed and tested on a stored table without a trajectory (after solvation-analysis'
``Solute`` → ``Pairing.from_solute``).

Per frame the table holds

- every cation–candidate-atom pair within the collection radius ``radius`` (the largest cutoff a
  shell may get): cation slot (int32), atom index (int32), distance (float32, Å), as one
  compressed-row block of ``offsets``;
- for the rows whose atom is a carbonyl oxygen Oc, the cation→Oc and Oc→carbonyl-carbon
  minimum-image vectors (float32, Å), for the angles;
- every cation–oxygen (Oc/Oe) pair within the RDF range: cation slot, oxygen kind (0 = Oc,
  1 = Oe) and histogram bin, for the per-shell-type RDFs;
- the box volume;

and, summed over frames, the cation–species distance histograms from which shell cutoffs are
taken (:func:`mda_electrolyte.shell_cutoffs.first_minimum`). About 12 bytes per pair within
``radius``: 1.1 kB per cation and frame on solvation-analysis' bn_fec data at 6 Å, so 300
frames of 192 Li⁺ take about 65 MB (``benchmarks/bench_rdf.py`` prints it); with every cutoff
given, ``radius`` is the largest cutoff and the table is several times smaller.

During the pass the rows go into a :class:`ShellTableBuilder`: contiguous blocks of the table's
dtypes, so the pass holds the rows plus 32 bytes per frame and nothing per frame in Python
objects (a list of per-frame arrays costs ~1.5 kB per frame in object headers alone, more than
the rows of a small box). ``benchmarks/bench_memory.py`` prints the peak against trajectory
length.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ase_electrolyte.atomic_file import atomic_path

__all__ = ["ShellLayout", "ShellTable", "ShellTableBuilder", "BlockColumn", "OTHER", "OC", "OE",
           "check_table"]

#: Oxygen types of :attr:`ShellLayout.atom_oxygen`.
OTHER, OC, OE = 0, 1, 2


@dataclass(frozen=True)
class ShellLayout:
    """What every atom of the Universe is, for the shell derivations.

    Attributes
    ----------
    species : tuple of str
        Species names in result order (solvents, then anions).
    anions, solvents : tuple of str
        The names of each kind.
    cation_ix : numpy.ndarray of int64, shape (n_cations,)
        Universe indices of the cations; a cation's *slot* is its position here.
    cation_symbol : str
        Element (or name) written at the start of shell labels.
    atom_species : numpy.ndarray of int8, shape (n_atoms,)
        Species code of every atom that may be a shell member, -1 elsewhere.
    atom_molecule : numpy.ndarray of int32, shape (n_atoms,)
        Molecule (residue index) of every atom.
    atom_oxygen : numpy.ndarray of int8, shape (n_atoms,)
        :data:`OC`, :data:`OE` or :data:`OTHER`.
    n_anion_molecules : int
        Anion molecules in the system (for the free-ion fraction).
    n_oxygens : tuple of int
        Number of Oc and of Oe atoms of the species (the densities of the per-type RDFs).
    """

    species: tuple
    anions: tuple
    solvents: tuple
    cation_ix: np.ndarray
    cation_symbol: str
    atom_species: np.ndarray
    atom_molecule: np.ndarray
    atom_oxygen: np.ndarray
    n_anion_molecules: int
    n_oxygens: tuple = (0, 0)

    @property
    def n_cations(self):
        """Cations whose shells are counted (``cation_ix.size``)."""
        return int(self.cation_ix.size)

    def with_members(self, name, atom_ix):
        """A copy in which only ``atom_ix`` (Universe indices) may be members of ``name``."""
        code = self.species.index(name)
        atom_species = self.atom_species.copy()
        atom_species[atom_species == code] = -1
        atom_species[np.asarray(atom_ix, dtype=np.intp)] = code
        return replace(self, atom_species=atom_species)


@dataclass
class ShellTable:
    """Per-frame shell candidates of a trajectory (see the module documentation).

    Attributes
    ----------
    layout : ShellLayout
    radius : float
        Collection radius in Å: no shell cutoff may exceed it.
    frames : numpy.ndarray of int64, shape (n_frames,)
        Trajectory frame numbers.
    volumes : numpy.ndarray of float64, shape (n_frames,)
        Box volumes, Å³.
    offsets : numpy.ndarray of int64, shape (n_frames + 1,)
        Rows of frame ``k`` are ``offsets[k]:offsets[k + 1]``.
    cation, atom : numpy.ndarray of int32
        Cation slot and candidate atom (Universe index) of every row.
    distance : numpy.ndarray of float32
        Cation–atom distance of every row, Å.
    m_to_o, o_to_c : numpy.ndarray of float32, shape (n_oc_rows, 3)
        For the rows whose atom is an Oc, in row order: cation→Oc and Oc→carbon vectors, Å.
    oxygen_offsets : numpy.ndarray of int64, shape (n_frames + 1,)
    oxygen_cation : numpy.ndarray of int32
    oxygen_kind : numpy.ndarray of int8
        0 for Oc, 1 for Oe.
    oxygen_bin : numpy.ndarray of int32
        Histogram bin on ``rdf_edges`` of every cation–oxygen pair within the RDF range.
    rdf_edges : numpy.ndarray, shape (n_bins + 1,)
        Bin edges in Å of the RDFs.
    rdf_counts : numpy.ndarray of int64, shape (n_species, n_bins)
        Cation–species pair counts summed over frames (candidate atoms of each species).
    """

    layout: ShellLayout
    radius: float
    frames: np.ndarray
    volumes: np.ndarray
    offsets: np.ndarray
    cation: np.ndarray
    atom: np.ndarray
    distance: np.ndarray
    m_to_o: np.ndarray
    o_to_c: np.ndarray
    oxygen_offsets: np.ndarray
    oxygen_cation: np.ndarray
    oxygen_kind: np.ndarray
    oxygen_bin: np.ndarray
    rdf_edges: np.ndarray
    rdf_counts: np.ndarray = field(default=None)

    @property
    def n_frames(self):
        """Frames of the table (``frames.size``)."""
        return int(self.frames.size)

    @property
    def nbytes(self):
        """Memory held by the per-frame arrays, bytes."""
        return int(sum(getattr(self, name).nbytes for name in _PER_FRAME))

    @classmethod
    def from_frames(cls, layout, radius, rdf_edges, chunks, rdf_counts=None):
        """Assemble the table from per-frame chunks (the arguments of
        :meth:`ShellTableBuilder.add_frame`, in that order)."""
        builder = ShellTableBuilder()
        for chunk in chunks:
            builder.add_frame(*chunk)
        return builder.table(layout, radius, rdf_edges, rdf_counts)

    @classmethod
    def of_frame(cls, layout, radius, rdf_edges, frame, volume, cation, atom, distance, m_to_o,
                 o_to_c, oxygen_cation, oxygen_kind, oxygen_bin):
        """The table of one frame (the arguments of :meth:`ShellTableBuilder.add_frame`),
        without a builder's blocks."""
        def column(name, values):
            dtype, width = _COLUMNS[name]
            return np.asarray(values).astype(dtype, copy=False).reshape(
                (-1,) + ((width,) if width else ()))

        return cls(
            layout=layout, radius=float(radius), frames=column("frames", [frame]),
            volumes=column("volumes", [volume]),
            offsets=np.array([0, len(cation)], dtype=np.int64),
            cation=column("cation", cation), atom=column("atom", atom),
            distance=column("distance", distance), m_to_o=column("m_to_o", m_to_o),
            o_to_c=column("o_to_c", o_to_c),
            oxygen_offsets=np.array([0, len(oxygen_cation)], dtype=np.int64),
            oxygen_cation=column("oxygen_cation", oxygen_cation),
            oxygen_kind=column("oxygen_kind", oxygen_kind),
            oxygen_bin=column("oxygen_bin", oxygen_bin),
            rdf_edges=np.asarray(rdf_edges, dtype=np.float64))

    def row_frames(self):
        """Frame position (0 … n_frames − 1) of every pair row, int32."""
        return np.repeat(np.arange(self.n_frames, dtype=np.int32), np.diff(self.offsets))

    def oxygen_row_frames(self):
        """Frame position of every cation–oxygen row, int32."""
        return np.repeat(np.arange(self.n_frames, dtype=np.int32),
                         np.diff(self.oxygen_offsets))

    def save(self, path):
        """Write the table to a ``.npz`` file (read back with :meth:`load`).

        Parameters
        ----------
        path : str or os.PathLike
            ``.npz`` is appended if missing, as :func:`numpy.savez_compressed` does. The file is
            replaced whole or not at all (:func:`~ase_electrolyte.atomic_file.atomic_path`): a
            failed write keeps an earlier table there intact.

        Returns
        -------
        pathlib.Path
            The file written.

        Raises
        ------
        ValueError
            A table whose arrays disagree (:func:`check_table`), or a path that is empty or
            names a folder (``"out/"``, ``"."``), before the file is touched.
        """
        path = _file_path(path, "ShellTable.save")
        if path.suffix != ".npz":
            path = path.with_name(path.name + ".npz")
        # a table whose arrays disagree is refused before the file is touched: written, it
        # replaced a sound earlier table with one load() refuses
        check_table(self)
        lay = self.layout
        # a table without RDF counts (of_frame's, or one built without them) is saved without
        # them: None was stored as a pickled object array, which load() cannot read
        counts = {} if self.rdf_counts is None else {"rdf_counts": self.rdf_counts}
        with atomic_path(path) as tmp:
            np.savez_compressed(
                tmp, radius=self.radius, rdf_edges=self.rdf_edges, **counts,
                species=np.array(lay.species), anions=np.array(lay.anions, dtype=str),
                solvents=np.array(lay.solvents, dtype=str), cation_ix=lay.cation_ix,
                cation_symbol=lay.cation_symbol, atom_species=lay.atom_species,
                atom_molecule=lay.atom_molecule, atom_oxygen=lay.atom_oxygen,
                n_anion_molecules=lay.n_anion_molecules, n_oxygens=np.array(lay.n_oxygens),
                **{name: getattr(self, name) for name in _PER_FRAME},
            )
        return path

    @classmethod
    def load(cls, path):
        """Read a table written by :meth:`save`.

        Parameters
        ----------
        path : str or os.PathLike
            The name given to :meth:`save`: ``.npz`` is appended if missing, as there.

        Returns
        -------
        ShellTable

        Raises
        ------
        ValueError
            A path that is empty or names a folder (``"out/"``: it read ``out.npz``), or a
            file that is not a table :meth:`save` wrote (not an ``.npz`` archive, a
            truncated one, one without the table's arrays, or one whose arrays do not agree:
            :func:`check_table`).
        """
        path = _file_path(path, "ShellTable.load")
        if path.suffix != ".npz" and not path.exists():
            path = path.with_name(path.name + ".npz")
        try:
            data = np.load(path, allow_pickle=False)
        except (ValueError, EOFError, zipfile.BadZipFile):
            # a text, pickle or truncated file: numpy's message speaks of unsafe unpickling
            raise ValueError(f"{path} is not a shell table (an .npz archive written by "
                             "ShellTable.save)") from None
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise ValueError(f"{path} holds one array, not a shell table (an .npz archive "
                             "written by ShellTable.save)")
        with data:
            missing = [k for k in _LAYOUT_KEYS + _PER_FRAME if k not in data.files]
            if missing:
                raise ValueError(f"{path} is not a shell table written by ShellTable.save: it "
                                 f"lacks {missing[:4]}{' ...' if len(missing) > 4 else ''}")
            layout = ShellLayout(
                species=tuple(data["species"].tolist()), anions=tuple(data["anions"].tolist()),
                solvents=tuple(data["solvents"].tolist()), cation_ix=data["cation_ix"],
                cation_symbol=str(data["cation_symbol"]), atom_species=data["atom_species"],
                atom_molecule=data["atom_molecule"], atom_oxygen=data["atom_oxygen"],
                n_anion_molecules=int(data["n_anion_molecules"]),
                n_oxygens=tuple(int(n) for n in data["n_oxygens"]),
            )
            table = cls(layout=layout, radius=float(data["radius"]),
                        rdf_edges=data["rdf_edges"], rdf_counts=_rdf_counts(data),
                        **{name: data[name] for name in _PER_FRAME})
        check_table(table, str(path))
        return table


def _file_path(path, who):
    """``path`` as a Path naming a file, or an error naming what it is instead.

    A name that ends in a folder separator, ``.`` or ``..`` names a folder: ``save("out/")``
    wrote ``out.npz`` beside the folder, ``save(".")`` was pathlib's "PosixPath('.') has an
    empty name".
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{who}: path must be a file name, not {type(path).__name__}")
    text = os.fspath(path)
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    if not text.strip():
        raise ValueError(f"{who}: path is empty; give a file name (e.g. 'shells.npz')")
    seps = (os.sep, os.altsep) if os.altsep else (os.sep,)
    if text.endswith(seps) or os.path.basename(text) in (".", ".."):
        raise ValueError(f"{who}: path {text!r} names a folder, not a file; give a file name "
                         "(e.g. 'shells.npz' in that folder)")
    return Path(text)


def check_table(table, what="the shell table"):
    """Raise :class:`ValueError` naming the first inconsistency of ``table``'s arrays.

    A table :meth:`ShellTable.load` read from an edited or foreign file, or one whose fields
    were replaced (``dataclasses.replace``), ended in numpy's "operands could not be broadcast
    together", an ``IndexError`` or a reshape error deep in the derivation, and NaN distances
    or volumes counted no shell member at all: coordination numbers 0 and 100 % SSIP, without
    a word. Checked: the layout's per-atom arrays of one length and its species those of its
    anions and solvents; one volume (finite, > 0) and ``n_frames + 1`` offsets (from 0, not
    decreasing, ending at the rows) per frame; every row's cation slot and atom index in range,
    its distance finite, >= 0 and within ``radius``; one pair of vectors (finite) per Oc row;
    the oxygen rows' slot, kind and bin in range; the RDF edges increasing and the counts one
    row of non-negative counts per species.
    """
    lay = table.layout
    n_atoms = np.size(lay.atom_species)
    n_cat = np.size(lay.cation_ix)

    def fail(text):
        raise ValueError(f"{what} is inconsistent: {text} (a table written by ShellTable.save "
                         "and not edited since, or the results.table of a SolvationShells run)")

    def vector(name, length=None, width=None):
        arr = np.asarray(getattr(table, name))
        shape = (arr.shape[0] if length is None and arr.ndim else length,) + (
            (width,) if width else ())
        if arr.shape != shape:
            fail(f"{name} has shape {arr.shape}, not {shape}")
        return arr

    def in_range(name, arr, lo, hi):
        if arr.size and (arr.min() < lo or arr.max() >= hi):
            fail(f"{name} holds {arr.min() if arr.min() < lo else arr.max()}, outside "
                 f"{lo} to {hi - 1}")

    if tuple(lay.species) != tuple(lay.solvents) + tuple(lay.anions):
        fail(f"its species {list(lay.species)} are not its solvents {list(lay.solvents)} "
             f"then anions {list(lay.anions)}")
    for name in ("atom_molecule", "atom_oxygen"):
        if np.shape(getattr(lay, name)) != (n_atoms,):
            fail(f"layout.{name} has shape {np.shape(getattr(lay, name))}, not ({n_atoms},)")
    in_range("layout.atom_species", np.asarray(lay.atom_species), -1, len(lay.species))
    in_range("layout.cation_ix", np.asarray(lay.cation_ix), 0, n_atoms)
    radius = float(table.radius)
    if not (np.isfinite(radius) and radius > 0):
        fail(f"radius is {radius} Å")
    frames = vector("frames")
    n_frames = frames.size
    volumes = vector("volumes", n_frames)
    if not np.all(np.isfinite(volumes) & (volumes > 0)):
        fail("volumes holds a non-finite or non-positive box volume")
    for offsets_name, columns in (("offsets", ("cation", "atom", "distance")),
                                  ("oxygen_offsets", ("oxygen_cation", "oxygen_kind",
                                                      "oxygen_bin"))):
        if np.shape(getattr(table, offsets_name)) != (n_frames + 1,):
            fail(f"{offsets_name} has shape {np.shape(getattr(table, offsets_name))}, not "
                 f"({n_frames + 1},): one more than the {n_frames} frames")
        offsets = vector(offsets_name, n_frames + 1)
        rows = np.size(getattr(table, columns[0]))
        if offsets[0] != 0 or offsets[-1] != rows or np.any(np.diff(offsets) < 0):
            fail(f"{offsets_name} do not run from 0 to the {rows} rows of {columns[0]} without "
                 "decreasing")
        for name in columns:
            vector(name, rows)
    in_range("cation", np.asarray(table.cation), 0, n_cat)
    in_range("atom", np.asarray(table.atom), 0, n_atoms)
    distance = np.asarray(table.distance)
    if distance.size and not (np.all(np.isfinite(distance)) and distance.min() >= 0
                              and distance.max() <= np.float32(radius)):
        fail(f"distance holds values that are not finite distances from 0 to the radius "
             f"{radius} Å")
    n_oc = int(np.count_nonzero(np.asarray(lay.atom_oxygen)[np.asarray(table.atom)] == OC))
    for name in ("m_to_o", "o_to_c"):
        if not np.all(np.isfinite(vector(name, n_oc, 3))):
            fail(f"{name} holds non-finite vectors")
    in_range("oxygen_cation", np.asarray(table.oxygen_cation), 0, n_cat)
    in_range("oxygen_kind", np.asarray(table.oxygen_kind), 0, 2)
    edges = np.asarray(table.rdf_edges, dtype=float)
    if edges.ndim != 1 or edges.size < 2 or not (np.all(np.isfinite(edges))
                                                 and np.all(np.diff(edges) > 0)):
        fail("rdf_edges are not increasing finite bin edges")
    in_range("oxygen_bin", np.asarray(table.oxygen_bin), 0, edges.size - 1)
    if table.rdf_counts is not None:
        counts = np.asarray(table.rdf_counts)
        if counts.shape != (len(lay.species), edges.size - 1) or (counts.size
                                                                   and counts.min() < 0):
            fail(f"rdf_counts of shape {counts.shape} are not non-negative counts of "
                 f"{len(lay.species)} species in {edges.size - 1} bins")


def _rdf_counts(data):
    """The table's RDF counts in an archive of :meth:`ShellTable.save`, None where it has
    none: an earlier save stored a table's missing counts as a pickled ``None``, the only
    object it wrote, which is not unpickled (``allow_pickle=False``) but read as what it was."""
    if "rdf_counts" not in data.files:
        return None
    try:
        return data["rdf_counts"]
    except ValueError as err:
        if "allow_pickle" not in str(err):
            raise
        return None


_LAYOUT_KEYS = ("radius", "rdf_edges", "species", "anions", "solvents",
                "cation_ix", "cation_symbol", "atom_species", "atom_molecule", "atom_oxygen",
                "n_anion_molecules", "n_oxygens")
_PER_FRAME = ("frames", "volumes", "offsets", "cation", "atom", "distance", "m_to_o", "o_to_c",
              "oxygen_offsets", "oxygen_cation", "oxygen_kind", "oxygen_bin")


# rows of a column's first block; each later block doubles the rows held, up to the largest
_FIRST_BLOCK = 1024
_LARGEST_BLOCK = 1 << 20


class BlockColumn:
    """One growing column of rows in contiguous blocks: no per-frame object is kept, and the
    unused room is at most one block (at most the rows held, at most ``_LARGEST_BLOCK`` rows).

    Parameters
    ----------
    dtype : numpy.dtype
        Type of the rows.
    width : int, optional
        Length of each row (rows are scalars without one).
    capacity : int, optional
        Rows expected (the frames of a run, known before its pass): the first block holds
        exactly that many, so a column of one row per frame is one array, neither grown in
        doubling blocks (up to as much room again unused) nor copied when taken.
    """

    def __init__(self, dtype, width=None, capacity=None):
        self.dtype = np.dtype(dtype)
        self.shape = () if width is None else (width,)
        self.blocks = []
        self.buffer = np.empty((0,) + self.shape, dtype=self.dtype)
        self.fill = 0
        self.rows = 0
        self._capacity = int(capacity) if capacity else None

    def append(self, values):
        """Append ``values``' rows (cast to the column's dtype; one row or an array of them)."""
        values = np.asarray(values).astype(self.dtype, copy=False).reshape((-1,) + self.shape)
        start = 0
        while start < len(values):
            if self.fill == len(self.buffer):
                if self.fill:
                    self.blocks.append(self.buffer)
                if self._capacity and not self.rows and len(values) <= self._capacity:
                    size = self._capacity
                else:
                    size = min(max(_FIRST_BLOCK, self.rows), _LARGEST_BLOCK)
                self.buffer = np.empty((size,) + self.shape, dtype=self.dtype)
                self.fill = 0
            take = min(len(self.buffer) - self.fill, len(values) - start)
            self.buffer[self.fill:self.fill + take] = values[start:start + take]
            self.fill += take
            start += take
        self.rows += len(values)

    def parts(self):
        """The rows as a list of arrays, in order: the full blocks, then the filled part of
        the last (views, not copies)."""
        return self.blocks + ([self.buffer[:self.fill]] if self.fill else [])

    def extend(self, other):
        """Append ``other``'s rows after these (the blocks are shared, not copied)."""
        self.blocks = self.parts() + other.parts()
        self.buffer = np.empty((0,) + self.shape, dtype=self.dtype)
        self.fill = 0
        self.rows += other.rows

    def array(self):
        """All rows as one new contiguous array (the trimmed copy a pickle carries)."""
        parts = self.parts()
        if not parts:
            return np.zeros((0,) + self.shape, dtype=self.dtype)
        return parts[0].copy() if len(parts) == 1 else np.concatenate(parts)

    def take(self):
        """All rows as one array; the blocks are released. A single full block is handed over
        as it is (a column of a known number of rows is not copied at the peak of the
        conclusion)."""
        if not self.blocks and self.fill and self.fill == len(self.buffer):
            data = self.buffer
        else:
            data = self.array()
        self.blocks, self.fill, self.rows = [], 0, 0
        self.buffer = np.empty((0,) + self.shape, dtype=self.dtype)
        return data

    @property
    def nbytes(self):
        """Bytes held by the blocks, the unused room of the last one included."""
        return sum(b.nbytes for b in self.blocks) + self.buffer.nbytes

    @property
    def used_bytes(self):
        """Bytes of the rows held (the unused room of the last block left out)."""
        return self.rows * self.dtype.itemsize * int(np.prod(self.shape, dtype=np.int64))

    def __getstate__(self):
        # a worker's rows travel as one trimmed array, not its blocks and their unused room
        return {"dtype": self.dtype, "shape": self.shape, "data": self.array()}

    def __setstate__(self, state):
        self.dtype, self.shape = state["dtype"], state["shape"]
        data = state["data"]
        self.blocks, self.rows = ([data] if len(data) else []), len(data)
        self.buffer = np.empty((0,) + self.shape, dtype=self.dtype)
        self.fill = 0
        self._capacity = None


# column name: dtype and row width of the table's arrays; the per-frame row counts become the
# offsets
_COLUMNS = {
    "frames": (np.int64, None), "volumes": (np.float64, None),
    "n_rows": (np.int64, None), "n_oxygen_rows": (np.int64, None),
    "cation": (np.int32, None), "atom": (np.int32, None), "distance": (np.float32, None),
    "m_to_o": (np.float32, 3), "o_to_c": (np.float32, 3),
    "oxygen_cation": (np.int32, None), "oxygen_kind": (np.int8, None),
    "oxygen_bin": (np.int32, None),
}


class ShellTableBuilder:
    """Collects the rows of a :class:`ShellTable` frame by frame in compact blocks.

    Each column grows in contiguous blocks of the table's dtype (the first of 1024 rows, each
    next one as large as all rows before it, at most 2^20 rows), so the memory held is the rows
    themselves, 32 bytes per frame (frame, volume, two row counts) and at most one partly filled
    block per column; no Python object is kept per frame. Builders of consecutive frame ranges
    (the workers of a parallel run) are joined with :meth:`concatenate`; :meth:`table` makes the
    table and empties the builder.
    """

    def __init__(self):
        self._columns = {name: BlockColumn(dtype, width)
                         for name, (dtype, width) in _COLUMNS.items()}
        self._done = False

    def add_frame(self, frame, volume, cation, atom, distance, m_to_o, o_to_c, oxygen_cation,
                  oxygen_kind, oxygen_bin):
        """Append one frame's rows (see :class:`ShellTable` for each array)."""
        self._check_open()
        columns = self._columns
        if not len(cation) == len(atom) == len(distance):
            raise ValueError("cation, atom and distance must have one entry per pair row")
        if not len(oxygen_cation) == len(oxygen_kind) == len(oxygen_bin):
            raise ValueError("oxygen_cation, oxygen_kind and oxygen_bin must have one entry per "
                             "cation–oxygen row")
        columns["frames"].append([frame])
        columns["volumes"].append([volume])
        columns["n_rows"].append([len(cation)])
        columns["n_oxygen_rows"].append([len(oxygen_cation)])
        for name, values in (("cation", cation), ("atom", atom), ("distance", distance),
                             ("m_to_o", m_to_o), ("o_to_c", o_to_c),
                             ("oxygen_cation", oxygen_cation), ("oxygen_kind", oxygen_kind),
                             ("oxygen_bin", oxygen_bin)):
            columns[name].append(values)

    @property
    def n_frames(self):
        """Frames added so far."""
        return self._columns["frames"].rows

    @property
    def nbytes(self):
        """Memory held by the blocks, bytes (the unused room of the last blocks included)."""
        return int(sum(column.nbytes for column in self._columns.values()))

    @property
    def used_bytes(self):
        """Bytes of the rows added so far (what the table of these frames will hold)."""
        return int(sum(column.used_bytes for column in self._columns.values()))

    @classmethod
    def concatenate(cls, builders):
        """One builder with the frames of ``builders`` in the order given."""
        joined = cls()
        for builder in builders:
            builder._check_open()
            for name, column in joined._columns.items():
                column.extend(builder._columns[name])
        return joined

    def table(self, layout, radius, rdf_edges, rdf_counts=None):
        """The :class:`ShellTable` of the frames added; the builder is emptied (and refuses
        further use), so the peak is the table plus its largest column, not twice the table."""
        self._check_open()
        self._done = True
        n_bins = np.asarray(rdf_edges).size - 1
        if rdf_counts is None:
            rdf_counts = np.zeros((len(layout.species), n_bins), dtype=np.int64)
        arrays = {name: column.take() for name, column in self._columns.items()}
        self._columns = {}

        def offsets(counts):
            return np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)

        return ShellTable(
            layout=layout, radius=float(radius), frames=arrays["frames"],
            volumes=arrays["volumes"], offsets=offsets(arrays.pop("n_rows")),
            cation=arrays["cation"], atom=arrays["atom"], distance=arrays["distance"],
            m_to_o=arrays["m_to_o"], o_to_c=arrays["o_to_c"],
            oxygen_offsets=offsets(arrays.pop("n_oxygen_rows")),
            oxygen_cation=arrays["oxygen_cation"], oxygen_kind=arrays["oxygen_kind"],
            oxygen_bin=arrays["oxygen_bin"],
            rdf_edges=np.asarray(rdf_edges, dtype=np.float64),
            rdf_counts=np.asarray(rdf_counts, dtype=np.int64),
        )

    def _check_open(self):
        if self._done:
            raise RuntimeError("this ShellTableBuilder has made its table already; the rows "
                               "now belong to that table")
