"""Parallel screening against running the same tasks one after another, in the same run.

    python benchmarks/bench_screen.py [--workers 2] [--production-ps 0.2] [--n-atoms 200]
                                      [--model sevennet-0] [--repeats 3]

A plan of four short tasks (2 compositions × 2 replicas): the reference runs them one after
another in this process (:func:`ase_electrolyte.screen.run_task`, imports already done) plus the
one aggregation that finishes the plan; then :func:`ase_electrolyte.screen.run_screen` runs them
on a ``LocalCluster`` of ``--workers`` worker processes (started and warmed up once before the
clock starts; its start-up is printed separately). Serial and parallel runs alternate
``--repeats`` times and the median ratio is the result: on a shared virtual machine a single
pair of runs varies by ±20 % with the neighbours' load.
Goals (issue 13): on 2 cores, parallel / serial <= 0.6 with two workers; scheduler overhead
(wall time beyond the busiest worker's task time, less the final aggregation, which is printed on
its own) under 2 % of the task time. The breakdown prints where the rest went: set-up, first
dispatch, gaps between a worker's tasks, result collection, aggregation, load imbalance, and the
phases inside the tasks; and how much slower a task ran on a busy worker than alone, which bounds
the ratio from below whatever the scheduler does. The load average is printed before and after:
on a shared machine the ratio says little unless the load stays below the core count; the
CPU-time projection (busiest worker's CPU seconds plus the scheduler overhead, over the serial
CPU seconds) is what an idle machine would give if each worker had a core to itself.

The default calculator is a Lennard-Jones pair potential defined in this file (named in the plan
as ``benchmarks/bench_screen.py:lj``, as a user's own potential would be); ``--model`` screens
with a registered MLIP instead.
"""

import argparse
import os
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


def _breakdown(result, workers):
    """Where the parallel wall time went: per-worker busy time, waits, imbalance, aggregation."""
    timing = result.timing
    by_worker = {}
    for t in result.task_timing.values():
        by_worker.setdefault(t["worker"], []).append(t)
    busy = {w: sum(t["end"] - t["start"] for t in ts) for w, ts in by_worker.items()}
    busiest = max(busy, key=busy.get)
    ts = sorted(by_worker[busiest], key=lambda t: t["start"])
    dispatch = ts[0]["start"] - timing["submitted"]
    gaps = sum(b["start"] - a["end"] for a, b in zip(ts, ts[1:], strict=False))
    collect = timing["collected"] - ts[-1]["end"]
    imbalance = busy[busiest] - sum(busy.values()) / max(workers, 1)
    phases = {}
    for t in result.task_timing.values():
        for k, v in t.items():
            if k.endswith("_s") and k != "cpu_s":
                phases[k] = phases.get(k, 0.0) + v
    return {
        "busiest": busy[busiest],
        "n_workers_used": len(busy),
        "setup": timing.get("setup", 0.0),
        "dispatch": dispatch,
        "gaps": gaps,
        "collect": collect,
        "aggregate": timing.get("aggregate", 0.0),
        "imbalance": imbalance,
        "phases": phases,
    }


def _serial(plan, tasks, outdir):
    """The reference: the plan's tasks one after another in this process."""
    from ase_electrolyte.screen import run_task
    from ase_electrolyte.screen.engine import _spec

    protocol, cpu = {}, {}
    start = time.perf_counter()
    for task in tasks:
        out = run_task(_spec(plan, task, outdir, None, plan.to_dict()))
        assert out["status"] == "done", out
        protocol[task.id] = out["timing"]["protocol_s"]
        cpu[task.id] = out["timing"]["cpu_s"]
    return time.perf_counter() - start, protocol, cpu


def main():
    # here, not at the top: the screen's workers import this file for lj() by its path,
    # without benchmarks/ on their sys.path
    from _arguments import number

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # checked here, one line and exit status 2: --repeats 0 ended in an IndexError after the
    # cluster had started, --workers 0 reached the cluster, --n-atoms 0 and --production-ps
    # nan were a PlanError's traceback
    parser.add_argument("--workers", type=number("--workers", minimum=1, integer=True),
                        default=2)
    parser.add_argument("--production-ps", type=number("--production-ps", above=0),
                        default=0.2)
    parser.add_argument("--n-atoms", type=number("--n-atoms", minimum=1, integer=True),
                        default=200)
    parser.add_argument("--model", default=None)
    parser.add_argument(
        "--repeats", type=number("--repeats", minimum=1, integer=True), default=3,
        help="serial and parallel runs, interleaved; the median ratio is the result",
    )
    args = parser.parse_args()
    from ase_electrolyte.screen import PlanError, load_plan

    try:  # the plan's own checks (a model name, the box), before the cluster starts
        plan = load_plan(_plan(args))
    except PlanError as err:
        parser.error(str(err))

    from distributed import Client

    from ase_electrolyte.screen import run_screen
    from ase_electrolyte.screen.engine import start_local_cluster

    print(f"load before: {os.getloadavg()[0]:.2f} (1 min) on {os.cpu_count()} CPUs")
    tasks = plan.tasks()
    print(
        f"{len(tasks)} tasks, {args.n_atoms} atoms, {args.production_ps} ps NVT each; "
        f"{args.repeats} interleaved repeats"
    )
    _warm_imports()
    start = time.perf_counter()
    cluster = start_local_cluster(args.workers)  # the cluster run_screen would start
    client = Client(cluster)
    client.run(_warm_imports)
    print(f"cluster start-up and worker imports (once, not in the ratio): "
          f"{time.perf_counter() - start:.1f} s")
    ratios, rows = [], []
    try:
        for rep in range(args.repeats):
            with tempfile.TemporaryDirectory() as tmp:
                tmp = Path(tmp)
                serial, serial_protocol, serial_cpu = _serial(plan, tasks, tmp / "serial")
                result = run_screen(
                    plan, tmp / "parallel", client=client, progress=False, plots=False
                )
            # finishing the plan one after another also ends with the same aggregation (the
            # same four results, the same table): both sides carry it once
            aggregate = result.timing.get("aggregate", 0.0)
            ratio = result.wall_s / (serial + aggregate)
            ratios.append(ratio)
            rows.append((result, serial, serial_protocol, serial_cpu))
            print(
                f"  repeat {rep + 1}: serial {serial:.1f} s + aggregation {aggregate:.2f} s, "
                f"parallel {result.wall_s:.1f} s -> ratio {ratio:.2f} "
                f"(load {os.getloadavg()[0]:.2f})"
            )
    finally:
        client.close()
        cluster.close()
    load_after = os.getloadavg()[0]
    median = sorted(ratios)[len(ratios) // 2]
    print(
        f"ratio parallel / serial, median of {len(ratios)}: {median:.2f}  "
        f"(goal <= 0.6 with 2 workers; each: {', '.join(f'{r:.2f}' for r in ratios)})"
    )
    # the breakdown of the median repeat
    result, serial, serial_protocol, serial_cpu = rows[ratios.index(median)]
    b = _breakdown(result, args.workers)
    slow = sum(t["protocol_s"] for t in result.task_timing.values()) / sum(
        serial_protocol.values()
    )
    print(
        f"  the MD of a task took {slow:.2f}x its serial time on a worker (contention: "
        f"{args.workers} busy processes on {os.cpu_count()} CPUs plus the other load); with "
        f"that, the best ratio these tasks allow is {slow / args.workers:.2f}"
    )
    overhead = result.wall_s - b["busiest"] - b["aggregate"]
    print(
        f"scheduler overhead: {overhead:.2f} s = {100 * overhead / b['busiest']:.2f} % of the "
        f"busiest worker's task time {b['busiest']:.1f} s (goal < 2 %)"
    )
    print(
        f"  setup {b['setup']:.2f} s | first dispatch {b['dispatch']:.2f} s | gaps between "
        f"tasks {b['gaps']:.2f} s | result collection {b['collect']:.2f} s"
    )
    print(
        f"not scheduler: aggregation {b['aggregate']:.2f} s "
        f"({100 * b['aggregate'] / b['busiest']:.2f} %), load imbalance "
        f"{b['imbalance']:.2f} s ({100 * b['imbalance'] / b['busiest']:.2f} %)"
    )
    # what an idle machine would give: each worker on its own core runs its tasks in their CPU
    # time (torch/numpy single-threaded here), plus the scheduler's own overhead
    cpu_by_worker = {}
    for t in result.task_timing.values():
        cpu_by_worker[t["worker"]] = cpu_by_worker.get(t["worker"], 0.0) + t["cpu_s"]
    idle = (max(cpu_by_worker.values()) + overhead) / sum(serial_cpu.values())
    print(
        f"CPU-time projection for an idle machine: (busiest worker's CPU time + scheduler "
        f"overhead) / serial CPU time = {idle:.2f} (serial CPU {sum(serial_cpu.values()):.1f} s "
        f"in {serial:.1f} s wall; workers' CPU {sum(cpu_by_worker.values()):.1f} s)"
    )
    phases = " | ".join(f"{k[:-2]} {v:.1f} s" for k, v in b["phases"].items())
    print(f"inside the tasks (all workers): {phases}")
    print(f"load after: {load_after:.2f} (1 min)")


def _warm_imports():
    """What a task imports, done before the clock starts (serial process and every worker)."""
    import ase.io  # noqa: F401

    import ase_electrolyte.build  # noqa: F401
    import ase_electrolyte.md  # noqa: F401
    import ase_electrolyte.screen.task  # noqa: F401


if __name__ == "__main__":
    main()
