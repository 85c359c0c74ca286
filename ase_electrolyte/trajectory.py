"""H5MD trajectories of ASE runs that MDAnalysis reads, with the electrolyte topology inside.

Layout (H5MD 1.1, one particle group ``trajectory``, the name MDAnalysis' own writer uses)::

    /h5md                                   version, author, creator
    /particles/trajectory/position/{value,step,time}   Å, ps
    /particles/trajectory/velocity/{value,step,time}   Å/ps
    /particles/trajectory/force/{value,step,time}      kJ/(mol·Å)
    /particles/trajectory/box/edges/{value,step,time}  Å, (3, 3) cell vectors as rows (only
                                                       when periodic in some direction)
    /particles/trajectory/species, mass, charge        atomic number, amu (the physical masses,
                                                       also of a run with heavy hydrogen),
                                                       formal charge (e)
    /observables/<name>/{value,step,time}       one value per frame (frame-aligned):
                                                potential_energy, kinetic_energy (eV),
                                                temperature (K), volume (Å³), density (g/cm³),
                                                pressure (bar) when the calculator gives stress;
                                                temperature's attrs degrees_of_freedom and
                                                centre_of_mass_removed state what it counts
                                                (run_md's 3N − N_constraints − 3, from the
                                                writer's atoms; also on its series)
    /observables/dt/{value,step,time}           ps, the spacing of the frames (from the
                                                second frame on; MDAnalysis' dt)
    /parameters/ase_electrolyte/                molecule_index, species_name, pbc, cell,
                                                start_positions (Å, the state the run began at),
                                                integration_mass (amu, only where the run
                                                integrated with other masses, e.g. heavy
                                                hydrogen; a resume integrates with them),
                                                attrs n_frames (frames fully written), complete,
                                                run_info (JSON)
    /parameters/ase_electrolyte/series/<name>/{value,step,time}
                                                every sampled step (e.g. densities every 10 fs
                                                between frames every 100 fs)
    /parameters/ase_electrolyte/integrator/<name>/{value,step,time}
                                                the integrator's own state at each frame
                                                (ASE units: the Nosé–Hoover chain and MTK
                                                barostat variables of run_md), written with
                                                the frame; what a resume restores

The particle group is named ``trajectory`` because MDAnalysis builds the minimal topology of
``MDAnalysis.Universe("run.h5md")`` from ``particles/trajectory`` only (its reader takes any
name); files of earlier versions, whose group is ``all``, are read and resumed as they are
(:func:`particle_group`).

MDAnalysis' :class:`~MDAnalysis.coordinates.H5MD.H5MDReader` takes ``observables/<name>/value``
at the frame index into ``ts.data``; that is why ``/observables`` holds exactly one value per
frame and the denser samples live under ``/parameters``, where MDAnalysis does not look.
Observables may be vectors or tensors (the shape is fixed by the first value written); names and
units are registered in :data:`OBSERVABLE_UNITS`.

MDAnalysis' reader reads no time step: ``u.trajectory.dt`` is ``ts.data["dt"]`` where the file
has it, else 1 ps. The writer stores the frame spacing as the frame-aligned
``/observables/dt`` (:data:`FRAME_SPACING`, from the second frame on), which that reader takes
into ``ts.data``, so ``MDAnalysis.Universe("run.h5md").trajectory.dt`` is the spacing in ps
(files of earlier versions, and a file of one frame, have none: 1 ps, with MDAnalysis'
warning; :func:`~mda_electrolyte.bridge.from_ase` takes the spacing from the times).

What MDAnalysis' own reader does not take from the file, and
:func:`~mda_electrolyte.bridge.from_ase` does: the box's ``boundary`` (a system periodic in some
directions only, ``pbc=[True, True, False]``, gets a 3D-periodic box of the cell, whose
distances wrap across the vacuum; :func:`~mda_electrolyte.bridge.from_ase` gives it none), and
the masses, elements and molecules (its minimal topology has none).

Every reader here refuses a file that is not this version's trajectory by name: another
program's H5MD or HDF5 file (:func:`foreign_h5md`), a file of the first version (its
``/observables`` held every sampled step rather than one value per frame), a file whose unit
attributes are not the ones written here (rewritten in nm or fs by another tool: MDAnalysis
would convert them and these readers not), rather than read it with a wrong time axis or box.

Velocities and forces are stored in MDAnalysis' units so that
``MDAnalysis.coordinates.H5MD.H5MDReader`` reads the particle data as is; the conversions use
:mod:`ase.units` constants (:data:`~ase_electrolyte.units.VELOCITY_TO_ANGSTROM_PER_PS`,
:data:`~ase_electrolyte.units.FORCE_TO_KJ_PER_MOL_ANGSTROM`).

Safety of the data:

* A new file appears with its first frame: it is built beside its name and renamed over it
  once it holds a frame (MDAnalysis' reader cannot open a file of no frame), so a run stopped
  before its first frame leaves the previous file, or none, never an unreadable one. The file
  is synced before the rename and its folder after it, so that the new name survives a power
  cut.
* The integrator's own state (thermostat and barostat chains) is written with each frame,
  before ``position``, and counts with it: a resume restores the state of the frame it
  starts from (:func:`integrator_state`).
* A frame counts only once every dataset holds it and ``n_frames`` has been bumped and flushed;
  reopening with ``mode="a"`` truncates anything beyond ``n_frames`` (an interrupted write), so
  a restart never loses or duplicates a frame. ``complete`` is set only when the run that wrote
  the file closed it normally.
* Per-step samples (:meth:`H5MDWriter.write_observables`) are buffered in memory and written
  with the next frame, one resize and one write per dataset (or earlier, once
  ``buffer_samples`` wait). Between frames the file is not touched at all, so a process killed
  there leaves exactly the file of the last frame. Samples after the last complete frame never
  count: :func:`h5md_series` stops at that frame, a resume truncates them and recomputes them,
  and an error drops the buffer. The series therefore never runs ahead of the frames a resume
  restarts from.
* The writer refuses non-finite positions, cells, velocities, forces or observables and step
  numbers that do not increase.
* Before each write the writer checks that the disk (``statvfs``) and the process' file-size
  limit (``RLIMIT_FSIZE``) leave room for the frame with a margin for HDF5's own allocations; if
  not it raises :class:`TrajectoryFullError` (an ``OSError`` with ``errno`` ENOSPC or EFBIG)
  *before* touching the file, which stays readable with all frames written so far and resumes
  once there is room. Raw data bypass HDF5's chunk cache, so a failing write raises at once.
  The room is then allocated on disk (Linux ``fallocate``, the file's size unchanged) and what
  the write did not use given back after it: a disk filled by another process after the check
  is met by the allocation, again before the file is touched, not half-way through HDF5's
  write. A write that fails all the same (an I/O error) closes the file without HDF5 writing
  its cached metadata over it: the file keeps the state of its last flush.
* Readable while written, without HDF5's SWMR mode: a file in SWMR mode cannot be opened by a
  reader that does not ask for SWMR, which MDAnalysis' :class:`~MDAnalysis.coordinates.H5MD.\
H5MDReader` does not, and a writer killed in SWMR mode leaves consistency flags that need
  ``h5clear`` before the next plain open. Instead the writer opens the file without HDF5 file
  locking, so a reader (MDAnalysis, :func:`~mda_electrolyte.bridge.from_ase`, :func:`read_h5md`)
  can open a trajectory that is being written and never blocks a resume; everything of a frame
  is written and flushed at once, ``position`` last and ``n_frames`` after it, so a reader
  that opens the file between two frames sees whole frames only. What SWMR would add and this
  does not guarantee: a reader that opens the file *during* a frame's flush (milliseconds per
  frame) may see a half-updated file (an open that fails, or one frame more in ``position``
  than ``n_frames`` counts: :func:`~mda_electrolyte.bridge.from_ase` retries), and a reader
  that keeps the file open does not see frames written after it opened it (reopen to follow a
  run). (Within *one* process HDF5 refuses to open a file twice with different locking flags:
  read a running trajectory from another process, or with :func:`open_h5md`.)
* One writer per file: since HDF5 does not lock the file, :class:`H5MDWriter` claims it first
  (:class:`~ase_electrolyte.writer_lock.WriterLock`, an exclusive ``flock`` on a hidden
  ``.<name>.lock`` beside it, which the operating system drops when the writer's process ends,
  however it ends). A second writer, in another process or thread, is refused at once with
  :class:`~ase_electrolyte.writer_lock.ConcurrentWriterError` before it opens the file, and the
  first one's file stays as it writes it; readers take no claim and are never refused.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import math
import os
import resource
import sys
from pathlib import Path

import h5py
import numpy as np
from ase import Atoms
from ase.calculators.singlepoint import SinglePointCalculator
from ase.data import chemical_symbols

from . import __version__
from .topology import FORMAL_CHARGE, MOLECULE_INDEX, SPECIES, get_topology, set_topology
from .writer_lock import ConcurrentWriterError, WriterLock

__all__ = [
    "H5MDWriter",
    "TrajectoryFullError",
    "ForeignTrajectoryError",
    "ConcurrentWriterError",
    "read_h5md",
    "h5md_info",
    "h5md_series",
    "integrator_state",
    "integration_masses",
    "open_h5md",
    "foreign_h5md",
    "is_h5md_path",
    "H5MD_SUFFIXES",
    "OBSERVABLE_UNITS",
    "FRAME_SPACING",
    "VELOCITY_TO_ANGSTROM_PER_PS",
    "FORCE_TO_KJ_PER_MOL_ANGSTROM",
    "TIME_TO_PS",
    "GCM3_TO_AMU_PER_A3",
    "series_chunk_rows",
    "PARTICLE_CHUNK_ROWS",
    "PARTICLE_DATA",
]

# the conversion factors live in ase_electrolyte.units; re-exported for existing imports
from .units import (  # noqa: E402
    FORCE_TO_KJ_PER_MOL_ANGSTROM,
    GCM3_TO_AMU_PER_A3,
    TIME_TO_PS,
    VELOCITY_TO_ANGSTROM_PER_PS,
)

_GROUP = "particles/trajectory"
#: The particle group of files written before it took MDAnalysis' name.
_LEGACY_GROUP = "particles/all"


def particle_group(h5file):
    """Path of the particle group of one of our H5MD files (``particles/trajectory``).

    Files of earlier versions hold it as ``particles/all``; that path is returned for them, so
    they are read and resumed unchanged. A file holding neither gets the current path (reading
    it then fails with the missing group named).
    """
    if _GROUP not in h5file and _LEGACY_GROUP in h5file:
        return _LEGACY_GROUP
    return _GROUP

_META = "parameters/ase_electrolyte"
_SERIES = "parameters/ase_electrolyte/series"
#: The integrator's own variables stored with each frame (run_md's thermostat and barostat
#: chains): what a resume from that frame needs besides positions, velocities and cell.
_INTEGRATOR = "parameters/ase_electrolyte/integrator"
#: The per-atom vectors of a frame :class:`H5MDWriter` stores, each a float64 (or the writer's
#: dtype) array of shape (atoms, 3) per frame: velocity and force where asked for, all three in
#: the files :func:`~ase_electrolyte.md.run_md` and :func:`~ase_electrolyte.md.relax` write.
PARTICLE_DATA = ("position", "velocity", "force")
#: Observable name → unit. Extend it to record more (any fixed shape per name).
OBSERVABLE_UNITS = {
    "potential_energy": "eV",
    "kinetic_energy": "eV",
    "temperature": "K",
    "volume": "Angstrom3",
    "density": "g cm-3",
    "pressure": "bar",
    # per-species charge current Σ q_i v_i, shape (n_species, 3), and the full pressure tensor
    # (3, 3), recorded by run_md for Green–Kubo conductivity and viscosity
    "charge_current": "e Angstrom ps-1",
    "pressure_tensor": "bar",
    # largest per-atom force spread of a committee calculator (ase_electrolyte.committee)
    "max_forces_std": "eV Angstrom-1",
    # the integrator's conserved quantity (run_md): total energy in NVE, with the Nosé–Hoover
    # chain's (and MTK barostat's) energy terms in NVT (NPT); its drift judges the time step
    "conserved_energy": "eV",
}
_OBSERVABLE_UNITS = OBSERVABLE_UNITS  # the name other modules used before
#: The frame spacing in ps, ``/observables/dt/value`` (frame k: time[k] - time[k-1]; frame 0
#: the spacing after it), written from the second frame on. MDAnalysis' H5MD reader reads no
#: time step and said ``u.trajectory.dt`` = 1.0 ps for every file; it takes
#: ``observables/<name>/value`` at the frame into ``ts.data``, and ``Timestep.dt`` is
#: ``ts.data["dt"]``. Not an observable a run records: no writer argument takes it.
FRAME_SPACING = "dt"
# bytes of one chunk of a series' values, at most: a chunk holds
# clamp(_CHUNK_BYTES // row_bytes, 1, 256) rows (a row larger than this is a chunk alone). Small
# enough that a write which starts a chunk needs little room; large enough that a series of
# small rows (a charge current of 6 species, 144 B) is not stored one row per chunk, which added
# an index entry of 40 to 55 B and an HDF5 call to every row of a 200 001-sample production
# series. Particle data are not sized so: see PARTICLE_CHUNK_ROWS.
_CHUNK_BYTES = 32 * 1024
# Why one frame: chunks of 16 to 32 kB for a small box (21 to 42 frames of 32 atoms) had its
# first frame allocate 48 to 96 kB
# more (measured for 32 atoms: the first frame's reserve 430 -> 470 kB with 16 kB chunks, and a
# run on a 460 kB disk then stopped before its first frame rather than after several), to save
# the chunk index of a frame (measured 164 to 215 B for the three, 3 % of a 100-atom frame's
# 7.2 kB; nothing from 683 atoms on, whose frames of over 16 kB are one per 32 kB chunk anyway)
#: Frames in each chunk of the position, velocity and force data :class:`H5MDWriter` creates:
#: a frame is a chunk of its own whatever the box (time series: :func:`series_chunk_rows`).
PARTICLE_CHUNK_ROWS = 1
# most rows of a chunk: a step, time or scalar series in chunks of 2 kB, so that a series'
# first chunk (written whole) adds little to a short run's file
_CHUNK_ROWS = 256
# room kept free beyond the chunks a write starts, for HDF5's metadata (B-tree nodes, headers)
_METADATA_MARGIN = 64 * 1024
# object header and chunk index of a new dataset (measured: ~6.5 kB each with its first chunks)
_DATASET_OVERHEAD = 4096
# a new file before its first frame: groups and empty datasets (measured 25 kB), and per atom
# its species, mass, charge, molecule index, start position and species name (~70 B + name)
_SKELETON_BYTES = 32 * 1024
_SKELETON_BYTES_PER_ATOM = 128


class TrajectoryFullError(OSError):
    """No room left (disk full or file-size limit) to write the next frame; nothing was written.

    Raised before the write: the writer checks the free space and the file-size limit and
    allocates the room of each write on disk before HDF5 writes into it, so that a disk
    filled by another process in between is met here, not half-way through HDF5's write.
    """


#: What to do after a write failed with a full disk or the file-size limit (the frames
#: before it are kept: a rerun resumes).
_AGAIN = {errno.ENOSPC: "; make room and run again",
          errno.EFBIG: "; raise the file-size limit (ulimit -f) or write elsewhere, and run again",
          errno.EDQUOT: "; make room within the disk quota and run again"}


class _Unpublished(Exception):
    """Thrown into the temporary file's ``atomic_path`` to remove it instead of renaming it."""


class _OpenHere(OSError):
    """The file to write is open for reading in this process; HDF5 refuses to write it."""


class _MissingSeries(ValueError, KeyError):
    """An observable that the file does not record, named with those it does.

    A ValueError (a name the file cannot answer), and a KeyError as it was before (callers
    that catch that keep working); printed as its message, not as KeyError's quoted repr."""

    __str__ = BaseException.__str__


class ForeignTrajectoryError(ValueError):
    """A sound HDF5 file that is not a trajectory this version writes (another program's, or
    an early version's): named as such, never as damaged, and never appended to or replaced
    on the package's word.

    A :class:`ValueError`, as the readers' other refusals are; its own class so that the
    error's name says what it is (it showed as the private ``_NotOurs``).
    """


#: The suffixes of an H5MD file: ``.h5md`` (MDAnalysis' reader knows it by this one) and the
#: HDF5 ones.
H5MD_SUFFIXES = (".h5md", ".h5", ".hdf5")


def is_h5md_path(path):
    """Whether ``path`` names an H5MD file, to be read by the H5MD readers: a file that
    exists by its content (the HDF5 signature, ``h5py.is_hdf5``) or an H5MD suffix, a path
    not yet written by its suffix (:data:`H5MD_SUFFIXES`, any case).

    The one test of the package: three suffix lists sent ``run.dat``, a trajectory of
    run_md renamed, to ``ase.io`` ("cannot be read as .dat: UnicodeDecodeError ... byte
    0x89"). An existing file with an H5MD suffix that is not HDF5 is an H5MD path too, for
    the H5MD readers to refuse by name (a damaged or mislabelled file), not for ``ase.io`` to
    guess at. A Universe, Atoms or anything that is no path: ``False``.

    Examples
    --------
    >>> is_h5md_path("run.H5MD"), is_h5md_path("run.extxyz"), is_h5md_path(None)
    (True, False, False)
    """
    if not isinstance(path, str | os.PathLike) or hasattr(path, "trajectory"):
        return False
    try:
        path = Path(os.fspath(path))
    except TypeError:
        return False
    if path.suffix.lower() in H5MD_SUFFIXES:
        return True
    try:
        return path.is_file() and h5py.is_hdf5(path)
    except OSError:
        return False  # unreadable: the reader it goes to names the fault


def open_h5md(path, mode="r"):
    """Open an H5MD file with h5py, without HDF5 file locking.

    A reader of a running trajectory then neither fails on the writer's lock nor blocks a
    resume; the writer flushes whole frames (see the module notes).
    """
    # os' "expected str, bytes or os.PathLike object, not NoneType" named no argument
    if not isinstance(path, str | bytes | os.PathLike):
        raise TypeError(f"an H5MD file path (str or os.PathLike) is needed, not "
                        f"{type(path).__name__} {path!r:.60}")
    try:
        return h5py.File(path, mode, locking=False)
    except OSError as err:
        # HDF5's "Unable to synchronously open file (unable to open file: name = ..., errno =
        # 2, ..., o_flags = 0)" for a file that is not there, or a folder
        if err.errno == errno.ENOENT and mode == "r":
            raise FileNotFoundError(errno.ENOENT, "no such H5MD file (check the path and "
                                    "the working folder)", os.fspath(path)) from None
        if err.errno == errno.EISDIR or os.path.isdir(path):
            raise IsADirectoryError(errno.EISDIR, "a folder, not an H5MD file: give the "
                                    "*.h5md file in it", os.fspath(path)) from None
        if "signature not found" in str(err):
            # HDF5's message names no file: a run's output folder holds several
            raise OSError(f"{os.fspath(path)} is not an HDF5 (H5MD) file ({err})") from None
        if "truncated file" in str(err):
            # a copy cut short: "Unable to synchronously open file (truncated file: eof = ...)"
            # named neither the file nor what to do
            raise OSError(f"{os.fspath(path)} is truncated: shorter than its HDF5 header says (a "
                          "copy or a download cut short, or a damaged header), it cannot be "
                          f"opened ({err})") from None
        # already open in this process with the default flags (e.g. by MDAnalysis' reader)
        if "locking flag" in str(err):
            return h5py.File(path, mode)
        if err.errno is None:
            # HDF5's own (no system error: the file is there and may be read): a superblock
            # overwritten gave "Unable to synchronously open file (actual len exceeds EOA)"
            raise OSError(f"{os.fspath(path)} is damaged: HDF5 cannot open it ({err})") from None
        raise


@contextlib.contextmanager
def _reading(path):
    """:func:`open_h5md` for the readers: h5py's errors on a damaged file become
    :func:`damaged_h5md`.

    A file whose object headers were overwritten (a disk fault, a bad copy, a hand edit with a
    binary editor) opens, and then h5py raised ``KeyError: 'Unable to synchronously open object
    (bad object header version number)'`` or ``RuntimeError: ... (addr overflow ...)`` from
    :func:`read_h5md`, :func:`h5md_info`, :func:`start_state`, naming neither the file nor the
    damage. Only errors raised while reading are translated: one opening the file (none there,
    no permission, not HDF5, truncated) is :func:`open_h5md`'s, and the readers raise their own
    ``IndexError``/``KeyError`` (no such frame or observable) outside this context.
    """
    with open_h5md(path) as f:
        try:
            yield f
        except (KeyError, RuntimeError, OSError, json.JSONDecodeError) as err:
            raise damaged_h5md(path, f"HDF5 cannot read its structure ({err})") from None


def _float_dtype(dtype):
    """``dtype`` as the stored arrays' numpy dtype: float32 or float64, else a ValueError.

    An integer dtype stored every position truncated to whole ångströms (a rattle of 0.1 Å
    read back up to 0.9 Å off) without a word; bool and complex failed at the first frame
    with ``OSError: [Errno 5] writing step 0 ... failed`` (an I/O error for a wrong
    argument); float16 keeps three digits (0.03 Å at 50 Å, forces of 10⁴ kJ/mol/Å at 8).
    """
    try:
        kind = np.dtype(dtype)
    except TypeError:
        kind = None
    if kind is None or kind.kind != "f" or kind.itemsize not in (4, 8):
        raise ValueError(f"dtype must be a floating type of 32 or 64 bits (numpy.float32 or "
                         f"numpy.float64) for the stored positions, velocities and forces, "
                         f"got {dtype!r}")
    return kind


def _check_objects(f, path):
    """Open every group and dataset of the open file ``f``: a :func:`damaged_h5md` naming
    ``path`` for one whose object header cannot be read.

    A header overwritten in a dataset no reader opens (an observable, a per-step series)
    passed the reuse checks, and the resume then failed with h5py's bare ``KeyError`` (bad
    object header version number) when the writer truncated it; ``electrolyte simulate``'s
    early check (:func:`~ase_electrolyte.md.stage_file_problem`) passed it before the model
    loaded. Called where a file is reused or resumed (no writer at work on it), not by the
    readers, which may read a trajectory while its writer adds datasets.
    """

    def touch(name):
        obj = f[name]
        if isinstance(obj, h5py.Dataset):
            obj.shape, obj.dtype  # noqa: B018 - read from the object header

    try:
        f.visit(touch)
    except (KeyError, RuntimeError, OSError) as err:
        raise damaged_h5md(path, f"HDF5 cannot open one of its objects ({err})") from None


class H5MDWriter:
    """Append frames of an ASE run to an H5MD file.

    Parameters
    ----------
    path : str or os.PathLike
    atoms : ase.Atoms
        Defines the particles (numbers, masses, topology arrays when present) and the start
        positions recorded in the file. Not modified.
    mode : {"w", "a"}
        ``"w"`` creates (overwrites) the file: it is built beside ``path`` and replaces it
        with its first frame (or when closed as complete without one), so that a run stopped
        before its first frame leaves the previous file, or none, never one that MDAnalysis
        cannot open; ``"a"`` continues an existing one after its last complete frame and
        checks that ``atoms`` has the same particles.
    velocities, forces : bool
        Store velocities and forces (forces need a calculator on the written Atoms).
    dtype : numpy dtype
        Floating type of the stored positions, velocities and forces: ``numpy.float64``
        (default) or ``numpy.float32`` (half the size, 7 digits); others are refused.
    run_info : dict, optional
        JSON-serialisable description of the run (ensemble, time step, calculator, ...), stored
        as the ``run_info`` attribute; in append mode it must equal the stored one (a file
        that stores none is not appended to with one). NumPy numbers and arrays, paths and
        tuples are stored as JSON holds them (numbers, lists, text); a NaN or infinite number
        (no JSON: other readers fail on the bare ``NaN`` token) or a value JSON cannot hold is
        refused before the file is touched.
    masses : array_like, optional
        The particles' physical masses (amu), stored as ``particles/trajectory/mass``, where
        H5MD readers take masses from; default ``atoms``' masses. Where ``atoms`` carries other
        masses (those the run integrates with: ``run_md``'s heavy hydrogen), those are stored
        apart, as ``parameters/ase_electrolyte/integration_mass``
        (:func:`start_state`'s ``masses``): a file that stored the 3 amu hydrogens of Ju et
        al. (2025)'s pre-equilibration as the particles' masses gave every reader of the file
        a box 5 % heavier (densities, centres of mass). Only in ``"w"`` mode.
    buffer_samples : int
        Per-step samples (:meth:`write_observables`) kept in memory before they are written
        without a frame, at least 1; every frame writes them anyway. Each sample holds every
        observable of one step (about 200 bytes with the charge current and pressure tensor).

    Raises
    ------
    ValueError
        A ``dtype`` other than float32 or float64, a ``buffer_samples`` that is not a whole
        number of at least 1. In append mode, if the file holds other particles than
        ``atoms`` or another run, is not readable, or is not a trajectory of this writer
        (another program's H5MD file, a file of the first version): named as such, the file
        unchanged.
    PermissionError
        The file (or its file system) is not writable, in append mode, or in ``"w"`` mode
        where it exists (it is not replaced); the file is unchanged.
    ConcurrentWriterError
        Another writer (process or thread) has the file open; it is not opened. The claim is
        held until :meth:`close` (re-entrant: a thread that has claimed the file with
        :class:`~ase_electrolyte.writer_lock.WriterLock`, as ``run_md`` does, may open it).
    OSError
        The file is open for reading in this process (a Universe of
        :func:`~mda_electrolyte.bridge.from_ase`; HDF5 writes no file a process has open),
        ``errno.EBUSY``; the file is unchanged.

    Examples
    --------
    >>> from ase.build import molecule
    >>> from ase.calculators.emt import EMT
    >>> import tempfile, os
    >>> atoms = molecule("H2O", vacuum=3.0, pbc=True); atoms.calc = EMT()
    >>> path = os.path.join(tempfile.mkdtemp(), "t.h5md")
    >>> with H5MDWriter(path, atoms) as w:
    ...     w.write(atoms, step=0, time=0.0)
    >>> h5md_info(path)["n_frames"]
    1
    """

    def __init__(
        self,
        path,
        atoms,
        *,
        mode="w",
        velocities=True,
        forces=True,
        dtype=np.float64,
        run_info=None,
        masses=None,
        buffer_samples=4096,
    ):
        if mode not in ("w", "a"):
            raise ValueError(f"mode must be 'w' or 'a', not {mode!r}")
        if masses is not None and mode != "w":
            raise ValueError("masses are stored when the file is created (mode='w'), not when "
                             "it is appended to")
        from .atoms_checks import check_number

        # checked before the lock and the file: json.dumps wrote a NaN as the bare token NaN,
        # which strict JSON readers (jq, JavaScript, h5web) refuse
        run_info = _plain_run_info(run_info, path)
        # NaN failed in int() ("cannot convert float NaN to integer"), naming no argument
        self.buffer_samples = check_number("buffer_samples", buffer_samples, integer=True,
                                           minimum=1)
        # per-step samples waiting in memory: name -> [steps, times, values]
        self._pending = {}
        self._n_pending = 0
        # absolute now: the process' folder may change while the file is written (os.chdir)
        self.path = Path(os.path.abspath(os.fspath(path)))
        if self.path.is_dir():
            raise ValueError(f"{self.path} is a folder; give a file name (*.h5md)")
        if not self.path.parent.is_dir():
            raise ValueError(f"{self.path}: the folder {self.path.parent} does not exist")
        if len(atoms) == 0:
            raise ValueError("a trajectory of no atoms")
        # incomplete topology arrays would fail half-way through creating the file
        get_topology(atoms)
        self.n_atoms = len(atoms)
        # every frame's elements, in order (append mode checks the file's against these)
        self._numbers = atoms.numbers.copy()
        self._dtype = _float_dtype(dtype)
        self._integration_masses = atoms.get_masses().copy()
        self._masses = self._integration_masses if masses is None else _physical_masses(
            masses, len(atoms))
        # the temperature's degrees of freedom, from the constraints of the atoms given (run_md
        # keeps them for the run): filled in where a write gives none, and stated in the file
        # (a constraint of one's own that does not say what it removes, ASE's base class: the
        # whole kinetic energy over 3N, and the file says so)
        from .md import _temperature_count_of

        self._temperature_count = _temperature_count_of(atoms)
        self._file = None
        self._broken = False
        # (descriptor, end) of the room allocated for the next write (_reserve)
        self._reserved = None
        # the file being written (a temporary one until the first frame) and what renames it
        self._where = self.path
        self._publish = None
        # before the file is opened, let alone truncated: one writer per file (see the notes)
        self._lock = WriterLock(self.path, "trajectory").acquire()
        try:
            self._open_file(atoms, mode, velocities, forces, run_info)
            # the time step the run states (run_md's run_info): every time written is checked
            # against it; the file's own where appended to without one
            stored = self._file[_META].attrs.get("run_info")
            self._step_ps = _stated_step_ps(
                run_info if run_info is not None or stored is None else json.loads(stored))
        except BaseException:
            self._close_quietly()
            self._discard_unpublished()
            self._lock.release()
            raise

    def _open_file(self, atoms, mode, velocities, forces, run_info):
        if mode == "a" and self.path.exists():
            try:
                self._file = self._open("a")
                _check_ours(self._file, self.path)
                check_h5md_layout(self._file, self.path)
                _check_objects(self._file, self.path)
                self._group_path = particle_group(self._file)
                self._file[self._group_path]["position/step"][()]
            except _OpenHere:
                raise
            except ForeignTrajectoryError as err:
                self._close_quietly()
                # another program's output, or an early version's run: not damaged, and not
                # to be removed on our word
                raise ValueError(f"{err}; not appending to it, the file is unchanged: choose "
                                 "another path (mode='w' replaces it)") from None
            except (OSError, KeyError, ValueError, RuntimeError) as err:
                self._close_quietly()
                if getattr(err, "errno", None) in (errno.EACCES, errno.EPERM, errno.EROFS):
                    # a sound file the user may not write: "cannot be read ... remove it" had
                    # them delete their run
                    raise PermissionError(
                        err.errno,
                        f"{self.path} cannot be resumed: it is not writable "
                        f"({os.strerror(err.errno)}); the file is unchanged: give it write "
                        "permission (chmod u+w) or write the run to another path",
                    ) from None
                raise ValueError(
                    f"{self.path} cannot be read ({err}); it cannot be resumed: remove it"
                ) from None
            self._check_same_particles(atoms)
            stored = self._file[_META].attrs.get("run_info")
            if run_info is not None and stored is None:
                self._file.close()
                raise ValueError(
                    f"{self.path} records no run settings (an older version's or another "
                    f"program's file): not appending the run {json.dumps(run_info)} to it; "
                    "remove the file or choose another path"
                )
            if run_info is not None and json.loads(stored) != json.loads(json.dumps(run_info)):
                self._file.close()
                raise ValueError(
                    f"{self.path} was written by a different run ({stored}); not appending "
                    f"{json.dumps(run_info)}: remove the file or choose another path"
                )
            stated = _stated_count(self._file)
            if stated is not None and stated != self._temperature_count:
                self._file.close()
                def count(dof, com):
                    return (f"{dof} degrees of freedom (centre of mass "
                            f"{'at rest' if com else 'moving'})")

                raise ValueError(
                    f"{self.path} records temperatures of {count(*stated)}, the atoms given "
                    f"{count(*self._temperature_count)}: their constraints differ; not "
                    "appending, the file is unchanged: give the atoms the file's constraints, "
                    "or choose another path"
                )
            self._truncate_to_complete()
            self._file[_META].attrs["complete"] = False
            self._file.flush()
        else:
            self._create_whole(atoms, velocities, forces, run_info)
            self._group_path = _GROUP
        group = self._file[self._group_path]
        self.has_velocities = "velocity" in group
        self.has_forces = "force" in group
        self.has_box = "edges" in group["box"]
        # every frame's periodicity (a frame of other pbc is refused: see _check_frame_atoms)
        self._pbc = np.asarray(self._file[_META]["pbc"][()], dtype=bool)
        self._attrs = self._file[_META].attrs
        self.n_frames = int(self._attrs["n_frames"])
        # dataset handles looked up once: h5py name lookups dominate a frame's cost otherwise
        self._particles = {
            name: _handles(group[name])
            for name in ("position", "velocity", "force", "box/edges")
            if name in group
        }
        self._frame_obs = {k: _handles(g) for k, g in self._file["observables"].items()}
        self._series = {k: _handles(g) for k, g in self._file[_SERIES].items()}
        self._integrator = ({k: _handles(g) for k, g in self._file[_INTEGRATOR].items()}
                            if _INTEGRATOR in self._file else {})
        # name -> (step, time) of its last sample: each series runs forward in both
        self._series_last = {
            k: ((int(h[1][h[1].shape[0] - 1]), float(h[2][h[2].shape[0] - 1]))
                if h[1].shape[0] else _NO_SAMPLE)
            for k, h in self._series.items()
        }
        self._series_flushed = dict(self._series_last)
        # every sample carries the same observables, as every frame does: a series that lacks
        # some steps is no longer the evenly spaced grid its readers take it for
        self._sample_names = sorted(self._series) or None
        self._shapes = {}
        self._frame_shapes = {}
        steps = self._particles["position"][1]
        self._last_step = int(steps[self.n_frames - 1]) if self.n_frames else -1
        # kept here as the step is: read from the file at every sample, it cost a dataset
        # read per MD step of a run that records every step
        times = self._particles["position"][2]
        self._last_time = float(times[self.n_frames - 1]) if self.n_frames else float("nan")
        self._frame_observables = sorted(k for k in self._frame_obs if k != FRAME_SPACING)

    def _create_whole(self, atoms, velocities, forces, run_info):
        """Build the empty trajectory beside ``path``; it replaces ``path`` with its first frame.

        HDF5 writes a new file's structure at its first flush: a process killed between the
        truncating open and that flush (a kill at the start of a run) left a damaged file in
        place, which every rerun refused ("cannot be read ... remove it") although it held no
        frame. A file of no frame, even a sound one, is no trajectory either: MDAnalysis'
        H5MD reader fails on it with a bare ``OSError`` (its first frame is read on opening),
        and a run is killed there often (a model loading or compiling before its first
        forces). So the file is built beside the target
        (:func:`~ase_electrolyte.atomic_file.atomic_path`) and renamed over ``path`` once it
        holds a frame (or is closed as complete): until then ``path`` keeps the previous
        file, or none, and a kill leaves at worst a hidden temporary file, which the next
        writer of ``path`` removes.
        """
        from .atomic_file import atomic_path

        if self.path.exists():
            # HDF5 writes no file this process has open: say so (EBUSY), as a truncating open
            # did, rather than replace the file under the reader
            try:
                self._open("r+").close()
            except _OpenHere:
                raise
            except OSError:  # not HDF5 (replaced when overwriting), or damaged
                pass
        self._remove_stale_skeletons()
        # a file-size limit or a full disk met while HDF5 built the file failed its flush, then
        # its close, and the process died at exit (SIGSEGV): refused here, before it is opened
        _refuse_unless_room(self.path, 0, _skeleton_bytes(atoms, run_info),
                            f"nothing was written, {self.path} is unchanged; make room and run "
                            "again")
        publish = atomic_path(self.path)
        tmp = publish.__enter__()  # refuses a read-only file, which the rename would replace
        try:
            self._file = h5py.File(tmp, "w", locking=False, rdcc_nbytes=0)
            # allocated before HDF5 writes the structure, as every later write's room is
            self._reserve(_skeleton_bytes(atoms, run_info),
                          f"nothing was written, {self.path} is unchanged; make room and run "
                          "again")
            self._create(atoms, velocities, forces)
            if run_info is not None:
                self._file[_META].attrs["run_info"] = json.dumps(run_info)
            self._file.flush()
            self._release_reserve()
        except BaseException:
            self._close_quietly()
            self._file = None
            publish.__exit__(*sys.exc_info())  # removes the temporary file
            raise
        self._publish = publish
        self._where = tmp

    def _publish_file(self):
        """Rename the file built beside ``path`` over it (flushed to disk first)."""
        publish, self._publish = self._publish, None
        self._file.flush()
        publish.__exit__(None, None, None)
        self._where = self.path

    def _discard_unpublished(self):
        """Remove the file that never held a frame; ``path`` keeps what it held before."""
        publish, self._publish = self._publish, None
        if publish is not None:
            publish.__exit__(_Unpublished, _Unpublished(), None)

    def _remove_stale_skeletons(self):
        """Remove the temporary skeletons of this file that killed writers left behind.

        Called with the file's writer claim held: no other writer of it is running, so every
        such file (``.<stem>.<pid>-<thread>-<n>.part<suffix>``, the stem shortened for a long
        name: :func:`~ase_electrolyte.atomic_file.temporaries_of`) belongs to a dead one.
        """
        from .atomic_file import temporaries_of

        for stale in temporaries_of(self.path):
            with contextlib.suppress(OSError):
                stale.unlink()

    def _open(self, mode):
        # no chunk cache: a chunk is written (or fails) inside the call that writes it
        try:
            return h5py.File(self.path, mode, locking=False, rdcc_nbytes=0)
        except OSError as err:
            # HDF5 opens a file once per process: a reader left open here (a Universe of
            # from_ase) made a resume say "cannot be read ... remove it", an overwrite fail with
            # "unable to truncate a file which is already open"
            # "locking flag values don't match": open here with HDF5's default locking, by
            # MDAnalysis' Universe or its H5MDWriter, which keeps its file open after writing
            if "already open" not in str(err) and "locking flag" not in str(err):
                raise
            raise _OpenHere(
                errno.EBUSY,
                f"{self.path} is open for reading in this process (an MDAnalysis Universe of "
                "from_ase, or an h5py File): close it first (u.trajectory.close(), or delete "
                "the Universe); the file is unchanged",
            ) from None

    # --- file structure -------------------------------------------------------------------
    def _create(self, atoms, velocities, forces):
        f = self._file
        h5md = f.create_group("h5md")
        h5md.attrs["version"] = np.array([1, 1])
        h5md.create_group("author").attrs["name"] = "ase_electrolyte"
        creator = h5md.create_group("creator")
        creator.attrs["name"] = "ase_electrolyte"
        creator.attrs["version"] = __version__
        group = f.create_group(_GROUP)
        n = self.n_atoms
        datasets = [("position", "Angstrom")]
        if velocities:
            datasets.append(("velocity", "Angstrom ps-1"))
        if forces:
            datasets.append(("force", "kJ mol-1 Angstrom-1"))
        for name, unit in datasets:
            self._time_series(group.create_group(name), (n, 3), unit, PARTICLE_CHUNK_ROWS)
        box = group.create_group("box")
        box.attrs["dimension"] = 3
        box.attrs["boundary"] = np.array(
            [b"periodic" if p else b"none" for p in atoms.pbc], dtype="S8"
        )
        if atoms.pbc.any():
            self._time_series(box.create_group("edges"), (3, 3), "Angstrom")
        group.create_dataset("species", data=atoms.numbers.astype(np.int32))
        group.create_dataset("mass", data=self._masses).attrs["unit"] = "amu"
        topo = get_topology(atoms)
        meta = f.create_group(_META)
        if not np.array_equal(self._integration_masses, self._masses):
            meta.create_dataset("integration_mass", data=self._integration_masses).attrs[
                "unit"] = "amu"
        meta.create_dataset("pbc", data=np.asarray(atoms.pbc, dtype=bool))
        meta.create_dataset("cell", data=np.asarray(atoms.cell.array, dtype=np.float64))
        meta.create_dataset("start_positions", data=atoms.get_positions())
        meta.create_group("series")
        if topo is not None:
            group.create_dataset("charge", data=topo[FORMAL_CHARGE]).attrs["unit"] = "e"
            meta.create_dataset(MOLECULE_INDEX, data=topo[MOLECULE_INDEX])
            meta.create_dataset(
                "species_name", data=topo[SPECIES].astype(object), dtype=h5py.string_dtype()
            )
        f.create_group("observables")
        meta.attrs["n_frames"] = 0
        meta.attrs["complete"] = False

    def _time_series(self, group, shape, unit, rows=None):
        """Empty ``value``, ``step`` and ``time`` datasets of a series of rows of ``shape``, in
        chunks of ``rows`` rows (default :func:`series_chunk_rows`'s)."""
        if group.name.rsplit("/", 1)[-1] == "temperature":
            # what the temperatures count (temperature_count reads it back)
            dof, com = self._temperature_count
            group.attrs["degrees_of_freedom"] = dof
            group.attrs["centre_of_mass_removed"] = com
        dtype = self._value_dtype(shape)
        group.create_dataset(
            "value",
            shape=(0, *shape),
            maxshape=(None, *shape),
            dtype=dtype,
            chunks=(rows or series_chunk_rows(shape, dtype.itemsize), *shape),
        ).attrs["unit"] = unit
        group.create_dataset(
            "step", shape=(0,), maxshape=(None,), dtype=np.int64, chunks=(series_chunk_rows(()),)
        )
        group.create_dataset(
            "time", shape=(0,), maxshape=(None,), dtype=np.float64, chunks=(series_chunk_rows(()),)
        ).attrs["unit"] = "ps"

    def _value_dtype(self, shape):
        return self._dtype if len(shape) else np.dtype(np.float64)

    def _new_bytes(self, handles, stored, added, shape):
        """:func:`_new_chunk_bytes` of a series (``handles``, ``None`` before it is created):
        an existing dataset keeps the chunks it was created with (those of an earlier version's
        file, too)."""
        if handles is None:
            itemsize = self._value_dtype(shape).itemsize
            rows = series_chunk_rows(shape, itemsize)
        else:
            itemsize, rows = handles[0].dtype.itemsize, handles[0].chunks[0]
        return _new_chunk_bytes(stored, added, rows, int(np.prod(shape)) * itemsize)

    def _check_frame_atoms(self, atoms):
        """Refuse a frame of other atoms: another count, or the same count of other elements
        or order (a frame of reordered atoms was written under the file's species, every
        position given to another atom)."""
        if len(atoms) != self.n_atoms:
            raise ValueError(f"frame has {len(atoms)} atoms, the file {self.n_atoms}")
        numbers = atoms.numbers
        if not np.array_equal(numbers, self._numbers):
            i = int(np.flatnonzero(numbers != self._numbers)[0])
            raise ValueError(
                f"frame's atom {i} is {chemical_symbols[numbers[i]]}, the file's "
                f"{chemical_symbols[self._numbers[i]]} in {self.path}: the atoms are other "
                "elements or in another order than the file's; nothing is written")
        # the file's periodicity is fixed when it is made: a periodic frame in a file of no
        # box lost its cell without a word, a frame of no periodicity in a periodic file was
        # read back periodic, and a periodic cell vector of zero length (or two parallel
        # ones) was stored as the box, the density inf, MDAnalysis' box of length 0
        pbc = np.asarray(atoms.pbc, dtype=bool)
        if not np.array_equal(pbc, self._pbc):
            raise ValueError(
                f"frame has pbc {pbc.tolist()}, the file {self._pbc.tolist()} ({self.path}): "
                "a trajectory keeps the periodicity of its first frame; nothing is written "
                "(write the frames of other periodicity to another file)")
        rows = np.asarray(atoms.cell.array, dtype=np.float64)[pbc]
        if len(rows) and np.all(np.isfinite(rows)) and np.linalg.matrix_rank(rows) < len(rows):
            raise ValueError(
                f"frame's cell {atoms.cell.array.tolist()} has zero or parallel vectors along "
                f"its periodic directions ({self.path}): no box; nothing is written")
        why = _other_masses(atoms.get_masses(), self._integration_masses, numbers)
        if why:
            # its velocities and kinetic temperature are of another integration than the
            # file states (integration_masses)
            raise ValueError(
                f"frame's masses differ from those of the run in {self.path}: {why}; nothing "
                "is written (write a run of other masses to another file)")

    def _check_same_particles(self, atoms):
        group = self._file[self._group_path]
        numbers = group["species"][()]
        if numbers.shape[0] != len(atoms) or not np.array_equal(numbers, atoms.numbers):
            self._file.close()
            raise ValueError(
                f"{self.path} holds {numbers.shape[0]} particles that differ from the "
                f"{len(atoms)} atoms given; cannot append"
            )
        self._masses = group["mass"][()]
        meta = self._file[_META]
        # the masses the file's velocities and temperatures belong to (an earlier version
        # stored them as the particles' masses), which every frame appended is checked
        # against: frames of other masses appended to them mixed two integrations under one
        # statement, the same velocities' temperature 3.97 K in one frame and 1.48 K in the
        # next. Not ``atoms``' masses: run_md's resume opens with the caller's atoms, of the
        # physical masses, and writes the frames of its heavy-hydrogen copy
        self._integration_masses = _run_masses(meta, group)

    @property
    def _mass_total(self):
        return float(np.sum(self._masses))

    def _truncate_to_complete(self):
        """Drop every row after the last complete frame (the file's ``n_frames``).

        Rows of a frame whose write was cut short (an interrupt, a failed write) would otherwise
        be counted by MDAnalysis, which counts frames by the rows of ``position``.
        """
        n = int(self._file[_META].attrs["n_frames"])
        group = self._file[self._group_path]
        frame_groups = [group[name] for name in PARTICLE_DATA if name in group]
        if "edges" in group["box"]:
            frame_groups.append(group["box/edges"])
        frame_groups += list(self._file["observables"].values())
        for g in frame_groups:
            for key in ("value", "step", "time"):
                g[key].resize(n, axis=0)
        # the file's, not the writer's cache: an interrupt may fall between the two
        last = int(group["position/step"][n - 1]) if n else -1
        later = list(self._file[_SERIES].values())
        if _INTEGRATOR in self._file:
            later += list(self._file[_INTEGRATOR].values())
        for g in later:
            keep = int(np.searchsorted(g["step"][()], last + 1)) if n else 0
            for key in ("value", "step", "time"):
                g[key].resize(keep, axis=0)

    # --- writing --------------------------------------------------------------------------
    def last_step(self):
        """MD step of the last complete frame (``-1`` when empty)."""
        if getattr(self, "_last_step", None) is not None:
            return self._last_step
        steps = self._file[self._group_path]["position/step"]
        n = int(self._file[_META].attrs["n_frames"])
        return int(steps[n - 1]) if n else -1

    def last_time(self):
        """Time (ps) of the last complete frame (``nan`` when empty)."""
        if getattr(self, "_last_time", None) is not None:
            return self._last_time
        n = int(self._file[_META].attrs["n_frames"])
        return float(self._file[self._group_path]["position/time"][n - 1]) if n else float("nan")

    def _check_open(self):
        if self._file is None or not self._file:
            raise ValueError(f"{self.path} is closed")
        if self._broken:
            raise OSError(f"an earlier write to {self.path} failed; reopen it to resume")

    def write(self, atoms, step, time, observables=None, *, sample=True,
              integrator_state=None):
        """Append one frame (and every per-step sample buffered before it).

        Parameters
        ----------
        atoms : ase.Atoms
            Same particles as the file; forces are taken from its calculator.
        step : int
            MD step number, larger than that of the previous frame.
        time : float
            Simulation time in ps.
        observables : dict, optional
            Extra values among :data:`OBSERVABLE_UNITS` (units as in the module docstring);
            volume, density, temperature and kinetic energy are filled in from ``atoms`` when
            absent (the temperature as run_md records it, about the centre of mass with the
            count the file states, not ASE's 3N ``get_temperature``; a temperature given
            must count the same). Every frame must carry the same observables as the first.
        sample : bool
            Also record the frame's observables as a per-step sample (:func:`h5md_series`).
            ``False`` for a frame off the sampling grid (``run_md``'s last step when it is not
            a multiple of ``observe_interval``, or frames between two samples): the series then
            stays evenly spaced in time, which its readers (Green–Kubo integrals, statistical
            inefficiencies) require; the frame keeps its own copy under ``/observables``.
        integrator_state : dict, optional
            The integrator's own variables at this step (name to a finite float or array, in
            ASE units), stored with the frame (:func:`integrator_state` reads them back): the
            thermostat and barostat chains that a resume from this frame restores. A variable
            keeps its shape from frame to frame (one an integrator of another ASE version
            lacks is stored from the frames that have it).

        Raises
        ------
        ValueError
            Non-finite data, a step or time not after the last frame's (or, for a frame that is
            also a sample, the last sample's), a negative step, other atoms, other masses
            than those the file's run integrated with (:func:`integration_masses`: its
            velocities and temperatures would be of two integrations), another
            periodicity (pbc) than the file's or zero or parallel periodic cell vectors, other
            observables or shapes than earlier frames (and samples), observables that are not
            real numbers (a flag, a complex number, a string), a time that does not advance by
            ``run_info["timestep_fs"]`` per MD step from the last frame's or sample's (where
            the run states its time step: a time in ns or fs, not ps); nothing is written and
            the writer goes on.
        TrajectoryFullError
            No room for the frame and the buffered samples; the file is unchanged and the
            samples stay buffered (the same call may be repeated once there is room).
        OSError
            The write itself failed (the file holds the frames before this one).
        """
        self._check_open()
        self._check_frame_atoms(atoms)
        step = _as_step(step)
        time = _as_time(time)
        if step <= self.last_step():
            raise ValueError(
                f"step {step} does not follow the last frame's step {self.last_step()} "
                f"in {self.path}"
            )
        if self.n_frames:
            self._check_time_per_step(step, time, self.last_step(), self.last_time(),
                                      "the last frame's")
        # a later step at an earlier (or the same) time would give readers a negative dt
        if self.n_frames and not time > self.last_time():
            raise ValueError(
                f"time {time} ps of step {step} does not follow the last frame's time "
                f"{self.last_time()} ps in {self.path}"
            )
        arrays = {"position": atoms.get_positions()}
        if self.has_box:
            arrays["box/edges"] = atoms.cell.array
        self._check_finite(arrays, step)  # before asking a calculator about broken positions
        if self.has_velocities:
            arrays["velocity"] = atoms.get_velocities() * VELOCITY_TO_ANGSTROM_PER_PS
        if self.has_forces:
            arrays["force"] = atoms.get_forces() * FORCE_TO_KJ_PER_MOL_ANGSTROM
        self._check_finite(arrays, step)
        obs = self._observables(atoms, observables, step, time)
        names = sorted(obs)
        if self.n_frames and names != self._frame_observables:
            raise ValueError(
                f"frame at step {step} has observables {names}, earlier frames of {self.path} "
                f"{self._frame_observables}; every frame needs the same ones"
            )
        for name in names:
            # a frame's own copy (sample=False) is checked against the frames': h5py's
            # broadcast error inside the write broke the writer
            stored = self._frame_shape(name)
            if stored is not None and stored != obs[name].shape:
                raise ValueError(f"observable {name} of the frame at step {step} has shape "
                                 f"{obs[name].shape}, earlier frames {stored}")
        if sample:
            self._check_sample_names(names, step)
        state = self._integrator_values(integrator_state, step)
        # room for the frame, its observables (twice: frame-aligned and per-step), its
        # integrator state and the buffered samples, checked before anything is queued or written
        self._check_room(obs, state, what=f"frame {self.n_frames + 1} (step {step})")
        if sample:
            self._queue(obs, step, time)
        k = self.n_frames
        unpublished = self._publish is not None
        try:
            self._flush_pending()
            # frame-aligned data first, positions last: MDAnalysis counts frames by positions
            for name in names:
                self._append(self._file["observables"], self._frame_obs, name, obs[name],
                             step, time)
            if k:
                self._append_spacing(k, step, time)
            if state:
                parent = self._file.require_group(_INTEGRATOR)
                for name, value in state.items():
                    self._append(parent, self._integrator, name, value, step, time,
                                 unit="ASE (eV, Å, amu)")
            for name in ("box/edges", "force", "velocity", "position"):
                if name in arrays:
                    _append_rows(self._particles[name], k, arrays[name][None], [step], [time])
            # the frame exists only from here on
            self._attrs["n_frames"] = k + 1
            self._file.flush()
            self._release_reserve()
            if self._publish is not None:
                self._publish_file()
        except Exception as err:
            self._broken = True
            code = getattr(err, "errno", None) or errno.EIO
            raise OSError(
                code,
                f"writing step {step} to {self.path} failed ({err})"
                f"{self._room_report(code, f'frame {k + 1}')}; {self._kept_text(unpublished)}"
                f"{_AGAIN.get(code, '')}",
            ) from err
        self.n_frames = k + 1
        self._last_step = step
        self._last_time = time
        self._frame_observables = names

    def _append_spacing(self, k, step, time):
        """Frame ``k``'s row of :data:`FRAME_SPACING`; created at the second frame (or at the
        first frame a file of an earlier version gets from this writer) with the rows of the
        frames before it."""
        h = self._frame_obs.get(FRAME_SPACING)
        start = 0 if h is None else h[1].shape[0]
        if h is None:
            g = self._file["observables"].create_group(FRAME_SPACING)
            self._time_series(g, (), "ps")
            h = self._frame_obs[FRAME_SPACING] = _handles(g)
        position = self._particles["position"]
        steps = np.append(position[1][start:k], step)
        times = np.append(position[2][max(start - 1, 0):k], time)
        spacing = np.diff(times)
        if start == 0:
            spacing = np.append(spacing[:1], spacing)  # frame 0: the spacing after it
        _append_rows(h, start, spacing, steps, times[-len(steps):])

    def _check_time_per_step(self, step, time, last_step, last_time, what):
        """Refuse a time that runs slower per MD step after ``what`` (step ``last_step`` at
        ``last_time`` ps) than the shortest time step :func:`~ase_electrolyte.md.run_md`
        takes (1e-6 fs), or, where the run states its time step (``run_info["timestep_fs"]``),
        one that does not advance by that step per MD step.

        Times in seconds (25 fs frames as 2.5e-14) were stored as ps: the file was read with
        a frame spacing that from_ase's ``dt=`` and every transport analysis refuse, found only
        after the whole run had been written. Times in ns (1 fs steps as 1e-6) passed the
        bound: a file of 1000 times too short a frame spacing, every diffusion coefficient
        read from it 1000 times too large.
        """
        from .md import _MIN_TIMESTEP_FS

        per_step = (time - last_time) / (step - last_step)
        # the rounding of two times far from zero (1e-9 ps steps at 100 ps) is no slip
        rounding = 4.0 * np.finfo(float).eps * max(abs(time), abs(last_time)) / (step - last_step)
        if self._step_ps is not None and not math.isclose(per_step, self._step_ps,
                                                          rel_tol=1e-6, abs_tol=rounding):
            ratio = per_step / self._step_ps
            raise ValueError(
                f"time {time} ps of step {step} is {per_step:.6g} ps per MD step after "
                f"{what} ({last_time} ps at step {last_step}), {ratio:.3g} times the "
                f"{self._step_ps * 1000.0:g} fs time step of the run (run_info timestep_fs): "
                f"time is in ps (is it in seconds, ns or fs?); not written to {self.path}")
        # a time not after the last is named as such below, not as a slip of its unit
        if 0 < per_step and per_step + rounding < _MIN_TIMESTEP_FS / 1000.0:
            raise ValueError(
                f"time {time} ps of step {step} is {per_step:.3g} ps per MD step after "
                f"{what} ({last_time} ps at step {last_step}), below the {_MIN_TIMESTEP_FS:g} "
                f"fs of the shortest time step run_md takes: time is in ps (is it in "
                f"seconds?); not written to {self.path}")

    def _check_finite(self, arrays, step):
        for name, value in arrays.items():
            bad = ~np.isfinite(value)
            if bad.any():
                rows = np.unique(np.nonzero(bad)[0])[:10].tolist()
                raise ValueError(
                    f"refusing to write non-finite {name} at step {step} to {self.path} "
                    f"(rows {rows})"
                )

    def write_observables(self, atoms, step, time, observables=None):
        """Record observables only (no frame), e.g. the charge current at every MD step.

        They go to the per-step series (:func:`h5md_series`), not to ``/observables``. The
        samples are buffered in memory and written with the next frame (or once
        ``buffer_samples`` are waiting, or by :meth:`flush`/:meth:`close`): a sample counts only
        once a frame at or after its step is complete, since a resume restarts from the last
        complete frame and recomputes everything after it. Parameters are those of
        :meth:`write`.

        Raises
        ------
        ValueError
            Non-finite values or values that are not real numbers, unknown names, changed
            shapes, other observables than earlier samples (each series is one evenly spaced
            grid), a step or time not after the last sample's.
        TrajectoryFullError
            A full buffer found no room; the buffered samples after the last frame are
            dropped (a resume recomputes them) and the file is unchanged.
        """
        self._check_open()
        self._check_frame_atoms(atoms)
        step, time = _as_step(step), _as_time(time)
        # the latest sample of any series (or frame) before this one
        last = max([*self._series_last.values(),
                    *([(self.last_step(), self.last_time())] if self.n_frames else [])],
                   default=None)
        if last is not None and last[0] >= 0 and step > last[0]:
            self._check_time_per_step(step, time, *last, "the last sample's")
        obs = self._observables(atoms, observables, step, time)
        self._check_sample_names(sorted(obs), step)
        self._queue(obs, step, time)
        if self._n_pending >= self.buffer_samples:
            self.flush()

    def flush(self):
        """Write the buffered per-step samples to the file (no-op when none are waiting).

        Samples after the last complete frame are written but not yet counted (see
        :meth:`write_observables`).
        """
        self._check_open()
        if not self._n_pending:
            return
        try:
            self._check_room()
        except TrajectoryFullError as err:
            dropped = self._n_pending
            self._drop_pending()
            raise TrajectoryFullError(
                err.errno, f"{err.strerror}; {dropped} buffered samples after the last frame "
                "were dropped"
            ) from None
        try:
            self._flush_pending()
            self._file.flush()
            self._release_reserve()
        except Exception as err:
            self._broken = True
            code = getattr(err, "errno", None) or errno.EIO
            raise OSError(
                code,
                f"writing observables to {self.path} failed ({err})"
                f"{self._room_report(code, 'the samples')}; "
                f"{self._kept_text(self._publish is not None)}{_AGAIN.get(code, '')}",
            ) from err

    def _check_sample_names(self, names, step):
        if self._sample_names is not None and names != self._sample_names:
            raise ValueError(
                f"the sample at step {step} has observables {names}, earlier samples of "
                f"{self.path} {self._sample_names}; every sample needs the same ones (each "
                "series is read as one evenly spaced grid)"
            )

    def _frame_shape(self, name):
        shape = self._frame_shapes.get(name)
        if shape is None and name in self._frame_obs:
            shape = self._frame_shapes[name] = self._frame_obs[name][0].shape[1:]
        return shape

    def _observables(self, atoms, observables, step, time):
        obs = dict(observables or {})
        # defaults only when missing: each costs a pass over the atoms
        if atoms.pbc.all() and ("volume" not in obs or "density" not in obs):
            volume = atoms.get_volume()
            obs.setdefault("volume", volume)
            if "density" not in obs:
                # the particles' physical masses: heavy hydrogen is no denser liquid
                obs["density"] = self._mass_total / volume / GCM3_TO_AMU_PER_A3
        if "kinetic_energy" not in obs:
            obs["kinetic_energy"] = atoms.get_kinetic_energy()
        if "temperature" not in obs:
            # the count the file states (temperature_count), not ASE's 3N: a writer of no
            # run_md recorded 3N/(3N - 3) times less than run_md for the same velocities
            from .md import _kinetic_temperature

            obs["temperature"] = _kinetic_temperature(atoms, *self._temperature_count)
        for name, value in obs.items():
            if name not in OBSERVABLE_UNITS:
                raise ValueError(f"unknown observable {name!r}; known: {list(OBSERVABLE_UNITS)}")
            given = np.asarray(value)
            if given.dtype.kind not in "iuf":
                # a flag, a complex number, a string or None: no measurement in its unit
                raise ValueError(
                    f"observable {name} at step {step} must be real numbers "
                    f"({OBSERVABLE_UNITS[name]}), got {type(value).__name__} {value!r:.60}"
                )
            value = given.astype(np.float64, copy=False)
            if value.size == 0:
                # HDF5 makes no dataset of zero-sized chunks: the write failed half-way, as
                # an I/O error that broke the writer
                raise ValueError(f"observable {name} at step {step} is empty (shape "
                                 f"{value.shape}); leave it out rather than write no value")
            if not np.isfinite(value).all():
                raise ValueError(
                    f"refusing to write non-finite {name} ({value}) at step {step} to {self.path}"
                )
            stored = self._series_shape(name)
            if stored is not None and stored != value.shape:
                raise ValueError(f"observable {name} has shape {value.shape}, stored {stored}")
            last, last_time = self._series_last.get(name, _NO_SAMPLE)
            if step <= last:
                raise ValueError(
                    f"step {step} of {name} does not follow the last recorded step {last} "
                    f"in {self.path}"
                )
            if not time > last_time:
                # a later step at an earlier time: a negative time step for every reader
                raise ValueError(
                    f"time {time} ps of step {step} of {name} does not follow the last "
                    f"recorded time {last_time} ps (step {last}) in {self.path}"
                )
            obs[name] = value
        return obs

    def _series_shape(self, name):
        # cached: asking h5py for a shape costs more than the rest of a sample's bookkeeping
        shape = self._shapes.get(name)
        if shape is None:
            if name in self._series:
                shape = self._shapes[name] = self._series[name][0].shape[1:]
            elif name in self._pending:
                shape = self._pending[name][2][0].shape
        return shape

    def _queue(self, obs, step, time):
        for name, value in obs.items():
            queue = self._pending.get(name)
            if queue is None:
                queue = self._pending[name] = ([], [], [])
            queue[0].append(step)
            queue[1].append(time)
            queue[2].append(value)
            self._series_last[name] = (step, time)
        self._n_pending += 1
        self._sample_names = sorted(obs)

    def _drop_pending(self):
        self._pending = {}
        self._n_pending = 0
        self._series_last = dict(self._series_flushed)

    def _flush_pending(self):
        """One resize and one write per dataset for all buffered samples of each observable."""
        series = self._file[_SERIES]
        for name, (steps, times, values) in self._pending.items():
            if name not in self._series:
                g = series.create_group(name)
                self._time_series(g, values[0].shape, OBSERVABLE_UNITS[name])
                self._series[name] = _handles(g)
            h = self._series[name]
            _append_rows(h, h[1].shape[0], np.stack(values), steps, times)
            self._series_flushed[name] = (steps[-1], times[-1])
        self._pending = {}
        self._n_pending = 0

    def _integrator_values(self, state, step):
        """``state`` as name -> finite float64 arrays of the stored names and shapes, or a
        ValueError before anything is written."""
        if state is None:
            return {}
        if not isinstance(state, dict):
            raise TypeError(f"integrator_state must be a dict of arrays, got "
                            f"{type(state).__name__}")
        values = {}
        for name, value in state.items():
            given = np.asarray(value)
            if not isinstance(name, str) or not name.isidentifier() or (
                    given.dtype.kind not in "iuf") or given.size == 0:
                raise ValueError(f"integrator_state {name!r} at step {step} must be real "
                                 f"numbers under a plain name, got {value!r:.60}")
            given = given.astype(np.float64)
            if not np.isfinite(given).all():
                raise ValueError(f"refusing to write non-finite integrator state {name} "
                                 f"({given}) at step {step} to {self.path}")
            values[name] = given
        for name, value in values.items():
            stored = self._integrator[name][0].shape[1:] if name in self._integrator else None
            if stored is not None and stored != value.shape:
                raise ValueError(
                    f"integrator state {name} at step {step} has shape {value.shape}, earlier "
                    f"frames of {self.path} {stored}; a variable keeps its shape")
        return values

    def _append(self, parent, handles, name, value, step, time, unit=None):
        if name not in handles:
            g = parent.create_group(name)
            self._time_series(g, np.shape(value), unit or OBSERVABLE_UNITS[name])
            handles[name] = _handles(g)
        h = handles[name]
        _append_rows(h, h[1].shape[0], value[None], [step], [time])

    def _room_needed(self, frame=None, state=None):
        """Bytes the next write may add to the file, with a margin for HDF5's metadata.

        Counts the chunks the write starts: the buffered samples and, for a frame (``frame``:
        its observables), one row of the particle data, of the frame-aligned observables and
        of the per-step series; a dataset created on the way costs its header and chunk index
        besides. Data going into chunks already allocated need no room.
        """
        frame = frame or {}
        need = _METADATA_MARGIN
        created = 0
        if frame:
            for h in self._particles.values():
                need += self._new_bytes(h, h[1].shape[0], 1, h[0].shape[1:])
        for kind, values in ((self._frame_obs, frame), (self._integrator, state or {})):
            for name, value in values.items():
                h = kind.get(name)
                created += h is None
                need += self._new_bytes(h, 0 if h is None else h[1].shape[0], 1,
                                        np.shape(value))
        if frame and self.n_frames:
            # the frame spacing's row; created with the rows of the frames before it
            h = self._frame_obs.get(FRAME_SPACING)
            created += h is None
            need += self._new_bytes(h, 0 if h is None else h[1].shape[0],
                                    self.n_frames + 1 if h is None else 1, ())
        rows = {name: len(q[0]) for name, q in self._pending.items()}
        for name in frame:
            rows[name] = rows.get(name, 0) + 1
        for name, n in rows.items():
            h = self._series.get(name)
            created += h is None
            shape = self._series_shape(name)
            need += self._new_bytes(h, 0 if h is None else h[1].shape[0], n,
                                    np.shape(frame[name]) if shape is None else shape)
        return need + created * 3 * _DATASET_OVERHEAD

    def _kept_text(self, unpublished):
        """What ``path`` holds after a failed write: its complete frames, or, for a new file
        that never got its first frame (built beside it, never renamed over it), nothing.

        "the file holds 0 complete frames up to step -1" was said of a file that does not
        exist (or is still the previous run's)."""
        if self.n_frames == 0 and unpublished:
            return f"no frame was written, so {self.path} was not written (nor replaced)"
        return (f"the file holds {self.n_frames} complete frames "
                f"up to step {self.last_step()}")

    def _room_report(self, code, what):
        """``": it needed ~N bytes, ..."`` for a write that met a full disk or the file-size
        limit after :meth:`_check_room` had found room (a file system without ``fallocate``
        filled by another process meanwhile): what the user must free; ``""`` otherwise."""
        if code not in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
            return ""
        need = getattr(self, "_need", None)
        parts = [] if need is None else [f"{what} needed ~{need} bytes"]
        with contextlib.suppress(OSError):
            st = os.statvfs(self.path.parent)
            parts.append(f"{st.f_bavail * st.f_frsize} bytes are free on its disk")
        limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
        if limit != resource.RLIM_INFINITY:
            with contextlib.suppress(OSError):
                parts.append(f"the file-size limit is {limit} bytes, the file "
                             f"{os.path.getsize(self._where)}")
        return f": {', '.join(parts)}" if parts else ""

    def _check_room(self, frame=None, state=None, what=None):
        """Raise before writing when the disk or the file-size limit leaves too little room
        (``what``: the frame refused, for the message)."""
        need = self._need = self._room_needed(frame, state)
        size = max(os.path.getsize(self._where), self._file.id.get_filesize())
        where = f"{self._kept_text(self._publish is not None)}; make room and run again"
        if self.n_frames or self._publish is None:
            where += " to resume"
        if what:
            where = f"{what} was not written; {where}"
        _refuse_unless_room(self.path, size, need, where)
        self._reserve(need, where)

    def _reserve(self, need, where):
        """Allocate on disk the ``need`` bytes after the file's end that the next write may use.

        The check of free space alone left a race: another process filling the disk between it
        and HDF5's write failed that write half-way, often in the flush of HDF5's metadata,
        some of it written in place and some not, and the file was left unreadable with every
        frame in it. With the blocks allocated beforehand (Linux ``fallocate`` with
        ``FALLOC_FL_KEEP_SIZE``: the file's size and bytes are unchanged) the write cannot find
        the disk full; a disk full now is refused here, before anything is written. Where the
        file system cannot allocate ahead, the free-space check stands alone.
        """
        allocate = _keep_size_fallocate()
        if allocate is None:
            return
        try:
            fd = self._file.id.get_vfd_handle()
            start = int(self._file.id.get_filesize())
        except Exception:  # noqa: BLE001 - a driver without a descriptor: the check stands
            return
        if allocate(fd, start, max(int(need), 1)) == 0:
            self._reserved = (fd, start + max(int(need), 1))
            return
        err = ctypes.get_errno()
        if err in (errno.ENOSPC, errno.EDQUOT):
            raise TrajectoryFullError(
                err, f"no room for {self.path}: reserving ~{need} bytes on its disk for the "
                f"next write failed ({os.strerror(err)}); {where}")
        # EOPNOTSUPP, ENOSYS, EINVAL, ...: a file system that cannot allocate ahead

    def _release_reserve(self):
        """Give back the allocated room the last write did not use (blocks past the file's end),
        so that the next free-space check does not count it as taken, nor the closed file keep
        it.

        A hole punched past the end frees nothing on ext4 (it punches up to the file's size
        only, and says it succeeded): a closed stage file kept 66 to 136 kB of blocks beyond
        its size, the last write's reserve. A truncation to the file's own size leaves its
        bytes as they are and frees the blocks past it on ext4 (which truncates allocated
        blocks past the end even when the size does not change; measured: 5 kB left beyond
        the size, 1 kB for the same file written without reserves); the punch stays for file
        systems that free past the end that way.
        """
        reserved, self._reserved = self._reserved, None
        if reserved is None:
            return
        fd, end = reserved
        with contextlib.suppress(OSError):
            size = os.fstat(fd).st_size
            if end > size:
                _keep_size_fallocate(punch=True)(fd, size, end - size)
                os.ftruncate(fd, size)

    def _close_quietly(self):
        try:
            if self._file is not None and self._file:
                self._file.close()
        except Exception:  # noqa: BLE001 - closing after a failure: the error is reported
            pass

    def _close_discarding(self):
        """Close the file without HDF5 writing anything more into it.

        After a write failed inside HDF5 (the disk filled, or the file-size limit was met,
        after :meth:`_check_room` had found room), its metadata cache holds the failed write's
        changes and its end-of-file address lies beyond what was written: the normal close
        wrote that metadata and end address over the last flushed state, and the file ended
        shorter than it said it was ("truncated file"), unreadable with every frame in it.
        HDF5 has no close that discards, so its descriptor is pointed at ``os.devnull``
        first: the close writes there, and the file keeps the state of its last flush (whole
        frames, and samples before them), which a resume truncates to its last frame.
        """
        if self._file is None or not self._file:
            return
        try:
            fd = self._file.id.get_vfd_handle()
        except Exception:  # noqa: BLE001 - a driver without a descriptor: close as it can
            fd = None
        if isinstance(fd, int) and fd >= 0:
            null = os.open(os.devnull, os.O_RDWR)
            try:
                os.dup2(null, fd)
            finally:
                os.close(null)
        self._close_quietly()

    def close(self, complete=True):
        """Close the file, marking the run complete (or not, after an error).

        Buffered samples are written first when ``complete``; after an error they are
        dropped: they follow the last complete frame, which a resume restarts from. The
        file's writer claim is given back in every case.
        """
        try:
            self._close(complete)
        finally:
            self._lock.release()

    def _close(self, complete):
        try:
            self._close_file(complete)
        finally:
            # still unpublished: no frame and not complete (an error or an interrupt before the
            # first frame), or a failed close
            self._discard_unpublished()

    def _close_file(self, complete):
        if self._file is None or not self._file:
            return
        if self._broken:
            # a write failed part-way (no room, an I/O error): the file on disk is the one of
            # the last flush, which counted whole frames only; closing it normally wrote
            # HDF5's metadata of the failed write over it
            self._close_discarding()
            return
        try:
            if complete:
                self.flush()
            else:
                self._drop_pending()
                # an interrupt inside write() (Ctrl-C, a signal turned into an exception) left
                # rows of a frame that n_frames does not count: MDAnalysis' reader counted it
                self._truncate_to_complete()
            self._file[_META].attrs["complete"] = bool(complete)
            if complete and self._publish is not None:
                # a complete file of no frame, as asked for
                self._publish_file()
            self._file.close()
        except Exception:
            self._broken = True
            self._close_discarding()
            if complete:
                raise

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self.close(complete=exc_type is None)


_FALLOCATE = []


def _keep_size_fallocate(punch=False):
    """``fallocate(fd, FALLOC_FL_KEEP_SIZE, offset, length)`` of the C library (returns 0, or
    -1 with ``ctypes.get_errno()``), or ``None`` where there is none (not Linux); with
    ``punch``, the one that frees that range (``FALLOC_FL_PUNCH_HOLE``)."""
    if not _FALLOCATE:
        function = None
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            function = libc.fallocate
            function.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]
            function.restype = ctypes.c_int
        except (OSError, AttributeError):
            function = None
        keep_size, punch_hole = 1, 2  # FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE
        _FALLOCATE.append(None if function is None else
                          (lambda fd, offset, length: function(fd, keep_size, offset, length)))
        _FALLOCATE.append(None if function is None else (
            lambda fd, offset, length: function(fd, keep_size | punch_hole, offset, length)))
    if punch:
        return _FALLOCATE[1] if len(_FALLOCATE) > 1 else (lambda *args: 0)
    return _FALLOCATE[0]


def _refuse_unless_room(path, size, need, where):
    """Raise :class:`TrajectoryFullError` when ``need`` more bytes do not fit beside the
    ``size`` bytes of ``path`` (file-size limit, ``EFBIG``) or on its disk (``ENOSPC``)."""
    limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
    if limit != resource.RLIM_INFINITY and size + need > limit:
        # the callers' "make room" frees no byte of a file-size limit
        where = where.replace("make room and run again",
                              _AGAIN[errno.EFBIG].removeprefix("; "))
        raise TrajectoryFullError(
            errno.EFBIG,
            f"{path} would exceed the file-size limit ({limit} bytes, file {size} "
            f"bytes, ~{need} more needed); {where}",
        )
    st = os.statvfs(path.parent)
    free = st.f_bavail * st.f_frsize
    if free < need:
        raise TrajectoryFullError(
            errno.ENOSPC,
            f"no space left for {path} ({free} bytes free, ~{need} needed); {where}",
        )


def _stated_step_ps(run_info):
    """The MD time step (ps) a ``run_info`` states (``timestep_fs``: a positive finite
    number), ``None`` where it states none."""
    step = run_info.get("timestep_fs") if isinstance(run_info, dict) else None
    if isinstance(step, bool) or not isinstance(step, (int, float)):
        return None
    return float(step) / 1000.0 if math.isfinite(step) and step > 0 else None


def _plain_run_info(run_info, path):
    """``run_info`` as plain JSON types (None stays None), or an error naming the key.

    Raises
    ------
    TypeError
        ``run_info`` is no dict, or holds a value JSON cannot hold.
    ValueError
        It holds a NaN or infinite number.
    """
    if run_info is None:
        return None
    if not isinstance(run_info, dict):
        raise TypeError(f"run_info must be a dict (JSON object) of the run's settings, not "
                        f"{type(run_info).__name__}")
    from .atomic_file import _first_non_finite, _json_ready

    where = f"run_info of {os.fspath(path)}"
    try:
        plain = _json_ready(run_info, "", None, where, set())
    except TypeError as err:
        # default= is write_json_atomic's, not the writer's
        raise TypeError(str(err).replace(" (or pass default=)", "")) from None
    try:
        json.dumps(plain, allow_nan=False)
    except ValueError:
        raise ValueError(
            f"{where}: run_info.{_first_non_finite(plain)} is a NaN or infinite number, "
            "which JSON cannot hold (readers fail on the bare token NaN): give a finite "
            "number or None; nothing was written") from None
    return plain


def _skeleton_bytes(atoms, run_info):
    """Bytes a new file takes before its first frame (groups, datasets, per-atom arrays), with
    the margin of a write: measured 27 kB for 4 atoms, 246 kB for 2048 with topology."""
    topo = get_topology(atoms)
    name = max((len(str(n).encode()) for n in topo[SPECIES]), default=0) if topo else 0
    info = len(json.dumps(run_info)) if run_info is not None else 0
    return (_METADATA_MARGIN + _SKELETON_BYTES + len(atoms) * (_SKELETON_BYTES_PER_ATOM + name)
            + info)


#: (step, time) before any sample of a series.
_NO_SAMPLE = (-1, -np.inf)


def _handles(group):
    return group["value"], group["step"], group["time"]


def series_chunk_rows(shape, itemsize=8):
    """Rows in each chunk of a time series' values that :class:`H5MDWriter` creates.

    As many rows as 32 KiB holds, from 1 to 256: a row larger than 32 KiB is a chunk alone.
    A series' step and time (int64, float64) are chunked as a scalar series, 256 rows; the
    position, velocity and force of a frame are not sized so (:data:`PARTICLE_CHUNK_ROWS`).
    Files of earlier versions keep the chunks they were created with.

    Parameters
    ----------
    shape : tuple of int
        Shape of one row (one step's value), e.g. ``()`` for a scalar, ``(3, 3)`` for the
        pressure tensor.
    itemsize : int
        Bytes of one number (8 for float64).

    Returns
    -------
    int
        Rows of a chunk, 1 to 256.
    """
    row = int(np.prod(shape)) * int(itemsize)
    return min(max(_CHUNK_BYTES // max(row, 1), 1), _CHUNK_ROWS)


def _new_chunk_bytes(stored, added, rows, row_bytes):
    """Bytes of the chunks that rows ``stored .. stored + added - 1`` of a time series start,
    its values in chunks of ``rows`` rows of ``row_bytes`` (the dataset's own chunks: files of
    earlier versions keep theirs) and its step and time (int64/float64) in a scalar's chunks."""

    def starts(rows):
        return -(-(stored + added) // rows) - (-(-stored // rows))

    scalar_rows = series_chunk_rows(())
    return starts(rows) * rows * row_bytes + 2 * starts(scalar_rows) * scalar_rows * 8


def _append_rows(handles, k, values, steps, times):
    """Write rows ``k, k+1, ...`` of a value/step/time triple: one resize per dataset."""
    end = k + len(steps)
    for d in handles:
        d.resize(end, axis=0)
    handles[0][k:end] = values
    handles[1][k:end] = steps
    handles[2][k:end] = times


#: Largest step number the int64 step datasets hold (H5MD's, and MDAnalysis' reader).
_MAX_STEP = np.iinfo(np.int64).max


def _as_step(step):
    """``step`` as an int in [0, 2**63 - 1]; a ValueError naming it otherwise, before writing.

    Infinite or NaN steps (``int()`` raises OverflowError or ValueError with no name) and steps
    past int64 (h5py failed inside the write, which then counted as a failed write) are refused
    like a negative one.
    """
    bad = ValueError(
        f"step must be a non-negative integer of at most {_MAX_STEP} (the file's int64), got "
        f"{step!r}"
    )
    if isinstance(step, (bool, np.bool_)):  # numpy's flag passed int(True) == 1 as step 1
        raise bad
    try:
        value = int(step)
        if value != step:
            raise bad
    except (TypeError, ValueError, OverflowError):
        raise bad from None
    if not 0 <= value <= _MAX_STEP:
        raise bad
    return value


def _as_time(time):
    """``time`` (ps) as a float; a ValueError naming it for NaN, infinity, a flag or text.

    ``float()`` let the text ``"0.5"`` and numpy's ``True`` through as times.
    """
    from .atoms_checks import check_number

    try:
        return check_number("time (ps)", time)
    except ValueError:
        text = "; give it as a number, not as text" if isinstance(time, str) else ""
        raise ValueError(f"time must be finite (a number of ps), got {time!r}{text}") from None


def _other_masses(masses, expected, numbers):
    """What differs between the masses (amu) of atoms and those a file's run integrated
    with, naming the first atom; ``None`` where they are the same."""
    masses = np.asarray(masses, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if masses.shape != expected.shape:
        return f"{masses.shape[0]} masses for {expected.shape[0]} particles"
    differ = np.flatnonzero(~np.isclose(masses, expected, rtol=1e-12, atol=0.0))
    if not differ.size:
        return None
    i = int(differ[0])
    return (f"atom {i} ({chemical_symbols[numbers[i]]}) has mass {masses[i]:g} amu, the run's "
            f"{expected[i]:g} amu ({differ.size} atoms differ)")


def _physical_masses(masses, n_atoms):
    """``masses`` as ``n_atoms`` positive finite amu, or a ValueError naming what is wrong."""
    try:
        value = np.array(masses, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"masses must be {n_atoms} numbers (amu), got {masses!r:.80}") from None
    if value.shape != (n_atoms,):
        raise ValueError(f"masses has shape {value.shape}, not ({n_atoms},) for the "
                         f"{n_atoms} atoms")
    bad = np.flatnonzero(~(np.isfinite(value) & (value > 0)))
    if bad.size:
        raise ValueError(f"masses of atoms {bad[:10].tolist()} are {value[bad[0]]!r} amu; "
                         "masses must be positive and finite")
    return value


def h5md_info(path):
    """Summary of an H5MD file written by :class:`H5MDWriter`.

    Returns
    -------
    dict
        ``n_atoms``, ``n_frames``, ``complete``, ``has_velocities``, ``has_forces``,
        ``has_topology``, ``last_step``, ``last_time`` (ps), ``run_info`` (dict or None),
        ``observables`` (frame-aligned names), ``series`` (names sampled per step).
    """
    with _reading(path) as f:
        _check_ours(f, path)
        check_h5md_layout(f, path)
        group, meta = f[particle_group(f)], f[_META]
        n = int(meta.attrs["n_frames"])
        return {
            "n_atoms": int(group["species"].shape[0]),
            "n_frames": n,
            "complete": bool(meta.attrs["complete"]),
            "has_velocities": "velocity" in group,
            "has_forces": "force" in group,
            "has_topology": MOLECULE_INDEX in meta,
            "last_step": int(group["position/step"][n - 1]) if n else -1,
            "last_time": float(group["position/time"][n - 1]) if n else float("nan"),
            "run_info": json.loads(meta.attrs["run_info"]) if "run_info" in meta.attrs else None,
            "observables": sorted(k for k in f["observables"].keys() if k != FRAME_SPACING),
            "series": sorted(meta["series"].keys()) if "series" in meta else [],
        }


def stated_temperature_count(path):
    """The count of degrees of freedom the temperatures of an H5MD file state.

    :class:`H5MDWriter` stores, beside each temperature series, the number of degrees of
    freedom its kinetic energy was divided by (:func:`~ase_electrolyte.md.temperature_dof`:
    3N less the constraints' and, where the centre of mass is held, 3) and whether the centre
    of mass was removed. A reader that recomputes temperatures or counts, from the velocities
    (``electrolyte analyze``, :mod:`mda_electrolyte.conductivity`), compares its own count with
    this one: a count given that contradicts the run's would scale every temperature.

    Parameters
    ----------
    path : str or os.PathLike
        An H5MD file.

    Returns
    -------
    tuple of (int, bool) or None
        ``(degrees_of_freedom, centre_of_mass_removed)`` as the file states them; ``None``
        for a file that states none (another program's, one of a version before the
        statement, one without temperatures) or that cannot be read.
    """
    try:
        with _reading(path) as f:
            return _stated_count(f)
    except (OSError, KeyError, ValueError, TypeError):
        return None



def integration_masses(path):
    """Masses (amu) the run that wrote an H5MD file of :class:`H5MDWriter` integrated with:
    those its stored velocities belong to, which a kinetic energy or temperature weighs them by.

    A run with heavy hydrogen (Ju et al. 2025: 3 amu, for 2 fs steps) stores the particles'
    physical masses as ``particles/trajectory/mass`` and those it integrated with apart
    (``parameters/ase_electrolyte/integration_mass``); equipartition holds for the latter:
    weighed by 1.008 amu, the hydrogens' velocities of a 314 K run gave 146 K for methane.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    numpy.ndarray or None
        The integration masses where the file stores them apart, else its particles' masses
        (the run integrated with those; a file of an earlier version stored heavy hydrogen
        there); ``None`` for another program's file or one that cannot be read.

    Raises
    ------
    ValueError
        A damaged file: masses that are not positive and finite (:func:`damaged_h5md`).
    """
    try:
        with _reading(path) as f:
            if foreign_h5md(f) is not None or _META not in f:
                return None
            masses = _run_masses(f[_META], f[particle_group(f)])
    except (OSError, KeyError, ValueError, TypeError):
        return None
    bad = np.flatnonzero(~(np.isfinite(masses) & (masses > 0))) if masses.ndim == 1 else [0]
    if len(bad):
        # a damaged mass weighed the velocities into a NaN or negative temperature
        raise damaged_h5md(path, f"the masses its run integrated with are "
                                 f"{masses.ravel()[bad[:3]].tolist()} for atoms "
                                 f"{np.asarray(bad)[:3].tolist()}, not positive masses")
    return masses


def _run_masses(meta, group):
    """The masses (amu, float64) an open file's run integrated with: ``integration_mass``
    where stored apart, else the particles' ``mass`` (also an earlier version's heavy ones)."""
    stored = meta["integration_mass"] if "integration_mass" in meta else group["mass"]
    return np.array(stored[()], dtype=np.float64)


def _stated_count(f):
    """:func:`stated_temperature_count` of an open file."""
    for where in ("observables/temperature", f"{_SERIES}/temperature"):
        group = f.get(where)
        if isinstance(group, h5py.Group) and "degrees_of_freedom" in group.attrs:
            return (int(group.attrs["degrees_of_freedom"]),
                    bool(group.attrs.get("centre_of_mass_removed", True)))
    return None


def h5md_series(path, name):
    """Every stored sample of one observable (also those between frames).

    Parameters
    ----------
    path : str or os.PathLike
    name : str
        A key of :data:`OBSERVABLE_UNITS`.

    Returns
    -------
    step : numpy.ndarray of int
    time : numpy.ndarray
        ps.
    value : numpy.ndarray
        Shape ``(n_samples, *shape)``, units of :data:`OBSERVABLE_UNITS`; only samples up to
        the last complete frame.

    Raises
    ------
    ValueError
        The file records no ``name`` series (it names those it has, and the closest one); a
        subclass of KeyError too, which this raised before. Or a damaged file, also a sample
        or time that is NaN or inf (which the writer refuses; the step is named).
    TypeError
        ``name`` not a string.
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be an observable's name (str, a key of OBSERVABLE_UNITS), "
                        f"got {type(name).__name__} {name!r:.40}")
    with _reading(path) as f:
        _check_ours(f, path)
        check_h5md_layout(f, path)
        meta = f[_META]
        n = int(meta.attrs["n_frames"])
        # raised outside the reading context, which takes a KeyError for h5py's on damage
        listed = None if name in meta["series"] else list(meta["series"])
        if listed is None:
            g = meta["series"][name]
            step, time, value = g["step"][()], g["time"][()], g["value"][()]
            last = int(f[particle_group(f)]["position/step"][n - 1]) if n else -1
    if listed is not None:
        if not n:
            # a series is created with the first frame: an empty file lists none
            raise _MissingSeries(
                f"{path} holds no frame yet, so no {name!r} sample (a run that is starting, "
                "or that was stopped before its first frame: calling it again runs it)"
            )
        from .option_words import close_option

        near = close_option(name, listed)
        hint = f" (did you mean {near!r}?)" if near is not None and near != name else ""
        raise _MissingSeries(f"{path} has no observable {name!r}{hint}; it has {listed}")
    keep = int(np.searchsorted(step, last + 1))
    step, time, value = step[:keep], time[:keep], value[:keep]
    # a NaN sample made every mean, Green-Kubo integral and drift of the series NaN
    for what, x in (("time", time), ("value", value)):
        bad = ~np.isfinite(x) if x.dtype.kind in "fc" else None
        if bad is not None and bad.any():
            k = int(np.nonzero(bad)[0][0])
            raise damaged_h5md(path, f"its {name!r} series holds a non-finite {what} at step "
                                     f"{int(step[k])} (sample {k}), which no run_md writes")
    return step, time, value


def damaged_h5md(path, what):
    """The ValueError naming a damaged H5MD file of run_md and what is wrong with it."""
    return ValueError(f"{path} is damaged: {what}; it cannot be read as a trajectory of run_md "
                      "(rewrite it, or resume the run into a new file)")


def _finite_read(path, what, value, rows="atoms"):
    """``value``, read from ``path``, or :func:`damaged_h5md` where it is not finite.

    :class:`H5MDWriter` refuses NaN and inf (positions, cell, velocities, forces, observables,
    integrator variables), so one read back is damage (a hand edit, another tool's rewrite, a
    disk fault). Read as they were, they came back silently: a finished run whose last frame
    held a NaN position was reused and its NaN returned, and a resume from it ran the model
    and then blamed the time step ("the simulation exploded").

    ``what`` names the data and where it sits (``"frame 3 (step 30): position"``); ``rows``
    what the first axis counts, for the message (``None``: name no rows).
    """
    value = np.asarray(value)
    if value.dtype.kind in "fc":
        bad = ~np.isfinite(value)
        if bad.any():
            where = ""
            if rows is not None and value.ndim:
                first = np.unique(np.nonzero(bad)[0])
                where = f" ({rows} {first[:10].tolist()}{' ...' if first.size > 10 else ''})"
            shown = value[bad].ravel()[0]
            raise damaged_h5md(path, f"{what} holds non-finite values{where}, e.g. {shown}, "
                                     "which no run_md writes")
    return value


def check_h5md_layout(f, path):
    """The frame counts of an ase_electrolyte H5MD file whose datasets are all there and fit.

    A dataset deleted or cut short (by a tool, a crash of a copy, a hand edit) otherwise
    surfaces as h5py's ``KeyError``/``IndexError`` naming neither the file nor the dataset.

    Returns
    -------
    n_frames, complete, n_stored, n_particles
    """
    if _META not in f:
        raise damaged_h5md(path, f"it has no {_META}")
    _check_early_version(f, path)
    meta = f["parameters/ase_electrolyte"]
    g = particle_group(f)
    required = [f"{g}/species", f"{g}/mass", f"{g}/position/value",
                f"{g}/position/time", f"{g}/position/step",
                f"{g}/box", "parameters/ase_electrolyte/pbc",
                "parameters/ase_electrolyte/cell"]
    if MOLECULE_INDEX in meta:
        required += ["parameters/ase_electrolyte/species_name", f"{g}/charge"]
    for name in required:
        if name not in f:
            raise damaged_h5md(path, f"it has no {name}")
    for attr in ("n_frames", "complete"):
        if attr not in meta.attrs:
            raise damaged_h5md(path, f"parameters/ase_electrolyte has no attribute {attr!r}")
    n_frames = meta.attrs["n_frames"]
    if not isinstance(n_frames, (int, np.integer)) or n_frames < 0:
        raise damaged_h5md(path, f"its frame counter n_frames is {n_frames}")
    n_frames = int(n_frames)
    group = f[g]
    _check_box(f, path)
    position = group["position/value"]
    if position.ndim != 3 or position.shape[2] != 3:
        raise damaged_h5md(path, f"{g}/position/value has shape {position.shape}")
    n_stored, n_particles = position.shape[:2]
    if n_frames > n_stored:
        raise damaged_h5md(path, f"it counts {n_frames} complete frames but stores {n_stored}")
    per_atom = {f"{g}/species": (n_particles,), f"{g}/mass": (n_particles,)}
    if "integration_mass" in meta:
        per_atom["parameters/ase_electrolyte/integration_mass"] = (n_particles,)
    if MOLECULE_INDEX in meta:
        per_atom.update({f"parameters/ase_electrolyte/{MOLECULE_INDEX}": (n_particles,),
                         "parameters/ase_electrolyte/species_name": (n_particles,),
                         f"{g}/charge": (n_particles,)})
    _check_units(f, path, g)
    for name, shape in per_atom.items():
        if f[name].shape != shape:
            raise damaged_h5md(path, f"{name} has shape {f[name].shape}, the trajectory "
                                 f"{n_particles} atoms")
    # every time series the reader takes frames from must hold all complete frames
    series = {f"{g}/position/time": (), f"{g}/position/step": ()}
    for name in ("velocity", "force"):
        if name in group:
            series[f"{g}/{name}/value"] = (n_particles, 3)
    if "edges" in group["box"]:
        series[f"{g}/box/edges/value"] = ((3, 3), (3,))
    for name, tail in series.items():
        if name not in f:
            raise damaged_h5md(path, f"it has no {name}")
        shape = f[name].shape
        tails = tail if tail and isinstance(tail[0], tuple) else (tail,)
        if len(shape) < 1 or shape[0] < n_frames or shape[1:] not in tails:
            raise damaged_h5md(path, f"{name} has shape {shape} for {n_frames} frames of "
                                 f"{n_particles} atoms")
    return n_frames, bool(meta.attrs["complete"]), n_stored, n_particles


#: The unit attribute of each dataset the readers take numbers from, as the writer stores it.
_UNITS = {"position/value": "Angstrom", "position/time": "ps", "velocity/value": "Angstrom ps-1",
          "velocity/time": "ps", "force/value": "kJ mol-1 Angstrom-1", "force/time": "ps",
          "box/edges/value": "Angstrom", "box/edges/time": "ps", "mass": "amu"}


def _check_units(f, path, g):
    """Refuse a file whose unit attributes are not those the writer stores.

    MDAnalysis' reader converts by these attributes while :func:`read_h5md`, :func:`h5md_info`
    and the time step of :func:`~mda_electrolyte.bridge.from_ase` take the numbers as Å, ps,
    kJ/(mol·Å): a file rewritten in nm or fs by another tool would give positions or a time
    axis off by 10 or 1000 in one reader and not in the other.
    """
    for name, unit in _UNITS.items():
        full = f"{g}/{name}"
        if full not in f:
            continue
        stored = f[full].attrs.get("unit")
        if isinstance(stored, bytes):
            stored = stored.decode(errors="replace")
        if stored is not None and stored != unit:
            # converted, not damaged: its numbers are sound in the unit it names
            raise ForeignTrajectoryError(
                f"{path}: {full} is in {stored!r}, not the {unit!r} that ase_electrolyte "
                "writes (converted by another tool?), which this reader would take as "
                f"{unit!r}; MDAnalysis.Universe(path) converts by the unit attributes, or "
                f"write the run again in {unit!r}")


def _check_box(f, path):
    """The box of an H5MD file of run_md: a per-frame box exactly where the system is periodic.

    A periodic file without box edges (deleted, or never written by another program) would be
    read with no box at all by MDAnalysis' reader (distances without periodic images) or with
    the start cell for every frame (wrong for NPT). (A box in a file periodic in no direction,
    as early versions wrote, is left to the readers to ignore.)
    """
    pbc, cell = f[_META]["pbc"], f[_META]["cell"]
    if pbc.shape != (3,) or cell.shape != (3, 3):
        raise damaged_h5md(path, f"{_META}/pbc has shape {pbc.shape} and {_META}/cell "
                                 f"{cell.shape}, not (3,) and (3, 3)")
    pbc = np.asarray(pbc[()], dtype=bool)
    g = particle_group(f)
    box = f[g]["box"]
    if "edges" in box and not isinstance(box["edges"], h5py.Group):
        raise damaged_h5md(path, f"{g}/box/edges is one fixed box, not the per-frame "
                                 "series (value, step, time) run_md writes")
    if pbc.any() and "edges" not in box:
        raise damaged_h5md(path, f"it is periodic (pbc {pbc.tolist()}) but stores no box "
                                 f"({g}/box/edges): the cell of its frames is unknown")


def foreign_h5md(f):
    """What an open HDF5 file is when it is not a trajectory of ase_electrolyte, else ``None``.

    Returns
    -------
    str or None
        ``"an H5MD file written by MDAnalysis"`` (the creator H5MD records), ``"an H5MD file
        of another program"``, ``"an HDF5 file of another program"``, or ``None`` for a file
        with our ``parameters/ase_electrolyte`` and particle group (sound or damaged: the
        readers name the damage).
    """
    if _META in f and (_GROUP in f or _LEGACY_GROUP in f):
        return None
    if "h5md" not in f:
        return "an HDF5 file of another program"
    creator = f["h5md"].get("creator")
    name = creator.attrs.get("name") if isinstance(creator, h5py.Group) else None
    if isinstance(name, bytes):
        name = name.decode(errors="replace")
    if name == "ase_electrolyte":
        return None  # ours, with a group lost: the layout check names it
    return f"an H5MD file written by {name}" if name else "an H5MD file of another program"


def _check_early_version(f, path):
    """Refuse, by name, a file of the first version of the writer (before per-step series).

    That version stored every sampled step under ``/observables`` (not one value per frame)
    and no start state: reading it as this version's file gave each frame the observables of
    another step, and its missing datasets were reported as damage or as "not written by
    ase_electrolyte".
    """
    if _META in f and "series" not in f[_META]:
        raise ForeignTrajectoryError(
            f"{path} was written by an early version of ase_electrolyte (it has no {_META}/"
            "series: its /observables hold every sampled step, not one value per frame, and "
            "it records no start state), which this version neither reads nor resumes; rerun "
            "the simulation into a new file (MDAnalysis.Universe(path) reads its positions, "
            "but its ts.data values are not those of the frames)"
        )


def _foreign_advice(f):
    """How another program's file ``f`` is read (``"; ..."``), for the messages that refuse it.

    MDAnalysis reads an H5MD file's particles; a file of observables only (no ``particles``
    group) it fails on with a bare KeyError, which the advice "read it with
    MDAnalysis.Universe(path)" sent the user to.
    """
    if "h5md" not in f:
        return ""
    if "particles" not in f:
        return ("; it holds no particles (observables only?), so no trajectory: neither this "
                "package nor MDAnalysis reads frames from it (its values are h5py's: "
                "h5py.File(path)['observables'])")
    return "; read it with MDAnalysis.Universe(path)"


def _check_ours(f, path):
    what = foreign_h5md(f)
    if what is not None:
        raise ForeignTrajectoryError(
            f"{path} is {what}, not an H5MD file written by ase_electrolyte (no {_META})"
            f"{_foreign_advice(f)}")
    if _META not in f:
        raise damaged_h5md(path, f"it has no {_META}")
    _check_early_version(f, path)


def read_h5md(path, index=-1):
    """One frame of an H5MD file as ASE Atoms, in ASE units, with topology arrays.

    Parameters
    ----------
    path : str or os.PathLike
    index : int
        Frame among the complete ones (negative counts from the end).

    Returns
    -------
    ase.Atoms
        Positions, velocities, cell, pbc, the particles' (physical) masses, topology arrays, a
        SinglePointCalculator with the stored forces (eV/Å) and energy (eV) when present, and
        ``info["step"]``, ``info["time_ps"]``. A run with heavy hydrogen stored the velocities
        it integrated with those masses (:func:`integration_masses`): a kinetic energy or
        temperature of its frames takes those masses, not the Atoms' (ASE's
        ``get_temperature`` of a methane frame run at 314 K with 3 amu hydrogens gives 146 K).

    Raises
    ------
    TypeError
        ``index`` is not an integer (a flag, a float, a string: ``True`` read frame 1).
    IndexError
        No complete frame, or ``index`` out of range.
    ValueError
        A damaged file (:func:`damaged_h5md`), also a frame whose positions, cell,
        velocities, forces or potential energy hold NaN or inf, which the writer refuses:
        the message names the frame, its step, the data and the first atoms.
    """
    if isinstance(index, (bool, np.bool_)) or not isinstance(index, (int, np.integer)):
        # ase.io.read's ":" or a slice asks for many frames: say how they are read
        many = isinstance(index, slice) or (isinstance(index, str) and ":" in index)
        raise TypeError(
            f"index must be an integer frame index, got {type(index).__name__} "
            f"{index!r:.40}" + (
                "; read_h5md reads one frame: read several with [read_h5md(path, k) for k in "
                "range(h5md_info(path)['n_frames'])], or all as an MDAnalysis Universe with "
                "mda_electrolyte.from_ase(path)" if many else ""))
    index = int(index)
    with _reading(path) as f:
        _check_ours(f, path)
        check_h5md_layout(f, path)
        group, meta = f[particle_group(f)], f[_META]
        n = int(meta.attrs["n_frames"])
        if not n:
            # a file of an earlier version, created before its first frame (this writer
            # publishes a file with its first frame): MDAnalysis' reader fails on it bare
            raise IndexError(
                f"{path} holds no complete frame: the run that wrote it stopped before its "
                "first frame was written; calling it again runs it (or remove the file)"
            )
        if not -n <= index < n:
            raise IndexError(f"frame {index} out of range for {path} with {n} complete frames")
        index %= n
        step = int(group["position/step"][index])
        frame = f"frame {index} (step {step})"
        cell = _finite_read(
            path, f"{frame}: box edges",
            group["box/edges/value"][index] if "edges" in group["box"] else meta["cell"][()],
            rows="rows")
        atoms = Atoms(
            numbers=group["species"][()],
            positions=_finite_read(path, f"{frame}: position", group["position/value"][index]),
            cell=cell,
            pbc=meta["pbc"][()],
        )
        atoms.set_masses(group["mass"][()])
        if "velocity" in group:
            atoms.set_velocities(_finite_read(path, f"{frame}: velocity",
                                              group["velocity/value"][index])
                                 / VELOCITY_TO_ANGSTROM_PER_PS)
        if MOLECULE_INDEX in meta:
            try:
                set_topology(
                    atoms,
                    meta[MOLECULE_INDEX][()],
                    meta["species_name"].asstr()[()],
                    group["charge"][()],
                )
            except ValueError as err:
                # the refusal named an array, not the file it came from
                raise ValueError(f"{path}: its stored topology ({_META}/{MOLECULE_INDEX}, "
                                 f"species_name, charge) cannot be read: {err}") from None
        atoms.info["step"] = step
        atoms.info["time_ps"] = float(group["position/time"][index])
        results = {}
        if "force" in group:
            results["forces"] = (_finite_read(path, f"{frame}: force",
                                              group["force/value"][index])
                                 / FORCE_TO_KJ_PER_MOL_ANGSTROM)
        if "potential_energy" in f["observables"]:
            results["energy"] = float(_finite_read(
                path, f"{frame}: observable potential_energy",
                f["observables/potential_energy/value"][index], rows=None))
        if results:
            atoms.calc = SinglePointCalculator(atoms, **results)
    return atoms


def integrator_state(path, index=-1):
    """The integrator's own variables stored with one frame (see :meth:`H5MDWriter.write`).

    :func:`~ase_electrolyte.md.run_md` stores, with each frame of an NVT or NPT run, the
    Nosé–Hoover chain's positions and momenta (``thermostat_eta``, ``thermostat_p_eta``) and,
    in NPT, the MTK barostat's chain (``barostat_xi``, ``barostat_p_xi``), its logarithmic
    strain and momentum (``strain``, ``strain_momentum``) and the reference cell and volume
    they are measured from (``reference_cell``, ``reference_volume``), all in ASE units; a
    resume from that frame restores them, so that it continues the uninterrupted run.

    Parameters
    ----------
    path : str or os.PathLike
    index : int
        Frame among the complete ones (negative counts from the end).

    Returns
    -------
    dict or None
        Name to numpy array of the variables stored with the frame; ``None`` where it stores
        none (an NVE run, or a file of an earlier version, whose resume restarts the chains
        from zero).

    Raises
    ------
    TypeError, IndexError
        As :func:`read_h5md`.
    ValueError
        A damaged file, also a stored variable that is NaN or inf (named with the frame).
    """
    if isinstance(index, (bool, np.bool_)) or not isinstance(index, (int, np.integer)):
        raise TypeError(f"index must be an integer frame index, got {type(index).__name__} "
                        f"{index!r:.40}")
    with _reading(path) as f:
        _check_ours(f, path)
        n, *_ = check_h5md_layout(f, path)
        if not -n <= int(index) < n or not n:
            raise IndexError(f"frame {index} out of range for {path} with {n} complete frames")
        step = int(f[particle_group(f)]["position/step"][int(index) % n])
        if _INTEGRATOR not in f:
            return None
        state = {}
        for name, g in f[_INTEGRATOR].items():
            steps = g["step"][()]
            row = int(np.searchsorted(steps, step))
            if row >= steps.shape[0] or steps[row] != step or g["value"].shape[0] <= row:
                continue  # not stored with this frame (another version's integrator)
            # a NaN chain momentum restored by a resume ran the model, then blamed the time step
            state[name] = _finite_read(path, f"frame {int(index) % n} (step {step}): "
                                             f"integrator state {name}", g["value"][row],
                                       rows=None)
        return state or None


def start_positions(path):
    """Positions (Å) of the state the run that wrote ``path`` started from."""
    return start_state(path)["positions"]


def start_state(path):
    """What the run that wrote ``path`` started from, as stored when the file was created.

    Returns
    -------
    dict
        ``positions`` (Å), ``cell`` (Å, rows), ``pbc``, ``numbers``, ``masses`` (amu, those
        the run integrated with, e.g. heavy hydrogen), ``physical_masses`` (amu, the
        particles' masses where the file records the integration masses apart; ``None`` for a
        run that integrated with the particles' masses, or a file of an earlier version, whose
        ``mass`` held the integration masses) and ``topology``: ``None`` or the formal
        charges, molecule indices and species names.

    Raises
    ------
    ValueError
        A damaged file, also start positions or a cell holding NaN or inf.
    """
    with _reading(path) as f:
        _check_ours(f, path)
        check_h5md_layout(f, path)
        group, meta = f[particle_group(f)], f[_META]
        stored = group["mass"][()]
        separate = "integration_mass" in meta
        topology = None
        if MOLECULE_INDEX in meta:
            topology = {
                FORMAL_CHARGE: group["charge"][()],
                MOLECULE_INDEX: meta[MOLECULE_INDEX][()],
                SPECIES: meta["species_name"].asstr()[()],
            }
        return {
            "positions": _finite_read(path, "the start's positions",
                                      meta["start_positions"][()]),
            "cell": _finite_read(path, "the start's cell", meta["cell"][()], rows="rows"),
            "pbc": meta["pbc"][()],
            "numbers": group["species"][()],
            "masses": _run_masses(meta, group),
            "physical_masses": stored if separate else None,
            "topology": topology,
        }
