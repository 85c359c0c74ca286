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
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

__all__ = ["ShellLayout", "ShellTable", "OTHER", "OC", "OE"]

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
        return int(self.frames.size)

    @property
    def nbytes(self):
        """Memory held by the per-frame arrays, bytes."""
        return int(sum(getattr(self, name).nbytes for name in _PER_FRAME))

    @classmethod
    def from_frames(cls, layout, radius, rdf_edges, chunks, rdf_counts=None):
        """Assemble the table from per-frame chunks (as :meth:`collect_frame` returns them)."""
        chunks = list(chunks)
        n_bins = rdf_edges.size - 1
        if rdf_counts is None:
            rdf_counts = np.zeros((len(layout.species), n_bins), dtype=np.int64)

        def stack(k, dtype, shape=()):
            parts = [c[k] for c in chunks]
            return (np.concatenate(parts).astype(dtype, copy=False) if parts
                    else np.zeros((0,) + shape, dtype=dtype))

        def offsets(k):
            return np.concatenate([[0], np.cumsum([len(c[k]) for c in chunks])]).astype(np.int64)

        return cls(
            layout=layout, radius=float(radius),
            frames=np.array([c[0] for c in chunks], dtype=np.int64),
            volumes=np.array([c[1] for c in chunks], dtype=np.float64),
            offsets=offsets(2), cation=stack(2, np.int32), atom=stack(3, np.int32),
            distance=stack(4, np.float32), m_to_o=stack(5, np.float32, (3,)),
            o_to_c=stack(6, np.float32, (3,)), oxygen_offsets=offsets(7),
            oxygen_cation=stack(7, np.int32), oxygen_kind=stack(8, np.int8),
            oxygen_bin=stack(9, np.int32), rdf_edges=np.asarray(rdf_edges, dtype=np.float64),
            rdf_counts=np.asarray(rdf_counts, dtype=np.int64),
        )

    def row_frames(self):
        """Frame position (0 … n_frames − 1) of every pair row, int32."""
        return np.repeat(np.arange(self.n_frames, dtype=np.int32), np.diff(self.offsets))

    def oxygen_row_frames(self):
        """Frame position of every cation–oxygen row, int32."""
        return np.repeat(np.arange(self.n_frames, dtype=np.int32),
                         np.diff(self.oxygen_offsets))

    def save(self, path):
        """Write the table to a ``.npz`` file (read back with :meth:`load`)."""
        lay = self.layout
        np.savez_compressed(
            path, radius=self.radius, rdf_edges=self.rdf_edges, rdf_counts=self.rdf_counts,
            species=np.array(lay.species), anions=np.array(lay.anions, dtype=str),
            solvents=np.array(lay.solvents, dtype=str), cation_ix=lay.cation_ix,
            cation_symbol=lay.cation_symbol, atom_species=lay.atom_species,
            atom_molecule=lay.atom_molecule, atom_oxygen=lay.atom_oxygen,
            n_anion_molecules=lay.n_anion_molecules, n_oxygens=np.array(lay.n_oxygens),
            **{name: getattr(self, name) for name in _PER_FRAME},
        )

    @classmethod
    def load(cls, path):
        """Read a table written by :meth:`save`."""
        with np.load(path) as data:
            layout = ShellLayout(
                species=tuple(data["species"].tolist()), anions=tuple(data["anions"].tolist()),
                solvents=tuple(data["solvents"].tolist()), cation_ix=data["cation_ix"],
                cation_symbol=str(data["cation_symbol"]), atom_species=data["atom_species"],
                atom_molecule=data["atom_molecule"], atom_oxygen=data["atom_oxygen"],
                n_anion_molecules=int(data["n_anion_molecules"]),
                n_oxygens=tuple(int(n) for n in data["n_oxygens"]),
            )
            return cls(layout=layout, radius=float(data["radius"]),
                       rdf_edges=data["rdf_edges"], rdf_counts=data["rdf_counts"],
                       **{name: data[name] for name in _PER_FRAME})


_PER_FRAME = ("frames", "volumes", "offsets", "cation", "atom", "distance", "m_to_o", "o_to_c",
              "oxygen_offsets", "oxygen_cation", "oxygen_kind", "oxygen_bin")
