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
  assignment goes through ``set``.
"""

from __future__ import annotations

from ase.calculators.calculator import Parameters, equal

from .calculator_errors import InputError, input_errors

__all__ = ["Option", "ParametersContract"]


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
        self.parameters = Parameters(normalised)

    def _check_names(self, kwargs):
        unknown = sorted(
            k for k in kwargs if k not in self.default_parameters and not
            self._extra_option_allowed(k)
        )
        if unknown:
            raise InputError(
                f"{type(self).__name__}: unknown option(s) {', '.join(map(repr, unknown))}; "
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
        self.parameters = Parameters(normalised)
        if changed:
            self.reset()
        return changed

    def todict(self, skip_default=False):
        """Every option, defaults included (what ASE trajectories and databases store).

        ``type(calc)(**calc.todict())`` builds a calculator giving the same results.
        """
        return super().todict(skip_default=skip_default)
