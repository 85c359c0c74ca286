"""Charge carriers of trajectories: species, ion charges, ion centres, per-frame collection.

Shared by the transport analyses (:class:`~mda_electrolyte.GreenKuboConductivity`,
:class:`~mda_electrolyte.EinsteinHelfandConductivity`, :class:`~mda_electrolyte.Diffusion`).

An *ion* is a molecule (see :mod:`mda_electrolyte.molecules`) of the atoms selected for a species:
a single atom (Li⁺) or a molecular ion (PF₆⁻). Its centre is its centre of mass or one chosen atom
(Chalykh et al. 2025 follow PF₆⁻ by its P atom); its charge is, in this order of preference, a
value given
per species, the sum of the formal charges of its atoms, or the sum of their partial charges.
Positions are in Å, velocities in Å/ps, charges in e, time in ps.

Independent trajectories (several Universes) and, for a single trajectory, contiguous blocks of
it are the *segments* over which means and standard errors are taken.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse
from MDAnalysis.analysis.base import AnalysisBase
from MDAnalysis.analysis.results import Results, ResultsGroup
from MDAnalysis.core.groups import AtomGroup
from MDAnalysis.core.universe import Universe
from MDAnalysis.lib.distances import minimize_vectors
from MDAnalysis.lib.mdamath import triclinic_vectors

from .molecules import make_whole, molecule_ids

__all__ = ["IonSpecies", "resolve_species", "unwrap_trajectory", "find_wrapping_jump"]


@dataclass
class IonSpecies:
    """The ions of one species in one Universe.

    Attributes
    ----------
    name : str
    atoms : MDAnalysis.core.groups.AtomGroup
        All atoms of the species' ions.
    ids : numpy.ndarray of int, shape (n_atoms,)
        Ion index of every atom (0 .. n_ions-1).
    masses : numpy.ndarray, shape (n_atoms,)
        Atomic masses in amu.
    charges : numpy.ndarray or None, shape (n_ions,)
        Charge of every ion in e (``None`` if unknown and not required).
    center_atoms : numpy.ndarray of int or None, shape (n_ions,)
        Index into ``atoms`` of the atom that represents each ion, or ``None`` for the centre of
        mass.
    charge_source : {"given", "formal", "partial"} or None
        Where the charges came from: the ``charges=`` mapping, the sum of the formal charges
        of each ion, or the sum of its partial charges (GROMACS TPR, LAMMPS data).
    """

    name: str
    atoms: AtomGroup
    ids: np.ndarray
    masses: np.ndarray
    charges: np.ndarray | None
    center_atoms: np.ndarray | None
    charge_source: str | None = None

    @property
    def n_ions(self):
        return int(self.ids.max()) + 1

    @property
    def tracked(self):
        """Indices into ``atoms`` of the atoms whose coordinates are read every frame."""
        if self.center_atoms is not None:
            return self.center_atoms
        return np.arange(self.atoms.n_atoms)

    @property
    def follows_com(self):
        """Whether ion centres are centres of mass of several atoms."""
        return self.center_atoms is None and self.ids.size != self.n_ions

    def center_matrix(self):
        """Sparse ``(n_ions, n_tracked)`` matrix taking tracked-atom coordinates to ion centres.

        Rows hold mass fractions (centre of mass, as
        :func:`mda_electrolyte.molecules.centers_of_mass`) or a single 1 (a chosen atom).
        """
        n_tracked = self.tracked.size
        if not self.follows_com:
            rows = self.ids[self.tracked] if self.center_atoms is None else np.arange(self.n_ions)
            return scipy.sparse.csr_matrix(
                (np.ones(n_tracked), (rows, np.arange(n_tracked))), shape=(self.n_ions, n_tracked)
            )
        total = np.bincount(self.ids, weights=self.masses, minlength=self.n_ions)
        return scipy.sparse.csr_matrix(
            (self.masses / total[self.ids], (self.ids, np.arange(n_tracked))),
            shape=(self.n_ions, n_tracked),
        )


def _as_universes(universes):
    if isinstance(universes, Universe):
        return [universes]
    if isinstance(universes, AtomGroup):
        raise TypeError(
            "pass the Universe (or a list of Universes), and the ions as ions={name: ...}"
        )
    try:
        universes = list(universes)
    except TypeError:
        raise TypeError(
            f"expected a Universe or a list of Universes, got {type(universes).__name__}"
        ) from None
    if not universes:
        raise ValueError("the list of Universes is empty")
    for u in universes:
        if not isinstance(u, Universe):
            raise TypeError(f"expected Universes in the list, got {type(u).__name__}")
    return universes


def resolve_species(
    universe,
    ions,
    *,
    charges=None,
    ion_center=None,
    compound="residues",
    require_charges=True,
    n_universes=1,
):
    """The :class:`IonSpecies` of ``universe`` described by ``ions``.

    Parameters
    ----------
    universe : MDAnalysis.Universe
    ions : dict
        Species name -> selection string or AtomGroup (an AtomGroup only when one Universe is
        analysed).
    charges : dict, optional
        Species name -> charge per ion in e. Species not given take the sum of the formal charges
        (topology attribute ``formalcharges``) of each ion's atoms, or, without formal charges
        (or with all of them zero), the sum of the partial charges (attribute ``charges``, as
        GROMACS TPR and LAMMPS data files give).
    ion_center : dict, optional
        Species name -> ``"com"`` (default) or a selection string, applied to the species' atoms,
        that picks exactly one atom per ion to stand for it.
    compound : {"residues", "fragments"}
        What an ion is (see :func:`mda_electrolyte.molecules.molecule_ids`).
    require_charges : bool
        Raise if a charge is unknown or zero.
    n_universes : int
        Number of Universes analysed together (AtomGroups are only allowed for one).

    Returns
    -------
    list of IonSpecies
        In the order of ``ions``.

    Raises
    ------
    ValueError, TypeError
        Empty or overlapping selections, missing masses, missing or zero charges, ion centres that
        do not pick one atom per ion, selections that cut molecules while charges come from the
        topology.
    """
    if not isinstance(ions, dict) or not ions:
        raise TypeError(
            "ions must be a non-empty dict {species name: selection string or AtomGroup}"
        )
    charges = {} if charges is None else dict(charges)
    ion_center = {} if ion_center is None else dict(ion_center)
    for label, mapping in (("charges", charges), ("ion_center", ion_center)):
        unknown = sorted(set(mapping) - set(ions))
        if unknown:
            raise ValueError(f"{label} names species {unknown} that are not in ions {list(ions)}")
    species = []
    seen = np.zeros(universe.atoms.n_atoms, dtype=bool)
    for name, sel in ions.items():
        if isinstance(sel, str):
            atoms = universe.select_atoms(sel)
        elif isinstance(sel, AtomGroup):
            if n_universes > 1:
                raise TypeError(
                    f"ions[{name!r}] is an AtomGroup, which belongs to one Universe; with several "
                    "Universes give selection strings"
                )
            if sel.universe is not universe:
                raise ValueError(f"ions[{name!r}] is an AtomGroup of another Universe")
            atoms = sel
        else:
            raise TypeError(
                f"ions[{name!r}] must be a selection string or an AtomGroup, "
                f"not {type(sel).__name__}"
            )
        if atoms.n_atoms == 0:
            raise ValueError(f"ions[{name!r}] = {sel!r} selects no atoms")
        if np.unique(atoms.ix).size != atoms.n_atoms:
            raise ValueError(f"ions[{name!r}] contains repeated atoms")
        if seen[atoms.ix].any():
            raise ValueError(f"species {name!r} shares atoms with another species")
        seen[atoms.ix] = True
        ids = molecule_ids(atoms, compound)
        n_ions = int(ids.max()) + 1
        if not hasattr(atoms, "masses") or not np.all(atoms.masses > 0):
            raise ValueError(
                f"species {name!r}: atoms need positive masses (topology attribute 'masses')"
            )
        masses = np.asarray(atoms.masses, dtype=np.float64)

        center = ion_center.get(name, "com")
        if center == "com":
            center_atoms = None
        elif isinstance(center, str):
            picked = atoms.select_atoms(center)
            order = np.argsort(atoms.ix)
            picked_pos = order[np.searchsorted(atoms.ix[order], picked.ix)]
            if picked.n_atoms != n_ions or np.unique(ids[picked_pos]).size != n_ions:
                raise ValueError(
                    f"ion_center[{name!r}] = {center!r} must pick exactly one atom per ion "
                    f"({n_ions} ions), it picks {picked.n_atoms} atoms"
                )
            center_atoms = np.empty(n_ions, dtype=np.intp)
            center_atoms[ids[picked_pos]] = picked_pos
        else:
            raise TypeError(
                f"ion_center[{name!r}] must be 'com' or a selection string, not {center!r}"
            )

        ion_charges, charge_source = None, None
        if name in charges:
            q = float(charges[name])
            ion_charges = np.full(n_ions, q)
            charge_source = "given"
        else:
            for attr, source in (("formalcharges", "formal"), ("charges", "partial")):
                if not hasattr(atoms, attr):
                    continue
                if compound == "residues":
                    n_whole = atoms.residues.atoms.n_atoms
                else:
                    n_whole = sum(f.n_atoms for f in atoms.fragments)
                if n_whole != atoms.n_atoms:
                    raise ValueError(
                        f"ions[{name!r}] selects only part of its molecules, so their {source} "
                        "charges do not add up to the ion charge; select whole ions (and use "
                        f"ion_center to follow one atom) or give charges={{{name!r}: ...}}"
                    )
                summed = np.bincount(
                    ids, weights=np.asarray(getattr(atoms, attr), dtype=np.float64),
                    minlength=n_ions,
                )
                # formal charges of zero on a topology that also has partial charges (e.g. a
                # guessed attribute) say nothing: fall through to the partial charges
                if source == "formal" and not np.any(summed) and hasattr(atoms, "charges"):
                    continue
                ion_charges, charge_source = summed, source
                break
        if ion_charges is None and require_charges:
            raise ValueError(
                f"species {name!r}: the topology has neither formal charges (attribute "
                "'formalcharges') nor partial charges ('charges'); "
                f"give charges={{{name!r}: charge per ion in e}}"
            )
        if require_charges and np.any(ion_charges == 0):
            raise ValueError(
                f"species {name!r} has ions of zero charge; a charge carrier needs a charge "
                "(did the selection include the whole ion? or pass charges=...)"
            )
        species.append(
            IonSpecies(name, atoms, ids, masses, ion_charges, center_atoms, charge_source)
        )
    return species


def _box_matrices(boxes):
    return np.array([triclinic_vectors(b) for b in boxes], dtype=np.float64)


#: Largest relative standard deviation of the box volume over analysed frames: equilibrated NPT
#: liquids of a few hundred atoms fluctuate by about 1 %.
_MAX_VOLUME_SPREAD = 0.05


def _box_volumes(boxes):
    """Volume in Å³ of every MDAnalysis box, NaN where a frame has no box (zero lengths)."""
    a, b, c = boxes[:, 0], boxes[:, 1], boxes[:, 2]
    ca, cb, cg = (np.cos(np.radians(boxes[:, k])) for k in (3, 4, 5))
    with np.errstate(invalid="ignore"):
        vol = a * b * c * np.sqrt(1 - ca**2 - cb**2 - cg**2 + 2 * ca * cb * cg)
    vol[~np.all(boxes[:, :3] > 0, axis=1)] = np.nan
    return vol


def _constant_orthorhombic(boxes):
    return bool(np.all(boxes == boxes[0]) and np.all(boxes[0, 3:] == 90.0))


def find_wrapping_jump(positions, boxes):
    """First jump of more than half a box vector between consecutive frames, or ``None``.

    Parameters
    ----------
    positions : numpy.ndarray, shape (T, n, 3)
        Positions in Å.
    boxes : numpy.ndarray, shape (T, 6)
        MDAnalysis boxes.

    Returns
    -------
    tuple (frame index, particle index) or None
        The later frame of the first jump found.
    """
    disp = np.diff(positions, axis=0)
    if _constant_orthorhombic(boxes):
        bad = np.abs(disp) > 0.5 * boxes[0, :3]
    else:
        inv = np.linalg.inv(_box_matrices(boxes[1:]))
        # fractional displacement along each box vector: r = s @ H, so s = r @ H^-1
        bad = np.abs(np.einsum("tnj,tjk->tnk", disp, inv)) > 0.5
    if not bad.any():
        return None
    t, n, _ = np.argwhere(bad)[0]
    return int(t) + 1, int(n)


def unwrap_trajectory(positions, boxes):
    """Unwrap positions by accumulating minimum-image displacements between consecutive frames.

    Exact when no particle moves more than half a box length between consecutive frames; works
    on wrapped and on already unwrapped input alike.

    Parameters
    ----------
    positions : numpy.ndarray, shape (T, n, 3)
        Positions in Å (wrapped or not).
    boxes : numpy.ndarray, shape (T, 6)
        MDAnalysis box of every frame; the displacement into frame t uses the box of frame t.

    Returns
    -------
    numpy.ndarray, shape (T, n, 3)
        New array starting at ``positions[0]``.
    """
    positions = np.asarray(positions, dtype=np.float64)
    out = np.empty_like(positions)
    out[0] = positions[0]
    # displacements, images and their running sum all live in ``out``: no T×n×3 temporaries
    # beyond one, which keeps unwrapping well below the cost of reading the frames
    disp = np.subtract(positions[1:], positions[:-1], out=out[1:])
    if _constant_orthorhombic(boxes):
        # one vectorised minimum-image step for all frames
        length = boxes[0, :3]
        shift = disp / length
        np.rint(shift, out=shift)
        shift *= length
        disp -= shift
        del shift
    else:
        for t in range(disp.shape[0]):
            disp[t] = minimize_vectors(disp[t], boxes[t + 1].astype(np.float32))
    np.cumsum(disp, axis=0, out=disp)
    disp += positions[0]
    return out


class CarrierAnalysis(AnalysisBase):
    """Base of the transport analyses: collects ion-centre data over one or more trajectories.

    Subclasses set ``_needs`` to ``("velocities",)`` and/or ``("positions",)`` and implement
    ``_segment(data, dt, volume)`` (returns whatever one segment contributes) and
    ``_combine(segments, dt)`` (fills ``self.results``). Per-frame collection is split across
    workers by the parallel backends and concatenated in frame order before ``_conclude``.
    """

    _analysis_algorithm_is_parallelizable = True
    _needs: tuple = ()
    _needs_charges = True
    _needs_volume = True

    @classmethod
    def get_supported_backends(cls):
        return ("serial", "multiprocessing", "dask")

    def __init__(
        self,
        universes,
        ions,
        *,
        charges=None,
        ion_center=None,
        compound="residues",
        n_blocks=None,
        volume=None,
        unwrap=False,
        verbose=False,
    ):
        self._universes = _as_universes(universes)
        super().__init__(self._universes[0].trajectory, verbose=verbose)
        self._species = [
            resolve_species(
                u,
                ions,
                charges=charges,
                ion_center=ion_center,
                compound=compound,
                require_charges=self._needs_charges,
                n_universes=len(self._universes),
            )
            for u in self._universes
        ]
        first = self._species[0]
        for k, other in enumerate(self._species[1:], start=1):
            for a, b in zip(first, other, strict=True):
                same_charges = (a.charges is None) == (b.charges is None) and (
                    a.charges is None or np.array_equal(a.charges, b.charges)
                )
                if a.n_ions != b.n_ions or not same_charges:
                    raise ValueError(
                        f"species {a.name!r} differs between Universe 0 and Universe {k} "
                        f"({a.n_ions} vs {b.n_ions} ions or different charges); the trajectories "
                        "must be of the same system"
                    )
        if n_blocks is None:
            n_blocks = self._default_blocks(len(self._universes))
        if int(n_blocks) != n_blocks or n_blocks < 1:
            raise ValueError(f"n_blocks must be a positive integer, not {n_blocks!r}")
        self._n_blocks = int(n_blocks)
        if volume is not None and not float(volume) > 0:
            raise ValueError(f"volume must be positive (Å³), not {volume!r}")
        self._volume = None if volume is None else float(volume)
        if unwrap not in (True, False):
            raise TypeError(f"unwrap must be True or False, not {unwrap!r}")
        self._unwrap = unwrap
        for k, u in enumerate(self._universes):
            ts = u.trajectory.ts
            if "velocities" in self._needs and not ts.has_velocities:
                raise ValueError(
                    f"Universe {k} has no velocities: {type(self).__name__} needs them (write them "
                    "to the trajectory, e.g. TRR, H5MD, ASE .traj or a LAMMPS dump with vx vy vz)"
                )
            has_box = ts.dimensions is not None and np.all(ts.dimensions[:3] > 0)
            if self._needs_volume and self._volume is None and not has_box:
                raise ValueError(f"Universe {k} has no box: give the volume in Å³ with volume=...")
            if "positions" in self._needs and unwrap and not has_box:
                raise ValueError(
                    f"Universe {k} has no box, so its positions cannot be unwrapped; "
                    "give unwrapped positions and unwrap=False"
                )
        # per Universe: the atoms read each frame, and the sparse map from them to ion centres
        self._tracked = []
        self._center_matrix = []
        for species in self._species:
            ix = np.concatenate([s.atoms.ix[s.tracked] for s in species])
            self._tracked.append(species[0].atoms.universe.atoms[ix])
            self._center_matrix.append(
                scipy.sparse.block_diag([s.center_matrix() for s in species], format="csr")
            )
        self._segments = []

    @staticmethod
    def _default_blocks(n_universes):
        # 10 blocks (9 degrees of freedom) give calibrated errors; see mda_electrolyte.uncertainty
        return 10 if n_universes == 1 else 1

    @property
    def species(self):
        """The resolved :class:`IonSpecies` of the first Universe."""
        return list(self._species[0])

    def run(
        self,
        start=None,
        stop=None,
        step=None,
        frames=None,
        verbose=None,
        n_workers=None,
        n_parts=None,
        backend=None,
        *,
        unsupported_backend=False,
        progressbar_kwargs=None,
    ):
        """Collect the per-frame data of every Universe, then compute the results.

        Parameters are those of :meth:`MDAnalysis.analysis.base.AnalysisBase.run`; ``start``,
        ``stop``, ``step`` and ``frames`` apply to every Universe.
        """
        if getattr(self, "_observed", None):
            # per-step observables of H5MD files replace the frames
            self.results = Results()
            segments, dt = self._run_observables()
            self._combine(segments, dt)
            return self
        self._segments = []
        self._dt = None
        for k, universe in enumerate(self._universes):
            self._current = k
            self._trajectory = universe.trajectory
            super().run(
                start=start,
                stop=stop,
                step=step,
                frames=frames,
                verbose=verbose,
                n_workers=n_workers,
                n_parts=n_parts,
                backend=backend,
                unsupported_backend=unsupported_backend,
                progressbar_kwargs=progressbar_kwargs,
            )
        self.results = Results()
        self._combine(self._segments, self._dt)
        return self

    def _prepare(self):
        n_tracked = self._tracked[self._current].n_atoms
        n = self.n_frames
        self.results.boxes = np.zeros((n, 6))
        # raw coordinates as read (float32); centres are computed for all frames at once in
        # _conclude, so a frame costs one copy and the analysis runs at reading speed
        if "velocities" in self._needs:
            self.results.velocities = np.empty((n, n_tracked, 3), dtype=np.float32)
        if "positions" in self._needs:
            self.results.positions = np.empty((n, n_tracked, 3), dtype=np.float32)

    def _single_frame(self):
        i = self._frame_index
        ts = self._ts
        box = ts.dimensions
        if box is not None:
            self.results.boxes[i] = box
        tracked = self._tracked[self._current]
        if "velocities" in self._needs:
            if not ts.has_velocities:
                raise ValueError(f"frame {ts.frame} of Universe {self._current} has no velocities")
            self.results.velocities[i] = tracked.velocities
        if "positions" in self._needs:
            self.results.positions[i] = tracked.positions

    def _get_aggregator(self):
        return ResultsGroup(
            lookup={
                "boxes": ResultsGroup.ndarray_vstack,
                "velocities": ResultsGroup.ndarray_vstack,
                "positions": ResultsGroup.ndarray_vstack,
            }
        )

    def _conclude(self):
        k = self._current
        times = np.asarray(self.times, dtype=np.float64)
        n_frames = times.size
        if n_frames < 2:
            raise ValueError(f"Universe {k}: at least 2 frames are needed, got {n_frames}")
        steps = np.diff(times)
        dt = (times[-1] - times[0]) / (n_frames - 1)
        # times are often stored in single precision (TRR, XTC, DCD): allow their round-off
        tol = 1e-3 * abs(dt) + 8 * np.finfo(np.float32).eps * np.abs(times).max()
        if not dt > 0 or np.any(np.abs(steps - dt) > tol):
            raise ValueError(
                f"Universe {k}: the analysed frames are not equally spaced in time "
                f"(steps from {steps.min()} to {steps.max()} ps)"
            )
        if self._dt is None:
            self._dt = dt
        elif not np.isclose(dt, self._dt, rtol=1e-3):
            raise ValueError(
                f"Universe {k} has a time step of {dt} ps between analysed frames, "
                f"Universe 0 has {self._dt} ps; they must be the same"
            )
        volumes = _box_volumes(self.results.boxes)
        if self._volume is not None:
            volume = self._volume
        elif np.all(np.isfinite(volumes)):
            volume = float(np.mean(volumes))
            spread = float(np.std(volumes) / volume)
            if self._needs_volume and spread > _MAX_VOLUME_SPREAD:
                # the estimators divide by one volume: a box still compressing (NPT
                # equilibration) would mix states and give a number for neither
                raise ValueError(
                    f"Universe {k}: the box volume varies by {100 * spread:.1f} % (std/mean; "
                    f"{np.min(volumes):.0f} to {np.max(volumes):.0f} Å³) over the analysed "
                    f"frames, more than {100 * _MAX_VOLUME_SPREAD:.0f} %; analyse the "
                    "equilibrated part (start=) or an NVT production, or give volume= to "
                    "accept it"
                )
        else:
            volume = None
        if self._needs_volume and volume is None:
            raise ValueError(
                f"Universe {k}: some frames have no box; give the volume with volume=..."
            )
        data = {}
        if "velocities" in self._needs:
            data["velocities"] = self._centers(self.results.velocities)
        if "positions" in self._needs:
            pos = np.asarray(self.results.positions, dtype=np.float64)
            boxes = self.results.boxes
            has_box = bool(np.all(boxes[:, :3] > 0))
            if self._unwrap:
                if not has_box:
                    raise ValueError(f"Universe {k}: some frames have no box, cannot unwrap")
                pos = unwrap_trajectory(pos, boxes)
            elif has_box:
                jump = find_wrapping_jump(pos, boxes)
                if jump is not None:
                    atom = self._tracked[k][jump[1]]
                    raise ValueError(
                        f"Universe {k}: positions look wrapped (atom index {atom.index} jumps by "
                        f"more than half a box vector into analysed frame {jump[0]}); pass "
                        "unwrap=True to unwrap them by minimum-image steps (needs analysed frames "
                        "closer than half a box), or give unwrapped coordinates"
                    )
            if has_box:
                # continuous atom tracks stay whole if they start whole: one shift from frame 0
                start = 0
                for s in self._species[k]:
                    n_tr = s.tracked.size
                    if s.follows_com:
                        first = pos[0, start : start + n_tr]
                        pos[:, start : start + n_tr] += make_whole(first, s.ids, boxes[0]) - first
                    start += n_tr
            data["positions"] = self._centers(pos)
        block = n_frames // self._n_blocks
        if block < 2:
            raise ValueError(
                f"Universe {k}: {n_frames} frames cannot be split into {self._n_blocks} blocks"
            )
        if block * self._n_blocks != n_frames:
            warnings.warn(
                f"Universe {k}: the last {n_frames - block * self._n_blocks} frames do not "
                f"fill a block of {block} frames and are left out",
                stacklevel=3,
            )
        for b in range(self._n_blocks):
            sl = slice(b * block, (b + 1) * block)
            self._segments.append(
                self._segment({key: val[sl] for key, val in data.items()}, dt, volume)
            )

    def _centers(self, values):
        """Ion-centre coordinates of all frames, (T, n_ions, 3) float64, from tracked atoms."""
        n_frames, n_tracked, _ = values.shape
        flat = np.asarray(values, dtype=np.float64).transpose(1, 0, 2).reshape(n_tracked, -1)
        centers = self._center_matrix[self._current] @ flat
        return np.ascontiguousarray(centers.reshape(-1, n_frames, 3).transpose(1, 0, 2))

    def _carrier_charges(self):
        """Charge of every ion centre in collection order, e."""
        return np.concatenate([s.charges for s in self._species[0]])

    def _charge_record(self):
        """Species -> {"charge": charge per ion in e (mean), "source": where it came from}."""
        out = {}
        for s in self._species[0]:
            if s.charges is None:
                continue
            out[s.name] = {"charge": float(np.mean(s.charges)), "source": s.charge_source}
        return out

    def _species_slices(self):
        slices, start = {}, 0
        for s in self._species[0]:
            slices[s.name] = slice(start, start + s.n_ions)
            start += s.n_ions
        return slices
