"""ASE's parameters contract for our calculators: a checked ``set()``, a complete ``todict()``.

ASE keeps a calculator's options in ``self.parameters`` (a dict seeded from
``default_parameters``): ``set(**kw)`` changes them and must reset the results when the
computation changes, and ``todict()`` is what ASE trajectories and databases store. ASE's own
``set`` stores any key without checking it, and its ``todict`` skips options left at their
defaults, so a stored record would not say which cutoffs were used. :class:`ParametersContract`
gives ASE calculators of this package:

* ``set(**kw)``: the new options are checked together (``InputError`` naming the option, and
  nothing changes when one is bad), the calculator's derived state is rebuilt from them, results
  are reset when anything changed, and the changed options are returned, as in ASE;
* ``todict()`` with every option (defaults included), so that ``type(calc)(**calc.todict())``
  builds the same calculator;
* :class:`Option`, attributes such as ``calc.cutoff`` that read ``calc.parameters`` and whose
  assignment goes through ``set``;
* an edit of ``calc.parameters`` itself (``calc.parameters["cutoff"] = 5.0``, or a value inside
  it changed in place), which ASE allows but which bypassed every check: the calculator kept
  its derived state and its last results, so it returned the old numbers while ``todict()``
  recorded the new option. Such an edit is now applied through ``set`` before the next
  property, ``set`` or ``todict``: checked (refused and undone when bad, ``InputError``),
  rebuilt, results reset.
"""

from __future__ import annotations

import copy
import functools

import numpy as np
from ase.calculators.calculator import Parameters, all_changes, equal

from .calculator_errors import InputError, input_errors
from .option_words import close_option

__all__ = ["Option", "ParametersContract", "applies_direct_edits"]


class Option:
    """Attribute view of ``calc.parameters[name]``; assigning it calls ``calc.set(name=value)``."""

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        return obj.parameters[self.name]

    def __set__(self, obj, value):
        obj.set(**{self.name: value})


def applies_direct_edits(method):
    """Decorator for a public method of a :class:`ParametersContract` calculator that reads
    its options outside ASE's ``get_property`` (``D3.compute_tensor``,
    ``Electrostatics.evaluate``, ``check_input``...): options edited in ``calc.parameters``
    directly are applied first, as ``set`` would (checked, derived state rebuilt).

    Without it such a method ran on the derived state of the options before the edit: after
    ``calc.parameters["damping"] = "zero"``, ``D3.compute_tensor`` kept the BJ parameters
    (an energy 3.4x off the zero-damping one) and ``Electrostatics.evaluate`` its last
    lattice-sum set-up, while a refused value (a tolerance of 0.5) was used unchecked.

    Raises
    ------
    ase.calculators.calculator.InputError
        A bad edited value (undone; the method does not run).
    """

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        self._apply_direct_edits()
        return method(self, *args, **kwargs)

    return wrapper


def _unchanged(a, b):
    """Whether an option value equals the one last configured (containers compared by value)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.shape == b.shape and bool(np.array_equal(a, b))
    try:
        return bool(a == b)
    except (TypeError, ValueError):  # a container holding arrays
        return equal(a, b)


def _options_snapshot(parameters):
    """A copy of the options that a later in-place edit of ``parameters`` does not reach.

    Calculators held as options (the summed terms) are kept by reference: their own options
    are their own snapshot's business.
    """
    return {
        key: value if hasattr(value, "get_property") else copy.deepcopy(value)
        for key, value in parameters.items()
    }


class ParametersContract:
    """Mixin (before :class:`ase.calculators.calculator.Calculator`) giving the ASE contract.

    A subclass implements ``_configure(candidate, old, given)``: ``candidate`` is the full
    option dict to apply, ``old`` the current one (``None`` on construction) and ``given`` the
    names passed in this call. It validates everything first, then rebuilds its derived state
    (kernel settings, a loaded model) and returns the normalised option dict to store. It must
    raise before changing any state when an option is bad. ``extra_options`` tells whether a
    key outside ``default_parameters`` is allowed (backend options of a model).
    """

    #: ASE Calculator keywords that are not calculation options
    _ase_keywords = ("restart", "label", "atoms", "directory")

    def _split_ase_keywords(self, kwargs):
        return {k: kwargs.pop(k) for k in self._ase_keywords if k in kwargs}

    def _extra_option_allowed(self, key):
        return False

    def _initialise(self, options):
        """Apply the constructor's options (all checked) after ASE's ``__init__``."""
        self._check_names(options)
        candidate = Parameters({**self.get_default_parameters(), **options})
        with input_errors(f"{type(self).__name__}: "):
            normalised = self._configure(candidate, None, set(options))
        self._store(normalised)

    def _store(self, normalised):
        """Make ``normalised`` the options, remembering them to notice direct edits later."""
        self.parameters = Parameters(normalised)
        self._configured = _options_snapshot(self.parameters)

    def _take_direct_edits(self):
        """The options edited in ``self.parameters`` itself since they were last configured,
        undone there (so that ``set`` applies them, checked): ``{}`` when there are none.

        A deleted option counts as set to its default; deleting a backend option (which has
        none) is refused, and undone.
        """
        configured = self.__dict__.get("_configured")
        current = self.parameters
        if configured is None or current is None:
            return {}
        edits = {key: value for key, value in current.items()
                 if key not in configured or not _unchanged(value, configured[key])}
        deleted = [key for key in configured if key not in current]
        if not edits and not deleted:
            return {}
        self._store(configured)
        no_default = sorted(key for key in deleted if key not in self.default_parameters)
        if no_default:
            raise InputError(
                f"{type(self).__name__}: option(s) {', '.join(map(repr, no_default))} were "
                "deleted from calc.parameters; the deletion is undone (give every option to "
                "calc.set, or build a new calculator)"
            )
        edits.update({key: self.default_parameters[key] for key in deleted})
        return edits

    def _apply_direct_edits(self):
        """Apply edits of ``self.parameters`` made without ``set`` as ``set`` would.

        Raises
        ------
        ase.calculators.calculator.InputError
            A bad edited value: the edit is undone, the calculator unchanged.
        """
        edits = self._take_direct_edits()
        if not edits:
            return
        try:
            self.set(**edits)
        except InputError as err:
            raise InputError(
                f"calc.parameters was edited directly ({', '.join(map(repr, sorted(edits)))}); "
                f"the edit is undone: {err}"
            ) from err

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        """ASE's ``calculate`` (``self.atoms`` becomes a copy of ``atoms``), refusing to
        evaluate nothing: without ``atoms`` and before any structure, ASE's base class left
        ``self.atoms`` at ``None`` and the evaluation failed with an ``AttributeError``
        (``calc.get_potential_energy()`` on a calculator attached to no Atoms)."""
        if atoms is None and self.atoms is None:
            raise InputError(
                f"{type(self).__name__}: no structure to evaluate; attach the calculator "
                "(atoms.calc = calc; atoms.get_potential_energy()) or pass the atoms "
                "(calc.get_property(name, atoms))"
            )
        super().calculate(atoms, properties, system_changes)

    def get_property(self, name, atoms=None, allow_calculation=True):
        """ASE's ``get_property``, after applying options edited in ``calc.parameters``
        directly (:meth:`set` semantics: checked, results reset)."""
        self._apply_direct_edits()
        return super().get_property(name, atoms, allow_calculation)

    def _check_names(self, kwargs):
        unknown = sorted(
            k for k in kwargs if k not in self.default_parameters and not
            self._extra_option_allowed(k)
        )
        if unknown:
            hints = [f"{k!r} (did you mean {close!r}?)" if close else repr(k)
                     for k, close in ((k, close_option(k, self.default_parameters))
                                      for k in unknown)]
            raise InputError(
                f"{type(self).__name__}: unknown option(s) {', '.join(hints)}; "
                f"options: {', '.join(sorted(self.default_parameters))}"
            )

    def set(self, **kwargs):
        """Change options (checked together), rebuild what depends on them, reset the results.

        Returns
        -------
        dict
            The options whose value changed.

        Raises
        ------
        ase.calculators.calculator.InputError
            An unknown option or a bad value (the calculator is left unchanged).
        """
        if "parameters" in kwargs:  # ASE's convention: options read from a file
            parameters = Parameters.read(kwargs.pop("parameters"))
            parameters.update(kwargs)
            kwargs = dict(parameters)
        # options edited in self.parameters directly are set with these (those given win)
        kwargs = {**self._take_direct_edits(), **kwargs}
        if not kwargs:
            return {}
        self._check_names(kwargs)
        old = Parameters(self.parameters)
        candidate = Parameters({**old, **kwargs})
        with input_errors(f"{type(self).__name__}: "):
            normalised = self._configure(candidate, old, set(kwargs))
        changed = {
            key: value for key, value in normalised.items()
            if key not in old or not equal(value, old[key])
        }
        # an option dropped by the change (a backend option of a replaced model) changed too
        changed.update({key: None for key in old if key not in normalised})
        if getattr(self, "_file_replaced", False):
            # the same model path whose file holds another model now: loaded again, a change
            changed["model"] = normalised["model"]
            self._file_replaced = False
        self._store(normalised)
        if changed:
            self.reset()
        return changed

    def todict(self, skip_default=False):
        """Every option, defaults included (what ASE trajectories and databases store).

        ``type(calc)(**calc.todict())`` builds a calculator giving the same results. Options
        edited in ``calc.parameters`` directly are applied first (checked), so the record is
        what the next evaluation runs.
        """
        self._apply_direct_edits()
        return super().todict(skip_default=skip_default)
