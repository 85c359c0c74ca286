"""Screen many electrolytes: composition grids × temperatures × replicas on dask.distributed.

A plan file names the compositions, temperatures, replicas, protocol, model and analyses
(:func:`load_plan`); :func:`run_screen` (or ``electrolyte screen plan.toml -o results/``) runs one
task per (composition, temperature, replica) — build the box, run the MD protocol of Ju et al.
(2025), run the analyses — on a local or remote dask cluster, and :func:`aggregate` turns the
per-task results into one table of means ± standard errors over replicas with their validity
verdicts, plots against concentration and, given measured values, parity plots and mean
absolute/percentage errors.
"""

import importlib
import sys
import types

#: Public name → the submodule that defines it. Imported on first use (PEP 562): the table's
#: statistics (scipy.stats, over a second on a loaded machine) are not needed to refuse
#: ``electrolyte screen --workers 0`` or to read a plan.
_WHERE = {
    "aggregate": "aggregate",
    "compare_experimental": "aggregate",
    "summary_estimate": "aggregate",
    "task_table": "aggregate",
    "ScreenResult": "engine",
    "local_cluster_size": "engine",
    "run_screen": "engine",
    "Composition": "plan",
    "Plan": "plan",
    "PlanError": "plan",
    "Task": "plan",
    "load_plan": "plan",
    "run_task": "task",
}

__all__ = [
    "Composition",
    "Plan",
    "PlanError",
    "ScreenResult",
    "Task",
    "aggregate",
    "compare_experimental",
    "load_plan",
    "local_cluster_size",
    "run_screen",
    "run_task",
    "summary_estimate",
    "task_table",
]


class _Package(types.ModuleType):
    """This package, whose attribute ``aggregate`` stays the function: importing the
    submodule of that name (``from .aggregate import ...`` anywhere) sets it as the package's
    attribute, which the eager import of earlier versions then overwrote with the function."""

    def __setattr__(self, name, value):
        if isinstance(value, types.ModuleType) and name in _WHERE \
                and value.__name__ == f"{__name__}.{name}":
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name):
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    # the submodule "aggregate" and the function of that name: the function wins, as the
    # eager import gave it
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
