r"""Per-step observables of the H5MD files that :func:`ase_electrolyte.md.run_md` writes.

``run_md`` records, every ``observe_interval`` MD steps and independently of how often frames are
written, the per-species charge current ``charge_current`` (:math:`\mathbf J_s = \sum_{i\in s}
q_i \mathbf v_i`, e·Å/ps, shape ``(n_species, 3)``, one row per charged species in order of first
appearance, :func:`ase_electrolyte.md.current_species`) and the full pressure tensor
``pressure_tensor`` (bar, kinetic term included, shape ``(3, 3)``), next to the scalar ``volume``
(Å³), ``temperature`` (K) and ``density`` (g/cm³). Green–Kubo integrals need these at every step
or few: frames every 100 fs do not resolve them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

# the package's one test of an H5MD path (by content where the file exists, else by suffix):
# a second suffix list here read run_md's file renamed run.dat as no H5MD file
from ase_electrolyte.trajectory import is_h5md_path

__all__ = ["read_observable", "is_h5md_path", "current_species_of_file"]


def read_observable(path, name, *, required=False, window=None):
    """One observable time series of an H5MD file.

    Parameters
    ----------
    path : str or os.PathLike
    name : str
        E.g. ``"charge_current"``, ``"pressure_tensor"``, ``"volume"``.
    required : bool
        Raise when missing instead of returning ``None``.
    window : (float, float), optional
        Time span in ps of the analysed frames (first, last): only the samples within it are
        returned, so that a ``run(start=...)`` that leaves out an equilibration leaves it out of
        the observables too. A span the observable does not cover is refused.

    Returns
    -------
    dict or None
        ``value`` (array, first axis time), ``time`` (ps), ``step``, ``dt`` (ps, the spacing,
        checked to be uniform) and ``unit``; every sample up to the last complete frame
        (:func:`ase_electrolyte.trajectory.h5md_series`).

    Raises
    ------
    ValueError
        A missing file or observable (if ``required``), a folder, another program's H5MD file,
        a window that is not two finite times with first <= last, fewer than 2 samples, or
        uneven spacing.
    TypeError
        A ``name`` that is not a string.
    OSError
        A file that is not HDF5, named.
    """
    from ase_electrolyte.atoms_checks import check_flag
    from ase_electrolyte.trajectory import OBSERVABLE_UNITS, h5md_info, h5md_series

    path = _checked_file(path)
    if not isinstance(name, str):
        # a number looked up found nothing and returned None, as for a missing observable
        raise TypeError(f"name must be an observable name (str), not {name!r}")
    check_flag("required", required)
    if window is not None:
        window = _checked_window(window)
    try:
        series = h5md_info(path)["series"]
        found = name in series
        if found:
            step, time, value = h5md_series(path, name)
    except OSError:
        if not _may_be_locked(path):
            # not an HDF5 file: open_h5md's message names it; the retry below raised HDF5's
            # own ("file signature not found"), which names no file
            raise
        # a Universe of this process holds the file with HDF5's default locking, which a
        # lock-free open may not mix with
        found, step, time, value = _read_locked(path, name)
    if not found:
        if required:
            raise ValueError(
                f"{path} has no '{name}' observable; run_md records it every "
                "observe_interval steps"
            )
        return None
    unit = OBSERVABLE_UNITS.get(name, "")
    if window is not None and time.size:
        time, keep = _in_window(np.asarray(time, dtype=np.float64), window, path, name)
        step, value = step[keep], value[keep]
    if time.size < 2:
        raise ValueError(f"{path}: the '{name}' observable has {time.size} sample(s), need >= 2")
    from .ion_collection import check_time_spacing

    # the frames' rule and allowance: a float32 time's round-off (1e-9 ps on 1 fs samples) was
    # refused here (1e-6 of a step) while the same times of frames were accepted
    dt = check_time_spacing(np.asarray(time, dtype=np.float64), np.arange(time.size),
                            f"{path}: the '{name}' observable", what="samples", item="sample")
    return {"value": value, "time": time, "step": step, "dt": float(dt), "unit": unit}


def _checked_file(path):
    """``path`` as a Path to an existing file, or ValueError naming it (a folder failed in
    HDF5 with "Unable to synchronously open file (file read failed ... Is a directory)")."""
    path = Path(path)
    if not path.exists():
        raise ValueError(f"{path} does not exist")
    if not path.is_file():
        raise ValueError(f"{path} is not a file (a folder?): give the H5MD file run_md wrote")
    return path


def _may_be_locked(path):
    """Whether an OSError opening ``path`` lock-free may be another open's lock: only for an
    HDF5 file (one that is not gives open_h5md's message naming it)."""
    import h5py

    try:
        return bool(h5py.is_hdf5(path))
    except OSError:
        return False


def _checked_window(window):
    """``window`` as two finite floats ``(first, last)`` with ``first <= last``, or ValueError
    naming it (a reversed or NaN window gave "has 0 sample(s)", text "could not convert string
    to float", one number "not enough values to unpack")."""
    try:
        lo, hi = (float(t) for t in window)
    except (TypeError, ValueError):
        raise ValueError(
            f"window must be two numbers (first, last) in ps, not {window!r}") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lo <= hi) or isinstance(window, str):
        raise ValueError(f"window must be two finite times in ps with first <= last, not "
                         f"{window!r}")
    return lo, hi


def _in_window(time, window, path, name):
    """The times within ``window`` (ps) and their index slice; the window must lie within the
    observable's time span (to a millionth of a sample spacing)."""
    lo, hi = (float(t) for t in window)
    spacing = (time[-1] - time[0]) / max(time.size - 1, 1)
    tol = 1e-6 * spacing + 1e-9
    if lo < time[0] - tol or hi > time[-1] + tol:
        raise ValueError(
            f"{path}: the analysed frames span {lo:g}-{hi:g} ps, the '{name}' observable only "
            f"{time[0]:g}-{time[-1]:g} ps"
        )
    start = int(np.searchsorted(time, lo - tol, side="left"))
    stop = int(np.searchsorted(time, hi + tol, side="right"))
    return time[start:stop], slice(start, stop)


def current_species_of_file(path):
    """Species names of the ``charge_current`` rows of an H5MD file (see module docstring)."""
    from ase import Atoms

    from ase_electrolyte.md import current_species
    from ase_electrolyte.topology import set_topology
    from ase_electrolyte.trajectory import particle_group

    with _open(path) as f:
        meta = f["parameters/ase_electrolyte"]
        if "species_name" not in meta:
            return []
        names = meta["species_name"].asstr()[()]
        charges = f[particle_group(f)]["charge"][()]
        molecules = meta["molecule_index"][()]
    atoms = Atoms(numbers=np.ones(len(names), dtype=int))
    set_topology(atoms, molecules, names, charges)
    return current_species(atoms)


def current_ion_charges_of_file(path):
    """Charge (e) of every molecule of each ``charge_current`` species of an H5MD file.

    ``run_md`` sums the file's formal charges times the atoms' velocities per species, so the
    recorded current is that of these charges.

    Returns
    -------
    dict
        Species name -> array of the summed formal charges of its molecules, in molecule order.
    """
    from ase_electrolyte.trajectory import particle_group

    species = current_species_of_file(path)
    if not species:
        return {}
    with _open(path) as f:
        meta = f["parameters/ase_electrolyte"]
        names = np.asarray(meta["species_name"].asstr()[()])
        charges = np.asarray(f[particle_group(f)]["charge"][()], dtype=np.float64)
        molecules = np.asarray(meta["molecule_index"][()], dtype=np.intp)
    per_molecule = np.bincount(molecules, weights=charges)
    first = np.unique(molecules, return_index=True)[1]
    molecule_species = names[first]
    return {s: per_molecule[np.unique(molecules)][molecule_species == s] for s in species}


def _open(path):
    """The H5MD file of run_md at ``path``, open for reading; a folder, a file that is not
    HDF5 and another program's H5MD file are refused by name (a KeyError 'Unable to
    synchronously open object (component not found)' for the last)."""
    from ase_electrolyte.trajectory import _check_ours, open_h5md

    path = _checked_file(path)
    try:
        f = open_h5md(path)
    except OSError:
        if not _may_be_locked(path):
            raise
        # a Universe of this process holds the file with HDF5's default locking, which a
        # lock-free open may not mix with
        f = _open_locked(path)
    try:
        _check_ours(f, path)
    except BaseException:
        f.close()
        raise
    return f


def _open_locked(path):
    """``path`` opened by h5py with HDF5's default locking (the retry of a lock-free open), or
    OSError naming a damaged file."""
    import h5py

    try:
        return h5py.File(path, "r")
    except OSError as err:
        # a file with the HDF5 signature that still does not open (cut short by an
        # interrupted copy or run): HDF5's "Unable to synchronously open file (truncated
        # file: eof = 500, ...)" named neither the file nor what to do
        raise OSError(f"{path} is a damaged HDF5 (H5MD) file and cannot be read ({err}); was "
                      "its writing or copying interrupted? Restore it or rerun run_md"
                      ) from None


def _read_locked(path, name):
    from ase_electrolyte.trajectory import _check_ours, particle_group

    with _open_locked(path) as f:
        _check_ours(f, path)
        meta = f["parameters/ase_electrolyte"]
        if name not in meta.get("series", {}):
            return False, None, None, None
        g = meta["series"][name]
        step, time, value = g["step"][()], g["time"][()], g["value"][()]
        n = int(meta.attrs["n_frames"])
        last = int(f[particle_group(f)]["position/step"][n - 1]) if n else -1
    keep = int(np.searchsorted(step, last + 1))
    return True, step[:keep], time[:keep], value[:keep]
