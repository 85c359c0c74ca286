"""H5MD trajectories of ASE runs that MDAnalysis reads, with the electrolyte topology inside.

Layout (H5MD 1.1, one particle group ``all``)::

    /h5md                                   version, author, creator
    /particles/all/position/{value,step,time}   Å, ps
    /particles/all/velocity/{value,step,time}   Å/ps
    /particles/all/force/{value,step,time}      kJ/(mol·Å)
    /particles/all/box/edges/{value,step,time}  Å, (3, 3) cell vectors as rows
    /particles/all/species, mass, charge        atomic number, amu, formal charge (e)
    /observables/<name>/{value,step,time}       potential_energy, kinetic_energy (eV),
                                                temperature (K), volume (Å³), density (g/cm³),
                                                pressure (bar) when the calculator gives stress
    /parameters/ase_electrolyte/                molecule_index, species_name, pbc,
                                                attrs n_frames (frames fully written), complete

Velocities and forces are stored in MDAnalysis' units so that
``MDAnalysis.coordinates.H5MD.H5MDReader`` reads the particle data as is; the conversions use
:mod:`ase.units` constants (:data:`VELOCITY_TO_ANGSTROM_PER_PS`,
:data:`FORCE_TO_KJ_PER_MOL_ANGSTROM`).

A frame counts only once every dataset holds it and ``n_frames`` has been bumped and flushed;
reopening with ``mode="a"`` truncates anything beyond ``n_frames`` (an interrupted write), so a
restart never loses or duplicates a frame. ``complete`` is set when the run that wrote the file
closed it normally.
"""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
from ase import Atoms, units
from ase.calculators.singlepoint import SinglePointCalculator

from . import __version__
from .topology import FORMAL_CHARGE, MOLECULE_INDEX, SPECIES, get_topology, set_topology

__all__ = [
    "H5MDWriter",
    "read_h5md",
    "h5md_info",
    "VELOCITY_TO_ANGSTROM_PER_PS",
    "FORCE_TO_KJ_PER_MOL_ANGSTROM",
    "TIME_TO_PS",
    "GCM3_TO_AMU_PER_A3",
]

#: ASE velocity (Å per ASE time unit) → Å/ps.
VELOCITY_TO_ANGSTROM_PER_PS = 1000.0 * units.fs
#: eV/Å → kJ/(mol·Å).
FORCE_TO_KJ_PER_MOL_ANGSTROM = units.mol / units.kJ
#: ASE time unit → ps.
TIME_TO_PS = 1.0 / (1000.0 * units.fs)
#: g/cm³ → amu/Å³ (1e-24 cm³ per Å³, ASE's Avogadro constant).
GCM3_TO_AMU_PER_A3 = 1e-24 * units.mol

_GROUP = "particles/all"
_META = "parameters/ase_electrolyte"
_TIME_DEPENDENT = ("position", "velocity", "force", "box/edges")
_OBSERVABLE_UNITS = {
    "potential_energy": "eV",
    "kinetic_energy": "eV",
    "temperature": "K",
    "volume": "Angstrom3",
    "density": "g cm-3",
    "pressure": "bar",
}


class H5MDWriter:
    """Append frames of an ASE run to an H5MD file.

    Parameters
    ----------
    path : str or os.PathLike
    atoms : ase.Atoms
        Defines the particles (numbers, masses, topology arrays when present). Not modified.
    mode : {"w", "a"}
        ``"w"`` creates (overwrites) the file; ``"a"`` continues an existing one after its last
        complete frame and checks that ``atoms`` has the same particles.
    velocities, forces : bool
        Store velocities and forces (forces need a calculator on the written Atoms).
    dtype : numpy dtype
        Floating type of the stored arrays.
    run_info : dict, optional
        JSON-serialisable description of the run (ensemble, time step, ...), stored as the
        ``run_info`` attribute; in append mode it must equal the stored one.

    Raises
    ------
    ValueError
        In append mode, if the file holds other particles than ``atoms``.

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
    ):
        if mode not in ("w", "a"):
            raise ValueError(f"mode must be 'w' or 'a', not {mode!r}")
        self.path = Path(path)
        self.n_atoms = len(atoms)
        self._dtype = np.dtype(dtype)
        self._masses = atoms.get_masses().copy()
        if mode == "a" and self.path.exists():
            self._file = h5py.File(self.path, "a")
            self._check_same_particles(atoms)
            stored = self._file[_META].attrs.get("run_info")
            if (
                run_info is not None
                and stored is not None
                and json.loads(stored) != json.loads(json.dumps(run_info))
            ):
                self._file.close()
                raise ValueError(
                    f"{self.path} was written by a different run ({stored}); not appending "
                    f"{json.dumps(run_info)}: remove the file or choose another path"
                )
            self._truncate_to_complete()
            self._file[_META].attrs["complete"] = False
            self._file.flush()
        else:
            self._file = h5py.File(self.path, "w")
            self._create(atoms, velocities, forces)
            if run_info is not None:
                self._file[_META].attrs["run_info"] = json.dumps(run_info)
        meta = self._file[_META]
        self.has_velocities = "velocity" in self._file[_GROUP]
        self.has_forces = "force" in self._file[_GROUP]
        self.n_frames = int(meta.attrs["n_frames"])

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
            self._time_series(group.create_group(name), (n, 3), unit)
        box = group.create_group("box")
        box.attrs["dimension"] = 3
        box.attrs["boundary"] = np.array(
            [b"periodic" if p else b"none" for p in atoms.pbc], dtype="S8"
        )
        self._time_series(box.create_group("edges"), (3, 3), "Angstrom")
        group.create_dataset("species", data=atoms.numbers.astype(np.int32))
        group.create_dataset("mass", data=self._masses).attrs["unit"] = "amu"
        topo = get_topology(atoms)
        meta = f.create_group(_META)
        meta.create_dataset("pbc", data=np.asarray(atoms.pbc, dtype=bool))
        if topo is not None:
            group.create_dataset("charge", data=topo[FORMAL_CHARGE]).attrs["unit"] = "e"
            meta.create_dataset(MOLECULE_INDEX, data=topo[MOLECULE_INDEX])
            meta.create_dataset(
                "species_name", data=topo[SPECIES].astype(object), dtype=h5py.string_dtype()
            )
        obs = f.create_group("observables")
        for name, unit in _OBSERVABLE_UNITS.items():
            g = obs.create_group(name)
            g.create_dataset("value", shape=(0,), maxshape=(None,), dtype=np.float64).attrs[
                "unit"
            ] = unit
            g.create_dataset("step", shape=(0,), maxshape=(None,), dtype=np.int64)
            g.create_dataset("time", shape=(0,), maxshape=(None,), dtype=np.float64).attrs[
                "unit"
            ] = "ps"
        meta.attrs["n_frames"] = 0
        meta.attrs["complete"] = False
        f.flush()

    def _time_series(self, group, shape, unit):
        group.create_dataset(
            "value",
            shape=(0, *shape),
            maxshape=(None, *shape),
            dtype=self._dtype,
            chunks=(1, *shape),
        ).attrs["unit"] = unit
        group.create_dataset("step", shape=(0,), maxshape=(None,), dtype=np.int64)
        group.create_dataset("time", shape=(0,), maxshape=(None,), dtype=np.float64).attrs[
            "unit"
        ] = "ps"

    def _check_same_particles(self, atoms):
        group = self._file[_GROUP]
        numbers = group["species"][()]
        if numbers.shape[0] != len(atoms) or not np.array_equal(numbers, atoms.numbers):
            raise ValueError(
                f"{self.path} holds {numbers.shape[0]} particles that differ from the "
                f"{len(atoms)} atoms given; cannot append"
            )
        self._masses = group["mass"][()]

    def _truncate_to_complete(self):
        n = int(self._file[_META].attrs["n_frames"])
        for name in _TIME_DEPENDENT:
            if name in self._file[_GROUP]:
                g = self._file[_GROUP][name]
                for key in ("value", "step", "time"):
                    g[key].resize(n, axis=0)
        for g in self._file["observables"].values():
            steps = g["step"][()]
            keep = int(np.searchsorted(steps, self.last_step() + 1)) if n else 0
            for key in ("value", "step", "time"):
                g[key].resize(keep, axis=0)

    # --- writing --------------------------------------------------------------------------
    def last_step(self):
        """MD step of the last complete frame (``-1`` when empty)."""
        steps = self._file[_GROUP]["position/step"]
        n = int(self._file[_META].attrs["n_frames"])
        return int(steps[n - 1]) if n else -1

    def last_time(self):
        """Time (ps) of the last complete frame (``nan`` when empty)."""
        n = int(self._file[_META].attrs["n_frames"])
        return float(self._file[_GROUP]["position/time"][n - 1]) if n else float("nan")

    def write(self, atoms, step, time, observables=None):
        """Append one frame.

        Parameters
        ----------
        atoms : ase.Atoms
            Same particles as the file; forces are taken from its calculator.
        step : int
            MD step number.
        time : float
            Simulation time in ps.
        observables : dict, optional
            Extra scalar values among ``potential_energy``, ``kinetic_energy``, ``temperature``,
            ``pressure``, ``volume``, ``density`` (units as in the module docstring); volume,
            density, temperature and kinetic energy are filled in from ``atoms`` when absent.
        """
        if len(atoms) != self.n_atoms:
            raise ValueError(f"frame has {len(atoms)} atoms, the file {self.n_atoms}")
        group = self._file[_GROUP]
        k = self.n_frames
        arrays = {"position": atoms.get_positions(), "box/edges": atoms.cell.array}
        if self.has_velocities:
            arrays["velocity"] = atoms.get_velocities() * VELOCITY_TO_ANGSTROM_PER_PS
        if self.has_forces:
            arrays["force"] = atoms.get_forces() * FORCE_TO_KJ_PER_MOL_ANGSTROM
        for name, value in arrays.items():
            g = group[name]
            for key in ("value", "step", "time"):
                g[key].resize(k + 1, axis=0)
            g["value"][k] = value
            g["step"][k] = int(step)
            g["time"][k] = float(time)
        self._append_observables(atoms, step, time, observables)
        # the frame exists only from here on
        self._file[_META].attrs["n_frames"] = k + 1
        self._file.flush()
        self.n_frames = k + 1

    def write_observables(self, atoms, step, time, observables=None):
        """Append scalar observables only (no frame), e.g. densities every 10 fs between frames.

        Parameters are those of :meth:`write`.
        """
        self._append_observables(atoms, step, time, observables)
        self._file.flush()

    def _append_observables(self, atoms, step, time, observables):
        obs = dict(observables or {})
        volume = atoms.get_volume() if atoms.pbc.all() else None
        if volume is not None:
            obs.setdefault("volume", volume)
            obs.setdefault("density", atoms.get_masses().sum() / volume / GCM3_TO_AMU_PER_A3)
        obs.setdefault("kinetic_energy", atoms.get_kinetic_energy())
        obs.setdefault("temperature", atoms.get_temperature())
        for name, value in obs.items():
            if name not in _OBSERVABLE_UNITS:
                raise ValueError(f"unknown observable {name!r}; known: {list(_OBSERVABLE_UNITS)}")
            g = self._file["observables"][name]
            m = g["value"].shape[0]
            for key in ("value", "step", "time"):
                g[key].resize(m + 1, axis=0)
            g["value"][m] = float(value)
            g["step"][m] = int(step)
            g["time"][m] = float(time)

    def close(self, complete=True):
        """Close the file, marking the run complete (or not, after an error)."""
        if self._file:
            self._file[_META].attrs["complete"] = bool(complete)
            self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self.close(complete=exc_type is None)


def h5md_info(path):
    """Summary of an H5MD file written by :class:`H5MDWriter`.

    Returns
    -------
    dict
        ``n_atoms``, ``n_frames``, ``complete``, ``has_velocities``, ``has_forces``,
        ``has_topology``, ``last_step``, ``last_time`` (ps), ``run_info`` (dict or None).
    """
    with h5py.File(path, "r") as f:
        _check_ours(f, path)
        group, meta = f[_GROUP], f[_META]
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
        }


def _check_ours(f, path):
    if _GROUP not in f or _META not in f:
        raise ValueError(f"{path} is not an H5MD file written by ase_electrolyte (no {_META})")


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
        Positions, velocities, cell, pbc, the stored masses, topology arrays, a
        SinglePointCalculator with the stored forces (eV/Å) and energy (eV) when present, and
        ``info["step"]``, ``info["time_ps"]``.
    """
    with h5py.File(path, "r") as f:
        _check_ours(f, path)
        group, meta = f[_GROUP], f[_META]
        n = int(meta.attrs["n_frames"])
        if not -n <= index < n:
            raise IndexError(f"frame {index} out of range for {path} with {n} complete frames")
        index %= n
        atoms = Atoms(
            numbers=group["species"][()],
            positions=group["position/value"][index],
            cell=group["box/edges/value"][index],
            pbc=meta["pbc"][()],
        )
        atoms.set_masses(group["mass"][()])
        if "velocity" in group:
            atoms.set_velocities(group["velocity/value"][index] / VELOCITY_TO_ANGSTROM_PER_PS)
        if MOLECULE_INDEX in meta:
            set_topology(
                atoms,
                meta[MOLECULE_INDEX][()],
                meta["species_name"].asstr()[()],
                group["charge"][()],
            )
        step = int(group["position/step"][index])
        atoms.info["step"] = step
        atoms.info["time_ps"] = float(group["position/time"][index])
        results = {}
        if "force" in group:
            results["forces"] = group["force/value"][index] / FORCE_TO_KJ_PER_MOL_ANGSTROM
        pe = f["observables/potential_energy"]
        hit = np.flatnonzero(pe["step"][()] == step)
        if hit.size:
            results["energy"] = float(pe["value"][hit[0]])
        if results:
            atoms.calc = SinglePointCalculator(atoms, **results)
    return atoms
