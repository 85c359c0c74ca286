"""Parallel screening against running the same tasks one after another, in the same run.

    python benchmarks/bench_screen.py [--workers 2] [--production-ps 0.2] [--n-atoms 200]
                                      [--model sevennet-0]

A plan of four short tasks (2 compositions × 2 replicas): the reference runs them one after
another in this process (:func:`ase_electrolyte.screen.run_task`, imports already done); then
:func:`ase_electrolyte.screen.run_screen` runs them on a ``LocalCluster`` of ``--workers`` worker
processes (started and warmed up before the clock starts; its start-up is printed separately).
Goals (issue 13): on 2 cores, parallel / serial <= 0.6 with two workers; scheduler overhead
(wall time beyond the busiest worker's task time) under 2 % of the task time.

The default calculator is a Lennard-Jones pair potential defined in this file (named in the plan
as ``benchmarks/bench_screen.py:lj``, as a user's own potential would be); ``--model`` screens
with a registered MLIP instead.
"""

import argparse
import tempfile
import time
from pathlib import Path


def lj():
    from ase.calculators.lj import LennardJones

    return LennardJones(sigma=1.0, epsilon=0.01, rc=4.0, smooth=True)


def _plan(args):
    model = (
        {"name": args.model, "device": "cpu"}
        if args.model
        else {"calculator": f"{Path(__file__).resolve()}:lj", "device": "cpu"}
    )
    return {
        "name": "benchmark",
        "seed": 1,
        "replicas": 2,
        "temperatures": [300],
        "n_atoms": args.n_atoms,
        "analyses": [],
        "model": model,
        "protocol": {
            "relax_fmax": 20.0,
            "preequilibration_ps": 0.0,
            "equilibration_ps": 0.0,
            "production_ps": args.production_ps,
            "production_ensemble": "nvt",
            "write_interval_fs": 10.0,
            "observe_interval_fs": 10.0,
        },
        "composition": [{"solvent": "EC", "salt": "LiPF6", "concentration": [1.0, 2.0]}],
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--production-ps", type=float, default=0.2)
    parser.add_argument("--n-atoms", type=int, default=200)
    parser.add_argument("--model", default=None)
    args = parser.parse_args()

    from distributed import Client, LocalCluster

    from ase_electrolyte.screen import load_plan, run_screen, run_task
    from ase_electrolyte.screen.engine import _spec

    plan = load_plan(_plan(args))
    tasks = plan.tasks()
    print(f"{len(tasks)} tasks, {args.n_atoms} atoms, {args.production_ps} ps NVT each")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        # the reference: the same tasks one after another, imports done beforehand
        import ase_electrolyte.build  # noqa: F401
        import ase_electrolyte.md  # noqa: F401

        start = time.perf_counter()
        for task in tasks:
            out = run_task(_spec(plan, task, tmp / "serial", None, plan.to_dict()))
            assert out["status"] == "done", out
        serial = time.perf_counter() - start
        print(f"serial (one after another): {serial:.1f} s")

        start = time.perf_counter()
        cluster = LocalCluster(
            n_workers=args.workers,
            threads_per_worker=1,
            processes=True,
            memory_limit=0,
            dashboard_address=":0",
            silence_logs=40,
        )
        client = Client(cluster)
        client.run(lambda: __import__("ase_electrolyte.md") and None)
        startup = time.perf_counter() - start
        print(f"cluster start-up and worker imports (not in the ratio): {startup:.1f} s")

        result = run_screen(plan, tmp / "parallel", client=client, progress=False, plots=False)
        client.close()
        cluster.close()
    parallel = result.wall_s
    busy = sum(result.task_s.values()) / args.workers
    print(f"parallel ({args.workers} workers): {parallel:.1f} s; tasks ran {busy:.1f} s per worker")
    print(f"ratio parallel / serial: {parallel / serial:.2f}  (goal <= 0.6 with 2 workers)")
    print(
        f"overhead beyond the mean worker's task time: {100 * (parallel - busy) / busy:.1f} % "
        "(goal < 2 %; includes load imbalance and the final aggregation)"
    )


if __name__ == "__main__":
    main()
