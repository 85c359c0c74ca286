"""Intra/intermolecular decomposition of a model's errors (Magdău et al. 2023 §2.6).

A liquid frame is split into its molecules. Every molecule, with its internal geometry unchanged, is
evaluated on its own with the same method as the frame, which gives the intramolecular part

    E_intra = Σ_j E_j,   F_intra = ∪_j F_j,   σ_intra = −(1/V) Σ_i f_i^intra ⊗ r_i,

(``r_i`` relative to the molecule's centre of mass, ``V`` the frame's volume) and the intermolecular
part as the remainder: E_inter = E − E_intra, F_inter = F − F_intra, σ_inter = σ − σ_intra. Forces
are also split per molecule into translational, rotational and vibrational parts, with no extra
calculation (:func:`dof_decomposition`). Errors of a model against a reference (a second calculator
or stored DFT labels) are then reported per component.

Units: energies in eV (errors in meV/atom), forces in eV/Å, stress in eV/Å³ (ASE sign convention).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from ase.data import chemical_symbols
from MDAnalysis.analysis.base import AnalysisBase
from MDAnalysis.analysis.results import ResultsGroup

from .model_frames import FrameSource
from .molecules import (
    centers_of_mass,
    check_whole,
    inertia_tensors,
    isolated_molecules,
    make_whole,
)
from .report import register_analysis

__all__ = [
    "IntraInterErrors",
    "IsolatedMoleculeEvaluator",
    "StoredMoleculeLabels",
    "dof_decomposition",
    "intramolecular_stress",
    "FORCE_COMPONENTS",
    "ENERGY_COMPONENTS",
]

#: Components of the force decomposition, in the order of the per-frame arrays.
FORCE_COMPONENTS = ("total", "intra", "inter", "trans", "rot", "vib")
#: Components of the energy and stress decomposition.
ENERGY_COMPONENTS = ("total", "intra", "inter")
_QUANTITIES = ("energy", "forces", "stress")
_UNITS = {"energy": "meV/atom", "forces": "eV/Å", "stress": "eV/Å³"}


def dof_decomposition(forces, positions, masses, ids):
    """Split forces into translational, rotational and vibrational parts per molecule.

    With ``r_i`` relative to the centre of mass of molecule ``j`` (mass ``M_j``, inertia tensor
    ``I_j``), total force ``F_j = Σ_k f_k`` and torque ``T_j = Σ_k r_k × f_k``:
    ``f_i^trans = (m_i / M_j) F_j``, ``f_i^rot = m_i (I_j⁻¹ T_j) × r_i`` (the force that gives atom
    ``i`` the rigid-body angular acceleration ``I_j⁻¹ T_j``; Magdău et al. 2023 writes it
    ``m_i r_i × I_j⁻¹ Σ_k f_k × r_k``), ``f_i^vib = f_i − f_i^trans − f_i^rot``. The translational
    and rotational parts carry the whole net force and torque of the molecule; the vibrational part
    carries neither.

    Single atoms have no rotational (and so no vibrational) part by construction: their offset
    from the centre of mass is set to exactly zero, so ``f^trans = f``. For a linear molecule the
    moment of inertia about its axis vanishes and no torque has a component along it; the inverse
    of ``I_j`` is taken on its non-vanishing principal moments only (eigenvalues above 1e-8 of
    the largest), so the angular acceleration about the axis is zero rather than the accident of
    inverting rounding noise.

    Parameters
    ----------
    forces : array_like, shape (n_atoms, 3)
        Forces in eV/Å.
    positions : array_like, shape (n_atoms, 3)
        Whole-molecule positions in Å (:func:`mda_electrolyte.molecules.make_whole`).
    masses : array_like, shape (n_atoms,)
        Masses in amu.
    ids : array_like of int, shape (n_atoms,)
        Molecule index of every atom.

    Returns
    -------
    trans, rot, vib : numpy.ndarray, shape (n_atoms, 3)
        In eV/Å; ``trans + rot + vib == forces`` to rounding.
    """
    forces = np.asarray(forces, dtype=np.float64)
    positions = np.asarray(positions, dtype=np.float64)
    masses = np.asarray(masses, dtype=np.float64)
    ids = np.asarray(ids)
    if forces.shape != positions.shape or forces.shape != (ids.size, 3):
        raise ValueError(
            f"forces {forces.shape}, positions {positions.shape} and ids {ids.shape} differ"
        )
    n_mol = int(ids.max()) + 1
    com = centers_of_mass(positions, masses, ids)
    rel = positions - com[ids]
    # a lone atom is its own centre of mass; the subtraction above leaves rounding noise
    single = np.bincount(ids, minlength=n_mol) == 1
    rel[single[ids]] = 0.0
    total_mass = np.bincount(ids, weights=masses, minlength=n_mol)
    net = np.zeros((n_mol, 3))
    torque = np.zeros((n_mol, 3))
    np.add.at(net, ids, forces)
    np.add.at(torque, ids, np.cross(rel, forces))
    trans = (masses / total_mass[ids])[:, None] * net[ids]
    inertia = inertia_tensors(rel, masses, ids, com=np.zeros((n_mol, 3)))
    # inverse on the principal axes with a moment: zero about a linear molecule's axis, zero for
    # atoms (whose inertia tensor is exactly zero here)
    moments, axes = np.linalg.eigh(inertia)
    largest = moments[:, -1:]
    keep = (moments > 1e-8 * largest) & (largest > 0)
    inv_moments = np.divide(1.0, moments, out=np.zeros_like(moments), where=keep)
    inv = np.einsum("jak,jk,jbk->jab", axes, inv_moments, axes)
    alpha = np.einsum("jab,jb->ja", inv, torque)
    rot = masses[:, None] * np.cross(alpha[ids], rel)
    vib = forces - trans - rot
    return trans, rot, vib


def _ols(x, y):
    """Slope and intercept of ``y`` against ``x`` with standard errors and R²."""
    from scipy.stats import linregress

    nan = float("nan")
    if x.size < 3 or np.ptp(x) == 0:
        return {"slope": nan, "intercept": nan, "slope_stderr": nan, "intercept_stderr": nan,
                "r2": nan, "n": int(x.size)}
    fit = linregress(x, y)
    return {"slope": float(fit.slope), "intercept": float(fit.intercept),
            "slope_stderr": float(fit.stderr), "intercept_stderr": float(fit.intercept_stderr),
            "r2": float(fit.rvalue**2), "n": int(x.size)}


def intramolecular_stress(intra_forces, positions, masses, ids, volume):
    """Stress of the isolated-molecule forces, from the virial (ASE sign and Voigt order).

    ``σ = −(1/V) Σ_i f_i ⊗ r_i`` with ``r_i`` relative to the molecule's centre of mass; for
    isolated molecules (zero net force and torque) this is symmetric and independent of where the
    molecules sit in the box, and it is the intramolecular part of the frame's stress.

    Parameters
    ----------
    intra_forces : array_like, shape (n_atoms, 3)
        Isolated-molecule forces in eV/Å.
    positions : array_like, shape (n_atoms, 3)
        Whole-molecule positions in Å.
    masses : array_like, shape (n_atoms,)
    ids : array_like of int, shape (n_atoms,)
    volume : float
        Volume of the frame in Å³.

    Returns
    -------
    numpy.ndarray, shape (6,)
        ``xx yy zz yz xz xy`` in eV/Å³.
    """
    positions = np.asarray(positions, dtype=np.float64)
    ids = np.asarray(ids)
    rel = positions - centers_of_mass(positions, masses, ids)[ids]
    tensor = -np.einsum("ia,ib->ab", np.asarray(intra_forces, dtype=np.float64), rel) / float(
        volume
    )
    tensor = 0.5 * (tensor + tensor.T)
    return tensor[[0, 1, 2, 1, 0, 0], [0, 1, 2, 2, 2, 1]]


def _geometry_key(numbers, positions, decimals):
    centred = np.asarray(positions, dtype=np.float64) - np.mean(positions, axis=0)
    # + 0.0 turns -0.0 into 0.0 so that mirror-rounded zeros share a key
    return (np.asarray(numbers).tobytes(), (np.round(centred, decimals) + 0.0).tobytes())


def _calculator_name(calculator):
    return getattr(calculator, "name", None) or type(calculator).__name__


class IsolatedMoleculeEvaluator:
    """Energies and forces of isolated molecules with one ASE calculator, cached per geometry.

    Molecules with the same atoms and the same internal geometry (to ``10**-decimals`` Å, in any
    position: energies and forces are translation invariant) are evaluated once. A calculator that
    offers ``calculate_batch(list_of_atoms)`` returning one ``{"energy", "forces"}`` dict per
    molecule is called once for all molecules missing from the cache.

    Parameters
    ----------
    calculator : ase.calculators.calculator.BaseCalculator
    decimals : int
        Rounding of positions in the cache key (Å).
    """

    def __init__(self, calculator, decimals=8):
        self.calculator = calculator
        self.decimals = int(decimals)
        self._cache = {}
        self.n_evaluated = 0

    def evaluate(self, molecules):
        """Energy (eV) and forces (eV/Å) of every molecule.

        Parameters
        ----------
        molecules : list of ase.Atoms
            From :func:`mda_electrolyte.molecules.isolated_molecules`; not modified.

        Returns
        -------
        energies : numpy.ndarray, shape (n_molecules,)
        forces : list of numpy.ndarray, shape (n_atoms_j, 3)
        """
        keys = [_geometry_key(m.numbers, m.positions, self.decimals) for m in molecules]
        missing = {}
        for key, mol in zip(keys, molecules, strict=True):
            if key not in self._cache and key not in missing:
                missing[key] = mol
        if missing:
            todo = list(missing.items())
            batch = getattr(self.calculator, "calculate_batch", None)
            if callable(batch):
                copies = [m.copy() for _, m in todo]
                try:
                    results = batch(copies)
                except Exception as exc:  # the calculator's own error, re-raised with context
                    raise RuntimeError(
                        f"{_calculator_name(self.calculator)}.calculate_batch failed on "
                        f"{len(copies)} isolated molecules: {exc}"
                    ) from exc
                for (key, mol), res in zip(todo, results, strict=False):
                    self._store(
                        key, mol, float(res["energy"]), np.asarray(res["forces"], dtype=np.float64)
                    )
            else:
                for key, mol in todo:
                    self._store(key, mol, *self._single(mol))
        energies = np.array([self._cache[k][0] for k in keys])
        forces = [self._cache[k][1] for k in keys]
        return energies, forces

    def _single(self, mol):
        atoms = mol.copy()
        atoms.calc = self.calculator
        try:
            energy = atoms.get_potential_energy()
            forces = atoms.get_forces()
        except Exception as exc:  # the calculator's own error, re-raised with context
            hint = (
                ""
                if np.any(mol.pbc)
                else (
                    "; if the calculator needs a periodic cell, "
                    "pass vacuum=<Å larger than its cutoff>"
                )
            )
            raise RuntimeError(
                f"calculator {_calculator_name(self.calculator)} failed on the isolated molecule "
                f"{mol.get_chemical_formula()} (molecule {mol.info.get('molecule_index')}): "
                f"{exc}{hint}"
            ) from exc
        return float(energy), np.array(forces, dtype=np.float64)

    def _store(self, key, mol, energy, forces):
        if (
            not np.isfinite(energy)
            or forces.shape != (len(mol), 3)
            or not np.all(np.isfinite(forces))
        ):
            raise ValueError(
                f"calculator {_calculator_name(self.calculator)} returned a non-finite or "
                f"misshapen result for the isolated molecule {mol.get_chemical_formula()}"
            )
        self._cache[key] = (energy, forces)
        self.n_evaluated += 1


class StoredMoleculeLabels:
    """Stored isolated-molecule labels (e.g. DFT) looked up by geometry.

    Parameters
    ----------
    labelled : str, pathlib.Path or list of ase.Atoms
        Isolated molecules with energy and forces (an extxyz file or ASE database, as read by
        ``ase.io.read``), e.g. those of :meth:`IntraInterErrors.unique_isolated_molecules`
        computed with the reference method.
    tol : float
        Largest coordinate difference (Å, after centring) at which a stored molecule matches.
    """

    def __init__(self, labelled, tol=1e-4):
        frames = _read_frames(labelled)
        self.tol = float(tol)
        self._groups = {}
        for k, atoms in enumerate(frames):
            labels = _labels_of(atoms)
            if labels.get("energy") is None or labels.get("forces") is None:
                raise ValueError(
                    f"stored isolated molecule {k} ({atoms.get_chemical_formula()}) "
                    "has no energy or forces"
                )
            centred = atoms.positions - atoms.positions.mean(axis=0)
            group = self._groups.setdefault(atoms.numbers.tobytes(), ([], [], []))
            group[0].append(centred)
            group[1].append(labels["energy"])
            group[2].append(labels["forces"])
        self._groups = {
            key: (np.array(p), np.array(e), np.array(f)) for key, (p, e, f) in self._groups.items()
        }

    def evaluate(self, molecules):
        """Stored energy (eV) and forces (eV/Å) of every molecule; raises if one is missing."""
        energies, forces = [], []
        for mol in molecules:
            group = self._groups.get(mol.numbers.tobytes())
            centred = mol.positions - mol.positions.mean(axis=0)
            match = None
            if group is not None:
                dev = np.abs(group[0] - centred[None]).max(axis=(1, 2))
                best = int(np.argmin(dev))
                if dev[best] <= self.tol:
                    match = best
            if match is None:
                raise ValueError(
                    "no stored reference label for the isolated molecule "
                    f"{mol.get_chemical_formula()} "
                    f"(molecule {mol.info.get('molecule_index')}); compute the molecules of "
                    "IntraInterErrors.unique_isolated_molecules() with the reference method"
                )
            energies.append(group[1][match])
            forces.append(group[2][match])
        return np.array(energies, dtype=np.float64), forces


def _read_frames(source):
    if isinstance(source, (str, Path)):
        from ase.io import read

        path = Path(source)
        if not path.exists():
            raise FileNotFoundError(f"no such label file: {path}")
        frames = read(str(path), index=":")
        return frames if isinstance(frames, list) else [frames]
    from ase import Atoms

    if isinstance(source, Atoms):
        return [source]
    return list(source)


def _labels_of(atoms):
    """Stored energy/forces/stress of an Atoms (calculator results or info/arrays), or None."""
    results = dict(getattr(atoms.calc, "results", {}) or {})
    energy = results.get("energy", atoms.info.get("energy"))
    forces = results.get("forces", atoms.arrays.get("forces"))
    stress = results.get("stress", atoms.info.get("stress"))
    out = {"energy": None if energy is None else float(energy)}
    out["forces"] = (
        None if forces is None else np.array(forces, dtype=np.float64).reshape(len(atoms), 3)
    )
    out["positions"] = atoms.positions.copy()
    if stress is not None:
        stress = np.asarray(stress, dtype=np.float64)
        if stress.size == 9:
            stress = stress.reshape(3, 3)[[0, 1, 2, 1, 0, 0], [0, 1, 2, 2, 2, 1]]
        out["stress"] = stress.reshape(6)
    else:
        out["stress"] = None
    for name in ("energy", "forces", "stress"):
        # a NaN label would make every error it enters NaN: refuse it where it is read
        if out[name] is not None and not np.all(np.isfinite(out[name])):
            raise ValueError(
                f"the stored reference {name} of a {atoms.get_chemical_formula()} frame is not "
                "finite; drop or relabel that frame"
            )
    return out


def _is_calculator(obj):
    return callable(getattr(obj, "calculate", None)) or callable(getattr(obj, "get_property", None))


def evaluate_frame(calculator, atoms, properties):
    """``{property: value}`` of a whole frame with a calculator (a copy of ``atoms`` is used).

    Parameters
    ----------
    calculator : ase.calculators.calculator.BaseCalculator
    atoms : ase.Atoms
    properties : sequence of {"energy", "forces", "stress"}

    Returns
    -------
    dict
        energy (eV, float), forces (eV/Å, (n, 3)), stress (eV/Å³, Voigt (6,)), as asked.
    """
    frame = atoms.copy()
    frame.calc = calculator
    getters = {
        "energy": frame.get_potential_energy,
        "forces": frame.get_forces,
        "stress": lambda: frame.get_stress(voigt=True),
    }
    out = {}
    for prop in properties:
        try:
            value = np.array(getters[prop](), dtype=np.float64)
        except Exception as exc:  # the calculator's own error, re-raised with context
            raise RuntimeError(
                f"calculator {_calculator_name(calculator)} failed to give {prop} of a "
                f"{len(atoms)}-atom frame: {exc}"
            ) from exc
        if not np.all(np.isfinite(value)):
            raise ValueError(
                f"calculator {_calculator_name(calculator)} returned non-finite {prop}"
            )
        out[prop] = float(value) if prop == "energy" else value
    return out


class _Side:
    """Totals and isolated-molecule results of one method (the model or the reference)."""

    def __init__(self, name, calculator=None, labels=None, isolated=None):
        self.name = name
        self.calculator = calculator
        self.labels = labels
        self.isolated = isolated

    def has(self, quantity):
        if self.calculator is not None:
            if quantity == "stress":
                implemented = getattr(self.calculator, "implemented_properties", None)
                return implemented is None or "stress" in implemented
            return True
        return all(lab[quantity] is not None for lab in self.labels)

    def totals(self, atoms, frame, properties):
        if self.calculator is not None:
            return evaluate_frame(self.calculator, atoms, properties)
        if frame >= len(self.labels):
            raise ValueError(
                f"the {self.name} labels hold {len(self.labels)} frames; frame {frame} has none"
            )
        labels = self.labels[frame]
        stored = labels.get("positions")
        if stored is not None:
            shift = stored - atoms.positions
            if np.all(atoms.pbc):
                from ase.geometry import find_mic

                shift, _ = find_mic(shift, atoms.cell.array, pbc=True)
            if np.abs(shift).max() > 1e-3:
                raise ValueError(
                    f"the {self.name} labels of frame {frame} belong to other positions (off by "
                    f"{np.abs(shift).max():.3g} Å): labels and frames must be in the same order"
                )
        return {p: labels[p] for p in properties}


class IntraInterErrors(AnalysisBase):
    """Errors of a model against a reference, split into intra/intermolecular and DOF parts.

    For every frame both the model and the reference give the total energy, forces and (for
    periodic frames) stress; every molecule is also evaluated in isolation with the same method
    (cached per geometry), giving the intramolecular parts, and the intermolecular parts are the
    remainders. The forces are further split into translational, rotational and
    vibrational parts per molecule (:func:`dof_decomposition`).

    Parameters
    ----------
    frames : MDAnalysis.Universe, MDAnalysis.core.groups.AtomGroup, ase.Atoms or list of ase.Atoms
        Whole molecules: a Universe's molecules are its residues (``compound``), a list of Atoms'
        are its ``molecule_index`` array or, without one, its bonded fragments.
    model : ase.calculators.calculator.BaseCalculator
        The model under test.
    reference : calculator, str, pathlib.Path or list of ase.Atoms, optional
        A reference calculator, or stored labels (energy/forces/stress) for the same frames in the
        same order: an extxyz file, an ASE database or a list of Atoms with results. ``None`` uses
        the labels stored on a list of Atoms ``frames``.
    reference_isolated : str, pathlib.Path or list of ase.Atoms, optional
        Stored reference labels of the isolated molecules (see :meth:`unique_isolated_molecules`),
        needed for the intra/inter split of stored labels; without it the reference is split only
        into trans/rot/vib.
    quantities : sequence of {"energy", "forces", "stress"}, optional
        What to compare; default: energy and forces, and stress where both sides have it and the
        frames are periodic. Asking for a quantity a side lacks raises ``ValueError``.
    atom_types : array_like of str, shape (n_atoms,) or "categories", optional
        Labels for the force-softening slopes; default: the element. ``"categories"``: the
        chemical categories of Ju et al. (2025) found from the covalent bonds of the first frame
        (:func:`mda_electrolyte.atom_categories.atom_categories`: Oc/Oe, carbonyl C, F by its
        carbon, F of PF6, ...).
    vacuum : float, optional
        Evaluate isolated molecules in a periodic cube with this much vacuum (Å) instead of without
        a cell (for calculators that need one).
    compound : {"residues", "fragments"}
        What a molecule is in a Universe.

    Attributes
    ----------
    results.rmse : dict
        ``results.rmse[component][quantity]``; components ``total intra inter trans rot vib``
        (trans/rot/vib for forces only), quantities ``energy`` (meV/atom), ``forces`` (eV/Å),
        ``stress`` (eV/Å³).
    results.rrmse : dict
        Relative RMSE, same layout (dimensionless); ``nan`` with a warning where the reference does
        not vary (a single frame's energy).
    results.rmse_per_element, results.rrmse_per_element : dict
        ``[element][component]["forces"]``.
    results.rmse_per_species, results.rrmse_per_species : dict
        ``[species][component]["forces"]`` and ``[species]["intra"]["energy"]`` (meV/atom of the
        isolated molecules).
    results.softening : dict
        ``{atom_type: slope}`` of model against reference total force components (least squares
        through the origin; 1 is ideal, < 1 softened; Ju et al. 2025).
    results.softening_ols : dict
        ``{atom_type: {"slope", "intercept", "slope_stderr", "intercept_stderr", "r2", "n"}}``:
        ordinary least squares with an intercept (:func:`scipy.stats.linregress`; eV/Å for the
        intercept), beside the through-origin slope; ``nan`` where the reference does not vary.
    results.forces, results.energies, results.stress : dict
        ``[side][component]`` arrays, side ``model`` or ``reference``: forces (n_frames, n_atoms, 3)
        in eV/Å, energies (n_frames,) in eV, stress (n_frames, 6) in eV/Å³.
    results.units : dict

    Examples
    --------
    >>> from ase.build import molecule
    >>> from ase.calculators.emt import EMT
    >>> from ase.calculators.lj import LennardJones
    >>> a, b = molecule("H2O"), molecule("H2O")
    >>> b.positions += [3.0, 0.0, 0.0]
    >>> pair = a + b
    >>> pair.arrays["molecule_index"] = [0, 0, 0, 1, 1, 1]
    >>> errors = IntraInterErrors([pair], EMT(), reference=LennardJones(sigma=1.0, rc=6.0)).run()
    >>> sorted(errors.results.rmse)
    ['inter', 'intra', 'rot', 'total', 'trans', 'vib']
    >>> same = IntraInterErrors([pair], EMT(), reference=EMT()).run()
    >>> same.results.rmse["inter"]["forces"]
    0.0
    """

    _analysis_algorithm_is_parallelizable = True

    @classmethod
    def get_supported_backends(cls):
        return ("serial", "multiprocessing", "dask")

    def __init__(
        self,
        frames,
        model,
        reference=None,
        *,
        reference_isolated=None,
        quantities=None,
        atom_types=None,
        vacuum=None,
        compound="residues",
        **kwargs,
    ):
        self._source = FrameSource(frames, compound=compound)
        super().__init__(self._source.atomgroup.universe.trajectory, **kwargs)
        if not _is_calculator(model):
            raise TypeError(f"model must be an ASE calculator, not {type(model).__name__}")
        self.vacuum = vacuum
        self._model = _Side("model", calculator=model, isolated=IsolatedMoleculeEvaluator(model))
        if reference is None:
            if self._source.ase_frames is None:
                raise ValueError(
                    "pass reference= (a calculator or stored labels) for Universe frames"
                )
            reference = self._source.ase_frames
        if isinstance(reference, str) and reference == "trajectory":
            reference = self._trajectory_labels()
        if _is_calculator(reference):
            self._reference = _Side(
                "reference", calculator=reference, isolated=IsolatedMoleculeEvaluator(reference)
            )
        else:
            label_frames = _read_frames(reference)
            self._check_label_frames(label_frames)
            labels = [_labels_of(a) for a in label_frames]
            isolated = (
                None if reference_isolated is None else StoredMoleculeLabels(reference_isolated)
            )
            self._reference = _Side("reference", labels=labels, isolated=isolated)
        periodic = self._source.has_box()
        sides = (self._model, self._reference)
        if quantities is None:
            quantities = ["energy", "forces"]
            if periodic and all(s.has("stress") for s in sides):
                quantities.append("stress")
        quantities = list(quantities)
        for q in quantities:
            if q not in _QUANTITIES:
                raise ValueError(f"unknown quantity {q!r}; choose from {_QUANTITIES}")
            if q == "stress" and not periodic:
                raise ValueError("stress asked for frames without a periodic box")
            for side in sides:
                if not side.has(q):
                    raise ValueError(
                        f"the {side.name} has no {q} (labels or calculator); "
                        "drop it from quantities"
                    )
        if "forces" not in quantities and "energy" not in quantities:
            raise ValueError("quantities must include energy or forces")
        self.quantities = tuple(q for q in _QUANTITIES if q in quantities)
        self._split_reference = self._reference.isolated is not None
        if not self._split_reference:
            warnings.warn(
                "stored reference labels without reference_isolated: the reference is split into "
                "trans/rot/vib only, so intra/inter errors are not reported",
                stacklevel=2,
            )
        if atom_types is None:
            atom_types = [chemical_symbols[z] for z in self._source.numbers]
        elif isinstance(atom_types, str):
            if atom_types != "categories":
                raise ValueError(f"atom_types must be per-atom labels or 'categories', not "
                                 f"{atom_types!r}")
            atom_types = self._categories()
        atom_types = np.asarray(atom_types).astype(str)
        if atom_types.shape != (self._source.n_atoms,):
            raise ValueError(
                f"atom_types has shape {atom_types.shape}, expected ({self._source.n_atoms},)"
            )
        self.atom_types = atom_types

    def _categories(self):
        """Ju et al. (2025) atom categories from the covalent bonds of the first frame."""
        from .atom_categories import atom_categories
        from .molecules import covalent_bonds

        atoms = self._source.atoms(self._source.atomgroup.universe.trajectory[0])
        return atom_categories(atoms.numbers, covalent_bonds(atoms))

    def _trajectory_labels(self):
        """The forces stored in the Universe's trajectory as reference labels, in eV/Å."""
        from ase import Atoms

        from ase_electrolyte.trajectory import FORCE_TO_KJ_PER_MOL_ANGSTROM

        ag = self._source.atomgroup
        frames = []
        for ts in ag.universe.trajectory:
            if not ts.has_forces:
                raise ValueError(f"reference='trajectory' but frame {ts.frame} has no forces")
            atoms = Atoms(numbers=self._source.numbers, positions=ag.positions)
            # MDAnalysis keeps forces in kJ/(mol·Å)
            atoms.arrays["forces"] = (
                np.array(ag.forces, dtype=np.float64) / FORCE_TO_KJ_PER_MOL_ANGSTROM
            )
            frames.append(atoms)
        ag.universe.trajectory[0]
        return frames

    def _check_label_frames(self, label_frames):
        if self._source.ase_frames is not None and label_frames is self._source.ase_frames:
            return
        n = self._source.atomgroup.universe.trajectory.n_frames
        if len(label_frames) != n:
            raise ValueError(
                f"the reference labels hold {len(label_frames)} frames, the trajectory {n}"
            )
        for k, atoms in enumerate(label_frames):
            if len(atoms) != self._source.n_atoms or np.any(atoms.numbers != self._source.numbers):
                raise ValueError(
                    f"reference frame {k} has different atoms from the analysed frames"
                )

    def _get_aggregator(self):
        return ResultsGroup(lookup={"_per_frame": ResultsGroup.flatten_sequence})

    def _prepare(self):
        self.results._per_frame = []

    def _split(self, side, atoms, whole, frame, properties):
        ids, masses = self._source.ids, self._source.masses
        total = side.totals(atoms, frame, properties)
        out = {"energy": {}, "forces": {}, "stress": {}}
        for q in properties:
            out[q]["total"] = total[q]
        if side.isolated is not None:
            molecules = isolated_molecules(atoms, ids, vacuum=self.vacuum)
            e_mol, f_mol = side.isolated.evaluate(molecules)
            f_intra = np.zeros((ids.size, 3))
            for mol, f in zip(molecules, f_mol, strict=True):
                f_intra[mol.arrays["frame_index"]] = f
            intra = {
                "energy": float(e_mol.sum()),
                "forces": f_intra,
            }
            if "stress" in properties:
                intra["stress"] = intramolecular_stress(
                    f_intra, whole, masses, ids, atoms.get_volume()
                )
            for q in properties:
                out[q]["intra"] = intra[q]
                out[q]["inter"] = total[q] - intra[q]
            out["molecule_energy"] = e_mol
        if "forces" in properties:
            parts = dof_decomposition(total["forces"], whole, masses, ids)
            out["forces"].update(zip(("trans", "rot", "vib"), parts, strict=True))
        return out

    def _single_frame(self):
        atoms = self._source.atoms(self._ts)
        ids = self._source.ids
        whole = atoms.positions
        if np.all(atoms.pbc):
            whole = make_whole(whole, ids, atoms.cell.array)
            check_whole(whole, ids, atoms.cell.array, atoms.numbers)
        properties = self.quantities
        frame = self._ts.frame
        self.results._per_frame.append(
            (
                frame,
                self._split(self._model, atoms, whole, frame, properties),
                self._split(self._reference, atoms, whole, frame, properties),
            )
        )

    def _conclude(self):
        per_frame = sorted(self.results._per_frame, key=lambda item: item[0])
        n_atoms = self._source.n_atoms
        components = {
            "energy": ENERGY_COMPONENTS if self._split_reference else ("total",),
            "forces": FORCE_COMPONENTS
            if self._split_reference
            else ("total", "trans", "rot", "vib"),
            "stress": ENERGY_COMPONENTS if self._split_reference else ("total",),
        }
        data = {}
        for q in self.quantities:
            data[q] = {}
            for s, side in ((1, "model"), (2, "reference")):
                data[q][side] = {
                    c: np.array([item[s][q][c] for item in per_frame]) for c in components[q]
                }
        self.results.energies = data.get("energy", {})
        self.results.forces = data.get("forces", {})
        self.results.stress = data.get("stress", {})
        if self._split_reference:
            self.results.molecule_energies = {
                side: np.array([item[s]["molecule_energy"] for item in per_frame])
                for s, side in ((1, "model"), (2, "reference"))
            }
        del self.results["_per_frame"]

        def errors(ref, mod):
            diff = (ref - mod).ravel()
            rmse = float(np.sqrt(np.mean(diff**2)))
            spread = float(np.sum((ref.ravel() - ref.mean()) ** 2))
            if spread == 0.0:
                rrmse = float("nan")
                warnings.warn(
                    "RRMSE undefined where the reference does not vary (set to nan)", stacklevel=3
                )
            else:
                rrmse = float(np.sqrt(np.sum(diff**2) / spread))
            return rmse, rrmse

        scale = {"energy": 1000.0 / n_atoms, "forces": 1.0, "stress": 1.0}
        rmse, rrmse = {}, {}
        for q in self.quantities:
            for c in components[q]:
                ref = data[q]["reference"][c] * scale[q]
                mod = data[q]["model"][c] * scale[q]
                r, rr = errors(ref, mod)
                rmse.setdefault(c, {})[q] = r
                rrmse.setdefault(c, {})[q] = rr
        self.results.rmse, self.results.rrmse = rmse, rrmse

        symbols = np.array([chemical_symbols[z] for z in self._source.numbers])
        mol_species = np.asarray(self._source.species)
        atom_species = mol_species[self._source.ids]
        groups = {
            "element": {el: symbols == el for el in dict.fromkeys(symbols)},
            "species": {sp: atom_species == sp for sp in dict.fromkeys(atom_species)},
        }
        for kind, masks in groups.items():
            per_rmse, per_rrmse = {}, {}
            for label, mask in masks.items():
                r_entry, rr_entry = {}, {}
                if "forces" in self.quantities:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        for c in components["forces"]:
                            r, rr = errors(
                                data["forces"]["reference"][c][:, mask],
                                data["forces"]["model"][c][:, mask],
                            )
                            r_entry.setdefault(c, {})["forces"] = r
                            rr_entry.setdefault(c, {})["forces"] = rr
                if kind == "species" and self._split_reference:
                    molecules = mol_species == label
                    n_per_mol = np.bincount(self._source.ids)[molecules]
                    ref = (
                        self.results.molecule_energies["reference"][:, molecules]
                        / n_per_mol
                        * 1000.0
                    )
                    mod = self.results.molecule_energies["model"][:, molecules] / n_per_mol * 1000.0
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        r, rr = errors(ref, mod)
                    r_entry.setdefault("intra", {})["energy"] = r
                    rr_entry.setdefault("intra", {})["energy"] = rr
                per_rmse[label], per_rrmse[label] = r_entry, rr_entry
            self.results[f"rmse_per_{kind}"] = per_rmse
            self.results[f"rrmse_per_{kind}"] = per_rrmse

        softening, softening_ols = {}, {}
        if "forces" in self.quantities:
            ref = self.results.forces["reference"]["total"]
            mod = self.results.forces["model"]["total"]
            for label in dict.fromkeys(self.atom_types):
                mask = self.atom_types == label
                x, y = ref[:, mask].ravel(), mod[:, mask].ravel()
                denom = float(np.dot(x, x))
                softening[label] = float(np.dot(x, y) / denom) if denom > 0 else float("nan")
                softening_ols[label] = _ols(x, y)
        self.results.softening = softening
        self.results.softening_ols = softening_ols
        self.results.units = dict(_UNITS)

    def unique_isolated_molecules(self, start=None, stop=None, step=None):
        """The distinct isolated molecules of the frames, to label with a reference method.

        Returns
        -------
        list of ase.Atoms
            Whole, centred on their centres of mass, without a cell (``vacuum`` applies);
            ``info["frame"]`` and ``info["molecule_index"]`` say where each came from.
        """
        seen, unique = set(), []
        for ts in self._source.atomgroup.universe.trajectory[start:stop:step]:
            atoms = self._source.atoms(ts)
            for mol in isolated_molecules(atoms, self._source.ids, vacuum=self.vacuum):
                key = _geometry_key(mol.numbers, mol.positions, 8)
                if key not in seen:
                    seen.add(key)
                    mol.info["frame"] = int(ts.frame)
                    del mol.arrays["frame_index"]
                    unique.append(mol)
        return unique

    def plot(self, ax=None, max_points=20000):
        """Parity plots of model against reference forces, one panel per component.

        Parameters
        ----------
        ax : array of matplotlib.axes.Axes, optional
            At least as many axes as force components; a new figure is made otherwise.
        max_points : int
            Force components drawn per panel (a random subset beyond that).

        Returns
        -------
        numpy.ndarray of matplotlib.axes.Axes
        """
        import matplotlib.pyplot as plt

        if "forces" not in self.quantities:
            raise ValueError("plot() shows forces; run with forces among the quantities")
        components = list(self.results.forces["model"])
        if ax is None:
            _, ax = plt.subplots(2, 3, figsize=(11, 7))
        axes = np.ravel(ax)
        rng = np.random.default_rng(0)
        for a, c in zip(axes, components, strict=False):
            x = self.results.forces["reference"][c].ravel()
            y = self.results.forces["model"][c].ravel()
            if x.size > max_points:
                pick = rng.choice(x.size, max_points, replace=False)
                x, y = x[pick], y[pick]
            a.plot(x, y, ",", alpha=0.5)
            lim = float(np.max(np.abs(np.concatenate([x, y])))) if x.size else 1.0
            a.plot([-lim, lim], [-lim, lim], "k--", lw=0.8)
            a.set_title(
                f"{c}: RMSE {self.results.rmse[c]['forces']:.3g} eV/Å, "
                f"RRMSE {self.results.rrmse[c]['forces']:.2f}",
                fontsize=9,
            )
            a.set_xlabel("reference force (eV/Å)")
            a.set_ylabel("model force (eV/Å)")
        return axes


@register_analysis("intra_inter_errors", needs=("calculator",))
def _report(universe, outdir, *, calculator=None, verbose=False):
    """``electrolyte analyze`` entry: the model against the forces stored in the trajectory."""
    if not universe.trajectory.ts.has_forces:
        return {
            "skipped": (
                "needs reference forces in the trajectory (or `electrolyte diagnose --reference`)"
            )
        }
    errors = IntraInterErrors(universe, calculator, reference="trajectory").run(verbose=verbose)
    return errors_summary(errors, outdir)


def errors_summary(errors, outdir):
    """Save the parity plot of a finished :class:`IntraInterErrors` and return its JSON summary."""
    import matplotlib.pyplot as plt

    summary = {
        "rmse": errors.results.rmse,
        "rrmse": errors.results.rrmse,
        "rmse_per_element": errors.results.rmse_per_element,
        "rmse_per_species": errors.results.rmse_per_species,
        "softening": errors.results.softening,
        "softening_ols": errors.results.softening_ols,
        "units": errors.results.units,
    }
    if "forces" in errors.quantities:
        axes = errors.plot()
        axes[0].figure.tight_layout()
        axes[0].figure.savefig(Path(outdir) / "intra_inter_errors.png", dpi=120)
        plt.close(axes[0].figure)
    return summary
