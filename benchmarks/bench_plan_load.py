"""CPU time per task seed of a screening plan's packability check, before and after.

``load_plan`` checks every task's box with the conformers of the task's own seed
(``build._check_packable_at``): RDKit embeddings, rotamers, and for each conformer the convex
hull (``_hull_volume``) and excluded volume (``excluded_volume``) of its atoms' spheres. The
"before" runs the same check with the volumes of ``tests/packing_reference.py`` (every grid point
and every sphere point, no cache), the "after" with the module's own (caps of the grid, only the
sphere points that can be hull vertices, a bounded cache by exact positions). Both run in this
process, interleaved task by task, and the check's verdicts and numbers are compared.

    python benchmarks/bench_plan_load.py [--tasks 16] [--atoms 300]
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import packing_reference  # noqa: E402
from _arguments import number  # noqa: E402  benchmarks/, beside this script

from ase_electrolyte import build  # noqa: E402
from ase_electrolyte.screen import load_plan  # noqa: E402
from ase_electrolyte.screen.plan import (
    PlanError,  # noqa: E402
    box_of,  # noqa: E402
)
from ase_electrolyte.species import get_species  # noqa: E402

COMPOSITION = {"solvent": "EC:3,EMC:7", "salt": "LiPF6", "concentration": 1.0}


def _check(counts, density, seed, reference):
    """(CPU s, need and hull of each species or the refusal) of one task's check."""
    saved = build._hull_volume, build.excluded_volume
    if reference:
        build._hull_volume = packing_reference.hull_volume
        build.excluded_volume = packing_reference.excluded_volume
    try:
        start = time.process_time()
        try:
            build._check_packable_at(counts, density, {}, seed=seed)
            verdict = "packs"
        except ValueError as err:
            verdict = str(err)
        return time.process_time() - start, verdict
    finally:
        build._hull_volume, build.excluded_volume = saved


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=number("--tasks", minimum=1, integer=True), default=16)
    parser.add_argument("--atoms", type=number("--atoms", minimum=1, integer=True), default=300)
    # below the 3.0 g/cm³ at which every task is refused (the refusals' numbers compared)
    parser.add_argument("--density", type=number("--density (g/cm³)", above=0.0, maximum=2.5),
                        default=1.2)
    args = parser.parse_args()
    try:
        plan = load_plan({"seed": 1, "replicas": args.tasks, "temperatures": [298],
                          "n_atoms": args.atoms,
                          "model": {"calculator": "ase.calculators.emt:EMT"},
                          "composition": [COMPOSITION]})
    except PlanError as err:  # the plan's own bounds, named by the plan reader
        parser.error(str(err))
    tasks = plan.tasks()
    counts = {get_species(name): n for name, n in box_of(tasks[0].composition, args.atoms)}
    build._volume_of.cache_clear()
    before = after = 0.0
    for task in tasks:
        for reference in (True, False):
            seconds, verdict = _check(counts, args.density, task.seed, reference)
            if reference:
                before += seconds
                expected = verdict
            else:
                after += seconds
                assert verdict == expected, (verdict, expected)
    # one density refused for every task: the refusals' numbers must agree too
    for task in tasks[:4]:
        old = _check(counts, 3.0, task.seed, True)[1]
        assert old == _check(counts, 3.0, task.seed, False)[1], old
    n = len(tasks)
    print(f"{COMPOSITION['solvent']} {COMPOSITION['salt']} {args.atoms} atoms, {n} task seeds "
          f"at {args.density} g/cm³, same verdicts: before {1e3 * before / n:.1f} ms/task, "
          f"after {1e3 * after / n:.1f} ms/task, ratio {before / after:.2f}")
    volumes_before = volumes_after = 0.0
    templates = {}
    build._check_packable_at(counts, args.density, templates, seed=tasks[0].seed)
    for template in [t for v in templates.values() for t in build._template_list(v)]:
        for reference in (True, False):
            build._volume_of.cache_clear()
            hull = packing_reference.hull_volume if reference else build._hull_volume
            excluded = packing_reference.excluded_volume if reference else build.excluded_volume
            start = time.process_time()
            for _ in range(5):
                hull(template.positions, 1.0)
                excluded(template.positions, 1.0)
                build._volume_of.cache_clear()
            seconds = (time.process_time() - start) / 5
            if reference:
                volumes_before += seconds
            else:
                volumes_after += seconds
    print(f"volumes of one task's {len(templates)} species' conformers, caches cleared: before "
          f"{1e3 * volumes_before:.1f} ms, after {1e3 * volumes_after:.1f} ms, ratio "
          f"{volumes_before / volumes_after:.2f}")
    # what a cache per species could save: the checks that do not depend on the seed (stereo
    # elements, MMFF94 parameters of the rotamer species), run once per task. The RDKit time of
    # a task is its seed's ETKDG embeddings and MMFF94 minimisations, which no cache may share
    # without changing the task's box.
    species = list(counts)
    start = time.process_time()
    for _ in range(n):
        for sp in species:
            build._check_stereo_defined(sp)
            if sp.carbonyl_dihedrals:
                build._check_rotamer_species(sp)
    independent = (time.process_time() - start) / n
    print(f"seed-independent checks: {1e3 * independent:.2f} ms/task, "
          f"{100 * independent / (after / n):.2f} % of the task's check")


if __name__ == "__main__":
    main()
