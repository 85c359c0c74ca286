"""Screen many electrolytes: composition grids × temperatures × replicas on dask.distributed.

A plan file names the compositions, temperatures, replicas, protocol, model and analyses
(:func:`load_plan`); :func:`run_screen` (or ``electrolyte screen plan.toml -o results/``) runs one
task per (composition, temperature, replica) — build the box, run the MD protocol of Ju et al.
(2025), run the analyses — on a local or remote dask cluster, and :func:`aggregate` turns the
per-task results into one table of means ± standard errors over replicas with their validity
verdicts, plots against concentration and, given measured values, parity plots and mean
absolute/percentage errors.
"""

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
