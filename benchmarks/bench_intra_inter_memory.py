"""Peak memory of :class:`~mda_electrolyte.IntraInterErrors` against the number of frames.

The analysis keeps, for every analysed frame, the energies, forces (and stress) of both sides
in each component (total, intra, inter, trans, rot, vib: 6 x 2 force arrays of n_atoms x 3
floats), and stacks them into ``results.forces`` / ``results.energies`` / ``results.stress`` at
the end. Its peak therefore grows as frames x atoms, not with the analysis: measured here with
``tracemalloc`` (the frames and their Universe made before tracing starts) on synthetic
periodic water boxes evaluated by the harmonic stand-in of ``bench_volume_scan_memory.py``
(negligible cost and memory of its own), the reference a stiffer copy of the model.

Printed: the peak (MB) per frame count, and bytes per analysed atom (peak / (frames x atoms)).

Measured (this machine, 375 atoms, 16 / 32 / 64 frames, after a warm-up run): 7.7 / 15.4 /
30.9 MB, 1285 bytes per analysed atom, when the per-frame arrays were stacked beside
themselves; now 6.0 / 11.9 / 23.8 MB, ~990 bytes per analysed atom (10 GB for 10⁴ atoms x
1000 frames). Of these, ~760 are kept until the end of the run: the 12 force arrays (288),
the isolated-molecule caches of both sides (~380, bounded by ``MAX_CACHED_ATOMS``) and the
rest; ~240 are the error estimates' temporaries at the end. ``electrolyte diagnose`` caps the
error part at 20 frames (``--max-error-frames``); the class itself has no cap.

Run: ``python benchmarks/bench_intra_inter_memory.py [--molecules 216] [--frames 4 8 16 32]``
(a minute on one core).
"""

import argparse
import sys
import tracemalloc
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_volume_scan_memory import Harmonic, water_frames  # noqa: E402

from mda_electrolyte import IntraInterErrors  # noqa: E402


class Stiffer(Harmonic):
    """The harmonic stand-in, 10 % stiffer: a reference that differs from the model."""

    def calculate(self, *args, **kwargs):
        super().calculate(*args, **kwargs)
        self.results = {k: 1.1 * v for k, v in self.results.items()}


def peak_mb(frames):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        errors = IntraInterErrors(frames, Harmonic(), reference=Stiffer())
        tracemalloc.start()
        tracemalloc.reset_peak()
        errors.run()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak / 1e6


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--molecules", type=int, default=216)
    parser.add_argument("--frames", type=int, nargs="+", default=[4, 8, 16, 32])
    args = parser.parse_args()
    n_atoms = 3 * args.molecules
    # one-time allocations (imports, lazily built tables) kept out of the first size's peak
    peak_mb(water_frames(args.molecules, 2))
    print(f"{n_atoms} atoms per frame")
    print(f"{'frames':>8} {'peak MB':>10} {'bytes/atom':>12}")
    for n in args.frames:
        peak = peak_mb(water_frames(args.molecules, n))
        print(f"{n:>8} {peak:>10.2f} {peak * 1e6 / (n * n_atoms):>12.0f}")


if __name__ == "__main__":
    main()
