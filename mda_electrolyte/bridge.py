"""From ASE to MDAnalysis: a Universe with molecules, species, formal charges and MDAnalysis units.

:func:`from_ase` reads ASE Atoms (one or a list), any trajectory ``ase.io`` reads (``.traj``,
``.extxyz``, ...), the H5MD files of :mod:`ase_electrolyte.trajectory`, or a LAMMPS data + dump
pair, and returns a Universe in which

* every residue is one molecule, named by its species (``EC``, ``EMC``, ``Li``, ``PF6``);
* atoms have ``elements``, ``names``, ``types``, ``masses`` and ``formalcharges`` (e), and
  the covalent bonds inside each molecule are ``bonds``;
* the trajectory has the box, positions (Å), velocities (Å/ps) and forces (kJ/(mol·Å)) when the
  source has them.

Molecules come from the per-atom topology arrays (:mod:`ase_electrolyte.topology`) when present,
else from covalent-bond guessing (:func:`mda_electrolyte.molecules.atoms_molecule_ids`), in which
alkali and alkaline-earth atoms and zinc are always free ions. Guessed molecules are named after the
library species of the same composition (:func:`ase_electrolyte.species.species_from_formula`)
and the same bond graph (an isomer, 1,4-dioxane of ethyl acetate's C4H8O2, is not that
species), else by their Hill formula.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import re
import time
import warnings
from collections.abc import Mapping
from os import PathLike
from pathlib import Path

import MDAnalysis as mda
import numpy as np
from ase import Atoms
from ase.data import atomic_masses, chemical_symbols
from MDAnalysis.coordinates.H5MD import H5MDReader
from MDAnalysis.coordinates.memory import MemoryReader
from MDAnalysis.units import constants as mda_constants

from ase_electrolyte.atoms_checks import check_number
from ase_electrolyte.option_words import choice_word
from ase_electrolyte.species import species_from_formula
from ase_electrolyte.topology import FORMAL_CHARGE, MOLECULE_INDEX, SPECIES, get_topology
from ase_electrolyte.trajectory import (
    FORCE_TO_KJ_PER_MOL_ANGSTROM,
    VELOCITY_TO_ANGSTROM_PER_PS,
    _foreign_advice,
    check_h5md_layout,
    damaged_h5md,
    foreign_h5md,
    is_h5md_path,
    open_h5md,
    particle_group,
)

from .molecules import (
    FREE_ION_NUMBERS,
    atoms_molecule_ids,
    check_masses,
    check_stored_molecules,
    covalent_bonds,
    first_appearance,
    molecule_species,
)

__all__ = ["check_dt_against_times", "file_time_span", "from_ase", "kinetic_masses"]

# the alkali metals among the free ions (charge +1; the alkaline earths and zinc +2)
_GROUP_1 = frozenset([3, 11, 19, 37, 55, 87])
# LAMMPS unit styles: (velocity → Å/ps, force → kJ/(mol·Å))
_LAMMPS_UNITS = {
    "metal": (1.0, FORCE_TO_KJ_PER_MOL_ANGSTROM),  # Å/ps, eV/Å
    "real": (1000.0, mda_constants["calorie"]),  # Å/fs, kcal/(mol·Å)
}


def from_ase(
    source, *, dump=None, lammps_units="metal", lammps_atom_style=None, dt=None, index=":"
):
    """A Universe from ASE data, our H5MD files or LAMMPS data + dump files.

    Parameters
    ----------
    source : ase.Atoms, iterable of ase.Atoms, str or os.PathLike
        Atoms, frames (a list, a generator or an open ``ase.io.Trajectory``), a file
        ``ase.io.read`` understands (a GROMACS ``.gro`` file of several frames read whole,
        with the times of its titles, ``t= ...`` in ps), an H5MD file written by
        :class:`ase_electrolyte.trajectory.H5MDWriter`, or a LAMMPS data file (with ``dump``).
    dump : str or os.PathLike, optional
        LAMMPS dump trajectory to read with the data file ``source``.
    lammps_units : {"metal", "real"}
        LAMMPS unit style of the dump (for velocities and forces).
    lammps_atom_style : str, optional
        Passed to MDAnalysis' DATA parser (e.g. ``"id resid type charge x y z"``).
    dt : float, optional
        Time between frames in ps, for Atoms/ASE files without times (``info["time_ps"]``) and
        for LAMMPS dumps (which store step numbers only); refused for an H5MD file, whose frames
        carry their times, and below :data:`ase_electrolyte.units.MIN_FRAME_SPACING_PS`
        (0.01 fs: a spacing in seconds or ns).
    index : str or int
        Frames to read from an ASE file (``ase.io.read`` syntax); an H5MD file and a LAMMPS
        dump are read whole (another index is refused).

    Returns
    -------
    MDAnalysis.Universe
        Residues = molecules named by species, with ``elements``, ``masses``, ``formalcharges``;
        positions Å, velocities Å/ps and forces kJ/(mol·Å) where the source has them. A box
        only for a source periodic in all three directions: a partly periodic one (a slab)
        gets none, with a warning, from Atoms and H5MD files alike (MDAnalysis has no partial
        periodicity; its H5MD reader would make a slab's box 3D-periodic). Frame times (ps)
        are those stored: an H5MD file's, or the Atoms' ``info["time_ps"]`` (a slice of frames
        from 5 ps on starts at 5 ps, as MDAnalysis' own readers give a file's first time);
        from 0 with ``dt`` over frames without stored times.

    Raises
    ------
    ValueError
        An empty or inconsistent trajectory (frames with different atoms, or with the same
        atoms in another order: an atom of another element at an index, or two atoms bonded
        in frame 0 more than twice their covalent radii plus :data:`BROKEN_BOND_SLACK` apart
        in a later frame; the frame and atoms are named; or periodic along other directions
        than frame 0), non-finite velocities or forces
        (the frame and atom are named), a topology whose atom count differs from the
        trajectory's, an unreadable file, a damaged H5MD file (e.g. a
        periodic one without its per-frame box), LAMMPS dump frames repeated or unevenly spaced
        in timestep, or a dump without an ``element`` column given without its data file; a
        LAMMPS data file whose type masses are missing (no ``Masses`` section) or no element's
        (more than :data:`LAMMPS_MASS_TOLERANCE` from every standard mass) read with a dump
        without an ``element`` column, or a dump whose ``element`` column contradicts the
        types' masses (elements are the dump's where it has them and the mass names none);
        a stored topology that contradicts the atoms (an H5MD file's or the Atoms'
        :mod:`~ase_electrolyte.topology` arrays: molecules joined, split or swapped, names on
        molecules of different compositions or charges,
        :func:`~mda_electrolyte.molecules.check_stored_molecules`; molecules named and made as
        a library species whose net formal charge is not the library's: a neutral PF6, an Li
        of +2); masses that are not finite, negative, or 0 for an atom of a known element
        (:func:`~mda_electrolyte.molecules.check_masses`); an argument that would be ignored
        (``index`` for frames in memory, ``lammps_units`` or
        ``lammps_atom_style`` without ``dump``, ``lammps_units="real"`` for a dump without
        velocities or forces); frames whose masses differ from frame 0's.
    TypeError
        A ``source`` that is neither Atoms, frames of Atoms nor a path; a ``dump`` that is
        no path. (A dict, or frames holding something else than Atoms: ValueError.)

    Warns
    -----
    UserWarning
        Velocities or forces in some frames only (the Universe gets none; forces are those a
        frame's calculator holds for its positions, read without asking it to compute). A
        LAMMPS dump whose last frame is cut short (copied while written, a killed job): the
        frame is named and the whole frames before it are read.
    MassElementWarning
        Molecules whose total mass is not that of their elements (a Li of 1.008 amu, isotopes,
        hydrogen raised without repartitioning); an H5MD file of a run with
        ``hydrogen_mass`` gets hydrogen's standard mass back instead.

    Examples
    --------
    >>> from ase.build import molecule
    >>> from mda_electrolyte import from_ase
    >>> methane = molecule("CH4")
    >>> methane.translate([4.0, 0.0, 0.0])
    >>> atoms = molecule("H2O") + methane
    >>> atoms.center(vacuum=5.0); atoms.pbc = True
    >>> u = from_ase(atoms)  # no stored topology: molecules from bonds, named by formula
    >>> [str(r) for r in u.residues.resnames]
    ['H2O', 'CH4']
    """
    if dt is not None:
        # float() took True as 1 ps and "3" as 3 ps; 2e-15 (2 fs in seconds) put every rate
        # 1e15 times off: refused below MIN_FRAME_SPACING_PS, as electrolyte analyze --dt is
        from ase_electrolyte.units import unit_advice

        from .correlation import check_frame_spacing

        try:
            dt = check_number("dt (ps)", dt, above=0)
        except ValueError as err:
            if isinstance(dt, (np.generic, np.ndarray)) and np.asarray(dt).dtype.kind in "mM":
                # a NumPy duration: check_number's message gives it in ps
                raise ValueError(str(err)) from None
            raise ValueError(f"dt must be a positive, finite time between frames in ps, "
                             f"not {dt!r}{unit_advice(dt, 'ps') or ''}") from None
        dt = check_frame_spacing(dt, "dt (ps)")
    if dump is not None:
        if not (isinstance(index, str) and index == ":"):
            # every frame of the dump was read, the index ignored without a word
            raise ValueError(f"index = {index!r} given with dump=: a LAMMPS dump is read "
                             "whole; select frames with the analysis' start/stop/step (or "
                             "frames=) instead")
        return _from_lammps(source, dump, lammps_units, lammps_atom_style, dt)
    # LAMMPS options without a dump, or a frame index for frames already in memory, would be
    # ignored: the user meant them to change something
    if isinstance(lammps_units, str):
        # "METAL" is the default spelled otherwise, not an option given without its dump
        try:
            lammps_units = choice_word("lammps_units", lammps_units,
                                       tuple(sorted(_LAMMPS_UNITS)))
        except ValueError:
            pass  # not a unit style: the check below names it with the choices
    for name, value, default in (("lammps_units", lammps_units, "metal"),
                                 ("lammps_atom_style", lammps_atom_style, None)):
        if value != default:
            raise ValueError(f"{name}={value!r} given without dump=: it applies to a LAMMPS "
                             "data + dump pair only")
    if isinstance(source, Atoms):
        source = [source]
    elif not isinstance(source, (str, bytes, PathLike)):
        source = _frames_in_memory(source)
    if isinstance(source, list):
        if not (isinstance(index, str) and index == ":"):
            raise ValueError(f"index = {index!r} given for Atoms in memory: it selects frames "
                             "of a file; slice the frames instead (e.g. frames[10:])")
        return _from_frames(source, dt)
    path = Path(os.fsdecode(source))
    if not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    if path.is_dir():
        # ASE would try it as a BundleTrajectory and fail with a bare OSError
        raise ValueError(f"{path} is a folder; give a trajectory file (H5MD, .traj, .extxyz)")
    if is_h5md_path(path):
        # an argument that would be ignored is refused: the user meant it to change something
        if dt is not None:
            raise ValueError(f"dt = {dt} ps given for {path}, an H5MD file whose frames carry "
                             "their own times; leave dt out")
        if not (isinstance(index, str) and index == ":"):
            raise ValueError(f"index = {index!r} given for {path}, an H5MD file: every frame is "
                             "read; select frames with the analysis' start/stop/step (or "
                             "frames=) instead")
        return _from_h5md(path)
    frames = read_ase_frames(path, index)
    try:
        return _from_frames(frames, dt)
    except ValueError as err:
        # "frame 1 has 31 atoms ...": which file's frame
        raise ValueError(f"{path}: {err}") from None


def _frames_in_memory(source):
    """The Atoms of a list, tuple, generator or ASE ``Trajectory`` reader, as a list."""
    if isinstance(source, Mapping):
        # iterated, a dict gave its keys: "frame 0 is a str, not ase.Atoms"
        # (ValueError, as the frames that are no Atoms below)
        raise ValueError(f"from_ase needs Atoms or frames of Atoms, not a "
                         f"{type(source).__name__} (its values? from_ase(list(d.values())))")
    try:
        frames = list(source)
    except TypeError:
        raise TypeError(
            f"from_ase needs Atoms, frames of Atoms (a list, an ase.io.Trajectory, ...) or a "
            f"file path, not {type(source).__name__}"
        ) from None
    if not frames:
        raise ValueError("from_ase needs Atoms, a non-empty list of Atoms, or a file path")
    for k, a in enumerate(frames):
        if not isinstance(a, Atoms):
            raise ValueError(f"from_ase: frame {k} is a {type(a).__name__}, not ase.Atoms")
    return frames


def read_ase_frames(path, index=":"):
    """The frames of a file ``ase.io.read`` understands, as a non-empty list of Atoms.

    Raises
    ------
    ValueError
        Naming the file: a format ase cannot read, a malformed or truncated file, no frames.
    """
    import ase.io
    from ase.io.extxyz import XYZError
    from ase.io.formats import UnknownFileTypeError, string2index
    from ase.io.ulm import InvalidULMFileError

    path = Path(path)
    if isinstance(index, bool) or not isinstance(index, (int, np.integer, str)):
        raise TypeError(f"index must be an int or an ase.io.read string such as ':' or '10:', "
                        f"not {index!r}")
    if isinstance(index, str) and not isinstance(string2index(index), (int, slice)):
        # ase would fail later with "'str' object has no attribute 'indices'"
        raise ValueError(f"index {index!r} is no frame selection; use ase.io.read syntax such "
                         "as ':', '-1' or '10:100:2'")
    source, fmt = path, None
    dump = _is_lammps_dump(path)
    if dump:
        _check_dump_elements(path)
    cut = _cut_dump_frame(path) if dump else None
    if cut is not None:
        # ase reads a cut last frame as a frame of fewer atoms, drops it, or fails with a
        # RuntimeError or IndexError naming nothing; it reads the complete frames alone
        end, n_complete = _warn_cut_dump(path, cut)
        with open(path, "rb") as fh:
            source = io.StringIO(fh.read(end).decode(errors="replace"))
        fmt = "lammps-dump-text"
    # every .gro file, of one frame or several, read by one path (checked for a cut end)
    gro = _gromacs_frames(path) if not dump and path.suffix.lower() == ".gro" else None
    if gro is not None:
        chosen = string2index(index)
        try:
            return gro[chosen] if isinstance(chosen, slice) else [gro[chosen]]
        except IndexError:
            raise ValueError(f"{path} holds {len(gro)} frames; index {index!r} selects "
                             "none") from None
    chosen = string2index(index) if isinstance(index, str) else int(index)
    try:
        if isinstance(chosen, int) and chosen < 0:
            # ase reads a negative index past the first frame as frame 0 (index=-100 of 6
            # frames gave frame 0 without a word): the frames from it on are read, as many
            # as it counts back, and counted
            frames = ase.io.read(source, index=f"{chosen}:", format=fmt)
            frames = [frames] if isinstance(frames, Atoms) else list(frames)
            if len(frames) < -chosen:
                raise ValueError(f"{path} holds {len(frames)} frames; index {index!r} "
                                 "selects none of them")
            frames = frames[:1]
        else:
            frames = ase.io.read(source, index=index, format=fmt)
    except UnknownFileTypeError as err:
        raise ValueError(
            f"{path}: not a trajectory format that can be read ({err}); give an H5MD file of "
            "run_md, an ASE .traj/.extxyz file, or a LAMMPS data file with a dump"
        ) from None
    except (StopIteration, IndexError, KeyError, XYZError, ValueError, EOFError,
            InvalidULMFileError, RuntimeError) as err:
        if str(err).startswith(f"{path} holds "):
            raise
        # what ase's parsers raise on a truncated, malformed or binary file (a cut .traj gives
        # a JSONDecodeError or a short buffer, a binary .extxyz a UnicodeDecodeError): none of
        # them names the file, nor the frame: a file cut mid-frame (a run stopped while
        # writing, a copy cut short) reads up to it, and its complete frames can be read
        raise ValueError(_unreadable_frame(path, source, fmt, err, index)) from None
    if isinstance(frames, Atoms):
        frames = [frames]
    if not frames:
        # "10:" of a 6-frame file: the file has frames, the selection none
        raise ValueError(f"{path} holds no frames" if index == ":" else
                         f"{path}: index {index!r} selects no frames of the file")
    if dump:
        _check_dump_steps(path, [a.info.get("timestep") for a in frames])
    return list(frames)


def _unreadable_frame(path, source, fmt, err, index=":"):
    """The message for a file ``ase.io.read`` fails on: the frame it fails at, counted by
    reading the frames one by one (on this failure only), and how to read those before it;
    or, for a file read whole without fault, the frame ``index`` asked for that it lacks."""
    import ase.io
    from ase.io.formats import string2index

    if isinstance(source, io.StringIO):
        source.seek(0)
    complete, whole = 0, False
    # the failure being described, at frame `complete`
    with contextlib.suppress(Exception):
        for _ in ase.io.iread(source, index=":", format=fmt):
            complete += 1
        whole = True
    chosen = string2index(index) if isinstance(index, str) else int(index)
    if whole and complete and isinstance(chosen, int) and not -complete <= chosen < complete:
        # index=100 of a sound file of 6 frames was reported as "frame 6 is cut or malformed
        # (StopIteration) ... write the file again": the file is whole, the index past it
        return (f"{path} holds {complete} frames (0 .. {complete - 1}); index {index!r} selects "
                "none of them")
    what = f"{type(err).__name__} {err}"
    if complete == 0:
        return f"{path}: cannot be read as {path.suffix or 'a trajectory'}: {what}"
    return (f"{path}: cannot be read as {path.suffix or 'a trajectory'}: frame {complete} is "
            f"cut or malformed ({what}); the {complete} complete frames before it are read "
            f"with index=':{complete}' (from_ase), or write the file again")


# --- GROMACS .gro files of several frames ---------------------------------------------------
#: The time of a frame in the title line of a .gro file (``gmx trjconv``: "t=   10.00000", ps).
_GRO_TIME = re.compile(r"\bt=\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)")


def _gromacs_frames(path):
    """The frames of a .gro file (one, or several: ``gmx trjconv -o traj.gro``), or ``None``
    for a file that is not laid out as GROMACS writes one (ase's reader names its problem).

    Neither ase's nor MDAnalysis' GRO reader reads more than the first frame (ase failed on
    the second: "could not convert string to float: ''", naming neither the file's frames
    nor a remedy); no maintained reader among the package's dependencies does, so the
    frames are split here and each (title, atom count, atoms, box) is read by ase's GROMACS
    reader. The times GROMACS writes in the titles (``t= 10.00000``, ps) become
    ``info['time_ps']`` when every frame has one.

    Raises
    ------
    ValueError
        A frame whose atom count line is not a number, that is cut short, whose box line is
        not 3 or 9 numbers, or a file whose last line has no line end (cut inside its box
        line: "1.20000   1" read as a 1 nm box edge, or a frame with no box), naming it.
    """
    import ase.io

    with open(path, encoding="utf-8", errors="replace") as fh:
        text = fh.read()
    lines = text.splitlines(keepends=True)
    while lines and not lines[-1].strip():
        lines.pop()
    blocks, start = [], 0
    while start < len(lines):
        try:
            n_atoms = int(lines[start + 1]) if start + 1 < len(lines) else -1
        except ValueError:
            n_atoms = -1
        if n_atoms < 0:
            if start == 0:
                return None  # not a .gro file as GROMACS writes it: ase names the problem
            raise ValueError(f"{path}: frame {len(blocks)} (line {start + 2}) has no atom count "
                             f"after its title; the file is damaged or not a .gro trajectory")
        end = start + n_atoms + 3
        if end > len(lines):
            raise ValueError(f"{path}: frame {len(blocks)} is cut short ({len(lines) - start} "
                             f"of its {n_atoms + 3} lines); remove it, or write the file again")
        box = lines[end - 1].split()
        try:
            numbers = [float(v) for v in box]
        except ValueError:
            numbers = []
        if len(numbers) not in (3, 9):
            raise ValueError(f"{path}: frame {len(blocks)}: its box line (line {end}) "
                             f"{lines[end - 1].strip()!r} is not 3 or 9 numbers (nm); the frame "
                             "is cut short or damaged: remove it, or write the file again")
        blocks.append(lines[start:end])
        start = end
    # GROMACS, ase and MDAnalysis end every line; a last line without its end is a file cut
    # inside its last box line, whose last number may have lost digits
    if blocks and not lines[-1].endswith(("\n", "\r")):
        raise ValueError(f"{path}: its last line {lines[-1].strip()!r} has no line end: the file "
                         f"is cut inside frame {len(blocks) - 1}'s box line; remove that frame, "
                         "or write the file again (if it is complete, end it with a newline)")
    if not blocks:
        return None
    frames = []
    for k, block in enumerate(blocks):
        try:
            atoms = ase.io.read(io.StringIO("".join(block)), format="gromacs")
        except (ValueError, IndexError) as err:
            raise ValueError(f"{path}: frame {k} cannot be read as .gro: {type(err).__name__} "
                             f"{err}") from None
        frames.append(atoms)
    times = [_GRO_TIME.search(block[0]) for block in blocks]
    if all(times):
        for atoms, time in zip(frames, times, strict=True):
            atoms.info["time_ps"] = float(time.group(1))
    return frames


# --- LAMMPS dumps cut short ------------------------------------------------------------------
_DUMP_FRAME = b"ITEM: TIMESTEP"


def _is_lammps_dump(path):
    from ase.io.formats import filetype

    try:
        return filetype(str(path), guess=False) == "lammps-dump-text"
    except Exception:  # noqa: BLE001 - not recognised: ase.io.read names the problem
        return False


def _cut_dump_frame(path, block=1 << 22):
    """How the last frame of a LAMMPS text dump is cut short, or ``None`` when it is whole.

    A dump copied while LAMMPS writes it, or cut by a full disk or a killed job, ends inside
    its last frame; MDAnalysis' reader then drops that frame without a word and ase reads it
    with fewer atoms or fails naming nothing. Only the last frame is parsed: the frames are
    counted by their ``ITEM: TIMESTEP`` lines.

    Returns
    -------
    tuple or None
        ``(offset, n_complete, what)``: the byte offset where the cut frame starts, the number
        of complete frames before it and what is missing.
    """
    n_frames, last, tail, offset = 0, -1, b"", 0
    with open(path, "rb") as fh:
        while chunk := fh.read(block):
            data = tail + chunk
            n_frames += data.count(_DUMP_FRAME)
            k = data.rfind(_DUMP_FRAME)
            if k >= 0:
                last = offset - len(tail) + k
            # an occurrence across two blocks is counted once: in the block where it ends
            tail = data[-(len(_DUMP_FRAME) - 1):]
            offset += len(chunk)
        if last < 0:
            return None
        fh.seek(last)
        text = fh.read()
    k = n_frames - 1
    lines = text.split(b"\n")
    ends_cut = not text.endswith(b"\n")
    if not ends_cut:
        lines = lines[:-1]
    header = {line.strip(): i for i, line in enumerate(lines) if line.startswith(b"ITEM:")}
    step = lines[1].strip().decode(errors="replace") if len(lines) > 1 else "not written"
    where = f"frame {k} (timestep {step})"
    count = header.get(b"ITEM: NUMBER OF ATOMS")
    atoms_at = next((i for i, line in enumerate(lines) if line.startswith(b"ITEM: ATOMS")), None)
    try:
        n_atoms = int(lines[count + 1]) if count is not None else None
    except (IndexError, ValueError):
        n_atoms = None
    if n_atoms is None or atoms_at is None or (count + 1 == len(lines) - 1 and ends_cut):
        return last, k, f"{where} ends inside its header"
    got = len(lines) - atoms_at - 1
    if got < n_atoms:
        return last, k, f"{where} holds {max(got, 0)} of its {n_atoms} atom lines"
    if ends_cut and got == n_atoms:
        return last, k, f"{where} ends inside the line of its last atom"
    return None


def _warn_cut_dump(path, cut):
    """Warn that a dump's last frame is cut short; the (byte end, count) of the whole frames."""
    end, n_complete, what = cut
    if n_complete == 0:
        raise ValueError(f"{path}: {what} (the file was cut short, or is still being "
                         "written): it holds no complete frame")
    warnings.warn(
        f"{path}: {what} (the file was cut short, or is still being written): reading its "
        f"{n_complete} complete frames without it",
        stacklevel=4,
    )
    return end, n_complete


def _first_not_after(values):
    """Index of the first value not above the one before it, or None when they increase."""
    back = np.flatnonzero(np.diff(values) <= 0)
    return int(back[0]) + 1 if back.size else None


def _dump_start_time(steps, dt):
    """Time (ps) of a dump's first frame: its timestep times the MD step, ``dt`` over the
    timesteps between two frames, as MDAnalysis' own dump reader gives it (step × its dt).

    0 where the timesteps are not known or one frame gives no MD step.
    """
    if len(steps) < 2 or any(s is None for s in steps):
        return 0.0
    per_frame = int(steps[1]) - int(steps[0])
    return float(int(steps[0]) * dt / per_frame) if per_frame > 0 else 0.0


def _check_dump_steps(path, steps):
    """Timesteps of a dump's frames that increase evenly (a Universe has one dt).

    A run restarted from a restart file appends to the dump from the restart's step on: frames
    repeated or going back in time would be read as later frames at a uniform dt.
    """
    if len(steps) < 2 or any(s is None for s in steps):
        return
    steps = np.asarray(steps, dtype=np.int64)
    k = _first_not_after(steps)
    if k is not None:
        raise ValueError(
            f"{path}: frame {k} is at timestep {steps[k]}, not after frame {k - 1} (timestep "
            f"{steps[k - 1]}): frames repeated or out of order (a restarted run appended to the "
            "dump?); remove the repeated frames"
        )
    intervals = np.unique(np.diff(steps))
    if intervals.size > 1:
        raise ValueError(
            f"{path}: frames are not evenly spaced in timesteps (intervals "
            f"{intervals[:5].tolist()}): a Universe has one dt; keep evenly spaced frames"
        )


def _check_dump_elements(path):
    """Refuse a LAMMPS dump that names no elements: ase would read its types as atomic numbers."""
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    k = head.find(b"ITEM: ATOMS")
    if k < 0:
        return
    columns = head[k:].split(b"\n", 1)[0].split()[2:]
    if b"element" not in columns:
        raise ValueError(
            f"{path}: a LAMMPS dump without an 'element' column (columns "
            f"{b' '.join(columns).decode(errors='replace')}): read alone, its atom types 1, "
            "2, ... would become H, He, ...; give its data file: "
            f"from_ase(data_file, dump={str(path)!r})"
        )


# --- topology ------------------------------------------------------------------------------
def _guess_topology(atoms, bonds):
    """Molecule ids, species names and per-atom formal charges of Atoms without stored topology.

    Molecules from :func:`~mda_electrolyte.molecules.atoms_molecule_ids` with the covalent
    ``bonds`` already found (free ions, Li⁺, Na⁺, …, unbonded; residue numbers of a PDB or GRO
    file used where they are molecules).
    """
    ids = atoms_molecule_ids(atoms, bonds=bonds)
    names, charges = _species_and_charges(atoms.numbers, ids, bonds)
    return ids, names, charges


def _bond_graph_labels(numbers, bonds, rounds=3):
    """A label of every atom that tells apart atoms of different bond environments.

    The element refined ``rounds`` times by the sorted labels of the bonded neighbours (the
    Weisfeiler-Lehman test): two molecules of one composition whose sorted labels differ are
    different isomers (1,4-dioxane and ethyl acetate, both C4H8O2).
    """
    numbers = [int(z) for z in numbers]
    neighbours = [[] for _ in numbers]
    for a, b in np.asarray(bonds, dtype=np.intp).reshape(-1, 2).tolist():
        neighbours[a].append(b)
        neighbours[b].append(a)
    label = numbers
    for _ in range(rounds):
        label = [hash((label[i], tuple(sorted(label[j] for j in neighbours[i]))))
                 for i in range(len(numbers))]
    return label


@functools.cache
def _species_graph(species):
    """Sorted :func:`_bond_graph_labels` of a library species, from its SMILES' bonds."""
    mol = species.rdkit_mol
    bonds = [(b.GetBeginAtomIdx(), b.GetEndAtomIdx()) for b in mol.GetBonds()]
    return sorted(_bond_graph_labels([a.GetAtomicNum() for a in mol.GetAtoms()], bonds))


def _species_and_charges(numbers, ids, bonds):
    """Library species name (else Hill formula) and per-atom formal charges of every molecule.

    A molecule takes a library species' name when it has its composition and its bond graph
    (``bonds``, the covalent bonds guessed): an isomer (1,4-dioxane of the composition of
    ethyl acetate) was named, and charged, as the library's species.
    """
    labels = molecule_species(numbers, ids)
    names = np.empty(len(numbers), dtype=object)
    charges = np.zeros(len(numbers), dtype=np.int64)
    unknown, odd, isomers = set(), set(), {}
    bonds = np.asarray(bonds, dtype=np.intp).reshape(-1, 2)
    graph = _bond_graph_labels(numbers, bonds[ids[bonds[:, 0]] == ids[bonds[:, 1]]])
    # each molecule's atoms from one sort (a mask of all atoms per molecule was quadratic)
    order = np.argsort(ids, kind="stable")
    bounds = np.searchsorted(ids[order], np.arange(len(labels) + 1))
    library = {}  # the label is the molecule's Hill formula: one lookup per composition
    for j, label in enumerate(labels):
        members = order[bounds[j]:bounds[j + 1]]
        symbols = [chemical_symbols[z] for z in numbers[members]]
        if label not in library:
            library[label] = species_from_formula(symbols)
        sp = library[label]
        if sp is not None and len(members) > 1 and \
                sorted(graph[k] for k in members) != _species_graph(sp):
            isomers[label] = sp.name
            sp = None
        if sp is None and len(members) == 1 and numbers[members[0]] in FREE_ION_NUMBERS:
            # a lone alkali, alkaline-earth or zinc atom is the cation (Mg²⁺, Zn²⁺ of a
            # user-defined species): +1 for group 1, +2 for group 2
            names[members] = symbols[0]
            charges[members] = 1 if numbers[members[0]] in _GROUP_1 else 2
            continue
        if sp is None:
            names[members] = label
            unknown.add(label)
            if int(numbers[members].sum()) % 2:
                odd.add(label)
            continue
        names[members] = sp.name
        # the k-th atom of an element in the species takes its formal charge to the k-th atom
        # of that element in the molecule (the same atom where the file keeps the species'
        # order, as the box builder writes it); all went to the first one, a perchlorate's
        # four O⁻ of RDKit's charge-separated form were one O of charge -4
        symbols = np.asarray(symbols)
        species_symbols = np.asarray(sp.symbols)
        for element in np.unique(species_symbols[sp.atomic_formal_charges != 0]):
            charges[members[symbols == element]] = \
                sp.atomic_formal_charges[species_symbols == element]
    if unknown:
        # a closed-shell neutral molecule has an even number of electrons: one with an odd
        # number (AsF6⁻, NO3⁻ without its charge) is an ion whose charge 0 is wrong
        ions = (f"; {sorted(odd)} have an odd number of electrons: ions (or radicals) whose "
                "formal charge 0 is wrong for conductivities; give their charges "
                "(u.add_TopologyAttr('formalcharges', [...]) in e) or build the box with "
                "electrolyte_box, whose topology names them" if odd else "")
        other = "".join(f"; {label} has the composition of {name} but other bonds (an "
                        "isomer)" for label, name in sorted(isomers.items()))
        warnings.warn(
            f"molecules {sorted(unknown)} are not in the species library: named by formula, "
            f"formal charge 0{other}{ions}",
            stacklevel=4,
        )
    return names.astype(str), charges


def _topology_of(atoms, bonds):
    topo = get_topology(atoms)
    if topo is None:
        return _guess_topology(atoms, bonds)
    ids = first_appearance(topo[MOLECULE_INDEX])
    # residues are molecules: an index that cuts a covalent bond is no topology of them
    check_stored_molecules(atoms, ids, bonds, cut_bonds=True)
    _check_library_charges(atoms.numbers, ids, topo[SPECIES], topo[FORMAL_CHARGE])
    _check_library_names(atoms.numbers, ids, topo[SPECIES])
    return ids, topo[SPECIES], topo[FORMAL_CHARGE]


def _check_library_charges(numbers, ids, names, charges):
    """Refuse stored formal charges that contradict the library species the molecules are.

    A molecule named as a library species and of its composition is that species: PF6 of
    net charge 0 or an Li of +2 (charges edited, or written by another tool) were taken as
    they were, and every conductivity was off by their charges without a word.
    """
    from ase_electrolyte.species import IONS, SOLVENTS

    library = {**SOLVENTS, **IONS}
    labels = molecule_species(numbers, ids, names)
    formulas = molecule_species(numbers, ids)
    net = np.bincount(ids, weights=np.asarray(charges, dtype=np.float64))
    for label, formula, q in sorted(set(zip(labels, formulas, net.tolist(), strict=True))):
        sp = library.get(label)
        if sp is not None and sp.formula == formula and q != sp.charge:
            raise ValueError(
                f"Atoms.arrays[{FORMAL_CHARGE!r}] does not fit the atoms: molecules named "
                f"{label!r} ({formula}, the library's {sp.description}) carry net formal "
                f"charge {q:+g} e, the library's {sp.charge:+d} e; the charges were edited or "
                "written by another tool: correct them, or delete the topology arrays "
                "(ase_electrolyte.topology) to take the library's")


def _check_library_names(numbers, ids, names):
    """Warn of molecules named as a library species of another composition.

    EC molecules stored under the name "DMC" (names edited, or written by another tool) were
    analysed as DMC without a word: every table and shell composition named them so. A user's
    own species may reuse a library name, so this warns instead of refusing.
    """
    from ase_electrolyte.species import IONS, SOLVENTS

    library = {**SOLVENTS, **IONS}
    labels = molecule_species(numbers, ids, names)
    formulas = molecule_species(numbers, ids)
    odd = sorted({(label, formula) for label, formula in zip(labels, formulas, strict=True)
                  if label in library and library[label].formula != formula})
    if not odd:
        return
    by_formula = {sp.formula: name for name, sp in library.items()}
    said = "; ".join(
        f"molecules named {label!r} are {formula}, the library's {label} is "
        f"{library[label].formula}"
        + (f" ({formula} is the library's {by_formula[formula]!r})" if formula in by_formula
           else "")
        for label, formula in odd)
    warnings.warn(
        f"{said}: they are analysed under the stored name; if the name is wrong, correct "
        f"Atoms.arrays[{SPECIES!r}] (ase_electrolyte.topology) or delete the topology arrays "
        "to name molecules by their composition", stacklevel=5)


def _intramolecular_bonds(bonds, ids):
    """The covalent bonds inside one molecule, so that bonds never contradict the residues."""
    return bonds[ids[bonds[:, 0]] == ids[bonds[:, 1]]]


def _empty_universe(numbers, masses, ids, names, charges, bonds=None):
    n_atoms = len(numbers)
    if n_atoms == 0:
        raise ValueError("no atoms")
    n_res = int(ids.max()) + 1
    u = mda.Universe.empty(
        n_atoms,
        n_residues=n_res,
        n_segments=1,
        atom_resindex=ids,
        residue_segindex=np.zeros(n_res, dtype=int),
        trajectory=False,
    )
    symbols = np.array([chemical_symbols[z] for z in numbers], dtype=object)
    u.add_TopologyAttr("elements", symbols)
    u.add_TopologyAttr("names", symbols)
    u.add_TopologyAttr("types", symbols)
    u.add_TopologyAttr("masses", np.asarray(masses, dtype=np.float64))
    u.add_TopologyAttr("formalcharges", np.asarray(charges, dtype=np.int64))
    first = np.full(n_res, -1, dtype=np.intp)
    first[ids[::-1]] = np.arange(n_atoms)[::-1]
    u.add_TopologyAttr("resnames", np.asarray(names)[first].astype(object))
    u.add_TopologyAttr("resids", np.arange(1, n_res + 1))
    u.add_TopologyAttr("segids", ["SYSTEM"])
    if bonds is not None:
        u.add_TopologyAttr("bonds", [tuple(b) for b in bonds])
    return u


# --- ASE frames ----------------------------------------------------------------------------
def _from_frames(frames, dt):
    ref = frames[0]
    for k, a in enumerate(frames):
        if len(a) != len(ref):
            raise ValueError(
                f"frame {k} has {len(a)} atoms ({a.get_chemical_formula()}), frame 0 has "
                f"{len(ref)} ({ref.get_chemical_formula()}): not one trajectory"
            )
        if not np.array_equal(a.numbers, ref.numbers):
            # same count (often the same formula): the atoms were reordered or exchanged
            i = int(np.flatnonzero(a.numbers != ref.numbers)[0])
            same = a.get_chemical_formula() == ref.get_chemical_formula()
            raise ValueError(
                f"frame {k}: atom {i} is {chemical_symbols[a.numbers[i]]}, in frame 0 "
                f"{chemical_symbols[ref.numbers[i]]} ("
                + ("the same atoms in another order: sorted or reordered by the program that "
                   "wrote them" if same else f"{a.get_chemical_formula()} against "
                   f"{ref.get_chemical_formula()}")
                + "): not one trajectory; give frames of one atom order")
        if not np.array_equal(a.pbc, ref.pbc):
            # frame 0's periodicity decides the Universe's box: a frame written without its
            # cell had no box, and a slab's frame was read as 3D-periodic, without a word
            raise ValueError(
                f"frame {k} is periodic along {np.asarray(a.pbc).tolist()}, frame 0 along "
                f"{np.asarray(ref.pbc).tolist()}: not one trajectory (a frame written without "
                "its cell?); give frames of one periodicity")
        if ("masses" in a.arrays or "masses" in ref.arrays) and not np.array_equal(
                a.get_masses(), ref.get_masses(), equal_nan=True):
            # the Universe has one mass per atom, frame 0's: frames of a heavy-hydrogen run
            # joined to those of another were given frame 0's masses without a word (a NaN
            # mass in every frame is named by the mass check instead)
            mass, mass0 = a.get_masses(), ref.get_masses()
            i = int(np.flatnonzero((mass != mass0) & ~(np.isnan(mass) & np.isnan(mass0)))[0])
            raise ValueError(
                f"frame {k}: atom {i} ({chemical_symbols[a.numbers[i]]}) has mass "
                f"{mass[i]:g} amu, in frame 0 {mass0[i]:g} amu: a "
                "Universe has one mass per atom; give frames of one run (or set the masses "
                "of all frames alike)")
        _check_frame(a, f"frame {k}")
    times = _frame_times(frames) if dt is None else None
    bonds = covalent_bonds(ref)
    ids, names, charges = _topology_of(ref, bonds)
    _check_same_topology(frames)
    _check_bonds_kept(frames, _intramolecular_bonds(bonds, ids))
    n = len(frames)
    positions = np.stack([a.positions for a in frames]).astype(np.float32)
    with_v = ["momenta" in a.arrays for a in frames]
    has_v = all(with_v)
    if any(with_v) and not has_v:
        warnings.warn(
            f"only {sum(with_v)} of {n} frames carry velocities (frame "
            f"{with_v.index(False)} has none): the Universe gets no velocities",
            stacklevel=3,
        )
    # before the velocities, which divide by them: a mass of 0 was named a non-finite velocity
    masses = check_masses(ref.numbers, ref.get_masses(), ids, "the Atoms' masses")
    velocities = (
        np.stack([a.get_velocities() for a in frames]) * VELOCITY_TO_ANGSTROM_PER_PS
        if has_v
        else None
    )
    if has_v:
        _check_finite_per_atom(velocities, "velocities")
    got = [_stored_forces(a, k) for k, a in enumerate(frames)]
    forces = None
    if all(f is not None for f in got):
        forces = np.stack(got) * FORCE_TO_KJ_PER_MOL_ANGSTROM
        _check_finite_per_atom(forces, "forces")
    elif any(f is not None for f in got):
        # as for velocities: force analyses would otherwise find no forces without a word
        warnings.warn(
            f"only {sum(f is not None for f in got)} of {n} frames carry forces (frame "
            f"{next(k for k, f in enumerate(got) if f is None)} has none): the Universe "
            "gets no forces",
            stacklevel=3,
        )
    _warn_unread_vectors(ref, velocities is not None, forces is not None)
    dims = None
    if ref.pbc.all():
        dims = np.stack([a.cell.cellpar() for a in frames]).astype(np.float32)
    elif ref.pbc.any():
        warnings.warn("partly periodic Atoms: the Universe gets no box", stacklevel=3)
    time_unknown = False
    if dt is not None and n > 1:
        try:
            stored = _frame_times(frames)
        except ValueError:  # missing, repeated or out of order: what dt overrides
            stored = None
        if stored is not None:
            check_dt_against_times(dt, stored)
    # the first frame's stored time, as MDAnalysis' own readers give a file's (GROMACS'
    # titles, H5MD): frames from 5 ps on were shown from 0 ps, and the same frames read from
    # their H5MD file and as Atoms had other times
    start = times
    if dt is not None:
        try:
            start = _frame_times(frames)
        except ValueError:  # missing, repeated or out of order: dt overrides them
            start = None
    time_offset = 0.0 if start is None else float(start[0])
    if start is None and dt is not None:
        # a LAMMPS dump read by ASE: its timesteps place the first frame
        time_offset = _dump_start_time([a.info.get("timestep") for a in frames], dt)
    if dt is None:
        if n > 1 and times is not None:
            intervals = np.diff(times)
            dt = float(intervals[0])
            if not (
                np.all(np.isfinite(intervals))
                and dt > 0
                and np.allclose(intervals, dt, rtol=1e-6, atol=1e-12)
            ):
                raise ValueError(
                    f"frames are not evenly spaced in time (info['time_ps'] intervals "
                    f"{np.unique(np.round(intervals, 9))[:5].tolist()} ps): a Universe has one "
                    "dt; select evenly spaced frames or give dt (dt= of from_ase, --dt of "
                    "electrolyte analyze) to override the stored times"
                )
        else:
            if n > 1:
                warnings.warn(
                    "frames carry no time (info['time_ps']); assuming dt = 1 ps; give the time "
                    "between frames (dt= of from_ase, --dt of electrolyte analyze)",
                    stacklevel=3,
                )
                time_unknown = True
            dt = 1.0
    u = _empty_universe(
        ref.numbers, masses, ids, names, charges, _intramolecular_bonds(bonds, ids)
    )
    u.load_new(
        positions,
        format=MemoryReader,
        order="fac",
        dimensions=dims,
        dt=dt,
        velocities=None if velocities is None else velocities.astype(np.float32),
        forces=None if forces is None else forces.astype(np.float32),
        time_offset=time_offset,
    )
    _mark_time_unknown(u, time_unknown)
    return u


#: Attribute of a reader whose frames' spacing in time was not known when it was loaded (its
#: dt of 1 ps is an assumption): the transport analyses refuse it
#: (:func:`mda_electrolyte.ion_collection.check_has_time`); structure (RDFs, shells) is fine.
TIME_UNKNOWN = "electrolyte_time_unknown"


def _mark_time_unknown(u, unknown):
    if unknown:
        setattr(u.trajectory, TIME_UNKNOWN, True)


def _check_frame(atoms, where):
    """:func:`~ase_electrolyte.atoms_checks.check_atoms` with the frame named in the message.

    A NaN position otherwise reaches the bond guesser (scipy's "data must be finite") or the
    box conversion ("cannot convert float NaN to integer"), naming neither frame nor atom.
    """
    from ase_electrolyte.atoms_checks import check_atoms

    try:
        check_atoms(atoms)
    except ValueError as err:
        raise ValueError(f"{where}: {err}") from None
    bad = np.flatnonzero((atoms.numbers < 1) | (atoms.numbers >= len(chemical_symbols)))
    if bad.size:
        raise ValueError(f"{where}: atoms {bad[:10].tolist()} have atomic number "
                         f"{atoms.numbers[bad[0]]}, no element")


#: Å added to twice the sum of two bonded atoms' covalent radii beyond which they are no longer
#: bonded in a later frame (:func:`_check_bonds_kept`): C–H 2.74 Å, C–C 3.64 Å, P–F 4.14 Å,
#: far beyond any vibration (a C–H bond of 1.09 Å stretches by some 0.1 Å at 300 K).
BROKEN_BOND_SLACK = 0.6


def _check_bonds_kept(frames, bonds):
    """Refuse frames in which two atoms bonded in frame 0 are far apart.

    The Universe's molecules are frame 0's for every frame. Frames written by a program that
    sorts or reorders atoms (same elements in another order) put another molecule's atom at
    a molecule's place: a hydrogen of one EC swapped with one of another EC passed every
    check and gave molecules with an atom several Å away, whose centres of mass and
    orientations were wrong. Bond lengths are compared with the minimum image of each
    frame's own cell; only the bonds of frame 0 are measured (no neighbour search).
    """
    from ase.data import covalent_radii
    from ase.geometry import find_mic

    if len(frames) < 2 or not len(bonds):
        return
    numbers = frames[0].numbers
    radii = np.asarray(covalent_radii)[numbers]
    limit = 2.0 * (radii[bonds[:, 0]] + radii[bonds[:, 1]]) + BROKEN_BOND_SLACK
    for k, atoms in enumerate(frames[1:], start=1):
        direct = atoms.positions[bonds[:, 1]] - atoms.positions[bonds[:, 0]]
        pbc = np.asarray(atoms.pbc, dtype=bool)
        length = np.linalg.norm(direct, axis=1)
        if pbc.all():
            # the nearest image in fractional coordinates is never shorter than the minimum
            # image: only the bonds it leaves too long are searched exactly (find_mic took
            # 5 ms a frame for 10⁴ bonds)
            cell = atoms.cell.array
            fractional = np.linalg.solve(cell.T, direct.T).T
            length = np.linalg.norm((fractional - np.round(fractional)) @ cell, axis=1)
        far = np.flatnonzero(length > limit)
        if far.size and pbc.any():
            _, length[far] = find_mic(direct[far], atoms.cell.array, pbc=pbc)
            far = far[length[far] > limit[far]]
        if far.size:
            a, b = (int(i) for i in bonds[far[0]])
            raise ValueError(
                f"frame {k}: atoms {a} ({chemical_symbols[numbers[a]]}) and {b} "
                f"({chemical_symbols[numbers[b]]}), bonded in frame 0, are {length[far[0]]:.2f} "
                f"Å apart ({far.size} bond(s) of frame 0 broken): the atoms were reordered (or "
                "molecules broke apart); the Universe's molecules are frame 0's, so give "
                f"frames of one atom order, or the frames before this one (frames[:{k}])")


def _warn_unread_vectors(atoms, has_velocities, has_forces):
    """Name the per-atom vectors a frame holds under other names than ASE's, which the
    Universe does not read.

    Forces are a calculator's and velocities the momenta: a file of a fitting data set
    (extended XYZ with ``REF_forces``, ``DFT_forces``) gave a Universe without forces, and
    the analyses that need them said only that there were none.
    """
    kinds = [(word, what) for word, what, has in (("force", "forces", has_forces),
                                                  ("veloc", "velocities", has_velocities))
             if not has]
    names, lost = [], []
    for word, what in kinds:
        found = sorted(k for k in atoms.arrays if word in k.lower()
                       and np.shape(atoms.arrays[k]) == (len(atoms), 3))
        names += found
        lost += [what] if found else []
    if names:
        warnings.warn(
            f"Atoms.arrays {names} are not read: the Universe's forces are those of the "
            "frames' calculators (atoms.calc), its velocities the momenta; it gets no "
            f"{' and no '.join(lost)}. Attach them (SinglePointCalculator(atoms, forces=...), "
            "atoms.set_velocities) if they are the frames' own",
            stacklevel=4,
        )


def _stored_forces(atoms, frame=0):
    """The forces (eV/Å) a frame's calculator holds for exactly these atoms, or None.

    Read from the calculator's results without asking it: ``get_property`` raised
    ``PropertyNotImplementedError`` for a calculator of energies only, and cleared the
    results of a calculator whose atoms had moved since (the caller's calculator lost them).
    Forces of the frame's state that are not one vector per atom (a SinglePointCalculator
    given another structure's forces) are refused naming ``frame``: they were dropped, and
    the Universe got no forces without a word.
    """
    calc = atoms.calc
    results = getattr(calc, "results", None)
    if not isinstance(results, dict) or results.get("forces") is None:
        return None
    try:
        if calc.check_state(atoms):
            return None  # results of other positions, cell or atoms
    except Exception:  # noqa: BLE001 - a calculator without a usable state: no stored forces
        return None
    forces = np.asarray(results["forces"], dtype=np.float64)
    if forces.shape != (len(atoms), 3):
        raise ValueError(f"frame {frame}: its calculator holds forces of shape {forces.shape} "
                         f"for {len(atoms)} atoms (one vector per atom expected): forces of "
                         "another structure? attach the frame's own, or none")
    return forces


def _check_finite_per_atom(values, what):
    """Refuse NaN or infinite ``values`` (frames, atoms, 3), naming the first frame and atom:
    they reached the Universe and made every kinetic or force analysis NaN."""
    bad = ~np.all(np.isfinite(values), axis=-1)
    if bad.any():
        frame, atom = (int(k) for k in np.argwhere(bad)[0])
        raise ValueError(
            f"frame {frame}: non-finite {what} for {int(bad[frame].sum())} atom(s) (e.g. atom "
            f"{atom}); a blown-up step? remove the frame or its {what}")


def _check_same_topology(frames):
    """Refuse frames whose topology arrays differ from frame 0's (frames of different boxes
    of one composition joined): the Universe takes frame 0's molecules for every frame."""
    keys = (MOLECULE_INDEX, SPECIES, FORMAL_CHARGE)
    first = frames[0].arrays
    ref = get_topology(frames[0])
    for k, atoms in enumerate(frames[1:], start=1):
        if all(key in first and key in atoms.arrays
               and np.array_equal(atoms.arrays[key], first[key]) for key in keys):
            continue  # as stored: one comparison per array, no copies
        topo = get_topology(atoms)
        if topo is None:
            continue
        same = ref is not None and np.array_equal(
            first_appearance(topo[MOLECULE_INDEX]), first_appearance(ref[MOLECULE_INDEX])) \
            and np.array_equal(topo[SPECIES], ref[SPECIES]) \
            and np.array_equal(topo[FORMAL_CHARGE], ref[FORMAL_CHARGE])
        if not same:
            raise ValueError(
                f"frame {k} carries other topology arrays (molecule_index, molecule_species, "
                "formal_charge) than frame 0: frames of different boxes, whose molecules "
                "are not one trajectory's; give the frames of one run")


def check_dt_against_times(dt, times):
    """Refuse a frame spacing ``dt`` given over frames whose stored times are evenly spaced
    at another interval.

    A given ``dt`` overrides stored times only where they are uneven (frames of joined runs,
    a dump's timesteps): over evenly spaced ones it put every transport number off by their
    ratio (``dt = 1`` over frames 0.01 ps apart: 100 times). :func:`from_ase` applies this
    rule to its frames' ``info["time_ps"]``; ``electrolyte analyze`` to the times of a file's
    frame headers, before reading the frames.

    Parameters
    ----------
    dt : float
        The spacing given, ps.
    times : sequence of float
        Each frame's stored time, ps, in frame order. Fewer than two, or times that are not
        finite and increasing (what ``dt`` overrides), are not checked.

    Raises
    ------
    ValueError
        The stored times are evenly spaced (relative 10⁻⁶) at an interval other than ``dt``:
        the message gives the stored spacing.
    """
    times = np.asarray(times, dtype=float)
    if times.ndim != 1 or len(times) < 2 or not np.all(np.isfinite(times)):
        return
    intervals = np.diff(times)
    stored = float(intervals[0])
    even = (stored > 0 and np.allclose(intervals, stored, rtol=1e-6, atol=1e-12))
    if even and not np.isclose(dt, stored, rtol=1e-6, atol=1e-12):
        raise ValueError(
            f"dt = {dt:g} ps given, but the frames carry their own times "
            f"(info['time_ps']) {stored:g} ps apart: leave dt out, or give dt = "
            f"{stored:g}")


def _frame_times(frames):
    """The ``info["time_ps"]`` of every frame as an increasing array, or None if none has one.

    Some frames with a time and some without (frames of different runs joined) are refused,
    as are times that are not finite numbers or do not increase.
    """
    stamped = [k for k, a in enumerate(frames) if a.info.get("time_ps") is not None]
    if not stamped:
        return None
    if len(stamped) < len(frames):
        missing = next(k for k, a in enumerate(frames) if a.info.get("time_ps") is None)
        raise ValueError(
            f"{len(stamped)} of {len(frames)} frames carry info['time_ps'] but frame {missing} "
            "has none: not one trajectory, or give dt (dt= of from_ase, --dt of electrolyte "
            "analyze) to override the stored times"
        )
    times = np.array([check_number(f"frame {k} info['time_ps'] (ps)", a.info["time_ps"])
                      for k, a in enumerate(frames)])
    k = _first_not_after(times)
    if k is not None:
        raise ValueError(
            f"frame {k} has info['time_ps'] = {times[k]} ps, not after frame {k - 1} "
            f"({times[k - 1]} ps): frames out of time order or repeated"
        )
    return times


# --- our H5MD ------------------------------------------------------------------------------
def _from_h5md(path, attempts=10, wait_s=0.1):
    import h5py

    # not HDF5 at all (a renamed or truncated-at-birth file): no retry can help
    if path.stat().st_size == 0 or not h5py.is_hdf5(path):
        raise ValueError(f"{path} is not an HDF5 (H5MD) file{_not_hdf5_advice(path)}")
    # a running writer flushes whole frames; a read that falls into a flush is retried
    for attempt in range(attempts):
        try:
            u = _read_h5md_universe(path, retry=attempt < attempts - 1)
        except (_HalfWritten, OSError) as err:
            if attempt == attempts - 1:
                if "truncated file" in str(err):
                    raise OSError(
                        f"{path} is truncated (shorter than its HDF5 header says: an "
                        f"incomplete copy or a full disk); no frame of it can be read: {err}"
                    ) from err
                raise OSError(f"{path}: {err}") from err
            time.sleep(wait_s)
            continue
        return u


def _not_hdf5_advice(path):
    """What a file named as H5MD holds instead, and what to do: ``""`` where nothing helps."""
    with open(path, "rb") as fh:
        head = fh.read(512)
    if not head:
        return (": it is empty (0 bytes; a copy or a download that never started?); "
                "nothing can be read from it")
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return ""
    first = text.strip().splitlines()[0][:40] if text.strip() else ""
    # an extxyz or a LAMMPS dump saved under the trajectory's name: ase.io reads it by its
    # own suffix, not by .h5md
    return (f": it holds text (starting {first!r}), another format under an H5MD name; "
            "rename it to its format's suffix (.extxyz, .xyz, .lammpstrj, ...)")


class _HalfWritten(Exception):
    """A running writer was caught between extending ``position`` and counting the frame."""


def _read_h5md_universe(path, retry):
    with open_h5md(path) as f:
        what = foreign_h5md(f)
        if what is not None:
            # as read_h5md says it: what the file is, and how it is read, if at all (an
            # observables-only file was sent to MDAnalysis, which fails on it with a KeyError)
            raise ValueError(f"{path} is {what}, not an H5MD file written by ase_electrolyte "
                             f"(no topology group){_foreign_advice(f)}")
        if "parameters/ase_electrolyte" not in f or particle_group(f) not in f:
            raise damaged_h5md(path, "its particles or parameters/ase_electrolyte group is "
                                     "missing")
        group, meta = f[particle_group(f)], f["parameters/ase_electrolyte"]
        n_frames, complete, n_stored, n_particles = check_h5md_layout(f, path)
        numbers = group["species"][()]
        masses = group["mass"][()]
        times = group["position/time"][:n_frames].astype(np.float64)
        if n_frames == 0:
            raise ValueError(f"{path} holds no complete frame")
        _check_h5md_values(path, numbers, masses, times)
        first_frame = Atoms(
            numbers=numbers,
            positions=group["position/value"][0],
            cell=group["box/edges/value"][0] if "edges" in group["box"] else meta["cell"][()],
            pbc=meta["pbc"][()],
        )
        _check_frame(first_frame, f"{path} frame 0")
        if MOLECULE_INDEX in meta:
            # the stored topology is checked as the Atoms' is: an index edited, or written by
            # another tool, gave wrong molecules (two EC under one index read as one neutral
            # C6H8O6 "EC", a PF6⁻ atom's index swapped with an EC atom's) without a word
            first_frame.new_array(MOLECULE_INDEX, meta[MOLECULE_INDEX][()])
            first_frame.new_array(SPECIES, np.asarray(meta["species_name"].asstr()[()],
                                                      dtype=str))
            first_frame.new_array(FORMAL_CHARGE, group["charge"][()])
        masses = _real_masses(meta, numbers, masses)
        pbc = np.asarray(first_frame.pbc, dtype=bool)
        bonds = covalent_bonds(first_frame)
        try:
            ids, names, charges = _topology_of(first_frame, bonds)
        except ValueError as err:
            if MOLECULE_INDEX not in meta:
                raise
            raise ValueError(f"{path}: its stored topology (parameters/ase_electrolyte/"
                             f"{MOLECULE_INDEX}, species_name, {particle_group(f)}/charge) "
                             f"does not fit its atoms at frame 0: {err}") from None
    if n_stored == n_frames + 1 and not complete and retry:
        raise _HalfWritten(path)
    if n_stored != n_frames:
        raise ValueError(
            f"{path} has {n_stored} stored frames but only {n_frames} complete (a run was "
            "interrupted while writing); reopen it with H5MDWriter(mode='a') or resume the run"
        )
    if not complete:
        warnings.warn(
            f"{path}: the run that writes it has not finished (still running or interrupted); "
            f"using its {n_frames} complete frames",
            stacklevel=4,
        )
    # MDAnalysis' H5MDReader has no dt of its own (it would assume 1 ps)
    dt = 1.0
    if n_frames > 1:
        steps = np.diff(times)
        dt = float(steps[0])  # > 0: _check_h5md_values refuses times that do not increase
        if not np.allclose(steps, dt, rtol=1e-6, atol=0):
            warnings.warn(
                f"{path}: frames are not evenly spaced in time (intervals {np.unique(steps)} ps); "
                f"u.trajectory.dt is no one spacing ({dt} ps, the first interval, at frame "
                "0), use ts.time",
                stacklevel=4,
            )
    reader = "H5MD"
    if pbc.any() and not pbc.all():
        # H5MD stores the box of a slab (periodic in some directions only) and MDAnalysis'
        # reader makes it a 3D-periodic box: distances would wrap across the vacuum. As for
        # partly periodic Atoms (_from_frames), the Universe gets no box.
        warnings.warn(
            f"{path}: partly periodic (pbc {pbc.tolist()}): the Universe gets no box",
            stacklevel=4,
        )
    if not pbc.all():
        # also a cluster whose file stores a box (early versions wrote one): not wrapped
        reader = _NoBoxH5MDReader
    masses = check_masses(numbers, masses, ids, str(path))
    u = _empty_universe(
        numbers, masses, ids, names, charges, _intramolecular_bonds(bonds, ids)
    )
    u.load_new(str(path), format=reader, dt=dt)
    return u


def kinetic_masses(atoms):
    """Masses (amu) that weigh the velocities of ``atoms`` in a kinetic energy or temperature.

    A Universe of an H5MD file of run_md with heavy hydrogen (:func:`from_ase`, or
    MDAnalysis' own reader) has the particles' physical masses, the right ones for densities
    and centres of mass; its velocities are those of the masses the run integrated with
    (:func:`ase_electrolyte.trajectory.integration_masses`), and equipartition holds for
    those: weighed by the Universe's masses, the kinetic temperature of methane run at 314 K
    with 3 amu hydrogens was 146 K.

    Parameters
    ----------
    atoms : MDAnalysis.core.groups.AtomGroup or MDAnalysis.Universe

    Returns
    -------
    numpy.ndarray
        One mass per atom of ``atoms`` (float64): the file's integration masses where the
        trajectory is an H5MD file of ase_electrolyte with the Universe's atoms (also a
        Universe of MDAnalysis' minimal H5MD topology, which has no masses), else
        ``atoms.masses``.

    Raises
    ------
    TypeError
        ``atoms`` is neither an AtomGroup nor a Universe.
    ValueError
        The file holds another number of particles than the Universe has atoms (a topology
        of another system loaded with it), or a chain of files (MDAnalysis' ChainReader)
        joins runs of other masses.
    """
    from ase_electrolyte.trajectory import integration_masses

    if isinstance(atoms, mda.Universe):
        atoms = atoms.atoms
    if not isinstance(atoms, mda.AtomGroup):
        raise TypeError(f"kinetic_masses needs an AtomGroup or a Universe, not "
                        f"{type(atoms).__name__}")
    universe = atoms.universe
    trajectory = universe.trajectory
    # a ChainReader's filename is its first file's: each file's run is read
    names = getattr(trajectory, "filenames", None)
    names = [getattr(trajectory, "filename", None)] if names is None else list(names)
    # frames in memory carry the masses they were given
    found = [integration_masses(n) if isinstance(n, (str, os.PathLike)) else None
             for n in names]
    stored = found[0]
    for name, other in zip(names[1:], found[1:], strict=True):
        if (other is None) != (stored is None) or (
                other is not None and (other.shape != stored.shape
                                       or not np.array_equal(other, stored))):
            raise ValueError(
                f"the trajectory joins {names[0]} and {name}, whose runs integrated with "
                "other masses (or one of which states none): its velocities are of two "
                "integrations, no one mass per atom weighs them; analyse the files apart")
    name = names[0]
    if stored is None:
        return np.array(atoms.masses, dtype=np.float64)
    if stored.shape != (universe.atoms.n_atoms,):
        raise ValueError(
            f"{name} holds {stored.shape[0]} particles, the Universe {universe.atoms.n_atoms} "
            "atoms: its masses do not belong to this topology")
    return stored[atoms.indices].copy()


def _real_masses(meta, numbers, masses):
    """The masses of an H5MD file of run_md with the hydrogen's real mass.

    run_md now stores the real masses in ``particles/trajectory/mass`` (the integration masses
    apart); files of earlier versions with ``hydrogen_mass`` (Ju et al. 2025: 3 amu for 2 fs
    steps) stored the masses they integrated with: the Universe had H of 3 amu, EC of 96.06 amu
    for 88.06, and densities, molar masses and centres of mass of those masses. The H atoms
    whose stored mass is the run's ``hydrogen_mass`` get the standard mass of hydrogen back
    (a no-op on newer files).
    """
    import json

    try:
        heavy = json.loads(meta.attrs["run_info"]).get("hydrogen_mass")
    except (KeyError, TypeError, ValueError, AttributeError):
        return masses
    if heavy is None:
        return masses
    masses = np.array(masses, dtype=np.float64)
    raised = (numbers == 1) & np.isclose(masses, float(heavy), rtol=1e-9, atol=1e-12)
    masses[raised] = atomic_masses[1]
    return masses


class _NoBoxH5MDReader(H5MDReader):
    """MDAnalysis' H5MD reader without the box: for trajectories periodic in some directions only.

    No ``format`` of its own, so MDAnalysis does not register it for any file.
    """

    def _read_frame(self, frame):
        ts = super()._read_frame(frame)
        ts.dimensions = None
        return ts


def _check_h5md_values(path, numbers, masses, times):
    """Elements, masses and frame times of an H5MD file that a reader can trust."""
    bad = np.flatnonzero((numbers < 1) | (numbers >= len(chemical_symbols)))
    if bad.size:
        raise damaged_h5md(path, f"particles' species of atoms {bad[:10].tolist()} is "
                             f"{numbers[bad[0]]}, no element")
    bad = np.flatnonzero(~(np.isfinite(masses) & (masses > 0)))
    if bad.size:
        raise damaged_h5md(path, f"particles' mass of atoms {bad[:10].tolist()} is "
                             f"{masses[bad[0]]}, not a positive mass")
    if not np.all(np.isfinite(times)):
        raise damaged_h5md(path, "the particles' position/time holds non-finite times")
    k = _first_not_after(times)
    if k is not None:
        raise damaged_h5md(path, f"frame {k} is at {times[k]} ps, not after frame {k - 1} "
                             f"({times[k - 1]} ps)")


def _run_md_file_of(universe):
    """The path of the run_md H5MD file a Universe's trajectory names, or ``None``."""
    from .observables import is_h5md_path

    name = getattr(universe.trajectory, "filename", None)
    if not (isinstance(name, (str, PathLike)) and is_h5md_path(name) and os.path.isfile(name)):
        return None
    return name


def _stored_frame_times(path):
    """The times (ps) of the complete frames of a run_md H5MD file."""
    from .observables import _open

    with _open(path) as f:
        n = int(f["parameters/ase_electrolyte"].attrs["n_frames"])
        return np.asarray(f[particle_group(f)]["position/time"][:n], dtype=np.float64)


def file_time_span(universe, frames, times):
    """The time span of analysed frames on the clock of the run_md H5MD file a Universe reads:
    the span of the file's per-step observables that goes with them.

    The observables (``charge_current``, ``pressure_tensor``, ``temperature``, ...) carry the
    file's own times. A Universe may show others: a reader's ``time_offset``, an on-the-fly
    transformation that sets ``ts.time``, a copy in memory of part of the file
    (``transfer_to_memory(start=5)`` starts again at 0 ps). Where its frames are the file's
    frames by index (MDAnalysis' H5MD reader of the file, or an in-memory copy of all of its
    frames), a time offset is honoured: the span is that of the same frames in the file.
    Frames whose spacing in time is not the file's, or that cannot be matched to the file's
    frames, are refused: their observables would be taken over another span or another clock.

    Parameters
    ----------
    universe : MDAnalysis.Universe
    frames : array_like of int
        The analysed frames' indices in ``universe.trajectory`` (``AnalysisBase.frames``).
    times : array_like of float
        Their times in ps as the Universe gives them (``AnalysisBase.times``).

    Returns
    -------
    (float, float) or None
        First and last time in ps of those frames in the file; ``None`` when the Universe reads
        no H5MD file of run_md.

    Raises
    ------
    ValueError
        Frames that are not the file's by index (a partial in-memory copy, another reader), or
        whose times are not spaced as the file's (a transformation that scales ``ts.time``);
        the message names the file and both spans.
    """
    path = _run_md_file_of(universe)
    if path is None:
        return None
    frames = np.asarray(frames, dtype=np.intp).ravel()
    times = np.asarray(times, dtype=np.float64).ravel()
    if frames.size == 0 or frames.size != times.size:
        raise ValueError(f"{frames.size} frames and {times.size} times given: one time per "
                         "analysed frame")
    stored = _stored_frame_times(path)
    reader = universe.trajectory
    own = isinstance(reader, H5MDReader) and os.path.samefile(reader.filename, path)
    copy = isinstance(reader, MemoryReader) and reader.n_frames == stored.size
    if not (own or copy):
        raise ValueError(
            f"{path}: the Universe reads {reader.n_frames} frames through "
            f"{type(reader).__name__}, the file holds {stored.size}: its frames cannot be "
            "matched to the file's per-step observables (a copy in memory of part of the "
            "file, transfer_to_memory(start=, stop=, step=)?); analyse the file's own reader "
            "(from_ase(path)) and select frames with start/stop/step")
    if frames.min() < 0 or frames.max() >= stored.size:
        raise ValueError(f"{path}: analysed frame {int(frames.max())} is not among the "
                         f"file's {stored.size} complete frames")
    ours = stored[frames]
    spacing = float(np.median(np.diff(stored))) if stored.size > 1 else 1.0
    tol = 1e-6 * abs(spacing) + 1e-9
    if np.allclose(np.diff(times), np.diff(ours), rtol=0, atol=tol):
        # the same clock, perhaps shifted: the frames are the file's by index
        return float(ours[0]), float(ours[-1])
    raise ValueError(
        f"{path}: the Universe's times of the analysed frames are not spaced as the file's: "
        f"frames {int(frames[0])}-{int(frames[-1])} span {times[0]:g}-{times[-1]:g} ps in "
        f"the Universe, {ours[0]:g}-{ours[-1]:g} ps in the file (an on-the-fly "
        "transformation that sets ts.time?); the file's per-step observables run on its own "
        "clock and are not matched to other times: remove what changes the times")


# --- LAMMPS --------------------------------------------------------------------------------
#: Largest difference (amu) between a LAMMPS type's mass and its element's standard atomic mass
#: for the element to be taken from the mass (deuterium, 2.014 amu, or hydrogen given 3 amu,
#: lie 1-2 amu from H and near He: their element is named by the dump, not guessed).
LAMMPS_MASS_TOLERANCE = 0.5


def _dump_elements(dump):
    """Atom id → element symbol of a text dump's first frame, or ``None`` without that column."""
    with open(dump, "rb") as fh:
        n_atoms, columns = None, None
        for raw in fh:
            line = raw.strip()
            if line == b"ITEM: NUMBER OF ATOMS":
                n_atoms = int(fh.readline())
            elif line.startswith(b"ITEM: ATOMS"):
                columns = line.decode(errors="replace").split()[2:]
                break
        if columns is None or n_atoms is None or "element" not in columns:
            return None
        rows = [fh.readline().split() for _ in range(n_atoms)]
    k = columns.index("element")
    i = columns.index("id") if "id" in columns else None
    try:
        return {
            (int(row[i]) if i is not None else n + 1): row[k].decode(errors="replace")
            for n, row in enumerate(rows)
        }
    except (IndexError, ValueError):
        return None  # a malformed frame: MDAnalysis' reader names it


def _lammps_elements(top, data, dump):
    """Atomic numbers and masses of a LAMMPS data file's atoms, checked against the dump.

    LAMMPS types carry no element: it is the one whose standard mass is nearest the type's
    mass in the data file, within :data:`LAMMPS_MASS_TOLERANCE`. A dump with an ``element``
    column (``dump_modify element``) names it instead: where the two disagree (the element
    order of ``dump_modify`` not that of the types) the files are refused, and atoms whose
    mass is missing (a data file without a ``Masses`` section: MDAnalysis gives 0, which was
    read as hydrogen) or no element's take the dump's element and, if missing, its mass.
    Without the column such atoms are refused, naming their type.
    """
    from ase.data import atomic_numbers

    masses = np.asarray(top.atoms.masses, dtype=np.float64)
    types = np.asarray(top.atoms.types)
    table = np.array([m if np.isfinite(m) else np.inf for m in atomic_masses])
    ok_mass = np.isfinite(masses) & (masses > 0)
    numbers = np.array([int(np.argmin(np.abs(table[1:] - m))) + 1 if ok else 0
                        for m, ok in zip(masses, ok_mass, strict=True)])
    known = ok_mass & (np.abs(table[numbers] - masses) <= LAMMPS_MASS_TOLERANCE)
    named = _dump_elements(dump)
    if named is not None:
        ids = np.asarray(top.atoms.ids)
        missing = [int(i) for i in ids if int(i) not in named]
        if missing:
            raise ValueError(f"{dump}: its first frame has no atom with id {missing[0]} of the "
                             f"data file {data}")
        symbols = [named[int(i)] for i in ids]
        unknown = sorted({e for e in symbols if e not in atomic_numbers})
        if unknown:
            raise ValueError(f"{dump}: its element column names {unknown}, which are no "
                             "chemical elements (dump_modify element takes element symbols)")
        from_dump = np.array([atomic_numbers[e] for e in symbols])
        clash = np.flatnonzero(known & (from_dump != numbers))
        if clash.size:
            k = clash[0]
            raise ValueError(
                f"{dump}: its element column names atom {ids[k]} (type {types[k]}) "
                f"{symbols[k]}, but the data file {data} gives type {types[k]} the mass "
                f"{masses[k]:g} amu of {chemical_symbols[numbers[k]]}: the element order of "
                "dump_modify element is not that of the types; correct one of them"
            )
        masses = np.where(ok_mass, masses, table[from_dump])
        return from_dump, masses
    if not known.all():
        k = int(np.flatnonzero(~known)[0])
        what = (f"has the mass {masses[k]:g} amu, which is no element's (a heavy isotope, or "
                "repartitioned hydrogen?)" if ok_mass[k] else
                "has no mass (the data file has no Masses section?)")
        raise ValueError(
            f"{data}: atom type {types[k]} {what}, so its element is unknown; give the data "
            "file the element masses, or read a dump with an element column (dump_modify "
            "element)"
        )
    return numbers, masses


def _from_lammps(data, dump, units, atom_style, dt):
    units = choice_word("lammps_units", units, tuple(sorted(_LAMMPS_UNITS)))
    kwargs = {"atom_style": atom_style} if atom_style else {}
    for name, path in (("source (the LAMMPS data file)", data), ("dump", dump)):
        if not isinstance(path, (str, bytes, PathLike)):
            # a list of dumps failed inside pathlib ("expected str, bytes or os.PathLike")
            raise TypeError(f"{name} must be one file path, not {type(path).__name__}")
        path = Path(os.fsdecode(path))
        if path.is_dir():
            # was "no such file" for a folder that exists
            raise ValueError(f"{name}: {path} is a folder; give the file")
        if not path.is_file():
            raise FileNotFoundError(f"no such file: {path}")
    data, dump = Path(os.fsdecode(data)), Path(os.fsdecode(dump))
    # MDAnalysis drops a cut last frame without a word, or fails inside a cut line
    cut = _cut_dump_frame(dump)
    n_whole = None if cut is None else _warn_cut_dump(dump, cut)[1]
    # MDAnalysis' parsers fail with "invalid literal for int()" and the like, naming no file
    try:
        top = mda.Universe(str(data), topology_format="DATA", **kwargs)
    except (ValueError, IndexError, KeyError) as err:
        raise ValueError(f"{data}: cannot be read as a LAMMPS data file: {err}") from None
    try:
        # the dump's own time is step number × dt; ours comes from ``dt`` below
        traj = mda.Universe(
            str(data), str(dump), topology_format="DATA", format="LAMMPSDUMP", dt=1.0, **kwargs
        )
    except (ValueError, IndexError, KeyError, EOFError) as err:
        raise ValueError(f"{dump}: cannot be read as a LAMMPS dump of {data} "
                         f"({top.atoms.n_atoms} atoms): {err}") from None
    n_top, n_traj = top.atoms.n_atoms, traj.trajectory.n_atoms
    if n_top != n_traj:
        raise ValueError(f"LAMMPS data has {n_top} atoms but the dump {n_traj}")
    numbers, masses = _lammps_elements(top, data, dump)
    v_scale, f_scale = _LAMMPS_UNITS[units]
    has_v = traj.trajectory.ts.has_velocities
    has_f = traj.trajectory.ts.has_forces
    if units != "metal" and not (has_v or has_f):
        # the unit style converts velocities and forces only: 'real' beside a positions-only
        # dump was taken and changed nothing (electrolyte analyze refuses it likewise)
        raise ValueError(f"lammps_units={units!r} converts a dump's velocities and forces, and "
                         f"{dump} has neither (no vx/vy/vz or fx/fy/fz column); leave "
                         "lammps_units out")
    velocities, forces, positions, dims, steps = [], [], [], [], []
    frames = traj.trajectory if n_whole is None else traj.trajectory[:n_whole]
    try:
        for ts in frames:
            if ts.dimensions is None or not np.all(np.isfinite(ts.dimensions)) \
                    or np.any(ts.dimensions[:3] <= 0):
                raise ValueError(f"{dump}: frame {ts.frame} has no valid box (BOX BOUNDS give "
                                 f"{ts.dimensions})")
            if not np.all(np.isfinite(ts.positions)):
                raise ValueError(f"{dump}: frame {ts.frame} has non-finite coordinates")
            positions.append(ts.positions.copy())
            dims.append(ts.dimensions.copy())
            steps.append(ts.data.get("step"))
            if has_v:
                velocities.append(ts.velocities * v_scale)
            if has_f:
                forces.append(ts.forces * f_scale)
    except (IndexError, KeyError, ValueError) as err:
        # a malformed line inside a frame, or a frame of another atom count
        if str(err).startswith(f"{dump}:"):
            raise
        raise ValueError(f"{dump}: cannot be read as a LAMMPS dump (at frame "
                         f"{len(positions)}): {err}") from None
    if not positions:
        raise ValueError(f"{dump} holds no frames")
    _check_dump_steps(dump, steps)
    try:
        for values, what in ((velocities, "velocities"), (forces, "forces")):
            if values:
                _check_finite_per_atom(np.stack(values), what)
    except ValueError as err:
        raise ValueError(f"{dump}: {err}") from None
    first = Atoms(numbers=numbers, positions=positions[0], cell=dims[0], pbc=True)
    bonds = covalent_bonds(first)
    # the data file's molecule ids, used where they are molecules (an ion pair under one id
    # was one neutral residue 'F6LiP', which every analysis then refused)
    first.new_array("mol-id", np.asarray(top.atoms.resids))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ids, names, charges = _guess_topology(first, bonds)
    for w in caught:
        message = str(w.message).replace("Atoms.arrays['mol-id'] does not",
                                          f"the molecule ids of {data} do not")
        warnings.warn(message, w.category, stacklevel=3)
    masses = check_masses(numbers, masses, ids, str(data))
    u = _empty_universe(
        numbers, masses, ids, names, charges, _intramolecular_bonds(bonds, ids)
    )
    time_unknown = False
    if dt is None:
        if len(positions) > 1:
            warnings.warn(
                "LAMMPS dumps carry step numbers, not times: give the ps between frames (dt= of "
                "from_ase, --dt of electrolyte analyze); assuming 1 ps",
                stacklevel=3,
            )
            time_unknown = True
        dt = 1.0
    u.load_new(
        np.stack(positions),
        format=MemoryReader,
        order="fac",
        dimensions=np.stack(dims),
        dt=dt,
        velocities=np.stack(velocities).astype(np.float32) if has_v else None,
        forces=np.stack(forces).astype(np.float32) if has_f else None,
        # a dump from timestep 10000 on started at 0 ps, where MDAnalysis' reader of the same
        # dump (time = step × dt) starts later
        time_offset=0.0 if time_unknown else _dump_start_time(steps, dt),
    )
    _mark_time_unknown(u, time_unknown)
    return u
