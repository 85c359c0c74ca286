"""Peak memory of a rigid volume scan keeping its scanned frames, against frames x scales x atoms.

``RigidVolumeScan(keep_frames=True)`` holds every scanned frame (geometry and the calculators'
energy, forces and stress) until :meth:`~mda_electrolyte.RigidVolumeScan.scanned_frames`:
its peak grows as frames x scales x atoms. ``keep_frames=<path>`` streams them to an extxyz file
instead (each analysed frame's scan written as it is done, the file assembled at the end): the
peak is one analysed frame's scan, whatever the number of frames.

Synthetic periodic water boxes (3-atom molecules, random orientations on a lattice) evaluated by
a calculator of negligible cost and memory (harmonic energy about the lattice sites, computed in
place), so that the peak measured (``tracemalloc``; the frames are allocated before tracing
starts) is the scan's own. Printed: the peak (MB) for each size and mode, and bytes per
scanned atom (peak / (frames x scales x atoms)) for ``keep_frames=True``.

What the streamed scan still keeps grows with the frames until a bound: the isolated
molecules' cache (:class:`~mda_electrolyte.model_labels.IsolatedMoleculeEvaluator`, about 190
bytes per atom of water, dropped beyond ``MAX_CACHED_ATOMS``, 2·10⁵ atoms, ~40 MB;
before, it was unbounded) and a few numbers per frame and scale.

Measured (this machine, 9 scales): in memory 2.6 / 8.9 / 25.4 MB for 648 atoms and 4 / 16 / 48
frames (~90-110 bytes per scanned atom: 1.2 GB for 10⁴ atoms, 11 scales, 100 frames); streamed
2.0 / 3.5 / 7.5 MB (the cache's growth, bounded as above).

Run: ``python benchmarks/bench_volume_scan_memory.py`` (a minute or two on one core; it takes
no options, and refuses any: its sizes are those measured above).
"""

import argparse
import tempfile
import tracemalloc
from pathlib import Path

import numpy as np
from ase.build import molecule
from ase.calculators.calculator import Calculator, all_changes

from mda_electrolyte import RigidVolumeScan


class Harmonic(Calculator):
    """E = Σ ½ |r − r₀|² about fixed sites (cheap; forces and a zero stress)."""

    implemented_properties = ["energy", "forces", "stress"]

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        d = self.atoms.positions - self.atoms.positions.mean(axis=0)
        self.results = {"energy": 0.5 * float(np.sum(d * d)) * 1e-3, "forces": -1e-3 * d,
                        "stress": np.zeros(6)}


def water_frames(n_molecules, n_frames, seed=0):
    rng = np.random.default_rng(seed)
    side = int(np.ceil(n_molecules ** (1 / 3)))
    a = 3.2
    frames = []
    for _ in range(n_frames):
        atoms, ids = None, []
        for j in range(n_molecules):
            m = molecule("H2O")
            m.rotate(rng.uniform(0, 360), rng.normal(size=3), center="COM")
            site = np.array(np.unravel_index(j, (side, side, side))) * a
            m.positions += site + rng.normal(scale=0.1, size=3) - m.get_center_of_mass()
            atoms = m if atoms is None else atoms + m
            ids += [j] * 3
        atoms.cell, atoms.pbc = [side * a] * 3, True
        atoms.arrays["molecule_index"] = np.array(ids)
        atoms.wrap()
        frames.append(atoms)
    return frames


def peak_mb(frames, keep, scales):
    # the scan's Universe of the frames is made before tracing: the run's own peak is measured
    scan = RigidVolumeScan(frames, Harmonic(), scales=scales, keep_frames=keep)
    tracemalloc.start()
    tracemalloc.reset_peak()
    scan.run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del scan
    return peak / 1e6


def main():
    scales = (0.95, 1.0, 1.05, 1.1, 1.2, 1.35, 1.5, 1.75, 2.0)
    print(f"{'molecules':>9} {'frames':>6} {'scales':>6} {'atoms':>6} "
          f"{'in memory MB':>12} {'B/scanned atom':>14} {'streamed MB':>11}")
    with tempfile.TemporaryDirectory() as tmp:
        # first-use imports and caches are no part of any scan's peak
        peak_mb(water_frames(8, 2), True, scales)
        for n_mol, n_frames in ((64, 4), (64, 16), (216, 4), (216, 16), (216, 48)):
            frames = water_frames(n_mol, n_frames)
            n_atoms = len(frames[0])
            kept = peak_mb(frames, True, scales)
            streamed = peak_mb(frames, str(Path(tmp) / "scan.extxyz"), scales)
            per_atom = kept * 1e6 / (n_frames * len(scales) * n_atoms)
            print(f"{n_mol:>9} {n_frames:>6} {len(scales):>6} {n_atoms:>6} {kept:>12.1f} "
                  f"{per_atom:>14.0f} {streamed:>11.1f}")


if __name__ == "__main__":
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    main()
