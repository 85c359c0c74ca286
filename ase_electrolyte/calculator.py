"""A pretrained or user-supplied MLIP as one ASE calculator, optionally with DFT-D3 dispersion."""

from __future__ import annotations

import os
import re
import warnings

import numpy as np
from ase.calculators.calculator import Calculator as _AseCalculator
from ase.calculators.calculator import PropertyNotImplementedError, all_changes, equal
from ase.data import chemical_symbols
from ase.stress import full_3x3_to_voigt_6_stress

from .atoms_checks import (
    _check_thin_cell,
    check_atoms,
    check_elements,
    check_number_density,
    check_overlaps,
)
from .calculator_charges import (
    declaration_changed,
    declared_total_charge,
    unread_charge_sum,
)
from .calculator_errors import InputError, check_finite, input_errors
from .calculator_parameters import Option, ParametersContract, _options_snapshot
from .device import resolve_device, reuse_freed_memory
from .models import load_model, modal_spelling, model_modals, model_spec
from .option_words import close_option

__all__ = ["Calculator", "parse_dispersion"]

_DISPERSION_SPEC = re.compile(r"^d3(?:[-_(]?(bj|zero|bjm|zerom|op|cso)\)?)?$")
_DISPERSION_SPECS = "'d3', 'd3-bj', 'd3-zero', 'd3-bjm', 'd3-zerom', 'd3-op', 'd3-cso'"

# vacuum (Å) around a molecule that a periodic-only backend evaluates in a box; well beyond the
# graph cutoffs of the models we wrap (CHGNet: 5 Å), so the images do not interact
_MOLECULE_VACUUM = 12.0

# atoms closer than this (Å) are refused before the model, as by D3 and Electrostatics
_MIN_DISTANCE = 0.1


def _completed_cell(atoms):
    """The cell of a slab or wire with its non-periodic vectors made perpendicular to the
    periodic ones and longer than the structure plus :data:`_MOLECULE_VACUUM` on each side.

    Along a non-periodic direction no image exists, so the vector only makes the lattice
    invertible for a backend that needs one; the periodic vectors are kept.
    """
    cell = np.array(atoms.cell[:], dtype=float)
    pbc = np.asarray(atoms.pbc, dtype=bool)
    # an orthonormal basis whose first vectors span the periodic ones
    q, _ = np.linalg.qr(np.concatenate([cell[pbc], np.eye(3)]).T, mode="complete")
    free = q[:, pbc.sum():].T
    positions = atoms.positions
    for k, vector in zip(np.flatnonzero(~pbc), free, strict=True):
        along = positions @ vector
        cell[k] = vector * (np.ptp(along) + 2 * _MOLECULE_VACUUM)
    return cell


def _model_input(atoms, periodic_only):
    """The copy of ``atoms`` that the model evaluates: the same structure near the origin, in
    a right-handed cell.

    The atoms are wrapped into the cell along its periodic vectors (as D3 does: the numbers do
    not depend on the image an atom sits in) and, unless the cell is 3D-periodic, first
    translated so that the first atom lies at the origin; a cell with a negative determinant is
    replaced by its negative (the same lattice). Energy, forces, per-atom energies and stress
    do not change, but models
    that build edge vectors in float32 or take the volume as the determinant do: CHGNet gave
    forces off by 0.05 eV/Å for a crystal 10⁴ Å from the origin (4 eV/Å at 10⁶ Å, NaN at
    10⁷ Å) and a stress off by 0.04 eV/Å³ in a left-handed cell. For a crystal-graph model
    (``periodic_only``) a molecule is put in a box of vacuum and a slab or wire without
    non-periodic cell vectors gets them (:func:`_completed_cell`).
    """
    from .d3.calculator import near_origin

    work = atoms.copy()
    work.calc = None
    work.positions = near_origin(atoms.positions, atoms.cell[:], atoms.pbc)
    if periodic_only and not atoms.pbc.any():
        # a molecule for a crystal-graph model: a box of vacuum, far wider than its cutoff
        work.center(vacuum=_MOLECULE_VACUUM)
        work.pbc = True
    elif periodic_only and work.cell.rank < 3:
        # a slab or wire whose non-periodic cell vectors are zero: the crystal-graph model
        # needs an invertible lattice (CHGNet failed with 'Singular matrix')
        work.cell = _completed_cell(work)
    if np.linalg.det(work.cell[:]) < 0:
        work.cell = -work.cell[:]
    return work


def _model_file_sha256(model, missing=False):
    """SHA-256 of the model file ``model``; ``None`` for a registered name (its weights ship
    inside a package) or, with ``missing``, for a file that no longer exists."""
    from .models import registered_name
    from .native_build import file_sha256

    if not isinstance(model, (str, os.PathLike)) or registered_name(model) is not None:
        return None
    if missing and not os.path.isfile(model):
        return None
    return file_sha256(model)


def _foreign_term(option, term, forms):
    """The refusal of another ASE calculator given as a summed term.

    It was accepted and failed at the first evaluation, after the model, with an
    ``AttributeError`` (no ``get_properties``): a summed term must give per-atom energies and
    the checks this calculator runs before the model (``check_input``).
    """
    return (
        f"{option} must be None, {forms}, not a {type(term).__name__}; sum another ASE "
        "calculator with "
        "ase.calculators.mixing.SumCalculator([calc, other])"
    )


def parse_dispersion(spec):
    """The D3 damping named by a dispersion spec, or ``None`` for no dispersion.

    Parameters
    ----------
    spec : str or None
        ``None``, ``"none"`` or ``""`` (no dispersion); ``"d3"``/``"d3-bj"`` (rational damping),
        ``"d3-zero"``, ``"d3-bjm"``, ``"d3-zerom"``, ``"d3-op"``, ``"d3-cso"`` (also
        ``"d3(bj)"``, ``"d3_zero"``; case-insensitive).

    Returns
    -------
    str or None
        The damping (``"bj"``, ``"zero"``, ...) or ``None``.

    Raises
    ------
    ase.calculators.calculator.InputError
        An unknown spec (also a ``ValueError``).

    Examples
    --------
    >>> from ase_electrolyte.calculator import parse_dispersion
    >>> parse_dispersion("D3(BJ)"), parse_dispersion("none")
    ('bj', None)
    """
    if spec is None or (isinstance(spec, str) and spec.strip().lower() in ("", "none")):
        return None
    match = _DISPERSION_SPEC.match(spec.strip().lower()) if isinstance(spec, str) else None
    if match is None:
        raise InputError(
            f"unknown dispersion {spec!r}; use {_DISPERSION_SPECS} or an ase_electrolyte.D3 "
            "instance"
        )
    return match.group(1) or "bj"


def _backend_option_names():
    """Every backend option name that some backend takes (``modal``, ``head``, ...)."""
    from .models import _BACKENDS

    return frozenset().union(*(b.options for b in _BACKENDS.values()))


class Calculator(ParametersContract, _AseCalculator):
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
        ``"chgnet-0.2.0"``) or a model file: a SevenNet checkpoint (``.pth``), a CHGNet
        checkpoint (``.pth.tar``, e.g. of CHGNet's trainer), a MACE ``.model``, a
        NequIP/Allegro compiled model (``.nequip.pt2``/``.nequip.pth``) or a GAP ``.xml``.
    dispersion : None, str, dict or ase_electrolyte.D3
        ``None`` (no dispersion), a :class:`ase_electrolyte.D3` instance, a dict of its
        options (what ``D3.todict()`` gives), or a short spec (:func:`parse_dispersion`):
        ``"d3"``/``"d3-bj"`` (PBE-D3(BJ), 50.2/20 Å cutoffs), ``"d3-zero"``, ``"d3-bjm"``,
        ``"d3-zerom"``, ``"d3-op"``, ``"d3-cso"``. A D3 built from a spec or dict runs on
        ``device`` (on the CPU kernel, with a warning, when its CUDA kernel cannot be built).
    electrostatics : None, ase_electrolyte.Electrostatics, dict or os.PathLike
        An explicit Coulomb term summed in like ``dispersion`` (e.g. the QRd term of Chalykh
        et al. 2025), a dict of its options, or the path of its JSON file
        (:meth:`Electrostatics.save`); one built from a file or dict runs on ``device``.
        Its charges (e per atom) are then this calculator's ``charges`` property
        (``atoms.get_charges()``, ``calc.results["charges"]``), computed with the rest.
    device : {"auto", "cpu", "cuda", "cuda:N"}, ase_electrolyte.device.Device or torch.device
        ``"auto"`` picks CUDA when torch sees a GPU (:func:`ase_electrolyte.device.resolve_device`).
    dtype : {None, "float32", "float64"}
        Model precision where the backend lets us choose (MACE); ``None`` keeps the model's.
    backend : {None, "sevennet", "chgnet", "mace", "nequip", "gap"}
        Force the backend of a model file whose suffix does not tell (``None``: detect).
    **options
        Backend options: ``modal`` (SevenNet-MF-0, e.g. ``"PBE"``; a fidelity is read in any
        case and spacing and recorded as the model spells it), ``enable_cueq``,
        ``enable_flash``, ``enable_oeq`` (SevenNet GPU accelerations); ``head``, ``enable_cueq``
        (MACE); ``chemical_species_to_atom_type_map``, ``neighborlist_backend``,
        ``neighborlist_backend_kwargs`` (NequIP/Allegro); ``args_str``, ``calc_args`` (GAP).

    Raises
    ------
    ase.calculators.calculator.InputError
        A bad option (unknown model name or file, backend option, dtype, dispersion spec,
        device, another ASE calculator given as ``dispersion`` or ``electrostatics``: sum
        those with ASE's ``SumCalculator``) or, at evaluation, a structure refused before
        any model work. It is also a ``ValueError``
        (:class:`ase_electrolyte.calculator_errors.InputError`).
    ase.calculators.calculator.CalculationFailed
        The model returned a non-finite energy, force or stress (the closest atoms are named).
    ase.calculators.calculator.PropertyNotImplementedError
        Stress of a structure without a 3D-periodic cell; per-atom energies of a backend
        without them.
    ImportError
        The backend package is not installed (the message names the pip extra).

    Notes
    -----
    Units are ASE's: energies in eV, forces in eV/Å, stress in eV/Å³ as the 6-component Voigt
    vector (xx, yy, zz, yz, xz, xy) with :math:`p = -\mathrm{tr}\,\sigma / 3`. Stress exists for
    3D-periodic structures only. ``free_energy`` equals ``energy``.

    Before any model work the structure is checked: no atoms, non-finite positions, a
    zero-volume periodic cell, atoms closer than 0.1 Å (an atom and its own periodic image
    included), elements that the model does not cover and whatever a summed term refuses
    (``check_input`` of :class:`~ase_electrolyte.D3` and
    :class:`~ase_electrolyte.Electrostatics`: elements without parameters, a cutoff spanning
    too many periodic images, a charged periodic cell without background, partial
    periodicity for electrostatics...) raise ``InputError``. Results
    are computed again when the structure, an option or an input that a summed term reads
    (``atoms.info["charge"]`` for electrostatics) changes. The model and D3 read the numbers,
    positions, cell and pbc only: ``initial_charges``, ``initial_magmoms``, ``tags`` and
    constraints do not change the results (Electrostatics reads a charge array with
    ``scheme="array"``); non-zero ``initial_charges`` whose sum is not the declared net
    charge (0 where none is declared) give an
    :class:`~ase_electrolyte.electrostatics.UnreadChargesWarning`, once per calculator and
    sum, until the options change. The net charge is read one way
    (:func:`ase_electrolyte.calculator_charges.declared_total_charge`): a structure whose
    ``atoms.info["charge"]`` and ``formal_charge`` sum disagree, or whose charge array read
    by Electrostatics sums to neither, is refused before the model. The raw forces are
    unconstrained, ASE applies the constraints in
    ``atoms.get_forces()``. The caller's Atoms is never
    modified. The model is given a copy wrapped into the cell along its periodic vectors (a
    molecule or slab first translated to its first atom) in a right-handed basis of the same
    lattice, so the numbers do not depend on the image an atom sits in, on the distance from
    the origin (float32 models) or on the handedness of the cell vectors. A backend that needs
    an invertible lattice (CHGNet) evaluates a molecule in a box of vacuum, and a slab or wire
    whose non-periodic cell vectors are zero with vectors perpendicular to the periodic ones
    (no image exists along them).

    ASE's parameters contract: every option is in ``calc.parameters`` (``device`` as the
    device used, ``"cpu"`` or ``"cuda:N"``; ``backend`` as the backend that loaded the model;
    ``dispersion`` and ``electrostatics`` as the term calculators) and readable as an attribute.
    ``calc.todict()`` holds them all (the terms as their own option dicts), so ASE
    trajectories and databases record the model, dispersion, device and cutoffs, and
    ``Calculator(**calc.todict())`` is the same calculator. ``calc.set(**options)`` checks
    the options before changing anything, returns those that changed and then resets the
    results (a summed term set again from the same spec, dict or file is no change: the term
    built before and the results stand). Changing ``model``,
    ``device``, ``dtype``, ``backend`` or a backend option loads the model again (a new
    ``model`` takes only the backend options given in the same call); changing
    ``dispersion`` or ``electrostatics`` rebuilds only that term, and a term built from a
    spec, dict or file moves with ``device`` (an electrostatics term keeping its lattice-sum
    sets, as its own ``set(device=...)`` does). An option edited in ``calc.parameters`` (or in
    a term's ``parameters``) directly is applied as ``set`` would apply it, checked, before
    the next property, ``set`` or ``todict``.

    Pickling (``multiprocessing``, dask, ``pickle.dumps(atoms)``) stores the options, terms and
    results but not the loaded network: the unpickled calculator loads its model again, and
    refuses (``InputError``) a model file whose bytes changed since it was first loaded.
    ``copy.copy`` and ``copy.deepcopy`` keep the loaded model.

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
    default_parameters = {
        "model": None,
        "dispersion": None,
        "electrostatics": None,
        "device": "auto",
        "dtype": None,
        "backend": None,
    }

    model = Option()
    dispersion = Option()
    electrostatics = Option()
    device = Option()
    dtype = Option()
    backend = Option()

    def __new__(cls, model=None, *args, **kwargs):
        # a list of models is a committee (ase_electrolyte.committee.Committee, a subclass)
        if cls is Calculator and isinstance(model, (list, tuple)):
            from .committee import Committee

            cls = Committee
        return super().__new__(cls)

    def __init__(
        self, model=None, *, dispersion=None, electrostatics=None, device="auto", dtype=None,
        backend=None, **options
    ):
        ase_keywords = self._split_ase_keywords(options)
        if model is None:
            raise InputError(
                "Calculator needs a model: a registered name (ase_electrolyte.list_models()) "
                "or a model file"
            )
        super().__init__(**ase_keywords)
        self._own_terms = {}
        self._initialise(dict(
            model=model, dispersion=dispersion, electrostatics=electrostatics, device=device,
            dtype=dtype, backend=backend, **options,
        ))

    def _extra_option_allowed(self, key):
        # backend options (modal, head, ...): load_model checks them against the backend;
        # a misspelt keyword of this calculator was refused there as "the sevennet backend
        # takes no option(s) ['dispresion']", naming backend options but not 'dispersion'
        if key == "parameters":
            return False
        # the nearest of all names decides: 'Modal' is the backend's modal, 'Model' the model
        backend_options = _backend_option_names()
        nearest = close_option(key, backend_options | set(self.default_parameters))
        return key in backend_options or nearest not in self.default_parameters

    def _apply_direct_edits(self):
        """Apply options edited in ``calc.parameters`` directly, this calculator's and its
        summed terms' (``calc.dispersion.parameters["cutoff"] = 5.0``), as ``set`` would.

        A term edited so kept its kernel settings and returned its last results, while the
        calculator, seeing the term's options change, evaluated the model again and summed
        the stale term in: the old dispersion energy under the new recorded cutoff.
        """
        super()._apply_direct_edits()
        for term in self._terms():
            if isinstance(term, ParametersContract):
                term._apply_direct_edits()

    # ------------------------------------------------------------------ options
    def _configure(self, p, old, given):
        """Check the options, then (re)build the model and the summed terms they describe."""
        p = dict(p)
        if isinstance(p["model"], (list, tuple)):
            # only the constructor can make a committee (another class)
            raise InputError(
                "a list of models is a committee: build it with Calculator([...]); set() "
                "cannot turn a one-model calculator into one"
            )
        p["model"] = model_spec(p["model"])
        if old is not None and "model" in given and not equal(p["model"], old["model"]):
            # a new model is loaded with the backend and backend options given with it
            for key in set(p) - set(self.default_parameters) - given:
                del p[key]
            if "backend" not in given:
                p["backend"] = None
        if isinstance(p.get("modal"), str):
            # a fidelity is an option word (modal="pbe" is "PBE"), recorded as the model spells
            # it: set(modal="PBE") after modal="pbe" is then no change and loads nothing
            p["modal"] = modal_spelling(p["modal"], model_modals(p["model"]))
        device, terms, reload = self._device_terms_reload(p, old, given)
        if reload:
            loaded = self._load(p, device)
            p["backend"] = self._loaded_backend(loaded)
        # every option is valid: only now is the calculator changed
        if reload:
            self._set_loaded(loaded)
        self._own_terms = terms["owned"]
        p["dispersion"], p["electrostatics"] = terms["dispersion"], terms["electrostatics"]
        self._list_term_properties(p["electrostatics"])
        # sums of unread initial charges already warned about (UnreadChargesWarning), per
        # set of options as by Electrostatics
        self._unread_warned = set()
        return p

    def _list_term_properties(self, electrostatics):
        """List ``charges`` among the implemented properties exactly while an electrostatics
        term is summed in: its charges were computed and thrown away, and
        ``atoms.get_charges()`` raised PropertyNotImplementedError (ASE refuses a property
        its calculator does not list, and its readers, e.g. trajectories, go by the list)."""
        names = list(type(self).implemented_properties)
        if electrostatics is not None:
            names.append("charges")
        self.implemented_properties = names

    def _load(self, p, device):
        if device == "cpu":
            reuse_freed_memory()
        options = {k: v for k, v in p.items() if k not in self.default_parameters}
        return load_model(p["model"], device=device, dtype=p["dtype"], backend=p["backend"],
                          **options)

    @staticmethod
    def _loaded_backend(loaded):
        return loaded.backend

    def _set_loaded(self, loaded):
        self._model_calc = loaded.calculator
        self._numbers = loaded.numbers
        self._periodic_only = loaded.periodic_only
        # the bytes this model was loaded from: an unpickled copy loads the file again and
        # must refuse a file changed since, not run another model under the same name
        self._model_sha256 = _model_file_sha256(loaded.name)

    # ------------------------------------------------------------------ pickling
    def __getstate__(self):
        """The state without the loaded model, which the unpickled copy loads again.

        The backends' calculators do not all pickle (NequIP's is a local class, GAP's a
        Fortran object) and a pickled network is as large as its file; multiprocessing,
        dask and ``pickle.dumps(atoms)`` need only the options. ``copy.copy`` and
        ``copy.deepcopy`` keep the loaded model (:meth:`__copy__`, :meth:`__deepcopy__`).
        """
        state = dict(self.__dict__)
        if state.pop("_model_calc", None) is not None:
            state["_reload_model"] = True
        return state

    def __setstate__(self, state):
        """Restore a pickled calculator, loading its model again (the same bytes only)."""
        state = dict(state)
        reload = state.pop("_reload_model", False)
        self.__dict__.update(state)
        if not reload:
            return
        p = self.parameters
        digest = getattr(self, "_model_sha256", None)
        if digest is not None:
            now = _model_file_sha256(p["model"], missing=True)
            if now != digest:
                what = "no longer exists" if now is None else "has changed"
                raise InputError(
                    f"cannot unpickle {type(self).__name__}({p['model']!r}): the model file "
                    f"{what} since the calculator was pickled (SHA-256 {digest[:12]}...), so "
                    "the copy would run another model; pickle it again or give the file's "
                    "path on this machine"
                )
        # a calculator pickled on a GPU machine and unpickled on one without (a dask worker)
        # failed inside the backend's loader with torch's own error
        with input_errors(f"cannot unpickle {type(self).__name__}({p['model']!r}) here: "):
            resolve_device(p["device"])
        loaded = self._load(p, p["device"])
        if loaded.numbers != self._numbers:
            raise InputError(
                f"cannot unpickle {type(self).__name__}({p['model']!r}): the model loaded "
                "again covers other elements than the pickled one"
            )
        self._model_calc = loaded.calculator

    def __copy__(self):
        new = type(self).__new__(type(self))
        new.__dict__.update(self.__dict__)
        return new

    def __deepcopy__(self, memo):
        import copy

        new = type(self).__new__(type(self))
        memo[id(self)] = new
        new.__dict__.update(copy.deepcopy(self.__dict__, memo))
        return new

    def _device_terms_reload(self, p, old, given):
        """Resolve the device, build the summed terms, and say whether the model must reload.

        The dispersion spec is checked here, before the (slow) model load, so a typo fails at
        once; only options other than the summed terms' reload the model.
        """
        device = str(resolve_device(p["device"]))
        p["device"] = device
        device_moved = old is not None and device != old["device"]
        terms = self._configure_terms(p, old, given, device, device_moved)
        reload = old is None or any(
            not equal(p.get(key), old.get(key))
            for key in set(p) | set(old)
            if key not in ("dispersion", "electrostatics")
        )
        self._file_replaced = False
        if (not reload and "model" in given and getattr(self, "_model_sha256", None)
                and _model_file_sha256(p["model"], missing=True) not in (
                    None, self._model_sha256)):
            # set(model=path) with the path of the loaded model, whose file was written anew
            # since (a fine-tune saved to the same name): it was no change, and the old
            # network went on giving its numbers under the file's name
            reload = self._file_replaced = True
        return device, terms, reload

    def _configure_terms(self, p, old, given, device, device_moved):
        """The dispersion and electrostatics terms of options ``p`` (built here when needed)."""
        owned = dict(getattr(self, "_own_terms", {}))
        out = {}
        for name, build in (("dispersion", self._make_dispersion),
                            ("electrostatics", self._make_electrostatics)):
            value = p[name]
            if old is None or name in given:
                term = build(value, device)
                before = None if old is None else old.get(name)
                if (term is not None and term is not value and owned.get(name)
                        and type(before) is type(term)
                        and equal(before.todict(), term.todict())):
                    # the same spec, dict or file set again: the term we built before (and
                    # the results) stand; a new instance was reported as a changed option and
                    # the results were thrown away, so an MD loop calling set(dispersion=
                    # "d3-bj") each step paid for the model every time
                    term = before
                # a term we built from a spec, a dict or a file follows the device; an
                # instance handed to us is the caller's and is left as it is
                owned[name] = term is not None and term is not value
            elif device_moved and owned.get(name) and value is not None:
                term = self._moved_term(name, value, device, build)
            else:
                term = value
            out[name] = term
        out["owned"] = owned
        return out

    @staticmethod
    def _moved_term(name, term, device, build):
        """The term we built, on ``device``.

        The electrostatics is moved by ``set(device=...)`` on a copy, which keeps the lattice-sum
        sets chosen for the cells seen so far (they depend on no device): rebuilt from its
        options, it chose new ones, and a strained cell's energy moved by the difference of two
        sums' errors (7e-6 to 1.5e-5 eV for 16 ions at tolerance 1e-4, 3 % strain) and a PME
        term paid its tuning again. A copy, as a shallow copy of this calculator still holds
        the old one.
        The dispersion is rebuilt (its CPU fallback where the CUDA kernel cannot be built).
        """
        if name == "electrostatics":
            import copy

            moved = copy.deepcopy(term)
            moved.set(device=device)
            return moved
        return build({**term.todict(), "device": device}, device)

    @staticmethod
    def _make_dispersion(dispersion, device):
        """A D3 term from ``None``, a spec (``"d3-bj"``), a dict of D3 options or a D3 instance.

        A D3 built here runs on ``device``; when that is a GPU whose D3 kernel cannot be built,
        on the CPU kernel, with a warning.
        """
        from .d3 import D3

        if dispersion is None or isinstance(dispersion, D3):
            return dispersion
        if isinstance(dispersion, _AseCalculator):
            raise InputError(_foreign_term(
                "dispersion", dispersion,
                "an ase_electrolyte.D3, a dict of its options or a spec such as 'd3-bj'"))
        if isinstance(dispersion, str):
            damping = parse_dispersion(dispersion)
            if damping is None:
                return None
            options = {"damping": damping}
        elif isinstance(dispersion, dict):
            options = dict(dispersion)
        else:
            raise InputError(
                f"dispersion must be None, a spec such as 'd3-bj', a dict of D3 options or an "
                f"ase_electrolyte.D3, not {type(dispersion).__name__}"
            )

        device = str(options.pop("device", device))
        if not device.startswith("cuda"):
            return D3(**options, device=device)
        try:
            return D3(**options, device=device)
        except RuntimeError as err:
            # the model runs on this GPU through torch, but the D3 CUDA kernel needs nvcc
            # (or a cached build): dispersion on the CPU is slower, not wrong
            warnings.warn(
                f"D3 cannot use {device} ({err}); the dispersion runs on the CPU kernel",
                RuntimeWarning,
                stacklevel=3,
            )
            return D3(**options, device="cpu")

    @staticmethod
    def _make_electrostatics(electrostatics, device="cpu"):
        """An Electrostatics term from ``None``, its JSON file, a dict of options or an instance.

        One built here runs on ``device`` (a dict's own ``device`` wins).
        """
        from .electrostatics import Electrostatics

        if electrostatics is None or isinstance(electrostatics, Electrostatics):
            return electrostatics
        if isinstance(electrostatics, _AseCalculator):
            raise InputError(_foreign_term(
                "electrostatics", electrostatics,
                "an ase_electrolyte.Electrostatics, a dict of its options or its JSON file"))

        if isinstance(electrostatics, (str, os.PathLike)):
            if not os.path.isfile(electrostatics):
                # FileNotFoundError (or IsADirectoryError) escaped the option checks
                raise InputError(
                    f"electrostatics: no file {os.fspath(electrostatics)!r} (give the JSON file "
                    "written by Electrostatics.save, a dict of its options or an instance)"
                )
            return Electrostatics.load(electrostatics, device=device)
        if isinstance(electrostatics, dict):
            return Electrostatics(**{"device": device, **electrostatics})
        raise InputError(
            "electrostatics must be None, an ase_electrolyte.Electrostatics, a dict of its "
            f"options or the path of its JSON file, not {type(electrostatics).__name__}"
        )

    def __repr__(self):
        disp = "" if self.dispersion is None else f", dispersion={self.dispersion!r}"
        return f"{type(self).__name__}({self.model!r}{disp}, device={self.device!r})"

    @property
    def model_cutoff(self):
        """The model's cutoff radius (Å): atoms farther apart interact only through the summed
        terms; ``None`` where the backend does not say.

        An isolated molecule in a periodic cube is isolated for the model only where it is
        more than this far from its own images (``vacuum`` of
        :class:`~mda_electrolyte.intra_inter_errors.IntraInterErrors` and
        :class:`~mda_electrolyte.volume_scan.RigidVolumeScan`, which check it).
        """
        calc = self._model_calc
        if self.backend == "sevennet":
            return float(calc.cutoff)
        if self.backend == "mace":
            return float(calc.r_max)
        if self.backend == "chgnet":
            return float(calc.model.graph_converter.atom_graph_cutoff)
        # NequIP/Allegro and GAP keep it where their calculators do not name it: read as None,
        # it let a committee of nequip models of 3.5 and 4.5 Å through the one-cutoff check,
        # and the isolation checks of molecules in a box (vacuum > cutoff) were skipped
        if self.backend == "nequip":
            # the neighbour list transform nequip builds from the compiled model's r_max (the
            # largest, where per-edge-type cutoffs are set)
            values = [getattr(t, "r_max", None) for t in getattr(calc, "transforms", ())]
        elif self.backend == "gap":
            quip = getattr(calc, "_quip_potential", None)
            values = [quip.cutoff()] if hasattr(quip, "cutoff") else []
        else:
            values = [getattr(calc, "r_max", None)]
        values = [float(v) for v in values
                  if isinstance(v, (int, float, np.number)) and not isinstance(v, bool)
                  and np.isfinite(v) and v > 0]
        return max(values) if values else None

    # ------------------------------------------------------------------ evaluation
    def _terms(self):
        return [t for t in (self.dispersion, self.electrostatics) if t is not None]

    def _term_options(self):
        return [t.todict() for t in self._terms()]

    def check_state(self, atoms, tol=1e-15):
        """ASE's changes of ``atoms`` since the last evaluation, ``"parameters"`` when a
        summed term's own options were changed since (``calc.dispersion.set(cutoff=...)``),
        and ``"charges"`` when an input of a term that ASE does not compare changed
        (``atoms.info["charge"]`` for electrostatics)."""
        changes = super().check_state(atoms, tol)
        # the declared net charge (read by a charge-aware model, and checked before any
        # evaluation) and inputs a term reads that ASE does not compare (Electrostatics: the
        # charge and molecule_index arrays): a change must not return the last results
        if declaration_changed(self.atoms, atoms):
            changes = [*changes, "charges"]
        for term in self._terms():
            if hasattr(term, "untracked_changes") and term.untracked_changes(self.atoms, atoms):
                changes = [*changes, "charges"]
                break
        seen = getattr(self, "_term_options_seen", None)
        now = self._term_options()
        if seen is not None and (
            len(seen) != len(now) or not all(equal(a, b) for a, b in zip(seen, now, strict=True))
        ):
            changes = [*changes, "parameters"]
        return changes

    def _add_terms(self, results, wanted):
        """Add dispersion and electrostatics (each evaluated on a copy) to ``results``, and
        take the electrostatics term's charges as ``results["charges"]``."""
        for term in self._terms():
            term_atoms = self.atoms.copy()
            term_atoms.calc = None
            charged = term is self.electrostatics
            extra = term.get_properties([*wanted, "charges"] if charged else wanted,
                                        term_atoms)
            for key in ("energy", "forces", "energies", "stress"):
                if key in results:
                    results[key] = results[key] + extra[key]
            if charged:
                results["charges"] = np.array(extra["charges"], dtype=np.float64)
        # a copy: todict() hands out the term's own option values, and an option edited in
        # place (calc.electrostatics.parameters["qrd"]["Cu"] = ...) changed the record too
        self._term_options_seen = [_options_snapshot(o) for o in self._term_options()]
        return results

    def get_property(self, name, atoms=None, allow_calculation=True):
        """ASE's ``get_property``, after applying options edited in ``calc.parameters``.

        Parameters
        ----------
        name : str
            One of :attr:`implemented_properties`: ``energy``, ``free_energy`` (eV),
            ``forces`` (eV/Å), ``stress`` (eV/Å³, Voigt), ``energies`` (eV per atom) and,
            while an electrostatics term is summed in, ``charges`` (e per atom: the term's
            charges, as :meth:`Electrostatics.get_charges
            <ase_electrolyte.Electrostatics.get_charges>` gives them).
        atoms : ase.Atoms, optional
            The structure (default: the last one evaluated).
        allow_calculation : bool
            ``False``: ``None`` unless the property of this state is already computed.

        Raises
        ------
        ase.calculators.calculator.PropertyNotImplementedError
            A property not implemented, ``charges`` without an electrostatics term naming
            the cure.
        """
        # options edited in calc.parameters first: an electrostatics term given so has charges
        self._apply_direct_edits()
        if name == "charges" and "charges" not in self.implemented_properties:
            raise PropertyNotImplementedError(
                f"charges: {type(self).__name__}({self.model!r}) sums no electrostatics term, "
                "and the model gives no charges; give electrostatics=... (e.g. the QRd term "
                "of Chalykh et al. 2025) to have them")
        return super().get_property(name, atoms, allow_calculation)

    def _wanted(self, properties):
        periodic = bool(self.atoms.pbc.all()) and self.atoms.cell.rank == 3
        if "stress" in properties and not periodic:
            raise PropertyNotImplementedError(
                "stress needs a 3D-periodic cell; this structure has pbc="
                f"{self.atoms.pbc.tolist()} and cell rank {self.atoms.cell.rank}"
            )
        return ["energy", "forces", "energies"] + (["stress"] if periodic else [])

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        """Evaluate the model (and dispersion) once for every property of this state."""
        if atoms is not None:
            self._check(atoms)
        super().calculate(atoms, properties, system_changes)
        wanted = self._wanted(properties)
        periodic = "stress" in wanted

        work = _model_input(self.atoms, self._periodic_only)
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
        check_finite(results, self.atoms, f"the {self.backend} model {self.model!r}")
        results = self._add_terms(results, wanted)
        results["free_energy"] = results["energy"]
        # kept before refusing per-atom energies: the energy and forces of this evaluation
        # were thrown away, and the next get_forces() paid for the model again
        self.results = results
        if "energies" in properties and "energies" not in results:
            raise PropertyNotImplementedError(
                f"the {self.backend} model {self.model!r} does not give per-atom energies"
            )

    def _model_elements(self):
        """The model and the elements it covers, for the message of an element it lacks: "does
        not cover H" alone left the user to find which elements the model does cover."""
        if self._numbers is None:
            return f"the model {self.model!r}"
        covered = sorted(int(z) for z in self._numbers)
        shown = (", ".join(chemical_symbols[z] for z in covered) if len(covered) <= 20
                 else f"{len(covered)} elements, {chemical_symbols[covered[0]]} to "
                 f"{chemical_symbols[covered[-1]]}")
        return f"the model {self.model!r} (trained on {shown})"

    def _check(self, atoms):
        with input_errors():
            if len(atoms) == 0:
                raise ValueError(f"{type(self).__name__} needs at least one atom")
            check_elements(atoms, self._numbers, self._model_elements())
            # a zero cell vector first: check_number_density divides by the lengths' product
            # (ZeroDivisionError, after nothing else had looked at the cell)
            check_atoms(atoms)
            # one net charge: a charge-aware model reads atoms.info['charge'], the QRd
            # charges read the formal charges' sum first, so two declarations that disagree
            # gave the model and the Coulomb term two different systems
            declared_total_charge(atoms)
            # a 0.001 Å periodic vector, named as D3 and Electrostatics name it: the density
            # check below took a 7 x 7 x 0.001 Å cell for a cell in nm
            _check_thin_cell(atoms.cell[:], atoms.pbc, type(self).__name__, _MIN_DISTANCE)
            # a cell in nm: named as such, before its crowded images are named as overlaps
            check_number_density(atoms, type(self).__name__)
            # coincident atoms give NaN, but an atom next to its own image in a nearly
            # singular cell gives a finite, meaningless energy: both are refused before the
            # model (also non-finite positions or cell, zero volume)
            check_overlaps(atoms, _MIN_DISTANCE, type(self).__name__)
            # everything a summed term refuses (its elements, a charged periodic cell, a
            # cutoff spanning too many images, partial periodicity...) before the model: the
            # terms used to refuse only after a model evaluation had been paid for
            for term in self._terms():
                if hasattr(term, "check_input"):
                    # the overlaps were just looked for, at the terms' distance (0.1 Å)
                    term.check_input(atoms, overlaps=False)
                elif hasattr(term, "check_elements"):
                    term.check_elements(atoms)
        self._warn_unread_charges(atoms)

    def _warn_unread_charges(self, atoms):
        """:class:`~ase_electrolyte.electrostatics.UnreadChargesWarning` for non-zero
        ``initial_charges`` whose sum is not the declared net charge (0 where none is
        declared), when no Electrostatics term is summed in (one warns for itself).

        The model and D3 do not read per-atom charges: a cation given only as
        ``set_initial_charges([1, 0, ...])`` (as xTB-style codes take it) was evaluated as
        the neutral structure without a word.
        """
        if (not getattr(self, "_warns_unread_charges", True) or self.electrostatics is not None
                or "initial_charges" not in atoms.arrays):
            return
        from .electrostatics import UnreadChargesWarning

        declared = declared_total_charge(atoms)
        seen = getattr(self, "_unread_warned", None)  # None: pickled before it existed
        if seen is None:
            seen = self._unread_warned = set()
        net = unread_charge_sum(atoms, [declared or 0.0], seen)
        if net is None:
            return
        said = ("no net charge is declared, so it is evaluated as neutral" if declared is None
                else f"the declared net charge is {declared:.6g} e")
        warnings.warn(
            f"the Atoms' initial_charges sum to {net:.6g} e, but {type(self).__name__}"
            f"({self.model!r}) does not read them: {said}; declare the net charge in "
            "atoms.info['charge'] or the formal_charge array (or sum in an Electrostatics "
            "term with scheme='array' to use the initial charges)", UnreadChargesWarning,
            stacklevel=2)
