"""Memory of the screening table of a large folder: ``task_table`` and ``aggregate``.

    python benchmarks/bench_screen_table_memory.py [--concentrations 100] [--temperatures 10]
                                                   [--replicas 10] [--properties 10]

Writes a synthetic screening folder (by default 10⁴ finished tasks, 10 properties each: 10⁵
rows of ``tasks.csv``) and prints the ``tracemalloc`` peak of :func:`task_table` and of
:func:`aggregate` (plots off), next to the size of the returned table's own columns
(``DataFrame.memory_usage(deep=True)``): what is needed. Goal (issue 16): the peak of
``task_table`` within a small multiple (≤ 3×) of the table it returns; a row-per-dict build held
one dict of 14 keys per row beside the frame (4.6× at 2000 tasks; 2.4× per column). The time of
``aggregate`` is printed without tracing: 500 tasks took 9.4 s in cProfile when each summary row
was computed from pandas selections, 1.3 s from plain lists.
"""

import argparse
import tempfile
import time
import tracemalloc
from pathlib import Path

from _arguments import number  # benchmarks/, beside this script


def _folder(out, args):
    from ase_electrolyte.screen import load_plan
    from ase_electrolyte.screen.engine import _prepare_outdir
    from ase_electrolyte.screen.task import write_json

    plan = load_plan({
        "n_atoms": 20000, "replicas": args.replicas, "analyses": [], "seed": 3,
        "temperatures": [280 + 5 * i for i in range(args.temperatures)],
        "model": {"calculator": "benchmarks/bench_screen.py:lj", "device": "cpu"},
        "composition": [{"solvent": "EC:3,EMC:7", "salt": "LiPF6",
                         "concentration": [round(0.5 + 0.03 * i, 2)
                                           for i in range(args.concentrations)]}],
    })
    _prepare_outdir(plan, out)
    names = ["density"] + [f"D_X{k}" for k in range(args.properties - 1)]
    for i, t in enumerate(plan.tasks()):
        folder = out / "tasks" / t.id
        folder.mkdir(parents=True)
        props = {n: {"value": 1.0 + 1e-3 * ((i * 7 + k) % 13), "stderr": 0.01,
                     "unit": "g/cm^3" if n == "density" else "m^2/s", "method": "blocks",
                     "n_samples": 5, "converged": True, "verdict": "valid", "notes": [],
                     "dof": 4.0} for k, n in enumerate(names)}
        write_json(folder / "result.json", {"task": t.id, "status": "done", "seed": t.seed,
                                            "properties": props})
    return plan


def _peak(func):
    tracemalloc.start()
    try:
        tick = time.perf_counter()
        out = func()
        wall = time.perf_counter() - tick
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return out, peak, wall


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # each a whole number >= 1 (one line, exit status 2): 0 was a PlanError's traceback, and
    # --properties 0 wrote the density all the same and printed "× 0 properties"
    for name, default in (("--concentrations", 100), ("--temperatures", 10),
                          ("--replicas", 10)):
        parser.add_argument(name, type=number(name, minimum=1, integer=True), default=default)
    parser.add_argument("--properties", type=number("--properties", minimum=1, integer=True),
                        default=10, help="the density and (this - 1) diffusion coefficients")
    args = parser.parse_args()

    from ase_electrolyte.screen import aggregate, task_table

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        tick = time.perf_counter()
        plan = _folder(out, args)
        print(f"folder: {len(plan.tasks())} tasks × {args.properties} properties written in "
              f"{time.perf_counter() - tick:.1f} s")
        task_table(out)  # imports and caches outside the measurement
        (rows, _), peak, wall = _peak(lambda: task_table(out))
        need = int(rows.memory_usage(deep=True).sum())
        print(f"task_table: {len(rows)} rows; frame {need / 2**20:.1f} MiB; tracemalloc peak "
              f"{peak / 2**20:.1f} MiB ({peak / need:.2f}× the frame) in {wall:.1f} s")
        summary, peak, _ = _peak(lambda: aggregate(out, plots=False))
        # timed apart: tracemalloc slows every allocation several times
        tick = time.perf_counter()
        aggregate(out, plots=False)
        print(f"aggregate: {len(summary)} summary rows; tracemalloc peak {peak / 2**20:.1f} MiB; "
              f"{time.perf_counter() - tick:.1f} s without tracing")


if __name__ == "__main__":
    main()
