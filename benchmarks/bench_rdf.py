"""Benchmark: IntraInterRDF against looping MDAnalysis InterRDF over all element pairs.

System: solvation-analysis' shipped LiPF6 in butyronitrile/FEC test trajectory (bn_fec: 7118 atoms,
7 elements, so 28 element pairs, 10 frames), the system of issue 5. Both analyses see the same
frames in the same run; the script prints both times, the ratio (target >= 30: IntraInterRDF
gives intra + inter + total of all pairs from one compiled search-and-count pass per frame, the
search being the neighbour engine shared with the D3 CPU kernel, ase_electrolyte/csrc/cell_list.h)
and the largest difference between the RDFs, the part of IntraInterRDF's time spent in its
conclusion (the bootstrapped shell cutoffs of every pair, independent of the number of frames),
then the same for the vesin engine. The times are printed only for the same RDFs:
IntraInterRDF's total g(r) of every pair must equal InterRDF's to within two pairs per bin (a
pair at a bin edge, float32 positions, falls on either side; InterRDF counts a like pair in both
orders), measured at most 2 (C-C, H-H) and 1 (Li-H); the vesin engine's intra, inter and total
must equal the default engine's (equal to 0 measured). Otherwise the benchmark stops (exit
status 1) naming the pair: before, the difference was printed beside the speed-up and the
vesin engine's RDFs were not looked at.

It then times :class:`~mda_electrolyte.SolvationShells` (cutoffs from the RDF first minima, all
extras: labels, networks, angles, per-type RDFs, shell table) against solvation-analysis'
``Solute`` with its default analyses on the same frames and species, prints that ratio (target
>= 1), and the memory of the collected shell table per cation and frame with its extrapolation to
300 frames of 192 Li⁺ (the case that took 0.6 GB before the table).
Run ``python benchmarks/bench_rdf.py [--repeats 2]``; ``--profile`` prints instead where
IntraInterRDF's time goes by cProfile (call counts and per-function share of one run, and of
its conclusion): on a shared machine the call counts, not the seconds, show avoidable work.
"""

from __future__ import annotations

import itertools
import os
import sys
import time
import warnings

import MDAnalysis as mda
import numpy as np
import solvation_analysis
from MDAnalysis.analysis.rdf import InterRDF

import mda_electrolyte


def bn_fec_universe():
    """The bn_fec Universe with element symbols (from the element list shipped beside it)."""
    data = os.path.join(os.path.dirname(solvation_analysis.__file__), "tests", "data",
                        "bn_fec_data")
    u = mda.Universe(os.path.join(data, "bn_fec.data"), os.path.join(data, "bn_fec_short_wrap.dcd"))
    u.add_TopologyAttr("elements", np.loadtxt(os.path.join(data, "bn_fec_elements.csv"), dtype=str))
    return u


def _timed(function):
    """Run ``function()``; return its result, wall-clock seconds and CPU seconds of this process.

    CPU time is reported beside wall time because the machine may be shared: other processes
    stretch the wall time of both contenders, unevenly, but not the CPU time they use.
    """
    wall, cpu = time.perf_counter(), time.process_time()
    result = function()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def _concluded_by(analysis, conclude):
    """``analysis`` with its conclusion (of a run about to be made) replaced by
    ``conclude(original)``: a finished analysis is not concluded twice (the pass's scratch is
    consumed: a second ``_conclude`` raised KeyError '_close_frame_counts')."""
    original = analysis._conclude
    analysis._conclude = lambda: conclude(original)
    return analysis


def _conclusion_time(make):
    """(wall s, CPU s) of the conclusion of a fresh run of ``make(run=False)``."""
    spent = []
    _concluded_by(make(run=False), lambda original: spent.append(_timed(original)[1:])).run()
    return spent[0]


# the most pairs per bin by which two counts of the same frames may differ (see the docstring)
EDGE_PAIRS = 2


def pairs_off(ours, rdf, count):
    """The largest difference of ``ours`` from InterRDF's ``rdf`` beyond bin 0, in pairs of
    the bin (g of one pair = rdf / count); inf where an empty bin of InterRDF is not empty in
    ``ours``."""
    diff = np.abs(np.asarray(ours)[1:] - rdf[1:])
    count = count[1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        off = np.where(count > 0, diff * count / np.where(rdf[1:] > 0, rdf[1:], 1.0),
                       np.where(diff > 1e-12, np.inf, 0.0))
    return float(off.max()) if off.size else 0.0


def check_same(ours, ref, vesin=None):
    """Stops (exit status 1) where IntraInterRDF's total g(r) differs from InterRDF's by more
    than ``EDGE_PAIRS`` pairs in a bin, or the vesin engine's from the default's at all;
    returns the largest difference in pairs."""
    worst = 0.0
    for pair, (rdf, count) in ref.items():
        off = pairs_off(ours.results.total[pair], rdf, count)
        if not off <= EDGE_PAIRS + 1e-6:  # g's own rounding: 2 pairs read 2.000000000004
            sys.exit(f"IntraInterRDF's g{pair} differs from InterRDF's by {off:.3g} pairs in a "
                     f"bin (at most {EDGE_PAIRS} at bin edges); times not reported")
        worst = max(worst, off)
    if vesin is not None:
        for part in ("total", "intra", "inter"):
            for pair in ref:
                diff = np.abs(vesin.results[part][pair] - ours.results[part][pair]).max()
                if not diff <= 1e-12:
                    sys.exit(f"engine='vesin': the {part} g{pair} differs from the default "
                             f"engine's by {diff:.3g}; times not reported")
    return worst


def main(repeats=2):
    warnings.simplefilter("ignore", DeprecationWarning)
    u = bn_fec_universe()
    from mda_electrolyte.rdf import _element_order

    # the keys of IntraInterRDF: cations first
    elements = _element_order(set(u.atoms.elements))
    pairs = list(itertools.combinations_with_replacement(elements, 2))
    print(f"{u.atoms.n_atoms} atoms, {len(elements)} elements, {len(pairs)} pairs, "
          f"{u.trajectory.n_frames} frames; load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} CPUs")

    def looped_interrdf():
        ref = {}
        for a, b in pairs:
            rdf = InterRDF(u.select_atoms(f"element {a}"), u.select_atoms(f"element {b}"),
                           nbins=80, range=(0.0, 8.0)).run()
            ref[(a, b)] = (rdf.results.rdf, rdf.results.count)
        return ref

    def intra_inter_rdf(engine="auto", run=True):
        rdf = mda_electrolyte.IntraInterRDF(u.atoms, pairs="elements", nbins=80,
                                            range=(0.0, 8.0), engine=engine)
        return rdf.run() if run else rdf

    times = {"InterRDF": [], "IntraInterRDF": []}
    for _ in range(repeats):
        ref, wall, cpu = _timed(looped_interrdf)
        times["InterRDF"].append((wall, cpu))
        ours, wall, cpu = _timed(intra_inter_rdf)
        times["IntraInterRDF"].append((wall, cpu))
    # bin 0 of A-A pairs differs by design: InterRDF counts every atom at r = 0 from itself
    worst = check_same(ours, ref)
    best = {name: np.min(np.array(t), axis=0) for name, t in times.items()}
    print(f"looping InterRDF over {len(pairs)} pairs: {best['InterRDF'][0]:.3f} s wall, "
          f"{best['InterRDF'][1]:.3f} s CPU (best of {repeats})")
    print(f"IntraInterRDF, intra + inter + total:  {best['IntraInterRDF'][0]:.3f} s wall, "
          f"{best['IntraInterRDF'][1]:.3f} s CPU (best of {repeats})")
    # of which the conclusion: g(r), CN and the bootstrapped first peak and minimum of every pair
    # (mda_electrolyte.shell_cutoffs), independent of the number of frames
    conclude = min((_conclusion_time(intra_inter_rdf) for _ in range(repeats)),
                   key=lambda t: t[1])
    print(f"  of which _conclude ({len(pairs)} first minima, bootstrapped): "
          f"{conclude[0]:.3f} s wall, {conclude[1]:.3f} s CPU")
    ratio = best["InterRDF"] / best["IntraInterRDF"]
    print(f"speed-up: {ratio[0]:.1f}x wall, {ratio[1]:.1f}x CPU (target >= 30x)   "
          f"(the same g(r) to {worst:.0f} pairs per bin beyond bin 0)")
    runs = [_timed(lambda: intra_inter_rdf("vesin")) for _ in range(repeats)]
    check_same(ours, ref, runs[0][0])
    vesin = min((run[1:] for run in runs), key=lambda t: t[1])
    print(f"engine='vesin' (neighbour list + numpy): {vesin[0]:.3f} s wall, {vesin[1]:.3f} s CPU;"
          f" {best['InterRDF'][0] / vesin[0]:.1f}x wall, {best['InterRDF'][1] / vesin[1]:.1f}x "
          "CPU")
    solvation(u, repeats)


def solvation(u, repeats):
    """SolvationShells with every extra against solvation-analysis' Solute, same frames."""
    from solvation_analysis.solute import Solute

    li = u.select_atoms("type 22")
    anions = {"pf6": u.select_atoms("byres type 20")}
    solvents = {"bn": u.select_atoms("byres type 5"), "fec": u.select_atoms("byres type 19")}

    def ours():
        # the RDF range of Solute's default, so both search the same pairs for the cutoffs
        return mda_electrolyte.SolvationShells(li, anions, solvents, rdf_range=(0.0, 7.5)).run()

    def reference():
        return Solute.from_atoms(li, {**anions, **solvents}).run()

    times = {"Solute": [], "SolvationShells": []}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(repeats):
            times["Solute"].append(_timed(reference)[1:])
            times["SolvationShells"].append(_timed(ours)[1:])
    best = {name: np.min(np.array(t), axis=0) for name, t in times.items()}
    for name, (wall, cpu) in best.items():
        print(f"{name:16s} {wall:.3f} s wall, {cpu:.3f} s CPU (best of {repeats})")
    ratio = best["Solute"] / best["SolvationShells"]
    print(f"SolvationShells vs solvation-analysis: {ratio[0]:.2f}x wall, {ratio[1]:.2f}x CPU "
          "(target >= 1x)")
    import tracemalloc

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tracemalloc.start()
        shells = ours()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    table = shells.results.table
    per = table.nbytes / (table.n_frames * li.n_atoms)
    print(f"shell table: {table.nbytes / 1e6:.2f} MB for {table.n_frames} frames x {li.n_atoms} "
          f"Li ({per:.0f} bytes per cation-frame, radius {table.radius} A); 300 frames x 192 Li: "
          f"{per * 300 * 192 / 1e6:.0f} MB; peak Python allocations of the run "
          f"{peak / 1e6:.0f} MB")


def profile(n_lines=25):
    """cProfile of one IntraInterRDF run and of its conclusion (first minima of 28 pairs)."""
    import cProfile
    import pstats

    warnings.simplefilter("ignore", DeprecationWarning)
    u = bn_fec_universe()

    def make():
        return mda_electrolyte.IntraInterRDF(u.atoms, pairs="elements", nbins=80,
                                             range=(0.0, 8.0))

    make().run()  # the compiled kernel built and loaded before the profile
    profilers = {"run": cProfile.Profile(), "_conclude": cProfile.Profile()}
    profilers["run"].runcall(make().run)
    # a second run, whose conclusion alone is profiled (one profiler active at a time)
    _concluded_by(make(), lambda original: profilers["_conclude"].runcall(original)).run()
    for what, profiler in profilers.items():
        stats = pstats.Stats(profiler)
        print(f"--- IntraInterRDF {what}: {stats.total_calls} calls ---")
        stats.sort_stats("cumulative").print_stats(n_lines)


if __name__ == "__main__":
    import argparse
    import sys

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from _arguments import number  # benchmarks/, beside this script

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=number("--repeats", minimum=1, integer=True),
                        default=None, help="timings per contender, best of (2)")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile of one IntraInterRDF run instead of the timings")
    args = parser.parse_args()
    if args.profile and args.repeats is not None:
        parser.error("--repeats is not read with --profile (one profiled run)")
    if args.profile:
        profile()
    else:
        main(repeats=args.repeats or 2)
