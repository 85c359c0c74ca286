"""A pretrained or user-supplied MLIP as one ASE calculator, optionally with DFT-D3 dispersion."""

from __future__ import annotations

import os
import re
import warnings

import numpy as np
from ase.calculators.calculator import (
    CalculationFailed,
    PropertyNotImplementedError,
    all_changes,
)
from ase.calculators.calculator import Calculator as _AseCalculator
from ase.stress import full_3x3_to_voigt_6_stress

from .atoms_checks import check_atoms, check_elements
from .models import load_model, resolve_device

__all__ = ["Calculator"]

def _check_finite(results, atoms, source):
    """Raise :class:`ase.calculators.calculator.CalculationFailed` on any non-finite result.

    Models give NaN for coincident atoms (a zero-length edge), never an error: the NaN would
    otherwise be integrated by MD or averaged into an analysis.
    """
    bad = [key for key, value in results.items() if not np.all(np.isfinite(value))]
    if not bad:
        return
    where = ""
    if len(atoms) > 1:
        distances = atoms.get_all_distances(mic=bool(atoms.pbc.any()))
        np.fill_diagonal(distances, np.inf)
        i, j = np.unravel_index(np.argmin(distances), distances.shape)
        where = (
            f"; closest atoms {atoms[i].symbol}{i}-{atoms[j].symbol}{j} at "
            f"{distances[i, j]:.3g} Å"
        )
    raise CalculationFailed(f"{source} returned non-finite {', '.join(bad)}{where}")


_DISPERSION_SPEC = re.compile(r"^d3(?:[-_(]?(bj|zero|bjm|zerom|op|cso)\)?)?$")

# vacuum (Å) around a molecule that a periodic-only backend evaluates in a box; well beyond the
# graph cutoffs of the models we wrap (CHGNet: 5 Å), so the images do not interact
_MOLECULE_VACUUM = 12.0


class Calculator(_AseCalculator):
    r"""An MLIP as an ASE calculator: energy, forces, stress and per-atom energies.

    The model is evaluated by its own package's calculator (SevenNet, CHGNet, MACE, NequIP/Allegro,
    GAP), once per atoms state for all properties, so the numbers are the upstream ones. When
    ``dispersion`` is given, the DFT-D3 correction is summed in inside this one calculator:

    .. math::

        E = E_\mathrm{MLIP} + E_\mathrm{D3}, \qquad
        \mathbf F_i = -\partial E / \partial \mathbf r_i, \qquad
        \sigma = \frac{1}{V} \frac{\partial E}{\partial \varepsilon},

    so per-atom energies, forces and stress of the sum survive, and an MD run needs no
    ``SumCalculator``.

    Parameters
    ----------
    model : str, os.PathLike or list of them
        A list of two or more models makes a committee
        (:class:`ase_electrolyte.committee.Committee`: mean and spread of the members).
        A registered name (:func:`ase_electrolyte.list_models`: ``"sevennet-0"``,
        ``"sevennet-0-22may2024"``, ``"sevennet-mf-0"``, ``"sevennet-l3i5"``, ``"chgnet-0.3.0"``,
        ``"chgnet-0.2.0"``) or a model file: a SevenNet checkpoint (``.pth``), a MACE ``.model``,
        a NequIP/Allegro compiled model (``.nequip.pt2``/``.nequip.pth``) or a GAP ``.xml``.
    dispersion : None, str or ase_electrolyte.D3
        ``None`` (no dispersion), a :class:`ase_electrolyte.D3` instance, or a short spec:
        ``"d3"``/``"d3-bj"`` (PBE-D3(BJ), 50.2/20 Å cutoffs), ``"d3-zero"``, ``"d3-bjm"``,
        ``"d3-zerom"``, ``"d3-op"``, ``"d3-cso"``.
    electrostatics : None, ase_electrolyte.Electrostatics or os.PathLike
        An explicit Coulomb term summed in like ``dispersion`` (e.g. the QRd term of Chalykh
        et al. 2025), or the path of its JSON file (:meth:`Electrostatics.save`).
    device : {"auto", "cpu", "cuda", "cuda:N"}
        ``"auto"`` picks CUDA when torch sees a GPU.
    dtype : {None, "float32", "float64"}
        Model precision where the backend lets us choose (MACE); ``None`` keeps the model's.
    **options
        Backend options: ``modal`` (SevenNet-MF-0, e.g. ``"PBE"``), ``enable_cueq``,
        ``enable_flash``, ``enable_oeq`` (SevenNet GPU accelerations); ``head``, ``enable_cueq``
        (MACE); ``chemical_species_to_atom_type_map``, ``neighborlist_backend``,
        ``neighborlist_backend_kwargs`` (NequIP/Allegro); ``args_str``, ``calc_args`` (GAP);
        ``backend`` (force the backend of a model file).

    Notes
    -----
    Units are ASE's: energies in eV, forces in eV/Å, stress in eV/Å³ as the 6-component Voigt
    vector (xx, yy, zz, yz, xz, xy) with :math:`p = -\mathrm{tr}\,\sigma / 3`. Stress exists for
    3D-periodic structures only. ``free_energy`` equals ``energy``.

    Before any model work the structure is checked: non-finite positions, a zero-volume periodic
    cell and elements that the model (or D3) does not cover raise :class:`ValueError`. The
    caller's Atoms is never modified.

    Examples
    --------
    >>> from ase.build import molecule
    >>> from ase_electrolyte import Calculator
    >>> atoms = molecule("CH3OH")
    >>> atoms.calc = Calculator("sevennet-0", device="cpu")
    >>> e = atoms.get_potential_energy()  # eV
    >>> f = atoms.get_forces()  # eV/Å, shape (6, 3)
    >>> bool(abs(atoms.get_potential_energy() - atoms.get_potential_energies().sum()) < 1e-4)
    True
    """

    implemented_properties = ["energy", "free_energy", "forces", "stress", "energies"]

    def __new__(cls, model=None, *args, **kwargs):
        # a list of models is a committee (ase_electrolyte.committee.Committee, a subclass)
        if cls is Calculator and isinstance(model, (list, tuple)):
            from .committee import Committee

            cls = Committee
        return super().__new__(cls)

    def __init__(
        self, model, *, dispersion=None, electrostatics=None, device="auto", dtype=None, **options
    ):
        super().__init__()
        backend = options.pop("backend", None)
        self.device = resolve_device(device)
        # the dispersion spec is checked before the (slow) model load, so a typo fails at once
        self.dispersion = self._make_dispersion(dispersion, self.device)
        self.electrostatics = self._make_electrostatics(electrostatics)
        loaded = load_model(model, device=self.device, dtype=dtype, backend=backend, **options)
        self.model = loaded.name
        self.backend = loaded.backend
        self._model_calc = loaded.calculator
        self._numbers = loaded.numbers
        self._periodic_only = loaded.periodic_only

    @staticmethod
    def _make_dispersion(dispersion, device):
        if dispersion is None:
            return None
        if isinstance(dispersion, str):
            match = _DISPERSION_SPEC.match(dispersion.lower())
            if match is None:
                raise ValueError(
                    f"unknown dispersion {dispersion!r}; use 'd3', 'd3-bj', 'd3-zero', 'd3-bjm', "
                    "'d3-zerom', 'd3-op', 'd3-cso' or an ase_electrolyte.D3 instance"
                )
            from .d3 import D3

            damping = match.group(1) or "bj"
            if not str(device).startswith("cuda"):
                return D3(damping=damping, device=device)
            try:
                return D3(damping=damping, device=device)
            except RuntimeError as err:
                # the model runs on this GPU through torch, but the D3 CUDA kernel needs nvcc
                # (or a cached build): dispersion on the CPU is slower, not wrong
                warnings.warn(
                    f"D3 cannot use {device} ({err}); the dispersion runs on the CPU kernel",
                    RuntimeWarning,
                    stacklevel=3,
                )
                return D3(damping=damping, device="cpu")
        if isinstance(dispersion, _AseCalculator):
            return dispersion
        raise TypeError(
            f"dispersion must be None, a spec such as 'd3-bj' or an ase_electrolyte.D3, "
            f"not {type(dispersion).__name__}"
        )

    @staticmethod
    def _make_electrostatics(electrostatics):
        if electrostatics is None or isinstance(electrostatics, _AseCalculator):
            return electrostatics
        if isinstance(electrostatics, (str, os.PathLike)):
            from .electrostatics import Electrostatics

            return Electrostatics.load(electrostatics)
        raise TypeError(
            "electrostatics must be None, an ase_electrolyte.Electrostatics or the path of its "
            f"JSON file, not {type(electrostatics).__name__}"
        )

    def __repr__(self):
        disp = "" if self.dispersion is None else f", dispersion={self.dispersion!r}"
        return f"Calculator({self.model!r}{disp}, device={self.device!r})"

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        """Evaluate the model (and dispersion) once for every property of this state."""
        if atoms is not None:
            self._check(atoms)
        super().calculate(atoms, properties, system_changes)
        periodic = bool(self.atoms.pbc.all())
        if "stress" in properties and self.atoms.cell.rank < 3:
            raise PropertyNotImplementedError(
                "stress needs a 3D-periodic cell; this structure has pbc="
                f"{self.atoms.pbc.tolist()} and cell rank {self.atoms.cell.rank}"
            )
        wanted = ["energy", "forces", "energies"] + (["stress"] if periodic else [])

        work = self.atoms.copy()
        work.calc = None
        if self._periodic_only and not self.atoms.pbc.any():
            # a molecule for a crystal-graph model: a box of vacuum, far wider than its cutoff
            work.center(vacuum=_MOLECULE_VACUUM)
            work.pbc = True
        self._model_calc.results = {}
        self._model_calc.calculate(work, wanted, all_changes)
        upstream = self._model_calc.results
        results = {
            "energy": float(np.asarray(upstream["energy"]).reshape(())),
            "forces": np.array(upstream["forces"], dtype=np.float64).reshape(-1, 3),
        }
        if "energies" in upstream:
            results["energies"] = np.array(upstream["energies"], dtype=np.float64).reshape(-1)
        if periodic:
            stress = np.array(upstream["stress"], dtype=np.float64)
            # CHGNet gives the 3×3 tensor, the others the Voigt vector
            if stress.shape == (3, 3):
                stress = full_3x3_to_voigt_6_stress(stress)
            results["stress"] = stress.reshape(6)
        _check_finite(results, self.atoms, f"the {self.backend} model {self.model!r}")

        for term in (self.dispersion, getattr(self, "electrostatics", None)):
            if term is None:
                continue
            term_atoms = self.atoms.copy()
            term_atoms.calc = None
            extra = term.get_properties(wanted, term_atoms)
            for key in ("energy", "forces", "energies", "stress"):
                if key in results:
                    results[key] = results[key] + extra[key]

        results["free_energy"] = results["energy"]
        if "energies" in properties and "energies" not in results:
            raise PropertyNotImplementedError(
                f"the {self.backend} model {self.model!r} does not give per-atom energies"
            )
        self.results = results

    def _check(self, atoms):
        check_atoms(atoms)
        check_elements(atoms, self._numbers, f"the model {self.model!r}")
        for term in (self.dispersion, getattr(self, "electrostatics", None)):
            if term is not None and hasattr(term, "check_elements"):
                term.check_elements(atoms)
