"""Peak memory of the transport analyses against trajectory length, extrapolated to 10^6 frames.

Synthetic in-memory trajectories (MDAnalysis MemoryReader) of the ``bench_conductivity`` system
(Li, PF6 and a 10-atom solvent, ~1000 atoms) at growing lengths; for each length the peak of the
memory an analysis allocates (``tracemalloc``, which numpy reports to; the trajectory itself is
allocated before tracing starts and is not counted) is printed for

- GreenKuboConductivity, EinsteinHelfandConductivity and Diffusion with their defaults, and
- one IonCollector of every species (what ``electrolyte analyze`` reads once) followed by GK, EH
  and Diffusion estimated from it.

The collectors keep O(frames x species) per frame plus two per-ion stores that are capped: the
per-ion velocities (``ion_velocity_budget``, 256 MB by default; beyond it only species currents
are kept) and the per-ion centres of at most ``max_ion_frames`` (10^4) frames. The short
trajectories here lie below the caps, so the extrapolation uses a second run in *capped* mode
(budget 0, ``max_ion_frames`` = 1000): its slope is the per-frame cost that remains at any
length, and the default caps are added back as constants:

    peak(10^6) ~ intercept + slope * 10^6 + ion_velocity_budget + 10^4 * n_ions * 24 B

The target is < 2 GB (issue 16). For comparison the previous design stored float32 positions or
velocities of every tracked atom of every frame (12 B per atom-frame, plus float64 centres).

Usage: python benchmarks/bench_memory.py [--lengths 1000 2000 4000 8000] [--pairs 50]
       [--solvent 60]
"""

import argparse
import gc
import tracemalloc
import warnings

import numpy as np
from bench_conductivity import build

from mda_electrolyte import Diffusion, EinsteinHelfandConductivity, GreenKuboConductivity
from mda_electrolyte.ion_collection import ION_VELOCITY_BUDGET, MAX_ION_FRAMES, IonCollector

IONS = {"Li": "resname LI", "PF6": "resname PF6"}


def peak_bytes(func):
    gc.collect()
    tracemalloc.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            func()
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak


def analyses(u, capped):
    everything = {str(n): f"resname {n}" for n in np.unique(u.residues.resnames)}
    kw = {"ion_velocity_budget": 0, "max_ion_frames": 1000} if capped else {}

    def collected():
        col = IonCollector(u, everything, unwrap=True, **kw).run().collection
        GreenKuboConductivity.from_collections(col, temperature=300,
                                               check_sampling=False, species=["LI", "PF6"])
        EinsteinHelfandConductivity.from_collections(col, temperature=300, species=["LI", "PF6"])
        Diffusion.from_collections(col)

    if capped:
        return {"one collection (capped) + GK, EH, D": collected}
    return {
        "GreenKuboConductivity": lambda: GreenKuboConductivity(
            u, IONS, temperature=300, check_sampling=False).run(),
        "EinsteinHelfandConductivity": lambda: EinsteinHelfandConductivity(
            u, IONS, temperature=300, unwrap=True).run(),
        "Diffusion": lambda: Diffusion(u, IONS, unwrap=True).run(),
        "one collection + GK, EH, D": collected,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[1000, 2000, 4000, 8000])
    parser.add_argument("--pairs", type=int, default=50)
    parser.add_argument("--solvent", type=int, default=60)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    peaks = {}
    n_atoms = n_ions = None
    for n_frames in args.lengths:
        u = build(n_frames, args.pairs, args.solvent, rng)
        n_atoms, n_ions = u.atoms.n_atoms, u.residues.n_residues
        for capped in (False, True):
            for label, func in analyses(u, capped).items():
                peaks.setdefault(label, []).append(peak_bytes(func))
        del u
        gc.collect()
    print(f"{n_atoms} atoms, {n_ions} molecules; peak traced memory (MB) per trajectory length")
    print(f"{'analysis':40s}" + "".join(f"{n:>10d}" for n in args.lengths))
    for label, values in peaks.items():
        print(f"{label:40s}" + "".join(f"{v / 2**20:10.1f}" for v in values))
    lengths = np.array(args.lengths, dtype=float)
    capped = np.array(peaks["one collection (capped) + GK, EH, D"], dtype=float)
    slope, intercept = np.polyfit(lengths, capped, 1)
    caps = ION_VELOCITY_BUDGET + MAX_ION_FRAMES * n_ions * 3 * 8
    target = 10**6
    extrapolated = intercept + slope * target + caps
    old = target * n_atoms * 12 * 2
    print(f"\ncapped mode: {slope:.0f} bytes per frame (O(frames x species)), intercept "
          f"{intercept / 2**20:.1f} MB")
    print(f"default caps (per-ion velocity budget + {MAX_ION_FRAMES} kept frames of "
          f"{n_ions} centres): {caps / 2**20:.0f} MB")
    print(f"extrapolated peak for {target:.0e} frames x {n_atoms} atoms: "
          f"{extrapolated / 2**30:.2f} GB (target < 2 GB: "
          f"{'met' if extrapolated < 2 * 2**30 else 'NOT met'})")
    print(f"previous design (float32 positions + velocities of every atom-frame): "
          f"{old / 2**30:.1f} GB; ratio {old / extrapolated:.0f}x")


if __name__ == "__main__":
    main()
