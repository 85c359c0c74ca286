"""The numeric parameters of a public API, for the generated bad-value catalogues.

Shared by tests/test_public_api_values.py (analyses, builder, estimates) and
tests/test_public_api_values_ase.py (calculators, MD, model loop): each checks that every
parameter listed here is either tried with the bad values or named with a reason.
"""

from __future__ import annotations

import importlib
import inspect
import math

#: What no physical size is, and what each numeric parameter is fed.
BAD = [math.nan, math.inf, -math.inf, -1, 0, 1e308]


def _is_number(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def numeric_parameters(modules, *, defined_in_module=False):
    """``"qualname.parameter"`` of every parameter with a numeric (or numeric-pair) default or
    a numeric annotation, over the callables in each module's ``__all__``; with
    ``defined_in_module`` only those the module defines (not its re-exports)."""
    for name in modules:
        mod = importlib.import_module(name)
        for attr in getattr(mod, "__all__", []):
            obj = getattr(mod, attr)
            if not callable(obj):
                continue
            if defined_in_module and getattr(obj, "__module__", None) != name:
                continue
            try:
                sig = inspect.signature(obj)
            except (TypeError, ValueError):
                continue
            for p in sig.parameters.values():
                d, ann = p.default, str(p.annotation)
                pair = isinstance(d, tuple) and d and all(_is_number(x) for x in d)
                if _is_number(d) or pair or "float" in ann or "int" in ann:
                    yield f"{obj.__qualname__}.{p.name}"
