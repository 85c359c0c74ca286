"""Peak memory of :class:`~mda_electrolyte.IntraInterErrors` against the number of frames.

The analysis kept, for every analysed frame, the energies, forces (and stress) of both sides
in each component (total, intra, inter, trans, rot, vib: 6 x 2 force arrays of n_atoms x 3
floats), and stacked them into ``results.forces`` at the end: its peak grew as frames x atoms
(~990 bytes per analysed atom-frame; 10 GB for 10⁴ atoms x 1000 frames). The force errors are
now taken from running sums (:class:`mda_electrolyte.error_metrics.PairStream`: a few floats
per frame, component and atom group, and fixed-size moments per atom), the energies and
stresses (a few floats per frame) kept, the forces only with ``keep_arrays=True``. Measured
here with ``tracemalloc`` (the frames and their Universe made before tracing starts) on
synthetic periodic water boxes evaluated by the harmonic stand-in of
``bench_volume_scan_memory.py``, the reference a stiffer copy of the model; twice: with the
isolated-molecule caches of both sides as they are (their growth ends at
``MAX_CACHED_ATOMS`` = 200 000 atoms per side, ~40 MB: MD frames never repeat a molecule's
geometry, rigid volume scans do) and without them (the analysis itself).

Printed: the peak (MB) per frame count, and bytes per analysed atom (peak / (frames x atoms)).

Measured (this machine, 375 atoms; 8 / 16 / 32 / 64 frames):
before (per-frame arrays): 3.1 / 6.0 / 11.9 / 23.8 MB, ~990 bytes per atom-frame, linear;
now, caches on: 4.0 / 7.3 / 10.6 / 16.6 MB (the caches' ~300 bytes per atom-frame until
their bound); caches off: 2.8 / 4.7 / 5.4 / 5.8 MB: from 32 to 64 frames ~15 kB per frame
whatever the atoms (the per-frame sums; 40 bytes per atom-frame at this size), before that the
parity plot's sample of at most 20 000 force components per side and component filling up.

Run: ``PYTHONPATH=. python benchmarks/bench_intra_inter_memory.py [--molecules 216]
[--frames 4 8 16 32]`` (a minute on one core).
"""

import argparse
import gc
import sys
import tracemalloc
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _arguments import number  # noqa: E402
from bench_volume_scan_memory import Harmonic, water_frames  # noqa: E402

from mda_electrolyte import IntraInterErrors  # noqa: E402


class Stiffer(Harmonic):
    """The harmonic stand-in, 10 % stiffer: a reference that differs from the model."""

    def calculate(self, *args, **kwargs):
        super().calculate(*args, **kwargs)
        self.results = {k: 1.1 * v for k, v in self.results.items()}


def peak_mb(frames, cache=True):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        errors = IntraInterErrors(frames, Harmonic(), reference=Stiffer())
        if not cache:
            errors._model.isolated.max_cached_atoms = 0
            errors._reference.isolated.max_cached_atoms = 0
        gc.collect()
        tracemalloc.start()
        tracemalloc.reset_peak()
        errors.run()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak / 1e6


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # two molecules at least: the intermolecular part of one molecule alone is nothing
    parser.add_argument("--molecules", type=number("--molecules", minimum=2, integer=True),
                        default=216)
    parser.add_argument("--frames", type=number("--frames", minimum=1, integer=True), nargs="+",
                        default=[4, 8, 16, 32])
    args = parser.parse_args()
    n_atoms = 3 * args.molecules
    # one-time allocations (imports, lazily built tables) kept out of the first size's peak
    peak_mb(water_frames(args.molecules, 2))
    print(f"{n_atoms} atoms per frame")
    print(f"{'frames':>8} {'peak MB':>10} {'bytes/atom':>12} {'no cache MB':>12} "
          f"{'bytes/atom':>12}")
    for n in args.frames:
        frames = water_frames(args.molecules, n)
        peaks = [peak_mb(frames, cache) for cache in (True, False)]
        print(f"{n:>8}" + "".join(f" {p:>10.2f} {p * 1e6 / (n * n_atoms):>12.0f}" for p in peaks))


if __name__ == "__main__":
    main()
