"""Screen many electrolytes: composition grids × temperatures × replicas on dask.distributed.

A plan file names the compositions, temperatures, replicas, protocol, model and analyses
(:func:`load_plan`); :func:`run_screen` (or ``electrolyte screen plan.toml -o results/``) runs one
task per (composition, temperature, replica) — build the box, run the MD protocol of Ju et al.
(2025), run the analyses — on a local or remote dask cluster, and :func:`aggregate` turns the
per-task results into one table of means ± standard errors over replicas with their validity
verdicts, plots against concentration and, given measured values, parity plots and mean
absolute/percentage errors.
"""

# Eager, as a package's __init__ conventionally is: a submodule's heavy imports (numpy, the
# table's statistics in scipy.stats, pandas, matplotlib, dask) sit in the functions that need
# them, so that neither reading a plan nor refusing ``electrolyte screen --workers 0`` pays
# for them. Importing the function ``aggregate`` after its submodule of the same name binds
# the package's attribute to the function once; a later import of the submodule finds it in
# sys.modules and leaves the attribute alone (as ``ase.build.bulk``).
from .aggregate import aggregate, compare_experimental, summary_estimate, task_table
from .engine import ScreenResult, local_cluster_size, run_screen
from .plan import Composition, Plan, PlanError, Task, load_plan
from .task import run_task

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
