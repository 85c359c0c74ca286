r"""Collect once, estimate many: the per-frame ion data of one trajectory, read in one pass.

:class:`IonCollector` reads one Universe through the
:class:`~MDAnalysis.analysis.base.AnalysisBase` hooks into an :class:`IonCollection`;
Green–Kubo and Einstein–Helfand conductivities, diffusion coefficients, Nernst–Einstein,
Onsager coefficients and the shear viscosities are then *estimators* built from one collection
or several independent ones (after solvation-analysis' ``Solute`` → ``Pairing.from_solute``),
e.g.
``GreenKuboConductivity.from_collections(collection, temperature=300)``. A collection can also be
built from stored arrays (:meth:`IonCollection.from_arrays`), so the estimators are testable
without a trajectory.

What is kept is bounded by the analysis, not by the trajectory:

- every frame, per species ``s``: the summed velocity :math:`\mathbf V_s = \sum_{i\in s}\mathbf
  v_i`, the charge current :math:`\mathbf J_s = \sum_{i\in s} q_i\mathbf v_i`, the summed
  unwrapped position :math:`\mathbf R_s = \sum_{i\in s}\mathbf r_i` and the charge dipole
  :math:`\mathbf M_s = \sum_{i\in s} q_i\mathbf r_i`, plus the mass-weighted centre of all
  collected particles (drift reference), the box and the kinetic energy of the tracked atoms —
  O(frames × species);
- per ion: the centre velocities every frame while they fit ``ion_velocity_budget`` bytes
  (Green–Kubo self/distinct split), and unwrapped centres at ``max_ion_frames`` evenly spaced
  frames at most (mean-squared displacements; Einstein fits use lags of 10–60 % of a segment,
  far longer than the spacing).

When the trajectory is an H5MD file of :func:`ase_electrolyte.md.run_md`, its per-step
``charge_current`` and ``pressure_tensor`` observables are read with it (no frame is read for
them) and carried as collections of their own, ``collection.charge_current_observable`` and
``collection.pressure_tensor_observable``: the Green–Kubo conductivity prefers the first, the
viscosities need the second.

Frames are processed in chunks of ``chunk`` frames: a frame costs one copy of the tracked atoms'
coordinates, the arithmetic runs vectorised once per chunk, and memory does not grow with the
number of atoms times frames. Positions in Å, velocities in Å/ps, charges in e, time in ps.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse
from MDAnalysis.analysis.results import ResultsGroup
from MDAnalysis.exceptions import NoDataError

from ase_electrolyte.atoms_checks import FlagError, check_flag, check_number
from ase_electrolyte.option_words import choice_word
from ase_electrolyte.units import VELOCITY_TO_ANGSTROM_PER_PS, warn_implausible

from .analysis_base import FrameAnalysis, check_universe, kept_frame
from .bridge import kinetic_masses
from .carriers import (
    _MAX_VOLUME_SPREAD,
    FAR_STEP,
    MAX_FAR_STEPS,
    MAX_ION_CHARGE,
    MIN_VOLUME,
    _blocks_remedy,
    _box_matrices,
    _box_volumes,
    check_ion_charge,
    check_temperature,
    check_volume,
    count_far_steps,
    find_wrapping_jump,
    resolve_species,
    unwrap_trajectory,
    volume_drift_note,
)
from .correlation import MIN_FRAME_SPACING_PS, check_frame_spacing, counted, refuse_underflow
from .molecules import check_masses, make_whole
from .uncertainty import real_array

__all__ = ["IonCollection", "IonCollector", "collect"]

#: Default number of frames whose per-ion centres are kept for mean-squared displacements.
MAX_ION_FRAMES = 10_000
#: Default bytes allowed for per-ion centre velocities of every frame (float64).
ION_VELOCITY_BUDGET = 2**28
#: Frames processed per vectorised chunk.
CHUNK_FRAMES = 256
#: Bytes of one float64 copy of a chunk's tracked coordinates: fewer frames per chunk on large
#: systems, whose scratch (a few such copies while a chunk is unwrapped and summed) would
#: otherwise be ~140 B per tracked atom and frame of a chunk, 3.6 GB for 10^5 atoms.
CHUNK_BYTES = 2**23

_VECTOR_FIELDS = ("velocity_sum", "current", "position_sum", "dipole")


def check_pressure_tensor_shape(tensor):
    """Refuse a pressure-tensor series that is not (T, 3, 3), naming the conversion of the
    Voigt rows (T, 6) that ASE's ``atoms.get_stress()`` gives, and of (T, 9) rows.

    Raises
    ------
    ValueError
        Any other shape.
    """
    shape = np.shape(tensor)
    if len(shape) == 3 and shape[1:] == (3, 3):
        return
    hint = ""
    if len(shape) == 2 and shape[1] in (6, 9):
        # ASE's atoms.get_stress() is Voigt, eV/Å³ and the negative of the pressure
        hint = (" (rows of 6 are Voigt, xx yy zz yz xz xy: ASE's atoms.get_stress() values s, "
                "in eV/Å³ and the negative of the pressure, are "
                "-ase.stress.voigt_6_to_full_3x3_stress(s) / ase.units.bar in bar; rows of 9 "
                "are reshape(-1, 3, 3))")
    raise ValueError(f"a pressure-tensor series must have shape (T, 3, 3) in bar, not "
                     f"{shape}{hint}")


def _total_mass(universe):
    """The mass of all atoms of ``universe`` in amu, or ``None`` where any is unknown
    (MDAnalysis gives an atom of unknown mass 0 amu) or the Universe has no masses."""
    try:
        masses = np.asarray(universe.atoms.masses, dtype=np.float64)
    except (AttributeError, NoDataError):
        return None
    if masses.size == 0 or not np.all(np.isfinite(masses)) or not np.all(masses > 0):
        return None
    return float(masses.sum())


class IonCollection:
    r"""Per-frame ion data of one trajectory: the input of every transport estimator.

    Build it with :class:`IonCollector` (from a Universe), :meth:`from_arrays` (from stored
    arrays), :meth:`from_charge_current` or :meth:`from_pressure_tensor` (from the per-step
    observables of an H5MD file, or arrays of them).
    Arrays are not copied; treat them as read-only.

    Parameters
    ----------
    species : sequence of str
        Species names, in the order of every per-species axis: non-empty strings without
        surrounding whitespace.
    n_ions : sequence of int
        Ions per species.
    dt : float
        Spacing of the frames in ps (a float16/float32 value taken as the decimal it stands
        for: ``np.float32(0.01)`` as 0.01).
    charges : sequence of (array or None), optional
        Charge of every ion of each species in e (``None``: unknown).
    charge_sources : sequence of str, optional
        Where each species' charges came from (``"given"``, ``"formal"``, ``"partial"``).
    ion_masses : sequence of array, optional
        Mass of every ion of each species in amu (weights of the drift reference).
    volume : float, optional
        Mean volume in Å³; ``volume_range`` (min, max) and ``volume_spread`` (std/mean) describe
        how it varied.
    box : array_like, shape (6,), optional
        Mean box of the frames, ``[a, b, c, alpha, beta, gamma]`` in Å and degrees (MDAnalysis
        dimensions; ``None``: not known), for the shape the Yeh–Hummer correction needs.
    velocity_sum, current, position_sum, dipole : numpy.ndarray, shape (T, n_species, 3), optional
        :math:`\mathbf V_s`, :math:`\mathbf J_s`, :math:`\mathbf R_s`, :math:`\mathbf M_s` of
        every frame (Å/ps, e·Å/ps, Å, e·Å); positions unwrapped.
    com_velocity, com_position : numpy.ndarray, shape (T, 3), optional
        Mass-weighted centre of all collected ions (drift reference).
    ion_velocities : numpy.ndarray, shape (T, n_ions_total, 3), optional
        Centre velocity of every ion, species after species.
    ion_positions : numpy.ndarray, shape (T_k, n_ions_total, 3), optional
        Unwrapped centres every ``ion_stride`` frames, starting at frame ``ion_offset``.
    ion_stride, ion_offset : int
        Frames between rows of ``ion_positions`` and the frame of its first row.
    pressure_tensor : numpy.ndarray, shape (T, 3, 3), optional
        Pressure tensor of the whole system every sample, bar.
    kinetic_temperature : float, optional
        Mean kinetic temperature of the tracked atoms in K, counted as run_md records it
        (:func:`~mda_electrolyte.conductivity.kinetic_temperature`: N_dof = 3N − N_constraints
        − 3 as the file states it, else as given, else 3N − 3); ``covers_all_atoms`` says
        whether they are the whole system.
    temperature_series : array_like, shape (T,), optional
        The temperature of every sample in K, whose mean ``kinetic_temperature`` is (taken as
        it where that is not given; refused where that differs from it beyond 1e-4
        relative, and where its length is not the frames'); reported with its error by
        :meth:`temperature_estimate`.
    temperature_count : mda_electrolyte.conductivity.TemperatureCount, optional
        How the samples' degrees of freedom were counted: said in the method of
        :meth:`temperature_estimate`, whose verdict is its ``doubt`` (a count assumed where
        bonds keep their lengths as constraints keep them).
    source : str
        ``"frames"`` or the observable the data came from.
    label : str
        For messages (e.g. ``"Universe 0"``).
    """

    #: Mass of all atoms of the Universe the collection was made from, amu (``None``: not
    #: made from a Universe, or a mass unknown): a volume given for frames without a box is
    #: judged by the density it gives (:func:`~mda_electrolyte.carriers.given_volume_notes`).
    total_mass = None


    def __init__(
        self,
        species,
        n_ions,
        dt,
        *,
        charges=None,
        charge_sources=None,
        ion_masses=None,
        volume=None,
        volume_range=None,
        volume_spread=0.0,
        box=None,
        velocity_sum=None,
        current=None,
        position_sum=None,
        dipole=None,
        com_velocity=None,
        com_position=None,
        ion_velocities=None,
        ion_positions=None,
        ion_stride=1,
        ion_offset=0,
        pressure_tensor=None,
        kinetic_temperature=None,
        covers_all_atoms=False,
        source="frames",
        label="",
        notes=(),
        temperature_series=None,
        volume_notes=(),
        temperature_count=None,
    ):
        # a bare string was read letter by letter ("Li" as species 'L' and 'i')
        if isinstance(species, (str, bytes)):
            raise TypeError(f"species must be a sequence of species names, not the string "
                            f"{species!r}")
        self.species = _species_names(species)
        twice = sorted({s for s in self.species if self.species.count(s) > 1})
        if twice:
            # species_slices() kept the last one's ions only, the first's were lost
            raise ValueError(f"species names {twice} occur more than once; give each species "
                             "once")
        #: Whether ``n_ions`` counts the ions (a species-current collection built without
        #: counts holds one per species).
        self.ion_counts_known = True
        if isinstance(n_ions, (str, bytes)) or np.ndim(n_ions) != 1 or len(n_ions) != len(
                self.species):
            raise ValueError("n_ions needs one positive count per species")
        # np.asarray(..., dtype=intp) made 1.5 ions 1, True one ion and "2" two, without a word
        self.n_ions = np.array(
            [check_number(f"n_ions[{s!r}] (number of ions)", n, integer=True, minimum=1)
             for s, n in zip(self.species, n_ions, strict=True)], dtype=np.intp)
        self.dt = check_frame_spacing(dt)
        self.charges = [None] * len(self.species)
        if charges is not None:
            charges = _per_species("charges", charges, self.species)
            self.charges = [None if q is None else _finite(real_array(q, "charges"),
                                                           f"charges of {s!r} (e)")
                            for s, q in zip(self.species, charges, strict=True)]
        self.charge_sources = (
            [None] * len(self.species) if charge_sources is None
            else _per_species("charge_sources", charge_sources, self.species)
        )
        self.ion_masses = (
            None if ion_masses is None
            else [real_array(m, "ion_masses")
                  for m in _per_species("ion_masses", ion_masses, self.species)]
        )
        for k, q in enumerate(self.charges):
            if q is not None and q.shape != (self.n_ions[k],):
                raise ValueError(f"species {self.species[k]!r}: {counted(q.size, 'charge')} "
                                 f"for {counted(self.n_ions[k], 'ion')}")
        self.volume = check_volume(volume)
        self.volume_range = _volume_range(volume_range)
        if self.volume is not None and self.volume_range is not None:
            lo, hi = self.volume_range
            # a float32 mean of equal volumes may round past them
            slack = 1e-6 * hi
            if not lo - slack <= self.volume <= hi + slack:
                # the mean volume outside the range it is the mean of: one of them belongs to
                # another run (the spread judged by the range, the numbers by the volume)
                raise ValueError(
                    f"volume {self.volume:g} Å³ lies outside volume_range ({lo:g}, {hi:g}) Å³, "
                    "whose mean it should be: give the volume and range of the same frames")
        # NaN passed checked_volume's "spread > 5 %" test: any volume change was accepted
        self.volume_spread = check_number("volume_spread (std/mean of the volume)",
                                          volume_spread, minimum=0)
        self.box = None
        if box is not None:
            box = real_array(box, "box")
            if box.size != 6:
                raise ValueError(f"box must be [a, b, c, alpha, beta, gamma] (Å, degrees), "
                                 f"6 numbers, not {box.size}")
            self.box = _finite(box.reshape(6), "box")
        vectors = {"velocity_sum": velocity_sum, "current": current,
                   "position_sum": position_sum, "dipole": dipole, "com_velocity": com_velocity,
                   "com_position": com_position, "ion_velocities": ion_velocities,
                   "ion_positions": ion_positions}
        # lists were kept as lists (an AttributeError on .shape); arrays are not copied
        vectors = {k: None if v is None else real_array(v, k) for k, v in vectors.items()}
        self.velocity_sum = vectors["velocity_sum"]
        self.current = vectors["current"]
        self.position_sum = vectors["position_sum"]
        self.dipole = vectors["dipole"]
        self.com_velocity = vectors["com_velocity"]
        self.com_position = vectors["com_position"]
        self.ion_velocities = vectors["ion_velocities"]
        self.ion_positions = ion_positions = vectors["ion_positions"]
        n_total = int(self.n_ions.sum())
        for name, width in (("com_velocity", ()), ("com_position", ()),
                            ("ion_velocities", (n_total,)), ("ion_positions", (n_total,))):
            arr = vectors[name]
            if arr is not None and arr.shape[1:] != width + (3,):
                want = ", ".join(["T"] + [str(w) for w in width] + ["3"])
                raise ValueError(f"{name} must have shape ({want}), not {arr.shape}")
        # 0 gave every kept row frame 0, -1 a negative frame count, 1.5 was read as 1
        self.ion_stride = check_number("ion_stride (frames between kept rows)", ion_stride,
                                       integer=True, minimum=1)
        self.ion_offset = check_number("ion_offset (frame of the first kept row)", ion_offset,
                                       integer=True, minimum=0)
        self.pressure_tensor = (
            None if pressure_tensor is None
            else real_array(pressure_tensor, "the pressure tensor (bar)")
        )
        # -5 K was reported as a valid temperature; NaN failed only in temperature_estimate()
        self.kinetic_temperature = check_number("kinetic_temperature (K)", kinetic_temperature,
                                                minimum=0, allow_none=True)
        self.temperature_series = (
            None if temperature_series is None
            # a copy: not the caller's
            else _finite(np.array(real_array(temperature_series, "temperature_series")).ravel(),
                         "temperature_series (K)")
        )
        if self.temperature_series is not None and np.any(self.temperature_series < 0):
            raise ValueError("temperature_series (K) holds negative temperatures")
        if self.temperature_series is not None and self.temperature_series.size:
            # the series is the samples whose mean the temperature is: a series alone left the
            # temperature unknown (a viscosity then asked for temperature=), and a temperature
            # of 300 K beside a series of mean 350 K was used while temperature_estimate()
            # reported 350 K (within 1e-4: a float32 series' mean)
            mean = float(np.mean(self.temperature_series, dtype=np.float64))
            if self.kinetic_temperature is None:
                self.kinetic_temperature = mean
            elif not np.isclose(self.kinetic_temperature, mean, rtol=1e-4, atol=1e-6):
                raise ValueError(
                    f"the temperature {self.kinetic_temperature:g} K is not the mean of "
                    f"temperature_series ({mean:g} K): give one of them, or the series' "
                    "own mean")
        self.temperature_count = temperature_count
        self.covers_all_atoms = bool(covers_all_atoms)
        self.source = source
        self.label = label
        self.notes = tuple(notes)
        #: "not equilibrated" notes of a box volume that drifts over the frames
        #: (:func:`~mda_electrolyte.carriers.volume_drift_note`); every estimator that uses
        #: the collection carries them into its verdicts.
        self.volume_notes = tuple(volume_notes)
        #: The per-step ``charge_current`` observable of the trajectory's H5MD file, as a
        #: collection of its own (``None`` when the file records none); Green–Kubo prefers it.
        self.charge_current_observable = None
        #: The per-step ``pressure_tensor`` observable of the trajectory's H5MD file, as a
        #: collection of its own (:meth:`from_pressure_tensor`; ``None`` when the file records
        #: none); the input of the viscosities.
        self.pressure_tensor_observable = None
        if self.pressure_tensor is not None:
            check_pressure_tensor_shape(self.pressure_tensor)
        n = None
        for name in _VECTOR_FIELDS + ("com_velocity", "com_position", "ion_velocities",
                                      "pressure_tensor", "ion_positions"):
            arr = getattr(self, name)
            if arr is None:
                continue
            if not np.all(np.isfinite(arr)):
                raise ValueError(f"{name} contains NaN or infinite values")
            if name == "ion_positions":
                # rows every ion_stride frames: checked against the frames below
                continue
            if n is None:
                n = arr.shape[0]
            elif arr.shape[0] != n:
                raise ValueError(f"{name} has {arr.shape[0]} frames, other fields {n}")
        for name in _VECTOR_FIELDS:
            arr = getattr(self, name)
            if arr is not None and arr.shape[1:] != (len(self.species), 3):
                raise ValueError(f"{name} must have shape (T, {len(self.species)}, 3)")
        if ion_positions is not None and ion_positions.shape[0]:
            last = (ion_positions.shape[0] - 1) * self.ion_stride + self.ion_offset
            if n is None:
                n = last + 1
            elif last >= n:
                raise ValueError(
                    f"ion_positions has {ion_positions.shape[0]} rows every {self.ion_stride} "
                    f"frames from frame {self.ion_offset}: its last row would be frame {last}, "
                    f"but the other fields hold {n} frames")
        # 0 or 1 frames were refused only by an estimator, as "give fewer n_blocks"; the
        # trajectory reader already needs 2 (_min_frames)
        if n is not None and n < 2:
            raise ValueError(f"{label}: {counted(n, 'frame')} (or samples): a time series of at "
                             "least 2 "
                             "is needed (correlations and displacements are over time)")
        if (n is not None and self.temperature_series is not None
                and self.temperature_series.size not in (0, n)):
            # a series of other samples (10 beside a tensor of 2000) was taken as the run's
            # temperature, its mean the T of V/(k_B T), its error that of its own 10 samples
            raise ValueError(f"temperature_series has {self.temperature_series.size} samples, "
                             f"other fields {n} frames: give the temperature of the same "
                             "samples, or the temperature alone")
        self.n_frames = 0 if n is None else int(n)

    # ---------------------------------------------------------------- construction
    @classmethod
    def from_arrays(
        cls,
        species,
        *,
        dt,
        velocities=None,
        positions=None,
        charges=None,
        masses=None,
        volume=None,
        label="arrays",
    ):
        """A collection from per-ion centre arrays (e.g. a stored table), no trajectory needed.

        Parameters
        ----------
        species : dict
            Species name -> number of ions; ions are laid out species after species along the
            second axis of ``velocities`` / ``positions``.
        dt : float
            Frame spacing in ps. A float16/float32 value is taken as the decimal it stands
            for (``np.float32(0.01)`` as 0.01, not 0.009999999776).
        velocities : array_like, shape (T, n_ions, 3), optional
            Centre velocities in Å/ps; T ≥ 2 frames.
        positions : array_like, shape (T, n_ions, 3), optional
            Unwrapped centres in Å; T ≥ 2 frames (the same T as ``velocities``).
        charges : dict, optional
            Species -> charge per ion in e (scalar or one per ion).
        masses : dict, optional
            Species -> mass per ion in amu, scalar or one per ion, for every species (default
            none: every ion 1 amu, the drift reference the plain mean; some species without
            a mass are refused). Checked by
            :func:`~mda_electrolyte.molecules.check_masses`: an ion of mass 0, a negative or
            non-finite mass is refused (a negative one beside heavier ions moved the drift
            reference without a word).
        volume : float, optional
            Å³.
        """
        if not isinstance(species, dict) or not species:
            # {} ended in numpy's "need at least one array to concatenate"
            raise ValueError(f"species must be a non-empty dict {{name: number of ions}}, not "
                             f"{species!r}")
        # checked before any array work: '' and '  ' were kept as species names
        _species_names(species)
        names = list(species)
        # int() made 2.7 ions 2 and True one ion, without a word
        counts = np.array([check_number(f"species[{s!r}] (number of ions)", species[s],
                                        integer=True, minimum=1) for s in names], dtype=np.intp)
        bounds = np.concatenate([[0], np.cumsum(counts)])
        n_total = int(bounds[-1])
        q = None
        if charges is not None:
            unknown = sorted(set(charges) - set(names))
            if unknown:
                raise ValueError(f"charges names species {unknown} that are not in {names}")
            q = []
            for k, s in enumerate(names):
                if s not in charges:
                    q.append(None)
                    continue
                given = real_array(charges[s], f"charges[{s!r}]")
                # bounded as the Universe path bounds them: 1e300 e passed here and failed
                # only in the estimate ("the mean-squared displacement overflows float64")
                big = given[np.abs(given) > MAX_ION_CHARGE] if given.size else given
                if big.size:
                    raise ValueError(f"charges[{s!r}] (e per ion) must be finite numbers >= "
                                     f"{-MAX_ION_CHARGE:g} and <= {MAX_ION_CHARGE:g}, got "
                                     f"{float(big.flat[0])!r}")
                for value in np.unique(given):
                    # a charge in coulombs (1.602e-19) passed as a charge in e
                    check_ion_charge(f"charges[{s!r}] (e per ion)", value)
                if given.shape not in ((), (counts[k],)):
                    # numpy's "operands could not be broadcast together" named nothing
                    raise ValueError(f"charges[{s!r}] must be one charge or {counts[k]} (one "
                                     f"per ion), not shape {given.shape}")
                q.append(np.broadcast_to(given, (counts[k],)).copy())
        unknown = sorted(set(masses or {}) - set(names))
        if unknown:
            raise ValueError(f"masses names species {unknown} that are not in {names}")
        m = []
        for k, s in enumerate(names):
            given = np.asarray((masses or {}).get(s, 1.0))
            if given.shape not in ((), (counts[k],)):
                raise ValueError(f"masses[{s!r}] must be one mass or {counts[k]} (one per ion), "
                                 f"not shape {given.shape}")
            # each ion is one particle of its own mass: none may be 0
            m.append(check_masses(np.zeros(counts[k], dtype=np.intp),
                                  np.broadcast_to(given, (counts[k],)), np.arange(counts[k]),
                                  f"masses[{s!r}] (amu per ion)"))
        lacking = [s for s in names if masses and s not in masses]
        if lacking:
            # the others took the default 1 amu beside the real masses given: masses={"Li":
            # 6.94} weighed each anion at 1 amu, and the drift reference was Li's (0.22 of it
            # per Li ion of 4 + 4, 0.011 with the anions' 145 amu)
            raise ValueError(f"masses gives {sorted(set(masses))} but not {lacking}: the drift "
                             "reference weighs every ion by its mass, and 1 amu beside the "
                             "masses given would be no mass of theirs; give every species' "
                             "mass, or none (the plain mean)")
        builder = _Sums(names, counts, q, m)
        fields = {}
        for key, arr in (("velocities", velocities), ("positions", positions)):
            if arr is None:
                continue
            # a copy: the collection held the caller's array, whose later edits changed the
            # per-ion data under species sums made before them (D and σ disagreed)
            arr = np.array(real_array(arr, key))
            if arr.ndim != 3 or arr.shape[1:] != (n_total, 3):
                raise ValueError(f"{key} must have shape (T, {n_total}, 3), not {arr.shape}")
            bad = ~np.isfinite(arr)
            if bad.any():
                # named "position_sum contains NaN or infinite values" before: an internal sum,
                # no frame, no ion
                frame, ion = (int(i) for i in np.argwhere(bad)[0][:2])
                raise ValueError(
                    f"{key} hold {int(bad.any(axis=(1, 2)).sum())} frame(s) with NaN or "
                    f"infinite values, the first frame {frame} (ion {ion}, of species "
                    f"{names[int(np.searchsorted(bounds, ion, side='right')) - 1]!r}); drop "
                    "those frames first")
            # 0 or 1 frames were refused only by an estimator, as "give fewer n_blocks"
            if arr.shape[0] < 2:
                raise ValueError(f"{key} holds {arr.shape[0]} frame(s): a time series of at "
                                 "least 2 frames is needed (correlations and displacements "
                                 "are over time)")
            # a displacement, not a position, is what correlates (10 Å + 1e-300 is 10 Å)
            refuse_underflow(float(np.max(np.abs(arr - arr[:1]) if key == "positions"
                                          else np.abs(arr))),
                             f"the ion {key}" + (" (displacements)" if key == "positions"
                                                  else ""),
                             "Å" if key == "positions" else "Å/ps")
            fields[key] = arr
        if not fields:
            raise ValueError("give velocities and/or positions")
        if len({a.shape[0] for a in fields.values()}) > 1:
            raise ValueError(f"velocities hold {fields['velocities'].shape[0]} frames, positions "
                             f"{fields['positions'].shape[0]}: give the same frames of both")
        out = {}
        if "velocities" in fields:
            v = fields["velocities"]
            out["velocity_sum"], out["current"], out["com_velocity"] = builder.apply(v)
            out["ion_velocities"] = v
        if "positions" in fields:
            x = fields["positions"]
            out["position_sum"], out["dipole"], out["com_position"] = builder.apply(x)
            out["ion_positions"] = x
        return cls(
            names, counts, dt, charges=q,
            charge_sources=[None if q is None or q[k] is None else "given"
                            for k in range(len(names))],
            ion_masses=m, volume=volume, label=label, **out,
        )

    @classmethod
    def from_charge_current(cls, current, species, *, dt, volume, charges=None,
                            charge_sources=None, label="observable", volume_range=None,
                            volume_spread=0.0, n_ions=None, volume_notes=(),
                            temperature_series=None):
        """A collection holding only per-species charge currents (H5MD ``charge_current``).

        Parameters
        ----------
        current : array_like, shape (T, n_species, 3)
            :math:`\\mathbf J_s` in e·Å/ps.
        species : sequence of str
        dt : float
            Sample spacing in ps.
        volume : float
            Mean volume in Å³ (``volume_range`` (min, max) and ``volume_spread`` (std/mean)
            describe how it varied: an estimator refuses a spread beyond 5 %, as for frames).
        charges : dict, optional
            Species -> ``{"charge", "source"}`` (recorded, not used: J already has them).
        n_ions : dict, optional
            Species -> number of ions behind its current (from the topology). Without it the
            counts are unknown (``ion_counts_known`` is ``False``): each species stands as one
            ion of its charge, so the net-charge check of the conductivities weighs species
            alike (a 2:1 salt's Mg²⁺ and PF₆⁻ would add up to +1 e) and
            :func:`~mda_electrolyte.carriers.few_ions_notes` cannot judge the count.
        volume_notes : sequence of str, optional
            "not equilibrated" notes of a drifting volume
            (:func:`~mda_electrolyte.carriers.volume_drift_note`), carried into the verdicts.
        temperature_series : array_like, optional
            The run's temperature (K) over the same samples (the file's ``temperature``
            observable): what a temperature given to the conductivity is judged by
            (:func:`~mda_electrolyte.carriers.run_temperature`); its mean is the collection's
            ``kinetic_temperature``.
        """
        # a copy: not the caller's array
        current = np.array(real_array(current, "the charge current"))
        if current.size and np.all(np.isfinite(current)):
            refuse_underflow(float(np.max(np.abs(current))), "the charge currents", "e·Å/ps")
        if isinstance(species, (str, bytes)):
            raise TypeError(f"species must be a sequence of species names, not the string "
                            f"{species!r}")
        species = _species_names(species)
        if n_ions is None:
            counts = [1] * len(species)
        else:
            missing = [s for s in species if s not in n_ions]
            if missing:
                raise ValueError(f"n_ions lacks species {missing}")
            counts = [check_number(f"n_ions[{s!r}]", n_ions[s], integer=True, minimum=1)
                      for s in species]
        if charges is not None:
            # a species without its entry was a bare KeyError
            missing = [s for s in species if s not in charges]
            if missing:
                raise ValueError(f"charges lacks species {missing} (each species needs "
                                 "{'charge': e, 'source': ...})")
            bad = [s for s in species if not isinstance(charges[s], dict)
                   or "charge" not in charges[s] or "source" not in charges[s]]
            if bad:
                raise ValueError(f"charges of {bad} must be dicts {{'charge': e, 'source': "
                                 f"...}}, not {[charges[s] for s in bad]!r}")
        q = (None if charges is None else
             [np.full(c, check_number(f"charges[{s!r}]['charge'] (e)", charges[s]["charge"]))
              for s, c in zip(species, counts, strict=True)])
        src = None if charges is None else [charges[s]["source"] for s in species]
        col = cls(species, counts, dt, charges=q, charge_sources=charge_sources or src,
                  volume=volume, volume_range=volume_range, volume_spread=volume_spread,
                  current=current, source="charge_current observable", label=label,
                  volume_notes=volume_notes, temperature_series=temperature_series)
        col.ion_counts_known = n_ions is not None
        return col

    @classmethod
    def from_pressure_tensor(cls, tensor, *, dt, volume, temperature=None,
                             volume_range=None, volume_spread=0.0, label="pressure tensor",
                             temperature_series=None, volume_notes=()):
        r"""A collection holding only the pressure tensor (H5MD ``pressure_tensor``, or arrays).

        The input of :class:`~mda_electrolyte.GreenKuboViscosity` and
        :class:`~mda_electrolyte.EinsteinHelfandViscosity` (``from_collections``); it has no
        species.

        Parameters
        ----------
        tensor : array_like, shape (T, 3, 3)
            Pressure tensor of the whole system every sample, bar.
        dt : float
            Sample spacing in ps.
        volume : float
            Mean volume in Å³ (``volume_range`` (min, max) and ``volume_spread`` (std/mean)
            describe how it varied).
        temperature : float, optional
            Mean temperature of the system in K (kept as ``kinetic_temperature``); the
            viscosity then needs no ``temperature=``.
        temperature_series : array_like, optional
            The temperatures (K) of the same samples as the tensor, whose mean
            ``temperature`` is, for :meth:`temperature_estimate`; without ``temperature`` its
            mean is the temperature, with one that differs from its mean (beyond 1e-4
            relative), or of another length than the tensor, it is refused.
        label : str
        volume_notes : sequence of str, optional
            "not equilibrated" notes of a drifting volume
            (:func:`~mda_electrolyte.carriers.volume_drift_note`), carried into the verdicts.

        Examples
        --------
        >>> import numpy as np
        >>> from mda_electrolyte.ion_collection import IonCollection
        >>> p = np.zeros((100, 3, 3))
        >>> IonCollection.from_pressure_tensor(p, dt=0.001, volume=1e4, temperature=300)
        <IonCollection pressure tensor (), 100 frames every 0.001 ps, from pressure_tensor>
        """
        # a copy: not the caller's array
        tensor = np.array(real_array(tensor, "the pressure tensor (bar)"))
        temperature = check_temperature(temperature, allow_none=True)
        # a tensor in Pa gave a viscosity of 8.5e9 mPa·s, valid, without a word; one in eV/Å³
        # (ASE's get_stress) a viscosity 10¹² times too small
        shear = tensor[:, [0, 0, 1], [1, 2, 2]] if tensor.ndim == 3 and tensor.shape[1:] == (
            3, 3) else None
        warn_implausible(pressure_bar=tensor[np.isfinite(tensor)], shear_stress_bar=shear)
        if volume is None:
            raise ValueError("a pressure tensor needs the volume (Å³) it was sampled in")
        return cls((), (), dt, volume=volume, volume_range=volume_range,
                   volume_spread=volume_spread, pressure_tensor=tensor,
                   kinetic_temperature=temperature, covers_all_atoms=True,
                   source="pressure_tensor", label=label,
                   temperature_series=temperature_series, volume_notes=volume_notes)

    def temperature_estimate(self):
        """The mean temperature as an :class:`~ase_electrolyte.estimate.Estimate` (K).

        From ``temperature_series`` when recorded: the mean of every sample with the error from
        its statistical inefficiency (:func:`ase_electrolyte.md.series_estimate`, no sample
        discarded, so the value is the ``kinetic_temperature`` the analyses use), not valid when
        too short, its method saying how the degrees of freedom were counted
        (``temperature_count``), not valid where that count is doubted; a temperature given
        without samples is a given value (error 0, ``given`` set:
        :meth:`~ase_electrolyte.estimate.Estimate.given_value`); ``None`` without a temperature.
        """
        from ase_electrolyte.estimate import Estimate
        from ase_electrolyte.md import series_estimate

        if self.temperature_series is not None and self.temperature_series.size:
            where = f"the temperature of {self.label}" if self.label else "the temperature"
            est = series_estimate(self.temperature_series, "K", where=where, detect=False)[0]
            if self.temperature_count is None:
                return est
            from .conductivity import _counted

            return _counted(est, self.temperature_count)
        if self.kinetic_temperature is None:
            return None
        # no samples: the caller gave it (from_pressure_tensor(temperature=), or the
        # constructor's kinetic_temperature=), so it is a setting, never "298 ± 0 K (valid)"
        return Estimate.given_value(self.kinetic_temperature, "K",
                                    source="no samples recorded")

    # ---------------------------------------------------------------- views
    def species_slices(self):
        """Species -> slice of the per-ion axis."""
        bounds = np.concatenate([[0], np.cumsum(self.n_ions)])
        return {s: slice(int(bounds[k]), int(bounds[k + 1])) for k, s in enumerate(self.species)}

    def ion_charges(self):
        """Charge of every ion (species after species), e; ``None`` if any is unknown."""
        if any(q is None for q in self.charges):
            return None
        return np.concatenate(self.charges)

    def charge_record(self, names=None):
        """Species -> ``{"charge": mean charge per ion in e, "source": ...}`` (known ones).

        Parameters
        ----------
        names : str or sequence of str, optional
            The species to record, each named whole (``"PF6"`` is one species, not the
            letters of ``"P"`` and ``"F"``); default all. A name that is no species of the
            collection raises ValueError naming them.
        """
        if names is not None:
            # a string was read as its letters: "PF6" recorded the species "P" and "F"
            if isinstance(names, str):
                names = (names,)
            try:
                names = list(names)
            except TypeError:
                raise TypeError(f"{self.label}: names must be species names (str), not "
                                f"{type(names).__name__} {names!r}") from None
            wrong = [n for n in names if not isinstance(n, str)]
            if wrong:
                raise TypeError(f"{self.label}: names must be species names (str), got "
                                f"{wrong[0]!r} ({type(wrong[0]).__name__})")
            unknown = [n for n in names if n not in self.species]
            if unknown:
                raise ValueError(f"{self.label}: no species {unknown}; the collection holds "
                                 f"{list(self.species)}")
        out = {}
        for k, s in enumerate(self.species):
            if self.charges[k] is None or (names is not None and s not in names):
                continue
            out[s] = {"charge": float(np.mean(self.charges[k])), "source": self.charge_sources[k]}
        return out

    def drift_weights(self):
        """Mass fraction of every ion in the drift reference."""
        if self.ion_masses is None:
            raise ValueError(f"{self.label}: the collection has no ion masses")
        m = np.concatenate(self.ion_masses)
        return m / m.sum()

    def require(self, *fields, who):
        """Raise ValueError naming ``who`` unless every field is present."""
        missing = [f for f in fields if getattr(self, f) is None]
        if missing:
            raise ValueError(
                f"{who} needs {', '.join(missing)}, which {self.label or 'the collection'} does "
                f"not hold (collected from {self.source})"
            )

    def checked_volume(self, who, given=None):
        """The volume an estimator divides by in Å³: ``given`` (a finite volume > 0, as
        ``volume=`` is checked), else the mean box volume (refused where a frame has no box or
        the volume varies by more than 5 %)."""
        if given is not None:
            # float() passed -5, NaN, True and "1e3" on to the estimators' divisions
            return check_volume(given, allow_none=False)
        if self.volume is None:
            raise ValueError(f"{self.label}: some frames have no box (or a flat or "
                             "non-finite one); give the volume with volume=...")
        if self.volume_spread > _MAX_VOLUME_SPREAD:
            raise volume_varies_error(self.label, self.volume_spread, self.volume_range)
        return self.volume

    def nbytes(self):
        """Bytes held by the collection's arrays."""
        total = 0
        for name in _VECTOR_FIELDS + ("com_velocity", "com_position", "ion_velocities",
                                      "ion_positions", "pressure_tensor"):
            arr = getattr(self, name)
            total += 0 if arr is None else arr.nbytes
        return total

    def __repr__(self):
        ions = ", ".join(f"{s}: {n}" for s, n in zip(self.species, self.n_ions, strict=True))
        return (f"<IonCollection {self.label or ''} ({ions}), {self.n_frames} frames every "
                f"{self.dt:g} ps, from {self.source}>")


def _species_names(species):
    """``species`` as a list of names, or an error naming the bad one.

    A name is a non-empty ``str`` without surrounding whitespace: ``''`` and ``'  '`` were kept
    as species names (a table column without a header), ``'Li '`` differed from the ``'Li'`` of
    a charges dict, and ``None`` or ``1`` became the names ``'None'`` and ``'1'``.
    """
    names = list(species)
    for s in names:
        if not isinstance(s, str):
            raise TypeError(f"species names must be strings, not {type(s).__name__} {s!r} "
                            f"(in {names!r})")
        if not s.strip():
            raise ValueError(f"species names must not be empty or blank: {s!r} in {names!r}")
        if s != s.strip():
            raise ValueError(f"species name {s!r} has leading or trailing whitespace; give "
                             f"{s.strip()!r}")
    return [str(s) for s in names]


def _per_species(name, values, species):
    """``values`` as a list of one entry per species, or ValueError naming ``name``."""
    # not np.ndim: a list of per-ion arrays of different lengths is no regular array
    if isinstance(values, (str, bytes, dict)) or not hasattr(values, "__len__"):
        raise ValueError(f"{name} must be a sequence of one entry per species {species}, not "
                         f"{values!r}")
    values = list(values)
    if len(values) != len(species):
        # zip() paired a short list with the first species and left the others without
        raise ValueError(f"{name} has {len(values)} entries for {len(species)} species "
                         f"{species}; give one per species (None where unknown)")
    return values


def _finite(values, name):
    """``values`` unchanged, or ValueError naming ``name`` where any is NaN or infinite."""
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return values


def _volume_range(volume_range):
    """``None`` or ``(min, max)`` volumes in Å³ as floats, or ValueError."""
    if volume_range is None:
        return None
    if isinstance(volume_range, (str, bytes)) or np.ndim(volume_range) != 1 or len(
            volume_range) != 2:
        raise ValueError(f"volume_range must be (min, max) in Å³, not {volume_range!r}")
    lo, hi = (check_volume(v, allow_none=False) for v in volume_range)
    if lo > hi:
        raise ValueError(f"volume_range must be (min, max) in Å³, not {volume_range!r} "
                         "(min above max)")
    return (lo, hi)


def volume_varies_error(label, spread, volume_range, frames="the analysed frames"):
    """The ValueError of a box volume that varies by ``spread`` (std/mean) > 5 % over
    ``frames``: the fixed-volume Green–Kubo and Einstein–Helfand formulas divide by one
    volume. One message for the refusal after the pass (:meth:`IonCollection.checked_volume`)
    and before it (:meth:`IonCollector.check_volume_spread`)."""
    # a collection given a spread without its range was a TypeError (unpacking None)
    span = "" if volume_range is None else (
        f"; {volume_range[0]:.0f} to {volume_range[1]:.0f} Å³")
    return ValueError(
        f"{label}: the box volume varies by {100 * spread:.1f} % (std/mean{span}) over "
        f"{frames}, more than {100 * _MAX_VOLUME_SPREAD:.0f} %; analyse the "
        "equilibrated part (start=) or an NVT production, or give volume= to accept it")


#: Frames read, evenly spread over a selection, to judge its box volume before the pass where a
#: reader has no box series to read without the coordinates (XTC, DCD, TRR, LAMMPS dumps).
VOLUME_PROBE_FRAMES = 32


#: Pairs of consecutive analysed frames, spread over a selection, whose steps are judged before
#: an unwrapping pass (:meth:`IonCollector.check_unwrap_spacing`); selections of fewer than four
#: times as many frames are left to the pass, which reads little more.
UNWRAP_PROBE_PAIRS = 32


def far_steps_error(label, share, dt, where="between analysed frames"):
    """The ValueError of analysed frames too far apart to unwrap: a share ``share`` of the
    atoms' steps ``where`` reach beyond :data:`~mda_electrolyte.carriers.FAR_STEP` of a box
    vector, more than :data:`~mda_electrolyte.carriers.MAX_FAR_STEPS`. One message for the
    refusal after the pass and before it (:meth:`IonCollector.check_unwrap_spacing`)."""
    apart = "" if dt is None else f" (frames {dt:.4g} ps apart)"
    return ValueError(
        f"{label}: {100 * share:.2g} % of the atoms' steps {where} reach more than "
        f"{FAR_STEP:g} of a box vector: unwrapping by minimum image cannot tell such a step "
        f"from one the other way round, so the displacements would be wrong by whole "
        f"boxes{apart}; analyse every frame (step=1), write frames more often, or give "
        "unwrapped coordinates")


def selection_volumes(trajectory, index):
    """Box volumes (Å³) of trajectory frames ``index`` known before the pass.

    From :func:`~mda_electrolyte.analysis_base.frame_boxes`: every selected frame, read
    without coordinates, where every reader keeps its boxes apart from them (in memory, H5MD,
    files of those joined by a ChainReader; no transformations): ``exact`` True. Otherwise
    :data:`VOLUME_PROBE_FRAMES` frames evenly spread over the selection are read (the
    trajectory is left on its frame), ``exact`` False unless that is every selected frame.

    Returns
    -------
    volumes : numpy.ndarray
        NaN where a frame has no box (or a flat or non-finite one).
    exact : bool
    """
    from .analysis_base import frame_boxes

    index = np.asarray(index, dtype=np.intp)
    read, boxes, _ = frame_boxes(trajectory, index, max_read=VOLUME_PROBE_FRAMES)
    return _box_volumes(boxes), read.size == index.size


def _refuse_tiny_box(universe, label):
    """ValueError when the current frame's box holds less than
    :data:`~mda_electrolyte.carriers.MIN_VOLUME` (1 Å³): a box of 1e-7 Å was refused by the
    molecule check's pair search, as ~1e16 GiB of pairs, not as the box it is."""
    dims = universe.trajectory.ts.dimensions
    if dims is None:
        return
    dims = np.asarray(dims, dtype=np.float64)
    volume = _box_volumes(dims[None])[0]
    if np.isfinite(volume) and volume < MIN_VOLUME:
        raise ValueError(
            f"{label}: the box of frame {universe.trajectory.ts.frame} holds {volume:.3g} Å³ "
            f"({dims[0]:.3g} × {dims[1]:.3g} × {dims[2]:.3g} Å), less than the {MIN_VOLUME:g} "
            "Å³ any ion needs: a box in other units or a placeholder; give the trajectory its "
            "box in Å (MDAnalysis.transformations.boxdimensions.set_dimensions)")


def block_slices(n, n_blocks, label, what="frames", fewest=2):
    """Contiguous blocks of ``n`` rows (leftover rows left out, with a warning); ``fewest``
    is the fewest ``n_blocks`` the estimator accepts, for the remedy of rows too few."""
    block = n // n_blocks
    if block < 2:
        raise ValueError(f"{label}: {n} {what} cannot be split into {n_blocks} blocks of at "
                         f"least 2: {_blocks_remedy(n, n_blocks, what, fewest)}")
    if block * n_blocks != n:
        warnings.warn(
            f"{label}: the last {n - block * n_blocks} {what} do not fill a block of {block} "
            f"{what} and are left out",
            stacklevel=4,
        )
    return [slice(b * block, (b + 1) * block) for b in range(n_blocks)]


class _Sums:
    """Linear maps from per-ion centres to species sums, charge-weighted sums and the COM."""

    def __init__(self, species, counts, charges, masses):
        n = int(np.sum(counts))
        rows = np.repeat(np.arange(len(species)), counts)
        cols = np.arange(n)
        self.sum = scipy.sparse.csr_matrix((np.ones(n), (rows, cols)), shape=(len(species), n))
        q = np.zeros(n) if charges is None else np.concatenate(
            [np.zeros(c) if qq is None else qq for qq, c in zip(charges, counts, strict=True)])
        self.charged = scipy.sparse.csr_matrix((q, (rows, cols)), shape=(len(species), n))
        m = np.concatenate(masses)
        self.com = scipy.sparse.csr_matrix(m[None, :] / m.sum())

    def apply(self, x):
        """(T, n, 3) centres -> species sums, charge-weighted sums (T, S, 3), COM (T, 3)."""
        t = x.shape[0]
        flat = x.transpose(1, 0, 2).reshape(x.shape[1], -1)
        out = []
        for mat in (self.sum, self.charged, self.com):
            y = np.asarray(mat @ flat).reshape(mat.shape[0], t, 3).transpose(1, 0, 2)
            out.append(np.ascontiguousarray(y))
        out[2] = out[2][:, 0]
        return out


class IonCollector(FrameAnalysis):
    """Read one Universe once into an :class:`IonCollection` (``results.collection``).

    Fills only ``_prepare``, ``_single_frame`` and ``_conclude``; runs on the serial,
    multiprocessing and dask backends (each part unwraps its own frames; the parts are joined
    by whole box vectors of each frame's box in ``_conclude``).

    Parameters
    ----------
    universe : MDAnalysis.Universe
    ions : dict
        Species name -> selection string or AtomGroup (see
        :func:`mda_electrolyte.carriers.resolve_species`); every molecule of a selection is one
        particle (ion), followed by its centre of mass or the atom ``ion_center`` picks.
    charges, ion_center, compound, charges_used
        As for :func:`~mda_electrolyte.carriers.resolve_species`.
    require_charges : bool
        Refuse species without known, nonzero charges (charge carriers only).
    velocities, positions : bool or "auto"
        Collect them (``"auto"``: if the trajectory has them; positions always).
    unwrap : bool
        Unwrap positions by minimum-image steps between analysed frames in fractional
        coordinates of each frame's box, as MDAnalysis' ``NoJump`` (needs a box).
    ion_velocity_budget : int
        Bytes allowed for per-ion velocities of every frame; beyond it only the species
        currents are kept (the Green–Kubo self/distinct split is then not available).
    max_ion_frames : int or None
        Most frames whose per-ion centres are kept: trajectory frames that are multiples of
        ``ceil((len(trajectory) - 1) / (max_ion_frames - 1))``, the same rule for every part of
        a parallel run (``collection.ion_stride``, ``ion_offset`` say which analysed frames they
        are); ``None`` keeps every frame.
    observables : bool
        Also read the per-step ``charge_current`` and ``pressure_tensor`` observables when the
        trajectory is an H5MD file of :func:`ase_electrolyte.md.run_md` that records them (no frame
        is read for them); they become ``collection.charge_current_observable`` and
        ``collection.pressure_tensor_observable`` (with the file's mean volume and temperature).
    label : str
        Name in messages (default ``"Universe"``).
    verbose : bool
    constraints : int, optional
        Holonomic constraints of the run (3 per rigid water, 1 per constrained bond), for the
        kinetic temperature of the velocities when the species cover every atom (as
        :func:`~mda_electrolyte.conductivity.kinetic_temperature`); default: the count an
        H5MD file of run_md states, else 0, its temperature marked not valid where bonds keep
        their lengths as constraints keep them. Refused where it contradicts the file's
        statement, for a part of the atoms, or without velocities.
    com_removed : bool, optional
        Whether the run kept the centre of mass at rest (default: the file's statement, else
        True); refused as ``constraints`` is.

    Attributes
    ----------
    species : list of IonSpecies
    results.collection : IonCollection
        After :meth:`run`; also :attr:`collection`.
    """

    _analysis_algorithm_is_parallelizable = True
    # a time step and a correlation need two frames
    _min_frames = 2
    _needs_time = True

    @classmethod
    def get_supported_backends(cls):
        return ("serial", "multiprocessing", "dask")

    @property
    def _reads_positions(self):
        # Green–Kubo collects velocities alone: averaged positions do not reach it
        return self._positions

    def _label_for_checks(self):
        return self._label

    def __init__(
        self,
        universe,
        ions,
        *,
        charges=None,
        ion_center=None,
        compound="residues",
        require_charges=False,
        velocities="auto",
        positions=True,
        unwrap=False,
        ion_velocity_budget=ION_VELOCITY_BUDGET,
        max_ion_frames=MAX_ION_FRAMES,
        observables=True,
        n_universes=1,
        label="Universe",
        verbose=False,
        charges_used=True,
        constraints=None,
        com_removed=None,
    ):
        if isinstance(velocities, str):
            try:
                velocities = choice_word("velocities", velocities, ("auto",))
            except ValueError:
                raise FlagError(f"velocities must be True, False or 'auto', not "
                                f"{velocities!r}") from None
        elif not isinstance(velocities, (bool, np.bool_)):
            raise FlagError(f"velocities must be True, False or 'auto', not {velocities!r}")
        for name, value in (("positions", positions), ("observables", observables),
                            ("require_charges", require_charges), ("unwrap", unwrap),
                            ("charges_used", charges_used)):
            check_flag(name, value)
        # read by the trajectory checks of FrameAnalysis.__init__
        self._positions = bool(positions)
        self._label = label
        super().__init__(check_universe(label, universe).trajectory, verbose=verbose)
        if isinstance(ions, dict):
            # the collection refuses them: checked here, not after the pass over the frames
            _species_names(ions)
        _refuse_tiny_box(universe, label)
        self.species = resolve_species(
            universe, ions, charges=charges, ion_center=ion_center, compound=compound,
            require_charges=require_charges, n_universes=n_universes,
            charges_used=charges_used,
        )
        ts = universe.trajectory.ts
        check_has_time(universe.trajectory, label)
        if velocities == "auto":
            velocities = bool(ts.has_velocities)
        elif velocities and not ts.has_velocities:
            raise ValueError(
                f"{label} has no velocities (write them to the trajectory, e.g. TRR, H5MD, ASE "
                ".traj or a LAMMPS dump with vx vy vz)"
            )
        self._velocities = bool(velocities)
        if not (self._velocities or self._positions):
            raise ValueError("nothing to collect: velocities and positions are both off")
        has_box = ts.dimensions is not None and bool(np.isfinite(
            _box_volumes(np.asarray(ts.dimensions, dtype=np.float64)[None]))[0])
        if unwrap and positions and not has_box:
            raise ValueError(
                f"{label} has no box, so its positions cannot be unwrapped; give unwrapped "
                "positions and unwrap=False"
            )
        self._unwrap = unwrap
        self._budget = check_number("ion_velocity_budget (bytes)", ion_velocity_budget,
                                    integer=True, minimum=0)
        self._max_ion_frames = check_number("max_ion_frames", max_ion_frames, integer=True,
                                            minimum=2, allow_none=True)
        # per-ion centres are kept on trajectory frames that are multiples of _keep_every: a
        # rule every part of a parallel run applies alike, whatever start/step it was given
        n_traj = len(universe.trajectory)
        self._keep_every = 1
        if self._max_ion_frames is not None and n_traj > self._max_ion_frames:
            self._keep_every = -(-(n_traj - 1) // (self._max_ion_frames - 1))
        # the atoms read each frame and the sparse maps from them to what is kept
        ix = np.concatenate([s.atoms.ix[s.tracked] for s in self.species])
        self._tracked = universe.atoms[ix]
        self._centre = scipy.sparse.block_diag(
            [s.center_matrix() for s in self.species], format="csr"
        )
        counts = [s.n_ions for s in self.species]
        masses = [np.bincount(s.ids, weights=s.masses, minlength=s.n_ions) for s in self.species]
        # species without charges carry none in the charge-weighted sums
        sums = _Sums([s.name for s in self.species], counts,
                     [s.charges for s in self.species], masses)
        self._ion_masses = masses
        # one stacked map: species sums, charge-weighted sums, centre of mass
        self._maps = scipy.sparse.vstack(
            [sums.sum @ self._centre, sums.charged @ self._centre, sums.com @ self._centre],
            format="csr",
        )
        self._tracked_masses = np.concatenate(
            [s.masses[s.tracked] for s in self.species]
        )
        if self._velocities:
            # the kinetic temperature weighs velocities by the masses the run integrated
            # with (heavy hydrogen: the Universe has the physical ones; methane run at 314 K
            # with 3 amu hydrogens read 146 K)
            self._kinetic_masses = kinetic_masses(universe.atoms)[ix]
        self._covers_all = self._tracked.n_atoms == universe.atoms.n_atoms
        self._universe_ref = universe
        self._temperature_count = None
        self._temperature_arguments = None
        if self._velocities:
            from .conductivity import _universe_temperature_count

            # a count refused is known now, without reading a frame; the doubt read from a few
            # frames (rigid bonds) waits for the checks before the pass, which refuse a frame
            # spacing in another unit before any frame is read
            self._temperature_count = _universe_temperature_count(
                universe, constraints, com_removed, atoms=self._tracked, probe=False)
            self._temperature_arguments = (constraints, com_removed)
        elif constraints is not None or com_removed is not None:
            raise ValueError("constraints= and com_removed= count the degrees of freedom of "
                             "the velocities' kinetic temperature, but no velocities are "
                             "collected: leave them out")
        self._observed = _charge_current_of(universe) if observables else None
        # read once, after the pass: only the analysed frames' span of it is used
        self._pressure = _h5md_file_of(universe) if observables else None

    @property
    def collection(self):
        """The :class:`IonCollection` of the last :meth:`run`."""
        if "collection" not in self.results:
            raise AttributeError("run() the collector first")
        return self.results.collection

    # ---------------------------------------------------------------- hooks
    def selected_rows(self, start=None, stop=None, step=None, frames=None):
        """Rows a run with these arguments will collect: ``(frames, kept ion frames)``.

        Known before reading a frame, so that an estimator can refuse a selection too short
        for its blocks before the pass. The second number counts the frames on which per-ion
        centres are kept (``max_ion_frames`` thinning); ``None`` when positions are not
        collected; both ``None`` for a selection :meth:`run` refuses anyway.
        """
        index = self._selected_index(start, stop, step, frames)
        if index is None:
            return None, None  # an impossible selection: run() names it
        kept = int(np.count_nonzero(index % self._keep_every == 0)) if self._positions else None
        return int(index.size), kept

    def _selected_index(self, start, stop, step, frames):
        """Trajectory indices a run with these arguments reads, or None for an impossible
        selection (:meth:`run` names it)."""
        try:
            if frames is not None:
                return np.arange(len(self._trajectory))[np.asarray(frames)]
            return np.arange(*self._trajectory.check_slice_indices(start, stop, step))
        except (IndexError, TypeError, ValueError):
            return None

    def selected_spacing(self, start=None, stop=None, step=None, frames=None):
        """Nominal time between the rows a run with these arguments will collect, in ps.

        ``(frames, kept ion frames)`` from the trajectory's time step, known before reading a
        frame; ``None`` where the rows are not evenly spaced frames, the reader has no valid
        time step (:func:`reader_time_step`), or (second) positions are not collected.
        :meth:`run` measures the actual spacing from the frames' times.
        """
        dt = reader_time_step(self._trajectory)
        if dt is None:
            return None, None
        index = self._selected_index(start, stop, step, frames)
        if index is None:
            return None, None

        def spacing(rows):
            steps = np.diff(rows)
            if rows.size < 2 or np.any(steps != steps[0]):
                return None
            return float(steps[0]) * dt

        kept = spacing(index[index % self._keep_every == 0]) if self._positions else None
        return spacing(index), kept

    def _check_frames(self, trajectory, start, stop, step, frames):
        """Refuse, before any frame is read, a selection whose frames keep per-ion positions
        (``max_ion_frames`` thinning) on fewer than 2 or unevenly spaced analysed frames, e.g.
        ``step=3`` against every 21st trajectory frame kept: the pass would end in that error;
        and a selection of joined files (a ChainReader) whose joints repeat, overlap, skip or go
        back in time (:func:`check_chain_times`) or whose files store the atoms in different
        orders (:func:`check_chain_joints`)."""
        super()._check_frames(trajectory, start, stop, step, frames)
        index = self._selected_index(start, stop, step, frames)
        if index is not None:
            if self._positions:
                self._check_kept_rows(np.flatnonzero(index % self._keep_every == 0))
            check_chain_times(trajectory, index, self._label)
            if self._positions:
                check_chain_joints(trajectory, self._tracked, index, self._label)

    def _check_selection(self, start=None, stop=None, step=None, frames=None):
        """Refuse, before any frame is read, the selection :meth:`run` would refuse before
        its pass (the trajectory is left on its frame).

        An analysis of several Universes calls it for each before reading the first, so that
        the last one's faulty selection or joined files are not found after the other passes.
        """
        current = self._trajectory.ts.frame
        try:
            self._check_frames(self._trajectory, start, stop, step, frames)
        finally:
            self._trajectory[current]

    def _selection_sample(self, index):
        """``frame_boxes`` of the selection ``index`` for the checks before the pass: every
        frame where the reader keeps boxes and times apart from the coordinates, else at most
        :data:`VOLUME_PROBE_FRAMES` frames spread over it (one sample for every check)."""
        from .analysis_base import frame_boxes

        return frame_boxes(self._trajectory, index, max_read=VOLUME_PROBE_FRAMES, times=True)

    def check_before_pass(self, start=None, stop=None, step=None, frames=None, *,
                          volume=True):
        """The checks of :meth:`check_volume_spread` (with ``volume``),
        :meth:`check_frame_times` and :meth:`check_unwrap_spacing`, on one sample of frames."""
        index = self._selected_index(start, stop, step, frames)
        if index is not None and index.size >= 2:
            sample = self._selection_sample(index)
            if volume:
                self._judge_volumes(index, sample)
            self._judge_times(index, sample)
        self.check_unwrap_spacing(start, stop, step, frames)
        self._probe_temperature_count()

    def _probe_temperature_count(self):
        """The temperature count with its doubt from rigid bonds (a few frames read), once:
        after the cheap checks before the pass, or at the pass itself."""
        if self._temperature_arguments is None:
            return
        from .conductivity import _universe_temperature_count

        constraints, com_removed = self._temperature_arguments
        self._temperature_arguments = None
        self._temperature_count = _universe_temperature_count(
            self._universe_ref, constraints, com_removed, atoms=self._tracked)

    def check_volume_spread(self, start=None, stop=None, step=None, frames=None):
        """Refuse, before the pass, a selection whose box volume varies by more than 5 %
        (std/mean), as :meth:`IonCollection.checked_volume` would after it.

        The boxes come from :func:`~mda_electrolyte.analysis_base.frame_boxes`: every selected
        frame where they can be read without coordinates (in memory, H5MD; then the refusal is
        the same as after the pass), else :data:`VOLUME_PROBE_FRAMES` frames spread over the
        selection (all of a selection that short), refused
        only where the sample's spread exceeds 5 % by three of its standard errors (a steady
        NPT run is never refused by the sample; one still compressing is). Frames without a
        box are left to the pass, which names them.
        """
        index = self._selected_index(start, stop, step, frames)
        if index is not None and index.size >= 2:
            self._judge_volumes(index, self._selection_sample(index))

    def _judge_volumes(self, index, sample):
        read, boxes, _ = sample
        volumes, exact = _box_volumes(boxes), read.size == index.size
        if volumes.size < 2 or not np.all(np.isfinite(volumes)):
            return
        spread = float(np.std(volumes) / np.mean(volumes))
        # a sample standard deviation of n values has a relative error of about 1/sqrt(2(n-1))
        margin = 1.0 if exact else 1.0 - 3.0 / np.sqrt(2.0 * (volumes.size - 1))
        if spread * margin > _MAX_VOLUME_SPREAD:
            frames_text = ("the selected frames" if exact else
                           f"{volumes.size} frames spread over the selection")
            raise volume_varies_error(self._label, spread,
                                      (float(volumes.min()), float(volumes.max())),
                                      frames_text)

    def check_frame_times(self, start=None, stop=None, step=None, frames=None):
        """Refuse, before the pass, analysed frames not equally spaced in time, as the pass
        would after reading every frame (:func:`check_time_spacing`).

        Where the reader keeps the times apart from the coordinates (in memory, H5MD, files of
        those joined), or the selection is at most :data:`VOLUME_PROBE_FRAMES` frames, every
        selected frame's time is judged: the same refusal as after the pass. Otherwise
        :data:`VOLUME_PROBE_FRAMES` frames spread over a selection of at least four times as
        many are read (the trajectory is left on its frame): the time between two of them must
        be the median spacing times the analysed frames between them, to half a spacing (a
        frame missing or repeated between them, or times going back); a shorter selection, and
        what single-precision times cannot resolve, is left to the pass.
        """
        index = self._selected_index(start, stop, step, frames)
        if index is not None and index.size >= 2:
            self._judge_times(index, self._selection_sample(index))

    def _judge_times(self, index, sample):
        read, _, times = sample
        if read.size == index.size:
            check_time_spacing(times, read, self._label)
            return
        if index.size < 4 * VOLUME_PROBE_FRAMES:
            return  # too few frames between those read to tell a gap: the pass names it
        rows = np.searchsorted(index, read)  # analysed-frame positions of the frames read
        between = np.diff(rows)
        rate = np.diff(times) / between
        dt = float(np.median(rate))
        # single-precision times resolve a spacing to about 8 epsilons of the largest time
        if not (dt > 0 and np.isfinite(dt)) or (
                8 * np.finfo(np.float32).eps * np.abs(times).max() > 0.25 * dt):
            return
        off = np.abs(rate - dt) * between
        if np.any(off > 0.5 * dt):
            k = int(np.argmax(off > 0.5 * dt))
            raise ValueError(
                f"{self._label}: the analysed frames are not equally spaced in time: frames "
                f"{read[k]} and {read[k + 1]} ({between[k]} analysed frames apart) are "
                f"{times[k + 1] - times[k]:.6g} ps apart, not {between[k] * dt:.6g} ps at the "
                f"{dt:.6g} ps between the other {read.size} frames read, spread over the "
                "selection (a frame missing, repeated or out of time order between them); "
                "analyse the evenly spaced part or repair the trajectory")

    def check_unwrap_spacing(self, start=None, stop=None, step=None, frames=None):
        """Refuse, before an unwrapping pass, analysed frames clearly too far apart to unwrap,
        as the pass would after reading every frame.

        :data:`UNWRAP_PROBE_PAIRS` pairs of consecutive analysed frames spread over the
        selection are read (the trajectory is left on its frame) and the share of the tracked
        atoms' steps beyond :data:`~mda_electrolyte.carriers.FAR_STEP` of a box vector is
        averaged over the pairs; the selection is refused only where that share exceeds
        :data:`~mda_electrolyte.carriers.MAX_FAR_STEPS` by four standard errors of the pairs'
        spread (frames written a whole box of motion apart: steps near uniform, about 10 %
        of them far). The pass still judges every step of the rest. A selection of fewer than
        ``4 * UNWRAP_PROBE_PAIRS`` frames, or without unwrapping, is left to the pass.
        """
        if not (self._unwrap and self._positions):
            return
        index = self._selected_index(start, stop, step, frames)
        if index is None or index.size < 4 * UNWRAP_PROBE_PAIRS:
            return
        pairs = np.unique(np.linspace(0, index.size - 2, UNWRAP_PROBE_PAIRS).round()
                          .astype(np.intp))
        trajectory = self._trajectory
        shares = []
        with kept_frame(trajectory):
            for i in pairs:
                positions, boxes = np.zeros((2, self._tracked.n_atoms, 3)), np.zeros((2, 6))
                for row, frame in enumerate(index[i : i + 2]):
                    ts = trajectory[int(frame)]
                    positions[row] = self._tracked.positions
                    if ts.dimensions is not None:
                        boxes[row] = ts.dimensions
                # a frame without a box or with non-finite positions: the pass names it
                if not (np.all(np.isfinite(positions))
                        and np.all(np.isfinite(_box_volumes(boxes)))):
                    continue
                far, judged = count_far_steps(positions, boxes)
                shares.append(far / judged)
        if len(shares) < UNWRAP_PROBE_PAIRS // 4:
            return
        shares = np.asarray(shares)
        mean = float(shares.mean())
        if mean - 4.0 * float(shares.std(ddof=1)) / np.sqrt(shares.size) > MAX_FAR_STEPS:
            raise far_steps_error(
                self._label, mean, self.selected_spacing(start, stop, step, frames)[0],
                f"between {shares.size} pairs of consecutive analysed frames spread over the "
                "selection")

    def _check_kept_rows(self, rows):
        """Refuse kept per-ion rows (indices among the analysed frames) that are fewer than 2
        or not evenly spaced."""
        steps = np.diff(rows)
        if rows.size < 2 or np.any(steps != steps[0]):
            shape = "fewer than 2" if rows.size < 2 else "not evenly spaced"
            raise ValueError(
                f"{self._label}: the analysed frames keep {rows.size} per-ion positions "
                f"({shape}; per-ion positions are kept on every {self._keep_every}th "
                "trajectory frame, max_ion_frames); analyse with step=1 or a step dividing "
                f"{self._keep_every}, or give max_ion_frames=None"
            )

    def _prepare(self):
        self._probe_temperature_count()
        n = self.n_frames
        n_tr = self._tracked.n_atoms
        n_ions = self._centre.shape[0]
        n_sp = len(self.species)
        chunk = max(1, min(CHUNK_FRAMES, n, CHUNK_BYTES // (24 * max(1, n_tr))))
        r = self.results
        r.boxes = np.zeros((n, 6))
        # per-frame kinetic temperature (K), counted as kinetic_temperature counts it
        r.kinetic = np.zeros(n)
        if self._velocities:
            from ase_electrolyte.md import velocity_temperature

            self._temperature_of = velocity_temperature
        self._fill = 0
        self._done = 0
        self._last_raw = None
        self._last_unwrapped = None
        self._chunk_boxes = np.zeros((chunk, 6))
        self._chunk_frames = np.zeros(chunk, dtype=np.intp)
        if self._velocities:
            self._chunk_vel = np.empty((chunk, n_tr, 3), dtype=np.float32)
            r.velocity_sum = np.empty((n, n_sp, 3))
            r.current = np.empty((n, n_sp, 3))
            r.com_velocity = np.empty((n, 3))
            keep_v = n * n_ions * 3 * 8 <= self._budget
            r.ion_velocities = np.empty((n if keep_v else 0, n_ions, 3))
        if self._positions:
            self._chunk_pos = np.empty((chunk, n_tr, 3), dtype=np.float32)
            r.position_sum = np.empty((n, n_sp, 3))
            r.dipole = np.empty((n, n_sp, 3))
            r.com_position = np.empty((n, 3))
            self._kept = []
            r.kept_frames = np.zeros(0, dtype=np.intp)
            r.first_raw = np.empty((1, n_tr, 3))
            r.last_raw = np.empty((1, n_tr, 3))
            r.last_unwrapped = np.empty((1, n_tr, 3))
        r.part_frames = np.array([n])
        # minimum-image steps beyond FAR_STEP of a box, and steps judged (unwrap=True)
        r.far_steps = np.zeros(2, dtype=np.int64)

    def _single_frame(self):
        i = self._frame_index
        ts = self._ts
        j = self._fill
        if ts.dimensions is not None:
            self._chunk_boxes[j] = ts.dimensions
        else:
            self._chunk_boxes[j] = 0.0
        if self._velocities:
            if not ts.has_velocities:
                raise ValueError(f"frame {ts.frame} of {self._label} has no velocities")
            self._chunk_vel[j] = self._tracked.velocities
        if self._positions:
            self._chunk_pos[j] = self._tracked.positions
        self._chunk_frames[j] = ts.frame
        self._fill += 1
        if self._fill == self._chunk_boxes.shape[0] or i == self.n_frames - 1:
            self._flush()

    def _flush(self):
        r = self.results
        n = self._fill
        # a NaN would otherwise surface after the whole pass as a NaN sum, naming no frame
        if self._velocities:
            self._check_finite("velocities", self._chunk_vel[:n])
        if self._positions:
            self._check_finite("positions", self._chunk_pos[:n])
        lo, hi = self._done, self._done + n
        boxes = self._chunk_boxes[:n]
        r.boxes[lo:hi] = boxes
        n_sp = len(self.species)
        if self._velocities:
            v = self._chunk_vel[:n].astype(np.float64)
            r.kinetic[lo:hi] = self._temperature_of(
                self._kinetic_masses, v / VELOCITY_TO_ANGSTROM_PER_PS,
                self._temperature_count.dof, self._temperature_count.com_removed)
            sums = self._apply(self._maps, v)
            r.velocity_sum[lo:hi] = sums[:, :n_sp]
            r.current[lo:hi] = sums[:, n_sp : 2 * n_sp]
            r.com_velocity[lo:hi] = sums[:, 2 * n_sp]
            if r.ion_velocities.shape[0]:
                r.ion_velocities[lo:hi] = self._apply(self._centre, v)
        if self._positions:
            raw = self._chunk_pos[:n].astype(np.float64)
            has_box = bool(np.all(np.isfinite(_box_volumes(boxes))))
            if self._last_raw is None:
                r.first_raw[0] = raw[0]
                joined, joined_boxes = raw, boxes
            else:
                joined = np.concatenate([self._last_raw[None], raw])
                joined_boxes = np.concatenate([self._last_box[None], boxes])
            if self._unwrap:
                if not has_box:
                    row = int(np.flatnonzero(~np.isfinite(_box_volumes(boxes)))[0])
                    raise ValueError(
                        f"{self._label}: frame {self._chunk_frames[row]} has no box (or a flat "
                        f"or non-finite one: {boxes[row].tolist()}), so positions cannot be "
                        "unwrapped through it; analyse the frames before it (run(stop=...)) or "
                        "repair the trajectory")
                # the track read so far goes on in fractional coordinates (NoJump): a shift
                # in Å fixed at the chunk's edge would not scale with the box after it
                unwrapped = unwrap_trajectory(joined, joined_boxes, start=self._last_unwrapped)
                far, judged = count_far_steps(joined, joined_boxes)
                r.far_steps[0] += far
                r.far_steps[1] += judged
                if self._last_raw is not None:
                    unwrapped = unwrapped[1:]
            else:
                # judged where a box is known, also next to a frame without one
                if joined.shape[0] > 1:
                    jump = find_wrapping_jump(joined, joined_boxes)
                    if jump is not None:
                        row = jump[0] - (0 if self._last_raw is None else 1)
                        self._wrapped_error(jump[1], self._chunk_frames[row])
                unwrapped = raw
            self._last_raw = raw[-1].copy()
            self._last_box = boxes[-1].copy()
            self._last_unwrapped = unwrapped[-1].copy()
            sums = self._apply(self._maps, unwrapped)
            r.position_sum[lo:hi] = sums[:, :n_sp]
            r.dipole[lo:hi] = sums[:, n_sp : 2 * n_sp]
            r.com_position[lo:hi] = sums[:, 2 * n_sp]
            frames = self._chunk_frames[:n]
            rows = np.nonzero(frames % self._keep_every == 0)[0]
            if rows.size:
                self._kept.append((frames[rows].copy(),
                                   self._apply(self._centre, unwrapped[rows])))
            if hi == self.n_frames:
                r.last_raw[0] = self._last_raw
                r.last_unwrapped[0] = self._last_unwrapped
                n_ions = self._centre.shape[0]
                r.kept_frames = np.concatenate(
                    [f for f, _ in self._kept] or [np.zeros(0, dtype=np.intp)])
                r.ion_positions = np.concatenate(
                    [x for _, x in self._kept] or [np.zeros((0, n_ions, 3))])
                r.kept_counts = np.array([r.kept_frames.size])
                self._kept = []
        self._done = hi
        self._fill = 0

    def _check_finite(self, what, chunk):
        bad = ~np.isfinite(chunk).all(axis=2)
        if bad.any():
            row, index = np.argwhere(bad)[0]
            raise ValueError(
                f"{self._label}: frame {self._chunk_frames[row]} has non-finite {what} (atom "
                f"index {self._tracked[index].index}); analyse the frames before it "
                "(run(stop=...)) or repair the trajectory")

    def _wrapped_error(self, tracked_index, frame):
        atom = self._tracked[tracked_index]
        raise ValueError(
            f"{self._label}: positions look wrapped (atom index {atom.index} jumps by more than "
            f"half a box vector into frame {frame}); pass unwrap=True to unwrap them by "
            "minimum-image steps (needs analysed frames closer than half a box), or give "
            "unwrapped coordinates"
        )

    @staticmethod
    def _apply(matrix, x):
        """(T, n_tracked, 3) -> (T, rows, 3) through a sparse (rows, n_tracked) map."""
        t, n_tr, _ = x.shape
        flat = x.transpose(1, 0, 2).reshape(n_tr, -1)
        y = np.asarray(matrix @ flat)
        return y.reshape(matrix.shape[0], t, 3).transpose(1, 0, 2)

    def _get_aggregator(self):
        stack = ResultsGroup.ndarray_vstack
        return ResultsGroup(lookup={
            key: stack for key in (
                "boxes", "velocity_sum", "current", "com_velocity", "ion_velocities",
                "position_sum", "dipole", "com_position", "ion_positions", "first_raw",
                "last_raw", "last_unwrapped",
            )
        } | {key: ResultsGroup.ndarray_hstack
             for key in ("kinetic", "part_frames", "kept_frames", "kept_counts")}
           | {"far_steps": ResultsGroup.ndarray_sum})

    def _conclude(self):
        r = self.results
        label = self._label
        times = np.asarray(self.times, dtype=np.float64)
        n_frames = times.size
        if n_frames < 2:
            raise ValueError(f"{label}: at least 2 frames are needed, got {n_frames}")
        dt = check_time_spacing(times, np.asarray(self.frames), label)
        far, judged = (int(x) for x in r.pop("far_steps", (0, 0)))
        if judged and far > MAX_FAR_STEPS * judged:
            raise far_steps_error(label, far / judged, dt)
        boxes = r.boxes
        volumes = _box_volumes(boxes)
        volume = volume_range = mean_box = None
        spread = 0.0
        volume_notes = ()
        if np.all(np.isfinite(volumes)):
            mean_box = boxes.mean(axis=0)
            volume = float(np.mean(volumes))
            spread = float(np.std(volumes) / volume)
            volume_range = (float(np.min(volumes)), float(np.max(volumes)))
            volume_notes = tuple(n for n in [volume_drift_note(volumes, label)] if n)
        fields = {}
        notes = []
        if self._velocities:
            fields.update(velocity_sum=r.velocity_sum, current=r.current,
                          com_velocity=r.com_velocity)
            if r.ion_velocities.shape[0] == n_frames:
                fields["ion_velocities"] = r.ion_velocities
            else:
                notes.append(
                    f"per-ion velocities of {n_frames} frames exceed ion_velocity_budget "
                    f"({self._budget} bytes): only species currents were kept"
                )
        if self._positions:
            fields.update(self._joined_positions(r, boxes, n_frames))
        kinetic_temperature = temperature_series = None
        if self._velocities:
            temperature_series = r.kinetic
            kinetic_temperature = float(np.mean(temperature_series))
        r.collection = IonCollection(
            [s.name for s in self.species],
            [s.n_ions for s in self.species],
            dt,
            charges=[s.charges for s in self.species],
            charge_sources=[s.charge_source for s in self.species],
            ion_masses=self._ion_masses,
            volume=volume,
            volume_range=volume_range,
            volume_spread=spread,
            volume_notes=volume_notes,
            box=mean_box,
            kinetic_temperature=kinetic_temperature,
            temperature_series=temperature_series,
            temperature_count=self._temperature_count,
            covers_all_atoms=self._covers_all,
            label=label,
            notes=notes,
            **fields,
        )
        # the observables of the analysed frames' time span only: a run(start=...) leaving out
        # an equilibration left it in the per-step series Green–Kubo and the viscosity prefer
        # on the file's clock: a Universe's times shifted (time_offset), rescaled (a
        # transformation) or restarted at 0 (a partial copy in memory) took the samples of
        # another span, without a word
        window = self._file_window(times, label)
        if self._observed is not None and window is not None:
            r.collection.charge_current_observable = self._observed_collection(window, label)
        r.collection.pressure_tensor_observable = (
            None if self._pressure is None or window is None
            else _pressure_tensor_of(self._universe_ref, label, window))
        r.collection.total_mass = _total_mass(self._universe_ref)
        # the collection holds the arrays; the per-part copies go
        for key in ("velocity_sum", "current", "com_velocity", "ion_velocities", "position_sum",
                    "dipole", "com_position", "ion_positions", "first_raw", "last_raw",
                    "last_unwrapped", "kinetic", "kept_frames", "kept_counts"):
            r.pop(key, None)

    def _file_window(self, times, label):
        """The analysed frames' span on the clock of the file whose observables go with them
        (:func:`~mda_electrolyte.bridge.file_time_span`), or ``None`` with a warning where the
        Universe's frames cannot be matched to it (the frames alone are used then)."""
        if self._observed is None and self._pressure is None:
            return None
        from .bridge import file_time_span

        try:
            span = file_time_span(self._universe_ref, self.frames, times)
        except (OSError, ValueError) as err:
            warnings.warn(f"{label}: the per-step observables of the file are not used: {err}",
                          RuntimeWarning, stacklevel=4)
            return None
        return (float(times[0]), float(times[-1])) if span is None else span

    def _observed_collection(self, window, label):
        from .conductivity import observed_currents, read_charge_current

        path, _ = self._observed
        try:
            obs = read_charge_current(path, window)
        except (OSError, ValueError) as err:
            warnings.warn(f"{label}: the charge_current observable of {path} is not used: {err}",
                          RuntimeWarning, stacklevel=3)
            return None
        names = [s.name for s in self.species if s.name in obs["species"] and s.charges is not None
                 and np.all(s.charges != 0)]
        if not names:
            return None
        record = {s.name: {"charge": float(np.mean(s.charges)), "source": s.charge_source}
                  for s in self.species if s.name in names}
        try:
            # the file's formal-charge currents, at the charges this collection uses
            current = observed_currents(obs, [s for s in self.species if s.name in names],
                                        str(path))
        except ValueError as err:
            warnings.warn(f"{label}: the charge_current observable of {path} is not used: {err}",
                          RuntimeWarning, stacklevel=3)
            return None
        return IonCollection.from_charge_current(
            current, names, dt=obs["dt"],
            volume=obs["volume"], volume_range=obs["volume_range"],
            volume_spread=obs["volume_spread"], charges=record, label=str(path),
            n_ions={s.name: s.n_ions for s in self.species if s.name in names},
            volume_notes=obs["volume_notes"],
            # the run's temperature: the ions' own velocities are not it (the solvent's left
            # out), and a temperature given to Green–Kubo went unjudged on this path
            temperature_series=obs["temperature"],
        )

    def _joined_positions(self, r, boxes, n_frames):
        """Join the parts' unwrapped tracks and make molecules whole.

        Both are whole box vectors added to a tracked atom (images, fractional coordinates),
        turned into Å with the box of every frame as :func:`~mda_electrolyte.carriers.
        unwrap_trajectory` does: a shift in Å fixed at one frame stretched a molecule across
        the boundary by the box's change, and joined parts differently from one serial pass,
        when the box changes (NPT)."""
        parts = np.asarray(r.part_frames, dtype=np.intp)
        starts = np.concatenate([[0], np.cumsum(parts)[:-1]])
        first_raw, last_raw, last_unw = r.first_raw, r.last_raw, r.last_unwrapped
        valid = np.isfinite(_box_volumes(boxes))
        # a frame without a box (allowed without unwrapping) keeps the images of the first box
        # with one; without any box there is no image to add
        matrices = None
        if valid.any():
            matrices = _box_matrices(np.where(valid[:, None], boxes,
                                              boxes[np.flatnonzero(valid)[0]]))

        def images(shift, frame):
            return np.rint(shift @ np.linalg.inv(matrices[frame]))

        # images of every tracked atom per part: molecules whole at frame 0 (in its box, where
        # it has one; another frame without a box does not matter here), then continuity
        shifts = np.zeros((parts.size,) + first_raw.shape[1:])
        if valid[0]:
            start = 0
            whole = first_raw[0].copy()
            for s in self.species:
                n_tr = s.tracked.size
                if s.follows_com:
                    first = first_raw[0, start : start + n_tr]
                    whole[start : start + n_tr] = make_whole(first, s.ids, boxes[0])
                start += n_tr
            shifts[0] = images(whole - first_raw[0], 0)
        for p in range(1, parts.size):
            if self._unwrap:
                last = starts[p] - 1
                joined = unwrap_trajectory(
                    np.concatenate([last_raw[p - 1][None], first_raw[p][None]]),
                    boxes[last : starts[p] + 1],
                    start=last_unw[p - 1] + shifts[p - 1] @ matrices[last],
                )[1]
                shifts[p] = images(joined - first_raw[p], starts[p])
            else:
                jump = find_wrapping_jump(
                    np.stack([last_raw[p - 1], first_raw[p]]),
                    boxes[starts[p] - 1 : starts[p] + 1],
                )
                if jump is not None:
                    self._wrapped_error(jump[1], int(np.asarray(self.frames)[starts[p]]))
                shifts[p] = shifts[0]
        n_sp = len(self.species)
        position_sum, dipole, com = r.position_sum, r.dipole, r.com_position
        kept = r.ion_positions
        # kept rows: analysed-frame indices of the trajectory frames they were read on
        index = np.searchsorted(np.asarray(self.frames), np.asarray(r.kept_frames))
        self._check_kept_rows(index)
        stride, offset = int(index[1] - index[0]), int(index[0])
        kept_starts = np.concatenate([[0], np.cumsum(r.kept_counts)[:-1]])
        for p in range(parts.size):
            if not np.any(shifts[p]):
                continue
            rows = slice(starts[p], starts[p] + parts[p])
            # summed images of each row (species sums, dipoles, ion centres) times each box
            add = np.einsum("rj,tjk->trk", self._apply(self._maps, shifts[p][None])[0],
                            matrices[rows])
            position_sum[rows] += add[:, :n_sp]
            dipole[rows] += add[:, n_sp : 2 * n_sp]
            com[rows] += add[:, 2 * n_sp]
            k_rows = slice(kept_starts[p], kept_starts[p] + r.kept_counts[p])
            kept[k_rows] += np.einsum("rj,tjk->trk",
                                      self._apply(self._centre, shifts[p][None])[0],
                                      matrices[index[k_rows]])
        return {"position_sum": position_sum, "dipole": dipole, "com_position": com,
                "ion_positions": kept, "ion_stride": stride, "ion_offset": offset}


def _charge_current_of(universe):
    """(path, charge_current record) of the H5MD file a Universe reads, or ``None``."""
    from pathlib import Path

    from .conductivity import read_charge_current
    from .observables import is_h5md_path

    name = getattr(universe.trajectory, "filename", None)
    if not (name and is_h5md_path(name) and Path(name).exists()):
        return None
    try:
        obs = read_charge_current(name)
    except (OSError, ValueError):
        return None
    return None if obs is None else (Path(name), obs)


def _h5md_file_of(universe):
    """The path of the H5MD file a Universe reads, or ``None``."""
    from pathlib import Path

    from .observables import is_h5md_path

    name = getattr(universe.trajectory, "filename", None)
    return name if name and is_h5md_path(name) and Path(name).exists() else None


def _pressure_tensor_of(universe, label, window=None):
    """The ``pressure_tensor`` observable of the H5MD file a Universe reads, as a collection
    (the samples of ``window``, the analysed frames' time span in ps, when given).

    ``None`` when the trajectory is not such a file or it records no pressure tensor; a file
    whose pressure tensor cannot be used (no volume, fewer than 2 samples, uneven spacing)
    gives ``None`` with a warning that says why, so that the other analyses still run.
    """
    from .viscosity import pressure_tensor_collection

    name = _h5md_file_of(universe)
    if name is None:
        return None
    try:
        return pressure_tensor_collection(name, required=False, window=window)
    except (OSError, ValueError) as err:
        warnings.warn(f"{label}: the pressure_tensor observable of {name} is not used: {err}",
                      RuntimeWarning, stacklevel=3)
        return None


def collect(universes, ions, **kwargs):
    """Run one :class:`IonCollector` per Universe; the list of their collections.

    Every collector is set up (and its arguments checked) before the first pass.

    Parameters
    ----------
    universes : MDAnalysis.Universe or list of Universe
        Independent runs of one system; positions in Å, times in ps.
    ions : dict
        Species name -> selection string or AtomGroup, as for :class:`IonCollector`.
    **kwargs
        For :class:`IonCollector`; ``run_kwargs`` (dict) goes to its ``run()``.

    Returns
    -------
    list of IonCollection
        One per Universe, in their order.
    """
    from .carriers import _as_universes

    run_kwargs = kwargs.pop("run_kwargs", {})
    if not isinstance(run_kwargs, dict):
        raise TypeError(f"run_kwargs must be a dict of run() arguments (e.g. {{'start': 100}}), "
                        f"not {run_kwargs!r}")
    us = _as_universes(universes)
    # every collector first: a Universe refused by its set-up (no velocities, a selection that
    # selects nothing) was refused only after the passes over the ones before it
    collectors = [IonCollector(u, ions, n_universes=len(us), label=f"Universe {k}", **kwargs)
                  for k, u in enumerate(us)]
    return [col.run(**run_kwargs).collection for col in collectors]


def check_time_spacing(times, frames, label, *, what="analysed frames", item="frame"):
    """The frame spacing (ps) of analysed frames at ``times`` (ps), refused unless they
    increase in equal steps.

    Times are often stored in single precision (TRR, XTC, DCD): their round-off is allowed.
    That allowance grows with the time itself (8 single-precision epsilons of the largest
    time: 0.19 ps at 200 ns), so a step twice as long as the others (a frame missing) is
    refused apart wherever the other steps agree to a quarter of a step: before, a frame
    missing from a run with 10 fs frames was accepted from 10.5 ns on and ``dt`` came out the
    mean step (0.01001 ps).

    Parameters
    ----------
    times : numpy.ndarray
        Time of every analysed frame, ps (at least 2).
    frames : numpy.ndarray
        Their frame indices, for the message.
    label : str
        Names the trajectory in the message.
    what, item : str
        What the times are of, plural and singular (the per-step observables of an H5MD file
        are "samples": they take the same allowance, so that a float32 time's round-off
        accepted for frames is accepted for them too).

    Returns
    -------
    float
        dt in ps.
    """
    steps = np.diff(times)
    dt = (times[-1] - times[0]) / (times.size - 1)
    if 0 < dt < MIN_FRAME_SPACING_PS:
        check_frame_spacing(dt, f"{label}: the spacing of the {what}")
    # digits enough to tell neighbouring frames apart: 6 wrote a step from 20004.99 to
    # 20005.01 ps as "20005 to 20005"
    span = np.abs(times).max() / abs(dt) if dt and np.isfinite(dt) else 1.0
    digits = max(6, int(np.ceil(np.log10(max(span, 1.0)))) + 2)
    tol = 1e-3 * abs(dt) + 8 * np.finfo(np.float32).eps * np.abs(times).max()
    if not np.all(steps > 0):
        k = int(np.flatnonzero(~(steps > 0))[0]) + 1
        raise ValueError(
            f"{label}: the time does not increase between {what} (from "
            f"{times[k - 1]:.{digits}g} ps at {item} {frames[k - 1]} to "
            f"{times[k]:.{digits}g} ps at {item} {frames[k]}; steps from {steps.min()} to "
            f"{steps.max()} ps); {what.split()[-1]} must be in "
            "time order with dt > 0 (files joined with overlapping times: "
            "Universe(..., continuous=True), which MDAnalysis offers for XTC and TRR; other "
            "formats: write each restart with its true start time)"
        )
    deviation = np.abs(steps - np.median(steps))
    jump = deviation > 0.5 * np.median(steps)
    # the other steps resolved to a quarter of a step (single-precision round-off is whole
    # units of the last place, at most 2 per step): a step off by half of one is a frame
    # missing or added, whatever the round-off allowance (which only unresolved times need)
    resolved = jump.any() and np.all(deviation[~jump] < 0.25 * np.median(steps))
    if resolved or np.any(np.abs(steps - dt) > tol):
        # located against the most common step (the mean dt lies between the two)
        k = int(np.argmax(jump if resolved else deviation > tol)) + 1
        raise ValueError(
            f"{label}: the {what} are not equally spaced in time "
            f"(steps from {steps.min()} to {steps.max()} ps; the first uneven step is into "
            f"{item} {frames[k]}, from {times[k - 1]:.{digits}g} to {times[k]:.{digits}g} ps)"
        )
    return float(dt)


def check_chain_times(trajectory, index, label):
    """Refuse, before the pass, analysed frames of joined files that are not evenly spaced.

    For a :class:`~MDAnalysis.coordinates.chain.ChainReader` (a Universe of several files,
    e.g. the segments of a restarted run) the time of every analysed frame is predicted from
    the first and last frame of the file holding it (two frames read per file), and judged as
    :func:`check_time_spacing` judges the frames after the pass: a joint that repeats a frame,
    overlaps, skips frames or goes back in time (files out of order, DCD files that each start
    at 0 ps) is refused with the files named, not after reading every frame. Uneven times
    inside one file are still found after the pass. Other readers: nothing is read, and a
    selection of frames that are not evenly spaced (``frames=`` missing one, repeating or
    reordering frames) is refused from the reader's time step; before, it was refused only
    after the pass had read every frame.

    Parameters
    ----------
    trajectory : MDAnalysis.coordinates.base.ProtoReader
    index : numpy.ndarray
        Trajectory indices of the analysed frames, increasing.
    label : str
        Names the trajectory in the message.
    """
    from MDAnalysis.coordinates.chain import ChainReader

    if len(index) < 2:
        return
    index = np.asarray(index, dtype=np.intp)
    if not isinstance(trajectory, ChainReader):
        steps = np.diff(index)
        dt = reader_time_step(trajectory) if np.any(steps != steps[0]) else None
        if dt is not None:
            # the current frame's time places the selection (nothing is read)
            ts = trajectory.ts
            try:
                check_time_spacing(ts.time + (index - ts.frame) * dt, index, label)
            except ValueError as err:
                raise ValueError(f"{err}; found before reading the frames, from the frames "
                                 f"selected (frames=, start/stop/step) at {dt:.6g} ps per "
                                 "frame: select evenly spaced frames") from None
        return
    n_files = len(trajectory.readers)
    starts = np.asarray(trajectory._start_frames[:n_files], dtype=np.intp)
    ends = np.append(starts[1:], trajectory.n_frames) - 1
    which = np.searchsorted(starts, index, side="right") - 1
    times = np.empty(index.size)
    spans = {}
    current = trajectory.ts.frame
    try:
        for k in np.unique(which):
            first = float(trajectory[int(starts[k])].time)
            last = float(trajectory[int(ends[k])].time)
            spans[int(k)] = (first, last)
            rows = which == k
            n = int(ends[k] - starts[k])
            local = index[rows] - starts[k]
            times[rows] = first + (last - first) * local / n if n else first
    finally:
        trajectory[current]
    try:
        check_time_spacing(times, index, label)
    except ValueError as err:
        names = [str(f) for f in trajectory.filenames]
        files = "; ".join(
            f"{names[k]}: frames {starts[k]}-{ends[k]}, {t0:.6g} to {t1:.6g} ps"
            for k, (t0, t1) in list(spans.items())[:6]
        )
        raise ValueError(f"{err}; found before reading the frames, from the {n_files} files "
                         f"the trajectory joins ({files})") from None


#: An atom that moves across the joint of two files more than this many times the root mean
#: square displacement of a frame step inside them (and more than :data:`JOINT_MIN_JUMP`) is
#: taken for atoms stored in another order. Displacements of one frame step are Gaussian-like:
#: ten times their RMS is beyond 5.8 standard deviations even for hydrogen, whose thermal
#: displacement is about three times the mean (a chance of ~1e-7 per atom and joint).
JOINT_JUMP_RATIO = 10.0
#: Å: an ion stored in another place of the file lands on another ion's place, never closer
#: than a bond.
JOINT_MIN_JUMP = 1.0


def check_chain_joints(trajectory, atoms, index, label):
    """Refuse, before the pass, joined files (a ChainReader) that store the atoms in different
    orders.

    A run restarted by another program (or with the molecules renumbered) writes the same atoms
    in another order: at the joint every displaced ion jumps onto another ion's place. Unwrapped
    by minimum image this is no error, and the jump enters the MSD of one block (20 Li⁺ of 40
    ions reordered in the second of two files gave D(Li⁺) = 0.86 ± 0.80 Å²/ps, "valid", for
    0.1). For every joint inside the selection two frame steps next to it are read (the last of
    one file, the first of the next), four frames per joint, and an atom that moves across the
    joint by more than :data:`JOINT_JUMP_RATIO` times the RMS displacement of those steps (and
    more than :data:`JOINT_MIN_JUMP` Å) is refused. Frames far apart (steps of several Å) cannot
    tell a reorder from motion and pass.

    Parameters
    ----------
    trajectory : MDAnalysis.coordinates.base.ProtoReader
    atoms : MDAnalysis.core.groups.AtomGroup
        The atoms whose positions the analysis reads.
    index : numpy.ndarray
        Trajectory indices of the analysed frames, increasing.
    label : str
        Names the trajectory in the message.

    Raises
    ------
    ValueError
        Naming the files, the frames and how many atoms jump how far.
    """
    from MDAnalysis.coordinates.chain import ChainReader
    from MDAnalysis.lib.distances import minimize_vectors

    if not isinstance(trajectory, ChainReader) or len(index) < 2 or atoms.n_atoms == 0:
        return
    n_files = len(trajectory.readers)
    starts = np.asarray(trajectory._start_frames[:n_files], dtype=np.intp)
    ends = np.append(starts[1:], trajectory.n_frames) - 1
    lo, hi = int(np.min(index)), int(np.max(index))
    current = trajectory.ts.frame

    def step(a, b):
        ra = atoms.positions.astype(np.float64) if a is None else a
        trajectory[b]
        rb = atoms.positions.astype(np.float64)
        box = trajectory.ts.dimensions
        d = rb - ra
        if box is not None and np.all(np.asarray(box[:3]) > 0):
            d = minimize_vectors(d, box)
        return np.linalg.norm(d, axis=1), rb

    try:
        for k in range(n_files - 1):
            last, first = int(ends[k]), int(starts[k + 1])
            if not lo <= last < first <= hi or first > ends[k + 1]:
                continue
            references = []
            trajectory[last]
            r_last = atoms.positions.astype(np.float64)
            if last - 1 >= starts[k]:
                trajectory[last - 1]
                references.append(step(None, last)[0])
            jump, r_first = step(r_last, first)
            if first + 1 <= ends[k + 1]:
                references.append(step(r_first, first + 1)[0])
            if not references:
                continue
            scale = float(np.sqrt(np.mean(np.concatenate(references) ** 2)))
            bad = jump > max(JOINT_JUMP_RATIO * scale, JOINT_MIN_JUMP)
            if bad.any():
                names = [str(f) for f in trajectory.filenames]
                raise ValueError(
                    f"{label}: {int(bad.sum())} of the {atoms.n_atoms} analysed atoms jump by "
                    f"{jump[bad].min():.3g}-{jump[bad].max():.3g} Å across the joint of "
                    f"{names[k]} and {names[k + 1]} (frames {last} to {first}), while a frame "
                    f"step inside them moves the atoms by {scale:.3g} Å (RMS): the files hold "
                    "the atoms in different orders (a restart written with another atom order), "
                    "and the jump would be taken for motion; write every file in the "
                    "topology's atom order"
                )
    finally:
        trajectory[current]


def reader_time_step(trajectory):
    """The time step a reader records, in ps, or ``None`` where it records none.

    A reader without one (MDAnalysis' own H5MD reader, whose frames still carry their times)
    answers ``trajectory.dt`` with an assumed 1 ps and a warning: that number is not the
    spacing of the frames, and a check before the pass (segment lengths, the same step in every
    trajectory) must not judge by it. The frames' own times are judged after the pass
    (:func:`check_time_spacing`).

    Parameters
    ----------
    trajectory : MDAnalysis.coordinates.base.ProtoReader

    Returns
    -------
    float or None
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            dt = float(trajectory.dt)
        except Exception:  # noqa: BLE001 - a reader without times: judged after the pass
            return None
    if any("no dt information" in str(w.message) for w in caught):
        return None
    return dt if 0 < dt < np.inf else None


#: Time steps DCD writers put in the header when they know none, in the header's unit (AKMA,
#: 48.888 fs): 1.0 (VMD's and MDTraj's molfile writer; also a LAMMPS "real" run of 1 fs, whose
#: header holds fs that MDAnalysis reads as AKMA), and 1 ps (20.4548 AKMA, MDAnalysis'
#: ``DCDWriter`` without ``dt``). An MD engine's own DCD (CHARMM, NAMD, OpenMM) records its
#: integration step, a few fs (0.0409 AKMA for 2 fs), with the frames every ``nsavc`` steps.
_DCD_PLACEHOLDER_STEPS = {
    1.0: "the placeholder step of 1 AKMA time unit (48.9 fs) that VMD, MDTraj and LAMMPS "
         "(its fs read as AKMA) write",
}


def _dcd_placeholder_step(trajectory):
    """Why a DCD trajectory's time is not the spacing of its frames, or ``None``.

    Every file a (chained) DCD reader reads is judged by its header unless ``dt`` was given
    when it was loaded: a placeholder step, or a file whose title says LAMMPS wrote it (its step
    in LAMMPS units, read as AKMA). Other readers, and ``format="LAMMPS"``, give ``None``.
    """
    from MDAnalysis.coordinates.DCD import DCDReader
    from MDAnalysis.units import convert as mda_convert

    readers = getattr(trajectory, "readers", None) or [trajectory]
    given = getattr(trajectory, "_kwargs", {}).get("dt") is not None
    for reader in readers:
        # format="LAMMPS" reads the header in the unit its timeunit= names: the user's choice
        if (given or not isinstance(reader, DCDReader) or reader.n_frames < 2
                or reader.units.get("time") != "AKMA"):
            continue
        if getattr(reader, "_kwargs", {}).get("dt") is not None:
            continue
        header = reader._file.header
        delta, nsavc = float(header["delta"]), int(header["nsavc"])
        name = getattr(reader, "filename", "the DCD file")
        remarks = str(header.get("remarks", ""))
        if "created by lammps" in remarks.lower():
            # LAMMPS writes its own time unit (fs for units real, ps for metal) where the
            # format has AKMA: 2 fs steps read as 97.8 fs
            return (f"the DCD file {name} was written by LAMMPS, whose header step "
                    f"({delta:g} x {nsavc} steps per frame) is in LAMMPS time units, read by "
                    "MDAnalysis' DCD reader as AKMA (48.9 fs)")
        if delta in _DCD_PLACEHOLDER_STEPS:
            return (f"the DCD file {name} records a step of {delta:g} (header delta) x "
                    f"{nsavc} steps per frame, {_DCD_PLACEHOLDER_STEPS[delta]}")
        step_ps = mda_convert(delta, "AKMA", "ps")
        if nsavc == 1 and abs(step_ps - 1.0) < 1e-6:
            return (f"the DCD file {name} records 1 ps per frame (header delta {delta:.6g} "
                    "AKMA, nsavc 1), the default of MDAnalysis' DCDWriter written without dt")
    return None


def check_has_time(trajectory, label):
    """Refuse a trajectory of several frames whose reader knows no time.

    PDB (multi-model), GRO, XYZ and other formats without times: MDAnalysis then assumes
    dt = 1 ps with a warning, and every rate (D, σ) would be off by the true spacing. Times
    come from the file (XTC, TRR, DCD, H5MD, ...) or from ``dt=`` given to the Universe. A DCD
    header's step that is a writer's placeholder (1 AKMA of VMD, MDTraj and LAMMPS; 1 ps per
    frame of MDAnalysis' ``DCDWriter`` without ``dt``), or that LAMMPS wrote in its own time
    unit (title "Created by LAMMPS"), is refused too unless ``dt=`` was given:
    MDAnalysis reads it as the spacing (frames 50 fs apart written without ``dt`` read as 1 ps
    apart, and every rate came out 20 times too small).

    Parameters
    ----------
    trajectory : MDAnalysis.coordinates.base.ProtoReader
    label : str
        Names the trajectory in the message.
    """
    from .bridge import TIME_UNKNOWN

    if trajectory.n_frames < 2:
        return
    if getattr(trajectory, TIME_UNKNOWN, False):
        raise ValueError(
            f"{label}: its frames carry no time (ASE frames without info['time_ps'], a LAMMPS "
            "dump), so their spacing is unknown and the 1 ps assumed when it was loaded would "
            "scale every rate (D, σ); give the ps between frames (dt= of from_ase, --dt of "
            "electrolyte analyze)"
        )
    placeholder = _dcd_placeholder_step(trajectory)
    if placeholder is not None:
        raise ValueError(
            f"{label}: {placeholder}, not the spacing of its frames, so every rate (D, σ) "
            "would be off by the ratio of the two; give the ps between frames when loading, "
            "e.g. mda.Universe(topology, trajectory, dt=<ps between frames>) (dt=1.0 too if "
            "1 ps is the true spacing), or format='LAMMPS' with timeunit= for a LAMMPS DCD"
        )
    data = trajectory.ts.data
    if "time" in data or "dt" in data:
        return
    name = type(trajectory).__name__.replace("Reader", "")
    raise ValueError(
        f"{label}: the trajectory ({name}) records no time, so the spacing of its frames is "
        "unknown (MDAnalysis would assume 1 ps); give it when loading, e.g. "
        "mda.Universe(topology, trajectory, dt=<ps between frames>)"
    )
